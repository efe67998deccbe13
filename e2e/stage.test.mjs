// Journeys on the stage, the live diagram that is the first screen: at 1440×900 and
// 1280×720 the time controls, Publish, a "Partition N" region and a "Consumer group NAME"
// region are in the first viewport (screenshots at each size and at 390 px wide, where
// the stage stacks and works by touch); kill a member and watch its edges move to the new
// owners after the session timeout; on a replicated topic a lane names its leader, and
// killing that broker in the Cluster drawer moves it; axe-core finds no WCAG 2.1 A/AA violation in light and
// dark; and while the run plays, the frame times are printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useSite, loadPreset, openApp, screenshot, forbidExternalRequests, openDrawer, openGroup,
  axeViolations, step,
} from './harness.mjs';

const run = useSite();

/** True when the element's box lies inside the viewport (`partly`: reaches into it). */
async function inFirstViewport(page, locator, partly = false) {
  const box = await locator.boundingBox();
  const { width, height } = page.viewportSize();
  if (!box) return false;
  if (partly) return box.y < height && box.y + box.height > 0 && box.x < width;
  return box.y >= 0 && box.y + box.height <= height && box.x >= 0 && box.x + box.width <= width;
}

/** Per partition, the member of `group` the stage draws an ownership edge to. */
async function edges(page, group) {
  return page.locator(`.edge.owns[data-group="${group}"], .edge.revoking[data-group="${group}"]`)
    .evaluateAll((els) => Object.fromEntries(els.map((e) => [e.dataset.partition, e.dataset.member])));
}

for (const [width, height] of [[1440, 900], [1280, 720]]) {
  test(`at ${width}×${height} the controls, Publish, a partition and a group are in the first viewport`, async (t) => {
    const context = await run.browser.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    const external = [];
    forbidExternalRequests(page, external);
    await openApp(page, run.site.url);
    await page.getByLabel('User ID').fill('U123');
    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    await step(page, 3);
    for (const name of ['Play', 'Step', 'Publish']) {
      const button = page.getByRole('button', { name, exact: true });
      assert.ok(await inFirstViewport(page, button), `${name} is in the first viewport`);
    }
    assert.ok(await inFirstViewport(page, page.getByLabel('Speed')), 'the speed');
    assert.ok(await inFirstViewport(page, page.getByText(/^Tick \d+$/)), 'the tick');
    const lane = page.getByRole('region', { name: 'Partition 0', exact: true });
    const group = page.getByRole('region', { name: 'Consumer group OrderProcessor', exact: true });
    assert.ok(await inFirstViewport(page, lane), 'Partition 0 is in the first viewport');
    assert.ok(await inFirstViewport(page, group, true), 'OrderProcessor reaches into the first viewport');
    assert.ok(await inFirstViewport(page, group.getByRole('button', { name: 'Consumer c1', exact: true })),
      'its first member is in the first viewport');
    // The hand-published key's routing arithmetic stands beside the lanes.
    const callout = page.locator('.routing-callout');
    assert.match(await callout.textContent(), /^U123 → bytes 55 31 32 33 → murmur2 -?\d+ → \d+ mod 4 = \d → Partition \d$/);
    assert.ok(await inFirstViewport(page, callout), 'the routing arithmetic too');
    const pageHeight = await page.evaluate(() => document.documentElement.scrollHeight);
    t.diagnostic(`page height at ${width}×${height}: ${pageHeight} px`);
    await screenshot(page, `stage-${width}x${height}`);
    assert.deepEqual(external, []);
    await context.close();
  });
}

test('at 390 px wide the stage stacks vertically and opens details by touch', async () => {
  const context = await run.browser.newContext({
    viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true,
  });
  const page = await context.newPage();
  await openApp(page, run.site.url);
  await step(page, 3);
  const hand = await page.getByRole('button', { name: /^By hand/ }).boundingBox();
  const lane = await page.getByRole('region', { name: 'Partition 0', exact: true }).boundingBox();
  const lastLane = await page.getByRole('region', { name: 'Partition 3', exact: true }).boundingBox();
  const group = await page.getByRole('region', { name: 'Consumer group Analytics', exact: true }).boundingBox();
  assert.ok(hand.y + hand.height <= lane.y, 'producers above the lanes');
  assert.ok(lastLane.y + lastLane.height <= group.y, 'groups below the lanes');
  for (const box of [hand, lane, group]) assert.ok(box.x >= 0 && box.x + box.width <= 390, 'nothing overflows');
  const noHorizontalScroll = await page.evaluate(() => document.documentElement.scrollWidth <= 390);
  assert.ok(noHorizontalScroll, 'no horizontal scrolling');
  await screenshot(page, 'stage-390');
  await page.getByRole('region', { name: 'Partition 2', exact: true }).locator('.lane-head').tap();
  await page.getByRole('region', { name: 'Log of orders-2', exact: true }).waitFor();
  await context.close();
});

test('a killed member greys out, and after the session timeout its edges move to the new owners', async () => {
  const context = await run.browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const external = [];
  forbidExternalRequests(page, external);
  await openApp(page, run.site.url);
  await openDrawer(page, 'Generator');
  await page.getByRole('button', { name: 'Publish 1,000' }).click();
  await page.getByText('1000 records;').waitFor();
  await step(page, 4);

  const stage = page.getByRole('region', { name: 'Consumer group OrderProcessor', exact: true });
  const before = await edges(page, 'OrderProcessor');
  const c1Partitions = Object.keys(before).filter((p) => before[p] === 'c1');
  assert.equal(Object.keys(before).length, 4, 'one edge per partition');
  assert.ok(c1Partitions.length > 0, `c1 owns ${c1Partitions}`);
  assert.match(await stage.locator('.group-title').textContent(), /^OrderProcessor · stable · gen 1 /);

  // Click the member on the stage: its details open beside the stage, with "Kill".
  await stage.getByRole('button', { name: 'Consumer c1', exact: true }).click();
  const details = page.getByRole('region', { name: 'Details of group OrderProcessor', exact: true });
  await details.getByRole('button', { name: 'Kill consumer c1' }).click();
  const chip = stage.getByRole('button', { name: 'Consumer c1', exact: true });
  // Its description (an SVG title) gives the countdown in words; the chip shows it short.
  const countdown = (n) => chip.locator('title', { hasText: `dead, session timeout in ${n} tick${n === 1 ? '' : 's'}` })
    .waitFor({ state: 'attached' });
  await countdown(10);
  assert.match(await chip.getAttribute('class'), /\bdead\b/);
  assert.match(await stage.locator('.member-node.dead + .member-state').textContent(), /^dead/);

  // Before the timeout the edges stay on the dead member.
  await step(page, 9);
  await countdown(1);
  assert.deepEqual(await edges(page, 'OrderProcessor'), before);
  await screenshot(page, 'stage-member-dead');

  // After it, the group rebalances (eager: everything released, then handed out again in
  // generation 2) and c1's partitions end on c2.
  let ticks = 9;
  let releasedSeen = false;
  for (;;) {
    const now = await edges(page, 'OrderProcessor');
    releasedSeen ||= (await page.locator('.edge.released[data-group="OrderProcessor"]').count()) > 0;
    if (Object.keys(now).length === 4 && Object.values(now).every((m) => m === 'c2')) break;
    assert.ok(ticks < 40, `the partitions moved within 40 ticks of the kill: ${JSON.stringify(now)}`);
    await step(page, 1);
    ticks += 1;
  }
  assert.ok(ticks >= 10, `not before the session timeout (${ticks} ticks)`);
  assert.ok(releasedSeen, 'the released partitions were drawn while the group was paused');
  assert.equal(await stage.getByRole('button', { name: 'Consumer c1', exact: true }).count(), 0);
  assert.match(await stage.locator('.group-title').textContent(), /^OrderProcessor · stable · gen 2 /);
  await page.getByRole('status').filter({ hasText: 'rebalanced' }).waitFor({ state: 'attached' });
  assert.match(await page.locator('#stage-text').textContent(),
    /Consumer group OrderProcessor, stable, generation 2, lag \d+: c2, consuming, partitions 0–3/);
  await screenshot(page, 'stage-edges-moved');
  assert.deepEqual(external, []);
  await context.close();
});

test('on a replicated topic each lane names its leader; killing a broker in the Cluster drawer moves it', async () => {
  const context = await run.browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const external = [];
  forbidExternalRequests(page, external);
  await openApp(page, run.site.url);
  await loadPreset(page, 'cluster-acks-all-min-insync');
  await step(page, 2);
  const head = page.locator('.stage').getByRole('region', { name: 'Partition 1', exact: true }).locator('.lane-head');
  await head.filter({ hasText: 'leader 2 · ISR 3/3' }).waitFor();
  await openDrawer(page, 'Cluster');
  const broker2 = page.getByRole('region', { name: 'Broker 2', exact: true });
  await broker2.getByRole('button', { name: 'Kill broker 2' }).click();
  await head.filter({ hasText: 'leader 3 · ISR 2/3' }).waitFor();
  assert.match(await page.locator('#stage-text').textContent(), /Partition 1: .*leader 3 · ISR 2\/3/);
  await screenshot(page, 'stage-broker-killed');
  assert.deepEqual(await axeViolations(page), [], 'with brokers on the stage');
  assert.deepEqual(external, []);
  await context.close();
});

for (const colorScheme of ['light', 'dark']) {
  test(`axe finds no WCAG 2.1 A/AA violation in the ${colorScheme} scheme`, async () => {
    const context = await run.browser.newContext({ colorScheme, viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await openApp(page, run.site.url);
    await page.getByLabel('User ID').fill('U-axe');
    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    await step(page, 4);
    const details = await openGroup(page, 'Notifier');
    await details.getByRole('button', { name: 'Kill consumer c1' }).click();
    await step(page, 2);
    assert.deepEqual(await axeViolations(page), [], 'with a group open in the dock');
    await openDrawer(page, 'Generator');
    assert.deepEqual(await axeViolations(page), [], 'with a drawer open');
    await screenshot(page, `stage-axe-${colorScheme}`);
    await context.close();
  });
}

test('frame times while the run plays (printed, not asserted)', async (t) => {
  const context = await run.browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await openApp(page, run.site.url);
  await openDrawer(page, 'Generator');
  await page.getByLabel('Orders per tick').fill('20');
  await page.getByRole('button', { name: 'Start generator' }).click();
  await page.getByLabel('Speed').selectOption('60');
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  const frames = await page.evaluate(async () => {
    const times = [];
    let last = performance.now();
    const end = last + 3_000;
    while (performance.now() < end) {
      await new Promise((r) => requestAnimationFrame(r));
      const now = performance.now();
      times.push(now - last);
      last = now;
    }
    return times;
  });
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  const sorted = [...frames].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(1);
  t.diagnostic(`FRAMES playing at 60 ticks/s, 20 orders per tick: ${frames.length} frames in 3 s, `
    + `p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${sorted.at(-1).toFixed(1)} ms`);
  // Not a speed bound: only that the page kept painting while it played (no freeze).
  assert.ok(frames.length >= 30, `${frames.length} frames in 3 s`);
  await context.close();
});
