#!/usr/bin/env python3
"""CLIP contrastive-training references for CLIPTrainer (Tests/TrainingTests/CLIPTrainingTests.swift).

A tiny seeded transformers CLIPModel with odd sizes (text width 40, 5 heads, quick_gelu, eos_token_id 60 so the
pooling is the first EOS; vision width 48, 6 heads, exact gelu, image 32, patch 8; 2 layers each; projection
24), every parameter randomized (gen_clipcap.randomize, so no gradient is trivially zero) and logit_scale set
to 1.3, is run in float64 on a batch of 4 images and 4 captions (ids right-padded with EOS after the first EOS;
with a causal text tower the padding never reaches the pooled position, so no attention mask is needed):
CLIPModel(input_ids, pixel_values, return_loss=True).loss, the symmetric InfoNCE
(CE(logits_per_text, arange) + CE(logits_per_image, arange)) / 2 with logits = exp(logit_scale)·norm(t)·norm(i)ᵀ.

Writes clip_training/clip/ (save_pretrained), clip_training/hf_tensors.json (names, shapes, dtypes that
save_pretrained writes: the layout our saver must reproduce) and clip_training/reference.safetensors:
input_ids (4, 10) int64, pixel_values (4, 3, 32, 32), loss, image_embeds and text_embeds (unnormalized), the
gradient of every parameter as "grad.NAME" (float64 computed, stored float32), and the losses of 3 AdamW steps
(torch.optim.AdamW eps 1e-6, transformers' linear schedule, clip_grad_norm_) with OPTIONS in the metadata.
Also checks (check_our_layout) that transformers loads a folder in the layout CLIPTrainer.save writes.
"""
import json
import os

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from transformers import CLIPConfig, CLIPModel, get_linear_schedule_with_warmup

from gen_clipcap import randomize

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "clip_training")
VOCAB, EOS, T = 61, 60, 10
ENDS = [9, 4, 6, 2]          # position of the first EOS in each caption
# lr, warmup, total, weight_decay, clip
OPTIONS = (1e-2, 0, 3, 0.01, 1.0)


def make_clip():
    torch.manual_seed(71)
    cfg = CLIPConfig(
        text_config=dict(hidden_size=40, intermediate_size=52, num_attention_heads=5, num_hidden_layers=2,
                         max_position_embeddings=12, vocab_size=VOCAB, hidden_act="quick_gelu", eos_token_id=EOS,
                         bos_token_id=0, pad_token_id=EOS),
        vision_config=dict(hidden_size=48, intermediate_size=60, num_attention_heads=6, num_hidden_layers=2,
                           image_size=32, patch_size=8, hidden_act="gelu"),
        projection_dim=24,
    )
    m = CLIPModel(cfg).eval()
    randomize(m, 0.2)
    with torch.no_grad():
        m.logit_scale.fill_(1.3)
    return m


def batch():
    g = torch.Generator().manual_seed(72)
    ids = torch.randint(1, EOS, (len(ENDS), T), generator=g)
    for r, e in enumerate(ENDS):
        ids[r, 0] = 0
        ids[r, e:] = EOS
    pixels = torch.randn(len(ENDS), 3, 32, 32, generator=g)
    return ids, pixels


def check_our_layout(model):
    """transformers loads a folder in the layout CLIPTrainer.save writes: only the config keys we write
    (CLIPConfig's HF names, architectures, model types, projection_dim in each tower) and only the tensors our
    visitor names. Asserts no missing or unexpected keys and identical embeddings."""
    import tempfile
    tc, vc = model.config.text_config, model.config.vision_config
    ours = {"architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": 24, "logit_scale_init_value": 2.6592,
            "text_config": {"hidden_size": tc.hidden_size, "intermediate_size": tc.intermediate_size,
                            "num_attention_heads": tc.num_attention_heads, "num_hidden_layers": tc.num_hidden_layers,
                            "max_position_embeddings": tc.max_position_embeddings, "vocab_size": tc.vocab_size,
                            "hidden_act": tc.hidden_act, "layer_norm_eps": 1e-05, "eos_token_id": EOS, "bos_token_id": 0,
                            "pad_token_id": EOS, "projection_dim": 24, "model_type": "clip_text_model"},
            "vision_config": {"hidden_size": vc.hidden_size, "intermediate_size": vc.intermediate_size,
                              "num_attention_heads": vc.num_attention_heads, "num_hidden_layers": vc.num_hidden_layers,
                              "image_size": vc.image_size, "patch_size": vc.patch_size, "num_channels": 3,
                              "hidden_act": vc.hidden_act, "layer_norm_eps": 1e-05, "projection_dim": 24,
                              "model_type": "clip_vision_model"}}
    ids, pixels = batch()
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(ours, f)
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(d, "model.safetensors"),
                  metadata={"format": "pt"})
        loaded, info = CLIPModel.from_pretrained(d, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"], info
    with torch.no_grad():
        a = loaded.eval()(input_ids=ids, pixel_values=pixels, return_loss=True)
        b = model(input_ids=ids, pixel_values=pixels, return_loss=True)
    assert torch.equal(a.text_embeds, b.text_embeds) and torch.equal(a.image_embeds, b.image_embeds)
    print("clip_training: transformers loads our layout (no missing/unexpected keys, identical embeddings)")


def main():
    os.makedirs(OUT, exist_ok=True)
    model = make_clip()
    folder = os.path.join(OUT, "clip")
    model.save_pretrained(folder, safe_serialization=True)
    with safe_open(os.path.join(folder, "model.safetensors"), "pt") as f:
        listing = {k: {"shape": list(f.get_slice(k).get_shape()), "dtype": f.get_slice(k).get_dtype()} for k in f.keys()}
    with open(os.path.join(OUT, "hf_tensors.json"), "w") as f:
        json.dump(listing, f, indent=1, sort_keys=True)

    check_our_layout(model)
    ids, pixels = batch()
    m = make_clip().double()
    out = m(input_ids=ids, pixel_values=pixels.double(), return_loss=True)
    out.loss.backward()
    ref = {"loss": out.loss.detach().reshape(1)}
    # the unnormalized projections, as get_*_features return them
    with torch.no_grad():
        ie = m.get_image_features(pixel_values=pixels.double())
        te = m.get_text_features(input_ids=ids)
    ref["image_embeds"] = ie if isinstance(ie, torch.Tensor) else ie.pooler_output
    ref["text_embeds"] = te if isinstance(te, torch.Tensor) else te.pooler_output
    for n, p in m.named_parameters():
        ref["grad." + n] = p.grad.detach().clone()

    lr, warmup, total, wd, clip = OPTIONS
    params = [p for _, p in m.named_parameters()]
    opt = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.999), eps=1e-6, weight_decay=wd)
    sched = get_linear_schedule_with_warmup(opt, warmup, total)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = m(input_ids=ids, pixel_values=pixels.double(), return_loss=True).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, clip)
        losses.append(loss.item())
        opt.step()
        sched.step()
    ref["adamw_losses"] = torch.tensor(losses)
    ref = {k: v.float().contiguous() for k, v in ref.items()}
    ref["input_ids"] = ids.contiguous()
    ref["pixel_values"] = pixels.float().contiguous()
    save_file(ref, os.path.join(OUT, "reference.safetensors"), metadata={"options": json.dumps(OPTIONS)})
    print(f"clip_training: loss {ref['loss'].item():.6f}, adamw losses {losses}")


if __name__ == "__main__":
    main()
