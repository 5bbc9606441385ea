// The report of `npm run bench`, rendered from the run's figures (target/bench/bench.json):
// `renderReport(json)` for run.mjs, and `node tests/bench/report.mjs [bench.json]` to render a
// saved run again. Ratios are the peer's time ÷ the site's (what users run: WebCrypto under
// the core), so ≥ 1 means SEMRES is at least as fast — the form of issue 15's targets, which
// the report checks last, one line each, met or not.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { memoryTable } from './memory.mjs';

const SITE = 'SEMRES (site: WebCrypto under the core)';
const WASM = 'SEMRES (WASM)';
const PEERS = [WASM, 'WebCrypto', 'jose', 'openpgp.js'];

const fmtSize = (n) => (n === 0 ? '—' : n >= 1 << 20 ? `${(n / 1048576).toFixed(n % 1048576 ? 1 : 0)} MiB` : `${(n / 1024).toFixed(n % 1024 ? 1 : 0)} KiB`);
const fmtMs = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(1) : ms.toFixed(3));
const fmtLedger = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${fmtMs(ms)} ms`);

/** Rows of one benchmark run grouped by operation and size: `{op, size, impls: {impl: row}}`. */
function groupRows(rows) {
  const groups = new Map();
  for (const r of rows) {
    const key = `${r.op}|${r.size}`;
    if (!groups.has(key)) groups.set(key, { op: r.op, size: r.size, impls: {} });
    groups.get(key).impls[r.impl] = r;
  }
  return [...groups.values()];
}

function cryptoTable(json) {
  const lines = [
    `| operation | size | ${SITE} ms | ${PEERS.map((p) => `${p} ms (÷ site)`).join(' | ')} |`,
    `|---|---|---|${PEERS.map(() => '---').join('|')}|`,
  ];
  for (const g of groupRows(json.rows)) {
    // A run saved before the site had a row for an operation: its figures against the core.
    const base = g.impls[SITE] ?? g.impls[WASM];
    const cells = PEERS.map((p) => {
      const r = g.impls[p];
      return r ? `${fmtMs(r.median_ms)} (${(r.median_ms / base.median_ms).toFixed(2)})` : 'n/a';
    });
    lines.push(`| ${g.op} | ${fmtSize(g.size)} | ${g.impls[SITE] ? fmtMs(base.median_ms) : 'n/a'} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Issue 15's targets, each from this run's figures: `[{target, value, met}]`. */
export function targets(json) {
  const out = [];
  const groups = groupRows(json.rows);
  const find = (op, size) => groups.find((g) => g.op === op && (size === undefined || g.size === size));
  for (const op of ['seal', 'open']) {
    for (const g of groups.filter((x) => x.op === op)) {
      const site = g.impls[SITE]?.median_ms;
      if (!site) continue;
      const jose = g.impls.jose?.median_ms;
      if (jose) out.push({ target: `${op} ${fmtSize(g.size)}: jose ÷ SEMRES ≥ 1.0`, value: (jose / site).toFixed(2), met: jose / site >= 1.0 });
      const pgp = g.impls['openpgp.js']?.median_ms;
      if (op === 'open' && pgp) out.push({ target: `open ${fmtSize(g.size)}: openpgp.js ÷ SEMRES ≥ 2.0`, value: (pgp / site).toFixed(2), met: pgp / site >= 2.0 });
    }
  }
  const keygen = find('RSA-3072 keygen');
  if (keygen?.impls[SITE] && keygen.impls.WebCrypto) {
    const r = keygen.impls[SITE].median_ms / keygen.impls.WebCrypto.median_ms;
    out.push({ target: 'RSA-3072 key generation ≤ 1.1× WebCrypto\'s', value: `${r.toFixed(2)}×`, met: r <= 1.1 });
  }
  for (const g of groups.filter((x) => x.op === 'SMeR hash')) {
    if (!g.impls[SITE] || !g.impls.WebCrypto) continue;
    const r = g.impls.WebCrypto.median_ms / g.impls[SITE].median_ms;
    out.push({ target: `SMeR hash (${fmtSize(g.size)}) ≥ 0.9× WebCrypto's SHA-256 speed`, value: `${r.toFixed(2)}×`, met: r >= 0.9 });
  }
  const ledger = json.ledger?.browser ?? [];
  const structural = ledger.find((r) => r.op.startsWith('structural verify'));
  if (structural) out.push({ target: `${structural.op}: < 0.5 s`, value: fmtLedger(structural.ms), met: structural.ms < 500 });
  const full = ledger.find((r) => r.op.includes("(the site's)"));
  if (full) out.push({ target: 'full verification, the site\'s way: < 10 s at 100,000 blocks', value: `${fmtLedger(full.ms)} (${full.op.match(/\d+ blocks/)?.[0] ?? ''})`, met: full.ms < 10_000 });
  if (json.wasm_gzip_bytes) {
    out.push({ target: '.wasm ≤ 250 KB gzip (stretch 200 KB)', value: `${json.wasm_gzip_bytes.toLocaleString('en')} bytes`, met: json.wasm_gzip_bytes <= 250_000 });
  }
  for (const r of (json.memory ?? []).filter((m) => m.impl === 'site' && !m.error)) {
    out.push({ target: `${r.op} ${fmtSize(r.size)}: peak memory ≤ 4× the record`, value: `${r.peakOverRecord.toFixed(1)}×`, met: r.peakOverRecord <= 4 });
    // The long-task observer reports tasks of 50 ms or more; none means every task was shorter.
    out.push({ target: `${r.op} ${fmtSize(r.size)}: the page's longest task < 50 ms`, value: r.longestTaskMs ? `${r.longestTaskMs.toFixed(0)} ms` : 'none ≥ 50 ms', met: !r.longestTaskMs });
  }
  return out;
}

/** The whole report as markdown. */
export function renderReport(json) {
  const { config } = json;
  const { native } = json.ledger;
  const header = [
    `Machine: ${json.machine ?? 'unknown'}; ${json.chromium}, headless. Run ${json.date}.`,
    `Medians of ${config.smallRuns} runs (1 KiB), ${config.midRuns} (1 MiB), ${config.bigRuns} (64 MiB), ${config.keygenRuns} (keygen), after one warm-up. (÷ site) is that implementation's time ÷ the site's: > 1 means it is slower than SEMRES.`,
    'Seal/open: RSA-OAEP-256 + A256CBC-HS512, one RSA-3072 recipient (openpgp.js: RSA-3072 + AES-256 SEIPD). "open" includes the RSA unwrap.',
    `"${SITE}": how the site seals and opens (www/lib/webcrypto-ceda.js) — the core checks options and SMeRs, builds and parses the JSON, draws the key and IV, wraps for each recipient and compares the tag; WebCrypto does AES-CBC, HMAC and the RSA unwrap (non-extractable key); its key generation is WebCrypto's, handed to the core as PKCS#8. "${WASM}": everything in the core (native use, and the browser's fallback without \`crypto.subtle\`).`,
  ];
  const ledgerRows = json.ledger.browser;
  const ledgerLines = [
    '| ledger operation | native (release) | Chromium (WASM) | target (Chromium) |',
    '|---|---|---|---|',
    `| ${ledgerRows[0].op} | ${fmtLedger(native.native_structural_ms)} | ${fmtLedger(ledgerRows[0].ms)} | < 0.5 s at 100,000 |`,
    `| ${ledgerRows[1].op} | ${fmtLedger(native.native_full_ms)} | ${fmtLedger(ledgerRows[1].ms)} | |`,
    ...ledgerRows.slice(3).map((r) => `| ${r.op} | — | ${fmtLedger(r.ms)} | ${r.op.includes("(the site's)") ? '< 10 s at 100,000' : ''} |`),
    `| ${ledgerRows[2].op} | ${fmtLedger(native.native_inclusion_verify_ms_1m)} | ${fmtLedger(ledgerRows[2].ms)} | < 1 ms |`,
    `| inclusion proof generation, log of 1,000,000 | ${fmtLedger(native.native_inclusion_proof_generate_ms_1m)} | — | (endpoint: < 5 ms) |`,
  ];
  const { endpoint, consortium } = json;
  const appendRow = (r, label, target = '') => `| ${label} | ${r.per_second.toFixed(0)}/s, p50 ${fmtMs(r.p50_ms)} ms, p99 ${fmtMs(r.p99_ms)} ms | ${r.peak_rss_mib.toFixed(0)} MiB${r.uploads !== undefined ? `; ${r.uploads} uploads at ${r.upload_mib_per_s.toFixed(0)} MiB/s` : ''} | ${target} |`;
  const during = endpoint.small_requests_during_transfers;
  const endpointLines = [
    '| endpoint (`semres serve`, release, HTTP on 127.0.0.1) | figure | server peak RSS | target |',
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
  const { dery } = json.large;
  const deryLines = [
    `| DERy (\`semres serve\`, release, HTTP on 127.0.0.1), streamed SMeR | upload in 16 MiB resumable parts | server peak above idle (${dery.idle_rss_mib.toFixed(0)} MiB) | download, whole | server peak above idle |`,
    '|---|---|---|---|---|',
    ...dery.rows.map((r) => `| ${r.record_mib} MiB record | ${r.upload_mib_per_s.toFixed(0)} MiB/s | ${r.upload_peak_above_idle_mib.toFixed(0)} MiB | ${r.download_mib_per_s.toFixed(0)} MiB/s | ${r.download_peak_above_idle_mib.toFixed(0)} MiB |`),
  ];
  const targetLines = [
    '| issue 15 target | this run | met |',
    '|---|---|---|',
    ...targets(json).map((t) => `| ${t.target} | ${t.value} | ${t.met ? 'yes' : '**no**'} |`),
  ];
  const module = json.wasm_gzip_bytes ? `semres_bg.wasm (as the browser downloads it): ${json.wasm_bytes.toLocaleString('en')} bytes, ${json.wasm_gzip_bytes.toLocaleString('en')} bytes gzip -9.` : '';
  return `${header.join('\n')}\n\n${cryptoTable(json)}\n\n${memoryTable(json.memory)}\n\nRecords of any size:\n\n${memoryTable(json.large.browser)}\n\n${deryLines.join('\n')}\n\n${ledgerLines.join('\n')}\n\n${endpointLines.join('\n')}\n\n${consortiumLines.join('\n')}\n\n${json.wasm_shares ?? ''}\n${module}\n\n${targetLines.join('\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(renderReport(JSON.parse(readFileSync(process.argv[2] ?? 'target/bench/bench.json', 'utf8'))));
}
