// Re-pinning the ledger's authorities in the browser: the pinned set is shown beside what the
// endpoint now says, added and removed keys marked, and nothing changes without the user's
// confirmation. The endpoint is replaced on the same origin by one with another authority.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, waitForText } from './browser.mjs';

let server;
let browser;
after(async () => {
  await browser?.close();
  server?.stop();
});

async function authorityIds(url) {
  const { authorities } = await (await fetch(`${url}api/v1/authorities`)).json();
  return authorities.map((a) => a.keyId);
}

const listText = (page, id) => page.$$eval(`#${id} li`, (lis) => lis.map((li) => `${li.className}|${li.textContent}`));

test('re-pinning shows the pinned and the new authorities and needs confirmation', async () => {
  server = await startServer();
  const [first] = await authorityIds(server.url);
  browser = await launchBrowser();
  const page = await browser.context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${server.url}#identity`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });

  // Nothing pinned yet: the endpoint's set is shown, pinned only on confirmation.
  await page.click('#repin');
  await page.waitForSelector('#repin-review:not([hidden])');
  assert.match((await listText(page, 'repin-old')).join(), /nothing pinned/);
  assert.ok((await listText(page, 'repin-new')).some((t) => t.startsWith('mono added|') && t.includes(first)));
  await page.click('#repin-confirm');
  await waitForText(page, '#identity-status', /Pinned the new authorities/);
  assert.ok((await page.textContent('#trust-list')).includes(first));

  // Asking again with nothing changed changes nothing.
  await page.click('#repin');
  await waitForText(page, '#identity-status', /nothing changed/);
  assert.equal(await page.isHidden('#repin-review'), true);

  // The endpoint on this origin now runs with another authority.
  const origin = new URL(server.url);
  await server.stopped();
  server = await startServer({ listen: `${origin.hostname}:${origin.port}` });
  const [second] = await authorityIds(server.url);
  assert.notEqual(first, second);

  // Its checkpoint is refused against the pinned set.
  await page.goto(`${server.url}#auditor`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  await page.click('#a-cp-load');
  await waitForText(page, '#auditor-status', /checkpoint|authorit/i);
  assert.doesNotMatch(await page.textContent('#a-cp-ok'), /^yes/);

  // Re-pinning shows old against new; keeping the pinned set stores nothing.
  await page.goto(`${server.url}#identity`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  await page.click('#repin');
  await page.waitForSelector('#repin-review:not([hidden])');
  assert.deepEqual(
    (await listText(page, 'repin-old')).filter((t) => t.startsWith('mono')),
    [`mono removed|− ${first}`],
  );
  assert.deepEqual(
    (await listText(page, 'repin-new')).filter((t) => t.startsWith('mono')),
    [`mono added|+ ${second}`],
  );
  assert.match(await page.textContent('#repin-warning'), /No pinned authority is in the new set/);
  await page.click('#repin-cancel');
  await waitForText(page, '#identity-status', /Kept the pinned authorities/);
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  assert.ok((await page.textContent('#trust-list')).includes(first));
  assert.ok(!(await page.textContent('#trust-list')).includes(second));

  // Confirmed: the new set is pinned and the endpoint's checkpoint verifies again.
  await page.click('#repin');
  await page.waitForSelector('#repin-review:not([hidden])');
  await page.click('#repin-confirm');
  await waitForText(page, '#identity-status', /Pinned the new authorities/);
  assert.ok((await page.textContent('#trust-list')).includes(second));
  await page.goto(`${server.url}#auditor`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  await page.click('#a-cp-load');
  await waitForText(page, '#a-cp-ok', /^yes, by a pinned authority/);
  assert.deepEqual(problems, []);
});
