#!/usr/bin/env python3
"""Writes the tiny random-weight fixture set in Experiments/demo that tests run the pipeline on (RunnerTests,
the CLI tests; dev-only: torch + transformers + pillow). The README's main job runs on the trained built-in
world instead (Experiments/demo.yaml, Experiments/world).

    python3 Experiments/demo/make_demo.py

- captions.txt: simple scene captions, 5 per image.
- dataset.json: the same captions as a Karpathy-split JSON (images 0-5 train, 6-7 test), for training,
  decoding and scoring by image_id.
- images/: a few rendered shape images (PNG and JPEG).
- clip/: a small CLIP in HF layout (config.json, model.safetensors, vocab.json, merges.txt,
  preprocessor_config.json) with SEEDED RANDOM weights and a CLIP-format BPE vocabulary learned from
  captions.txt. Its embeddings exercise the whole pipeline but carry no meaning (the trained world CLIP is
  Experiments/world/clip).
- gpt2/: a small GPT-2 in HF layout (config.json, model.safetensors, vocab.json, merges.txt) with SEEDED
  RANDOM weights and a GPT-2-format byte-level BPE vocabulary learned from captions.txt, ending in
  <|endoftext|>. `python3 Experiments/demo/make_demo.py gpt2` rewrites only this folder.
"""
import collections
import json
import os
import random
import sys

import regex
import torch
from PIL import Image, ImageDraw
from transformers import CLIPConfig, CLIPModel, CLIPTokenizer, GPT2Config, GPT2LMHeadModel, GPT2Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
COLORS = {"red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 70, 220), "yellow": (230, 210, 40)}
SHAPES = ["circle", "square", "triangle"]


def bytes_to_unicode():
    """CLIP's (and GPT-2's) reversible byte → printable character map, as (bytes, chars) in vocab order."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return bs, [chr(c) for c in cs]


def learn_bpe(words, merges_wanted, suffix="</w>"):
    """Plain BPE over words, the last symbol marked with `suffix` (CLIP's "</w>"; GPT-2 uses none)."""
    vocab = collections.Counter()
    for w in words:
        vocab[tuple(w[:-1]) + (w[-1] + suffix,)] += 1
    merges = []
    for _ in range(merges_wanted):
        pairs = collections.Counter()
        for word, f in vocab.items():
            for a, b in zip(word, word[1:]):
                pairs[(a, b)] += f
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merges.append(best)
        merged = collections.Counter()
        for word, f in vocab.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1]); i += 2
                else:
                    out.append(word[i]); i += 1
            merged[tuple(out)] += f
        vocab = merged
    return merges


GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def make_gpt2(captions):
    """A small random-weight GPT-2 with a byte-level BPE learned from the captions (GPT-2's own format)."""
    gpt2_dir = os.path.join(HERE, "gpt2")
    os.makedirs(gpt2_dir, exist_ok=True)
    byte_values, byte_chars = bytes_to_unicode()
    b2u = dict(zip(byte_values, byte_chars))
    words = ["".join(b2u[b] for b in w.encode("utf-8")) for c in captions for w in regex.findall(GPT2_PATTERN, c)]
    merges = learn_bpe(words, 150, suffix="")
    vocab = byte_chars + ["".join(m) for m in merges] + ["<|endoftext|>"]
    with open(os.path.join(gpt2_dir, "vocab.json"), "w") as f:
        json.dump({t: i for i, t in enumerate(vocab)}, f, ensure_ascii=False)
    with open(os.path.join(gpt2_dir, "merges.txt"), "w") as f:
        f.write("#version: 0.2\n" + "\n".join(" ".join(m) for m in merges) + "\n")
    torch.manual_seed(1)
    eos = len(vocab) - 1
    cfg = GPT2Config(vocab_size=len(vocab), n_positions=128, n_embd=64, n_layer=2, n_head=4,
                     bos_token_id=eos, eos_token_id=eos)
    GPT2LMHeadModel(cfg).eval().save_pretrained(gpt2_dir, safe_serialization=True)
    tok = GPT2Tokenizer(os.path.join(gpt2_dir, "vocab.json"), os.path.join(gpt2_dir, "merges.txt"))
    print("demo GPT-2 tokenizer check:", captions[0], "->", tok(captions[0])["input_ids"])
    print(f"wrote a {len(vocab)}-token random-weight GPT-2 to {gpt2_dir}")


def write_dataset(captions):
    """Karpathy-split JSON over images/ and captions.txt (5 captions per image, in order)."""
    names = sorted(os.listdir(os.path.join(HERE, "images")))
    images = []
    for i, name in enumerate(names):
        sentences = [{"raw": c, "tokens": c.lower().strip(".!").replace(",", "").split(), "imgid": i, "sentid": 5 * i + k}
                     for k, c in enumerate(captions[5 * i:5 * i + 5])]
        images.append({"filepath": "images", "filename": name, "imgid": i, "split": "train" if i < 6 else "test",
                       "sentids": [s["sentid"] for s in sentences], "sentences": sentences})
    with open(os.path.join(HERE, "dataset.json"), "w") as f:
        json.dump({"dataset": "demo", "images": images}, f, indent=1)


def main():
    if sys.argv[1:] == ["dataset"]:
        with open(os.path.join(HERE, "captions.txt")) as f:
            write_dataset(f.read().splitlines())
        return
    if sys.argv[1:] == ["gpt2"]:
        with open(os.path.join(HERE, "captions.txt")) as f:
            make_gpt2(f.read().splitlines())
        return
    rng = random.Random(0)
    os.makedirs(os.path.join(HERE, "images"), exist_ok=True)
    captions = []
    for i in range(8):
        color, shape = rng.choice(list(COLORS)), rng.choice(SHAPES)
        bg = tuple(rng.randint(200, 255) for _ in range(3))
        size = rng.choice([96, 128])
        img = Image.new("RGB", (size + 32 * (i % 2), size), bg)
        d = ImageDraw.Draw(img)
        x0, y0 = rng.randint(8, 30), rng.randint(8, 30)
        box = (x0, y0, x0 + size // 2, y0 + size // 2)
        if shape == "circle":
            d.ellipse(box, fill=COLORS[color])
        elif shape == "square":
            d.rectangle(box, fill=COLORS[color])
        else:
            d.polygon([(box[0], box[3]), (box[2], box[3]), ((box[0] + box[2]) // 2, box[1])], fill=COLORS[color])
        ext = "png" if i % 2 == 0 else "jpg"
        img.save(os.path.join(HERE, "images", f"shape_{i:02d}.{ext}"), quality=92)
        captions += [f"a {color} {shape} on a plain background.", f"A {shape} that is {color}.",
                     f"a picture of one {color} {shape}", f"There is a {color} {shape} in the image!",
                     f"{color} {shape}, drawn simply"]
    with open(os.path.join(HERE, "captions.txt"), "w") as f:
        f.write("\n".join(captions) + "\n")
    write_dataset(captions)

    # CLIP-format BPE vocabulary learned from the captions
    clip_dir = os.path.join(HERE, "clip")
    os.makedirs(clip_dir, exist_ok=True)
    byte_values, byte_chars = bytes_to_unicode()
    b2u = dict(zip(byte_values, byte_chars))
    words = []
    for c in captions:
        for w in c.lower().replace(",", " ,").replace(".", " .").replace("!", " !").split():
            words.append("".join(b2u[b] for b in w.encode("utf-8")))
    merges = learn_bpe(words, 200)
    vocab = byte_chars + [c + "</w>" for c in byte_chars] + ["".join(m) for m in merges] + ["<|startoftext|>", "<|endoftext|>"]
    with open(os.path.join(clip_dir, "vocab.json"), "w") as f:
        json.dump({t: i for i, t in enumerate(vocab)}, f, ensure_ascii=False)
    with open(os.path.join(clip_dir, "merges.txt"), "w") as f:
        f.write("#version: 0.2\n" + "\n".join(" ".join(m) for m in merges) + "\n")

    torch.manual_seed(0)
    cfg = CLIPConfig(
        text_config=dict(hidden_size=64, intermediate_size=128, num_attention_heads=4, num_hidden_layers=2,
                         max_position_embeddings=77, vocab_size=len(vocab), eos_token_id=len(vocab) - 1,
                         bos_token_id=len(vocab) - 2, pad_token_id=len(vocab) - 1),
        vision_config=dict(hidden_size=64, intermediate_size=128, num_attention_heads=4, num_hidden_layers=2,
                           image_size=64, patch_size=16),
        projection_dim=32)
    CLIPModel(cfg).eval().save_pretrained(clip_dir, safe_serialization=True)
    with open(os.path.join(clip_dir, "preprocessor_config.json"), "w") as f:
        json.dump({"crop_size": {"height": 64, "width": 64}, "do_center_crop": True, "do_convert_rgb": True,
                   "do_normalize": True, "do_rescale": True, "do_resize": True,
                   "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
                   "image_processor_type": "CLIPImageProcessor", "resample": 3, "rescale_factor": 0.00392156862745098,
                   "size": {"shortest_edge": 64}}, f, indent=2)
    tok = CLIPTokenizer(os.path.join(clip_dir, "vocab.json"), os.path.join(clip_dir, "merges.txt"))
    print("demo tokenizer check:", captions[0], "->", tok(captions[0])["input_ids"])
    print(f"wrote {len(captions)} captions, 8 images, and a {len(vocab)}-token random-weight CLIP to {HERE}")
    make_gpt2(captions)


if __name__ == "__main__":
    main()
