#!/usr/bin/env python3
"""PyTorch twin of `clipcap bench`: the same models (transformers' CLIPModel with the ViT-B/32 config and
random weights), the same inputs and timing rules, the same JSON fields. Dev-only (torch + transformers).

    python3 scripts/bench_torch.py embed-image --batch 16 --n 5
    python3 scripts/bench_torch.py embed-text --batch 64 --tokens 20 --n 5
"""
import argparse
import json
import resource
import statistics
import time

import torch
from transformers import CLIPConfig, CLIPModel


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["embed-text", "embed-image"])
    ap.add_argument("--config", default="clip-vit-b32")
    ap.add_argument("--batch", type=int)
    ap.add_argument("--tokens", type=int, default=20)
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    cfg = CLIPConfig(text_config=dict(hidden_size=512, intermediate_size=2048, num_attention_heads=8, num_hidden_layers=12),
                     vision_config=dict(hidden_size=768, intermediate_size=3072, num_attention_heads=12, num_hidden_layers=12,
                                        image_size=224, patch_size=32), projection_dim=512)
    model = CLIPModel(cfg).eval()
    if a.kind == "embed-text":
        b = a.batch or 64
        ids = torch.randint(256, 49256, (b, a.tokens))
        ids[:, 0], ids[:, -1] = 49406, 49407
        body = lambda: model.get_text_features(input_ids=ids)
    else:
        b = a.batch or 16
        pixels = torch.randn(b, 3, 224, 224)
        body = lambda: model.get_image_features(pixel_values=pixels)
    with torch.inference_mode():
        for _ in range(a.warmup):
            body()
        times = []
        for _ in range(a.n):
            t0 = time.perf_counter()
            body()
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    rec = {"kind": a.kind, "config": a.config, "batch": b, "n": a.n, "impl": f"pytorch-{torch.__version__}",
           "min_s": min(times), "median_s": med, "max_s": max(times), "items_per_s": b / med,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "threads": torch.get_num_threads()}
    if a.kind == "embed-text":
        rec["tokens"] = a.tokens
    print(json.dumps(rec, sort_keys=True))


if __name__ == "__main__":
    main()
