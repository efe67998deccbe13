#!/usr/bin/env bash
# Installs whatever the playground and its checks need and is missing, and skips what is
# already there at the right version, so a second run takes seconds.
#
# Sourced by serve.sh and check.sh; can also be run on its own.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"

TRUNK_VERSION=0.21.14 # trunk 0.22 needs a newer rustc than this machine's 1.95

say() { echo "setup: $*" >&2; }
give_up() {
  say "could not install $1."
  say "install it by hand: $2"
  exit 1
}

# The wasm-bindgen CLI must equal the wasm-bindgen crate in Cargo.lock exactly.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock
}

command -v cargo >/dev/null || give_up "Rust" "rustup (https://rustup.rs), then re-run"

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown ||
    give_up "the wasm32 target" "rustup target add wasm32-unknown-unknown"
fi

# Debian packages: headless browser, its driver, and wasm-opt.
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v wasm-opt >/dev/null || missing+=(binaryen)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    give_up "${missing[*]}" "apt-get install ${missing[*]} (as root)"
  fi
  say "installing Debian packages: ${missing[*]}"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >&2 ||
    give_up "${missing[*]}" "apt-get update && apt-get install ${missing[*]}"
fi

if [ ! -f Cargo.lock ]; then
  cargo generate-lockfile
fi
WASM_BINDGEN_VERSION=$(wasm_bindgen_version)
[ -n "$WASM_BINDGEN_VERSION" ] || give_up "wasm-bindgen-cli" "cargo install wasm-bindgen-cli (no wasm-bindgen in Cargo.lock?)"
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ] ||
  ! command -v wasm-bindgen-test-runner >/dev/null; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes)"
  # Not --locked: its lock file can name a yanked crate the registry no longer serves.
  cargo install --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" >&2 ||
    give_up "wasm-bindgen-cli $WASM_BINDGEN_VERSION" "cargo install wasm-bindgen-cli --version $WASM_BINDGEN_VERSION"
fi

if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION (about 15 minutes on 2 cores)"
  cargo install --force trunk --locked --version "$TRUNK_VERSION" >&2 ||
    give_up "trunk $TRUNK_VERSION" "cargo install trunk --locked --version $TRUNK_VERSION"
fi

# Playwright drives Debian's Chromium; it never downloads a browser of its own.
# (re-)install when package-lock.json changed since the last npm ci
if ! cmp -s package-lock.json node_modules/.orderflow-installed-lock 2>/dev/null; then
  say "installing Node packages (npm ci)"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >&2 ||
    give_up "the Node packages" "npm ci"
  cp package-lock.json node_modules/.orderflow-installed-lock
fi

export CHROMEDRIVER=/usr/bin/chromedriver
say "ready: rust $(rustc --version | awk '{print $2}'), trunk $TRUNK_VERSION, wasm-bindgen $WASM_BINDGEN_VERSION, $(chromium --version 2>/dev/null | head -n1)"
