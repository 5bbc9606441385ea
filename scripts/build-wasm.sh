#!/usr/bin/env bash
# Builds the WASM package into pkg/ (ES module for the browser: pkg/semres.js + .wasm + .d.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
profile=${SEMRES_WASM_PROFILE:---profile wasm-release}
wasm-pack --log-level warn build --target web --weak-refs $profile --out-dir pkg --out-name semres
# wasm-pack writes its own .gitignore and package.json into pkg/; the folder is ignored anyway.
touch pkg/.gitkeep
# Function names are for debuggers; the browser downloads the module without them.
if [ "$profile" != "--dev" ]; then node scripts/strip-wasm-names.mjs pkg/semres_bg.wasm; fi
