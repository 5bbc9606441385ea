// README's walkthrough across two hospitals, in Chromium: `npm run consortium`'s script
// (scripts/consortium.mjs --json: anvil, four hospitals' `semres serve --engine ethereum` on
// free loopback ports, demo identities David at hospital A and Lawson admitted by hospital B).
// David, signed in at A, shares the synthetic My Health Bank record with Lawson; Lawson,
// signed in at B, sees every check pass — checkpoint cosigned by k of n hospitals, the grant
// block's anchor, the owner's signature, inclusion, grant active, SMeR hash — and reads the
// tables (B pulled the SMeR from A). Care flows back to David at A, who opens it and pays.
// Hospital B then lies (through request interception): an altered SMeR, a checkpoint
// cosigned only by itself, a fork of the log cosigned by a majority — and the browser refuses
// each, naming the check. David revokes at A; B refuses Lawson.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { root } from './helpers.mjs';
import { launchBrowser, artifacts, waitForText, sealTo } from './browser.mjs';

let fixture;
let net;
let browser;
const problems = [];

before(async () => {
  fixture = spawn('node', [path.join(root, 'scripts/consortium.mjs'), '--json',
    '--dir', path.join(root, 'tmp/consortium-site'), '--semres', path.join(root, 'target/debug/semres')],
  { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  net = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the consortium did not start in 300 s')), 300_000);
    fixture.once('exit', (code) => reject(new Error(`scripts/consortium.mjs exited (${code})`)));
    createInterface({ input: fixture.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line));
    });
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (fixture && fixture.exitCode === null) {
    const exited = new Promise((resolve) => fixture.once('exit', resolve));
    fixture.stdin.end();
    const timer = setTimeout(() => fixture.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
});

const until = (page, selector, pattern, timeout = 90_000) => waitForText(page, selector, pattern, timeout, () => `; problems: ${problems.join(' | ')}`);

async function signIn(url, person) {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
  await page.setInputFiles('#import-file', person.identity);
  await page.fill('#import-passphrase', person.passphrase);
  await page.click('#import');
  await until(page, '#identity-status', new RegExp(`Imported and unlocked ${person.name} \\(${person.name === 'David' ? 'patient' : 'clinician'}\\)`));
  return page;
}

const checks = (page) => page.$$eval('#c-checks li', (lis) => Object.fromEntries(lis.map((li) => [li.dataset.check, { state: li.dataset.state, text: li.textContent }])));

async function verifyAndOpen(page, smerHash) {
  await page.click('#c-refresh');
  const row = page.locator('#c-grants tr', { hasText: smerHash.slice(0, 10) });
  await row.waitFor();
  await row.locator('button').click();
  await until(page, '#clinician-status', /Verified and decrypted|Refused/);
  return checks(page);
}

// A C2SP cosignature line (SPEC §6.2) by a member: "— name base64(keyhash ‖ time ‖ sig)",
// made here with the member's key to play a colluding majority.
function cosign(body, name, keyPem, keyHash, time) {
  const t = Buffer.alloc(8);
  t.writeBigUInt64BE(BigInt(time));
  const signature = sign(null, Buffer.from(`cosignature/v1\ntime ${time}\n${body}`), createPrivateKey(keyPem));
  return `— ${name} ${Buffer.concat([keyHash, t, signature]).toString('base64')}\n`;
}

test('David at hospital A shares with Lawson at hospital B; every check passes; B lies and is refused', async () => {
  const [david, lawson] = net.people;
  assert.equal(david.hospital, 0);
  assert.equal(lawson.hospital, 1);
  const [urlA, urlB] = net.urls;

  // --- both sign in, each at their own hospital; each browser pins the consortium ---
  const d = await signIn(urlA, david);
  await until(d, '#trust-title', /Trusted consortium of hospitals/);
  const trustA = await d.textContent('#trust-list');
  for (const h of ['a', 'b', 'c', 'd']) assert.match(trustA, new RegExp(`hospital-${h}\\.example`));
  assert.match(trustA, /a checkpoint needs 3 of these 4 hospitals/);
  assert.match(trustA, /Latest checkpoint verified here: \d+ blocks, signed by (hospital-[abcd]\.example(, )?){3,4}/);
  const l = await signIn(urlB, lawson);
  await until(l, '#trust-title', /Trusted consortium of hospitals/);

  // --- David, at A, shares the synthetic My Health Bank record with Lawson (found at B) ---
  await d.goto(`${urlA}#patient`);
  await d.click('#p-sample');
  await until(d, '#p-picked', /Chosen/);
  await sealTo(d, 'Lawson');
  await until(d, '#patient-status', /Shared myhealthbank-synthetic\.xml with Lawson/);
  assert.match(await d.textContent('#p-result-inclusion'), /^verified: block anchored on the hospitals' chain, in the log of \d+ blocks cosigned by .*\(3 needed\)/);
  const hash = (await d.textContent('#p-result-hash')).trim();
  assert.match(hash, /^[0-9a-f]{64}$/);

  // --- Lawson, at B, verifies (B pulls the SMeR from A) and reads the tables ---
  await l.goto(`${urlB}#clinician`);
  const passed = await verifyAndOpen(l, hash);
  for (const name of ['authority', 'seal', 'owner', 'inclusion', 'active', 'hash', 'decrypt']) {
    assert.equal(passed[name].state, 'pass', `${name}: ${passed[name].text}`);
  }
  assert.match(passed.authority.text, /^Checkpoint cosigned by 3 of 4 hospitals — ✔ passed: [34] of 4 hospitals \(hospital-.*\) cosigned the checkpoint of \d+ blocks; 3 needed/);
  assert.match(passed.seal.text, new RegExp(`^Grant block anchored on the hospitals' chain — ✔ passed: block \\d+ anchored on Ethereum chain ${net.chainId}, block \\d+, transaction 0x[0-9a-f]+…, log \\d+`));
  assert.match(passed.owner.text, /signed by David/);
  assert.match(passed.hash.text, /as on the ledger/);
  const cells = await l.$$eval('#c-view td', (tds) => tds.map((td) => td.textContent));
  for (const expected of ['E119', 'Metformin 500 mg', 'Synthetic General Hospital']) {
    assert.ok(cells.includes(expected), `${expected} not in ${cells.join('|')}`);
  }
  await l.screenshot({ path: path.join(artifacts, 'consortium-lawson-at-b.png'), fullPage: true });

  // --- care flows back: Lawson's note is sealed to David; David, at A, opens it and pays ---
  await l.fill('#c-care-note', 'Synthetic follow-up: HbA1c 6.9 %, continue metformin.');
  await l.click('#c-care');
  await until(l, '#c-care-result', /recorded in block \d+/);
  await d.goto(`${urlA}#patient`);
  await d.click('#p-refresh');
  await until(d, '#p-audit', /added a care record/);
  assert.match(await d.textContent('#p-audit'), /Lawson/);
  await d.locator('#p-audit button', { hasText: 'Open' }).first().click();
  await until(d, '#p-care-view', /HbA1c 6\.9 %/);
  await d.locator('#p-audit button', { hasText: 'Pay' }).first().click();
  await until(d, '#patient-status', /Paid \d+ /);
  await until(d, '#p-audit', /payment of/);
  await d.screenshot({ path: path.join(artifacts, 'consortium-david-at-a.png'), fullPage: true });

  // --- hospital B lies: altered SMeR bytes; the browser's own hash check refuses ---
  const lie = async (pattern, change) => l.context().route(pattern, async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, body: change(Buffer.from(await response.body())) });
  });
  await lie(`${urlB}api/v1/smers/*`, (body) => { body[body.length - 10] ^= 0x01; return body; });
  const altered = await verifyAndOpen(l, hash);
  assert.equal(altered.hash.state, 'fail', altered.hash.text);
  assert.match(altered.hash.text, /SMeR hash equals the ledger's — ✘ FAILED: received .*, the ledger says .* \[code HashCheckFailed\]/);
  assert.equal(altered.decrypt.state, 'skipped');
  await l.context().unroute(`${urlB}api/v1/smers/*`);

  // --- B serves a checkpoint cosigned only by itself: refused, naming the check ---
  const cosignatures = (note) => note.split('\n\n')[1].split('\n').filter(Boolean);
  await lie(`${urlB}api/v1/checkpoint`, (body) => {
    const note = body.toString();
    const own = cosignatures(note).filter((line) => line.startsWith('— hospital-b.example '));
    return Buffer.from(`${note.split('\n\n')[0]}\n\n${own.map((line) => `${line}\n`).join('')}`);
  });
  const alone = await verifyAndOpen(l, hash);
  assert.equal(alone.authority.state, 'fail', alone.authority.text);
  assert.match(alone.authority.text, /^Checkpoint cosigned by 3 of 4 hospitals — ✘ FAILED: .*\[code BadCheckpoint\]/);
  assert.match(await l.textContent('#clinician-status'), /Refused: the record was not decrypted/);
  assert.equal(alone.decrypt.state, 'skipped');
  await l.context().unroute(`${urlB}api/v1/checkpoint`);

  // --- a fork: a checkpoint of the same size with another root, cosigned by a majority
  //     (three members' keys, as colluding hospitals would): the warning, in words ---
  const real = (await (await fetch(`${urlB}api/v1/checkpoint`)).text());
  const [body] = real.split('\n\n');
  const lines = body.split('\n');
  const root = Buffer.from(lines[2], 'base64');
  root[0] ^= 1;
  const forgedBody = `${lines[0]}\n${lines[1]}\n${root.toString('base64')}\n`;
  const keyHashes = new Map(cosignatures(real).map((line) => {
    const [, name, blob] = line.match(/^— (\S+) (\S+)$/);
    return [name, Buffer.from(blob, 'base64').subarray(0, 4)];
  }));
  // Three of the members whose cosignatures the real checkpoint carries (it needs 3 of 4;
  // which three cosigned first varies from run to run).
  const colluding = [...keyHashes.keys()].sort().slice(0, 3);
  assert.equal(colluding.length, 3, `the real checkpoint carries ${colluding.length} cosignatures`);
  const forged = `${forgedBody}\n${colluding.map((name) => cosign(forgedBody, name,
    readFileSync(path.join(net.dir, name.replace(/\.example$/, ''), 'member.key.pem')), keyHashes.get(name), Math.floor(Date.now() / 1000))).join('')}`;
  await l.context().route(`${urlB}api/v1/checkpoint`, (route) => route.fulfill({ status: 200, contentType: 'text/plain; charset=utf-8', body: forged }));
  const fork = await verifyAndOpen(l, hash);
  assert.equal(fork.authority.state, 'fail', fork.authority.text);
  assert.match(fork.authority.text, /contradicts the one this browser saw before.*\[code ConflictingCheckpoint\]/);
  await l.goto(`${urlB}#auditor`);
  await l.click('#a-cp-load');
  await until(l, '#auditor-status', /^Warning: this hospital now shows a ledger that contradicts the one this browser saw before/);
  await l.context().unroute(`${urlB}api/v1/checkpoint`);

  // --- David revokes at A; B refuses Lawson ---
  await d.goto(`${urlA}#patient`);
  await d.click('#p-refresh');
  await d.locator('#p-grants tr', { hasText: hash.slice(0, 10) }).locator('button', { hasText: 'Revoke' }).click();
  await until(d, '#patient-status', /Revoked in block/);
  await l.goto(`${urlB}#clinician`);
  const revoked = await verifyAndOpen(l, hash);
  assert.equal(revoked.active.state, 'fail', revoked.active.text);
  assert.match(revoked.active.text, /GrantInactive/);
  assert.equal(revoked.decrypt.state, 'skipped');
  assert.deepEqual(problems, []);
});
