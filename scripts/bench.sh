#!/usr/bin/env bash
# The benchmarks of BENCHMARKS.md in one command: the workloads natively (release) and in
# Wasm in headless Chromium, the page (Playwright on the release build) and the bundle, as
# one Markdown report on stdout (also kept in $OUT/report.md). Not part of check.sh, which
# runs only a smoke of it.
#
#   ./scripts/bench.sh [--quick] [--only ID,..] [--no-wasm] [--no-page]
#
#   --quick    a tenth of the sizes, one run each (to try a change; not for BENCHMARKS.md)
#   --only     workload ids (`cargo run -p orderflow-bench -- --list`)
#   --no-wasm  skip the Wasm runs; --no-page skip the page and the bundle
#
# Takes about 20 minutes on 2 cores once built. The machine should be quiet: the load
# average before and after is printed with the table.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

args=()
wasm=1
page=1
while [ $# -gt 0 ]; do
  case "$1" in
  --quick) args+=(--events 100000 --keys 100000 --sagas 1000 --runs 1 --slow-runs 1) ;;
  --only) args+=(--only "$2"); shift ;;
  --no-wasm) wasm=0 ;;
  --no-page) page=0 ;;
  *) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

TARGET=${CARGO_TARGET_DIR:-target}
OUT=$TARGET/bench-results
mkdir -p "$OUT"
rm -f "$OUT"/*.jsonl "$OUT"/*.json "$OUT"/report.md
step() { printf '\n== %s\n' "$*" >&2; }

step "build: native (release) and wasm32 (the page's profile, web)"
cargo build --release --locked -p orderflow-bench
# The Wasm workloads run the engine as the page ships it: Cargo.toml's `web` profile.
cargo build --profile web --locked -p orderflow-bench --lib --target wasm32-unknown-unknown
if [ "$page" = 1 ]; then trunk build --release >&2; fi

# wasm-opt as the page's release build runs it (Trunk.toml's post_build hook): binaryen 132
# from npm, with the features rustc's output uses.
wasm_opt() {
  node node_modules/binaryen/bin/wasm-opt --enable-reference-types --enable-bulk-memory \
    --enable-sign-ext --enable-mutable-globals --enable-nontrapping-float-to-int \
    --enable-multivalue "$@"
}

load() { awk '{ print $1 ", " $2 ", " $3 }' /proc/loadavg; }
load_before=$(load)

step "native workloads"
"$TARGET/release/orderflow-bench" --json "${args[@]}" >"$OUT/native.jsonl"

if [ "$wasm" = 1 ]; then
  step "Wasm workloads in headless Chromium"
  web=$TARGET/bench-web
  rm -rf "$web" && mkdir -p "$web"
  wasm-bindgen --target web --no-typescript --out-dir "$web" \
    "$TARGET/wasm32-unknown-unknown/web/orderflow_bench.wasm"
  # The same wasm-opt pass as the page's release build, so the engine runs here as it runs
  # in the page.
  wasm_opt -Oz "$web/orderflow_bench_bg.wasm" -o "$web/orderflow_bench_bg.wasm"
  cp bench/web/index.html "$web/"
  plan=$("$TARGET/release/orderflow-bench" --print-plan "${args[@]}")
  only=$(grep -o '"id":"[^"]*"' "$OUT/native.jsonl" | cut -d'"' -f4 | paste -sd, -)
  node bench/web/run.mjs "$web" "$plan" "$only" >"$OUT/wasm.jsonl"
fi

if [ "$page" = 1 ]; then
  step "the page (Playwright on dist/)"
  node e2e/page-bench.mjs >"$OUT/page.json"

  step "the bundle"
  {
    printf '{"budget_gzip": 400000, "files": ['
    sep=''
    for f in dist/*.wasm dist/*.js dist/*.css; do
      [ -f "$f" ] || continue
      printf '%s{"name": "%s", "raw": %d, "gzip": %d}' "$sep" "$(basename "$f")" \
        "$(stat -c %s "$f")" "$(gzip -9 -c "$f" | wc -c)"
      sep=', '
    done
    printf ']}\n'
  } >"$OUT/bundle.json"

  if command -v twiggy >/dev/null; then
    step "what the release wasm is made of (twiggy)"
    # dist/'s wasm has no names left; this is the same build through the same passes with
    # its names kept (-g), so twiggy can say whose code each byte is.
    named=$TARGET/bench-size
    rm -rf "$named" && mkdir -p "$named"
    wasm-bindgen --target web --no-typescript --out-dir "$named" \
      "$TARGET/wasm32-unknown-unknown/web/orderflow.wasm"
    wasm_opt -Oz -g "$named/orderflow_bg.wasm" -o "$named/named.wasm"
    node bench/size-report.mjs "$named/named.wasm" >"$OUT/size.md"
  else
    echo "bench.sh: install twiggy (cargo install twiggy --locked) to see what the wasm is made of" >&2
  fi
fi

load_after=$(load)
cat >"$OUT/meta.json" <<EOF
{"date": "$(date -u +%Y-%m-%dT%H:%MZ)", "machine": "$(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(rustc --version | awk '{ print "rustc " $2 }'), $(chromium --version 2>/dev/null | awk '{ print "Chromium " $2 }')", "load_before": "$load_before", "load_after": "$load_after"}
EOF
node bench/report.mjs "$OUT" | tee "$OUT/report.md"
