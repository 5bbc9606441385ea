// npm run bench: a report, not a test. Serves the WASM package, jose and openpgp.js on
// 127.0.0.1, runs tests/bench/bench.js in Debian's headless Chromium, and prints a markdown
// table of medians with the ratio of each peer to SEMRES; writes target/bench/bench.{md,json}.
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { root } from '../js/helpers.mjs';
import { launchBrowser } from '../js/browser.mjs';
import { startBenchServer } from './serve.mjs';
import { runMemoryBench, memoryTable } from './memory.mjs';

const quick = process.argv.includes('--quick');
const config = {
  sizes: quick ? [1024, 1 << 20] : [1024, 1 << 20, 64 << 20],
  smallRuns: quick ? 3 : 15,
  midRuns: quick ? 3 : 7,
  bigRuns: 3,
  keygenRuns: quick ? 2 : 5,
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
const deryLines = [
  `| DERy (\`semres serve\`, release, HTTP on 127.0.0.1), streamed SMeR | upload in 16 MiB resumable parts | server peak above idle (${dery.idle_rss_mib.toFixed(0)} MiB) | download, whole | server peak above idle |`,
  '|---|---|---|---|---|',
  ...dery.rows.map((r) => `| ${r.record_mib} MiB record | ${r.upload_mib_per_s.toFixed(0)} MiB/s | ${r.upload_peak_above_idle_mib.toFixed(0)} MiB | ${r.download_mib_per_s.toFixed(0)} MiB/s | ${r.download_peak_above_idle_mib.toFixed(0)} MiB |`),
];
// Each crate's share of the module (cargo's output still has the function names).
const wasmShares = execFileSync('node', [path.join(root, 'scripts/wasm-size.mjs')], { cwd: root }).toString();
const chromium = execFileSync('/usr/bin/chromium', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
const fmtSize = (n) => (n === 0 ? '—' : n >= 1 << 20 ? `${(n / 1048576).toFixed(n % 1048576 ? 1 : 0)} MiB` : `${(n / 1024).toFixed(n % 1024 ? 1 : 0)} KiB`);
const fmtMs = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(1) : ms.toFixed(3));
const peers = ['SEMRES (site: WebCrypto under the core)', 'WebCrypto', 'jose', 'openpgp.js'];
const groups = new Map();
for (const r of rows) {
  const key = `${r.op}|${r.op === 'SMeR hash' ? r.size : r.size}`;
  if (!groups.has(key)) groups.set(key, { op: r.op, size: r.size, impls: {} });
  groups.get(key).impls[r.impl] = r;
}
const lines = [
  `| operation | size | SEMRES (WASM) ms | ${peers.map((p) => `${p} ms (× SEMRES)`).join(' | ')} |`,
  `|---|---|---|${peers.map(() => '---').join('|')}|`,
];
for (const g of groups.values()) {
  const ours = g.impls['SEMRES (WASM)'];
  const cells = peers.map((p) => {
    const r = g.impls[p];
    return r ? `${fmtMs(r.median_ms)} (${(r.median_ms / ours.median_ms).toFixed(2)}×)` : 'n/a';
  });
  lines.push(`| ${g.op} | ${fmtSize(g.size)} | ${fmtMs(ours.median_ms)} | ${cells.join(' | ')} |`);
}
const header = [
  `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; ${chromium}, headless.`,
  `Medians of ${config.smallRuns} runs (1 KiB), ${config.midRuns} (1 MiB), ${config.bigRuns} (64 MiB), ${config.keygenRuns} (keygen), after one warm-up. (× SEMRES) > 1 means the peer is slower.`,
  'Seal/open: RSA-OAEP-256 + A256CBC-HS512, one RSA-3072 recipient (openpgp.js: RSA-3072 + AES-256 SEIPD). "open" includes the RSA unwrap.',
  '"SEMRES (site: WebCrypto under the core)": how the site seals and opens (www/lib/webcrypto-ceda.js) — the core checks options and SMeRs, builds and parses the JSON, draws the key and IV, wraps for each recipient and compares the tag; WebCrypto does AES-CBC, HMAC and the RSA unwrap (non-extractable key).',
];
const fmtLedger = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${fmtMs(ms)} ms`);
const ledgerLines = [
  '| ledger operation | native (release) | Chromium (WASM) | target (Chromium) |',
  '|---|---|---|---|',
  `| ${ledgerRows[0].op} | ${fmtLedger(native.native_structural_ms)} | ${fmtLedger(ledgerRows[0].ms)} | < 1 s at 100,000 |`,
  `| ${ledgerRows[1].op} | ${fmtLedger(native.native_full_ms)} | ${fmtLedger(ledgerRows[1].ms)} | < 10 s at 100,000 |`,
  `| ${ledgerRows[3].op} | — | ${fmtLedger(ledgerRows[3].ms)} | < 10 s at 100,000 |`,
  `| ${ledgerRows[2].op} | ${fmtLedger(native.native_inclusion_verify_ms_1m)} | ${fmtLedger(ledgerRows[2].ms)} | < 1 ms |`,
  `| inclusion proof generation, log of 1,000,000 | ${fmtLedger(native.native_inclusion_proof_generate_ms_1m)} | — | (endpoint: < 5 ms) |`,
];
const appendRow = (r, label, target = '') => `| ${label} | ${r.per_second.toFixed(0)}/s, p50 ${fmtMs(r.p50_ms)} ms, p99 ${fmtMs(r.p99_ms)} ms | ${r.peak_rss_mib.toFixed(0)} MiB${r.uploads !== undefined ? `; ${r.uploads} uploads at ${r.upload_mib_per_s.toFixed(0)} MiB/s` : ''} | ${target} |`;
const during = endpoint.small_requests_during_transfers;
const endpointLines = [
  `| endpoint (\`semres serve\`, release, HTTP on 127.0.0.1) | figure | server peak RSS | target |`,
  '|---|---|---|---|',
  ...[1, 8, 32].map((c) => appendRow(endpoint[`appends_${c}_clients`], `sealed appends, ${c} client${c > 1 ? 's' : ''}`, c === 32 ? '≥ 2,000/s, p99 < 50 ms' : '')),
  ...[1, 8, 32].map((c) => appendRow(endpoint[`appends_${c}_clients_with_uploads`], `sealed appends, ${c} client${c > 1 ? 's' : ''}, 2 clients uploading 256 MiB SMeRs`)),
  `| small requests during two 300 MiB uploads and a 300 MiB download (${during.transfers_s.toFixed(1)} s) | ${during.count} requests: p50 ${fmtMs(during.p50_ms)} ms, p99 ${fmtMs(during.p99_ms)} ms, max ${fmtMs(during.max_ms)} ms | ${during.peak_rss_mib.toFixed(0)} MiB | memory flat |`,
  `| SMeR upload, 1 MiB | ${endpoint.upload_1MiB_mb_per_s.toFixed(0)} MiB/s | | |`,
  `| SMeR upload, 64 MiB | ${endpoint.upload_64MiB_mb_per_s.toFixed(0)} MiB/s | | |`,
  `| checkpoint + inclusion proof, 1,000,000 blocks (server side) | ${fmtMs(endpoint.checkpoint_and_proof_ms_1m)} ms | | < 5 ms |`,
  `| server idle / peak over the whole run | ${endpoint.idle_rss_mib.toFixed(0)} MiB / ${endpoint.peak_rss_mib.toFixed(0)} MiB | | |`,
];
const joining = consortium.joining_node;
const consortiumLines = [
  `| consortium (4 member nodes, k = 3, on anvil; entries of ${consortium.bytes_per_entry.toFixed(0)} bytes) | figure |`,
  '|---|---|',
  ...consortium.to_cosigned.map((r) => `| ${r.batch} entr${r.batch > 1 ? 'ies' : 'y'} submitted at once → a checkpoint 3 of 4 cosigned that includes ${r.batch > 1 ? 'them' : 'it'} (1 s blocks) | ${fmtMs(r.seconds_to_cosigned * 1000)} ms, ${r.entries_per_s.toFixed(1)} entries/s |`),
  ...consortium.gas.map((r) => `| gas per entry, ${r.batch} entr${r.batch > 1 ? 'ies' : 'y'} per \`append\` | ${r.gas_per_entry.toFixed(0)} (${r.gas_per_tx} per transaction) |`),
  `| a joining node replays ${joining.entries.toLocaleString('en')} entries (${joining.entries_per_tx} per transaction) | ${joining.replay_s.toFixed(1)} s, ${joining.replay_entries_per_s.toFixed(0)} entries/s |`,
  `| on paper: 4 QBFT validators, 2 s blocks, 30 M gas, batches of 100 | ${consortium.qbft_4_validators_2s_30m_gas_entries_per_s.toFixed(0)} entries/s |`,
];
const markdown = `${header.join('\n')}\n\n${lines.join('\n')}\n\n${memoryTable(memoryRows)}\n\nRecords of any size:\n\n${memoryTable(largeRows)}\n\n${deryLines.join('\n')}\n\n${ledgerLines.join('\n')}\n\n${endpointLines.join('\n')}\n\n${consortiumLines.join('\n')}\n\n${wasmShares}`;
console.log(markdown);
const wasm = readFileSync(path.join(root, 'pkg/semres_bg.wasm'));
const gzip = (await import('node:zlib')).gzipSync(wasm, { level: 9 }).length;
console.log(`semres_bg.wasm: ${(wasm.length / 1024).toFixed(0)} KiB, ${(gzip / 1024).toFixed(0)} KiB gzip`);
const out = path.join(root, 'target/bench');
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, 'bench.md'), markdown);
writeFileSync(path.join(out, 'bench.json'), JSON.stringify({ date: new Date().toISOString(), chromium, config, wasm_bytes: wasm.length, wasm_gzip_bytes: gzip, rows, memory: memoryRows, large: { browser: largeRows, dery }, ledger: { native, browser: ledgerRows }, endpoint, consortium }, null, 2));
console.log(`wrote ${path.join(out, 'bench.md')} and bench.json`);
