// Journey on producers: load the producer-retries preset, make producer plain lose its next
// acknowledgement, send through it, and find the retry's copy badged "duplicate of offset N"
// in the partition the engine names (cross-checked with the native CLI). The add-producer
// form refuses a taken name with a message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useSite, loadPreset, openApp, screenshot, cli, forbidExternalRequests, openDrawer, openPartition,
} from './harness.mjs';

const run = useSite();

test('a lost acknowledgement makes the retry a duplicate, badged in the partition the engine names', async () => {
  const page = await run.browser.newPage();
  const external = [];
  forbidExternalRequests(page, external);
  await openApp(page, run.site.url);
  await loadPreset(page, 'producer-retries');
  await openDrawer(page, 'Producers');

  const producers = page.getByRole('region', { name: 'Producers', exact: true });
  const plain = producers.getByRole('region', { name: 'Producer plain', exact: true });
  await plain.getByText('acks=all · retries 3 · backoff none · not idempotent · ack loss 20%').waitFor();
  await producers.getByRole('region', { name: 'Producer idempotent', exact: true })
    .getByText(/idempotent \(enable\.idempotence=true\)/).waitFor();

  await plain.getByRole('button', { name: 'Lose next ack' }).click();
  await plain.getByText('The next acknowledgement will be lost.').waitFor();

  const key = 'U-e2e-dup';
  await producers.getByLabel('Producer', { exact: true }).selectOption('plain');
  assert.equal(await producers.getByLabel('Send to topic').inputValue(), 'orders-plain');
  await producers.getByLabel('Record key').fill(key);
  await producers.getByLabel('Record value').fill('O-e2e-dup');
  await producers.getByRole('button', { name: 'Send', exact: true }).click();

  const result = producers.locator('.send-result');
  await result.getByText('duplicate of offset').waitFor();
  const said = await result.textContent();
  const sent = said.match(/orders-plain partition (\d+): appended at offset (\d+)\./);
  const copy = said.match(/again at offset (\d+) \(duplicate of offset (\d+)\)/);
  assert.ok(sent && copy, said);
  const [partition, original, duplicate] = [Number(sent[1]), Number(sent[2]), Number(copy[1])];
  assert.equal(Number(copy[2]), original);

  // The engine's partitioner, run natively by the CLI, names the same partition.
  const [expected] = cli('route', '--partitioner', 'murmur2', '--partitions', '3', key);
  assert.equal(partition, expected.partition);

  // The stage marks the copy on its lane; its row with the badge is in the partition's log.
  await page.getByRole('region', { name: `Partition ${partition}`, exact: true })
    .locator(`.lane-record.producer-duplicate[data-offset="${duplicate}"]`).waitFor();
  const region = await openPartition(page, partition, 'orders-plain');
  const copyRow = region.locator(`.record[data-offset="${duplicate}"]`);
  await copyRow.getByText(`duplicate of offset ${original}`).waitFor();
  await copyRow.getByText('O-e2e-dup').waitFor();
  const firstRow = region.locator(`.record[data-offset="${original}"]`);
  await firstRow.getByText('O-e2e-dup').waitFor();
  assert.equal(await firstRow.locator('.duplicate-badge').count(), 0, 'the first copy is no duplicate');
  assert.equal(await copyRow.evaluate((el) => el.classList.contains('redelivered')), false);

  await openDrawer(page, 'Producers');
  const counters = await plain.locator('.producer-counters').textContent();
  assert.match(counters, /^sends 1 · appended 2 · acks lost 1 · retries 1 · duplicates appended 1 /);
  await page.getByRole('status').filter({ hasText: 'the retry appended a duplicate' })
    .waitFor({ state: 'attached' });
  await screenshot(page, 'producers-duplicate');

  // A taken name is refused with a message, and nothing is added.
  await producers.getByLabel('Producer name').fill('plain');
  await producers.getByRole('button', { name: 'Add producer' }).click();
  await producers.getByRole('alert').filter({ hasText: 'A producer named "plain" already exists' }).waitFor();
  assert.equal(await producers.locator('.producer-card').count(), 2);
  assert.deepEqual(external, []);
});
