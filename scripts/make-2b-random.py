#!/usr/bin/env python3
"""A Qwen3-VL-2B-shaped checkpoint with random bf16 weights, text tower only, for `understudy bench model`.

Usage: scripts/make-2b-random.py OUT_DIR [--seed N]

Writes OUT_DIR/config.json (the transformers 4.57 form the released checkpoints use, including the real 2B
vision_config so validation sees it), generation_config.json (eos <|im_end|> 151645, <|endoftext|> 151643) and
model.safetensors (~3.4 GB: every `model.language_model.*` tensor of the 2B with its real name, shape and dtype
bf16; tied head, so no lm_head.weight). The vision tower's tensors are NOT written: the text engine defers
`model.visual.*` to the vision encoder. Shapes: reference notes §1.1 (hidden 2048, 28 layers, 16 heads, 8 KV heads,
head_dim 128, intermediate 6144, vocab 151936).

Only numpy is needed. Values: each tensor draws from a 65,536-entry table of sorted normal samples (scaled to
the tensor's std) indexed by random uint16s — normally distributed weights at memory speed instead of ~1.7 G
Box–Muller draws. Not meant to produce meaningful text; meant to be the right size, layout and dtype.
"""
import argparse
import json
import os
import struct

import numpy as np

TEXT = dict(vocab_size=151936, hidden_size=2048, intermediate_size=6144, num_hidden_layers=28,
            num_attention_heads=16, num_key_value_heads=8, head_dim=128)
CHUNK = 1 << 24


def tensors():
    t = TEXT
    d, hd, i = t["hidden_size"], t["head_dim"], t["intermediate_size"]
    q, kv = t["num_attention_heads"] * hd, t["num_key_value_heads"] * hd
    p = "model.language_model."
    out = [(p + "embed_tokens.weight", [t["vocab_size"], d], 0.02)]
    for l in range(t["num_hidden_layers"]):
        b = f"{p}layers.{l}."
        out += [
            (b + "input_layernorm.weight", [d], None),
            (b + "self_attn.q_proj.weight", [q, d], d ** -0.5),
            (b + "self_attn.k_proj.weight", [kv, d], d ** -0.5),
            (b + "self_attn.v_proj.weight", [kv, d], d ** -0.5),
            (b + "self_attn.o_proj.weight", [d, q], q ** -0.5),
            (b + "self_attn.q_norm.weight", [hd], None),
            (b + "self_attn.k_norm.weight", [hd], None),
            (b + "post_attention_layernorm.weight", [d], None),
            (b + "mlp.gate_proj.weight", [i, d], d ** -0.5),
            (b + "mlp.up_proj.weight", [i, d], d ** -0.5),
            (b + "mlp.down_proj.weight", [d, i], i ** -0.5),
        ]
    out.append((p + "norm.weight", [d], None))
    return out


def bf16_bits(x):
    """float32 → bfloat16 bit patterns, round to nearest even."""
    u = np.asarray(x, dtype=np.float32).view(np.uint32)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    quantiles = np.sort(rng.standard_normal(65536)).astype(np.float32)

    specs = tensors()
    header = {"__metadata__": {"format": "pt", "note": "random weights, Qwen3-VL-2B text shapes"}}
    offset = 0
    for name, shape, _ in specs:
        n = int(np.prod(shape)) * 2
        header[name] = {"dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    hbytes = json.dumps(header, separators=(",", ":")).encode()
    hbytes += b" " * ((8 - len(hbytes) % 8) % 8)

    path = os.path.join(args.out, "model.safetensors")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for name, shape, std in specs:
            n = int(np.prod(shape))
            if std is None:   # norm weights: around 1, like a trained model's
                f.write(bf16_bits(1 + 0.05 * rng.standard_normal(n)).tobytes())
                continue
            table = bf16_bits(quantiles * std)
            left = n
            while left > 0:
                m = min(left, CHUNK)
                f.write(table[rng.integers(0, 65536, size=m, dtype=np.uint16)].tobytes())
                left -= m

    text_config = dict(TEXT, model_type="qwen3_vl_text", hidden_act="silu", rms_norm_eps=1e-6,
                       max_position_embeddings=262144, attention_bias=False, attention_dropout=0.0,
                       rope_theta=5000000, bos_token_id=151643, eos_token_id=151645, dtype="bfloat16",
                       rope_scaling={"rope_type": "default", "mrope_section": [24, 20, 20], "mrope_interleaved": True},
                       use_cache=True, tie_word_embeddings=True)
    vision_config = dict(model_type="qwen3_vl", depth=24, hidden_size=1024, num_heads=16, intermediate_size=4096,
                         patch_size=16, temporal_patch_size=2, spatial_merge_size=2, in_channels=3,
                         out_hidden_size=2048, num_position_embeddings=2304, deepstack_visual_indexes=[5, 11, 17],
                         hidden_act="gelu_pytorch_tanh", initializer_range=0.02)
    config = dict(architectures=["Qwen3VLForConditionalGeneration"], model_type="qwen3_vl",
                  text_config=text_config, vision_config=vision_config, image_token_id=151655,
                  video_token_id=151656, vision_start_token_id=151652, vision_end_token_id=151653,
                  tie_word_embeddings=True, transformers_version="4.57.1")
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(args.out, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": 151643, "eos_token_id": [151645, 151643], "pad_token_id": 151643,
                   "do_sample": True, "temperature": 0.7, "top_p": 0.8, "top_k": 20, "repetition_penalty": 1.0},
                  f, indent=2)
    print(f"wrote {path} ({os.path.getsize(path) / 1e9:.2f} GB, {len(specs)} tensors)")


if __name__ == "__main__":
    main()
