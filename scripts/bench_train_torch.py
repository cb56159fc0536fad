#!/usr/bin/env python3
"""PyTorch twin of `clipcap bench train`: one full ClipCap optimizer step (forward, backward, AdamW step),
timed the same way, printing the same JSON fields.

Official ClipCap semantics (rmokady/CLIP_prefix_caption, train.py): GPT2LMHeadModel (GPT-2 small, seeded random
weights, nothing downloaded) fed inputs_embeds = [mapper(clip); wte(caption)], the mapper with the
official module names (gen_clipcap.py's restatement), AdamW (eps 1e-6 as DESIGN §5, torch.optim.AdamW), zero_grad/backward/step per batch.
The loss is DESIGN §5's: the logit at prefix_length-1+j predicts caption token j, EOS appended, mean CE.
  mlp-finetune:        MLP mapper (512 -> 3840 -> 7680) + fine-tuned GPT-2 (everything trained)
  transformer-frozen:  Transformer mapper (8 layers, clip_length 10) + frozen GPT-2 (requires_grad False: it
                       still backpropagates to the prefix but computes no weight gradient, as ours)
Batch 8, prefix_length 10, prefix_size 512, captions of 20 tokens + EOS. Dropout is off (eval mode) because our
trainer has none; everything else is the official step. Each variant is best run in its own process
(--variant) so that peak_rss_mb is its own.

Dev-only: needs torch + transformers.
    python3 scripts/bench_train_torch.py [--variant mlp-finetune] [--n 5]
Compare ratios measured in one session on one machine, never absolute times (DESIGN §7).
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from transformers import GPT2Config, GPT2LMHeadModel
from transformers.utils import logging

# the official mapper modules, restated once for the fixtures (Tests/Fixtures/gen_clipcap.py)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures"))
from gen_clipcap import MLP, TransformerMapper  # noqa: E402


def measure(variant, batch, prefix_length, tokens, n, warmup, seed):
    torch.manual_seed(seed)
    gpt = GPT2LMHeadModel(GPT2Config()).eval()   # GPT-2 small, random weights, no dropout
    d = gpt.config.n_embd
    if variant == "mlp-finetune":
        mapper = MLP((512, prefix_length * d // 2, prefix_length * d))
        params = list(mapper.parameters()) + list(gpt.parameters())
    else:
        mapper = TransformerMapper(512, d, prefix_length, 10, 8)
        gpt.requires_grad_(False)
        params = list(mapper.parameters())
    opt = torch.optim.AdamW(params, lr=2e-5, eps=1e-6)
    g = torch.Generator().manual_seed(seed + 1)
    clip = torch.randn(batch, 512, generator=g)
    eos = gpt.config.eos_token_id
    caption = torch.randint(0, eos, (batch, tokens), generator=g)
    labels = torch.cat((caption, torch.full((batch, 1), eos)), dim=1)   # caption + EOS: tokens + 1 targets

    def step():
        opt.zero_grad()
        prefix = mapper(clip).view(batch, prefix_length, d)
        emb = torch.cat((prefix, gpt.transformer.wte(caption)), dim=1)   # ClipCaptionModel.forward
        logits = gpt(inputs_embeds=emb).logits[:, prefix_length - 1:]
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.flatten())
        loss.backward()
        opt.step()
        return loss.item()

    times, losses = [], []
    for i in range(warmup + n):
        t0 = time.perf_counter()
        losses.append(step())
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return {
        "kind": "train", "config": "gpt2", "impl": "pytorch", "variant": variant,
        "mapper": variant.split("-")[0], "gpt2_mode": variant.split("-")[1], "batch": batch,
        "prefix_length": prefix_length, "prefix_size": 512, "tokens": tokens, "n": n,
        "min_s": min(times), "median_s": statistics.median(times), "max_s": max(times),
        "first_loss": losses[0], "last_loss": losses[-1],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "threads": torch.get_num_threads(),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", nargs="+", default=["mlp-finetune", "transformer-frozen"])
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--prefix-length", type=int, default=10)
    ap.add_argument("--tokens", type=int, default=20, help="caption tokens before the appended EOS")
    ap.add_argument("--n", type=int, default=5, help="timed repetitions")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = ap.parse_args()
    logging.set_verbosity_error()
    if args.threads:
        torch.set_num_threads(args.threads)
    for variant in args.variant:
        record = measure(variant, args.batch, args.prefix_length, args.tokens, args.n, args.warmup, args.seed)
        print(json.dumps(record, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
