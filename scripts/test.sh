#!/usr/bin/env bash
# npm test: every test of SEMRES, in the order a failure is cheapest to find.
#   formatting and lints (native and wasm32) -> native tests (unit, vectors, external
#   vectors, properties, server, faults) -> fuzz smoke -> the same vectors in headless Chromium -> JS tests
#   (the JS API on every vector, jose interop, the page in Chromium via Playwright).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/bootstrap.sh

# Browser runs leave profiles in TMPDIR: keep them in the project's ignored tmp/ and clean up.
mkdir -p tmp
export TMPDIR="$PWD/tmp"
trap 'rm -rf "$PWD/tmp"/* 2>/dev/null || true' EXIT

step() { printf '\n=== %s ===\n' "$*"; }

step "rustfmt"
cargo fmt --all -- --check
cargo fmt --manifest-path fuzz/Cargo.toml -- --check

step "clippy (native and wasm32, -D warnings)"
# The workspace lints hold everywhere; tests may also unwrap, expect and panic (that is how a
# test fails) and share helpers through `pub`.
TEST_LINTS=(-A clippy::unwrap_used -A clippy::expect_used -A clippy::panic -A unreachable_pub)
cargo clippy --workspace --lib --bins -q -- -D warnings
cargo clippy --workspace --tests --benches -q -- -D warnings "${TEST_LINTS[@]}"
cargo clippy -p semres --target wasm32-unknown-unknown --lib -q -- -D warnings
cargo clippy -p semres --target wasm32-unknown-unknown --tests -q -- -D warnings "${TEST_LINTS[@]}"

step "dependencies (cargo deny: licenses, bans, sources, advisories)"
cargo deny --log-level error check licenses bans sources
if timeout 120 cargo deny --log-level error check advisories 2>tmp/advisories.log; then
  echo "advisories ok"
elif grep -q "failed to fetch advisory database" tmp/advisories.log; then
  echo "advisories: SKIPPED — the RustSec database cannot be fetched from this machine (no access to github.com); run 'cargo deny check advisories' where it can"
else
  cat tmp/advisories.log
  exit 1
fi

step "native tests"
if [ -d ../shared/vectors ]; then
  echo "external vectors: reading ../shared/vectors (Wycheproof, RFC 7520 cookbook)"
else
  echo "external vectors: ../shared/vectors is absent here — the Wycheproof and RFC 7520 tests report SKIPPED and check nothing"
fi
cargo test --workspace -q 2>&1 | grep -v '^$'

step "fuzz smoke (every target in fuzz/, 10 s each; long runs: FUZZING.md)"
bash scripts/fuzz.sh smoke 10

step "WASM package"
bash scripts/build-wasm.sh

step "headless Chromium (wasm-bindgen-test)"
wasm-pack --log-level warn test --headless --chrome -- --test web

step "server binary and the consortium fixture for the JS tests"
cargo build -q -p semres-cli --bin semres -p xtask --bin xtask

step "JS tests (node:test)"
node --test --test-concurrency=1 --test-reporter=spec tests/js/
