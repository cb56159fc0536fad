#!/usr/bin/env python3
"""Language-model pretraining references for GPT2LanguageModelTrainer (Tests/TrainingTests).

A tiny transformers GPT2LMHeadModel with seeded, enlarged weights (gen_clipcap.randomize, so gradients are
not vanishingly small) is trained on a batch of caption sequences laid out as the trainer does:
each row is EOS + caption tokens + EOS (the leading EOS acts as BOS); inputs are the row but its last token,
labels the row shifted by one, right-padded (inputs 0, labels -100). With a causal decoder right padding never
reaches a real position, so no attention mask is needed. The loss is the mean cross-entropy over every real
target (torch.nn.functional.cross_entropy, ignore_index -100). References are float64 (the exact model).

Tiny odd sizes: vocab 53 (EOS 52), n_positions 16, n_embd 24, 3 heads of 8, 2 layers; batch 3 with rows of
5, 3 and 8 tokens.

Writes pretrain/gpt2/ (save_pretrained: config.json, model.safetensors), pretrain/hf_tensors.json (the tensor
names, shapes and dtypes that save_pretrained writes, the layout our saver must reproduce; lm_head.weight is
tied and left out by transformers) and pretrain/reference.safetensors (rows, loss, 3 AdamW steps' losses).
Also checks (check_our_layout) that transformers loads a folder in the layout our saver writes.
"""
import json
import os

import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import save_file
from transformers import GPT2Config, GPT2LMHeadModel, get_linear_schedule_with_warmup

from gen_clipcap import randomize

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "pretrain")
VOCAB, EOS = 53, 52
LENGTHS = [5, 3, 8]
# lr, warmup, total, weight_decay, clip (None: no clipping)
OPTIONS = (1e-2, 0, 3, 0.01, 1.0)


def make_gpt2():
    torch.manual_seed(31)
    cfg = GPT2Config(vocab_size=VOCAB, n_positions=16, n_embd=24, n_layer=2, n_head=3, bos_token_id=EOS,
                     eos_token_id=EOS, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    m = GPT2LMHeadModel(cfg).eval()
    randomize(m, 0.2)
    return m


def rows():
    g = torch.Generator().manual_seed(32)
    return [[EOS] + torch.randint(0, EOS, (n - 2,), generator=g).tolist() + [EOS] for n in LENGTHS]


def loss_fn(gpt, seqs):
    b, t = len(seqs), max(len(s) for s in seqs) - 1
    inputs = torch.zeros(b, t, dtype=torch.long)
    labels = torch.full((b, t), -100, dtype=torch.long)
    for i, s in enumerate(seqs):
        inputs[i, : len(s) - 1] = torch.tensor(s[:-1])
        labels[i, : len(s) - 1] = torch.tensor(s[1:])
    logits = gpt(input_ids=inputs).logits
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.flatten(), ignore_index=-100)


def check_our_layout(gpt):
    """transformers loads a folder in the layout GPT2LanguageModelTrainer.save writes: only the config keys we
    write (GPT2Config's HF names + architectures, model_type, bos/eos, tie_word_embeddings) and only
    transformer.* tensors (no lm_head.weight). Asserts no missing or unexpected keys and identical logits."""
    import tempfile
    cfg = gpt.config
    ours = {"activation_function": cfg.activation_function, "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2",
            "bos_token_id": EOS, "eos_token_id": EOS, "layer_norm_epsilon": cfg.layer_norm_epsilon, "n_embd": cfg.n_embd,
            "n_head": cfg.n_head, "n_layer": cfg.n_layer, "n_positions": cfg.n_positions, "tie_word_embeddings": True,
            "vocab_size": cfg.vocab_size}
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(ours, f)
        tensors = {k: v.contiguous() for k, v in gpt.state_dict().items() if k.startswith("transformer.")}
        save_file(tensors, os.path.join(d, "model.safetensors"), metadata={"format": "pt"})
        loaded, info = GPT2LMHeadModel.from_pretrained(d, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"], info
    ids = torch.tensor([rows()[2]])
    with torch.no_grad():
        assert torch.equal(loaded.eval()(input_ids=ids).logits, gpt(input_ids=ids).logits)
    print("pretrain: transformers loads our layout (no missing/unexpected keys, identical logits)")


def main():
    os.makedirs(OUT, exist_ok=True)
    gpt = make_gpt2()
    folder = os.path.join(OUT, "gpt2")
    gpt.save_pretrained(folder, safe_serialization=True)
    with safe_open(os.path.join(folder, "model.safetensors"), "pt") as f:
        listing = {k: {"shape": list(f.get_slice(k).get_shape()), "dtype": f.get_slice(k).get_dtype()} for k in f.keys()}
    with open(os.path.join(OUT, "hf_tensors.json"), "w") as f:
        json.dump(listing, f, indent=1, sort_keys=True)

    check_our_layout(gpt)
    seqs = rows()
    ref = {}
    gpt = make_gpt2().double()
    loss = loss_fn(gpt, seqs)
    ref["loss"] = loss.detach().reshape(1)
    # three AdamW steps (torch.optim.AdamW, eps 1e-6 as our AdamW) with transformers' linear warmup/decay
    lr, warmup, total, wd, clip = OPTIONS
    params = [p for _, p in gpt.named_parameters()]   # lm_head.weight is wte.weight: named_parameters dedups
    opt = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.999), eps=1e-6, weight_decay=wd)
    sched = get_linear_schedule_with_warmup(opt, warmup, total)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = loss_fn(gpt, seqs)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, clip)
        losses.append(loss.item())
        opt.step()
        sched.step()
    ref["adamw_losses"] = torch.tensor(losses)
    lmax = max(LENGTHS)
    ref = {k: v.float().contiguous() for k, v in ref.items()}
    ref["rows"] = torch.tensor([s + [-1] * (lmax - len(s)) for s in seqs], dtype=torch.int64)
    save_file(ref, os.path.join(OUT, "reference.safetensors"), metadata={"options": json.dumps(OPTIONS)})
    print(f"pretrain: loss {ref['loss'].item():.6f}, adamw losses {losses}")


if __name__ == "__main__":
    main()
