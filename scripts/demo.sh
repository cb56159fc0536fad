#!/usr/bin/env bash
# The README's main job: installs what is missing, builds clipcap (release), generates the built-in world
# (data/world: 10000 images of shapes with 5 captions each and their ground truth), and runs the three demo
# manifests with the world's CLIP and GPT-2 that ship in Experiments/world:
#   Experiments/demo-supervised.yaml   ClipCap trained on CLIP image embeddings      → runs/demo-supervised
#   Experiments/demo-same.yaml         text only, each caption reconstructs itself   → runs/demo-same
#   Experiments/demo.yaml              Unsupervised-ClipCap (text only, paraphrase),
#                                      then gap statistics, the alignment study and
#                                      the mixup sweep of all three models            → runs/demo
# and exports runs/demo as Notebooks-export/demo.ipynb (and demo.md). Arguments go to every `clipcap run`
# (e.g. --set train.max_steps=20 for a quick look). Stages whose inputs did not change are skipped on a rerun.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product clipcap
bin=.build/release/clipcap
# deterministic: the same seed and settings give byte-identical files, so reruns find their stages up to date
"$bin" world generate --out data/world --images 10000 --seed 0
"$bin" run Experiments/demo-supervised.yaml "$@"
"$bin" run Experiments/demo-same.yaml "$@"
"$bin" run Experiments/demo.yaml "$@"
"$bin" export notebook runs/demo --out Notebooks-export/demo.ipynb
"$bin" export notebook runs/demo --out Notebooks-export/demo.md
cp runs/demo/plots/gap_scatter.svg Notebooks-export/demo_gap_scatter.svg   # the README's picture
echo "demo: runs/demo, runs/demo-supervised and runs/demo-same hold the runs; Notebooks-export/demo.ipynb and demo.md report them"
