// Journey: publish an order event and find the record in the partition that the engine's
// partitioner names (cross-checked with the native CLI, an independent build of the engine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSite, openApp, screenshot, cli, forbidExternalRequests } from './harness.mjs';

const run = useSite();

test('published record appears in the partition murmur2 names', async () => {
  const page = await run.browser.newPage();
  const external = [];
  forbidExternalRequests(page, external);
  await openApp(page, run.site.url);

  const userId = 'U-e2e-42';
  await page.getByLabel('User ID').fill(userId);
  await page.getByLabel('Order ID').fill('O-777');
  await page.getByRole('button', { name: 'Publish', exact: true }).click();

  const partitions = await page.getByRole('region', { name: /^Partition \d+$/ }).count();
  const [expected] = cli('route', '--partitioner', 'murmur2', '--partitions', String(partitions), userId);
  const region = page.getByRole('region', { name: `Partition ${expected.partition}`, exact: true });
  await region.getByText(userId).waitFor();
  for (let p = 0; p < partitions; p++) {
    if (p === expected.partition) continue;
    const other = page.getByRole('region', { name: `Partition ${p}`, exact: true });
    assert.equal(await other.getByText(userId).count(), 0, `record must not be in partition ${p}`);
  }
  await screenshot(page, 'publish');
  assert.deepEqual(external, [], 'the page must make no network requests beyond its own host');
});
