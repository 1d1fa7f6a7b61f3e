// Actions: see README.md in this folder.
