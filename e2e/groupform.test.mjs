// Journey: grow a run by hand. Add topic "refunds" (2 partitions) at tick 2, publish to it
// and find the record where murmur2 routes it (the native CLI is the oracle); add group
// "auditors" reading orders and refunds with 2 cooperative-sticky consumers, step, and see
// every partition of both topics owned; then open the share link in a fresh page and find
// the topic, the record and the group again. Rewinding to tick 1 hides the topic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useSite, openApp, screenshot, cli, forbidExternalRequests, openDrawer, openGroup,
} from './harness.mjs';

const run = useSite();

const ALL_PARTITIONS = ['orders-0', 'orders-1', 'orders-2', 'orders-3', 'refunds-0', 'refunds-1'];

async function ownedPartitions(page) {
  const owned = await (await openGroup(page, 'auditors')).locator('.member-owned').allTextContents();
  return owned.flatMap((o) => o.replace(/^owns /, '').split(', ')).filter((p) => p !== 'none').sort();
}

test('add a topic and a group on two topics, step, and share them', async () => {
  const context = await run.browser.newContext();
  const page = await context.newPage();
  const external = [];
  forbidExternalRequests(page, external);
  await openApp(page, run.site.url);
  const step = page.getByRole('button', { name: 'Step' });
  for (let i = 0; i < 2; i++) await step.click();
  await page.getByText('Tick 2', { exact: true }).waitFor();

  await openDrawer(page, 'Topics');
  await page.getByLabel('New topic name').fill('refunds');
  await page.getByLabel('New topic partitions').fill('2');
  await page.getByRole('button', { name: 'Add topic' }).click();
  assert.equal(await page.getByLabel('Topic', { exact: true }).inputValue(), 'refunds');
  await page.waitForFunction(() => document.querySelectorAll('[aria-label^="Partition "][role=region]').length === 2);

  const userId = 'U-refund-42';
  await page.getByLabel('User ID').fill(userId);
  await page.getByLabel('Order ID').fill('O-r-1');
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  const [expected] = cli('route', '--partitioner', 'murmur2', '--partitions', '2', userId);
  await page.getByRole('region', { name: `Partition ${expected.partition}`, exact: true }).getByText(userId).waitFor();
  assert.equal(await page.getByRole('region', { name: `Partition ${1 - expected.partition}`, exact: true }).getByText(userId).count(), 0);

  await openDrawer(page, 'Groups');
  await page.getByLabel('Group name').fill('auditors');
  await page.getByLabel('orders', { exact: true }).check();
  assert.ok(await page.getByLabel('refunds', { exact: true }).isChecked(), 'the selected topic is ticked');
  await page.getByLabel('Assignor').selectOption('cooperative-sticky');
  await page.getByLabel('Consumers', { exact: true }).fill('2');
  await page.getByRole('button', { name: 'Add group' }).click();
  const group = await openGroup(page, 'auditors');
  await group.getByText(/reads orders, refunds/).waitFor();
  await group.getByText(/cooperative protocol/).waitFor();
  for (let i = 0; i < 4; i++) await step.click();
  await page.getByText('Tick 6', { exact: true }).waitFor();
  assert.deepEqual(await ownedPartitions(page), ALL_PARTITIONS);
  await screenshot(page, 'groupform-auditors');

  await openDrawer(page, 'Share');
  await page.getByRole('button', { name: 'Create share link' }).click();
  const link = await page.getByLabel('Share link').inputValue();
  const freshContext = await run.browser.newContext();
  const fresh = await freshContext.newPage();
  forbidExternalRequests(fresh, external);
  await fresh.goto(link);
  await fresh.getByText('Tick 6', { exact: true }).waitFor({ timeout: 30_000 });
  await openDrawer(fresh, 'Topics');
  await fresh.getByLabel('Topic', { exact: true }).selectOption('refunds');
  await fresh.getByRole('region', { name: `Partition ${expected.partition}`, exact: true }).getByText(userId).waitFor();
  assert.deepEqual(await ownedPartitions(fresh), ALL_PARTITIONS);
  await screenshot(fresh, 'groupform-shared');

  // Rewound to tick 1, before the topic was added, the Topic select lists orders only.
  const timeline = fresh.getByLabel('Timeline');
  await timeline.focus();
  await fresh.keyboard.press('Home');
  await fresh.keyboard.press('ArrowRight');
  await fresh.getByText('Tick 1', { exact: true }).waitFor();
  const topics = await fresh.getByLabel('Topic', { exact: true }).locator('option').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(topics, ['orders']);
  assert.deepEqual(external, []);
  await context.close();
  await freshContext.close();
});
