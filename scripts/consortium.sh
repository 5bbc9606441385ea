#!/usr/bin/env bash
# npm run consortium: set up what is missing, build the WASM package and the server, and run
# four hospitals sharing one ledger on anvil (scripts/consortium.mjs; SEMRES_CONSORTIUM_DIR
# for their files, default ./data-consortium, emptied at each start).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/bootstrap.sh
bash scripts/build-wasm.sh
cargo build --release -q -p semres-cli --bin semres
exec node scripts/consortium.mjs "$@"
