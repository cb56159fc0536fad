#!/usr/bin/env bash
# The README's main job: installs what is missing, builds clipcap (release), and runs the demo manifest
# (Experiments/demo.yaml) on the small default the repo ships: CLIP embeddings, text-only training,
# decoding, metrics, gap statistics, the alignment study and the mixup sweep into runs/demo/, then the
# exported notebook Notebooks-export/demo.ipynb (and demo.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product clipcap
bin=.build/release/clipcap
"$bin" run Experiments/demo.yaml "$@"
"$bin" export notebook runs/demo --out Notebooks-export/demo.ipynb
"$bin" export notebook runs/demo --out Notebooks-export/demo.md
echo "demo: runs/demo holds the run; Notebooks-export/demo.ipynb and demo.md report it"
