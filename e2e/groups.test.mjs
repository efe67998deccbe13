// Journeys on consumer groups: kill a consumer and see its partitions move to the others
// after the session timeout; empty a group, reset it to earliest and see its lag jump.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useSite, openApp, screenshot, forbidExternalRequests, openDrawer, openGroup, step,
} from './harness.mjs';

const run = useSite();

async function ownedBy(group) {
  const owned = {};
  for (const member of await group.locator('.member').all()) {
    const id = await member.locator('.member-id').textContent();
    owned[id] = await member.locator('.member-owned').textContent();
  }
  return owned;
}

test('a killed consumer stays dead until the session timeout, then its partitions move', async () => {
  const page = await run.browser.newPage();
  const external = [];
  forbidExternalRequests(page, external);
  await openApp(page, run.site.url);
  await openDrawer(page, 'Generator');
  await page.getByRole('button', { name: 'Publish 1,000' }).click();
  await page.getByText('1000 records;').waitFor();
  await step(page, 4);

  const group = await openGroup(page, 'OrderProcessor');
  const before = await ownedBy(group);
  assert.deepEqual(Object.keys(before), ['c1', 'c2']);
  assert.notEqual(before.c1, 'owns none');

  await group.getByRole('button', { name: 'Kill consumer c1' }).click();
  await group.getByText(/dead since tick 4/).waitFor();
  await step(page, 5);
  assert.equal(await group.locator('.member.dead').count(), 1, 'still shown dead before the timeout');
  await screenshot(page, 'groups-consumer-dead');

  // After the session timeout (10 ticks) the group rebalances; an eager rebalance waits for
  // c2 to finish its current batch, so allow a few more ticks, one at a time.
  let ticks = 5;
  while ((await group.locator('.member').count()) !== 1 || (await ownedBy(group)).c2 !== 'owns orders-0, orders-1, orders-2, orders-3') {
    assert.ok(ticks < 40, 'the partitions moved within 40 ticks of the kill');
    await step(page, 1);
    ticks += 1;
  }
  assert.ok(ticks >= 10, `not before the session timeout (${ticks} ticks)`);
  const afterTimeout = await ownedBy(group);
  assert.deepEqual(Object.keys(afterTimeout), ['c2']);
  assert.equal(afterTimeout.c2, 'owns orders-0, orders-1, orders-2, orders-3');
  const ownerCells = await group.locator('.group-partitions tbody tr td:nth-child(5)').allTextContents();
  assert.deepEqual(ownerCells, ['c2', 'c2', 'c2', 'c2']);
  await screenshot(page, 'groups-partitions-moved');
  assert.deepEqual(external, []);
});

test('resetting an emptied group to earliest makes its lag jump back to the log size', async () => {
  const page = await run.browser.newPage();
  await openApp(page, run.site.url);
  await openDrawer(page, 'Generator');
  await page.getByRole('button', { name: 'Publish 1,000' }).click();
  await page.getByText('1000 records;').waitFor();
  await page.getByLabel('Speed').selectOption('60');
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await page.getByText(/^Tick (4\d|[5-9]\d|\d{3,})$/).waitFor({ timeout: 20_000 });
  await page.getByRole('button', { name: 'Pause', exact: true }).click();

  const group = await openGroup(page, 'Analytics');
  const lagOf = async () => {
    const cells = await group.locator('.group-partitions td.lag').allTextContents();
    return cells.reduce((sum, c) => sum + Number(c), 0);
  };
  const lagBefore = await lagOf();
  assert.ok(lagBefore < 1000, `Analytics consumed some records (lag ${lagBefore})`);

  // Kafka refuses while the group has a member.
  await group.getByRole('button', { name: 'Reset offsets' }).click();
  await group.getByText(/can only be reset if the group 'Analytics' is inactive/).waitFor();

  await group.getByRole('button', { name: 'Kill consumer c1' }).click();
  await step(page, 15);
  await group.getByText('empty (no members)').waitFor();
  await group.getByLabel('Reset offsets to').selectOption('earliest');
  await group.getByRole('button', { name: 'Reset offsets' }).click();
  await group.getByText(/lag 1000 /).waitFor();
  assert.equal(await lagOf(), 1000);
  await screenshot(page, 'groups-reset-earliest');
});
