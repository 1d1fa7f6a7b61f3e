// ModelFormats: see README.md in this folder.
