#!/usr/bin/env python3
"""pycocoevalcap's Python scorers (BLEU-4, ROUGE-L, CIDEr-D) on the corpus `clipcap bench evaluate --corpus FILE`
wrote, already tokenized (the Java PTB tokenizer is left out on both sides). Prints JSON like `clipcap bench`.

    .build/release/clipcap bench evaluate --corpus /tmp/corpus.json --json
    python3 scripts/bench_evaluate_py.py /tmp/corpus.json --n 5
"""
import argparse
import json
import resource
import statistics
import time

from pycocoevalcap.bleu.bleu import Bleu
from pycocoevalcap.cider.cider import Cider
from pycocoevalcap.rouge.rouge import Rouge


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    args = ap.parse_args()
    with open(args.corpus) as f:
        data = json.load(f)
    gts, res = data["gts"], data["res"]

    def body():
        Bleu(4).compute_score(gts, res, verbose=0)
        Rouge().compute_score(gts, res)
        Cider().compute_score(gts, res)

    for _ in range(args.warmup):
        body()
    times = []
    for _ in range(args.n):
        t0 = time.perf_counter()
        body()
        times.append(time.perf_counter() - t0)
    print(json.dumps({"kind": "evaluate", "config": "bleu+rouge_l+cider, 5 refs", "impl": "pycocoevalcap",
                      "batch": len(res), "n": args.n, "min_s": min(times), "median_s": statistics.median(times),
                      "max_s": max(times), "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024},
                     sort_keys=True))


if __name__ == "__main__":
    main()
