#!/usr/bin/env python3
"""Golden files for the gap analysis (Tests/Fixtures/gap/), dev-only: numpy, POT and safetensors.

    pip install numpy POT safetensors
    python3 Tests/Fixtures/gen_gap.py

Two small seeded cases, stored raw (float32, not normalized) with their image_ids:
  equal    40 images x 16, 40 captions x 16 (one per image), with a real gap;
  unequal  30 images x 16, 45 captions x 16 (images 0..14 have two captions, the rest one).
For each: the gap statistics (numpy), mean shift, rotation (numpy SVD, same sign convention and rank
rule as ThinSVD / RotationAlignment), exact OT with each cost (POT ot.emd: cost, plan, barycentric
projection), Sinkhorn (POT ot.sinkhorn, method="sinkhorn_log", converged tightly) and the DeCap memory
projection (numpy).

Plus two larger OT problems that the Swift test regenerates with SeededRNG (GapBenchmark.syntheticClouds,
replicated bit for bit below): N = 300 equal and 200 vs 300 unequal, D = 32; only their POT costs (and a
few raw values, to prove the generators agree) are stored.

References are computed from the rows normalized exactly as Swift normalizes them (norm in float64, rows
rounded to float32), so the OT costs agree to LP rounding.
"""
import json
import math
import os

import numpy as np
import ot
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "gap")
MASK = (1 << 64) - 1


class SeededRNG:
    """Tensor's SeededRNG: SplitMix64 seeding a xoshiro256**, Box-Muller normals in float64."""

    def __init__(self, seed):
        z = seed & MASK
        s = []
        for _ in range(4):
            z = (z + 0x9E3779B97F4A7C15) & MASK
            x = z
            x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
            s.append(x ^ (x >> 31))
        self.s = s

    @staticmethod
    def _rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK

    def next(self):
        s0, s1, s2, s3 = self.s
        result = (self._rotl((s1 * 5) & MASK, 7) * 9) & MASK
        t = (s1 << 17) & MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = self._rotl(s3, 45)
        self.s = [s0, s1, s2, s3]
        return result

    def uniform(self):
        return (self.next() >> 11) * 2.0 ** -53

    def normal(self):
        u1 = max(self.uniform(), 2.2250738585072014e-308)
        u2 = self.uniform()
        return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)


def synthetic_clouds(n, m, d, gap=0.25, seed=0):
    """GapBenchmark.syntheticClouds, bit for bit."""
    rng = SeededRNG(seed)
    direction = [rng.normal() for _ in range(d)]
    image = np.array([rng.normal() + gap * direction[i % d] for i in range(n * d)], dtype=np.float64)
    text = np.array([rng.normal() - gap * direction[i % d] for i in range(m * d)], dtype=np.float64)
    return image.astype(np.float32).reshape(n, d), text.astype(np.float32).reshape(m, d)


def normalize32(x32):
    """Swift's normalizedRows: the norm in float64, each row scaled and rounded to float32."""
    x = x32.astype(np.float64)
    inv = 1.0 / np.sqrt((x * x).sum(axis=1, keepdims=True))
    return (x * inv).astype(np.float32).astype(np.float64)


def cost_matrix(x, y, cost):
    if cost == "euclidean":
        return ot.dist(x, y, metric="euclidean")
    if cost == "sqeuclidean":
        return ot.dist(x, y, metric="sqeuclidean")
    if cost == "cosine":
        return ot.dist(x, y, metric="cosine")
    raise ValueError(cost)


def probe_accuracy(x, t, seed=0, ridge=1e-3):
    n, m = len(x), len(t)
    rng = SeededRNG(seed)
    order = list(range(n + m))
    k = n + m - 1
    while k > 0:
        r = rng.next() % (k + 1)
        order[k], order[r] = order[r], order[k]
        k -= 1
    pooled = np.vstack([x, t])
    labels = np.concatenate([np.ones(n), -np.ones(m)])
    train, test = order[: (n + m) // 2], order[(n + m) // 2:]
    a = np.hstack([pooled[train], np.ones((len(train), 1))])
    w = np.linalg.solve(a.T @ a + ridge * np.eye(a.shape[1]), a.T @ labels[train])
    scores = np.hstack([pooled[test], np.ones((len(test), 1))]) @ w
    return float(np.mean((scores > 0) == (labels[test] > 0))), len(train), len(test)


def svd_signed(xc):
    u, s, vt = np.linalg.svd(xc, full_matrices=False)
    for k in range(len(s)):
        if vt[k, np.argmax(np.abs(vt[k]))] < 0:
            vt[k] *= -1
            u[:, k] *= -1
    return u, s, vt


def rank(s, tol=1e-10):
    return int(np.sum(s > tol * s[0])) if len(s) and s[0] > 0 else 0


def rotation(x, t):
    ui, si, vi = svd_signed(x - x.mean(0))
    ut, st, vtt = svd_signed(t - t.mean(0))
    r = min(rank(si), rank(st))
    return (ui[:, :r] * si[:r]) @ vtt[:r] + t.mean(0), r


def memory(x, t, tau):
    logits = x @ t.T / tau
    logits -= logits.max(1, keepdims=True)
    w = np.exp(logits)
    w /= w.sum(1, keepdims=True)
    y = w @ t
    return y / np.linalg.norm(y, axis=1, keepdims=True)


def make_case(rng, n, m, d, caption_image):
    base = rng.standard_normal((n, d))
    direction = rng.standard_normal(d)
    direction /= np.linalg.norm(direction)
    image = base + 0.5 * rng.standard_normal((n, d)) + 1.5 * direction
    text = base[caption_image] + 0.5 * rng.standard_normal((m, d)) - 1.5 * direction
    return image.astype(np.float32), text.astype(np.float32)


def references(name, image32, text32, image_ids, text_ids, tensors, scalars):
    x, t = normalize32(image32), normalize32(text32)
    n, m = len(x), len(t)
    tensors[f"{name}/image"] = image32
    tensors[f"{name}/text"] = text32
    tensors[f"{name}/image_ids"] = np.array(image_ids, dtype=np.int64)
    tensors[f"{name}/text_ids"] = np.array(text_ids, dtype=np.int64)
    s = {}

    # gap statistics
    mi, mt = x.mean(0), t.mean(0)
    s["centroid_gap"] = float(np.linalg.norm(mi - mt))
    per_image = []
    for i, iid in enumerate(image_ids):
        rows = [j for j, tid in enumerate(text_ids) if tid == iid]
        if rows:
            per_image.append(float(np.mean(t[rows] @ x[i])))
    tensors[f"{name}/matched_cosines"] = np.array(per_image, dtype=np.float32)
    s["matched_cosine"] = float(np.mean(per_image))
    s["matched_images"] = len(per_image)
    s["image_cone_cosine"] = float(((x @ x.T).sum() - np.trace(x @ x.T)) / (n * (n - 1)))
    s["text_cone_cosine"] = float(((t @ t.T).sum() - np.trace(t @ t.T)) / (m * (m - 1)))
    s["cross_cosine"] = float((x @ t.T).mean())
    s["probe_accuracy"], s["probe_train_rows"], s["probe_test_rows"] = probe_accuracy(x, t)

    # mean shift and rotation
    tensors[f"{name}/mean"] = (x - mi + mt).astype(np.float32)
    rot, r = rotation(x, t)
    tensors[f"{name}/rotation"] = rot.astype(np.float32)
    s["rotation_components"] = r

    # exact OT, each cost
    a, b = np.ones(n) / n, np.ones(m) / m
    for cost in ["euclidean", "sqeuclidean", "cosine"]:
        M = cost_matrix(x, t, cost)
        G = ot.emd(a, b, M, numItermax=10_000_000)
        s[f"ot_{cost}_cost"] = float((G * M).sum())
        tensors[f"{name}/ot_{cost}_plan"] = G.astype(np.float32)
        tensors[f"{name}/ot_{cost}_projection"] = ((G @ t) / G.sum(1, keepdims=True)).astype(np.float32)
        tensors[f"{name}/ot_{cost}_unnormalized"] = (G @ t).astype(np.float32)

    # Sinkhorn, log domain, converged tightly
    for cost, eps in [("euclidean", 0.1), ("sqeuclidean", 0.2)]:
        M = cost_matrix(x, t, cost)
        G = ot.sinkhorn(a, b, M, eps, method="sinkhorn_log", numItermax=200_000, stopThr=1e-13)
        key = f"sinkhorn_{cost}_{eps}"
        s[f"{key}_cost"] = float((G * M).sum())
        tensors[f"{name}/{key}_plan"] = G.astype(np.float32)
        tensors[f"{name}/{key}_projection"] = ((G @ t) / G.sum(1, keepdims=True)).astype(np.float32)

    # DeCap memory projection
    for tau in [0.01, 0.1]:
        tensors[f"{name}/memory_{tau}"] = memory(x, t, tau).astype(np.float32)

    scalars[name] = s


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240601)
    tensors, scalars = {}, {}

    image, text = make_case(rng, 40, 40, 16, np.arange(40))
    references("equal", image, text, list(range(40)), list(range(40)), tensors, scalars)

    caption_image = np.concatenate([np.arange(30), np.arange(15)])
    image, text = make_case(rng, 30, 45, 16, caption_image)
    references("unequal", image, text, list(range(100, 130)), [int(100 + c) for c in caption_image], tensors, scalars)

    # larger problems, regenerated in Swift with SeededRNG
    large = {}
    for label, n, m, seed in [("equal300", 300, 300, 7), ("unequal200x300", 200, 300, 8)]:
        image32, text32 = synthetic_clouds(n, m, 32, seed=seed)
        x, t = normalize32(image32), normalize32(text32)
        entry = {"n": n, "m": m, "dimension": 32, "seed": seed,
                 "image_head": [float(v) for v in image32.reshape(-1)[:4]],
                 "text_head": [float(v) for v in text32.reshape(-1)[:4]]}
        for cost in ["euclidean", "sqeuclidean"]:
            M = cost_matrix(x, t, cost)
            G = ot.emd(np.ones(n) / n, np.ones(m) / m, M, numItermax=10_000_000)
            entry[f"{cost}_cost"] = float((G * M).sum())
        large[label] = entry
    scalars["large"] = large

    save_file(tensors, os.path.join(OUT, "gap_reference.safetensors"))
    with open(os.path.join(OUT, "gap_reference.json"), "w") as f:
        json.dump(scalars, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
