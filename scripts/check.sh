#!/usr/bin/env bash
# Runs every check, in order, and exits non-zero on the first failure:
# format, the engine's module layers, lints (native and wasm32), engine and CLI tests,
# browser tests in headless Chromium, the release build, end-to-end journeys on the built
# site, a smoke run of the benchmarks, and the release size against its budget.
set -euo pipefail
cd "$(dirname "$0")/.."

# The size budget of issue #14 is 400,000 bytes of gzipped release wasm. The bundle is not
# there yet, so the enforced budget is a ratchet at the size last reached (BENCHMARKS.md,
# "The bundle"): check.sh fails when the wasm grows past it, so growth cannot go unnoticed.
# Lower it whenever the bundle shrinks; raise it only on purpose, saying why in the commit.
SIZE_TARGET_GZIP_BYTES=400000
SIZE_BUDGET_GZIP_BYTES=769000

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
cargo clippy -p orderflow-bench --lib --target wasm32-unknown-unknown --locked -- -D warnings

step "engine purity: no web crates in orderflow-engine (native and wasm32)"
for target in x86_64-unknown-linux-gnu wasm32-unknown-unknown; do
  if cargo tree -p orderflow-engine -e normal --target "$target" --prefix none --locked |
    grep -E '^(leptos|web-sys|js-sys|wasm-bindgen|getrandom) '; then
    echo "orderflow-engine must stay pure Rust, but depends on the crates above for $target" >&2
    exit 1
  fi
done

step "native tests: engine, CLI, benchmark harness and the app's logic"
cargo test -p orderflow-engine -p orderflow-cli --locked
# One test at a time: the benchmark's allocation counter is global, and a second test thread
# (or libtest collecting a finished test's output) allocating or freeing meanwhile moves
# the bytes a test measures.
cargo test -p orderflow-bench --locked -- --test-threads=1
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

step "benchmark smoke: every workload at a tiny size, natively and in Wasm, and the page (no timings checked)"
# Keeps scripts/bench.sh's parts compiling and running; the numbers come from bench.sh.
cargo run -q -p orderflow-bench --locked -- --smoke
cargo build -q -p orderflow-bench --lib --target wasm32-unknown-unknown --locked
smoke_web=${CARGO_TARGET_DIR:-target}/bench-web-smoke
rm -rf "$smoke_web" && mkdir -p "$smoke_web"
wasm-bindgen --target web --no-typescript --out-dir "$smoke_web" \
  "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/debug/orderflow_bench.wasm"
cp bench/web/index.html "$smoke_web/"
node bench/web/run.mjs "$smoke_web" "$(cargo run -q -p orderflow-bench --locked -- --smoke --print-plan)" >/dev/null
node e2e/page-bench.mjs --smoke >/dev/null

step "page soak smoke: 20 ticks of the soak scenario (brokers, kills, retention) on the release build"
# The full soak (ten million events) runs by hand: node e2e/page-soak.mjs
node e2e/page-soak.mjs --smoke >/dev/null

step "release size (budget: $SIZE_BUDGET_GZIP_BYTES bytes of gzipped wasm; target: $SIZE_TARGET_GZIP_BYTES)"
for f in dist/*.wasm dist/*.js dist/*.css; do
  printf '%-44s %9d bytes raw %9d bytes gzipped\n' "$(basename "$f")" "$(stat -c %s "$f")" "$(gzip -9 -c "$f" | wc -c)"
done
wasm=$(ls dist/*.wasm | head -n1)
gz=$(gzip -9 -c "$wasm" | wc -c)
awk -v gz="$gz" -v budget="$SIZE_BUDGET_GZIP_BYTES" -v target="$SIZE_TARGET_GZIP_BYTES" 'BEGIN {
  if (gz > target) { verdict = "missed"; by = gz - target } else { verdict = "met"; by = target - gz }
  printf "release wasm gzipped: %d bytes; budget (ratchet) %d bytes; target 400 KB (%d bytes), %s by %d bytes\n",
    gz, budget, target, verdict, by }'
# dist/'s wasm has no names left after wasm-opt, so the contributors are read from cargo's
# output before wasm-bindgen and wasm-opt (sizes before those passes; the names section and
# wasm-bindgen's custom section, which the shipped file drops, left out). scripts/bench.sh
# prints the exact breakdown of the optimised file.
named=${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/web/orderflow.wasm
if command -v twiggy >/dev/null && [ -f "$named" ]; then
  echo "biggest contributors (twiggy top on $named, before wasm-bindgen and wasm-opt):"
  twiggy top -n 22 "$named" | grep -v -e '"function names" subsection' -e "custom section '__wasm_bindgen"
elif [ -f "$named" ]; then
  echo "biggest contributors (scripts/wasm_sizes.py on $named, before wasm-bindgen and wasm-opt;"
  echo "twiggy, if installed, says more: cargo install twiggy --locked):"
  python3 scripts/wasm_sizes.py "$named" 15
fi
if [ "$gz" -gt "$SIZE_BUDGET_GZIP_BYTES" ]; then
  echo "the release wasm is $gz bytes gzipped, over its budget of $SIZE_BUDGET_GZIP_BYTES by $((gz - SIZE_BUDGET_GZIP_BYTES)) bytes" >&2
  exit 1
fi
