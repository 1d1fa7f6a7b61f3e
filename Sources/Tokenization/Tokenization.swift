// Tokenization: see README.md in this folder.
