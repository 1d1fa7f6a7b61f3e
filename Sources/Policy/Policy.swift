// Policy: see README.md in this folder.
