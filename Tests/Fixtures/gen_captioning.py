#!/usr/bin/env python3
"""End-to-end captioning golden: demo images → HF CLIP → official MLP mapper → HF GPT-2 greedy generate → text.

- tiny-clipcap-demo/: an MLP-mapper ClipCap checkpoint (official names) over the demo CLIP (projection 32)
  and a fine-tuned copy of the demo GPT-2 (its weights randomized at a larger scale, stored as gpt.*, so
  that captions depend on the image; clipcap.json points at Experiments/demo/gpt2 for the config and the
  tokenizer), normalize_prefix on, stop rule eos.
- captioning/golden.json: for each demo image, transformers' greedy captions (token ids and text) without and
  with the start words "a red", max 20 new tokens, and the smallest top-1/top-2 logit margin on each path
  (images whose margin is below 1e-4 are left out, so float32 differences cannot flip a token).

Used by clipcapTests: `clipcap caption --greedy` and `clipcap embed image` + `clipcap decode --greedy` must
print exactly these captions.
"""
import glob
import json
import os

import torch
from PIL import Image
from safetensors.torch import save_file
from transformers import CLIPImageProcessor, CLIPModel, GPT2LMHeadModel, GPT2Tokenizer

from gen_clipcap import MLP, randomize

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DEMO = os.path.join(ROOT, "Experiments", "demo")
PREFIX_LENGTH = 4
MAX_NEW = 20
START = "a red"
# Unicode White_Space (what Swift's .whitespacesAndNewlines trims); Python's str.strip() also trims
# U+001C...U+001F, which random byte-level captions do produce.
WHITE_SPACE = "".join(map(chr, [*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029,
                               0x202F, 0x205F, 0x3000]))
MARGIN = 1e-4   # logits here are O(0.1) (GPT-2 init); ours match HF to ~1e-6


@torch.no_grad()
def greedy(gpt, prefix, start_ids, eos):
    """transformers' generate (greedy, KV cache) from [prefix; start embeddings], cut after the first eos,
    plus the smallest top-1 − top-2 logit margin along the path (recomputed without the cache)."""
    x = prefix[None]
    if start_ids:
        x = torch.cat([x, gpt.transformer.wte(torch.tensor([start_ids]))], dim=1)
    out = gpt.generate(inputs_embeds=x, attention_mask=torch.ones(x.shape[:2], dtype=torch.long),
                       max_new_tokens=MAX_NEW, do_sample=False, num_beams=1, eos_token_id=eos, pad_token_id=eos)[0].tolist()
    tokens = []
    for t in out:
        tokens.append(t)
        if t == eos:
            break
    margin, y = float("inf"), x
    for t in tokens:
        top = gpt(inputs_embeds=y).logits[0, -1].topk(2).values
        margin = min(margin, float(top[0] - top[1]))
        y = torch.cat([y, gpt.transformer.wte(torch.tensor([[t]]))], dim=1)
    return start_ids + tokens, margin


def main():
    clip = CLIPModel.from_pretrained(os.path.join(DEMO, "clip")).eval()
    processor = CLIPImageProcessor.from_pretrained(os.path.join(DEMO, "clip"))
    gpt = GPT2LMHeadModel.from_pretrained(os.path.join(DEMO, "gpt2")).eval()
    tok = GPT2Tokenizer(os.path.join(DEMO, "gpt2", "vocab.json"), os.path.join(DEMO, "gpt2", "merges.txt"))
    eos = tok.convert_tokens_to_ids("<|endoftext|>")
    d, c = clip.config.projection_dim, gpt.config.n_embd

    # The MLP mapper, scaled up so its prefixes are not all alike (PyTorch's default init gives tiny outputs).
    torch.manual_seed(7)
    mapper = MLP((d, PREFIX_LENGTH * c // 2, PREFIX_LENGTH * c)).eval()
    with torch.no_grad():
        for p in mapper.parameters():
            p.mul_(4.0)
    randomize(gpt, scale=0.3)
    state = {f"clip_project.{k}": v.detach().clone().contiguous() for k, v in mapper.state_dict().items()}
    for k, v in gpt.state_dict().items():
        if k.startswith("transformer.") and not k.endswith(".attn.bias") and not k.endswith(".attn.masked_bias"):
            state[f"gpt.{k}"] = v.detach().clone().contiguous()
    state["gpt.lm_head.weight"] = gpt.lm_head.weight.detach().clone().contiguous()
    folder = os.path.join(HERE, "tiny-clipcap-demo")
    os.makedirs(folder, exist_ok=True)
    save_file(state, os.path.join(folder, "model.safetensors"))
    config = {"mapper": "mlp", "prefix_size": d, "prefix_length": PREFIX_LENGTH, "normalize_prefix": True,
              "gpt2_mode": "finetune", "gpt2": "../../../Experiments/demo/gpt2", "clip": "../../../Experiments/demo/clip",
              "stop": "eos", "seed": 7}
    with open(os.path.join(folder, "clipcap.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)

    paths = sorted(glob.glob(os.path.join(DEMO, "images", "*")))
    images = [Image.open(p).convert("RGB") for p in paths]
    with torch.no_grad():
        pixels = processor(images=images, return_tensors="pt")["pixel_values"]
        v = clip.get_image_features(pixel_values=pixels)
        v = v if torch.is_tensor(v) else v.pooler_output
        x = v / v.norm(2, -1, keepdim=True)
        prefixes = mapper(x).view(-1, PREFIX_LENGTH, c)
    start_ids = tok.encode(START)
    entries = []
    for path, prefix in zip(paths, prefixes):
        plain, m1 = greedy(gpt, prefix, [], eos)
        started, m2 = greedy(gpt, prefix, start_ids, eos)
        if min(m1, m2) <= MARGIN:
            print(f"left out {path}: greedy margin {min(m1, m2):.2e}")
            continue
        entries.append({"image": os.path.relpath(path, ROOT), "tokens": plain, "caption": tok.decode(plain, skip_special_tokens=True).strip(WHITE_SPACE),
                        "start_tokens": started, "start_caption": tok.decode(started, skip_special_tokens=True).strip(WHITE_SPACE),
                        "margin": min(m1, m2)})
    assert len(entries) >= 4, "too few images with a stable greedy path"
    os.makedirs(os.path.join(HERE, "captioning"), exist_ok=True)
    with open(os.path.join(HERE, "captioning", "golden.json"), "w") as f:
        json.dump({"max_new_tokens": MAX_NEW, "start": START, "images": entries}, f, indent=1, ensure_ascii=False)
    print(f"wrote tiny-clipcap-demo and {len(entries)} golden captions")


if __name__ == "__main__":
    main()
