#!/usr/bin/env bash
# npm start: set up what is missing, build the WASM package and the server, and serve the
# site on http://127.0.0.1:8080/ (override with SEMRES_LISTEN=host:port).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-release.sh
echo "Open the URL printed below; README.md → 'Walkthrough' takes you through David → Lawson."
exec target/release/semres serve --listen "${SEMRES_LISTEN:-127.0.0.1:8080}" --www www --pkg pkg --data-dir "${SEMRES_DATA_DIR:-data}" --demo
