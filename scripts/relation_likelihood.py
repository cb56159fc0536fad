#!/usr/bin/env python3
"""Does a trained world captioner prefer the true relation? (dev tool: needs torch, transformers, numpy, safetensors)

For a run of `clipcap run` with an MLP mapper and a fine-tuned GPT-2 (e.g. runs/demo-supervised), loads the
checkpoint (checkpoints/best) into transformers' GPT2LMHeadModel, maps each test image's CLIP image embedding
(the run's embeddings/eval_image) through the mapper, and scores every reference caption of the two- and
three-object test images teacher-forced against its swapped copy: the first two objects it names trade
places ("a red circle to the left of a blue square" → "a blue square to the left of a red circle"), so the
copy keeps the caption's form and is false of the image. Prints, per object count, the share of captions
whose log-likelihood beats the swapped copy's (0.5: the captioner ignores which object is where). This
separates "not learned" from "learned but not decoded". (Swapping the relation word instead is no test on
the current world: the result breaks its order of mention, which the captioner rejects on form alone.)
Usage: scripts/relation_likelihood.py [--world data/world] RUN_DIR...
"""
import argparse
import hashlib
import json
import re
import sys

import numpy as np
import torch
from safetensors.numpy import load_file
from transformers import GPT2Config, GPT2LMHeadModel, GPT2TokenizerFast

COLOURS = ["red", "crimson", "orange", "yellow", "green", "blue", "purple", "violet", "white", "black"]
SHAPES = ["circle", "disk", "disc", "square", "box", "triangle", "star", "hexagon", "diamond", "rhombus"]
OBJECT = re.compile(r"\b(?:" + "|".join(COLOURS) + r") (?:" + "|".join(SHAPES) + r")\b")


def swapped(caption):
    """The caption with its first two "colour shape" mentions exchanged (None with fewer than two)."""
    found = list(OBJECT.finditer(caption))[:2]
    if len(found) < 2:
        return None
    (a, b) = found
    return caption[:a.start()] + b.group(0) + caption[a.end():b.start()] + a.group(0) + caption[b.end():]


def score(run, world):
    checkpoint = f"{run}/checkpoints/best"
    config = json.load(open(f"{checkpoint}/clipcap.json"))
    if config.get("mapper") != "mlp" or config.get("gpt2_mode") != "finetune":
        sys.exit(f"relation_likelihood: {run} is not an MLP mapper with a fine-tuned GPT-2")
    weights = load_file(f"{checkpoint}/model.safetensors")
    gpt2_dir = config["gpt2"]
    # the tokenizer is read from the GPT-2 folder the run names; a folder replaced since (a retrained world
    # GPT-2 comes with a new vocabulary) would score with the wrong tokens
    try:
        recorded = json.load(open(f"{run}/provenance.json")).get("model_files", {}).get("gpt2", "").rsplit(" ", 1)[-1]
    except (OSError, ValueError) as error:
        sys.exit(f"relation_likelihood: cannot read {run}/provenance.json: {error}")
    current = hashlib.sha256(open(f"{gpt2_dir}/model.safetensors", "rb").read()).hexdigest()
    if recorded != current:
        sys.exit(f"relation_likelihood: {gpt2_dir} has changed since {run} was trained (sha256 {current[:12]}, "
                 f"provenance.json: {recorded[:12] or 'none'}); its tokenizer may not be the run's")
    model = GPT2LMHeadModel(GPT2Config.from_pretrained(gpt2_dir)).eval()
    model.load_state_dict({k[4:]: torch.tensor(v) for k, v in weights.items() if k.startswith("gpt.")}, strict=False)
    tokenizer = GPT2TokenizerFast(f"{gpt2_dir}/vocab.json", f"{gpt2_dir}/merges.txt")
    eos = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    w0, b0, w2, b2 = (torch.tensor(weights[f"clip_project.model.{k}"]) for k in ("0.weight", "0.bias", "2.weight", "2.bias"))
    prefix_length, width = config["prefix_length"], model.config.n_embd
    embeddings = torch.tensor(load_file(f"{run}/embeddings/eval_image.safetensors")["embeddings"])
    if config.get("normalize_prefix"):
        embeddings = embeddings / embeddings.norm(dim=1, keepdim=True)
    rows = [json.loads(line) for line in open(f"{run}/embeddings/eval_image.jsonl")]
    truth = {i["imgid"]: i for i in json.load(open(f"{world}/attributes.json"))["images"]}
    captions = {i["imgid"]: [s["raw"] for s in i["sentences"]] for i in json.load(open(f"{world}/dataset.json"))["images"]}

    def likelihood(prefix, caption):
        ids = tokenizer.encode(caption) + [eos]
        x = torch.cat([prefix, model.transformer.wte(torch.tensor(ids))], 0)[None]
        logp = model(inputs_embeds=x).logits[0, prefix_length - 1:-1].log_softmax(-1)
        return logp[torch.arange(len(ids)), torch.tensor(ids)].sum().item()

    wins = {2: [], 3: []}
    with torch.no_grad():
        for row, e in zip(rows, embeddings):
            n = len(truth[row["image_id"]]["objects"])
            if n < 2:
                continue
            prefix = (w2 @ torch.tanh(w0 @ e + b0) + b2).view(prefix_length, width)
            for c in captions[row["image_id"]]:
                false = swapped(c)
                if false is not None and false != c:   # two objects that look alike say nothing here
                    wins[n].append(likelihood(prefix, c) > likelihood(prefix, false))
    for n in (2, 3):
        print(json.dumps({"run": run, "objects": n, "true_over_swapped": round(float(np.mean(wins[n])), 3), "captions": len(wins[n])}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--world", default="data/world")
    parser.add_argument("runs", nargs="+")
    args = parser.parse_args()
    for run in args.runs:
        score(run, args.world)


if __name__ == "__main__":
    main()
