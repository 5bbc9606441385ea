#!/usr/bin/env bash
# npm start: set up what is missing, build the WASM package and the server, and serve the
# site on http://127.0.0.1:8080/ (override with SEMRES_LISTEN=host:port).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/bootstrap.sh
bash scripts/build-wasm.sh
cargo build --release -q -p semres-cli --bin semres
echo "Open the URL printed below; README.md → 'Walkthrough' takes you through David → Lawson."
exec target/release/semres serve --listen "${SEMRES_LISTEN:-127.0.0.1:8080}" --www www --pkg pkg --data-dir "${SEMRES_DATA_DIR:-data}" --demo
