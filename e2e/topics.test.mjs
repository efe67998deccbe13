// Journey: load the "five demo topics" preset (several topics in one session), switch to
// topic "payments", publish a record and find it in the partition murmur2 names for the
// topic's 5 partitions (cross-checked with the native CLI, an independent build of the engine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useSite, openApp, screenshot, cli, forbidExternalRequests, openDrawer,
} from './harness.mjs';

const run = useSite();

test('five demo topics: publish to payments and find the record where murmur2 routes it', async (t) => {
  const page = await run.browser.newPage();
  const external = [];
  forbidExternalRequests(page, external);
  await openApp(page, run.site.url);

  await openDrawer(page, 'Presets');
  await page.getByLabel('Preset', { exact: true }).selectOption({ label: 'The five demo topics' });
  // Timed inside the page (no automation round trips): click, then animation frames until
  // the five topics are in the DOM.
  const loadedMs = await page.evaluate(async () => {
    const button = [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Load preset');
    const started = performance.now();
    button.click();
    while (document.querySelectorAll('#topic-select option').length !== 5) {
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
    return performance.now() - started;
  });
  t.diagnostic(`preset load (click to 5 topics in the DOM): ${loadedMs.toFixed(1)} ms`);
  const topic = page.getByLabel('Topic', { exact: true });

  const names = await topic.locator('option').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(names, ['user-events', 'orders', 'payments', 'notifications', 'order-processing.DLQ']);

  await openDrawer(page, 'Topics');
  await topic.selectOption('payments');
  const partitionRegions = page.getByRole('region', { name: /^Partition \d+$/ });
  await page.waitForFunction(() => document.querySelectorAll('[aria-label^="Partition "][role=region]').length === 5);
  const partitions = await partitionRegions.count();
  assert.equal(partitions, 5, 'payments has 5 partitions');

  const userId = 'U-pay-e2e-9';
  await page.getByLabel('User ID').fill(userId);
  await page.getByLabel('Order ID').fill('O-pay-1');
  await page.getByRole('button', { name: 'Publish', exact: true }).click();

  const [expected] = cli('route', '--partitioner', 'murmur2', '--partitions', String(partitions), userId);
  const region = page.getByRole('region', { name: `Partition ${expected.partition}`, exact: true });
  await region.getByText(userId).waitFor();
  for (let p = 0; p < partitions; p++) {
    if (p === expected.partition) continue;
    const other = page.getByRole('region', { name: `Partition ${p}`, exact: true });
    assert.equal(await other.getByText(userId).count(), 0, `record must not be in partition ${p}`);
  }
  await screenshot(page, 'demo-topics-payments');

  // The record is in payments only: topic orders (3 partitions) does not hold it.
  await topic.selectOption('orders');
  await page.waitForFunction(() => document.querySelectorAll('[aria-label^="Partition "][role=region]').length === 3);
  assert.equal(await page.getByText(userId).count(), 0);
  assert.deepEqual(external, [], 'the page must make no network requests beyond its own host');
});
