// Journey: the site works as a static site under a sub-path, offline. scripts/check.sh
// builds it with the exact command the issue names, into its own dist:
//   trunk build --release --public-url /some/path/ --dist target/dist-subpath
// Served only under /some/path/ (anything else is a 404), the page loads, publishes a record
// into the partition the engine names, and a share link made there opens under the sub-path
// in a fresh browser context. Every request stays under the sub-path; none leaves the host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useSite, openApp, screenshot, forbidExternalRequests, cli, SUBPATH_DIST, openDrawer,
} from './harness.mjs';

const BASE = '/some/path/';
const run = useSite({ basePath: BASE, dist: SUBPATH_DIST });

/** Records every request and every failed response of a page. */
function watch(page, requests, failures) {
  page.on('request', (req) => requests.push(req.url()));
  page.on('response', (res) => {
    if (res.status() >= 400) failures.push(`${res.status()} ${res.url()}`);
  });
}

test('under a sub-path: publish, then a share link made there opens there', async () => {
  const context = await run.browser.newContext();
  const page = await context.newPage();
  const external = [];
  const requests = [];
  const failures = [];
  forbidExternalRequests(page, external);
  watch(page, requests, failures);
  await openApp(page, run.site.url);

  await page.getByLabel('User ID').fill('U-subpath');
  await page.getByLabel('Order ID').fill('O-1');
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  const [{ partition }] = cli('route', '--partitioner', 'murmur2', '--partitions', '4', 'U-subpath');
  const region = page.getByRole('region', { name: `Partition ${partition}` });
  await region.getByText('U-subpath').first().waitFor();

  await openDrawer(page, 'Share');
  await page.getByRole('button', { name: 'Create share link' }).click();
  const link = await page.getByLabel('Share link').inputValue();
  assert.ok(link.startsWith(`${run.site.url}#s=`), `the link stays under the sub-path: ${link}`);
  await screenshot(page, 'subpath-published');

  const fresh = await (await run.browser.newContext()).newPage();
  forbidExternalRequests(fresh, external);
  watch(fresh, requests, failures);
  await fresh.goto(link);
  await fresh.getByRole('region', { name: `Partition ${partition}` }).getByText('U-subpath').first()
    .waitFor({ timeout: 30_000 });
  assert.equal(new URL(fresh.url()).pathname, BASE);
  await screenshot(fresh, 'subpath-share-opened');

  const origin = new URL(run.site.url).origin;
  const outside = requests.filter((u) => !u.startsWith('data:') && !u.startsWith(`${origin}${BASE}`));
  assert.deepEqual(outside, [], 'every request stays under the sub-path');
  assert.ok(requests.some((u) => u.endsWith('.wasm')), 'the wasm came from the sub-path');
  assert.deepEqual(failures, []);
  assert.deepEqual(external, []);
  await context.close();
});
