#!/usr/bin/env python3
"""Training references for ClipCap (Tests/TrainingTests): loss, every parameter gradient, the gradient
w.r.t. the CLIP input, and five AdamW steps, for both mappers x both GPT-2 modes.

The model is ClipCaptionModel with the official mappers (gen_clipcap.py restates them), fed with DESIGN.md §5
semantics: the decoder input is [prefix; token embeddings of the caption], the logit at position
prefix_length-1+j predicts token j, the loss is the mean cross-entropy over every real caption token plus
the EOS, padding masked (labels -100, not the official ignore_index 0). Captions are right-padded; with a
causal decoder the padding never reaches a real position, so no attention mask is needed.
`frozen` sets requires_grad False on GPT-2 (it still backpropagates to the prefix); `finetune` trains all.
The references are computed in float64 (the exact model); the Swift side runs float32.

Tiny odd sizes: GPT-2 vocab 67, n_embd 24, 3 heads of 8, 2 layers; prefix_size 13, prefix_length 3;
Transformer mapper clip_length 5, 2 layers, 8 heads of 3; batch 3 with captions of 4, 2 and 6 tokens (EOS included).

Writes training/gpt2/ (HF GPT-2 folder), training/{mlp,transformer}/model.safetensors (initial mappers, official
names) and training/reference.safetensors.
"""
import json
import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from transformers import GPT2Config, GPT2LMHeadModel, get_linear_schedule_with_warmup

from gen_clipcap import MLP, TransformerMapper, randomize

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "training")
PREFIX_SIZE, PREFIX_LENGTH, CLIP_LENGTH, WIDTH, EOS = 13, 3, 5, 24, 66
LENGTHS = [4, 2, 6]
# AdamW runs: (lr, warmup, total, weight_decay, clip) per case; clip None = no clipping
OPTIONS = {
    "mlp_finetune": (3e-3, 2, 6, 0.05, 1.0),
    "mlp_frozen": (3e-3, 2, 6, 0.05, None),
    "transformer_finetune": (3e-3, 2, 6, 0.05, None),
    "transformer_frozen": (3e-3, 2, 6, 0.05, 0.5),
}


def make_gpt2():
    torch.manual_seed(21)
    cfg = GPT2Config(vocab_size=67, n_positions=32, n_embd=WIDTH, n_layer=2, n_head=3, bos_token_id=EOS, eos_token_id=EOS,
                     resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    m = GPT2LMHeadModel(cfg).eval()
    randomize(m, 0.2)
    return m


def make_mapper(kind):
    if kind == "mlp":
        torch.manual_seed(22)
        m = MLP((PREFIX_SIZE, WIDTH * PREFIX_LENGTH // 2, WIDTH * PREFIX_LENGTH))
    else:
        torch.manual_seed(23)
        m = TransformerMapper(PREFIX_SIZE, WIDTH, prefix_length=PREFIX_LENGTH, clip_length=CLIP_LENGTH, layers=2)
    randomize(m, 0.2)
    return m.eval()


def batch():
    g = torch.Generator().manual_seed(24)
    clip = torch.randn(len(LENGTHS), PREFIX_SIZE, generator=g)
    targets = [torch.randint(0, EOS, (n - 1,), generator=g).tolist() + [EOS] for n in LENGTHS]
    return clip, targets


def loss_fn(mapper, gpt, clip, targets):
    """Mean CE over every caption token + EOS; inputs are the targets but the last, right-padded with 0."""
    b, lmax = len(targets), max(len(t) for t in targets)
    inputs = torch.zeros(b, lmax - 1, dtype=torch.long)
    labels = torch.full((b, lmax), -100, dtype=torch.long)
    for i, t in enumerate(targets):
        inputs[i, : len(t) - 1] = torch.tensor(t[:-1])
        labels[i, : len(t)] = torch.tensor(t)
    prefix = mapper(clip).view(b, PREFIX_LENGTH, WIDTH)
    emb = torch.cat((prefix, gpt.transformer.wte(inputs)), dim=1)
    logits = gpt(inputs_embeds=emb).logits[:, PREFIX_LENGTH - 1:]
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.flatten(), ignore_index=-100)


def named_params(mapper, gpt, finetune):
    out = [(f"clip_project.{k}", p) for k, p in mapper.named_parameters()]
    if finetune:
        out += [(f"gpt.{k}", p) for k, p in gpt.named_parameters() if k.startswith("transformer.")]
    return out


def case(kind, finetune, ref):
    name = f"{kind}_{'finetune' if finetune else 'frozen'}"
    gpt, mapper = make_gpt2().double(), make_mapper(kind).double()
    gpt.requires_grad_(finetune)
    clip, targets = batch()
    x = clip.double().requires_grad_(True)
    loss = loss_fn(mapper, gpt, x, targets)
    loss.backward()
    ref[f"{name}.loss"] = loss.detach().reshape(1)
    ref[f"{name}.clip_grad"] = x.grad
    for k, p in named_params(mapper, gpt, finetune):
        ref[f"{name}.grad.{k}"] = p.grad
    # five AdamW steps (torch.optim.AdamW, eps 1e-6) with transformers' linear warmup/decay schedule
    gpt, mapper = make_gpt2().double(), make_mapper(kind).double()
    gpt.requires_grad_(finetune)
    lr, warmup, total, wd, clip_norm = OPTIONS[name]
    params = [p for _, p in named_params(mapper, gpt, finetune)]
    opt = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.999), eps=1e-6, weight_decay=wd)
    sched = get_linear_schedule_with_warmup(opt, warmup, total)
    losses, norms = [], []
    for _ in range(5):
        opt.zero_grad()
        loss = loss_fn(mapper, gpt, clip.double(), targets)
        loss.backward()
        if clip_norm is not None:
            norms.append(float(torch.nn.utils.clip_grad_norm_(params, clip_norm)))
        losses.append(loss.item())
        opt.step()
        sched.step()
    ref[f"{name}.adamw_losses"] = torch.tensor(losses)
    print(f"{name}: loss {ref[f'{name}.loss'].item():.6f}, adamw losses {losses}, clipped norms {norms}")


def main():
    os.makedirs(OUT, exist_ok=True)
    gpt = make_gpt2()
    gpt.save_pretrained(os.path.join(OUT, "gpt2"), safe_serialization=True)
    for kind in ["mlp", "transformer"]:
        folder = os.path.join(OUT, kind)
        os.makedirs(folder, exist_ok=True)
        save_file({f"clip_project.{k}": v.contiguous() for k, v in make_mapper(kind).state_dict().items()},
                  os.path.join(folder, "model.safetensors"))
    clip, targets = batch()
    lmax = max(LENGTHS)
    ref = {"clip": clip, "targets": torch.tensor([t + [-1] * (lmax - len(t)) for t in targets], dtype=torch.int64)}
    for kind in ["mlp", "transformer"]:
        for finetune in [True, False]:
            case(kind, finetune, ref)
    ref = {k: (v.float().contiguous() if v.is_floating_point() else v.contiguous()) for k, v in ref.items()}
    meta = {k: json.dumps(v) for k, v in OPTIONS.items()}
    save_file(ref, os.path.join(OUT, "reference.safetensors"), metadata=meta)
    print("wrote training/")


if __name__ == "__main__":
    main()
