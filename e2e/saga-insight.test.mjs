// Journey inside the saga: with "Idempotent consumers" off, the duplicate-delivery preset's
// crashed Payment member gets ProcessPayment again and Balances shows the double charge;
// switched on, the run replays and the customer is charged once. "Rebuild" replays a read
// model; the event-sourced order's stream shows its upcast, snapshot and concurrency retry
// and replays event by event; "Correlation" follows the order with its causes. The drawer
// passes axe in light and dark, and a share link carries the switch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useSite, loadPreset, openApp, screenshot, forbidExternalRequests, openDrawer, axeViolations, step,
} from './harness.mjs';

const run = useSite();


for (const colorScheme of ['light', 'dark']) {
  test(`idempotent consumers stop the double charge; read models, order events and correlation (${colorScheme})`, async () => {
    const context = await run.browser.newContext({ colorScheme, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const external = [];
    forbidExternalRequests(page, external);
    await openApp(page, run.site.url);

    await loadPreset(page, 'duplicate-delivery-without-inbox', 'Sagas');
    await step(page, 120);
    const inbox = page.getByLabel('Idempotent consumers', { exact: true });
    assert.equal(await inbox.isChecked(), false);
    const balances = page.getByRole('region', { name: 'Balances', exact: true });
    await balances.getByText('Charged 50.00, refunded 0.00 (2 charges)').waitFor();
    await inbox.check();
    await balances.getByText('Charged 25.00, refunded 0.00 (1 charges)').waitFor();
    assert.equal(await inbox.isChecked(), true);

    const orders = page.getByRole('region', { name: 'Orders by status', exact: true });
    await orders.getByText('Lag: 0 records behind order-events').waitFor();
    await orders.getByRole('button', { name: 'Rebuild', exact: true }).click();
    await orders.getByText(/Rebuilt at tick 120 from \d+ records; the replay equalled the incremental model\./).waitFor();
    assert.deepEqual(await axeViolations(page), [], `the saga's insides pass axe (${colorScheme})`);

    await loadPreset(page, 'event-sourced-order', 'Sagas');
    await step(page, 60);
    const events = page.getByRole('region', { name: 'Order events', exact: true });
    await events.getByText('v1, read as v2 (currency USD)').waitFor();
    await events.getByText(/expected version 1 but the stream was at version 2/).waitFor();
    await events.getByRole('button', { name: 'Replay from start', exact: true }).click();
    await events.getByText('Replayed 0 of 5 events.').waitFor();
    await events.getByRole('button', { name: 'Next event', exact: true }).click();
    await events.getByText('Replayed 1 of 5 events.').waitFor();
    await events.getByText('Status: Created').waitFor();

    const correlation = page.getByRole('region', { name: 'Correlation', exact: true });
    await correlation.getByRole('cell', { name: '#1 PlaceOrder', exact: true }).waitFor();
    const text = await correlation.textContent();
    assert.ok(text.indexOf('PlaceOrder') < text.indexOf('ProcessPayment'), text);

    await page.getByRole('button', { name: 'Compare styles', exact: true }).click();
    const styles = page.getByRole('region', { name: 'Saga styles compared', exact: true });
    await styles.getByText('Messages sent for the same orders by tick 60').waitFor();
    await styles.getByRole('rowheader', { name: 'All messages', exact: true }).waitFor();

    assert.deepEqual(await axeViolations(page), [], `the event stream, correlation and styles pass axe (${colorScheme})`);
    await screenshot(page, `saga-insight-${colorScheme}`);
    assert.deepEqual(external, []);
    await context.close();
  });
}

test('a share link carries the idempotent consumers switch', async () => {
  const context = await run.browser.newContext();
  const page = await context.newPage();
  const external = [];
  forbidExternalRequests(page, external);
  await openApp(page, run.site.url);
  await loadPreset(page, 'duplicate-delivery-without-inbox', 'Sagas');
  await step(page, 120);
  await page.getByLabel('Idempotent consumers', { exact: true }).check();
  await page.getByRole('region', { name: 'Balances', exact: true })
    .getByText('Charged 25.00, refunded 0.00 (1 charges)').waitFor();

  await openDrawer(page, 'Share');
  await page.getByRole('button', { name: 'Create share link' }).click();
  const link = await page.getByLabel('Share link').inputValue();
  const fresh = await (await run.browser.newContext()).newPage();
  forbidExternalRequests(fresh, external);
  await fresh.goto(link);
  await fresh.getByText('Tick 120', { exact: true }).waitFor({ timeout: 30_000 });
  await openDrawer(fresh, 'Sagas');
  assert.equal(await fresh.getByLabel('Idempotent consumers', { exact: true }).isChecked(), true);
  await fresh.getByRole('region', { name: 'Balances', exact: true })
    .getByText('Charged 25.00, refunded 0.00 (1 charges)').waitFor();
  assert.deepEqual(external, []);
  await context.close();
});
