// Prints the report of one scripts/bench.sh run as Markdown: the workloads natively and in
// Wasm side by side, then the page and the bundle.
//
//   node bench/report.mjs DIR
//
// DIR holds native.jsonl and wasm.jsonl (one orderflow-bench report per line), page.json
// (e2e/page-bench.mjs), bundle.json and meta.json (scripts/bench.sh) and size.md
// (bench/size-report.mjs); a missing file leaves its columns or table out.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node bench/report.mjs DIR');
  process.exit(2);
}
const read = (name) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : null);
const lines = (name) => (read(name) ?? '').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const native = lines('native.jsonl');
const wasm = new Map(lines('wasm.jsonl').map((r) => [r.id, r]));
const page = read('page.json') && JSON.parse(read('page.json'));
const bundle = read('bundle.json') && JSON.parse(read('bundle.json'));
const meta = read('meta.json') && JSON.parse(read('meta.json'));
const size = read('size.md');

const int = (n) => Math.round(n).toLocaleString('en-US');
const rate = (r) => {
  const n = r.per_second;
  // A run shorter than the clock's resolution (0.1 ms in the browser) has no rate.
  if (n == null || !Number.isFinite(n)) return 'too short to time';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M/s`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k/s`;
  return `${n.toFixed(0)} /s`;
};
const ms = (n) => (n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n.toFixed(1)} ms`);
const pct = (a, b) => `${((100 * a) / b).toFixed(1)}%`;
const bytes = (r) => (r.unit === 'keys' ? '–' : `${int(r.peak_bytes_per_item)} / ${int(r.retained_bytes_per_item)}`);
const mib = (n) => (n == null ? '–' : `${(n / 1048576).toFixed(1)} MiB`);
const row = (cells) => `| ${cells.join(' | ')} |`;

const out = [];
if (meta) {
  out.push(`Run ${meta.date} on ${meta.machine}; load average before: ${meta.load_before}, after: ${meta.load_after}.`);
  out.push('');
}

if (native.length) {
  const floor = (reports) => reports.find((r) => r.id === 'F');
  const nativeFloor = floor(native);
  const wasmFloor = wasm.get('F');
  out.push(row(['bench', 'size', 'native: best (median)', 'of F', 'Wasm: best (median)', 'of F', 'Wasm ÷ native',
    'B/item native: peak / kept', 'B/item Wasm: peak / kept', 'key+value B', 'allocs/item']));
  out.push(row(Array(11).fill('---')));
  for (const r of native) {
    const w = wasm.get(r.id);
    const ofF = (x, f) => (x && f && f.size === x.size && ['P/log', 'P', 'W'].includes(x.id) ? pct(x.per_second, f.per_second) : '');
    out.push(row([
      `**${r.id}** ${r.title}`,
      int(r.size),
      `${rate(r)}: ${ms(r.min_ms)} (${ms(r.median_ms)})`,
      ofF(r, nativeFloor),
      w ? `${rate(w)}: ${ms(w.min_ms)} (${ms(w.median_ms)})` : '–',
      ofF(w, wasmFloor),
      w ? `${(w.per_second / r.per_second).toFixed(2)}×` : '–',
      bytes(r),
      w ? bytes(w) : '–',
      r.key_value_bytes_per_item && r.unit !== 'keys' ? r.key_value_bytes_per_item.toFixed(1) : '',
      r.allocations_per_item.toFixed(2),
    ]));
  }
  out.push('');
  const notes = native
    .filter((r) => Object.keys(r.extra).length)
    .map((r) => `${r.id}: ${Object.entries(r.extra).map(([k, v]) => `${k} ${typeof v === 'number' ? +v.toFixed(1) : v}`).join(', ')}`);
  if (notes.length) out.push(`Native details: ${notes.join('; ')}.`, '');
  const peakWasm = Math.max(0, ...[...wasm.values()].map((w) => w.extra.wasm_memory_bytes ?? 0));
  if (peakWasm) out.push(`Wasm linear memory at the end of the Wasm runs: ${mib(peakWasm)}.`, '');
}

if (page) {
  const fr = page.first_render;
  out.push(row(['page', 'publish time', 'frames while playing: p50 / p95 / max (count)', 'long tasks > 50 ms: publish; play (longest)', 'JS heap', 'wasm memory']));
  out.push(row(Array(6).fill('---')));
  out.push(row([
    `**first render** (navigation → first contentful paint; → first frame after mount)`,
    `${fr.first_contentful_paint_ms} ms; ${fr.app_rendered_ms} ms`,
    '–',
    `${fr.long_tasks.count} (${fr.long_tasks.max_ms} ms)`,
    mib(fr.memory.js_heap_bytes),
    mib(fr.memory.wasm_memory_bytes),
  ]));
  for (const s of page.stages) {
    const p = s.play;
    out.push(row([
      `**${int(s.events)} events**, preset ${page.preset}, play ${page.play_seconds} s at ${p.ticks_per_second} ticks/s`,
      ms(s.burst_ms),
      `${p.frame_p50_ms} / ${p.frame_p95_ms} / ${p.frame_max_ms} ms (${p.frames})`,
      `${s.burst_long_tasks.count} (${s.burst_long_tasks.max_ms} ms); ${p.long_tasks.count} (${p.long_tasks.max_ms} ms)`,
      mib(s.memory.js_heap_bytes),
      mib(s.memory.wasm_memory_bytes),
    ]));
  }
  out.push('');
}

if (bundle) {
  out.push(row(['bundle (trunk build --release)', 'raw', 'gzip -9']));
  out.push(row(['---', '---:', '---:']));
  for (const f of bundle.files) out.push(row([f.name, int(f.raw), int(f.gzip)]));
  const wasmFile = bundle.files.find((f) => f.name.endsWith('.wasm'));
  if (wasmFile) {
    const over = wasmFile.gzip - bundle.budget_gzip;
    out.push('');
    out.push(`Release wasm gzipped: ${int(wasmFile.gzip)} B against the budget of ${int(bundle.budget_gzip)} B `
      + `(${over > 0 ? `over by ${int(over)} B` : `${int(-over)} B to spare`}).`);
  }
}
if (size) out.push('', size.trim());
console.log(out.join('\n'));
