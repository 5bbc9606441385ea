// The site in Debian's Firefox ESR (headless, WebDriver BiDi): the same module worker, WASM,
// IndexedDB and endpoint code paths as in Chromium — create an identity, share the synthetic
// record with the demo clinician, lock and unlock, open it as Lawson after every check, and
// verify the chain as an auditor.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startServer } from './browser.mjs';
import { launchFirefox, FIREFOX } from './firefox.mjs';

const available = existsSync(FIREFOX);
let server;
let firefox;
before(async () => {
  if (!available) return;
  server = await startServer({ demo: true });
  firefox = await launchFirefox();
});
after(async () => { await firefox?.close(); server?.stop(); });

const fill = (id, value) => `document.getElementById(${JSON.stringify(id)}).value = ${JSON.stringify(value)}`;
const click = (id) => `document.getElementById(${JSON.stringify(id)}).click()`;
const text = (id) => `document.getElementById(${JSON.stringify(id)}).textContent`;

test('Firefox: identity, share, unlock, verify and open, audit', { skip: !available && `${FIREFOX} is not installed` }, async () => {
  const ff = firefox;
  await ff.goto(server.url);
  await ff.until('document.body.dataset.ready === "true"', 30000);

  // Create a patient identity in the worker; it registers and verifies its block.
  await ff.run(`${fill('create-name', 'Firefox Patient')}; ${fill('create-passphrase', 'firefox-passphrase')}; ${fill('create-passphrase2', 'firefox-passphrase')};
    document.getElementById('create-bits').value = '2048'; document.getElementById('create-form').requestSubmit();`);
  await ff.until(`/Registered as patient in block \\d+/.test(${text('identity-status')})`, 120000, 'registration');

  // Share the synthetic record with the demo clinician Lawson.
  await ff.run(`location.hash = '#patient'; ${click('p-sample')}; ${fill('p-search', 'Lawson')}; document.getElementById('p-search-form').requestSubmit();`);
  await ff.until('document.querySelector("#p-results input[type=checkbox]")', 30000, 'directory results');
  await ff.run(`document.querySelector('#p-results input[type=checkbox]').click(); ${click('p-seal')};`);
  await ff.until(`/Shared myhealthbank-synthetic\\.xml with Lawson/.test(${text('patient-status')})`, 120000, 'sharing');
  const stages = await ff.run('return [...document.querySelectorAll("#p-stages li")].map((li) => li.dataset.state);');
  assert.deepEqual(stages, ['done', 'done', 'done', 'done', 'done']);

  // Lock, then unlock from IndexedDB with the passphrase (a wrong one is explained).
  await ff.run(`location.hash = '#identity'; ${click('lock')};`);
  await ff.until(`/Locked/.test(${text('identity-status')})`);
  await ff.run(`${fill('signin-passphrase', 'wrong passphrase')}; document.getElementById('signin-form').requestSubmit();`);
  await ff.until(`/WrongPassphrase/.test(${text('identity-status')})`);
  await ff.run(`${fill('signin-passphrase', 'firefox-passphrase')}; document.getElementById('signin-form').requestSubmit();`);
  await ff.until(`/Unlocked/.test(${text('identity-status')})`);

  // Lawson: import the demo identity file, verify and open the record.
  await ff.setFiles('#import-file', [path.join(server.dataDir, 'demo', 'lawson.identity.json')]);
  await ff.run(`${fill('import-passphrase', 'lawson-demo-passphrase')}; document.getElementById('import-form').requestSubmit();`);
  await ff.until(`/Imported and unlocked Lawson/.test(${text('identity-status')})`, 60000, 'import');
  await ff.run(`location.hash = '#clinician'; ${click('c-refresh')};`);
  await ff.until('document.querySelector("#c-grants tbody button")', 30000, 'shared list');
  await ff.run('document.querySelector("#c-grants tbody button").click();');
  await ff.until(`/Verified and decrypted/.test(${text('clinician-status')})`, 120000, 'verification');
  const checks = await ff.run('return [...document.querySelectorAll("#c-checks li")].map((li) => li.dataset.state);');
  assert.deepEqual(checks, ['pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'pass']);
  const cells = await ff.run('return [...document.querySelectorAll("#c-view td")].map((td) => td.textContent);');
  assert.ok(cells.includes('Metformin 500 mg') && cells.includes('E119'), cells.join('|'));

  // Auditor: the whole chain, replayed in WASM.
  await ff.run(`location.hash = '#auditor'; ${click('a-chain')};`);
  await ff.until(`/^valid: \\d+ blocks/.test(${text('a-chain-result')})`, 60000, 'chain verification');
  assert.deepEqual(ff.errors, [], `Firefox ${ff.version} logged errors`);
  console.log(`Firefox ${ff.version}: ${cells.length} cells, ${await ff.run(`return ${text('a-chain-result')};`)}`);
});
