// The browser's fallback (issue 15): a worker without `crypto.subtle` seals, hashes and opens
// with the core alone — the same site, the same checks. The test serves www/worker.js with
// `crypto.subtle` hidden from the worker (a getter that returns undefined, prepended to the
// module's body), so WebCrypto cannot be reached there and every record that opens went
// through the WASM core's AES-CBC, HMAC and RSA-OAEP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, launchBrowser, waitForText, sealTo } from './browser.mjs';

const NO_SUBTLE = "Object.defineProperty(Crypto.prototype, 'subtle', { get: () => undefined, configurable: true });\n";

let server;
let browser;
let served = 0;
before(async () => {
  server = await startServer({ demo: true });
  browser = await launchBrowser();
  await browser.context.route('**/worker.js', async (route) => {
    const response = await route.fetch();
    served += 1;
    await route.fulfill({ response, body: NO_SUBTLE + await response.text() });
  });
});
after(async () => { await browser?.close(); server?.stop(); });

async function signedIn(who, passphrase) {
  const page = await browser.context.newPage();
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  await page.setInputFiles('#import-file', path.join(server.dataDir, 'demo', `${who}.identity.json`));
  await page.fill('#import-passphrase', passphrase);
  await page.click('#import');
  return page;
}

test('without crypto.subtle in the worker the site shares and opens records with the core alone', async () => {
  const david = await signedIn('david', 'david-demo-passphrase');
  await waitForText(david, '#identity-status', /Imported and unlocked David \(patient\)/);
  const lawson = await signedIn('lawson', 'lawson-demo-passphrase');
  await waitForText(lawson, '#identity-status', /Imported and unlocked Lawson \(clinician\)/);
  assert.ok(served >= 2, 'each page ran the worker without crypto.subtle');
  // The page itself still has WebCrypto; only the worker's was hidden.
  assert.equal(await david.evaluate(() => typeof crypto.subtle), 'object');

  // The seeded record (sealed by the CLI) opens after every check.
  await lawson.click('nav a[data-view="clinician"]');
  await lawson.click('#c-refresh');
  await lawson.locator('#c-grants button', { hasText: 'Verify and open' }).first().click();
  await waitForText(lawson, '#clinician-status', /Verified and decrypted/);
  assert.equal(await lawson.locator('#c-checks li[data-state="pass"]').count(), 7);

  // David seals the synthetic record (content key, AES-CBC, HMAC, RSA-OAEP wrap and SMeR
  // hash in WASM); Lawson opens it.
  await david.click('nav a[data-view="patient"]');
  await david.click('#p-sample');
  await sealTo(david, 'Lawson');
  await waitForText(david, '#patient-status', /Shared myhealthbank-synthetic\.xml with Lawson/);
  await lawson.click('#c-refresh');
  await lawson.locator('#c-grants tbody tr').first().locator('button').click();
  await waitForText(lawson, '#clinician-status', /Verified and decrypted/);
  assert.equal(await lawson.locator('#c-checks li[data-state="pass"]').count(), 7);
  const cells = await lawson.$$eval('#c-view td', (tds) => tds.map((td) => td.textContent));
  assert.ok(cells.includes('Metformin 500 mg'), cells.join('|'));
});
