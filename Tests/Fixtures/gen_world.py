#!/usr/bin/env python3
"""References for the shipped world models (Experiments/world/clip and Experiments/world/gpt2, trained by
scripts/train_world.sh) from transformers: WorldCheckpointTests checks that our code loads them and gives the
same tokens, embeddings and logits (tolerance 1e-4, the issue's).

Inputs: three test-split world images (Tests/Fixtures/world/images, from `clipcap world generate --images 10000
--seed 0`: 09000-09002.png) and CAPTIONS. The images are 64 px, the CLIP's input size, so the processor only
rescales and normalizes.

Writes world/golden.json (HF tokenizers' ids: CLIPTokenizer and GPT2Tokenizer loaded from the model folders)
and world/golden.safetensors:
- pixel_values [3, 3, 64, 64] (CLIPImageProcessor), image_embeds [3, P] (get_image_features),
- clip_input_ids [C, T] (padded with the pad token), text_embeds [C, P] (get_text_features),
- logits_per_image [3, C] (CLIPModel forward: exp(logit_scale) · cosine),
- gpt2_input_ids [C, L] (<|endoftext|> + caption ids, right-padded with <|endoftext|>), gpt2_logits [C, L, V].
"""
import json
import os

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file
from transformers import CLIPImageProcessor, CLIPModel, CLIPTokenizer, GPT2LMHeadModel, GPT2Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "world")
IMAGES = ["09000.png", "09001.png", "09002.png"]
CAPTIONS = [
    "a blue triangle to the right of a green diamond",
    "an image of a large yellow hexagon to the left of a blue star",
    "there is a red triangle, and a big blue rhombus over it",
    "A Small PURPLE circle",
]


def main():
    clip_dir = os.path.join(REPO, "Experiments/world/clip")
    gpt2_dir = os.path.join(REPO, "Experiments/world/gpt2")
    clip = CLIPModel.from_pretrained(clip_dir).eval()
    processor = CLIPImageProcessor.from_pretrained(clip_dir)
    clip_tok = CLIPTokenizer.from_pretrained(clip_dir)
    gpt2 = GPT2LMHeadModel.from_pretrained(gpt2_dir).eval()
    gpt2_tok = GPT2Tokenizer.from_pretrained(gpt2_dir)

    images = [Image.open(os.path.join(OUT, "images", name)).convert("RGB") for name in IMAGES]
    pixels = processor(images=images, return_tensors="pt")["pixel_values"]
    clip_ids = [clip_tok(c)["input_ids"] for c in CAPTIONS]
    gpt2_ids = [gpt2_tok(c)["input_ids"] for c in CAPTIONS]
    pad = clip_tok.pad_token_id
    t = max(map(len, clip_ids))
    clip_batch = torch.tensor([ids + [pad] * (t - len(ids)) for ids in clip_ids])
    eos = gpt2_tok.eos_token_id
    rows = [[eos] + ids for ids in gpt2_ids]
    length = max(map(len, rows))
    gpt2_batch = torch.tensor([r + [eos] * (length - len(r)) for r in rows])
    with torch.no_grad():
        out = clip(input_ids=clip_batch, pixel_values=pixels)
        image_embeds = clip.get_image_features(pixel_values=pixels)
        text_embeds = clip.get_text_features(input_ids=clip_batch)
        logits = gpt2(input_ids=gpt2_batch).logits
    if not torch.is_tensor(image_embeds):  # transformers 5 may return a model output
        image_embeds, text_embeds = image_embeds.pooler_output, text_embeds.pooler_output
    tensors = {
        "pixel_values": pixels.float().contiguous(),
        "image_embeds": image_embeds.float().contiguous(),
        "clip_input_ids": clip_batch.to(torch.int64).contiguous(),
        "text_embeds": text_embeds.float().contiguous(),
        "logits_per_image": out.logits_per_image.float().contiguous(),
        "gpt2_input_ids": gpt2_batch.to(torch.int64).contiguous(),
        "gpt2_logits": logits.float().contiguous(),
    }
    save_file(tensors, os.path.join(OUT, "golden.safetensors"))
    with open(os.path.join(OUT, "golden.json"), "w") as f:
        json.dump({"images": IMAGES, "captions": CAPTIONS, "clip_ids": clip_ids, "gpt2_ids": gpt2_ids,
                   "logit_scale": float(clip.logit_scale.detach().exp())}, f, indent=1)
    print(f"world: {len(IMAGES)} images, {len(CAPTIONS)} captions; |gpt2 logits| max {logits.abs().max():.2f}")


if __name__ == "__main__":
    main()
