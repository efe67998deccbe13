// What the release wasm is made of, by kind of code, from twiggy.
//
//   node bench/size-report.mjs NAMED.wasm [TOP]
//
// NAMED.wasm is the release wasm optimised exactly like the page's (wasm-bindgen, then
// wasm-opt -Oz) but with its function names kept (-g); scripts/bench.sh makes it. Its code
// is the shipped code; the names section, which the shipped file drops, is left out of
// every figure. Prints Markdown: the bytes per kind, then the TOP (default 15) biggest items.
import { execFileSync } from 'node:child_process';

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/size-report.mjs NAMED.wasm [TOP]');
  process.exit(2);
}
const top = Number(topArg ?? 15);
const csv = execFileSync('twiggy', ['top', '-n', '1000000', '-f', 'csv', file], { encoding: 'utf8', maxBuffer: 1 << 28 });

// Name,ShallowSize,... with quoted names that may hold commas.
const rows = csv.trim().split('\n').slice(1).map((line) => {
  const m = line.match(/^("(?:[^"]|"")*"|[^,]*),(\d+),/);
  return { name: m[1].replace(/^"|"$/g, '').replace(/""/g, '"'), bytes: Number(m[2]) };
}).filter((r) => !r.name.includes('"function names" subsection') && !r.name.startsWith('Σ'));

// First match wins: serde first, since derive code names the engine's or the app's types.
const KINDS = [
  ['serde (de)serialisation of engine types', (n) => /serde/.test(n) && /orderflow_engine/.test(n)],
  ['serde (de)serialisation of app types', (n) => /serde/.test(n) && /orderflow::/.test(n)],
  ['serde and serde_json, generic', (n) => /serde/.test(n)],
  ['Leptos (leptos, tachys, reactive_graph, leptos-use)', (n) => /\b(leptos|tachys|reactive_graph|leptos_use|any_spawner|throw_error|or_poisoned|send_wrapper|wasm_bindgen_futures)\b/.test(n)],
  ['wasm-bindgen, js-sys, web-sys glue', (n) => /\b(wasm_bindgen|js_sys|web_sys)\b/.test(n)],
  ['engine (orderflow_engine)', (n) => /orderflow_engine/.test(n)],
  ['app (orderflow)', (n) => /orderflow::/.test(n)],
  ['formatting and panics (core::fmt, panicking)', (n) => /core(\[\w+\])?::(fmt|panicking)|core::result::unwrap_failed|core::option::expect_failed/.test(n)],
  ['collections, sorting, strings (generic std code)', (n) => /\b(alloc|core|std)(\[\w+\])?::/.test(n)],
  ['allocator (dlmalloc)', (n) => /dlmalloc/.test(n)],
  ['share links (miniz_oxide, base64)', (n) => /miniz_oxide|base64/.test(n)],
  ['data segments (string constants, tables)', (n) => /^data segment/.test(n)],
];
const totals = new Map(KINDS.map(([k]) => [k, 0]));
totals.set('other (unnamed functions, tables, types, imports)', 0);
let all = 0;
for (const r of rows) {
  const kind = KINDS.find(([, test]) => test(r.name))?.[0] ?? 'other (unnamed functions, tables, types, imports)';
  totals.set(kind, totals.get(kind) + r.bytes);
  all += r.bytes;
}
const int = (n) => n.toLocaleString('en-US');
const out = ['| release wasm, by kind of code | bytes | share |', '| --- | ---: | ---: |'];
for (const [kind, bytes] of [...totals].sort((a, b) => b[1] - a[1])) {
  if (bytes) out.push(`| ${kind} | ${int(bytes)} | ${((100 * bytes) / all).toFixed(1)}% |`);
}
out.push(`| total (names section excluded) | ${int(all)} | 100% |`, '');
out.push(`| biggest items | bytes |`, '| --- | ---: |');
for (const r of [...rows].sort((a, b) => b.bytes - a.bytes).slice(0, top)) {
  const name = r.name.replace(/::h[0-9a-f]{16}$/, '').replace(/\|/g, '\\|');
  out.push(`| \`${name.length > 140 ? `${name.slice(0, 137)}...` : name}\` | ${int(r.bytes)} |`);
}
console.log(out.join('\n'));
