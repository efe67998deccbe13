// By hand (not a test): where the long tasks of a "Publish 100,000" click go. Loads the Event
// Hubs preset, then for each round clicks the burst button under a Chrome trace and
// Chromium's sampling profiler, waits for the burst to end and prints every main-thread task
// over 50 ms: its length, its self time by trace event (script, style, layout, paint, GC) and,
// with a DIST whose wasm kept its name section (wasm-bindgen's output before wasm-opt), the
// Rust functions with the most self and total time inside it (a release dist prints
// wasm-function[N]). The profiler slows the page: task lengths here are not the ones to report
// (e2e/page-bench.mjs measures those).
//
//   node e2e/burst-profile.mjs [DIST] [--rounds N] [--preset TEXT]   (TEXT: a preset's name, or
//   "none" for the page as it opens; the Event Hubs order example by default)
import { serveDist, launch, reveal, burstPublished } from './harness.mjs';

const args = process.argv.slice(2);
const roundsArg = args.indexOf('--rounds');
const ROUNDS = roundsArg >= 0 ? Number(args[roundsArg + 1]) : 2;
const presetArg = args.indexOf('--preset');
const PRESET = presetArg >= 0 ? args[presetArg + 1] : 'Event Hubs';
const dist = args.find((a, i) => !a.startsWith('--') && !['--rounds', '--preset'].includes(args[i - 1]));
const site = await serveDist('/', ...(dist ? [dist] : []));
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
await page.goto(site.url);
await page.getByRole('button').first().waitFor();

if (PRESET !== 'none') {
  const select = await reveal(page, page.getByLabel('Preset', { exact: true }), 'Presets');
  const options = await select.evaluate((s) => [...s.options].map((o) => ({ value: o.value, text: o.textContent })));
  await select.selectOption((options.find((o) => o.text.includes(PRESET)) ?? options[0]).value);
  await (await reveal(page, page.getByRole('button', { name: 'Load preset' }), 'Presets')).click();
}
const button = await reveal(page, page.getByRole('button', { name: 'Publish 100,000', exact: true }), 'Generator');
await page.waitForTimeout(1000);

/** Self time per name of the events nested in `[from, to]` (µs), biggest first. */
function selfTimes(events, from, to, name) {
  const inner = events.filter((e) => e.ts >= from && e.ts + e.dur <= to).sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const self = new Map();
  const stack = [];
  const close = (until) => {
    while (stack.length && stack[stack.length - 1].end <= until) {
      const done = stack.pop();
      self.set(done.name, (self.get(done.name) ?? 0) + done.self);
    }
  };
  for (const e of inner) {
    close(e.ts);
    if (stack.length) stack[stack.length - 1].self -= e.dur;
    stack.push({ end: e.ts + e.dur, self: e.dur, name: name(e) });
  }
  close(Infinity);
  return [...self].sort((a, b) => b[1] - a[1]);
}

for (let round = 0; round < ROUNDS; round++) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  await browser.startTracing(page, { categories: ['devtools.timeline', 'v8', 'disabled-by-default-devtools.timeline'] });
  await button.click();
  await burstPublished(page);
  await page.waitForTimeout(500);
  const { profile } = await cdp.send('Profiler.stop');
  const trace = JSON.parse((await browser.stopTracing()).toString()).traceEvents;

  // Profiler samples as [time µs, node id, weight µs]; the profiler and the trace share a clock.
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const samples = [];
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    samples.push([t, profile.samples[i], profile.timeDeltas[i + 1] ?? 0]);
  }
  const fname = (n) => n.callFrame.functionName || n.callFrame.url.split('/').pop() || '(anonymous)';
  const functionsIn = (from, to) => {
    const self = new Map();
    const total = new Map();
    for (const [at, leaf, weight] of samples) {
      if (at < from || at > to) continue;
      const own = fname(nodes.get(leaf));
      self.set(own, (self.get(own) ?? 0) + weight);
      const seen = new Set();
      for (let id = leaf; id; id = parent.get(id)) {
        const name = fname(nodes.get(id));
        if (!seen.has(name)) total.set(name, (total.get(name) ?? 0) + weight);
        seen.add(name);
      }
    }
    const top = (m, k) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k)
      .map(([n, us]) => `      ${(us / 1000).toFixed(1).padStart(6)} ms ${n.slice(0, 150)}`).join('\n');
    return `    self:\n${top(self, 12)}\n    total:\n${top(total, 30)}`;
  };

  const main = trace.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const onMain = trace.filter((e) => e.ph === 'X' && e.dur && e.pid === main.pid && e.tid === main.tid);
  const tasks = onMain.filter((e) => /RunTask$/.test(e.name) && e.dur > 50_000).sort((a, b) => a.ts - b.ts);
  const start = Math.min(...onMain.map((e) => e.ts));
  console.log(`round ${round + 1}: ${tasks.length} tasks over 50 ms`);
  for (const task of tasks) {
    const kinds = selfTimes(onMain.filter((e) => e !== task), task.ts, task.ts + task.dur, (e) => e.name)
      .slice(0, 8).map(([n, us]) => `${n} ${(us / 1000).toFixed(1)}`).join(', ');
    console.log(`  at ${((task.ts - start) / 1000).toFixed(0)} ms, ${(task.dur / 1000).toFixed(1)} ms: ${kinds}`);
    console.log(functionsIn(task.ts, task.ts + task.dur));
  }
}
await browser.close();
await site.close?.();
process.exit(0);
