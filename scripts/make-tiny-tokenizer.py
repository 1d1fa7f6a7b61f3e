#!/usr/bin/env python3
"""Writes Tests/AgentTests/Fixtures/tiny-vl/tokenizer.json: a real Qwen byte-level BPE tokenizer cut down to
the 512-id vocabulary of the tiny random vision-language checkpoints (Tests/Qwen3VLTests/Fixtures/vision/tiny-vl-*,
written by scripts/make-vision-fixtures.py, which ship no tokenizer).

Ids 0..503 are Qwen's own first 504 tokens (the 256 byte-level tokens and the first 248 merges, each merge i
producing id 256 + i), so text is split by Qwen's real pre-tokenizer and merged by Qwen's real first merges.
Ids 504..510 are the special tokens at the positions the tiny checkpoints' config.json names:
pad/eos 504 <|endoftext|>, 505 <|im_start|>, eos 506 <|im_end|>, vision_start 507, vision_end 508,
image 509 <|image_pad|>, video 510 <|video_pad|>. Id 511 has no token.

Usage: scripts/make-tiny-tokenizer.py [QWEN_TOKENIZER_DIR]   (default: scripts/fetch-tokenizer's folder)
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "AgentTests", "Fixtures", "tiny-vl", "tokenizer.json")
VOCAB = 504
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>",
            "<|image_pad|>", "<|video_pad|>"]


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else subprocess.check_output(
        [os.path.join(ROOT, "scripts", "fetch-tokenizer")], text=True).strip()
    full = json.load(open(os.path.join(src, "tokenizer.json"), encoding="utf-8"))
    vocab = {tok: i for tok, i in full["model"]["vocab"].items() if i < VOCAB}
    assert sorted(vocab.values()) == list(range(VOCAB)), "Qwen's first ids are not contiguous"
    merges = []
    for left, right in full["model"]["merges"]:
        if left in vocab and right in vocab and (left + right) in vocab:
            merges.append([left, right])
        if vocab.get(left + right, VOCAB) == VOCAB - 1:
            break
    assert len(merges) == VOCAB - 256, f"{len(merges)} merges"
    by_content = {t["content"]: t for t in full["added_tokens"]}
    added = []
    for offset, name in enumerate(SPECIALS):
        token = dict(by_content[name])
        token["id"] = VOCAB + offset
        added.append(token)
    tiny = dict(full)
    tiny["added_tokens"] = added
    tiny["model"] = dict(full["model"], vocab=vocab, merges=merges)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(tiny, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")

    # Check it with the reference library: the specials are whole tokens, every id is below 512.
    from tokenizers import Tokenizer
    t = Tokenizer.from_file(OUT)
    ids = t.encode("<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>The task: open the Save dialog.<|im_end|>\n",
                   add_special_tokens=False).ids
    assert ids[0] == 505 and 507 in ids and 509 in ids and 508 in ids and 506 in ids, ids
    assert max(ids) < 512, ids
    print(f"wrote {OUT}: {len(vocab)} vocabulary tokens, {len(merges)} merges, {len(added)} special tokens; "
          f"sample {len(ids)} ids")


if __name__ == "__main__":
    main()
