#!/usr/bin/env python3
"""Supervised warm-start references for CLIPWarmStartTrainer (Tests/TrainingTests/CLIPWarmStartTests.swift).

The tiny CLIP of gen_clip_training (clip_training/clip, same batch of 4 images and 4 captions) with a linear
head torch.nn.Linear(24, 5) (seeded) on each tower's embedding (get_image_features / get_text_features, the
projection output): 3 classes and 2 flags. Caption/image 2 has no class (ignore_index). In float64:
  loss = CE(logits[:, :3], class, ignore_index=-100) + BCEWithLogits(logits[:, 3:], flags)
and its gradient for every weight of the tower (projection included) and of the head. Also the losses of 3
AdamW steps (torch.optim.AdamW eps 1e-6, transformers' linear schedule, clip_grad_norm_) of tower + head.
With the flags in two groups of one (CLIPWarmStartTrainer's flagGroups [1, 1]), each group its own BCE mean:
  loss = CE(…) + BCEWithLogits(logits[:, 3:4], flags[:, :1]) + BCEWithLogits(logits[:, 4:5], flags[:, 1:])
and its gradients, as TOWER.grouped.loss and TOWER.grouped.grad.NAME.
Writes clip_training/warm_start.safetensors: classes (int64, -100 = none), flags, for each TOWER in
{vision, text}: TOWER.head.weight, TOWER.head.bias, TOWER.loss, TOWER.grad.NAME (NAME as CLIPModel names it,
warm_start_head.weight/bias for the head), TOWER.adamw_losses; OPTIONS in the metadata.
"""
import copy
import json
import os

import torch
from safetensors.torch import save_file
from transformers import get_linear_schedule_with_warmup

from gen_clip_training import OUT, batch, make_clip

CLASSES = [2, 0, -100, 1]
FLAGS = [[1, 0], [0, 1], [1, 1], [0, 0]]
OPTIONS = (1e-2, 0, 3, 0.01, 1.0)   # lr, warmup, total, weight_decay, clip


def features(m, tower, ids, pixels):
    out = m.get_image_features(pixel_values=pixels) if tower == "vision" else m.get_text_features(input_ids=ids)
    return out if isinstance(out, torch.Tensor) else out.pooler_output


def loss_of(m, head, tower, ids, pixels, y, f, groups=(2,)):
    z = head(features(m, tower, ids, pixels))
    loss = torch.nn.functional.cross_entropy(z[:, :3], y, ignore_index=-100)
    start = 0
    for size in groups:
        loss = loss + torch.nn.functional.binary_cross_entropy_with_logits(z[:, 3 + start:3 + start + size], f[:, start:start + size])
        start += size
    return loss


def main():
    ids, pixels = batch()
    y = torch.tensor(CLASSES)
    f = torch.tensor(FLAGS, dtype=torch.float64)
    ref = {"classes": y, "flags": f.float()}
    for k, tower in enumerate(["vision", "text"]):
        m = make_clip().double()
        torch.manual_seed(90 + k)
        head = torch.nn.Linear(24, 5).double()
        ref[tower + ".head.weight"] = head.weight.detach().float().clone()
        ref[tower + ".head.bias"] = head.bias.detach().float().clone()
        prefixes = ("vision_model.", "visual_projection.") if tower == "vision" else ("text_model.", "text_projection.")
        grouped_m, grouped_head = copy.deepcopy(m), copy.deepcopy(head)
        grouped = loss_of(grouped_m, grouped_head, tower, ids, pixels.double(), y, f, groups=(1, 1))
        grouped.backward()
        ref[tower + ".grouped.loss"] = grouped.detach().reshape(1).float()
        for n, p in grouped_m.named_parameters():
            if n.startswith(prefixes):
                ref[f"{tower}.grouped.grad.{n}"] = p.grad.detach().float().clone()
        ref[tower + ".grouped.grad.warm_start_head.weight"] = grouped_head.weight.grad.detach().float().clone()
        ref[tower + ".grouped.grad.warm_start_head.bias"] = grouped_head.bias.grad.detach().float().clone()
        owned = [(n, p) for n, p in m.named_parameters() if n.startswith(prefixes)]
        loss = loss_of(m, head, tower, ids, pixels.double(), y, f)
        loss.backward()
        ref[tower + ".loss"] = loss.detach().reshape(1).float()
        for n, p in owned:
            ref[f"{tower}.grad.{n}"] = p.grad.detach().float().clone()
        ref[tower + ".grad.warm_start_head.weight"] = head.weight.grad.detach().float().clone()
        ref[tower + ".grad.warm_start_head.bias"] = head.bias.grad.detach().float().clone()
        lr, warmup, total, wd, clip = OPTIONS
        params = [p for _, p in owned] + [head.weight, head.bias]
        opt = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.999), eps=1e-6, weight_decay=wd)
        sched = get_linear_schedule_with_warmup(opt, warmup, total)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            m.zero_grad()
            loss = loss_of(m, head, tower, ids, pixels.double(), y, f)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, clip)
            losses.append(loss.item())
            opt.step()
            sched.step()
        ref[tower + ".adamw_losses"] = torch.tensor(losses).float()
        print(f"warm start {tower}: loss {ref[tower + '.loss'].item():.6f}, adamw losses {losses}")
    save_file({k: v.contiguous() for k, v in ref.items()}, os.path.join(OUT, "warm_start.safetensors"),
              metadata={"options": json.dumps(OPTIONS)})


if __name__ == "__main__":
    main()
