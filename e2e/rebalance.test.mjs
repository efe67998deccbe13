// Journeys on the rebalance animation: kill a consumer in the cooperative group and watch
// its lost partitions move to the others while they keep consuming; kill one in the eager
// group and watch the whole group pause, revoke everything and resume in a new generation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useSite, openApp, screenshot, forbidExternalRequests, openDrawer, openGroup, step,
} from './harness.mjs';

const run = useSite();

async function tickNow(page) {
  return Number((await page.getByText(/^Tick \d+$/).textContent()).replace('Tick ', ''));
}

async function start(page) {
  const external = [];
  forbidExternalRequests(page, external);
  await openApp(page, run.site.url);
  await openDrawer(page, 'Generator');
  await page.getByRole('button', { name: 'Publish 1,000' }).click();
  await page.getByText('1000 records;').waitFor();
  await step(page, 4);
  return external;
}

test('cooperative: the lost partitions move after the session timeout while the others keep consuming', async () => {
  const page = await run.browser.newPage();
  const external = await start(page);
  const group = await openGroup(page, 'Notifier');
  const rebalance = group.getByRole('region', { name: 'Rebalance of group Notifier' });
  // The group's first rebalance (everyone joined at tick 0) is what shows before the kill.
  await rebalance.getByText('Rebalance (cooperative): generation 0 → 1').waitFor();

  const c1Owned = (await group.locator('.member', { hasText: 'c1' }).locator('.member-owned').textContent())
    .replace('owns ', '').split(', ');
  assert.ok(c1Owned.length > 0 && c1Owned[0] !== 'none', `c1 owns ${c1Owned}`);
  await group.getByRole('button', { name: 'Kill consumer c1' }).click();
  await group.getByText('dead since tick 4; the group notices at tick 14 (session timeout 10 ticks)').waitFor();

  // Before the timeout nothing moves: still the first generation's rebalance.
  await step(page, 9);
  assert.equal(await tickNow(page), 13);
  assert.match(await rebalance.locator('h4').textContent(), /generation 0 → 1/);
  assert.equal(await group.locator('.member.dead').count(), 1);

  let ticks = 0;
  while (!/\): generation 1 → 2$/.test(await rebalance.locator('h4').textContent())) {
    assert.ok(ticks < 20, 'the rebalance completed within 20 ticks of the timeout');
    await step(page, 1);
    ticks += 1;
  }
  const moves = rebalance.getByRole('list', { name: 'Rebalance moves' }).getByRole('listitem');
  const texts = await moves.allTextContents();
  // Exactly c1's partitions moved, each lost by c1 and assigned to a survivor in generation 2.
  assert.deepEqual(texts.map((t) => t.split(':')[0]), c1Owned);
  for (const t of texts) {
    assert.match(t, /lost by c1 \(timed out\).*assigned to c[23] in generation 2/, t);
  }
  assert.deepEqual(await moves.evaluateAll((els) => els.map((e) => e.dataset.phase)),
    c1Owned.map(() => 'assigned'));
  // The survivors never stopped: the episode says so and counts what they processed.
  const consumption = await rebalance.locator('.rebalance-consumption').textContent();
  assert.match(consumption, /^Cooperative: consumption never stopped/);
  assert.match(consumption, /kept consuming: c2 on orders-\d, c3 on orders-\d/);
  const during = consumption.match(/records processed during it: c2 (\d+), c3 (\d+)/);
  assert.ok(during && Number(during[1]) > 0 && Number(during[2]) > 0, consumption);
  assert.equal(await rebalance.locator('.episode').getAttribute('data-consumption'), 'consuming');
  await page.getByRole('status').filter({ hasText: 'rebalanced' }).waitFor({ state: 'attached' });
  await screenshot(page, 'rebalance-cooperative');
  assert.deepEqual(external, []);
});

test('eager: the whole group pauses, revokes everything and resumes in the next generation', async () => {
  const page = await run.browser.newPage();
  const external = await start(page);
  const group = await openGroup(page, 'OrderProcessor');
  const rebalance = group.getByRole('region', { name: 'Rebalance of group OrderProcessor' });
  await group.getByRole('button', { name: 'Kill consumer c1' }).click();
  await step(page, 10);

  // The timeout came at tick 14: the group is paused, c2 hands back what it owns.
  const episode = rebalance.locator('.episode');
  assert.equal(await episode.getAttribute('data-consumption'), 'paused');
  assert.match(await rebalance.locator('h4').textContent(), /in progress: generation 1 → 2/);
  assert.match(await rebalance.locator('.rebalance-consumption').textContent(),
    /^Paused \(eager\): every member revokes all its partitions and nobody consumes until generation 2/);
  const moves = rebalance.getByRole('list', { name: 'Rebalance moves' }).getByRole('listitem');
  assert.equal(await moves.count(), 4, 'eager: every partition is on the move');
  const paused = await moves.allTextContents();
  assert.equal(paused.filter((t) => /lost by c1 \(timed out\).*waiting for the new assignment/.test(t)).length, 2);
  assert.equal(paused.filter((t) => /c2 consumes it until its batch is done|revoked by c2/.test(t)).length, 2);
  await screenshot(page, 'rebalance-eager-paused');

  // While paused, the group's recent throughput falls; once generation 2 is assigned it resumes.
  let ticks = 0;
  while ((await episode.getAttribute('data-consumption')) === 'paused') {
    assert.ok(ticks < 30, 'the eager rebalance completed within 30 ticks');
    await step(page, 1);
    ticks += 1;
  }
  assert.match(await rebalance.locator('h4').textContent(), /\(eager\): generation 1 → 2$/);
  const done = await moves.allTextContents();
  assert.equal(done.length, 4);
  assert.equal(done.filter((t) => /lost by c1 \(timed out\).*assigned to c2 in generation 2/.test(t)).length, 2);
  assert.equal(done.filter((t) => /revoked by c2.*assigned back to c2 in generation 2/.test(t)).length, 2);
  assert.match(await rebalance.locator('.rebalance-consumption').textContent(), /^Eager: the group paused/);
  await step(page, 5);
  const throughput = await group.locator('.throughput').textContent();
  assert.ok(Number(throughput.match(/([\d.]+) records per tick/)[1]) > 0, throughput);
  await screenshot(page, 'rebalance-eager-resumed');
  assert.deepEqual(external, []);
});

test('the moves animate, except under prefers-reduced-motion, and stay readable as text', async () => {
  const names = {};
  for (const reducedMotion of ['no-preference', 'reduce']) {
    const context = await run.browser.newContext({ reducedMotion });
    const page = await context.newPage();
    await openApp(page, run.site.url);
    await step(page, 3);
    // The first assignment (generation 0 → 1) is drawn as moves.
    await openGroup(page, 'Notifier');
    const rebalance = page.getByRole('region', { name: 'Rebalance of group Notifier' });
    const to = rebalance.locator('.move[data-phase="assigned"] .move-to').first();
    await to.waitFor();
    names[reducedMotion] = await to.evaluate((el) => getComputedStyle(el).animationName);
    const text = await rebalance.getByRole('listitem').first().textContent();
    assert.match(text, /^orders-0: had no owner; →assigned to c\d in generation 1$/);
    await context.close();
  }
  assert.deepEqual(names, { 'no-preference': 'move-in', reduce: 'none' });
});
