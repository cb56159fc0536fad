#!/usr/bin/env python3
"""Tiny ClipCap checkpoints with the official state-dict names, and their reference outputs.

The mapper classes below restate the semantics of the official ClipCap code (rmokady/CLIP_prefix_caption,
train.py: MLP, MultiHeadAttention, TransformerLayer, Transformer, TransformerMapper, ClipCaptionModel)
so that the state-dict names and the forward pass are exactly the official ones.

- tiny-clipcap-mlp/: MLP mapper + fine-tuned GPT-2 (gpt.transformer.* in model.safetensors), clipcap.json
- tiny-clipcap-transformer/: Transformer mapper + frozen GPT-2 (clipcap.json points at ../tiny-clipcap-gpt2)
- tiny-clipcap-gpt2/: the GPT-2 (n_embd 48, divisible by the mapper's fixed 8 heads)
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file
from transformers import GPT2Config, GPT2LMHeadModel

HERE = os.path.dirname(os.path.abspath(__file__))


class MLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                layers.append(nn.Tanh())
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


class MlpTransformer(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, h), nn.Linear(h, d)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


class MultiHeadAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.scale = heads, (d // heads) ** -0.5
        self.to_queries = nn.Linear(d, d, bias=False)
        self.to_keys_values = nn.Linear(d, 2 * d, bias=False)
        self.project = nn.Linear(d, d)

    def forward(self, x):
        b, n, c = x.shape
        q = self.to_queries(x).reshape(b, n, self.heads, c // self.heads)
        kv = self.to_keys_values(x).reshape(b, n, 2, self.heads, c // self.heads)
        k, v = kv[:, :, 0], kv[:, :, 1]
        att = (torch.einsum("bnhd,bmhd->bnmh", q, k) * self.scale).softmax(dim=2)
        return self.project(torch.einsum("bnmh,bmhd->bnhd", att, v).reshape(b, n, c))


class TransformerLayer(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.norm1, self.attn = nn.LayerNorm(d), MultiHeadAttention(d, heads)
        self.norm2, self.mlp = nn.LayerNorm(d), MlpTransformer(d, 2 * d)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class Transformer(nn.Module):
    def __init__(self, d, heads, layers):
        super().__init__()
        self.layers = nn.ModuleList([TransformerLayer(d, heads) for _ in range(layers)])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class TransformerMapper(nn.Module):
    def __init__(self, dim_clip, d, prefix_length, clip_length, layers):
        super().__init__()
        self.clip_length = clip_length
        self.transformer = Transformer(d, 8, layers)
        self.linear = nn.Linear(dim_clip, clip_length * d)
        self.prefix_const = nn.Parameter(torch.randn(prefix_length, d))

    def forward(self, x):
        x = self.linear(x).view(x.shape[0], self.clip_length, -1)
        prefix = self.prefix_const.unsqueeze(0).expand(x.shape[0], *self.prefix_const.shape)
        return self.transformer(torch.cat((x, prefix), dim=1))[:, self.clip_length:]


def randomize(module, scale=0.2):
    with torch.no_grad():
        for n, p in module.named_parameters():
            if ("norm" in n or "ln_" in n) and n.endswith("weight"):
                p.copy_(1.0 + scale * torch.randn_like(p))
            else:
                p.copy_(scale * torch.randn_like(p))


def gpt2(seed):
    torch.manual_seed(seed)
    cfg = GPT2Config(vocab_size=120, n_positions=40, n_embd=48, n_layer=2, n_head=3, bos_token_id=119, eos_token_id=119)
    m = GPT2LMHeadModel(cfg).eval()
    randomize(m)
    return m


def case(name, mapper, gpt, finetune, prefix_length, config):
    folder = os.path.join(HERE, name)
    os.makedirs(folder, exist_ok=True)
    state = {f"clip_project.{k}": v.detach().clone() for k, v in mapper.state_dict().items()}
    if finetune:
        for k, v in gpt.state_dict().items():
            if k.startswith("transformer.") and not k.endswith(".attn.bias") and not k.endswith(".attn.masked_bias"):
                state[f"gpt.{k}"] = v.detach().clone()
        state["gpt.lm_head.weight"] = gpt.lm_head.weight.detach().clone()
    save_file(state, os.path.join(folder, "model.safetensors"))
    with open(os.path.join(folder, "clipcap.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
    g = torch.Generator().manual_seed(len(name))
    clip = torch.randn(3, config["prefix_size"], generator=g) * 3
    tokens = torch.randint(0, 120, (3, 5), generator=g)
    with torch.no_grad():
        x = clip / clip.norm(2, -1, keepdim=True) if config["normalize_prefix"] else clip
        prefix = mapper(x).view(-1, prefix_length, 48)
        emb = torch.cat((prefix, gpt.transformer.wte(tokens)), dim=1)   # ClipCaptionModel.forward
        logits = gpt(inputs_embeds=emb).logits
    save_file({"clip": clip, "tokens": tokens, "prefix": prefix.contiguous(), "logits": logits},
              os.path.join(HERE, f"{name}-outputs.safetensors"))


def main():
    gpt = gpt2(11)
    gfolder = os.path.join(HERE, "tiny-clipcap-gpt2")
    gpt.save_pretrained(gfolder, safe_serialization=True)

    torch.manual_seed(12)
    mlp = MLP((20, 48 * 3 // 2, 48 * 3)).eval()
    randomize(mlp)
    case("tiny-clipcap-mlp", mlp, gpt, True, 3,
         {"mapper": "mlp", "prefix_size": 20, "prefix_length": 3, "normalize_prefix": True, "gpt2_mode": "finetune",
          "gpt2": "../tiny-clipcap-gpt2", "stop": "eos", "seed": 0})

    torch.manual_seed(13)
    tm = TransformerMapper(20, 48, prefix_length=4, clip_length=3, layers=2).eval()
    randomize(tm)
    case("tiny-clipcap-transformer", tm, gpt, False, 4,
         {"mapper": "transformer", "prefix_size": 20, "prefix_length": 4, "clip_length": 3, "num_layers": 2,
          "normalize_prefix": False, "gpt2_mode": "frozen", "gpt2": "../tiny-clipcap-gpt2", "stop": "eos", "seed": 0})
    print("wrote tiny-clipcap-{mlp,transformer,gpt2} and their outputs")


if __name__ == "__main__":
    main()
