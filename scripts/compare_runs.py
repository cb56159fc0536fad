#!/usr/bin/env python3
"""Paired difference of two runs' per-image metrics, with a bootstrap confidence interval (dev tool: needs numpy).

Each argument is a pair A:B of run folders scored on the same images (their metrics_per_image.csv). For every
pair it prints the mean of A and B and their difference; with several pairs (e.g. the same comparison under
several seeds) it also pools them, averaging each image's difference over the pairs. The interval is a 95%
percentile bootstrap over images (4000 resamples, seed 0): it covers the image sample, not training seeds.
The README's demo comparisons come from, e.g.,
  scripts/compare_runs.py runs/demo-supervised:runs/demo runs/demo:runs/demo-same
Usage: scripts/compare_runs.py [--metric attribute_accuracy] [--pool] A:B...
"""
import argparse
import sys

import numpy as np

from attributes_by_objects import per_image_rows


def load(run, metric):
    return {r["image_id"]: float(r[metric]) for r in per_image_rows(run, metric)}


def interval(d):
    rng = np.random.default_rng(0)
    means = [d[rng.integers(0, len(d), len(d))].mean() for _ in range(4000)]
    return np.percentile(means, [2.5, 97.5])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--metric", default="attribute_accuracy")
    parser.add_argument("--pool", action="store_true", help="also pool the pairs (average each image's difference)")
    parser.add_argument("pairs", nargs="+", metavar="A:B")
    args = parser.parse_args()
    diffs = []
    for pair in args.pairs:
        if pair.count(":") != 1:
            sys.exit(f"compare_runs: '{pair}' is not A:B")
        a_run, b_run = pair.split(":")
        a, b = load(a_run, args.metric), load(b_run, args.metric)
        if set(a) != set(b):
            sys.exit(f"compare_runs: {a_run} and {b_run} score different images")
        ids = sorted(a)
        d = np.array([a[i] - b[i] for i in ids])
        diffs.append(d)
        lo, hi = interval(d)
        print(f"{args.metric} {a_run} {np.mean([a[i] for i in ids]):.4f} - {b_run} {np.mean([b[i] for i in ids]):.4f}"
              f" = {d.mean():+.4f} (95% CI {lo:+.4f} to {hi:+.4f})")
    if args.pool and len(diffs) > 1:
        if len({len(d) for d in diffs}) != 1:
            sys.exit("compare_runs: the pairs score different numbers of images")
        pooled = np.mean(diffs, axis=0)
        lo, hi = interval(pooled)
        print(f"{args.metric} pooled over {len(diffs)} pairs = {pooled.mean():+.4f} (95% CI {lo:+.4f} to {hi:+.4f})")


if __name__ == "__main__":
    main()
