// Journey: the page in light and dark colour schemes (screenshots for a human check); the
// Theme control (System / Light / Dark) overriding the system's scheme, kept across a
// reload, with no axe violation on the stage or in any drawer in either theme; and
// prefers-reduced-motion switching the travel animation off. Also: a sub-path-safe page
// makes no request outside its host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useSite, openApp, screenshot, forbidExternalRequests, openDrawer, openGroup, axeViolations,
} from './harness.mjs';

const run = useSite();

async function populate(page) {
  await openDrawer(page, 'Generator');
  await page.getByRole('button', { name: 'Publish 1,000' }).click();
  await page.getByText('1000 records;').waitFor();
  const step = page.getByRole('button', { name: 'Step', exact: true });
  for (let i = 0; i < 6; i++) await step.click();
  const group = await openGroup(page, 'OrderProcessor');
  await group.getByRole('button', { name: 'Kill consumer c1' }).click();
  await page.getByLabel('User ID').fill('U-look');
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
}

for (const colorScheme of ['light', 'dark']) {
  test(`the page renders in the ${colorScheme} colour scheme`, async () => {
    const context = await run.browser.newContext({ colorScheme, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const external = [];
    forbidExternalRequests(page, external);
    await openApp(page, run.site.url);
    await populate(page);
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const dark = background === 'rgb(18, 20, 25)';
    assert.equal(dark, colorScheme === 'dark', `body background ${background}`);
    await screenshot(page, `appearance-${colorScheme}`);
    assert.deepEqual(external, []);
    await context.close();
  });
}

const DARK_BACKGROUND = 'rgb(18, 20, 25)';
const DRAWERS = ['Presets', 'Topics', 'Setup', 'Generator', 'Producers', 'Groups', 'Sagas', 'Cluster', 'Share'];

// The theme chosen through the control wins over the system's scheme (the context asks
// for the other one), stays after a reload, and System follows the system again.
for (const theme of ['Light', 'Dark']) {
  test(`the Theme control chooses ${theme} over the system's scheme; axe is clean in every drawer`, async () => {
    const system = theme === 'Dark' ? 'light' : 'dark';
    const context = await run.browser.newContext({ colorScheme: system, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const external = [];
    forbidExternalRequests(page, external);
    await openApp(page, run.site.url);
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal((await background()) === DARK_BACKGROUND, system === 'dark', 'System follows the system');
    await page.getByLabel('Theme').selectOption(theme);
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), theme.toLowerCase());
    assert.equal((await background()) === DARK_BACKGROUND, theme === 'Dark', `${theme} chosen`);
    await populate(page);
    assert.deepEqual(await axeViolations(page), [], `axe on the stage with a group open (${theme})`);
    for (const drawer of DRAWERS) {
      await openDrawer(page, drawer);
      assert.deepEqual(await axeViolations(page), [], `axe with the ${drawer} drawer open (${theme})`);
    }
    await screenshot(page, `appearance-theme-${theme.toLowerCase()}`);
    // Kept in this browser: a reload opens in the chosen theme.
    await page.reload();
    await page.getByRole('button', { name: 'Publish', exact: true }).waitFor();
    assert.equal(await page.getByLabel('Theme').inputValue(), theme.toLowerCase());
    assert.equal((await background()) === DARK_BACKGROUND, theme === 'Dark', `${theme} after a reload`);
    await page.getByLabel('Theme').selectOption('System');
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), undefined);
    assert.equal((await background()) === DARK_BACKGROUND, system === 'dark', 'System again');
    assert.deepEqual(external, []);
    await context.close();
  });
}

// Under reduced motion the stage draws no traveller at all (positions change without
// travel): the record simply appears in its lane.
test('prefers-reduced-motion turns the travel animation off', async () => {
  const context = await run.browser.newContext({ reducedMotion: 'reduce' });
  const page = await context.newPage();
  await openApp(page, run.site.url);
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  await page.locator('.lane-record').first().waitFor();
  assert.equal(await page.locator('.traveller').count(), 0);
  // The lanes' records do not slide either.
  assert.equal(await page.locator('.lane-record').first()
    .evaluate((el) => getComputedStyle(el).transitionDuration), '0s');
  await context.close();

  const moving = await run.browser.newContext({ reducedMotion: 'no-preference' });
  const page2 = await moving.newPage();
  await openApp(page2, run.site.url);
  await page2.getByRole('button', { name: 'Publish', exact: true }).click();
  const t2 = page2.locator('.traveller').first();
  await t2.waitFor({ state: 'attached' });
  assert.equal(await t2.evaluate((el) => getComputedStyle(el).animationName), 'travel');
  await moving.close();
});
