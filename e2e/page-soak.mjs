// The page soak of issue #15 (not a test: run by hand; check.sh runs `--smoke`). On the
// release build in dist/, it opens a share link of a long, chaotic scenario and plays it at
// the fastest speed: three brokers under a 12-partition topic (replication factor 2) with
// retention, a generator publishing EVENTS_PER_TICK records every tick, two consumer groups
// (3 and 2 members), and on a fixed schedule a consumer killed and a new one joining, a
// broker killed and restarted. The schedule is in the scenario, so the run is the same on
// every machine. It samples the JS heap (after a GC) and the wasm linear memory at the start
// and every SAMPLE_TICKS ticks, and prints one JSON object: ticks and events reached, time
// taken, memory at start, end and its maximum, frame times (p50/p95 of rAF deltas), long
// tasks, whether the page still answers (a Pause click), and any page error.
//
//   node e2e/page-soak.mjs [--smoke] [--events N] [--rate EVENTS_PER_TICK] [--no-brokers]
//
// The default is ten million events (10,000 ticks of 1,000); --smoke runs 20 ticks.
// --no-brokers runs the same without the cluster (one implicit broker, no broker kills).
import { serveDist, launch } from './harness.mjs';
import { deflateRawSync } from 'node:zlib';

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const eventsArg = args.indexOf('--events');
const rateArg = args.indexOf('--rate');
const EVENTS_PER_TICK = rateArg >= 0 ? Number(args[rateArg + 1]) : 1_000;
const EVENTS = smoke ? 20 * EVENTS_PER_TICK : eventsArg >= 0 ? Number(args[eventsArg + 1]) : 10_000_000;
const TICKS = Math.ceil(EVENTS / EVENTS_PER_TICK);
const BROKERS = !args.includes('--no-brokers');
const SAMPLE_TICKS = smoke ? 10 : 500;
const log = (m) => console.error(`page-soak: ${m}`);

/** The scenario: its chaos is a list of timed commands, so every run is the same. */
function scenario() {
  const commands = [{
    at: 0, type: 'set_generator', topic: 'orders', records_per_tick: EVENTS_PER_TICK,
    key_prefix: 'user-', keys: 10_000,
  }];
  for (let at = 150, n = 0; at < TICKS; at += 300, n += 1) {
    commands.push({ at, type: 'kill_member', group: 'billing', member: n === 0 ? 'b1' : `b-new-${n - 1}` });
    commands.push({ at: at + 40, type: 'join_group', group: 'billing', member: `b-new-${n}` });
  }
  for (let at = 400, n = 0; BROKERS && at < TICKS; at += 700, n += 1) {
    const broker = 1 + (n % 3);
    commands.push({ at, type: 'kill_broker', broker });
    commands.push({ at: at + 60, type: 'restart_broker', broker });
  }
  commands.sort((a, b) => a.at - b.at);
  const group = (name, members) => ({
    name, topics: ['orders'], strategy: 'cooperative-sticky',
    commit_policy: { type: 'after_processing' }, auto_offset_reset: 'earliest',
    max_poll_records: 500, processing_ticks_per_record: 0, session_timeout_ticks: 20,
    rebalance_ticks: 2, members,
  });
  const cluster = BROKERS
    ? { brokers: [{ id: 1, rack: null }, { id: 2, rack: null }, { id: 3, rack: null }] }
    : {};
  return {
    name: 'page-soak', description: 'The page soak (e2e/page-soak.mjs).', seed: 11, ticks: TICKS,
    topics: [{
      name: 'orders', partitions: 12, partitioner: 'murmur2', segment_records: 1_000,
      retention: { records: 2_000 }, ...(BROKERS ? { replication_factor: 2 } : {}),
    }],
    producers: [],
    groups: [group('billing', ['b1', 'b2', 'b3']), group('shipping', ['s1', 's2'])],
    commands,
    ...cluster,
  };
}

function link() {
  const session = { format: 3, scenario: scenario(), ticks: 0, actions: [] };
  return `#s=${deflateRawSync(Buffer.from(JSON.stringify(session))).toString('base64url')}`;
}

function instrument() {
  window.__soak = { longTasks: 0, longestTask: 0, frames: [], memory: null, last: null };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      window.__soak.longTasks += 1;
      window.__soak.longestTask = Math.max(window.__soak.longestTask, e.duration);
    }
  }).observe({ type: 'longtask', buffered: true });
  const keep = (result) => {
    const exports = (result.instance ?? result).exports;
    if (exports?.memory instanceof WebAssembly.Memory) window.__soak.memory = exports.memory;
    return result;
  };
  for (const name of ['instantiate', 'instantiateStreaming']) {
    const original = WebAssembly[name];
    WebAssembly[name] = (...a) => original.apply(WebAssembly, a).then(keep);
  }
  const frame = (t) => {
    if (window.__soak.last !== null && window.__soak.frames.length < 200_000) {
      window.__soak.frames.push(t - window.__soak.last);
    }
    window.__soak.last = t;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

async function memory(page, cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? null;
  const wasm = await page.evaluate(() => window.__soak.memory?.buffer.byteLength ?? null);
  return { js_heap_bytes: heap, wasm_memory_bytes: wasm };
}

/** The tick the page shows ("N / M" next to the timeline). */
async function tickShown(page) {
  const text = await page.locator('.time-panel').textContent();
  const m = /(\d+) \/ (\d+)/.exec(text ?? '');
  return m ? Number(m[1]) : 0;
}

const percentile = (xs, p) => {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] * 10) / 10;
};

const site = await serveDist();
const browser = await launch();
const errors = [];
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript(instrument);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.goto(`${site.url}${link()}`);
  await page.getByRole('button', { name: 'Play', exact: true }).waitFor();
  await page.getByLabel('Speed', { exact: true }).selectOption({ index: 5 });
  const start = await memory(page, cdp);
  const samples = [{ tick: 0, ...start }];
  const started = Date.now();
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  log(`playing ${TICKS} ticks of ${EVENTS_PER_TICK} events`);
  let tick = 0;
  let next = SAMPLE_TICKS;
  const deadline = started + (smoke ? 60_000 : 3_600_000);
  while (tick < TICKS && Date.now() < deadline) {
    await page.waitForTimeout(smoke ? 200 : 2_000);
    tick = await tickShown(page);
    if (tick >= next) {
      samples.push({ tick, ...(await memory(page, cdp)) });
      log(`tick ${tick}: heap ${samples.at(-1).js_heap_bytes}, wasm ${samples.at(-1).wasm_memory_bytes}`);
      next = tick + SAMPLE_TICKS;
    }
  }
  const seconds = (Date.now() - started) / 1000;
  await page.getByRole('button', { name: 'Pause', exact: true }).click({ timeout: 10_000 });
  const answered = await page.getByRole('button', { name: 'Play', exact: true }).isVisible();
  const end = await memory(page, cdp);
  const soak = await page.evaluate(() => ({
    frames: window.__soak.frames, longTasks: window.__soak.longTasks, longest: window.__soak.longestTask,
  }));
  const max = (k) => Math.max(...samples.map((s) => s[k] ?? 0), end[k] ?? 0);
  console.log(JSON.stringify({
    brokers: BROKERS,
    ticks: tick,
    events: tick * EVENTS_PER_TICK,
    seconds,
    memory: { start, end, max_js_heap_bytes: max('js_heap_bytes'), max_wasm_memory_bytes: max('wasm_memory_bytes') },
    frames: { count: soak.frames.length, p50_ms: percentile(soak.frames, 0.5), p95_ms: percentile(soak.frames, 0.95) },
    long_tasks: { count: soak.longTasks, longest_ms: Math.round(soak.longest) },
    page_answers_after: answered,
    page_errors: errors,
    samples,
  }));
  if (errors.length > 0 || !answered || tick < TICKS) process.exitCode = 1;
} finally {
  await browser.close();
  await site.close();
}
