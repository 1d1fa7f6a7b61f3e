// Agent: see README.md in this folder.
