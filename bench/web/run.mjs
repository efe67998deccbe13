// Runs the Wasm build of orderflow-bench (bench/src/web.rs) in headless Chromium, one
// workload per call, and prints one JSON report per line, like `orderflow-bench --json`.
//
//   node bench/web/run.mjs DIR PLAN_JSON [ID,ID..]
//
// DIR holds index.html (copied from bench/web/) and wasm-bindgen's `--target web` output;
// scripts/bench.sh builds it. Uses Debian's Chromium through playwright-core (never a
// downloaded browser). Progress goes to stderr.
import { serveDist, launch } from '../../e2e/harness.mjs';

const [dir, planJson, only] = process.argv.slice(2);
if (!dir || !planJson) {
  console.error('usage: node bench/web/run.mjs DIR PLAN_JSON [ID,ID..]');
  process.exit(2);
}

const site = await serveDist('/', dir);
const browser = await launch();
let failed = false;
try {
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.error(`[page] ${m.text()}`); });
  page.on('pageerror', (e) => console.error(`[page] ${e.message}`));
  await page.goto(site.url);
  await page.evaluate(() => window.benchReady);
  const all = JSON.parse(await page.evaluate(() => window.bench.list_workloads()));
  const ids = only ? only.split(',') : all.filter((w) => w.default).map((w) => w.id);
  // V8 runs wasm first in its baseline tier (Liftoff) and recompiles hot functions with
  // TurboFan in the background; a call already running stays in the baseline code. So each
  // workload first runs a few times at a tiny size, then the timed runs get the optimised
  // code, as a page that has been running for a while does.
  const warmUp = JSON.stringify({ events: 2000, keys: 2000, sagas: 20, runs: 3, slow_runs: 3 });
  for (const id of ids) {
    console.error(`wasm: ${id}...`);
    await page.evaluate(([id, plan]) => window.bench.run_workload(id, plan), [id, warmUp]);
    await page.waitForTimeout(500);
    const json = await page.evaluate(([id, plan]) => window.bench.run_workload(id, plan), [id, planJson]);
    const report = JSON.parse(json);
    if (report.error) {
      console.error(`wasm: ${id}: ${report.error}`);
      failed = true;
      break;
    }
    // The linear memory only grows: its size after a workload is the most it has needed.
    report.extra.wasm_memory_bytes = await page.evaluate(() => window.benchMemory.buffer.byteLength);
    console.log(JSON.stringify(report));
  }
} catch (e) {
  console.error(`wasm: ${e.message}`);
  failed = true;
} finally {
  await browser.close();
  await site.close();
}
process.exit(failed ? 1 : 0);
