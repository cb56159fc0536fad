#!/usr/bin/env bash
# The README's main job: installs what is missing, builds clipcap (release), and runs the demo on the
# small default the repo ships (Experiments/demo): CLIP text and image embeddings into runs/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product clipcap
bin=.build/release/clipcap
demo=Experiments/demo
out=runs/demo/embeddings
mkdir -p "$out"
"$bin" embed text  --clip "$demo/clip" --input "$demo/captions.txt" --out "$out/text.safetensors"
"$bin" embed image --clip "$demo/clip" --input "$demo/images" --out "$out/image.safetensors"
echo "demo: wrote $out/text.safetensors and $out/image.safetensors (+ .jsonl sidecars)"
