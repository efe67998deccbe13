// Journey on sagas: load the payment-fails preset, open the Sagas drawer and play: the saga
// of order-1 lists "Reserve inventory" then its compensations "Release inventory" and
// "Cancel order", ends "failed, compensated", Balances says the conservation checks hold and
// the State machine draws it in "failed, compensated"; then an order placed by hand runs to "completed". The drawer passes axe in light
// and dark.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useSite, loadPreset, openApp, screenshot, forbidExternalRequests, openDrawer, axeViolations, step,
} from './harness.mjs';

const run = useSite();

for (const colorScheme of ['light', 'dark']) {
  test(`a failed payment is compensated in reverse, and an order placed by hand completes (${colorScheme})`, async () => {
    const context = await run.browser.newContext({ colorScheme, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const external = [];
    forbidExternalRequests(page, external);
    await openApp(page, run.site.url);
    await loadPreset(page, 'payment-fails-compensation');
    await openDrawer(page, 'Sagas');
    await step(page, 60);

    const saga = page.getByRole('region', { name: 'Saga order-1', exact: true });
    await saga.getByText('State: failed, compensated').waitFor();
    const text = await saga.textContent();
    const at = (s) => text.indexOf(s);
    assert.ok(at('Reserve inventory') >= 0 && at('Reserve inventory') < at('Release inventory'), text);
    assert.ok(at('Release inventory') < at('Cancel order'), text);
    const balances = page.getByRole('region', { name: 'Balances', exact: true });
    await balances.getByText('Conservation checks hold.').waitFor();
    // The orchestrator's state machine with order-1 on it, named by its state.
    const machine = page.getByRole('region', { name: 'State machine', exact: true });
    await machine.getByRole('img', { name: "The orchestrator's state machine. Saga order-1 is failed, compensated.", exact: true }).waitFor();
    await machine.getByText('processing payment to compensating (step failed)').waitFor();
    await machine.scrollIntoViewIfNeeded();
    await screenshot(page, `sagas-state-machine-${colorScheme}`);

    await page.getByLabel('Customer', { exact: true }).fill('ada');
    await page.getByLabel('Product', { exact: true }).fill('P2');
    await page.getByLabel('Quantity', { exact: true }).fill('1');
    await page.getByRole('button', { name: 'Place order', exact: true }).click();
    await step(page, 60);
    await page.getByRole('region', { name: 'Saga web-order-1', exact: true })
      .getByText('State: completed').waitFor();

    assert.deepEqual(await axeViolations(page), [], `the Sagas drawer passes axe (${colorScheme})`);
    await screenshot(page, `sagas-${colorScheme}`);
    assert.deepEqual(external, []);
    await context.close();
  });
}

// Journeys on breaking things: "Fail payment" armed, an order placed and played is
// compensated in reverse and Balances is back where it started (axe in light and dark);
// the poison message waits in "Dead letters" until "Resubmit"; a share link of a
// compensated run with a fault still armed opens to the same saga regions and toggles.


async function balances(page) {
  const region = page.getByRole('region', { name: 'Balances', exact: true });
  return { stock: await region.locator('.stock li').allTextContents(), money: await region.locator('.money').textContent() };
}

async function sagaRegions(page) {
  return page.locator('.saga-list [role=region]').allTextContents();
}

for (const colorScheme of ['light', 'dark']) {
  test(`"Fail payment" makes the next order compensate and Balances returns to where it was (${colorScheme})`, async () => {
    const context = await run.browser.newContext({ colorScheme, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const external = [];
    forbidExternalRequests(page, external);
    await openApp(page, run.site.url);
    await loadPreset(page, 'happy-path', 'Sagas');
    await step(page, 60);
    const before = await balances(page);

    const fail = page.getByRole('checkbox', { name: 'Fail payment', exact: true });
    await fail.check();
    await page.getByRole('button', { name: 'Place order', exact: true }).click();
    await step(page, 60);

    const saga = page.getByRole('region', { name: 'Saga web-order-1', exact: true });
    await saga.getByText('State: failed, compensated').waitFor();
    const text = await saga.textContent();
    const at = (s) => text.indexOf(s);
    assert.ok(at('Reserve inventory') >= 0 && at('Reserve inventory') < at('Release inventory'), text);
    assert.ok(!(await fail.isChecked()), 'the order used the armed fault up');
    assert.deepEqual(await balances(page), before);
    await page.getByRole('region', { name: 'Balances', exact: true }).getByText('Conservation checks hold.').waitFor();

    assert.deepEqual(await axeViolations(page), [], `the Sagas drawer with Break things passes axe (${colorScheme})`);
    await screenshot(page, `sagas-break-${colorScheme}`);
    assert.deepEqual(external, []);
    await context.close();
  });
}

async function expect1(locator) {
  assert.equal(await locator.count(), 1);
}

test('the poison message waits in "Dead letters" until Resubmit', async () => {
  const context = await run.browser.newContext();
  const page = await context.newPage();
  const external = [];
  forbidExternalRequests(page, external);
  await openApp(page, run.site.url);
  await loadPreset(page, 'poison-message-dlq-resubmit', 'Sagas');
  const letters = page.getByRole('region', { name: 'Dead letters', exact: true });
  await letters.getByText('No record was dead-lettered.').waitFor();
  await step(page, 200);
  await letters.getByText('payment-commands.DLQ: 1 dead-lettered, 1 waiting').waitFor();
  await letters.getByText('ProcessPayment of order-1 on payment-commands: injected error after 6 attempts').waitFor();
  await expect1(letters.getByRole('button', { name: 'Resubmit all 1 from payment-commands.DLQ', exact: true }));
  // The record's own "Resubmit", named after it and its place on the DLQ.
  await letters.getByRole('button', { name: /^Resubmit ProcessPayment of order-1 from payment-commands\.DLQ, partition \d+, offset 0$/ }).click();
  await letters.getByText('payment-commands.DLQ: 1 dead-lettered, 0 waiting').waitFor();
  assert.equal(await letters.getByText('after 6 attempts').count(), 0);
  assert.deepEqual(external, []);
  await context.close();
});

test('a share link of a compensated run opens to the same saga regions and armed toggles', async () => {
  const context = await run.browser.newContext();
  const page = await context.newPage();
  const external = [];
  forbidExternalRequests(page, external);
  await openApp(page, run.site.url);
  await loadPreset(page, 'happy-path', 'Sagas');
  await page.getByRole('checkbox', { name: 'Fail payment', exact: true }).check();
  await page.getByRole('button', { name: 'Place order', exact: true }).click();
  await step(page, 60);
  await page.getByRole('checkbox', { name: 'Fail shipping', exact: true }).check();
  await page.getByRole('region', { name: 'Saga web-order-1', exact: true })
    .getByText('State: failed, compensated').waitFor();
  const regions = await sagaRegions(page);
  assert.ok(regions.length >= 3, regions.join('\n'));

  await openDrawer(page, 'Share');
  await page.getByRole('button', { name: 'Create share link' }).click();
  const link = await page.getByLabel('Share link').inputValue();
  const freshContext = await run.browser.newContext();
  const fresh = await freshContext.newPage();
  forbidExternalRequests(fresh, external);
  await fresh.goto(link);
  await fresh.getByRole('button', { name: 'Publish', exact: true }).waitFor({ timeout: 30_000 });
  await openDrawer(fresh, 'Sagas');
  await fresh.getByRole('region', { name: 'Saga web-order-1', exact: true })
    .getByText('State: failed, compensated').waitFor();
  assert.deepEqual(await sagaRegions(fresh), regions);
  assert.ok(await fresh.getByRole('checkbox', { name: 'Fail shipping', exact: true }).isChecked());
  assert.ok(!(await fresh.getByRole('checkbox', { name: 'Fail payment', exact: true }).isChecked()));
  assert.deepEqual(external, []);
  await context.close();
  await freshContext.close();
});
