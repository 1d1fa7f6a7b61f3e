#!/usr/bin/env python3
"""Tiny random Qwen3-VL vision-language checkpoints plus the reference outputs the Swift vision parity tests use.

Usage: scripts/make-vision-fixtures.py [OUT_DIR]   (default: Tests/Qwen3VLTests/Fixtures/vision)

Needs torch and transformers (checked with torch 2.13 CPU, transformers 5.24.0), numpy and Pillow; CI does not run
it, the outputs are committed. Writes:

  images/<name>.rgb            the test image, raw RGB8 rows (width·height·3 bytes); <name>.png the same as PNG
  images/<name>.resized.rgb    the image after the reference bicubic resize (see below), raw RGB8
  images/index.json            per image: size, budget, smart_resize result, grid_thw, the largest PIL-vs-torch
                               difference, and a sample of pixel_values (fixed columns of every row, row sums)
  <model>/config.json, model.safetensors (fp32), preprocessor_config.json, generation_config.json
  <model>/<case>.json + <case>.f32
                               a prompt (token ids with one image token per image, the image names), and an index
                               {name: {offset (in floats), shape}} into the raw little-endian float32 blob <case>.f32:
                               patch_embed, embeddings (patch + interpolated position), block.<i>, merger,
                               deepstack.<k>, position_ids [3, S], decoder.<l> (layer output before DeepStack),
                               logits [S, vocab]; plus rope_delta and 20 greedy tokens.

The resize. The shipped preprocessor_config.json names `Qwen2VLImageProcessorFast`, i.e. torchvision's
`resize(uint8 tensor, BICUBIC, antialias=True)`, which on CPU passes the uint8 image straight to
`torch.nn.functional.interpolate(mode="bicubic", antialias=True)` (torchvision `_do_native_uint8_resize_on_cpu` is
true for bicubic). torchvision is not installable next to torch 2.13 CPU here, so this script calls that
interpolate itself, then rescales/normalizes and patchifies exactly as transformers' `Qwen2VLImageProcessor`
(torchvision backend) does. Where no resampling happens the result is checked against the real
`Qwen2VLImageProcessorPil` (must be identical); where it does, the largest difference to PIL's bicubic is recorded.
"""
import json
import math
import os
import shutil
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from transformers import Qwen3VLConfig, Qwen3VLForConditionalGeneration
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import smart_resize

PATCH, TEMPORAL, MERGE = 16, 2, 2
# A small budget so tiny images get resized both up (below min) and down (above max).
MIN_PIXELS, MAX_PIXELS = 96 * 96, 160 * 160
GREEDY_TOKENS = 20
SAMPLE_COLUMNS = [0, 1, 15, 16, 255, 256, 257, 511, 512, 700, 767, 768, 1023, 1024, 1300, 1535]

# (height, width): exact fit (no resampling), below the budget (upscale), above it (downscale), rounding only,
# and .5 ties on both sides (80/32 = 2.5 → 2, 208/32 = 6.5 → 6: Python rounds half to even).
IMAGES = {
    "exact-160x96": (160, 96),
    "small-50x70": (50, 70),
    "large-200x300": (200, 300),
    "odd-150x90": (150, 90),
    "tie-80x208": (80, 208),
}

MODELS = {
    # vision depth 2, DeepStack taps after blocks 0 and 1, 2 text layers, untied head.
    "tiny-vl-a": dict(vocab=512, hidden=64, inter=128, layers=2, heads=4, kv=2, head_dim=16, tie=False,
                      section=[2, 3, 3], vdepth=2, vheads=4, vinter=64, vpos=16, deepstack=[0, 1], seed=11),
    # vision depth 3, taps listed out of order ([2, 0]: merger k belongs to block deepstack[k], but features are
    # injected in block order), 3 text layers, head_dim 16 in the ViT, a 6×6 position table.
    "tiny-vl-b": dict(vocab=512, hidden=64, inter=96, layers=3, heads=4, kv=1, head_dim=16, tie=False,
                      section=[4, 2, 2], vdepth=3, vheads=2, vinter=48, vpos=36, deepstack=[2, 0], seed=12),
}

# Prompts: text ids, then per image <vision_start> <image> <vision_end> with text between.
CASES = {
    "tiny-vl-a": {"one-image": ["large-200x300"], "two-images": ["small-50x70", "exact-160x96"]},
    "tiny-vl-b": {"one-image": ["odd-150x90"], "two-images": ["tie-80x208", "small-50x70"]},
}


def special_ids(vocab):
    # Same layout as scripts/make-qwen3vl-text-fixtures.py: special tokens at the top of the tiny vocabulary.
    return dict(endoftext=vocab - 8, im_start=vocab - 7, im_end=vocab - 6, vision_start=vocab - 5,
                vision_end=vocab - 4, image=vocab - 3, video=vocab - 2)


def make_image(name, h, w, rng):
    """Smooth gradients and shapes plus mild noise: compresses as PNG, still exercises every filter tap."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 128 + 100 * np.sin(x / (w / 3.1) + 0.3) * np.cos(y / (h / 2.3))
    g = 255 * (x + y) / (w + h)
    b = 128 + 120 * np.cos((x - w / 2) * (y - h / 3) / (w * h / 9))
    img = np.stack([r, g, b], -1)
    img[h // 4: h // 2, w // 5: w // 2] = [250, 20, 30]            # hard edges
    img[(h * 2) // 3:, (w * 3) // 5: (w * 4) // 5] = [10, 240, 200]
    img += rng.normal(0, 6, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def fast_resize(img, rh, rw):
    """torchvision resize(uint8, BICUBIC, antialias=True) on CPU = interpolate on the uint8 tensor."""
    t = torch.from_numpy(img).permute(2, 0, 1)[None].contiguous()
    out = F.interpolate(t, size=(rh, rw), mode="bicubic", align_corners=False, antialias=True)
    return out[0].permute(1, 2, 0).contiguous().numpy()


def fast_pixel_values(resized):
    """Rescale, normalize and patchify as transformers' Qwen2VLImageProcessor (torchvision backend)."""
    x = torch.from_numpy(resized).permute(2, 0, 1).float()[None]   # [1, 3, h, w]
    # Fused rescale+normalize (TorchvisionBackend._fuse_mean_std_and_rescale_factor): mean, std ×255 → 127.5.
    x = (x - 127.5) / 127.5
    b, c, h, w = x.shape
    gh, gw = h // PATCH, w // PATCH
    p = x.reshape(b, c, gh // MERGE, MERGE, PATCH, gw // MERGE, MERGE, PATCH).permute(0, 2, 5, 3, 6, 1, 4, 7)
    p = p.unsqueeze(6).expand(-1, -1, -1, -1, -1, -1, TEMPORAL, -1, -1)
    return p.reshape(gh * gw, c * TEMPORAL * PATCH * PATCH), (1, gh, gw)


def build_images(out):
    d = os.path.join(out, "images")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    rng = np.random.default_rng(7)
    pil_proc = Qwen2VLImageProcessorPil(patch_size=PATCH, temporal_patch_size=TEMPORAL, merge_size=MERGE,
                                        image_mean=[0.5] * 3, image_std=[0.5] * 3,
                                        size={"shortest_edge": MIN_PIXELS, "longest_edge": MAX_PIXELS})
    index, pixels = {}, {}
    for name, (h, w) in IMAGES.items():
        img = make_image(name, h, w, rng)
        img.tofile(os.path.join(d, name + ".rgb"))
        Image.fromarray(img, "RGB").save(os.path.join(d, name + ".png"), optimize=True)
        rh, rw = smart_resize(h, w, factor=PATCH * MERGE, min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS)
        resized = fast_resize(img, rh, rw) if (rh, rw) != (h, w) else img
        resized.tofile(os.path.join(d, name + ".resized.rgb"))
        pv, grid = fast_pixel_values(resized)
        pixels[name] = (pv, grid)
        # The real (PIL) processor: equal up to float rounding of its unfused rescale/normalize where nothing is
        # resampled, else within a few levels.
        ref = pil_proc(images=Image.fromarray(img, "RGB"), return_tensors="pt")
        assert tuple(ref["image_grid_thw"][0].tolist()) == grid, (name, ref["image_grid_thw"], grid)
        pil_delta = float((ref["pixel_values"] - pv).abs().max())
        if (rh, rw) == (h, w):
            assert pil_delta <= 2.5e-7, (name, pil_delta)
        pil_resized = np.asarray(Image.fromarray(img, "RGB").resize((rw, rh), Image.BICUBIC))
        level_delta = int(np.abs(pil_resized.astype(int) - resized.astype(int)).max())
        index[name] = {
            "height": h, "width": w, "resized_height": rh, "resized_width": rw, "grid_thw": list(grid),
            "min_pixels": MIN_PIXELS, "max_pixels": MAX_PIXELS,
            "max_abs_delta_vs_pil_processor": pil_delta, "max_level_delta_vs_pil_bicubic": level_delta,
            "sample_columns": SAMPLE_COLUMNS,
            "sample": pv[:, SAMPLE_COLUMNS].numpy().round(7).tolist(),
            "row_sums": pv.sum(1).double().numpy().round(5).tolist(),
        }
        print(f"image {name}: {h}x{w} -> {rh}x{rw} grid {grid}; vs PIL processor max|Δ| {pil_delta:.4f} "
              f"({level_delta} levels)", file=sys.stderr)
    with open(os.path.join(d, "index.json"), "w") as f:
        json.dump({"reference": ref_versions(), "resize": "torch interpolate uint8 bicubic antialias=True "
                   "(= torchvision resize, Qwen2VLImageProcessorFast)", "images": index}, f, indent=1)
    return pixels


def ref_versions():
    return f"transformers {__import__('transformers').__version__}, torch {torch.__version__}"


def reinit(model):
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if "norm" in pname and pname.endswith("weight"):
                p.copy_(1 + 0.05 * torch.randn_like(p))
            elif pname.endswith("bias"):
                p.copy_(0.05 * torch.randn_like(p))
            elif "embed_tokens" in pname:
                p.copy_(0.5 * torch.randn_like(p))
            elif pname == "lm_head.weight":
                p.copy_(4 * torch.randn_like(p) / p.shape[-1] ** 0.5)   # peaked: greedy not decided by rounding
            elif "pos_embed" in pname:
                p.copy_(0.5 * torch.randn_like(p))
            else:
                fan_in = p[0].numel() if p.dim() > 1 else 1
                p.copy_(torch.randn_like(p) / fan_in ** 0.5)


def make_model(name, s, out, pixels):
    torch.manual_seed(s["seed"])
    ids = special_ids(s["vocab"])
    cfg = Qwen3VLConfig(
        text_config=dict(vocab_size=s["vocab"], hidden_size=s["hidden"], intermediate_size=s["inter"],
                         num_hidden_layers=s["layers"], num_attention_heads=s["heads"],
                         num_key_value_heads=s["kv"], head_dim=s["head_dim"], rms_norm_eps=1e-6,
                         max_position_embeddings=4096, rope_theta=5e6,
                         rope_scaling={"rope_type": "default", "mrope_section": s["section"],
                                       "mrope_interleaved": True},
                         bos_token_id=None, eos_token_id=ids["im_end"], pad_token_id=ids["endoftext"]),
        vision_config=dict(depth=s["vdepth"], hidden_size=32, num_heads=s["vheads"], intermediate_size=s["vinter"],
                           patch_size=PATCH, temporal_patch_size=TEMPORAL, spatial_merge_size=MERGE,
                           out_hidden_size=s["hidden"], num_position_embeddings=s["vpos"],
                           deepstack_visual_indexes=s["deepstack"], hidden_act="gelu_pytorch_tanh", in_channels=3),
        image_token_id=ids["image"], video_token_id=ids["video"], vision_start_token_id=ids["vision_start"],
        vision_end_token_id=ids["vision_end"], tie_word_embeddings=s["tie"])
    model = Qwen3VLForConditionalGeneration(cfg).eval()
    reinit(model)

    d = os.path.join(out, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    model.save_pretrained(d, safe_serialization=True)
    with open(os.path.join(d, "preprocessor_config.json"), "w") as f:
        json.dump({"image_processor_type": "Qwen2VLImageProcessorFast", "do_resize": True, "resample": 3,
                   "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
                   "image_mean": [0.5] * 3, "image_std": [0.5] * 3, "do_convert_rgb": True,
                   "patch_size": PATCH, "temporal_patch_size": TEMPORAL, "merge_size": MERGE,
                   "size": {"shortest_edge": MIN_PIXELS, "longest_edge": MAX_PIXELS}}, f, indent=2)
    with open(os.path.join(d, "generation_config.json"), "w") as f:
        json.dump({"eos_token_id": [ids["im_end"], ids["endoftext"]], "pad_token_id": ids["endoftext"],
                   "do_sample": False}, f, indent=2)

    vis = model.model.visual
    rng = np.random.default_rng(s["seed"])
    for case, image_names in CASES[name].items():
        prompt = rng.integers(0, s["vocab"] - 8, size=3).tolist()
        for i, im in enumerate(image_names):
            prompt += [ids["vision_start"], ids["image"], ids["vision_end"]]
            prompt += rng.integers(0, s["vocab"] - 8, size=2 + i).tolist()
        # Expand each image token to the image's merged-token count, as the processor does.
        expanded, pvs, grids = [], [], []
        it = iter(image_names)
        for t in prompt:
            if t == ids["image"]:
                pv, grid = pixels[next(it)]
                pvs.append(pv)
                grids.append(grid)
                expanded += [ids["image"]] * (grid[1] * grid[2] // (MERGE * MERGE))
            else:
                expanded.append(t)
        x = torch.tensor([expanded])
        pixel_values = torch.cat(pvs, 0)
        grid_thw = torch.tensor(grids)
        mm = (x == ids["image"]).int()

        dumps = {}

        def hook(key):
            def f(_m, _inp, out):
                dumps[key] = (out[0] if isinstance(out, tuple) else out).detach().clone()
            return f

        def pre_hook(key):
            def f(_m, args, kwargs):
                dumps[key] = (args[0] if args else kwargs["hidden_states"]).detach().clone()
            return f

        handles = [vis.patch_embed.register_forward_hook(hook("patch_embed")),
                   vis.blocks[0].register_forward_pre_hook(pre_hook("embeddings"), with_kwargs=True),
                   vis.merger.register_forward_hook(hook("merger"))]
        handles += [b.register_forward_hook(hook(f"block.{i}")) for i, b in enumerate(vis.blocks)]
        handles += [m.register_forward_hook(hook(f"deepstack_merger.{k}"))
                    for k, m in enumerate(vis.deepstack_merger_list)]
        handles += [l.register_forward_hook(hook(f"decoder.{i}"))
                    for i, l in enumerate(model.model.language_model.layers)]
        with torch.no_grad():
            logits = model(input_ids=x, pixel_values=pixel_values, image_grid_thw=grid_thw,
                           mm_token_type_ids=mm).logits[0]
            pos, delta = model.model.get_rope_index(x, mm, image_grid_thw=grid_thw)
        for h in handles:
            h.remove()
        dumps["logits"] = logits
        dumps["position_ids"] = pos[:, 0].float()
        for k in list(dumps):
            if k.startswith("decoder."):
                dumps[k] = dumps[k][0]

        with torch.no_grad():
            seq = model.generate(input_ids=x, attention_mask=torch.ones_like(x), pixel_values=pixel_values,
                                 image_grid_thw=grid_thw, mm_token_type_ids=mm, max_new_tokens=GREEDY_TOKENS,
                                 min_new_tokens=GREEDY_TOKENS, do_sample=False, output_scores=True,
                                 return_dict_in_generate=True, pad_token_id=ids["endoftext"])
        greedy = seq.sequences[0, x.shape[1]:].tolist()
        # Smallest top-1/top-2 gap over the greedy steps: how far float noise is from flipping a token.
        gaps = [float((lambda v: v[0] - v[1])(torch.topk(sc[0], 2).values)) for sc in seq.scores]

        blob, index, offset = [], {}, 0
        for k, v in dumps.items():
            a = v.float().contiguous().numpy().astype("<f4")
            index[k] = {"offset": offset, "shape": list(a.shape)}
            blob.append(a.ravel())
            offset += a.size
        np.concatenate(blob).astype("<f4").tofile(os.path.join(d, case + ".f32"))
        meta = {"reference": ref_versions(), "images": image_names, "prompt": prompt, "expanded_ids": expanded,
                "grid_thw": grids, "rope_delta": int(delta[0, 0]), "greedy": greedy,
                "min_greedy_logit_gap": min(gaps), "max_abs_logit": float(logits.abs().max()), "tensors": index}
        with open(os.path.join(d, case + ".json"), "w") as f:
            json.dump(meta, f, indent=1)
        print(f"{name}/{case}: S={len(expanded)} grids {grids} rope_delta {int(delta[0, 0])} greedy {greedy} "
              f"min gap {min(gaps):.3f}", file=sys.stderr)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests",
                                                             "Qwen3VLTests", "Fixtures", "vision")
    torch.set_num_threads(1)
    os.makedirs(out, exist_ok=True)
    pixels = build_images(out)
    for name, s in MODELS.items():
        make_model(name, s, out, pixels)


if __name__ == "__main__":
    main()
