// npm run bench: a report, not a test. Serves the WASM package, jose and openpgp.js on
// 127.0.0.1, runs tests/bench/bench.js in Debian's headless Chromium, and prints a markdown
// table of medians with the ratio of each peer to SEMRES (tests/bench/report.mjs renders it and
// checks issue 15's targets); writes target/bench/bench.{md,json}.
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { root } from '../js/helpers.mjs';
import { launchBrowser } from '../js/browser.mjs';
import { startBenchServer } from './serve.mjs';
import { runMemoryBench } from './memory.mjs';
import { renderReport } from './report.mjs';

const quick = process.argv.includes('--quick');
const config = {
  sizes: quick ? [1024, 1 << 20] : [1024, 1 << 20, 64 << 20],
  smallRuns: quick ? 3 : 15,
  midRuns: quick ? 3 : 7,
  bigRuns: 3,
  keygenRuns: quick ? 2 : 9,
};

const server = await startBenchServer();
const { base } = server;

// Ledger data and native figures.
const ledgerBlocks = quick ? 10_000 : 100_000;
execFileSync('cargo', ['build', '--release', '-q', '-p', 'xtask', '-p', 'semres-cli'], { cwd: root, stdio: 'inherit' });
const endpoint = JSON.parse(execFileSync(path.join(root, 'target/release/xtask'), ['bench-endpoint', quick ? '2' : '5'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] }).toString());
const native = JSON.parse(execFileSync(path.join(root, 'target/release/xtask'), ['bench-ledger', String(ledgerBlocks)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] }).toString());
const consortium = JSON.parse(execFileSync(path.join(root, 'target/release/xtask'), ['bench-consortium', quick ? '1' : '3', String(ledgerBlocks)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] }).toString());

// An RSA-3072 key for every implementation, and an OpenPGP RSA-3072 key.
const pkcs8Pem = execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
const { privateKey: openpgpKey } = await openpgp.generateKey({ type: 'rsa', rsaBits: 3072, userIDs: [{ name: 'bench' }] });


const browser = await launchBrowser();
let rows;
let ledgerRows;
try {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${base}/bench/bench.html`);
  await page.waitForFunction(() => document.getElementById('status').textContent === 'ready');
  page.setDefaultTimeout(30 * 60 * 1000);
  rows = await page.evaluate((c) => window.runBench(c), { ...config, pkcs8Pem, openpgpKey });
  ledgerRows = await page.evaluate((c) => window.runLedgerBench(c), { blocks: ledgerBlocks, structuralRuns: 3, fullRuns: quick ? 1 : 2, inclusionIndex: native.inclusion_index });
} finally {
  await browser.close();
}
// Peak memory and the page's longest task, one large record per implementation in a worker.
let memoryRows;
// Records of any size (issue 16): the streamed SMeR disk to disk, beside the peers where they
// can hold the size at all.
const largeSizes = quick ? [16] : [64, 256, 1024];
const largeRows = [];
try {
  memoryRows = await runMemoryBench(base, { pkcs8Pem, openpgpKey, size: quick ? 16 << 20 : 64 << 20 });
  for (const mib of largeSizes) {
    largeRows.push(...await runMemoryBench(base, { pkcs8Pem, openpgpKey, size: mib << 20, impls: ['site (streamed)', 'site (streamed; WebCrypto records)', 'jose', 'openpgp.js'] }));
  }
} finally {
  server.close();
}
const dery = JSON.parse(execFileSync(path.join(root, 'target/release/xtask'), ['bench-large', largeSizes.join(',')], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] }).toString());
// Each crate's share of the module (cargo's output still has the function names).
const wasmShares = execFileSync('node', [path.join(root, 'scripts/wasm-size.mjs')], { cwd: root }).toString();
const chromium = execFileSync('/usr/bin/chromium', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`;
const wasm = readFileSync(path.join(root, 'pkg/semres_bg.wasm'));
const gzip = gzipSync(wasm, { level: 9 }).length;
const json = { date: new Date().toISOString(), machine, chromium, config, wasm_bytes: wasm.length, wasm_gzip_bytes: gzip, wasm_shares: wasmShares, rows, memory: memoryRows, large: { browser: largeRows, dery }, ledger: { native, browser: ledgerRows }, endpoint, consortium };
const markdown = renderReport(json);
console.log(markdown);
const out = path.join(root, 'target/bench');
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, 'bench.md'), markdown);
writeFileSync(path.join(out, 'bench.json'), JSON.stringify(json, null, 2));
console.log(`wrote ${path.join(out, 'bench.md')} and bench.json`);
