#!/usr/bin/env python3
"""PyTorch twin of `clipcap bench decode` (Decoding's `DecodeBenchmark`): the same settings, timed the same way.

GPT-2 small (transformers' GPT2LMHeadModel with seeded random weights, nothing downloaded), a prefix of 10
random vectors per row fed as `inputs_embeds`, then `generate` with a KV cache for exactly 20 new tokens
(`min_new_tokens` = `max_new_tokens`, as our benchmark decodes with no stop token): greedy and beam search
with 5 beams, batch 1 and 32. Prints one JSON object per measurement with kind, config, impl, strategy,
batch, prefix_length, new_tokens, n, min_s, median_s, max_s, tokens_per_s, peak_rss_mb, threads.

Dev-only: needs torch + transformers.
    python3 scripts/bench_decode_torch.py [--batch 1 32] [--strategy greedy beam-5] [--n 3]
Compare ratios measured in one session on one machine, never absolute times (DESIGN §7).
"""
import argparse
import json
import resource
import statistics
import time

import torch
from transformers import GPT2Config, GPT2LMHeadModel
from transformers.utils import logging


def measure(model, strategy, batch, prefix_length, new_tokens, n, warmup, seed):
    g = torch.Generator().manual_seed(seed + 1)
    prefix = torch.randn(batch, prefix_length, model.config.n_embd, generator=g) * 0.02
    beams = 1 if strategy == "greedy" else int(strategy.split("-")[1])
    kwargs = dict(inputs_embeds=prefix, attention_mask=torch.ones(batch, prefix_length, dtype=torch.long),
                  max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False, num_beams=beams,
                  num_return_sequences=1, length_penalty=1.0, use_cache=True,
                  eos_token_id=model.config.eos_token_id, pad_token_id=model.config.eos_token_id)
    times = []
    with torch.inference_mode():
        for i in range(warmup + n):
            t0 = time.perf_counter()
            out = model.generate(**kwargs)
            elapsed = time.perf_counter() - t0
            assert out.shape == (batch, new_tokens), out.shape
            if i >= warmup:
                times.append(elapsed)
    median = statistics.median(times)
    return {
        "kind": "decode", "config": "gpt2", "impl": "pytorch", "strategy": strategy, "batch": batch,
        "prefix_length": prefix_length, "new_tokens": new_tokens, "n": n,
        "min_s": min(times), "median_s": median, "max_s": max(times),
        "tokens_per_s": batch * new_tokens / median,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "threads": torch.get_num_threads(),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 32])
    ap.add_argument("--strategy", nargs="+", default=["greedy", "beam-5"])
    ap.add_argument("--prefix-length", type=int, default=10)
    ap.add_argument("--new-tokens", type=int, default=20)
    ap.add_argument("--n", type=int, default=3, help="timed repetitions")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = ap.parse_args()
    logging.set_verbosity_error()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = GPT2LMHeadModel(GPT2Config()).eval()   # GPT-2 small, random weights
    for strategy in args.strategy:
        for batch in args.batch:
            record = measure(model, strategy, batch, args.prefix_length, args.new_tokens, args.n, args.warmup, args.seed)
            print(json.dumps(record, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
