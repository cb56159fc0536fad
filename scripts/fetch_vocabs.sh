#!/usr/bin/env bash
# Fetches the CLIP and GPT-2 BPE sources from PyPI and converts them to HF vocab.json + merges.txt:
#   .cache/vocab/clip/{vocab.json,merges.txt}   from open_clip_torch's bpe_simple_vocab_16e6.txt.gz
#   .cache/vocab/gpt2/{vocab.json,merges.txt}   from openai-whisper's whisper/assets/gpt2.tiktoken
# (or under $CLIPCAP_VOCAB_DIR when set). Downloads go to .cache/downloads.
#
# Dev/CI helper: idempotent (files already present are kept; --force converts again) and never fatal:
# when something cannot be fetched it prints a notice and exits 0, and the tests that need the
# vocabularies skip with a message. Needs python3 and, to download, pip; no torch.
set -u

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DOWNLOADS="$REPO/.cache/downloads"
OUT="${CLIPCAP_VOCAB_DIR:-$REPO/.cache/vocab}"
PYTHON="${PYTHON:-python3}"
FORCE=0
[ "${1:-}" = "--force" ] && FORCE=1

notice() { echo "fetch_vocabs: $*" >&2; }

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    notice "no $PYTHON; vocabularies not converted (tokenizer tests will skip)"
    exit 0
fi

done_already() {
    for f in clip/vocab.json clip/merges.txt gpt2/vocab.json gpt2/merges.txt; do
        [ -s "$OUT/$f" ] || return 1
    done
    return 0
}
if [ "$FORCE" = 0 ] && done_already; then
    echo "fetch_vocabs: vocabularies present in $OUT (use --force to convert again)"
    exit 0
fi

mkdir -p "$DOWNLOADS" || { notice "cannot create $DOWNLOADS"; exit 0; }

# --- CLIP: bpe_simple_vocab_16e6.txt.gz -----------------------------------------------------------------
CLIP_BPE="$DOWNLOADS/bpe_simple_vocab_16e6.txt.gz"
if [ ! -s "$CLIP_BPE" ]; then
    # An installed open_clip carries it; find_spec locates the package without importing it (no torch needed).
    installed="$("$PYTHON" -c '
import importlib.util, os
spec = importlib.util.find_spec("open_clip")
path = os.path.join(spec.submodule_search_locations[0], "bpe_simple_vocab_16e6.txt.gz") if spec else ""
print(path if path and os.path.exists(path) else "")
' 2>/dev/null)"
    if [ -n "$installed" ]; then
        cp "$installed" "$CLIP_BPE" && echo "fetch_vocabs: CLIP BPE from installed open_clip ($installed)"
    elif "$PYTHON" -m pip download --quiet --no-deps --only-binary :all: open_clip_torch -d "$DOWNLOADS/wheels" 2>/dev/null; then
        wheel="$(ls -t "$DOWNLOADS"/wheels/open_clip_torch-*.whl 2>/dev/null | head -n 1)"
        [ -n "$wheel" ] && "$PYTHON" - "$wheel" "$CLIP_BPE" <<'EOF'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("open_clip/bpe_simple_vocab_16e6.txt.gz") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
EOF
    fi
    [ -s "$CLIP_BPE" ] || { rm -f "$CLIP_BPE"; notice "could not get open_clip_torch's bpe_simple_vocab_16e6.txt.gz from PyPI"; }
fi

# --- GPT-2: the openai-whisper sdist, which carries whisper/assets/gpt2.tiktoken -------------------------
WHISPER_SDIST="$(ls -t "$DOWNLOADS"/openai_whisper-*.tar.gz "$DOWNLOADS"/openai-whisper-*.tar.gz 2>/dev/null | head -n 1)"
if [ -z "$WHISPER_SDIST" ]; then
    # --no-build-isolation: preparing the sdist's metadata then uses the installed setuptools, not a fresh download.
    "$PYTHON" -m pip download --quiet --no-deps --no-binary :all: --no-build-isolation openai-whisper -d "$DOWNLOADS" 2>/dev/null \
        || "$PYTHON" -m pip download --quiet --no-deps --no-binary :all: openai-whisper -d "$DOWNLOADS" 2>/dev/null
    WHISPER_SDIST="$(ls -t "$DOWNLOADS"/openai_whisper-*.tar.gz "$DOWNLOADS"/openai-whisper-*.tar.gz 2>/dev/null | head -n 1)"
    [ -n "$WHISPER_SDIST" ] || notice "could not get the openai-whisper sdist from PyPI"
fi

# --- Convert ---------------------------------------------------------------------------------------------
args=()
[ -s "$CLIP_BPE" ] && args+=(--clip-bpe "$CLIP_BPE")
[ -n "$WHISPER_SDIST" ] && args+=(--gpt2-tiktoken "$WHISPER_SDIST")
if [ ${#args[@]} -eq 0 ]; then
    notice "nothing to convert; tokenizer tests that need vocabularies will skip"
    exit 0
fi
if ! "$PYTHON" "$REPO/scripts/convert_vocabs.py" "${args[@]}" --out "$OUT"; then
    notice "conversion failed; tokenizer tests that need vocabularies will skip"
    exit 0
fi

# The converted files are byte-for-byte the ones these hashes name (the GPT-2 merges.txt equals the
# original OpenAI/HF file); a difference means an upstream source changed.
check() {
    [ -s "$OUT/$1" ] || return 0
    actual="$("$PYTHON" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$OUT/$1")"
    [ "$actual" = "$2" ] || notice "$1: sha256 $actual differs from the expected $2"
}
check clip/vocab.json 5047b556ce86ccaf6aa22b3ffccfc52d391ea4accdab9c2f2407da5b742d4363
check clip/merges.txt 9fd691f7c8039210e0fced15865466c65820d09b63988b0174bfe25de299051a
check gpt2/vocab.json 3ba3c3109ff33976c4bd966589c11ee14fcaa1f4c9e5e154c2ed7f99d80709e7
check gpt2/merges.txt 1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5
exit 0
