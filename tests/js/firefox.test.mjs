// The site in Debian's Firefox ESR (headless, WebDriver BiDi): the same module worker, WASM,
// IndexedDB and endpoint code paths as in Chromium — create an identity, share the synthetic
// record and a scan as a streamed SMeR with the demo clinician, lock and unlock, open both as
// Lawson after every check (the scan through OPFS to a download), and verify the chain as an
// auditor.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
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
  const mhbSmer = await ff.run(`return ${text('p-result-hash')};`);

  // A scan as a streamed SMeR (SPEC §7): Firefox has OPFS but no file picker, so Lawson
  // will get it as a download of a private file, decrypted record by record.
  const scan = path.join(server.dataDir, 'ff-scan.bin');
  const scanBytes = Buffer.alloc(3 * 65536 + 12345);
  for (let i = 0; i + 4 <= scanBytes.length; i += 4) scanBytes.writeUInt32LE((i * 2654435761) >>> 0, i);
  writeFileSync(scan, scanBytes);
  const scanHash = createHash('sha256').update(scanBytes).digest('hex');
  await ff.run(`document.getElementById('p-profile').value = 'stream';`);
  await ff.setFiles('#p-file', [scan]);
  await ff.until(`/${scanBytes.length.toLocaleString('en-US')} bytes/.test(${text('p-picked')})`, 30000, 'the scan picked');
  await ff.run(`${fill('p-search', 'Lawson')}; document.getElementById('p-search-form').requestSubmit();`);
  await ff.until('document.querySelector("#p-results input[type=checkbox]")', 30000, 'directory results');
  await ff.run(`const box = document.querySelector('#p-results input[type=checkbox]'); if (!box.checked) box.click(); ${click('p-seal')};`);
  await ff.until(`/Shared ff-scan\\.bin with Lawson/.test(${text('patient-status')})`, 120000, 'sharing the scan');
  const scanSmer = await ff.run(`return ${text('p-result-hash')};`);

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
  const openRow = (hash) => `[...document.querySelectorAll('#c-grants tbody tr')].find((tr) => tr.textContent.includes(${JSON.stringify(hash.slice(0, 10))})).querySelector('button').click();`;
  await ff.run(openRow(mhbSmer));
  await ff.until(`/Verified and decrypted/.test(${text('clinician-status')})`, 120000, 'verification');
  const checks = await ff.run('return [...document.querySelectorAll("#c-checks li")].map((li) => li.dataset.state);');
  assert.deepEqual(checks, ['pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'pass']);
  const cells = await ff.run('return [...document.querySelectorAll("#c-view td")].map((td) => td.textContent);');
  assert.ok(cells.includes('Metformin 500 mg') && cells.includes('E119'), cells.join('|'));

  // The scan: every check, then a download link to the decrypted file, equal to the original.
  await ff.run(openRow(scanSmer));
  await ff.until(`/Verified and decrypted/.test(${text('clinician-status')}) && document.querySelector('#c-view a[download]')`, 120000, 'the scan verified');
  const scanChecks = await ff.run('return [...document.querySelectorAll("#c-checks li")].map((li) => li.dataset.state);');
  assert.deepEqual(scanChecks, ['pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'pass']);
  // The link's file is the decrypted private file (the site's CSP keeps fetch() off blob:
  // URLs, so it is read from the origin-private file system here).
  const downloaded = await ff.run(`const names = [];
    for await (const [name] of (await navigator.storage.getDirectory()).entries()) names.push(name);
    const opened = names.filter((n) => n.startsWith('opened-'));
    if (opened.length !== 1 || names.some((n) => n.endsWith('.smers'))) return names.join(',');
    const file = await (await (await navigator.storage.getDirectory()).getFileHandle(opened[0])).getFile();
    return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer())), (b) => b.toString(16).padStart(2, '0')).join('');`);
  assert.equal(downloaded, scanHash, 'the downloaded scan is the original');

  // Auditor: the whole chain, replayed in WASM.
  await ff.run(`location.hash = '#auditor'; ${click('a-chain')};`);
  await ff.until(`/^valid: \\d+ blocks/.test(${text('a-chain-result')})`, 60000, 'chain verification');
  assert.deepEqual(ff.errors, [], `Firefox ${ff.version} logged errors`);
  console.log(`Firefox ${ff.version}: ${cells.length} cells, ${await ff.run(`return ${text('a-chain-result')};`)}`);
});
