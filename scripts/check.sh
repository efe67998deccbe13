#!/usr/bin/env bash
# Runs every check, in order, and exits non-zero on the first failure:
# format, the engine's module layers, lints (native and wasm32), engine and CLI tests,
# browser tests in headless Chromium, the release build, and end-to-end journeys on the
# built site.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

step() { printf '\n== %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all --check

step "engine module layers: no import circle (scripts/module_layers.py)"
python3 scripts/module_layers.py

step "cargo clippy (native, all targets)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo clippy (wasm32: app all targets, engine library)"
cargo clippy -p orderflow --all-targets --target wasm32-unknown-unknown --locked -- -D warnings
cargo clippy -p orderflow-engine --lib --target wasm32-unknown-unknown --locked -- -D warnings

step "engine purity: no web crates in orderflow-engine (native and wasm32)"
for target in x86_64-unknown-linux-gnu wasm32-unknown-unknown; do
  if cargo tree -p orderflow-engine -e normal --target "$target" --prefix none --locked |
    grep -E '^(leptos|web-sys|js-sys|wasm-bindgen|getrandom) '; then
    echo "orderflow-engine must stay pure Rust, but depends on the crates above for $target" >&2
    exit 1
  fi
done

step "native tests: engine, CLI and the app's logic"
cargo test -p orderflow-engine -p orderflow-cli --locked
cargo test -p orderflow --lib --locked

step "browser tests: wasm-bindgen-test in headless Chromium"
CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=120 \
  cargo test -p orderflow --target wasm32-unknown-unknown --locked

step "trunk build --release"
trunk build --release

step "trunk build --release under a sub-path (for e2e/subpath.test.mjs)"
trunk build --release --public-url /some/path/ --dist target/dist-subpath

step "end-to-end journeys (Playwright on the built site)"
cargo build -q -p orderflow-cli --locked
node --test --test-concurrency=1 e2e/

step "release size"
wasm=$(ls dist/*.wasm | head -n1)
raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
awk -v name="$(basename "$wasm")" -v raw="$raw" -v gz="$gz" 'BEGIN {
  printf "release wasm %s: %d bytes raw (%.1f KiB), %d bytes gzipped (%.1f KiB)\n", name, raw, raw / 1024, gz, gz / 1024 }'
