#!/usr/bin/env bash
# Reproduces the world's shipped CLIP and GPT-2 (Experiments/world/clip, Experiments/world/gpt2) with this
# framework alone: the world (seed 0, 10000 images of 64 px: 8000 train, 1000 val, 1000 test), a BPE
# vocabulary for each model learned from the train captions, then `clipcap pretrain clip` and
# `clipcap pretrain gpt2` on the train split. The CLIP's towers are first warm-started on the world's ground
# truth (relation, shapes, colours, and which colour each shape has), then trained contrastively on each image's
# first caption, with mirror twins and, on half the steps, shape twins, so that it encodes which object is where
# and which shape is which (README, "What it took"). Deterministic for a given build and machine; about 25
# minutes on 2 cores. Usage: scripts/train_world.sh [OUT_DIR]   (default Experiments/world; data goes to data/world)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-Experiments/world}
scripts/setup.sh
swift build -c release --product clipcap
bin=.build/release/clipcap
mkdir -p "$out"
"$bin" world generate --out data/world --images 10000 --seed 0
"$bin" world bpe --dataset data/world/dataset.json --split train --format clip --merges 1000 --out "$out/tokenizer-clip"
"$bin" world bpe --dataset data/world/dataset.json --split train --format gpt2 --merges 1000 --out "$out/tokenizer-gpt2"
"$bin" pretrain clip --dataset data/world/dataset.json --images data/world --split train \
    --tokenizer "$out/tokenizer-clip" --out "$out/clip" \
    --image-size 64 --patch-size 8 --vision-width 96 --vision-layers 3 --vision-heads 4 \
    --text-width 64 --text-layers 2 --text-heads 4 --projection-dim 64 --context 32 \
    --batch-size 128 --steps 1200 --lr 1e-3 --warmup 100 --weight-decay 0.1 --seed 0 \
    --attributes data/world/attributes.json --warm-start-steps 1500 --mirror-twins 1 --shape-twins 0.5 \
    --binding-flags --captions-per-image 1
"$bin" pretrain gpt2 --dataset data/world/dataset.json --split train \
    --tokenizer "$out/tokenizer-gpt2" --out "$out/gpt2" \
    --layers 2 --heads 4 --width 128 --positions 64 \
    --batch-size 64 --steps 3000 --lr 1e-3 --warmup 100 --seed 0
rm -rf "$out/tokenizer-clip" "$out/tokenizer-gpt2"   # each model folder holds its own copy
echo "train_world: wrote $out/clip and $out/gpt2"
