// The page benchmark of BENCHMARKS.md (not a test: it asserts nothing and check.sh runs it
// only as a smoke). On the release build in dist/: open the page, load a preset, publish
// 100,000 events and play for 10 s, then publish up to 1,000,000 and play again. Prints one
// JSON object on stdout:
//   first render (navigation start to first contentful paint, and to the first frame after
//   the app mounted), and per stage: burst time, frame times while playing (p50/p95/max of
//   requestAnimationFrame deltas), DOM mutations per tick played (MutationObserver records:
//   the DOM churn, steadier than frame times on a busy machine), long tasks
//   (PerformanceObserver 'longtask', > 50 ms),
//   JS heap after a GC and the wasm linear memory.
//
//   node e2e/page-bench.mjs [--smoke] [--play-seconds S] [--trace] [--trace-out PREFIX] [--rate N]
//
// Controls are found by role and accessible name, and a control inside a closed drawer
// (the stage layout's toolbar "Panels") is revealed first, so the script survives layout
// changes. --smoke publishes 1,000 and plays 1 s (check.sh). --trace records a Chrome
// trace while playing and adds where the main thread's time went (script, style, layout,
// paint, GC), self time per kind, as wall time and as the main thread's CPU time (steadier
// on a busy machine); tracing slows the page, so its frame times are not the ones to report. --rate N sets the generator to N orders per tick before playing (the
// heavy run of the page soak: 1,000 events a tick) instead of the preset's rate.
import { serveDist, launch, reveal, burstPublished } from './harness.mjs';
import { writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const playSecondsArg = args.indexOf('--play-seconds');
const TRACE = args.includes('--trace') || args.includes('--trace-out');
const traceOutArg = args.indexOf('--trace-out');
// --trace-out PREFIX also keeps each stage's trace as PREFIX-N.json (for chrome://tracing).
const TRACE_OUT = traceOutArg >= 0 ? args[traceOutArg + 1] : null;
let traces = 0;
const rateArg = args.indexOf('--rate');
const RATE = rateArg >= 0 ? Number(args[rateArg + 1]) : null;
const PLAY_SECONDS = playSecondsArg >= 0 ? Number(args[playSecondsArg + 1]) : smoke ? 1 : 10;
const PRESET = /Event Hubs/i;
// Stages: [published in total, burst button]. The page's biggest burst is 100,000.
const STAGES = smoke
  ? [[1_000, 'Publish 1,000']]
  : [[100_000, 'Publish 100,000'], [1_000_000, 'Publish 100,000']];
const BURST_SIZES = { 'Publish 1,000': 1_000, 'Publish 10,000': 10_000, 'Publish 100,000': 100_000 };

const log = (m) => console.error(`page-bench: ${m}`);

// Runs in the page before any of its scripts: long tasks, the first frame after the app
// mounts, and the wasm memory (caught where the module is instantiated).
function instrument() {
  window.__bench = { longTasks: [], appRenderedMs: null, memory: null };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__bench.longTasks.push({ start: e.startTime, ms: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  const keep = (result) => {
    const exports = (result.instance ?? result).exports;
    if (exports?.memory instanceof WebAssembly.Memory) window.__bench.memory = exports.memory;
    return result;
  };
  for (const name of ['instantiate', 'instantiateStreaming']) {
    const original = WebAssembly[name];
    WebAssembly[name] = (...a) => original.apply(WebAssembly, a).then(keep);
  }
  new MutationObserver((_, observer) => {
    if (document.body?.querySelector('button')) {
      observer.disconnect();
      requestAnimationFrame(() => { window.__bench.appRenderedMs = performance.now(); });
    }
  }).observe(document, { childList: true, subtree: true });
}

async function longTasksSince(page, sinceMs) {
  const tasks = await page.evaluate((since) => window.__bench.longTasks.filter((t) => t.start >= since), sinceMs);
  return { count: tasks.length, max_ms: Math.round(Math.max(0, ...tasks.map((t) => t.ms))) };
}

async function memory(page, cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? null;
  const wasm = await page.evaluate(() => window.__bench.memory?.buffer.byteLength ?? null);
  return { js_heap_bytes: heap, wasm_memory_bytes: wasm };
}

async function loadPreset(page) {
  const select = await reveal(page, page.getByLabel('Preset', { exact: true }), 'Presets');
  const options = await select.evaluate((s) => [...s.options].map((o) => ({ value: o.value, text: o.textContent })));
  const preset = options.find((o) => PRESET.test(o.text)) ?? options[0];
  await select.selectOption(preset.value);
  await (await reveal(page, page.getByRole('button', { name: 'Load preset' }), 'Presets')).click();
  return preset.text.trim();
}

async function burst(page, buttonName) {
  await (await reveal(page, page.getByRole('button', { name: buttonName, exact: true }), 'Generator')).click();
  await burstPublished(page);
}

/** Runs the generator at `rate` orders per tick (stopping it first if it runs). */
async function setRate(page, rate) {
  const field = await reveal(page, page.getByLabel('Orders per tick', { exact: true }), 'Generator');
  const stop = page.getByRole('button', { name: 'Stop generator', exact: true });
  if (await stop.count()) await stop.first().click();
  await field.fill(String(rate));
  await page.getByRole('button', { name: 'Start generator', exact: true }).first().click();
  await stop.first().waitFor({ state: 'visible', timeout: 10_000 });
}

// Trace event names by kind of main-thread work (self time: a layout forced inside a
// script counts as layout).
const KINDS = {
  script: /^(FunctionCall|EvaluateScript|v8\.|V8\.Execute|FireAnimationFrame|TimerFire|RunMicrotasks|EventDispatch|v8\.callFunction|v8\.run|HandlePostMessage)/,
  gc: /(GC|Scavenge|MarkCompact)/,
  style: /^(UpdateLayoutTree|RecalculateStyles|ParseAuthorStyleSheet|ScheduleStyleRecalculation|InvalidateLayout)/,
  layout: /^(Layout|UpdateLayout)$/,
  paint: /^(Paint|PrePaint|Layerize|UpdateLayer|CompositeLayers|Commit|PaintImage|Decode)/,
};

/**
 * Self time per kind of work on the renderer's main thread, in ms, from a Chrome trace: wall
 * time (`dur`), or with `cpu` the thread's own CPU time (`tdur`), which other processes on a
 * busy machine inflate less.
 */
function mainThreadBreakdown(trace, cpu = false) {
  const events = trace.traceEvents;
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const spans = events
    .filter((e) => e.ph === 'X' && e.pid === main?.pid && e.tid === main?.tid && e.dur)
    .sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const took = (e) => (cpu ? e.tdur ?? e.dur : e.dur);
  const totals = { script: 0, gc: 0, style: 0, layout: 0, paint: 0, other: 0 };
  const stack = [];
  const close = (until) => {
    while (stack.length && stack[stack.length - 1].end <= until) {
      const done = stack.pop();
      totals[done.kind] += done.self;
    }
  };
  for (const e of spans) {
    close(e.ts);
    const kind = Object.keys(KINDS).find((k) => KINDS[k].test(e.name)) ?? 'other';
    if (stack.length) stack[stack.length - 1].self -= took(e);
    stack.push({ end: e.ts + e.dur, self: took(e), kind });
  }
  close(Infinity);
  return Object.fromEntries(Object.entries(totals).map(([k, us]) => [k, Math.round(us / 1000)]));
}

async function play(page, seconds) {
  const playButton = await reveal(page, page.getByRole('button', { name: 'Play', exact: true }), 'Time');
  const speed = page.getByLabel('Speed', { exact: true });
  let ticksPerSecond = null;
  if (await speed.count()) {
    // The fastest speed offered: the heaviest play a person can ask for.
    const values = await speed.first().evaluate((s) => [...s.options].map((o) => o.value));
    ticksPerSecond = values.map(Number).sort((a, b) => b - a)[0];
    await speed.first().selectOption(String(ticksPerSecond));
  }
  if (TRACE) await page.context().browser().startTracing(page, { categories: ['devtools.timeline', 'v8', 'disabled-by-default-devtools.timeline'] });
  await playButton.click();
  // DOM mutations while playing (attributes, text and nodes changed: the page's DOM churn,
  // which unlike frame times does not depend on how busy the machine is), per tick played.
  const { deltas: frames, mutations, ticks } = await page.evaluate(async (ms) => {
    const tick = () => Number(document.querySelector('.tick')?.textContent.replace(/\D/g, '') ?? 0);
    let mutations = 0;
    const observer = new MutationObserver((records) => { mutations += records.length; });
    observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    const firstTick = tick();
    const deltas = [];
    let last = await new Promise((r) => requestAnimationFrame(r));
    const end = last + ms;
    while (last < end) {
      const t = await new Promise((r) => requestAnimationFrame(r));
      deltas.push(t - last);
      last = t;
    }
    mutations += observer.takeRecords().length;
    observer.disconnect();
    return { deltas, mutations, ticks: tick() - firstTick };
  }, seconds * 1000);
  await page.getByRole('button', { name: 'Pause', exact: true }).first().click();
  let mainThreadMs;
  let mainThreadCpuMs;
  if (TRACE) {
    const trace = await page.context().browser().stopTracing();
    if (TRACE_OUT) writeFileSync(`${TRACE_OUT}-${traces++}.json`, trace);
    mainThreadMs = mainThreadBreakdown(JSON.parse(trace));
    mainThreadCpuMs = mainThreadBreakdown(JSON.parse(trace), true);
  }
  const sorted = [...frames].sort((a, b) => a - b);
  const at = (q) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * 10) / 10;
  return {
    ticks_per_second: ticksPerSecond, frames: frames.length, ticks,
    dom_mutations_per_tick: ticks > 0 ? Math.round(mutations / ticks) : null,
    frame_p50_ms: at(0.5), frame_p95_ms: at(0.95), frame_max_ms: at(1),
    ...(mainThreadMs && { main_thread_ms: mainThreadMs, main_thread_cpu_ms: mainThreadCpuMs }),
  };
}

const site = await serveDist();
const browser = await launch();
const report = { smoke, play_seconds: PLAY_SECONDS, ...(RATE && { orders_per_tick: RATE }) };
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  await page.addInitScript(instrument);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.goto(site.url);
  await page.waitForFunction(() => window.__bench.appRenderedMs !== null, null, { timeout: 60_000 });
  report.first_render = await page.evaluate(() => ({
    first_contentful_paint_ms: Math.round(performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN),
    app_rendered_ms: Math.round(window.__bench.appRenderedMs),
  }));
  report.first_render.long_tasks = await longTasksSince(page, 0);
  report.first_render.memory = await memory(page, cdp);
  report.preset = await loadPreset(page);
  log(`loaded preset ${report.preset}`);

  report.stages = [];
  let published = 0;
  for (const [total, buttonName] of STAGES) {
    const since = await page.evaluate(() => performance.now());
    const started = Date.now();
    while (published < total) {
      await burst(page, buttonName);
      published += BURST_SIZES[buttonName];
      log(`published ${published}`);
    }
    const burstMs = Date.now() - started;
    const burstTasks = await longTasksSince(page, since);
    if (RATE) await setRate(page, RATE);
    const playSince = await page.evaluate(() => performance.now());
    const playing = await play(page, PLAY_SECONDS);
    report.stages.push({
      events: total,
      burst_ms: burstMs,
      burst_long_tasks: burstTasks,
      play: { ...playing, long_tasks: await longTasksSince(page, playSince) },
      memory: await memory(page, cdp),
    });
    log(`played ${PLAY_SECONDS} s with ${total} events`);
  }
} finally {
  await browser.close();
  await site.close();
}
console.log(JSON.stringify(report));
