// Desktop: see README.md in this folder.
