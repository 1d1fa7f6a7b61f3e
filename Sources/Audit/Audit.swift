// Audit: see README.md in this folder.
