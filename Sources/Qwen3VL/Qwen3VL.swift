// Qwen3VL: see README.md in this folder.
