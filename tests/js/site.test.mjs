// The site in real headless Chromium against a real `semres serve`: patient David and
// clinician Lawson in two separate browsers (their own IndexedDB), each creating an identity
// in the page; the hospital's authority admits Lawson with the CLI; David seals a synthetic My
// Health Bank record with progress and grants it; Lawson's page shows every check and the
// record's tables; care record and payment; the audit trail; revocation refused; a SMeR
// altered in the data directory refused naming the hash check; the auditor verifies the
// chain and catches a tampered block in an exported file; no request body carries plaintext
// or private keys.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { startServer, launchBrowser, artifacts, waitForText, traceMainThread, busyTask, sealTo } from './browser.mjs';
import { root } from './helpers.mjs';

const semres = path.join(root, 'target/debug/semres');
const PASS_DAVID = 'david-passphrase-123';
const PASS_LAWSON = 'lawson-passphrase-456';
const CARE_NOTE = 'Synthetic follow-up: HbA1c 6.9 %, continue Metformin, review in 3 months';
const FHIR_BUNDLE = JSON.stringify({
  resourceType: 'Bundle', type: 'collection', entry: [
    { resource: { resourceType: 'Patient', name: [{ family: 'Synthetic', given: ['David'] }], gender: 'male', birthDate: '1971-02-03' } },
    { resource: { resourceType: 'Condition', code: { coding: [{ code: 'I10', display: 'Essential hypertension' }] }, clinicalStatus: { coding: [{ code: 'active' }] } } },
    { resource: { resourceType: 'MedicationStatement', status: 'active', medicationCodeableConcept: { text: 'Amlodipine 5 mg' } } },
    { resource: { resourceType: 'Observation', status: 'final', code: { text: 'Blood pressure systolic' }, valueQuantity: { value: 128, unit: 'mmHg' } } },
  ],
});

let server;
let david;
let lawson;
let work;
/** The two signed-in pages of the first test, reused by the large-record test. */
let pages = {};
const bodies = [];
const problems = [];

before(async () => {
  server = await startServer();
  david = await launchBrowser();
  lawson = await launchBrowser();
  work = mkdtempSync(path.join(process.env.TMPDIR ?? os.tmpdir(), 'semres-site-'));
});
after(async () => {
  await david?.close();
  await lawson?.close();
  server?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function open(browser, view = 'identity') {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  // API refusals (404 unregistered, 409 revoked, 500 corrupt SMeR) are expected and shown in
  // the page; a failing static file or script is not.
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`); });
  page.on('response', (r) => { if (r.status() >= 400 && !r.url().includes('/api/v1/')) problems.push(`${r.status()} ${r.url()}`); });
  await page.goto(`${server.url}#${view}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  return page;
}

function capture(browser) {
  // Every request body leaving the browser, including the worker's uploads.
  browser.context.on('request', (r) => {
    const body = r.postDataBuffer();
    if (body) bodies.push({ url: r.url(), method: r.method(), body });
  });
}

const statusOf = (page, id) => page.textContent(`#${id}`);
const waitStatus = (page, id, pattern, timeout = 60000) => waitForText(page, `#${id}`, pattern, timeout, () => `; problems: ${problems.join(' | ')}`);

async function createIdentity(page, name, role, passphrase) {
  await page.fill('#create-name', name);
  await page.selectOption('#create-role', role);
  await page.selectOption('#create-bits', '2048');
  await page.fill('#create-passphrase', passphrase);
  await page.fill('#create-passphrase2', passphrase);
  // Collect every progress text the page shows.
  await page.evaluate(() => {
    window.stages = [];
    new MutationObserver(() => window.stages.push(document.querySelector('#create-stage').textContent))
      .observe(document.querySelector('#create-stage'), { childList: true, characterData: true, subtree: true });
  });
  await page.click('#create');
}

async function checks(page) {
  return page.$$eval('#c-checks li', (lis) => Object.fromEntries(lis.map((li) => [li.dataset.check, { state: li.dataset.state, text: li.textContent }])));
}

async function shareSample(page, { sample = true, file = null, to = 'Lawson' } = {}) {
  await page.goto(`${server.url}#patient`);
  if (sample) await page.click('#p-sample');
  if (file) await page.setInputFiles('#p-file', file);
  await waitStatus(page, 'p-picked', /Chosen/);
  await sealTo(page, to);
  await waitStatus(page, 'patient-status', /Shared .* with Dr Lawson/);
  return page.textContent('#p-result-hash');
}

test('David and Lawson exchange a record through the site, verified at every step', async () => {
  capture(david);
  capture(lawson);

  // --- identities ---
  const d = await open(david);
  const csp = (await d.request.get(server.url)).headers()['content-security-policy'];
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.doesNotMatch(csp, /unsafe-inline|'unsafe-eval'/);
  await createIdentity(d, 'David', 'patient', PASS_DAVID);
  await waitStatus(d, 'identity-status', /Registered as patient in block \d+/);
  const stages = await d.evaluate(() => window.stages.join('\n'));
  assert.match(stages, /Generating your keys/);
  assert.match(stages, /Protecting them with your passphrase/);
  assert.equal(await d.getAttribute('#create-progress', 'value'), '3');
  assert.match(await d.textContent('#who'), /David — patient/);
  await d.screenshot({ path: path.join(artifacts, 'site-identity-david.png'), fullPage: true });

  const l = await open(lawson);
  await createIdentity(l, 'Dr Lawson', 'clinician', PASS_LAWSON);
  await waitStatus(l, 'identity-status', /Registration request ready/);
  const [requestDownload] = await Promise.all([l.waitForEvent('download'), l.click('#download-request')]);
  const request = path.join(work, 'request.txt');
  const admitted = path.join(work, 'admitted.txt');
  await requestDownload.saveAs(request);
  // The hospital's ledger authority admits the clinician.
  execFileSync(semres, ['admit', '--authority-key', path.join(server.dataDir, 'authority.key.pem'), request, admitted]);
  await l.setInputFiles('#admitted-file', admitted);
  await waitStatus(l, 'identity-status', /Registered as clinician/);

  // --- David seals and shares a My Health Bank record ---
  const hash = await shareSample(d);
  assert.match(hash, /^[0-9a-f]{64}$/);
  const stageStates = await d.$$eval('#p-stages li', (lis) => lis.map((li) => li.dataset.state));
  assert.deepEqual(stageStates, ['done', 'done', 'done', 'done', 'done']);
  assert.equal(await d.getAttribute('#p-progress', 'value'), '5');
  assert.match(await d.textContent('#p-result-block'), /^\d+$/);
  assert.match(await d.textContent('#p-result-inclusion'), /^verified/);
  await d.screenshot({ path: path.join(artifacts, 'site-patient-shared.png'), fullPage: true });

  // --- Lawson verifies, then decrypts ---
  await l.goto(`${server.url}#clinician`);
  await l.click('#c-refresh');
  await l.locator('#c-grants button', { hasText: 'Verify and open' }).first().click();
  await waitStatus(l, 'clinician-status', /Verified and decrypted/);
  const passed = await checks(l);
  for (const name of ['authority', 'seal', 'owner', 'inclusion', 'active', 'hash', 'decrypt']) {
    assert.equal(passed[name].state, 'pass', `${name}: ${passed[name].text}`);
  }
  assert.match(passed.owner.text, /David/);
  assert.match(passed.hash.text, /as on the ledger/);
  const cells = await l.$$eval('#c-view td', (tds) => tds.map((td) => td.textContent));
  for (const expected of ['E119', 'Type 2 diabetes mellitus without complications', 'Metformin 500 mg', 'J069', 'Acetaminophen 500 mg', 'Synthetic General Hospital']) {
    assert.ok(cells.includes(expected), `${expected} not in ${cells.join('|')}`);
  }
  await l.screenshot({ path: path.join(artifacts, 'site-clinician-verified.png'), fullPage: true });

  // --- care record, then David sees access and care, and pays ---
  await l.fill('#c-care-note', CARE_NOTE);
  await l.click('#c-care');
  await waitStatus(l, 'c-care-result', /recorded in block \d+/);

  await d.click('#p-refresh');
  await waitStatus(d, 'p-audit', /opened/);
  const audit = await d.textContent('#p-audit');
  assert.match(audit, /Dr Lawson/);
  assert.match(audit, /added a care record/);
  await d.locator('#p-audit button', { hasText: 'Open' }).first().click();
  await waitStatus(d, 'p-care-view', /HbA1c 6\.9 %/);
  await d.locator('#p-audit button', { hasText: 'Pay' }).first().click();
  await waitStatus(d, 'patient-status', /Paid 412 NHI-points/);
  await waitStatus(d, 'p-audit', /payment of 412 NHI-points/);
  await d.screenshot({ path: path.join(artifacts, 'site-patient-audit.png'), fullPage: true });

  // --- a FHIR bundle is summarized ---
  const fhirFile = path.join(work, 'bundle.json');
  writeFileSync(fhirFile, FHIR_BUNDLE);
  const fhirHash = await shareSample(d, { sample: false, file: fhirFile });
  await l.click('#c-refresh');
  await l.locator('#c-grants tr', { hasText: fhirHash.slice(0, 10) }).locator('button').click();
  await waitStatus(l, 'clinician-status', /Verified and decrypted/);
  const fhirCells = await l.$$eval('#c-view td', (tds) => tds.map((td) => td.textContent));
  for (const expected of ['David Synthetic', 'Essential hypertension (I10)', 'Amlodipine 5 mg', '128 mmHg']) {
    assert.ok(fhirCells.includes(expected), `${expected} not in ${fhirCells.join('|')}`);
  }

  // --- revoke: Lawson is refused ---
  await d.click('#p-refresh');
  const mhbRow = d.locator('#p-grants tr', { hasText: hash.slice(0, 10) });
  await mhbRow.locator('button', { hasText: 'Revoke' }).click();
  await waitStatus(d, 'patient-status', /Revoked in block/);
  await l.click('#c-refresh');
  await l.locator('#c-grants tr', { hasText: hash.slice(0, 10) }).locator('button').click();
  await waitStatus(l, 'clinician-status', /Refused/);
  const refused = await checks(l);
  assert.equal(refused.active.state, 'fail', refused.active.text);
  assert.match(refused.active.text, /GrantInactive/);
  assert.equal(refused.decrypt.state, 'skipped');
  assert.equal(await l.textContent('#c-view'), '');

  // --- a SMeR altered in the data directory is refused, naming the hash check ---
  const storedFhir = path.join(server.dataDir, 'smers', fhirHash.slice(0, 2), fhirHash);
  writeFileSync(storedFhir, readFileSync(storedFhir, 'utf8').replace('"ciphertext":"', '"ciphertext":"AAAA'));
  await l.click('#c-refresh');
  await l.locator('#c-grants tr', { hasText: fhirHash.slice(0, 10) }).locator('button').click();
  await waitStatus(l, 'clinician-status', /Refused/);
  const tampered = await checks(l);
  assert.equal(tampered.hash.state, 'fail', tampered.hash.text);
  assert.match(tampered.hash.text, /SMeR hash equals the ledger's — ✘ FAILED/);
  assert.match(await statusOf(l, 'clinician-status'), /SMeR hash equals the ledger's/);
  assert.equal(tampered.decrypt.state, 'skipped');
  await l.screenshot({ path: path.join(artifacts, 'site-clinician-tampered.png'), fullPage: true });

  // --- the auditor verifies the chain; a tampered block in an exported file is caught ---
  const a = await open(david, 'auditor');
  await a.click('#a-chain');
  await waitStatus(a, 'a-chain-result', /^valid: \d+ blocks/);
  assert.match(await a.textContent('#a-chain-result'), /Merkle root equals the signed checkpoint/);
  const downloads = [];
  a.on('download', (dl) => downloads.push(dl));
  await a.click('#a-export');
  await a.waitForFunction(() => true);
  while (downloads.length < 2) await new Promise((r) => setTimeout(r, 50));
  const chainPath = path.join(work, 'chain.bin');
  await downloads.find((x) => x.suggestedFilename().endsWith('.bin')).saveAs(chainPath);
  const chain = readFileSync(chainPath);
  // Flip one byte inside block 3.
  let at = 0;
  for (let i = 0; i < 3; i++) at += 4 + chain.readUInt32BE(at);
  const bad = Buffer.from(chain);
  bad[at + 4 + 20] ^= 0x01;
  const badPath = path.join(work, 'chain-tampered.bin');
  writeFileSync(badPath, bad);
  // Offline: verifying a chain file makes no request at all.
  const requestsDuringOffline = [];
  const countRequests = (r) => requestsDuringOffline.push(r.url());
  a.on('request', countRequests);
  await a.setInputFiles('#a-chain-file', chainPath);
  await waitStatus(a, 'auditor-status', /verifies \(offline/);
  await a.setInputFiles('#a-chain-file', badPath);
  await waitStatus(a, 'a-chain-result', /^INVALID/);
  a.off('request', countRequests);
  assert.deepEqual(requestsDuringOffline, []);
  assert.match(await a.textContent('#a-chain-result'), /block 3/);
  await a.fill('#a-index', '2');
  await a.click('#a-inclusion');
  await waitStatus(a, 'a-inc-result', /block 2 is in the signed log/);
  await a.click('#a-save');
  await waitStatus(a, 'auditor-status', /Remembered/);
  await d.click('#p-refresh'); // no new block needed: consistency of a log with itself, then after a new block
  await shareSample(d);
  await a.click('#a-consistency');
  await waitStatus(a, 'a-cons-result', /^consistent/);
  await a.screenshot({ path: path.join(artifacts, 'site-auditor.png'), fullPage: true });

  // --- a lying endpoint: it serves altered SMeR bytes; the page's own hash check refuses ---
  const latest = (await d.textContent('#p-result-hash')).trim();
  await lawson.context.route('**/api/v1/smers/*', async (route) => {
    const response = await route.fetch();
    const body = Buffer.from(await response.body());
    body[body.length - 10] ^= 0x01;
    await route.fulfill({ response, body });
  });
  await l.click('#c-refresh');
  await l.locator('#c-grants tr', { hasText: latest.slice(0, 10) }).locator('button').click();
  await waitStatus(l, 'clinician-status', /Refused/);
  const lied = await checks(l);
  assert.equal(lied.hash.state, 'fail', lied.hash.text);
  assert.match(lied.hash.text, /received .*, the ledger says .* \[code HashCheckFailed\]/);
  assert.equal(lied.decrypt.state, 'skipped');
  await lawson.context.unroute('**/api/v1/smers/*');

  // --- erase: DERy deletes the ciphertext, the grant lapses, Lawson is refused ---
  await d.goto(`${server.url}#patient`);
  await d.click('#p-refresh');
  d.once('dialog', (dialog) => dialog.accept());
  await d.locator('#p-grants tr', { hasText: latest.slice(0, 10) }).locator('button', { hasText: 'Erase record' }).click();
  await waitStatus(d, 'patient-status', /Erased in block \d+/);
  await waitStatus(d, 'p-grants', /inactive/);
  await l.click('#c-refresh');
  await l.locator('#c-grants tr', { hasText: latest.slice(0, 10) }).locator('button').click();
  await waitStatus(l, 'clinician-status', /Refused/);
  assert.equal((await checks(l)).active.state, 'fail');

  // --- a wrong passphrase is explained; the right one unlocks ---
  await d.goto(`${server.url}#identity`);
  await d.click('#lock');
  await waitStatus(d, 'identity-status', /Locked/);
  await d.fill('#signin-passphrase', 'not the passphrase');
  await d.click('#signin');
  await waitStatus(d, 'identity-status', /does not unlock this identity.*WrongPassphrase/);
  await d.fill('#signin-passphrase', PASS_DAVID);
  await d.click('#signin');
  await waitStatus(d, 'identity-status', /Unlocked/);
  const [exported] = await Promise.all([d.waitForEvent('download'), d.click('#export-identity')]);
  const identityPath = path.join(work, 'david.identity.json');
  await exported.saveAs(identityPath);
  const identityFile = readFileSync(identityPath, 'utf8');
  const header = JSON.parse(Buffer.from(JSON.parse(identityFile).protected, 'base64url').toString());
  assert.equal(header.alg, 'PBES2-HS512+A256KW');
  assert.doesNotMatch(identityFile, /PRIVATE KEY|"d":/);

  // --- a lying endpoint points at the wrong register block for Lawson: nothing is sealed ---
  const d2 = await open(david);
  await d2.fill('#signin-passphrase', PASS_DAVID);
  await d2.click('#signin');
  await waitStatus(d2, 'identity-status', /Unlocked/);
  await david.context.route('**/api/v1/participants/*', async (route) => {
    const response = await route.fetch();
    const json = await response.json();
    if (json.role === 'clinician') json.block = 1;
    await route.fulfill({ response, json });
  });
  const uploadsBefore = bodies.filter((b) => b.method === 'PUT').length;
  await d2.goto(`${server.url}#patient`);
  await d2.click('#p-sample');
  await sealTo(d2, 'Lawson');
  await waitStatus(d2, 'patient-status', /not the one registered on the ledger.*\[code BadRegistration\]/);
  assert.equal(bodies.filter((b) => b.method === 'PUT').length, uploadsBefore, 'nothing was uploaded');
  await david.context.unroute('**/api/v1/participants/*');

  // --- nothing secret ever left a browser ---
  assert.ok(bodies.some((b) => b.method === 'PUT' && b.url.includes('/smers/')), 'the SMeR uploads were captured');
  const secrets = ['Metformin', 'Type 2 diabetes', 'Amlodipine', 'HbA1c', 'Synthetic General Hospital', PASS_DAVID, PASS_LAWSON,
    'PRIVATE KEY', '"d":"', '"p":"', '"q":"', '<RSAKeyValue>', '<P>'];
  for (const { url, body } of bodies) {
    const text = body.toString('latin1');
    for (const secret of secrets) assert.ok(!text.includes(secret), `${url} carried ${secret}`);
  }
  assert.deepEqual(problems, []);
  pages = { d, l };
});

test('a 64 MiB record goes from David to Lawson with no main-thread task over 100 ms in either page', async () => {
  const { d, l } = pages;
  assert.ok(d && l, 'runs after the exchange test');
  // The CPU time of every task on each page's main thread (a trace; see traceMainThread).
  const traceD = await traceMainThread(david.context, d);
  const traceL = await traceMainThread(lawson.context, l);
  const file = path.join(work, 'scan-64mib.bin');
  const bytes = Buffer.alloc(64 << 20);
  for (let i = 0; i < bytes.length; i += 4096) bytes.writeUInt32BE(i, i);
  writeFileSync(file, bytes);
  await d.goto(`${server.url}#patient`);
  await d.setInputFiles('#p-file', file);
  await waitStatus(d, 'p-picked', /67,108,864 bytes/);
  await sealTo(d, 'Lawson');
  await waitStatus(d, 'patient-status', /Shared scan-64mib\.bin with Dr Lawson/, 240000);
  const hash = await d.textContent('#p-result-hash');

  await l.goto(`${server.url}#clinician`);
  await l.click('#c-refresh');
  await l.locator('#c-grants tr', { hasText: hash.slice(0, 10) }).locator('button').click();
  await waitStatus(l, 'clinician-status', /Verified and decrypted \(offered as a download\)/, 240000);
  assert.match(await l.textContent('#c-view'), /67,108,864 bytes/);
  const [saved] = await Promise.all([l.waitForEvent('download'), l.click('#c-view a[download]')]);
  const out = path.join(work, 'opened.bin');
  await saved.saveAs(out);
  assert.ok(readFileSync(out).equals(bytes), 'the downloaded record is the one David sealed');

  // The instrument sees a task of known work, on David's page, in the same trace.
  await busyTask(d);
  const tasksD = await traceD.stop();
  const tasksL = await traceL.stop();
  const sorted = [...tasksD].sort((a, b) => a.cpuMs - b.cpuMs);
  const busy = sorted.pop(); // the deliberate task: the longest
  assert.ok(busy.cpuMs > 100, `the trace did not see the deliberate busy task (${busy.cpuMs} ms)`);
  const sealing = sorted;
  const longest = (tasks) => Math.round(Math.max(0, ...tasks.map((t) => t.cpuMs)));
  console.log(`longest main-thread task: David ${longest(sealing)} ms CPU, Lawson ${longest(tasksL)} ms CPU`);
  for (const [who, tasks] of [['David', sealing], ['Lawson', tasksL]]) {
    const long = tasks.filter((t) => t.cpuMs > 100);
    assert.deepEqual(long, [], `${who}'s page ran main-thread tasks of over 100 ms of CPU: ${long.map((t) => `${Math.round(t.cpuMs)} ms (wall ${Math.round(t.wallMs)})`).join(', ')}`);
  }
  assert.deepEqual(problems, []);
});

/** The pids of `browser`'s Chromium renderer processes (its pages and their workers):
 *  found by the profile directory on their command lines. */
function renderersOf(browser) {
  const pids = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      // Chromium rewrites its children's command lines as one space-separated string.
      const words = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/);
      if (words.includes('--type=renderer') && words.includes(`--user-data-dir=${browser.profile}`)) pids.push(Number(pid));
    } catch { /* gone */ }
  }
  return pids;
}

/** The private resident memory (anonymous and shared-memory pages; not the mapped browser
 *  binary and libraries) of each of `browser`'s renderers, by pid. */
function privateMemory(browser) {
  const out = new Map();
  for (const pid of renderersOf(browser)) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (field) => Number(status.match(new RegExp(`${field}:\\s+(\\d+)`))[1]);
      out.set(pid, (kb('RssAnon') + kb('RssShmem')) * 1024);
    } catch { /* gone */ }
  }
  return out;
}

/** Samples the growth of `browser`'s renderers (the pages and their workers) every 200 ms:
 *  each renderer's private memory above its own at the start (all of it for a renderer
 *  started since), summed; `stop()` gives the largest growth seen, in bytes. */
function watchRenderers(browser) {
  const baseline = privateMemory(browser);
  const growth = () => {
    let sum = 0;
    for (const [pid, bytes] of privateMemory(browser)) sum += bytes - (baseline.get(pid) ?? 0);
    return sum;
  };
  let peak = 0;
  const timer = setInterval(() => { peak = Math.max(peak, growth()); }, 200);
  return { stop: () => { clearInterval(timer); peak = Math.max(peak, growth()); return { growth: peak, renderers: baseline.size }; } };
}

const LARGE_MIB = Number(process.env.SEMRES_SITE_LARGE_MIB ?? 256);

test(`a ${LARGE_MIB} MiB imaging record goes from David to Lawson streamed, in bounded memory, resumable, with no main-thread task over 50 ms`, async () => {
  const { d, l } = pages;
  assert.ok(d && l, 'runs after the exchange test');
  const size = LARGE_MIB << 20;
  const file = path.join(work, 'ct-study.bin');
  // Generated here, never committed: a counter pattern, so every chunk differs.
  const { createHash } = await import('node:crypto');
  const digest = createHash('sha256');
  {
    const { openSync, writeSync, closeSync } = await import('node:fs');
    const fd = openSync(file, 'w');
    const block = Buffer.alloc(1 << 20);
    for (let mib = 0; mib < LARGE_MIB; mib += 1) {
      for (let i = 0; i < block.length; i += 4) block.writeUInt32BE((mib << 18) + i / 4, i);
      writeSync(fd, block);
      digest.update(block);
    }
    closeSync(fd);
  }
  const expected = digest.digest('hex');

  const traceD = await traceMainThread(david.context, d);
  const memD = watchRenderers(david);
  await d.goto(`${server.url}#patient`);
  await d.setInputFiles('#p-file', file);
  await waitStatus(d, 'p-picked', new RegExp(`${size.toLocaleString('en-US')} bytes`));
  await d.evaluate(() => {
    window.meter = [];
    new MutationObserver(() => window.meter.push(document.querySelector('#p-bytes-text').textContent))
      .observe(document.querySelector('#p-bytes-text'), { childList: true, characterData: true, subtree: true });
  });
  // Cut the upload off once, at 40 %: the part in flight is dropped by the network, and the
  // worker continues from where DERy says the upload stands.
  let cut = null;
  await david.context.route('**/api/v1/smers/*/upload', async (route) => {
    const offset = Number(route.request().headers()['upload-offset'] ?? -1);
    if (route.request().method() === 'PATCH' && cut === null && offset >= 0.4 * size) {
      cut = offset;
      await route.abort('connectionreset');
      return;
    }
    await route.continue();
  });
  await sealTo(d, 'Lawson');
  await waitStatus(d, 'patient-status', /Shared ct-study\.bin with Dr Lawson/, 900000);
  await david.context.unroute('**/api/v1/smers/*/upload');
  const hash = await d.textContent('#p-result-hash');
  const sealMemory = memD.stop();
  const tasksD = await traceD.stop();
  assert.ok(cut !== null, 'the upload was cut off at 40 %');
  const meter = await d.evaluate(() => window.meter);
  assert.ok(meter.some((t) => /^Encrypting .*: [\d.]+ [KMG]B of [\d.]+ [KMG]B · [\d.]+ [KMG]B\/s/.test(t)), `no encryption progress with speed: ${meter.slice(0, 3)}`);
  assert.ok(meter.some((t) => /^Uploading .* s left/.test(t)), `no upload progress with time left: ${meter.slice(-3)}`);
  // The stored object is a streamed SMeR whose SHA-256 is the hash on the ledger.
  const stored = readFileSync(path.join(server.dataDir, 'smers', hash.slice(0, 2), hash));
  assert.equal(createHash('sha256').update(stored).digest('hex'), hash);
  assert.equal(stored.subarray(0, 5).toString(), 'SMeRS');

  // Lawson saves to a file of his choice: the picker answers with a file in the page's
  // private file system (a FileSystemFileHandle, as the real picker gives).
  await l.goto(`${server.url}#clinician`);
  await l.evaluate(() => {
    window.showSaveFilePicker = async () => (await navigator.storage.getDirectory()).getFileHandle('saved-ct-study.bin', { create: true });
  });
  const traceL = await traceMainThread(lawson.context, l);
  const memL = watchRenderers(lawson);
  await l.click('#c-refresh');
  await l.locator('#c-grants tr', { hasText: hash.slice(0, 10) }).locator('button').click();
  await l.locator('#c-save').waitFor({ state: 'visible', timeout: 600000 });
  const before = await checks(l);
  assert.equal(before.hash.state, 'pass', 'the SMeR hash was checked before anything was decrypted');
  await l.click('#c-save');
  await waitStatus(l, 'clinician-status', /Verified and decrypted/, 900000);
  const openMemory = memL.stop();
  const tasksL = await traceL.stop();
  assert.match(await l.textContent('#c-view'), new RegExp(`Saved to the file you chose \\(saved-ct-study\\.bin\\): ${size.toLocaleString('en-US')} bytes`));
  // The saved file is David's record: its SHA-256, computed in Lawson's page.
  const saved = await l.evaluate(async () => {
    const m = await import('/pkg/semres.js');
    await m.default();
    const file = await (await (await navigator.storage.getDirectory()).getFileHandle('saved-ct-study.bin')).getFile();
    const hasher = new m.SmerHasher();
    const reader = file.stream().getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      hasher.update(value);
    }
    const left = [];
    for await (const name of (await navigator.storage.getDirectory()).keys()) left.push(name);
    return { size: file.size, hash: hasher.finish(), left };
  });
  assert.equal(saved.size, size);
  assert.equal(saved.hash, expected, 'the saved record is the one David sealed');
  assert.deepEqual(saved.left, ['saved-ct-study.bin'], 'no staged SMeR is left in the private file system');

  const mib = (n) => Math.round(n / (1 << 20));
  const growth = { david: sealMemory.growth, lawson: openMemory.growth };
  const longest = (tasks) => Math.round(Math.max(0, ...tasks.map((t) => t.cpuMs)));
  console.log(`${LARGE_MIB} MiB streamed: renderers' private memory grew by at most David ${mib(growth.david)} MiB, Lawson ${mib(growth.lawson)} MiB; longest main-thread task David ${longest(tasksD)} ms, Lawson ${longest(tasksL)} ms CPU`);
  assert.ok(sealMemory.renderers > 0 && openMemory.renderers > 0, 'the renderers were found');
  for (const [who, bytes] of Object.entries(growth)) assert.ok(bytes < 200 << 20, `${who}'s pages and worker grew by ${mib(bytes)} MiB (bound 200 MiB)`);
  for (const [who, tasks] of [['David', tasksD], ['Lawson', tasksL]]) {
    const long = tasks.filter((t) => t.cpuMs > 50);
    assert.deepEqual(long, [], `${who}'s page ran main-thread tasks of over 50 ms of CPU: ${long.map((t) => `${Math.round(t.cpuMs)} ms`).join(', ')}`);
  }
  assert.deepEqual(problems, []);
});
