#!/usr/bin/env python3
"""Compare `understudy model logits` with transformers on any Qwen3-VL model directory (text-only prompt).

Usage: scripts/compare-logits.py MODEL_DIR [--ids 1,2,3] [--understudy .build/release/understudy]

Runs the reference in float32 (bf16 checkpoints are widened, like the Swift engine computes), writes the
Swift logits for every position with --all-positions, and prints max |Δ| and its ratio to max |logit|.
Missing vision tensors (e.g. scripts/make-2b-random.py output) are fine: transformers initialises them and
text-only input never uses them.
"""
import argparse
import subprocess
import sys
import tempfile

import numpy as np
import torch
from transformers import Qwen3VLForConditionalGeneration


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--ids", default="9707,11,1879,0,358,1079,264,1273")
    ap.add_argument("--understudy", default=".build/release/understudy")
    args = ap.parse_args()
    ids = [int(x) for x in args.ids.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        out = f"{tmp}/logits.npy"
        subprocess.run([args.understudy, "model", "logits", args.model, "--ids", args.ids, "--out", out,
                        "--all-positions"], check=True)
        swift = np.load(out)
    model = Qwen3VLForConditionalGeneration.from_pretrained(args.model, dtype=torch.float32).eval()
    with torch.no_grad():
        ref = model(input_ids=torch.tensor([ids])).logits[0].float().numpy()
    delta = np.abs(ref - swift).max()
    scale = np.abs(ref).max()
    same = (ref.argmax(-1) == swift.argmax(-1)).all()
    print(f"positions {len(ids)}: max|Δ| {delta:.3e}, max|logit| {scale:.3f}, relative {delta / scale:.3e}, "
          f"argmax identical: {bool(same)}")
    return 0 if delta <= 1e-4 * scale and same else 1


if __name__ == "__main__":
    sys.exit(main())
