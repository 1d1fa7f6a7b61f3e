// Sandbox: see README.md in this folder.
