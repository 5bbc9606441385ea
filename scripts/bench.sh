#!/usr/bin/env bash
# npm run bench: benchmarks (a report, not a test). Pass --quick for a short run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/bootstrap.sh
bash scripts/build-wasm.sh
mkdir -p tmp
export TMPDIR="$PWD/tmp"
node tests/bench/run.mjs "$@"
