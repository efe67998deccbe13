// By hand (not a test; it asserts nothing): many sagas in the page, frame times while playing.
// On the release build in dist/ (or the folder given): load the happy-path preset, open the
// Sagas drawer, place 1,500 orders with the order stream (30 steps of 50), stop the stream,
// play at 60 ticks/s and print frame times (requestAnimationFrame deltas) per 10 s window
// with the sagas the list counts. `--closed` closes the drawer before playing (the stage
// alone), to tell the drawer's cost from the engine's. `--windows N` plays N windows (5 by
// default: the Order service takes about one order every two ticks, so the fifth window
// ends with all 1,500 sagas).
//
//   node e2e/sagas-load.mjs [DIST] [--closed] [--windows N]
import { serveDist, launch, playSagaLoad } from './harness.mjs';

const args = process.argv.slice(2);
const closed = args.includes('--closed');
const at = args.indexOf('--windows');
const windows = at >= 0 ? Number(args[at + 1]) : 5;
const dist = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--windows');
const site = await serveDist('/', ...(dist ? [dist] : []));
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
await page.goto(site.url);
await playSagaLoad(page, { closed });
const measure = (ms) => page.evaluate((ms) => new Promise((done) => {
  const deltas = [];
  let last = performance.now();
  const end = last + ms;
  const frame = (t) => {
    deltas.push(t - last);
    last = t;
    if (t < end) requestAnimationFrame(frame);
    else done(deltas);
  };
  requestAnimationFrame(frame);
}), ms);
for (let window = 0; window < windows; window++) {
  const d = (await measure(10_000)).sort((a, b) => a - b);
  const q = (p) => d[Math.min(d.length - 1, Math.floor(p * d.length))].toFixed(1);
  const tick = await page.locator('.tick').textContent();
  // The list's count ("Sagas 1–4 of N in view"), or the pager's before the list was virtualised.
  const pager = closed ? '' : await page.locator(".saga-count, nav[aria-label='Saga pages'] span").textContent();
  console.log(JSON.stringify({ tick, pager, frames: d.length, p50: q(0.5), p95: q(0.95), max: q(0.999) }));
}
await page.getByRole('button', { name: 'Pause', exact: true }).click();
console.log('page errors', errors);
await browser.close();
await site.close();
