// README's walkthrough, as a newcomer does it after `npm start`: one browser, two tabs; David
// and Lawson import the demo identity files; David shares the synthetic record; Lawson
// verifies and reads it; the seeded record (sealed by the CLI) opens too; a wrong passphrase
// is explained.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, launchBrowser, artifacts, waitForText, sealTo } from './browser.mjs';

let server;
let browser;
before(async () => { server = await startServer({ demo: true }); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.stop(); });

async function tab() {
  const page = await browser.context.newPage();
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  return page;
}

const until = waitForText;

async function importIdentity(page, who, passphrase) {
  await page.setInputFiles('#import-file', path.join(server.dataDir, 'demo', `${who}.identity.json`));
  await page.fill('#import-passphrase', passphrase);
  await page.click('#import');
}

test('the README walkthrough: demo identities in two tabs, share, verify, read', async () => {
  const david = await tab();
  await importIdentity(david, 'david', 'not-the-passphrase');
  await until(david, '#identity-status', /does not unlock this identity.*\[code WrongPassphrase\]/);
  await importIdentity(david, 'david', 'david-demo-passphrase');
  await until(david, '#identity-status', /Imported and unlocked David \(patient\)/);

  const lawson = await tab();
  await importIdentity(lawson, 'lawson', 'lawson-demo-passphrase');
  await until(lawson, '#identity-status', /Imported and unlocked Lawson \(clinician\)/);
  // Both identities are now stored (encrypted) in this browser, each tab unlocked its own.
  assert.equal(await lawson.locator('#signin-identity option').count(), 2);

  // The seeded record opens after every check.
  await lawson.click('nav a[data-view="clinician"]');
  await lawson.click('#c-refresh');
  await lawson.locator('#c-grants button', { hasText: 'Verify and open' }).first().click();
  await until(lawson, '#clinician-status', /Verified and decrypted/);
  assert.equal(await lawson.locator('#c-checks li[data-state="pass"]').count(), 7);

  await david.click('nav a[data-view="patient"]');
  await david.click('#p-sample');
  await sealTo(david, 'Lawson');
  await until(david, '#patient-status', /Shared myhealthbank-synthetic\.xml with Lawson/);

  await lawson.click('#c-refresh');
  await lawson.locator('#c-grants tbody tr').first().locator('button').click();
  await until(lawson, '#clinician-status', /Verified and decrypted/);
  const cells = await lawson.$$eval('#c-view td', (tds) => tds.map((td) => td.textContent));
  assert.ok(cells.includes('Metformin 500 mg'), cells.join('|'));
  await lawson.screenshot({ path: path.join(artifacts, 'walkthrough-lawson.png'), fullPage: true });

  // Keyboard and screen readers: every control has a label or an accessible name.
  const unlabeled = await david.$$eval('input, select, textarea, button', (nodes) => nodes
    .filter((n) => !(n.labels?.length || n.getAttribute('aria-label') || (n.tagName === 'BUTTON' && n.textContent.trim())))
    .map((n) => n.id || n.outerHTML.slice(0, 60)));
  assert.deepEqual(unlabeled, []);
  const ids = await david.$$eval('[id]', (nodes) => nodes.map((n) => n.id));
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  // The pages are reachable by keyboard: from the top, Tab reaches the skip link, then the
  // navigation; Enter on a page link shows that page.
  await david.reload();
  await david.waitForSelector('body[data-ready="true"]');
  await david.keyboard.press('Tab');
  assert.equal(await david.evaluate(() => document.activeElement.textContent), 'Skip to content');
  await david.keyboard.press('Tab');
  assert.equal(await david.evaluate(() => document.activeElement.textContent), 'Identity');
  await david.keyboard.press('Tab');
  await david.keyboard.press('Enter');
  await until(david, 'title', /Patient/);
  assert.equal(await david.isVisible('#view-patient'), true);
});

test('an unlocked identity locks itself after 15 minutes without activity', async () => {
  const page = await browser.context.newPage();
  await page.clock.install();
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  await importIdentity(page, 'david', 'david-demo-passphrase');
  await until(page, '#identity-status', /Imported and unlocked David/);
  await page.clock.fastForward('14:00');
  assert.match(await page.textContent('#who'), /Signed in as David/);
  await page.click('#me-name'); // activity restarts the 15 minutes
  await page.clock.fastForward('14:00');
  assert.match(await page.textContent('#who'), /Signed in as David/);
  await page.clock.fastForward('01:30');
  await until(page, '#identity-status', /Locked after 15 minutes without activity/);
  assert.equal(await page.textContent('#who'), 'Not signed in.');
  await page.close();
});
