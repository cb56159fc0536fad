#!/usr/bin/env python3
"""Regenerates every golden fixture under Tests/Fixtures (dev-only; needs torch, transformers, pillow).

    pip install torch transformers pillow safetensors
    python3 Tests/Fixtures/generate.py

Each part lives in its own gen_*.py; this runs those that are present.
"""
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

for part in ["gen_models", "gen_tokenizers", "gen_images", "gen_clipcap", "gen_decoding", "gen_metrics", "gen_gap",
             "gen_captioning", "gen_training", "gen_pretrain", "gen_clip_training", "gen_clip_warm_start", "gen_world"]:
    path = os.path.join(HERE, part + ".py")
    if not os.path.exists(path):
        continue
    spec = importlib.util.spec_from_file_location(part, path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, HERE)
    spec.loader.exec_module(module)
    print(f"== {part}")
    module.main()
