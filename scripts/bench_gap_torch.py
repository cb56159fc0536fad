#!/usr/bin/env python3
"""Python twin of `clipcap bench ot|svd` (GapAnalysis.GapBenchmark), dev-only: numpy, POT, safetensors.

    pip install numpy POT safetensors
    python3 scripts/bench_gap_torch.py ot  --n 2000 --dimension 512 --json
    python3 scripts/bench_gap_torch.py svd --n 2000 --dimension 512 --json

The clouds are GapBenchmark.syntheticClouds' bit for bit (the SeededRNG replica in gen_gap.py), normalized
as Swift normalizes them, so the OT cost printed here equals the Swift one. Timed like the Swift side:
  ot   the cost matrix (ot.dist) plus POT's exact network simplex ot.emd with uniform weights;
  svd  numpy.linalg.svd(full_matrices=False) of the centered [N, D] image cloud (LAPACK gesdd; U, s, Vᵀ);
       with --svd-route gram, what `clipcap bench svd` computes instead (s and V only): numpy.linalg.eigh of
       XᵀX in float64, for a like-for-like comparison of the algorithm.
Prints one JSON object per measurement with kind, config, batch, n, min_s, median_s, max_s, peak_rss_mb.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import numpy as np
import ot

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "Tests", "Fixtures"))
from gen_gap import cost_matrix, normalize32, synthetic_clouds  # noqa: E402


def measure(body, repetitions, warmup):
    for _ in range(warmup):
        body()
    times = []
    for _ in range(repetitions):
        t0 = time.perf_counter()
        body()
        times.append(time.perf_counter() - t0)
    return times


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=["ot", "svd"])
    p.add_argument("--n", type=int, default=2000, help="rows of the image cloud")
    p.add_argument("--m", type=int, default=None, help="rows of the text cloud (ot; default: n)")
    p.add_argument("--dimension", type=int, default=512)
    p.add_argument("--cost", default="euclidean", choices=["euclidean", "sqeuclidean", "cosine"])
    p.add_argument("--repetitions", type=int, default=None, help="timed runs (default 3 for ot, 5 for svd)")
    p.add_argument("--warmup", type=int, default=None, help="untimed runs first (default 0 for ot, 1 for svd)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--svd-route", choices=["full", "gram"], default="full",
                   help="svd: numpy.linalg.svd (full, the reference) or eigh of the float64 Gram matrix")
    p.add_argument("--json", action="store_true", help="accepted for symmetry with clipcap bench (JSON is the only output)")
    a = p.parse_args()

    n, m, d = a.n, a.m or a.n, a.dimension
    record = {"impl": "pot" if a.kind == "ot" else "numpy", "kind": a.kind, "batch": n,
              "threads": os.cpu_count()}
    if a.kind == "ot":
        image, text = synthetic_clouds(n, m, d, seed=a.seed)
        x, y = normalize32(image), normalize32(text)
        wa, wb = np.ones(n) / n, np.ones(m) / m
        result = {}

        def body():
            cost = cost_matrix(x, y, a.cost)
            plan = ot.emd(wa, wb, cost, numItermax=100_000_000)
            result["cost"] = float((plan * cost).sum())

        times = measure(body, a.repetitions or 3, a.warmup if a.warmup is not None else 0)
        record.update(config=f"n{n}x{m}-d{d}-{a.cost}", cost=result["cost"])
    else:
        image, _ = synthetic_clouds(n, 1, d, seed=a.seed)
        x = normalize32(image)
        centered = x - x.mean(0)
        if a.svd_route == "gram":
            centered64 = centered.astype(np.float64)
            body = lambda: np.linalg.eigh(centered64.T @ centered64)  # noqa: E731
        else:
            body = lambda: np.linalg.svd(centered, full_matrices=False)  # noqa: E731
        times = measure(body, a.repetitions or 5, a.warmup if a.warmup is not None else 1)
        record.update(config=f"n{n}-d{d}-f64", route=a.svd_route)
    record.update(n=len(times), min_s=min(times), median_s=statistics.median(times), max_s=max(times),
                  peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(record, sort_keys=True))


if __name__ == "__main__":
    main()
