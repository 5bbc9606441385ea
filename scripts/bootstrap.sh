#!/usr/bin/env bash
# Idempotent set-up for SEMRES on a fresh Debian machine with rustup, cargo, node and npm:
# installs only what is missing, and takes a few seconds when everything is present.
#   - the wasm32-unknown-unknown Rust target
#   - wasm-pack, and wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock
#   - cargo-deny (licenses, bans, sources and advisories of the dependencies)
#   - the nightly toolchain and cargo-fuzz (the fuzz targets in fuzz/)
#   - Debian's chromium and chromium-driver (headless browser tests)
#   - openssl (key interoperability tests)
#   - the npm packages of package-lock.json
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[bootstrap] %s\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PATH"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root for: $*"; return 1; fi
}

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! command -v wasm-pack >/dev/null; then
  log "installing wasm-pack (about 2 minutes)"
  cargo install wasm-pack --locked
fi

if ! command -v cargo-deny >/dev/null; then
  log "installing cargo-deny (about 4 minutes)"
  cargo install cargo-deny --locked
fi

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  log "installing the nightly toolchain (for cargo-fuzz)"
  rustup toolchain install nightly --profile minimal
fi

if ! command -v cargo-fuzz >/dev/null; then
  log "installing cargo-fuzz (about 2 minutes)"
  cargo install cargo-fuzz --locked
fi

bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$bindgen_version" ]; then
  log "cannot read the wasm-bindgen version from Cargo.lock"; exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen_version" ]; then
  log "installing wasm-bindgen-cli $bindgen_version (about 2 minutes)"
  # Not --locked: its lock file pins a dependency version the registry no longer serves.
  cargo install wasm-bindgen-cli --version "$bindgen_version" --force
fi

missing_apt=()
[ -x /usr/bin/chromium ] || missing_apt+=(chromium)
[ -x /usr/bin/chromedriver ] || missing_apt+=(chromium-driver)
command -v openssl >/dev/null || missing_apt+=(openssl)
command -v sqlite3 >/dev/null || missing_apt+=(sqlite3)
[ -x /usr/bin/firefox-esr ] || missing_apt+=(firefox-esr)
if [ ${#missing_apt[@]} -gt 0 ]; then
  log "installing ${missing_apt[*]} from Debian"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing_apt[@]}" >/dev/null
fi

# npm packages: reinstall only when package-lock.json changed since the last install.
stamp=node_modules/.semres-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  log "installing npm packages"
  # --ignore-scripts: no package needs an install script (anvil ships its binary inside).
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
log "ready"
