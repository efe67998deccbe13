// By hand (not a test): where the page's time goes with many sagas and the Sagas drawer
// open. As e2e/sagas-load.mjs (happy-path preset, 1,500 orders by the order stream, 60
// ticks/s), then after 30 s of play (or --at) a 10 s CPU profile (Chromium's sampling profiler over
// CDP), printed as the functions with the most self time and the most total time. For Rust
// names, give a dist whose wasm kept its name section (wasm-bindgen's output before
// wasm-opt); a release dist prints wasm-function[N].
//
//   node e2e/sagas-profile.mjs [DIST] [--closed] [--trace] [--hide SELECTOR] [--css RULES] [--at SECONDS]
import { serveDist, launch, playSagaLoad } from './harness.mjs';

const args = process.argv.slice(2);
const closed = args.includes('--closed');
const dist = args.find((a, i) => !a.startsWith('--') && !['--hide', '--css', '--at'].includes(args[i - 1]));
const site = await serveDist('/', ...(dist ? [dist] : []));
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
await page.goto(site.url);
await playSagaLoad(page, { closed });
const hide = args.indexOf('--hide');
if (hide >= 0) {
  // An experiment: take these elements out of layout (display: none) to see their cost.
  await page.addStyleTag({ content: `${args[hide + 1]} { display: none !important; }` });
}
const css = args.indexOf('--css');
if (css >= 0) await page.addStyleTag({ content: args[css + 1] }); // an experiment: extra CSS
const from = args.indexOf('--at');
await page.waitForTimeout(from >= 0 ? Number(args[from + 1]) * 1000 : 30_000);
const cdp = await page.context().newCDPSession(page);
if (args.includes('--trace')) {
  // The renderer's own work (style, layout, paint, DOM calls) by event name, over 5 s.
  const events = [];
  cdp.on('Tracing.dataCollected', ({ value }) => events.push(...value));
  const done = new Promise((ok) => cdp.once('Tracing.tracingComplete', ok));
  await cdp.send('Tracing.start', { categories: 'devtools.timeline,blink', transferMode: 'ReportEvents' });
  await page.waitForTimeout(5_000);
  await cdp.send('Tracing.end');
  await done;
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const sums = new Map();
  for (const e of events) {
    if (e.ph !== 'X' || !e.dur || (main && (e.pid !== main.pid || e.tid !== main.tid))) continue;
    sums.set(e.name, (sums.get(e.name) ?? 0) + e.dur / 1000);
  }
  console.log([...sums].sort((a, b) => b[1] - a[1]).slice(0, 25)
    .map(([n, ms]) => `${ms.toFixed(0).padStart(7)} ms  ${n}`).join('\n'));
  // The longest tasks on the main thread, with what they spent their time in.
  const onMain = events.filter((e) => e.ph === 'X' && e.dur && (!main || (e.pid === main.pid && e.tid === main.tid)));
  const tasks = onMain.filter((e) => /RunTask$|^RunTask|ThreadControllerImpl/.test(e.name))
    .sort((a, b) => b.dur - a.dur).slice(0, 6);
  for (const e of onMain.filter((e) => e.name === 'Layout').sort((a, b) => b.dur - a.dur).slice(0, 5)) {
    console.log(`layout ${(e.dur / 1000).toFixed(1)} ms`, JSON.stringify(e.args).slice(0, 400));
  }
  if (tasks.length === 0) {
    const names = new Map();
    for (const e of onMain) if (e.dur > 20_000) names.set(e.name, Math.max(names.get(e.name) ?? 0, e.dur / 1000));
    console.log('long events', [...names].slice(0, 20));
  }
  for (const t of tasks) {
    const inner = new Map();
    for (const e of onMain) {
      if (e !== t && e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur) inner.set(e.name, (inner.get(e.name) ?? 0) + e.dur / 1000);
    }
    const top = [...inner].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([n, ms]) => `${n} ${ms.toFixed(1)}`).join(', ');
    console.log(`task ${(t.dur / 1000).toFixed(1)} ms: ${top}`);
  }
}
await cdp.send('Profiler.enable');
await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
await cdp.send('Profiler.start');
await page.waitForTimeout(10_000);
const { profile } = await cdp.send('Profiler.stop');
await page.getByRole('button', { name: 'Pause', exact: true }).click();
console.log('at', await page.locator('.tick').textContent());

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const hits = new Map();
for (const s of profile.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
const total = profile.samples.length;
const name = (n) => n.callFrame.functionName || `(${n.callFrame.url.split('/').pop() || 'anon'})`;
const self = new Map();
const incl = new Map();
for (const [id, count] of hits) {
  const n = byId.get(id);
  self.set(name(n), (self.get(name(n)) ?? 0) + count);
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const k = name(byId.get(at));
    if (!seen.has(k)) { seen.add(k); incl.set(k, (incl.get(k) ?? 0) + count); }
  }
}
const top = (m, k) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k)
  .map(([f, c]) => `${(100 * c / total).toFixed(1).padStart(5)}%  ${f.slice(0, 150)}`).join('\n');
console.log(`samples ${total}\n-- self --\n${top(self, 30)}\n-- total --\n${top(incl, 60)}`);
await browser.close();
await site.close();
