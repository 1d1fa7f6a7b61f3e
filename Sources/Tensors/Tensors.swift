// Tensors: see README.md in this folder.
