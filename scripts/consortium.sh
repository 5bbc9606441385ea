#!/usr/bin/env bash
# npm run consortium: set up what is missing, build the WASM package and the server, and run
# four hospitals sharing one ledger on anvil (scripts/consortium.mjs; SEMRES_CONSORTIUM_DIR
# for their files, default ./data-consortium, emptied at each start).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-release.sh
exec node scripts/consortium.mjs "$@"
