// Shared plumbing for the end-to-end journeys: a static server for dist/ on 127.0.0.1
// (optionally under a sub-path), Debian's Chromium through playwright-core, the CLI as an
// independent oracle, and screenshots kept under target/e2e-screenshots/.
import { createServer } from 'node:http';
import { readFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { extname, join, normalize, resolve } from 'node:path';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const DIST = join(ROOT, 'dist');
const SHOTS = join(ROOT, 'target', 'e2e-screenshots');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** The dist built for a sub-path by scripts/check.sh (see e2e/subpath.test.mjs). */
export const SUBPATH_DIST = join(ROOT, 'target', 'dist-subpath');

/** Serves `dist` (default dist/) at http://127.0.0.1:PORT{basePath}. Returns { url, close }. */
export async function serveDist(basePath = '/', dist = DIST) {
  if (!existsSync(join(dist, 'index.html'))) {
    throw new Error(`${dist}/index.html is missing: run \`trunk build --release\` first`);
  }
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (!path.startsWith(basePath)) {
      res.writeHead(404).end('outside the base path');
      return;
    }
    let rel = normalize(path.slice(basePath.length)).replace(/^(\.\.[/\\])+/, '');
    if (rel === '' || rel === '.' || rel.endsWith('/')) rel = join(rel, 'index.html');
    try {
      const body = await readFile(join(dist, rel));
      res.writeHead(200, { 'content-type': TYPES[extname(rel)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    close: () => new Promise((ok) => server.close(ok)),
  };
}

/** Launches Debian's Chromium headless; never downloads a browser. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

/** Fails the journey on any request that leaves 127.0.0.1 (the site must work offline). */
export function forbidExternalRequests(page, failures) {
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (!['127.0.0.1', 'localhost'].includes(url.hostname) && !url.protocol.startsWith('data')
        && !url.protocol.startsWith('blob')) {
      failures.push(req.url());
    }
  });
}

/** Saves a full-page screenshot as target/e2e-screenshots/NAME.png. */
export async function screenshot(page, name) {
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Runs the native CLI (built by the check script) and parses its JSON lines. */
export function cli(...args) {
  const bin = join(ROOT, 'target', 'debug', 'orderflow-cli');
  const out = existsSync(bin)
    ? execFileSync(bin, args, { encoding: 'utf8' })
    : execFileSync('cargo', ['run', '-q', '-p', 'orderflow-cli', '--', ...args], {
        cwd: ROOT,
        encoding: 'utf8',
      });
  return out.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

/** Opens the app and waits until the wasm has mounted it. */
export async function openApp(page, url) {
  await page.goto(url);
  await page.getByRole('button', { name: 'Publish', exact: true }).waitFor({ timeout: 30_000 });
}

/** Opens a toolbar drawer (Presets, Topics, Setup, Generator, Producers, Groups, Share). */
export async function openDrawer(page, name) {
  const button = page.getByRole('navigation', { name: 'Panels' }).getByRole('button', { name, exact: true });
  if ((await button.getAttribute('aria-expanded')) !== 'true') await button.click();
}

/** Makes `locator` visible: opens the toolbar drawer that holds it if there is one. */
export async function reveal(page, locator, drawer) {
  if (await locator.first().isVisible()) return locator.first();
  const panels = page.getByRole('navigation', { name: 'Panels' });
  if (await panels.count()) {
    const button = panels.getByRole('button', { name: drawer, exact: true });
    if ((await button.count()) && (await button.getAttribute('aria-expanded')) !== 'true') await button.click();
  }
  await locator.first().waitFor({ state: 'visible', timeout: 10_000 });
  return locator.first();
}

/**
 * Waits until a burst started by a click has been published. It runs a chunk per animation
 * frame behind a "Burst progress" bar; a small one can end within a frame, before the bar
 * ever shows. Two frames after the click the bar is there if the burst still runs; then
 * wait for it to go.
 */
export async function burstPublished(page) {
  await page.waitForFunction(() => new Promise((done) => {
    let frames = 0;
    const tick = () => {
      const bar = document.querySelector('progress[aria-label="Burst progress"], [role="progressbar"][aria-label="Burst progress"]');
      if (++frames > 2 && !bar) done(true);
      else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }), null, { timeout: 600_000, polling: 'raf' });
}

/**
 * Opens the details of consumer group NAME (a click on its node on the stage) and returns
 * the region with its members, kill buttons, lag chart and offset reset.
 */
export async function openGroup(page, name) {
  await page.getByRole('region', { name: `Consumer group ${name}`, exact: true }).locator('.group-head').click();
  const details = page.getByRole('region', { name: `Details of group ${name}`, exact: true });
  await details.waitFor();
  return details;
}

/** Opens partition N's log (a click on its lane) and returns the region listing its records. */
export async function openPartition(page, partition, topic = 'orders') {
  await page.getByRole('region', { name: `Partition ${partition}`, exact: true }).locator('.lane-head').click();
  const log = page.getByRole('region', { name: `Log of ${topic}-${partition}`, exact: true });
  await log.waitFor();
  return log;
}

/** Runs axe-core's WCAG 2.1 A and AA rules on the page and returns the violations. */
export async function axeViolations(page) {
  // Evaluated through the devtools protocol, not added as a <script>: the page's
  // Content-Security-Policy refuses inline scripts, and this leaves no violation behind.
  await page.evaluate(await readFile(join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8'));
  return page.evaluate(async () => {
    // Contrast is judged on the settled page: wait for running finite animations (a
    // fade-in is mid-way at first, and axe would measure its half-transparent colours).
    // Infinite ones (a pulse) never finish and are left alone.
    const finite = document.getAnimations().filter(
      (a) => a.effect && a.effect.getComputedTiming().endTime !== Infinity,
    );
    await Promise.race([
      Promise.all(finite.map((a) => a.finished.catch(() => {}))),
      new Promise((resolve) => setTimeout(resolve, 5000)),
    ]);
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary}`),
    }));
  });
}

/** Presses the time controls' Step button `n` times (one tick each). */
export async function step(page, n) {
  const button = page.getByRole('button', { name: 'Step', exact: true });
  for (let i = 0; i < n; i++) await button.click();
}

/** Loads the preset `id` through the Presets drawer, as a person would, then opens the
 * drawer `then` if one is named. */
export async function loadPreset(page, id, then) {
  await openDrawer(page, 'Presets');
  await page.getByLabel('Preset', { exact: true }).selectOption(id);
  await page.getByRole('button', { name: 'Load preset' }).click();
  if (then) await openDrawer(page, then);
}

/**
 * Registers the `before`/`after` hooks every journey file shares: serve `dist` under
 * `basePath` and launch Chromium once for the file, close both at the end. Returns an object
 * whose `site` ({ url, close }) and `browser` are set once `before` has run.
 */
export function useSite({ basePath = '/', dist = DIST } = {}) {
  const run = { site: undefined, browser: undefined };
  before(async () => {
    run.site = await serveDist(basePath, dist);
    run.browser = await launch();
  });
  after(async () => {
    await run.browser?.close();
    await run.site?.close();
  });
  return run;
}

// The by-hand saga load runs (sagas-load.mjs, sagas-profile.mjs): the happy-path preset,
// 1,500 orders placed by the order stream (30 steps of 50), the stream stopped, the Sagas
// drawer closed if `closed`, then play at 60 ticks/s.
export async function playSagaLoad(page, { closed = false } = {}) {
  await page.getByRole('button', { name: 'Play', exact: true }).waitFor();
  await loadPreset(page, 'happy-path', 'Sagas');
  await page.getByLabel('Saga orders per tick').fill('50');
  await page.getByRole('button', { name: 'Start order stream' }).click();
  for (let i = 0; i < 30; i++) await page.getByRole('button', { name: 'Step', exact: true }).click();
  await page.getByRole('button', { name: 'Stop order stream' }).click();
  if (closed) await page.getByRole('button', { name: 'Close panel' }).click();
  await page.getByLabel('Speed').selectOption('60');
  await page.getByRole('button', { name: 'Play', exact: true }).click();
}
