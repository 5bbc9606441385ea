// The sample page in real headless Chromium: generate keys, seal a synthetic record, open
// it, and see a one-bit change refused — with the CSP in force and nothing sent out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { writeFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { startServer, launchBrowser, artifacts, traceMainThread, busyTask } from './browser.mjs';

let server;
let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.stop(); });

test('the page seals and opens a record in the browser, and refuses a tampered SMeR', async () => {
  const page = await browser.context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  const posted = [];
  page.on('request', (r) => { if (r.method() !== 'GET') posted.push(`${r.method()} ${r.url()}`); });

  const response = await page.goto(`${server.url}sample.html`);
  const csp = response.headers()['content-security-policy'];
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.doesNotMatch(csp, /unsafe-inline|'unsafe-eval'/);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });

  await page.selectOption('#bits', '2048');
  await page.click('#generate');
  await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('Keys ready'), null, { timeout: 30000 });
  const patientKid = await page.textContent('#patient-kid');
  assert.match(patientKid, /^[A-Za-z0-9_-]{43}$/);

  for (const enc of ['A256CBC-HS512', 'A128CBC-HS256']) {
    await page.selectOption('#enc', enc);
    await page.click('#seal');
    await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('Sealed'));
    assert.match(await page.textContent('#smer-hash'), /^[0-9a-f]{64}$/);

    await page.click('#open');
    await page.waitForFunction(() => document.querySelector('#status').textContent === 'Opened and verified.');
    const opened = await page.textContent('#opened');
    const original = await page.inputValue('#record');
    assert.equal(opened, original);
    // The My Health Bank record is rendered as tables (paper Fig. 15).
    const tables = await page.$$eval('#opened-view table caption', (cs) => cs.map((c) => c.textContent));
    assert.ok(tables.includes('Western-medicine visits'), tables.join());
    const cells = await page.$$eval('#opened-view td', (tds) => tds.map((td) => td.textContent));
    assert.ok(cells.includes('Metformin 500 mg') && cells.includes('E119'), cells.join('|'));
    assert.match(await page.textContent('#opened-meta'), new RegExp(`${enc}.*Identical to what the patient sealed`));
  }
  await page.screenshot({ path: path.join(artifacts, 'page-opened.png'), fullPage: true });

  await page.click('#tamper');
  await page.waitForFunction(() => document.querySelector('#status').className === 'error');
  assert.match(await page.textContent('#status'), /code DecryptionFailed/);
  assert.equal(await page.textContent('#opened'), '');
  await page.screenshot({ path: path.join(artifacts, 'page-tampered.png'), fullPage: true });

  assert.deepEqual(problems, []);
  assert.deepEqual(posted, [], 'the page sends nothing: sealing and opening are local');
  await page.close();
});

test('markup inside a record is shown as text, never executed or rendered', async () => {
  const page = await browser.context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${server.url}sample.html`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.selectOption('#bits', '2048');
  await page.click('#generate');
  await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('Keys ready'), null, { timeout: 30000 });
  const hostile = '<myhealthbank><r1><r1.9>&lt;img src=x onerror="window.pwned=1"&gt;</r1.9><r1.4><![CDATA[x]]></r1.4></r1></myhealthbank>';
  await page.fill('#record', hostile);
  await page.click('#seal');
  await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('Sealed'));
  await page.click('#open');
  await page.waitForFunction(() => document.querySelector('#status').textContent === 'Opened and verified.');
  const cells = await page.$$eval('#opened-view td', (tds) => tds.map((td) => td.textContent));
  assert.ok(cells.includes('<img src=x onerror="window.pwned=1">'), cells.join('|'));
  assert.equal(await page.$$eval('#opened-view img', (imgs) => imgs.length), 0);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a file picked from disk is sealed with its name and type, and opens', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${server.url}sample.html`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.selectOption('#bits', '2048');
  await page.click('#generate');
  await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('Keys ready'), null, { timeout: 30000 });
  await page.setInputFiles('#file', { name: 'scan.png', mimeType: 'image/png', buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]) });
  await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('Picked scan.png'));
  await page.click('#seal');
  await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('Sealed'));
  await page.click('#open');
  await page.waitForFunction(() => document.querySelector('#status').textContent === 'Opened and verified.');
  assert.match(await page.textContent('#opened-meta'), /7 bytes, image\/png/);
  assert.equal(await page.textContent('#opened'), '(record of 7 bytes)');
  await page.close();
});

test('a 64 MiB record seals and opens with no main-thread task over 100 ms', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${server.url}sample.html`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.selectOption('#bits', '2048');
  await page.click('#generate');
  await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('Keys ready'), null, { timeout: 60000 });
  const file = path.join(process.env.TMPDIR ?? '/tmp', 'semres-64mib.bin');
  writeFileSync(file, randomBytes(64 << 20));
  try {
    await page.setInputFiles('#file', file);
    await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('Picked'), null, { timeout: 60000 });
    const trace = await traceMainThread(browser.context, page);
    await page.click('#seal');
    await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('Sealed'), null, { timeout: 120000 });
    await page.click('#open');
    await page.waitForFunction(() => document.querySelector('#status').textContent === 'Opened and verified.', null, { timeout: 120000 });
    assert.match(await page.textContent('#opened-meta'), /67108864 bytes.*Identical to what the patient sealed/);
    // The instrument sees a task of known work in the same trace (the longest).
    await busyTask(page);
    const tasks = (await trace.stop()).sort((a, b) => a.cpuMs - b.cpuMs);
    const busy = tasks.pop();
    assert.ok(busy.cpuMs > 100, `the trace did not see the deliberate busy task (${busy.cpuMs} ms)`);
    const long = tasks.filter((t) => t.cpuMs > 100);
    assert.deepEqual(long, [], `main-thread tasks of over 100 ms of CPU: ${long.map((t) => `${Math.round(t.cpuMs)} ms (wall ${Math.round(t.wallMs)})`).join(', ')}`);
  } finally {
    rmSync(file, { force: true });
    await page.close();
  }
});
