// Journey on sagas: load the payment-fails preset, open the Sagas drawer and play: the saga
// of order-1 lists "Reserve inventory" then its compensations "Release inventory" and
// "Cancel order", ends "failed, compensated", and Balances says the conservation checks
// hold; then an order placed by hand runs to "completed". The drawer passes axe in light
// and dark.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useSite, openApp, screenshot, forbidExternalRequests, openDrawer, axeViolations, step,
} from './harness.mjs';

const run = useSite();

for (const colorScheme of ['light', 'dark']) {
  test(`a failed payment is compensated in reverse, and an order placed by hand completes (${colorScheme})`, async () => {
    const context = await run.browser.newContext({ colorScheme, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const external = [];
    forbidExternalRequests(page, external);
    await openApp(page, run.site.url);
    await openDrawer(page, 'Presets');
    await page.getByLabel('Preset', { exact: true }).selectOption('payment-fails-compensation');
    await page.getByRole('button', { name: 'Load preset' }).click();
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
