// Imaging: see README.md in this folder.
