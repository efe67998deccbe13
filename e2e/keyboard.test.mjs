// Journey: publish with the keyboard only (Tab to the fields, type, Enter), then check the
// record is in the partition the CLI names. Also checks focus is visible on the way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSite, openApp, screenshot, cli, forbidExternalRequests } from './harness.mjs';

const run = useSite();

/** Presses Tab until the focused element is the control labelled `label` (at most 80 times). */
async function tabTo(page, id) {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((id) => document.activeElement?.id === id, id)) return;
  }
  throw new Error(`Tab never reached #${id}`);
}

/** Presses Tab until the head of partition N's lane on the stage has focus. */
async function tabToHead(page, partition) {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((p) => document.activeElement?.dataset?.head === String(p), partition)) return;
  }
  throw new Error(`Tab never reached the lane of partition ${partition}`);
}

test('keyboard-only publish lands in the partition the engine names', async () => {
  const page = await run.browser.newPage();
  const external = [];
  forbidExternalRequests(page, external);
  await openApp(page, run.site.url);

  await tabTo(page, 'user-id');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'the focused field shows a visible focus ring');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('U-keyboard-5');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('O-kb-1');
  await page.keyboard.press('Tab'); // Status select
  await page.keyboard.press('ArrowDown'); // Paid
  await page.keyboard.press('Tab'); // Publish button
  const focused = await page.evaluate(() => document.activeElement?.textContent?.trim());
  assert.equal(focused, 'Publish');
  await page.keyboard.press('Enter');

  const [expected] = cli('route', '--partitioner', 'murmur2', '--partitions', '4', 'U-keyboard-5');
  const region = page.getByRole('region', { name: `Partition ${expected.partition}`, exact: true });
  await region.getByText('U-keyboard-5').waitFor();
  // The record's value is in the partition's log: Tab to the lane, Enter opens it beside.
  await tabToHead(page, expected.partition);
  await page.keyboard.press('Enter');
  await page.getByRole('region', { name: `Log of orders-${expected.partition}`, exact: true })
    .getByText('O-kb-1 Paid').waitFor();
  await screenshot(page, 'keyboard-publish');
  assert.deepEqual(external, []);
});
