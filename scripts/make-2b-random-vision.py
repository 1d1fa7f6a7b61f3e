#!/usr/bin/env python3
"""Adds a Qwen3-VL-2B-shaped vision tower with random bf16 weights to a checkpoint made by make-2b-random.py.

Usage: scripts/make-2b-random-vision.py MODEL_DIR [--seed N]

MODEL_DIR must hold the text checkpoint `model.safetensors` and `config.json` of scripts/make-2b-random.py. Writes
MODEL_DIR/model-visual.safetensors (~0.8 GB: every `model.visual.*` tensor of the 2B with its real name, shape and
dtype bf16; reference notes §3 and the vision_config of config.json), MODEL_DIR/model.safetensors.index.json (the
weight map over both files, as transformers writes for sharded checkpoints) and MODEL_DIR/preprocessor_config.json
(the shipped Qwen2VLImageProcessorFast settings: patch 16, temporal 2, merge 2, mean/std 0.5, 65536…16777216 px).

Only numpy is needed; values are drawn like make-2b-random.py (a table of sorted normal samples indexed by random
uint16s). Meant for `understudy bench model --image`, not for meaningful output.
"""
import argparse
import json
import os
import struct

import numpy as np

CHUNK = 1 << 24


def vision_tensors(v, out_hidden):
    dv, iv = v["hidden_size"], v["intermediate_size"]
    wide = dv * v["spatial_merge_size"] ** 2
    p = "model.visual."
    kernel = [dv, v.get("in_channels", 3), v["temporal_patch_size"], v["patch_size"], v["patch_size"]]
    out = [(p + "patch_embed.proj.weight", kernel, (np.prod(kernel[1:])) ** -0.5),
           (p + "patch_embed.proj.bias", [dv], 0.02),
           (p + "pos_embed.weight", [v["num_position_embeddings"], dv], 0.02)]
    for i in range(v["depth"]):
        b = f"{p}blocks.{i}."
        out += [(b + "norm1.weight", [dv], None), (b + "norm1.bias", [dv], 0.02),
                (b + "norm2.weight", [dv], None), (b + "norm2.bias", [dv], 0.02),
                (b + "attn.qkv.weight", [3 * dv, dv], dv ** -0.5), (b + "attn.qkv.bias", [3 * dv], 0.02),
                (b + "attn.proj.weight", [dv, dv], dv ** -0.5), (b + "attn.proj.bias", [dv], 0.02),
                (b + "mlp.linear_fc1.weight", [iv, dv], dv ** -0.5), (b + "mlp.linear_fc1.bias", [iv], 0.02),
                (b + "mlp.linear_fc2.weight", [dv, iv], iv ** -0.5), (b + "mlp.linear_fc2.bias", [dv], 0.02)]

    def merger(m, norm):
        return [(m + "norm.weight", [norm], None), (m + "norm.bias", [norm], 0.02),
                (m + "linear_fc1.weight", [wide, wide], wide ** -0.5), (m + "linear_fc1.bias", [wide], 0.02),
                (m + "linear_fc2.weight", [out_hidden, wide], wide ** -0.5), (m + "linear_fc2.bias", [out_hidden], 0.02)]

    out += merger(p + "merger.", dv)
    for k in range(len(v["deepstack_visual_indexes"])):
        out += merger(f"{p}deepstack_merger_list.{k}.", wide)
    return out


def bf16_bits(x):
    u = np.asarray(x, dtype=np.float32).view(np.uint32)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def header_names(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return [k for k in json.loads(f.read(n)) if k != "__metadata__"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    with open(os.path.join(args.model, "config.json")) as f:
        config = json.load(f)
    v = config["vision_config"]
    specs = vision_tensors(v, v["out_hidden_size"])
    rng = np.random.default_rng(args.seed)
    quantiles = np.sort(rng.standard_normal(65536)).astype(np.float32)

    header = {"__metadata__": {"format": "pt", "note": "random weights, Qwen3-VL vision tower shapes"}}
    offset = 0
    for name, shape, _ in specs:
        n = int(np.prod(shape)) * 2
        header[name] = {"dtype": "BF16", "shape": [int(s) for s in shape], "data_offsets": [offset, offset + n]}
        offset += n
    hbytes = json.dumps(header, separators=(",", ":")).encode()
    hbytes += b" " * ((8 - len(hbytes) % 8) % 8)
    path = os.path.join(args.model, "model-visual.safetensors")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for name, shape, std in specs:
            n = int(np.prod(shape))
            if std is None:
                f.write(bf16_bits(1 + 0.05 * rng.standard_normal(n)).tobytes())
                continue
            table = bf16_bits(quantiles * std)
            left = n
            while left > 0:
                m = min(left, CHUNK)
                f.write(table[rng.integers(0, 65536, size=m, dtype=np.uint16)].tobytes())
                left -= m

    weight_map = {name: "model.safetensors" for name in header_names(os.path.join(args.model, "model.safetensors"))}
    weight_map.update({name: "model-visual.safetensors" for name, _, _ in specs})
    with open(os.path.join(args.model, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": offset}, "weight_map": weight_map}, f, indent=1)
    with open(os.path.join(args.model, "preprocessor_config.json"), "w") as f:
        json.dump({"image_processor_type": "Qwen2VLImageProcessorFast", "do_resize": True, "resample": 3,
                   "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": [0.5] * 3,
                   "image_std": [0.5] * 3, "do_convert_rgb": True, "patch_size": v["patch_size"],
                   "temporal_patch_size": v["temporal_patch_size"], "merge_size": v["spatial_merge_size"],
                   "size": {"shortest_edge": 65536, "longest_edge": 16777216}}, f, indent=2)
    print(f"wrote {path} ({os.path.getsize(path) / 1e9:.2f} GB, {len(specs)} tensors) and the index")


if __name__ == "__main__":
    main()
