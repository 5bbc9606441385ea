#!/usr/bin/env bash
# What npm start and npm run consortium need first: set up what is missing, build the WASM
# package and the release server.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/bootstrap.sh
bash scripts/build-wasm.sh
cargo build --release -q -p semres-cli --bin semres
