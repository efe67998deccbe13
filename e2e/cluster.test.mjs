// Journey on brokers: load the three-broker preset (replication factor 3,
// min.insync.replicas=2, acks=all), kill one broker in the Cluster drawer (writes still
// commit), kill a second (the live region names NOT_ENOUGH_REPLICAS), restart one (it
// rejoins the ISR and writes commit again), in the light and the dark colour scheme, with
// no axe violation in the drawer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useSite, loadPreset, openApp, screenshot, forbidExternalRequests, openDrawer, axeViolations, step,
} from './harness.mjs';

const run = useSite();

for (const colorScheme of ['light', 'dark']) {
  test(`killing brokers refuses writes below min.insync.replicas, a restart heals (${colorScheme})`, async () => {
    const context = await run.browser.newContext({ colorScheme, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const external = [];
    forbidExternalRequests(page, external);
    await openApp(page, run.site.url);
    await loadPreset(page, 'cluster-acks-all-min-insync');
    await step(page, 2);
    await openDrawer(page, 'Cluster');
    const cluster = page.getByRole('region', { name: 'Cluster', exact: true });
    const table = cluster.locator('.partitions-table tbody');
    const row = (n) => table.locator(`tr:nth-child(${n + 1})`);

    // One broker down: orders-1 elects broker 3, and writes still commit.
    const broker2 = cluster.getByRole('region', { name: 'Broker 2', exact: true });
    await broker2.getByRole('button', { name: 'Kill broker 2' }).click();
    await broker2.getByText('down').waitFor();
    await row(1).locator('td').first().filter({ hasText: /^3$/ }).waitFor();
    await step(page, 3);
    const status = page.getByRole('status').filter({ hasText: 'refused' });
    assert.equal(await status.count(), 0, 'no write refused with two in-sync replicas');

    // A second broker down: one in-sync replica, fewer than min.insync.replicas.
    const broker3 = cluster.getByRole('region', { name: 'Broker 3', exact: true });
    await broker3.getByRole('button', { name: 'Kill broker 3' }).click();
    await step(page, 2);
    await page.getByRole('status').filter({ hasText: 'refused: NOT_ENOUGH_REPLICAS' })
      .waitFor({ state: 'attached' });

    // Broker 3 back: it catches up, rejoins the ISR, and writes commit again.
    await broker3.getByRole('button', { name: 'Restart broker 3' }).click();
    await step(page, 2);
    await row(0).getByText('3 (in sync').waitFor();
    await screenshot(page, `cluster-${colorScheme}`);
    assert.deepEqual(await axeViolations(page), [], `axe (${colorScheme})`);
    assert.deepEqual(external, []);
    await context.close();
  });
}
