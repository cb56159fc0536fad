#!/usr/bin/env python3
"""What a world CLIP encodes about relations and binding (dev tool: needs torch, transformers, numpy, Pillow).

Loads HF CLIPModel folders (e.g. Experiments/world/clip) with transformers and, on the world's test split
(data/world from `clipcap world generate --out data/world --images 10000 --seed 0`), prints one JSON line per model:
  relation_true_over_flipped  share of 400 test images with a relation whose image embedding is closer to
                              "a <A> <rel> a <B>" than to the same caption with the opposite relation (chance 0.5)
  binding_true_over_swapped   the same against the caption with the two colours swapped (images whose colours differ)
  text_cos_true_flipped       mean cosine of a caption and its flipped copy
  text_cos_true_equivalent    mean cosine of "A left of B" and "B right of A"
  image_probe_left_right      a ridge probe on the image embeddings of two-object left/right train images
                              (2500) for "is the object first by (colour, shape) on the left", scored on the
                              val and test ones (chance 0.5)
  leftmost_shape_2, _3        a one-vs-rest ridge probe of the leftmost object's shape (6 classes) on the
                              image embeddings of two- (three-) object train images, scored on the val and test
                              ones: how well the embedding binds a shape to its place
  binding_sets_2, _3          a ridge probe of the 48 (shape, colour) flags on the image embeddings of two- (three-)
                              object train images (2500): the share of val and test images whose 2 (3) largest
                              outputs are exactly their objects' pairs (chance about 1e-3 and 6e-5)
  binding_sets_3_train        the same probe scored on three-object train images it was not fitted on (an
                              overfitted tower scores them higher than held-out ones)
  binding_sets_3_pooled       the probe of binding_sets_3 on the vision tower's pooled output, before the projection
  text_cos_paraphrases        mean cosine of two captions of one test image (dataset.json, first 400 test images)
  text_cos_other_images       mean cosine of captions of two different ones of those images
  wording_variance_share      share of the variance of those caption embeddings that lies within images: what
                              the text embedding keeps of the wording (near 0: paraphrases get one embedding)
Usage: scripts/probe_world_clip.py [--world data/world] MODEL_DIR...
"""
import argparse
import json

import numpy as np
import torch
from PIL import Image
from transformers import CLIPModel, CLIPTokenizer

MEAN = np.array([0.48145466, 0.4578275, 0.40821073], np.float32)[:, None, None]
STD = np.array([0.26862954, 0.26130258, 0.27577711], np.float32)[:, None, None]
WORD = {"left_of": "to the left of", "right_of": "to the right of", "above": "above", "below": "below"}
OPPOSITE = {"left_of": "right_of", "right_of": "left_of", "above": "below", "below": "above"}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--world", default="data/world")
    p.add_argument("models", nargs="+")
    a = p.parse_args()
    images = json.load(open(a.world + "/attributes.json"))["images"]
    pixels = lambda L: torch.tensor(np.stack([(np.asarray(Image.open(f"{a.world}/images/{i['filename']}").convert("RGB"), np.float32)
                                               .transpose(2, 0, 1) / 255 - MEAN) / STD for i in L]))
    rel = [i for i in images if i["split"] == "test" and i.get("relation")][:400]
    lr = [i for i in images if len(i["objects"]) == 2 and i["relation"] in ("left_of", "right_of")]
    train, held = [i for i in lr if i["split"] == "train"][:2500], [i for i in lr if i["split"] != "train"]
    first_left = lambda i: float(min(i["objects"], key=lambda o: (o["colour"], o["shape"]))["x"]
                                 < max(i["objects"], key=lambda o: (o["colour"], o["shape"]))["x"])
    obj = lambda o: f"{o['colour']} {o['shape']}"
    cap = lambda i, r, a0, a1: f"a {a0} {WORD[r]} a {a1}"
    paraphrases = [[c["raw"] for c in im["sentences"][:5]] for im in json.load(open(a.world + "/dataset.json"))["images"]
                   if im["split"] == "test"][:400]
    for path in a.models:
        m, tok = CLIPModel.from_pretrained(path).eval(), CLIPTokenizer.from_pretrained(path)
        with torch.no_grad():
            def text(c):
                return torch.nn.functional.normalize(m.text_projection(m.text_model(**tok(c, padding=True, return_tensors="pt")).pooler_output), dim=1)

            def image(L):
                return torch.cat([m.visual_projection(m.vision_model(pixel_values=pixels(L[k:k + 500])).pooler_output) for k in range(0, len(L), 500)])
            I = torch.nn.functional.normalize(image(rel), dim=1)
            o = [(i["objects"][0], i["objects"][1]) for i in rel]
            t = text([cap(i, i["relation"], obj(x), obj(y)) for i, (x, y) in zip(rel, o)])
            f = text([cap(i, OPPOSITE[i["relation"]], obj(x), obj(y)) for i, (x, y) in zip(rel, o)])
            e = text([cap(i, OPPOSITE[i["relation"]], obj(y), obj(x)) for i, (x, y) in zip(rel, o)])
            s = text([cap(i, i["relation"], f"{y['colour']} {x['shape']}", f"{x['colour']} {y['shape']}") for i, (x, y) in zip(rel, o)])
            st, sf, ss = (I * t).sum(1), (I * f).sum(1), (I * s).sum(1)
            differ = torch.tensor([x["colour"] != y["colour"] for x, y in o])
            C = text([c for cs in paraphrases for c in cs]).numpy().reshape(len(paraphrases), 5, -1)
            etr, ete = image(train).numpy(), image(held).numpy()
            def pooled(L):
                return torch.cat([m.vision_model(pixel_values=pixels(L[k:k + 500])).pooler_output for k in range(0, len(L), 500)])
            leftmost, binding = {}, {}
            for n in (2, 3):
                scenes = [i for i in images if len(i["objects"]) == n]
                fit, score = [i for i in scenes if i["split"] == "train"][:2500], [i for i in scenes if i["split"] != "train"]
                ef, es = image(fit).numpy(), image(score).numpy()
                leftmost[n] = ridge_accuracy(ef, [leftmost_shape(i) for i in fit], es, [leftmost_shape(i) for i in score])
                binding[f"binding_sets_{n}"] = binding_sets(ef, fit, es, score)
                if n == 3:
                    unfitted = [i for i in scenes if i["split"] == "train"][2500:]
                    binding["binding_sets_3_train"] = binding_sets(ef, fit, image(unfitted).numpy(), unfitted)
                    binding["binding_sets_3_pooled"] = binding_sets(pooled(fit).numpy(), fit, pooled(score).numpy(), score)
        scores = ridge(etr, np.array([first_left(i) for i in train]), ete)
        probe = float(((scores > 0.5) == np.array([first_left(i) > 0.5 for i in held])).mean())
        within = np.einsum("ipd,iqd->ipq", C, C)[:, ~np.eye(5, dtype=bool)].mean()
        means = C.mean(1)
        other = (means @ means.T)[~np.eye(len(C), dtype=bool)].mean()
        wording = ((C - means[:, None]) ** 2).sum() / ((C - C.reshape(-1, C.shape[2]).mean(0)) ** 2).sum()
        print(json.dumps({"model": path, "relation_true_over_flipped": round((st > sf).float().mean().item(), 3),
                          "binding_true_over_swapped": round((st > ss)[differ].float().mean().item(), 3),
                          "text_cos_true_flipped": round((t * f).sum(1).mean().item(), 3),
                          "text_cos_true_equivalent": round((t * e).sum(1).mean().item(), 3),
                          "image_probe_left_right": round(probe, 3), "probe_images": len(held),
                          "leftmost_shape_2": round(leftmost[2], 3), "leftmost_shape_3": round(leftmost[3], 3),
                          **{k: round(v, 3) for k, v in binding.items()},
                          "text_cos_paraphrases": round(float(within), 3), "text_cos_other_images": round(float(other), 3),
                          "wording_variance_share": round(float(wording), 4)}), flush=True)


SHAPES = ["circle", "square", "triangle", "star", "hexagon", "diamond"]


def leftmost_shape(image):
    return SHAPES.index(min(image["objects"], key=lambda o: (o["x"], o["y"]))["shape"])


COLOURS = ["black", "blue", "green", "orange", "purple", "red", "white", "yellow"]


def binding_flags(image):
    """The image's (shape, colour) pairs as 48 0/1 flags."""
    flags = np.zeros(len(SHAPES) * len(COLOURS))
    for o in image["objects"]:
        flags[SHAPES.index(o["shape"]) * len(COLOURS) + COLOURS.index(o["colour"])] = 1
    return flags


def binding_sets(train_x, train_images, test_x, test_images):
    """Ridge regression of the binding flags; the share of test images whose n largest outputs are their n pairs."""
    outputs = ridge(train_x, np.stack([binding_flags(i) for i in train_images]), test_x)
    n = len(test_images[0]["objects"])
    top = np.argsort(-outputs, 1)[:, :n]
    return float(np.mean([set(t) == set(np.flatnonzero(binding_flags(i))) for t, i in zip(top, test_images)]))


def ridge(train_x, targets, test_x):
    """Ridge regression (λ 1e-2) of `targets` on the embeddings plus a bias; its outputs on `test_x`."""
    X = np.hstack([train_x, np.ones((len(train_x), 1))]); Xt = np.hstack([test_x, np.ones((len(test_x), 1))])
    return Xt @ np.linalg.solve(X.T @ X + 1e-2 * np.eye(X.shape[1]), X.T @ targets)


def ridge_accuracy(train_x, train_y, test_x, test_y):
    """One-vs-rest ridge regression of the shape classes, scored by the largest output."""
    return float((ridge(train_x, np.eye(len(SHAPES))[train_y], test_x).argmax(1) == np.array(test_y)).mean())


if __name__ == "__main__":
    main()
