#!/usr/bin/env python3
"""Tiny random Qwen3-VL checkpoints plus the reference outputs the Swift text-decoder parity tests compare with.

Usage: scripts/make-qwen3vl-text-fixtures.py [OUT_DIR]   (default: Tests/Qwen3VLTests/Fixtures)

Needs torch, transformers (checked with 5.24.0), safetensors and numpy; CI does not run it, the outputs are committed.
For every shape in SHAPES it writes OUT_DIR/<name>/:
  config.json            as transformers' save_pretrained writes it (5.x form: `rope_parameters`)
  config-4.57.json       the same model in the transformers 4.57 form (`rope_theta` + `rope_scaling`), hand-written
  generation_config.json eos ids of this tiny vocabulary (its own special-token ids, not Qwen's 151645)
  model.safetensors      fp32 weights (or model-0000k-of-0000n.safetensors + model.safetensors.index.json)
  cases.json             prompts (token ids), the name of each expected-logits file, 20-token greedy continuations
  logits-<n>.npy         float32 [n, vocab]: logits at every position of the n-token prompt

Weights are re-initialised with non-trivial values (norm weights 1 + N(0, 0.1), biases N(0, 0.1)) because the
default init makes norms exactly 1 and biases 0, which hides bugs.
"""
import json
import os
import shutil
import sys

import numpy as np
import torch
from transformers import Qwen3VLConfig, Qwen3VLForConditionalGeneration

# Two text shapes: a GQA ratio of 4 with a tied head, a GQA ratio of 3 with an untied head, attention biases,
# an explicit head_dim different from hidden/heads, and a sharded checkpoint.
SHAPES = {
    "tiny-gqa4-tied": dict(vocab=512, hidden=64, inter=128, layers=2, heads=4, kv=1, head_dim=16, tie=True,
                           bias=False, theta=5e6, section=[2, 3, 3], shard=None, seed=1),
    "tiny-gqa3-untied": dict(vocab=384, hidden=48, inter=96, layers=3, heads=6, kv=2, head_dim=16, tie=False,
                             bias=True, theta=1e4, section=[4, 2, 2], shard="160KB", seed=2),
}
PROMPT_LENGTHS = [1, 6, 23]
GREEDY_TOKENS = 20


def special_ids(vocab):
    # The top of the tiny vocabulary holds its special tokens, like Qwen's added tokens sit above the BPE vocabulary.
    return dict(endoftext=vocab - 8, im_start=vocab - 7, im_end=vocab - 6, vision_start=vocab - 5,
                vision_end=vocab - 4, image=vocab - 3, video=vocab - 2)


def penalised_and_warped(model, x, gen):
    """Reference outputs for the samplers: a greedy continuation under repetition_penalty 1.3, and the
    next-token distribution after repetition penalty → temperature → top-k → top-p (transformers' processors)."""
    from transformers.generation.logits_process import (LogitsProcessorList, RepetitionPenaltyLogitsProcessor,
                                                        TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper)
    with torch.no_grad():
        seq = model.generate(input_ids=x, attention_mask=torch.ones_like(x), max_new_tokens=GREEDY_TOKENS,
                             do_sample=False, repetition_penalty=1.3, eos_token_id=gen["eos_token_id"],
                             pad_token_id=gen["pad_token_id"])
        logits = model(input_ids=x).logits[:, -1, :]
    procs = LogitsProcessorList([RepetitionPenaltyLogitsProcessor(1.3), TemperatureLogitsWarper(0.7),
                                 TopKLogitsWarper(20), TopPLogitsWarper(0.8)])
    probs = torch.softmax(procs(x, logits.clone()), dim=-1)[0]
    keep = torch.nonzero(probs > 0).flatten().tolist()
    return {"greedy_repetition_1_3": seq[0, x.shape[1]:].tolist(),
            "sampling": {"repetition_penalty": 1.3, "temperature": 0.7, "top_k": 20, "top_p": 0.8,
                         "support": keep, "probabilities": [float(probs[i]) for i in keep]}}


def make(name, s, out_root):
    torch.manual_seed(s["seed"])
    ids = special_ids(s["vocab"])
    cfg = Qwen3VLConfig(
        text_config=dict(vocab_size=s["vocab"], hidden_size=s["hidden"], intermediate_size=s["inter"],
                         num_hidden_layers=s["layers"], num_attention_heads=s["heads"],
                         num_key_value_heads=s["kv"], head_dim=s["head_dim"], rms_norm_eps=1e-6,
                         max_position_embeddings=4096, rope_theta=s["theta"], attention_bias=s["bias"],
                         rope_scaling={"rope_type": "default", "mrope_section": s["section"],
                                       "mrope_interleaved": True},
                         bos_token_id=None, eos_token_id=ids["im_end"], pad_token_id=ids["endoftext"]),
        vision_config=dict(depth=2, hidden_size=32, num_heads=4, intermediate_size=64, patch_size=16,
                           temporal_patch_size=2, spatial_merge_size=2, out_hidden_size=s["hidden"],
                           num_position_embeddings=16, deepstack_visual_indexes=[0, 1],
                           hidden_act="gelu_pytorch_tanh", in_channels=3),
        image_token_id=ids["image"], video_token_id=ids["video"], vision_start_token_id=ids["vision_start"],
        vision_end_token_id=ids["vision_end"], tie_word_embeddings=s["tie"])
    model = Qwen3VLForConditionalGeneration(cfg).eval()

    with torch.no_grad():
        for pname, p in model.named_parameters():
            if "norm" in pname and pname.endswith("weight"):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif pname.endswith("bias"):
                p.copy_(0.1 * torch.randn_like(p))
            elif "embed_tokens" in pname:
                p.copy_(0.5 * torch.randn_like(p))
            elif pname == "lm_head.weight":
                # Peaked enough that greedy argmax is not decided by float rounding.
                p.copy_(4 * torch.randn_like(p) / p.shape[-1] ** 0.5)
            else:
                fan_in = p.shape[-1] if p.dim() > 1 else 1
                p.copy_(torch.randn_like(p) / fan_in ** 0.5)

    out = os.path.join(out_root, name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    kwargs = dict(safe_serialization=True)
    if s["shard"]:
        kwargs["max_shard_size"] = s["shard"]
    model.save_pretrained(out, **kwargs)

    gen = {"eos_token_id": [ids["im_end"], ids["endoftext"]], "pad_token_id": ids["endoftext"],
           "do_sample": False}
    with open(os.path.join(out, "generation_config.json"), "w") as f:
        json.dump(gen, f, indent=2)

    # The transformers 4.57 form: rope_theta and rope_scaling in text_config instead of rope_parameters.
    with open(os.path.join(out, "config.json")) as f:
        c5 = json.load(f)
    c4 = json.loads(json.dumps(c5))
    tc = c4["text_config"]
    rp = tc.pop("rope_parameters", None) or {}
    tc["rope_theta"] = rp.get("rope_theta", s["theta"])
    tc["rope_scaling"] = {"rope_type": "default", "mrope_section": s["section"], "mrope_interleaved": True}
    c4["vision_config"].pop("rope_parameters", None)
    c4["transformers_version"] = "4.57.1"
    with open(os.path.join(out, "config-4.57.json"), "w") as f:
        json.dump(c4, f, indent=2)

    rng = np.random.default_rng(s["seed"])
    cases = []
    max_abs = 0.0
    for n in PROMPT_LENGTHS:
        prompt = rng.integers(0, s["vocab"] - 8, size=n).tolist()
        x = torch.tensor([prompt])
        with torch.no_grad():
            logits = model(input_ids=x).logits[0].float().numpy()
        max_abs = max(max_abs, float(np.abs(logits).max()))
        fname = f"logits-{n}.npy"
        np.save(os.path.join(out, fname), logits.astype("<f4"))
        with torch.no_grad():
            seq = model.generate(input_ids=x, attention_mask=torch.ones_like(x), max_new_tokens=GREEDY_TOKENS,
                                 do_sample=False, eos_token_id=gen["eos_token_id"],
                                 pad_token_id=gen["pad_token_id"])
        cont = seq[0, n:].tolist()
        case = {"ids": prompt, "logits": fname, "greedy": cont}
        if n == PROMPT_LENGTHS[-1]:
            case.update(penalised_and_warped(model, x, gen))
        cases.append(case)
        print(f"{name}: prompt {n} -> greedy {len(cont)} tokens, max|logit| {np.abs(logits).max():.3f}",
              file=sys.stderr)

    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump({"reference": f"transformers {__import__('transformers').__version__}, torch {torch.__version__}",
                   "max_abs_logit": max_abs, "eos_token_id": gen["eos_token_id"], "cases": cases}, f, indent=1)


def main():
    out_root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests",
                                                                  "Qwen3VLTests", "Fixtures")
    torch.set_num_threads(1)
    for name, s in SHAPES.items():
        make(name, s, out_root)


if __name__ == "__main__":
    main()
