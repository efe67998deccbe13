// Journey: build a run (setup change, hand-published events, a generated burst, ticks),
// create its share link, open the link in a fresh browser context (no localStorage) and get
// the same state; then reload and keep it; a damaged link keeps the current scenario.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useSite, openApp, screenshot, forbidExternalRequests, openDrawer,
} from './harness.mjs';

const run = useSite();

/** Per partition: the stats line (count, log start, high watermark). */
async function partitionStats(page) {
  return page.locator('.partition-stats').allTextContents();
}

test('a share link restores the same state in a fresh page', async () => {
  const context = await run.browser.newContext();
  const page = await context.newPage();
  const external = [];
  forbidExternalRequests(page, external);
  await openApp(page, run.site.url);

  await openDrawer(page, 'Setup');
  await page.locator('#setup-partitions').fill('5');
  await page.getByLabel('Partitioner', { exact: true }).selectOption('crc32');
  await page.getByRole('button', { name: 'Apply setup' }).click();
  await page.getByLabel('User ID').fill('U-share');
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  await openDrawer(page, 'Generator');
  await page.getByLabel('Hot-key skew').fill('40');
  await page.getByRole('button', { name: 'Publish 1,000' }).click();
  await page.getByText('1001 records;').waitFor();
  await page.getByRole('button', { name: 'Start generator' }).click();
  for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Step' }).click();
  await page.getByText('Tick 3', { exact: true }).waitFor();
  const before = await partitionStats(page);
  assert.equal(before.length, 5);

  await openDrawer(page, 'Share');
  await page.getByRole('button', { name: 'Create share link' }).click();
  const link = await page.getByLabel('Share link').inputValue();
  assert.ok(link.startsWith(run.site.url) && link.includes('#s='), link);
  assert.ok(link.length < 1000, `the link stays short (${link.length} chars)`);

  const freshContext = await run.browser.newContext();
  const fresh = await freshContext.newPage();
  forbidExternalRequests(fresh, external);
  await fresh.goto(link);
  await fresh.getByText('Tick 3', { exact: true }).waitFor({ timeout: 30_000 });
  assert.deepEqual(await partitionStats(fresh), before);
  assert.equal(await fresh.getByLabel('Partitioner', { exact: true }).inputValue(), 'crc32');
  await screenshot(fresh, 'share-opened');

  // The link is consumed: a reload shows the saved session, still the same state.
  await fresh.reload();
  await fresh.getByText('Tick 3', { exact: true }).waitFor({ timeout: 30_000 });
  assert.deepEqual(await partitionStats(fresh), before);

  // A damaged link says so and keeps the scenario this browser already had.
  // (A new tab of the same browser profile: a fragment change alone would not reload.)
  const damaged = await freshContext.newPage();
  forbidExternalRequests(damaged, external);
  await damaged.goto(`${run.site.url}#s=damaged`);
  await damaged.getByText('could not be opened').waitFor({ timeout: 30_000 });
  assert.deepEqual(await partitionStats(damaged), before);
  await screenshot(damaged, 'share-damaged-link');
  assert.deepEqual(external, []);
  await context.close();
  await freshContext.close();
});
