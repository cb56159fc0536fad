#!/usr/bin/env python3
"""Writes tiny, seeded CLIP and GPT-2 models in HF layout plus their reference outputs.

Dev-only: needs torch + transformers (pip). Run from the repo root:  python3 Tests/Fixtures/generate.py
Every tensor our Swift tests compare against comes from here; nothing is hand-written.

The configs exercise odd sizes: head counts that are not powers of two (5, 3, 6), a text width (40)
that differs from the vision width (48), several layers, both pooling rules of transformers'
CLIPTextTransformer (legacy eos_token_id == 2 → argmax of ids; otherwise first eos), and both
activations (quick_gelu, gelu).
"""
import json
import os

import torch
from safetensors.torch import save_file
from transformers import CLIPConfig, CLIPModel, GPT2Config, GPT2LMHeadModel

HERE = os.path.dirname(os.path.abspath(__file__))


def save_outputs(path, tensors):
    save_file({k: v.detach().contiguous().clone() for k, v in tensors.items()}, path)


def clip_case(name, seed, text_act, vision_act, eos):
    torch.manual_seed(seed)
    cfg = CLIPConfig(
        text_config=dict(hidden_size=40, intermediate_size=72, num_attention_heads=5, num_hidden_layers=2,
                         max_position_embeddings=20, vocab_size=100, hidden_act=text_act, eos_token_id=eos,
                         bos_token_id=0, pad_token_id=1),
        vision_config=dict(hidden_size=48, intermediate_size=80, num_attention_heads=6, num_hidden_layers=3,
                           image_size=32, patch_size=8, hidden_act=vision_act),
        projection_dim=24,
    )
    model = CLIPModel(cfg).eval()
    # transformers initializes norms to 1/0 and some biases to 0; randomize everything so that every
    # parameter matters in the comparison.
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.2)
        for n, p in model.named_parameters():
            if "norm" in n and n.endswith("weight") or "layrnorm" in n and n.endswith("weight"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
    folder = os.path.join(HERE, name)
    model.save_pretrained(folder, safe_serialization=True)

    g = torch.Generator().manual_seed(seed + 1)
    b, t = 3, 9
    ids = torch.randint(3, 99, (b, t), generator=g)
    # rows end in different places; eos = the legacy argmax (largest id 99 when eos == 2) or eos_token_id
    ends = [8, 5, 7]
    for r, e in enumerate(ends):
        ids[r, 0] = 0
        ids[r, e] = 99 if eos == 2 else eos
        if eos != 2:
            ids[r, e + 1:] = eos  # padding with eos: pooling must take the first one
    pixels = torch.randn(2, 3, 32, 32, generator=g)
    with torch.no_grad():
        to = model.text_model(input_ids=ids, output_hidden_states=True)
        vo = model.vision_model(pixel_values=pixels, output_hidden_states=True)
        text_embeds = model.get_text_features(input_ids=ids)
        image_embeds = model.get_image_features(pixel_values=pixels)
    if not isinstance(text_embeds, torch.Tensor):  # transformers 5 returns an output object
        text_embeds = text_embeds.pooler_output
        image_embeds = image_embeds.pooler_output
    out = {"input_ids": ids, "pixel_values": pixels,
           "text_last_hidden_state": to.last_hidden_state, "text_pooled": to.pooler_output,
           "text_embeds": text_embeds,
           "vision_last_hidden_state": vo.last_hidden_state, "vision_pooled": vo.pooler_output,
           "image_embeds": image_embeds}
    for i, h in enumerate(to.hidden_states):
        out[f"text_hidden_{i}"] = h
    for i, h in enumerate(vo.hidden_states):
        out[f"vision_hidden_{i}"] = h
    # The same forward in float64: the exact answer that both torch-float32 and our float32 approximate.
    # (torch-f32 itself differs from it by up to ~1e-5 where hidden values reach 10-16.)
    m64 = CLIPModel.from_pretrained(folder, dtype=torch.float64).eval()
    with torch.no_grad():
        to64 = m64.text_model(input_ids=ids, output_hidden_states=True)
        vo64 = m64.vision_model(pixel_values=pixels.double(), output_hidden_states=True)
    for i, h in enumerate(to64.hidden_states):
        out[f"text_hidden_{i}_f64"] = h.float()
    for i, h in enumerate(vo64.hidden_states):
        out[f"vision_hidden_{i}_f64"] = h.float()
    save_outputs(os.path.join(HERE, f"{name}-outputs.safetensors"), out)


def gpt2_case(name, seed):
    torch.manual_seed(seed)
    cfg = GPT2Config(vocab_size=120, n_positions=40, n_embd=36, n_layer=2, n_head=3, resid_pdrop=0.0,
                     embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=119, eos_token_id=119)
    model = GPT2LMHeadModel(cfg).eval()
    with torch.no_grad():
        for n, p in model.named_parameters():
            if n.endswith(".weight") and ("ln_" in n):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            else:
                p.copy_(torch.randn_like(p) * 0.2)
    folder = os.path.join(HERE, name)
    model.save_pretrained(folder, safe_serialization=True)

    g = torch.Generator().manual_seed(seed + 1)
    b, t, p = 2, 7, 4
    ids = torch.randint(0, 120, (b, t), generator=g)
    prefix = torch.randn(b, p, 36, generator=g)
    with torch.no_grad():
        o = model(input_ids=ids, output_hidden_states=True)
        emb = model.transformer.wte(ids)
        op = model(inputs_embeds=torch.cat([prefix, emb], dim=1), output_hidden_states=True)
    out = {"input_ids": ids, "prefix": prefix, "logits": o.logits, "prefix_logits": op.logits}
    for i, h in enumerate(o.hidden_states):
        out[f"hidden_{i}"] = h
    save_outputs(os.path.join(HERE, f"{name}-outputs.safetensors"), out)


def kernels_case():
    """Elementwise and row kernels against torch, on values spanning the ranges models produce."""
    g = torch.Generator().manual_seed(99)
    x = torch.cat([torch.randn(4000, generator=g) * 4, torch.linspace(-30, 30, 96)])
    rows = torch.randn(7, 53, generator=g) * 3 + 1
    gamma, beta = torch.randn(53, generator=g), torch.randn(53, generator=g)
    out = {
        "x": x,
        "exp_in": torch.linspace(-87, 88, 1000),
        "exp": torch.exp(torch.linspace(-87, 88, 1000)),
        "gelu_tanh": torch.nn.functional.gelu(x, approximate="tanh"),
        "gelu": torch.nn.functional.gelu(x),
        "quick_gelu": x * torch.sigmoid(1.702 * x),
        "relu": torch.relu(x),
        "rows": rows, "gamma": gamma, "beta": beta,
        "layer_norm": torch.nn.functional.layer_norm(rows, (53,), gamma, beta, 1e-5),
        "softmax": torch.softmax(rows, dim=-1),
    }
    save_outputs(os.path.join(HERE, "kernels.safetensors"), out)
    # dtype conversion: the same values stored as F16, BF16 and F64, with their exact F32 values
    vals = torch.cat([torch.randn(500, generator=g) * 10, torch.tensor([0.0, -0.0, 65504.0, 6e-8, -3e-5, 1e-3])])
    h, bf = vals.half(), vals.bfloat16()
    save_file({"f16": h, "bf16": bf, "f64": vals.double(), "f16_as_f32": h.float(), "bf16_as_f32": bf.float(),
               "f64_as_f32": vals.double().float(), "i64": torch.arange(-3, 5)},
              os.path.join(HERE, "dtypes.safetensors"))


def main():
    kernels_case()
    clip_case("tiny-clip", 1234, "quick_gelu", "quick_gelu", 2)
    clip_case("tiny-clip-gelu", 4321, "gelu", "gelu", 97)
    gpt2_case("tiny-gpt2", 777)
    print("wrote tiny-clip, tiny-clip-gelu, tiny-gpt2 and their outputs")


if __name__ == "__main__":
    main()
