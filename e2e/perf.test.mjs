// Measurement: publish 100,000 events (in chunks, with progress), then measure how the page
// responds with them in the log: time from a click to the DOM update, and long tasks
// (> 50 ms) seen by a PerformanceObserver. Prints the numbers; asserts generous bounds so a
// regression to "the page freezes" fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSite, openApp, screenshot, openDrawer } from './harness.mjs';

const run = useSite();

test('100,000 events: burst time, click-to-DOM latency, long tasks', async () => {
  const page = await run.browser.newPage();
  await openApp(page, run.site.url);
  await page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: false });
  });

  await openDrawer(page, 'Generator');
  const started = Date.now();
  await page.getByRole('button', { name: 'Publish 100,000' }).click();
  await page.getByRole('progressbar', { name: 'Burst progress' }).waitFor();
  await page.getByText('100000 records;').waitFor({ timeout: 120_000 });
  const burstMs = Date.now() - started;
  const burstLongTasks = await page.evaluate(() => window.__longTasks.splice(0));

  // Click-to-DOM: publish one event by hand and time until its row is in the DOM.
  const latencies = [];
  for (let i = 0; i < 5; i++) {
    const key = `U-latency-${i}`;
    await page.getByLabel('User ID').fill(key);
    const ms = await page.evaluate(async (key) => {
      const button = [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Publish');
      const t0 = performance.now();
      button.click();
      // The record's cell on its lane of the stage.
      while (![...document.querySelectorAll('.lane-record .key')].some((k) => k.textContent === key)) {
        await new Promise((r) => requestAnimationFrame(r));
      }
      return performance.now() - t0;
    }, key);
    latencies.push(ms);
  }
  // Step with the generator running (5 orders per tick): time to the tick label update.
  await page.getByRole('button', { name: 'Start generator' }).click();
  const stepMs = await page.evaluate(async () => {
    const button = [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Step');
    const t0 = performance.now();
    button.click();
    while (!document.querySelector('.tick').textContent.includes('Tick 1')) {
      await new Promise((r) => requestAnimationFrame(r));
    }
    return performance.now() - t0;
  });
  // Rewind to tick 0 and back (replays 100,000 events each way).
  const rewindMs = await page.evaluate(async () => {
    const t0 = performance.now();
    const range = document.querySelector('#timeline');
    range.value = '0';
    range.dispatchEvent(new Event('input', { bubbles: true }));
    while (!document.querySelector('.tick').textContent.includes('Tick 0')) {
      await new Promise((r) => requestAnimationFrame(r));
    }
    return performance.now() - t0;
  });
  const interactionLongTasks = await page.evaluate(() => window.__longTasks.splice(0));
  const median = [...latencies].sort((a, b) => a - b)[2];
  const report = {
    burst_100k_ms: burstMs,
    burst_long_tasks: burstLongTasks.length,
    burst_longest_task_ms: Math.round(Math.max(0, ...burstLongTasks)),
    publish_click_to_row_ms: latencies.map(Math.round),
    publish_click_to_row_median_ms: Math.round(median),
    step_click_to_tick_ms: Math.round(stepMs),
    rewind_replay_100k_ms: Math.round(rewindMs),
    interaction_longest_task_ms: Math.round(Math.max(0, ...interactionLongTasks)),
  };
  console.log('PERF', JSON.stringify(report));
  await screenshot(page, 'perf-100k');
  assert.ok(median < 500, `publishing with 100,000 records stays interactive (${median} ms)`);
  assert.ok(burstMs < 60_000, `the 100,000 burst finishes (${burstMs} ms)`);
});
