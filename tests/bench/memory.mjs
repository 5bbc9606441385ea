// Peak memory and the page's longest task while one large record is sealed or opened in a
// dedicated worker (part of `npm run bench`; alone: `node tests/bench/memory.mjs [MiB]
// [impl,impl]`, impls of site, site (streamed), jose, openpgp.js).
// Memory is the renderer processes' resident set (page and worker share one): the runner
// resets Linux's peak-RSS mark (/proc/PID/clear_refs) once the input is ready and reads
// VmHWM after the operation. "Peak" is that mark above the worker's resident set before the
// input existed — the input, the operation's buffers and the result, as a user's tab would
// hold them — and is given as a multiple of the record's size.
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as openpgp from 'openpgp';
import { launchBrowser } from '../js/browser.mjs';
import { startBenchServer } from './serve.mjs';

const kib = (line) => Number(line.trim().split(/\s+/)[0]) * 1024;

/** Our renderer processes (descendants of this Node process started with --type=renderer). */
function renderers() {
  const parent = new Map();
  const isRenderer = new Set();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('--type=renderer')) isRenderer.add(Number(name));
    } catch { /* gone */ }
  }
  const ours = (pid) => {
    for (let p = pid; p > 1; p = parent.get(p) ?? 1) if (p === process.pid) return true;
    return false;
  };
  return [...isRenderer].filter(ours);
}

function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => kib(status.split('\n').find((l) => l.startsWith(`${name}:`)).slice(name.length + 1));
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

const sum = (pids, f) => pids.reduce((n, pid) => n + f(memory(pid)), 0);

/**
 * Seals and opens a `size`-byte record once per implementation, each in a fresh page.
 * @returns {Promise<Array<{impl: string, op: string, size: number, ms: number, inputBytes: number, peakBytes: number, peakOverRecord: number, longestTaskMs: number}>>}
 */
export async function runMemoryBench(base, { pkcs8Pem, openpgpKey, size, impls = ['site', 'jose', 'openpgp.js'] }) {
  const browser = await launchBrowser({ args: ['--js-flags=--expose-gc'] });
  const rows = [];
  try {
    for (const impl of impls) {
      for (const op of ['seal', 'open']) {
        const page = await browser.context.newPage();
        try {
          page.setDefaultTimeout(10 * 60 * 1000);
          await page.goto(`${base}/bench/memory.html`);
          await page.waitForFunction(() => document.getElementById('status').textContent === 'ready');
          const { gc } = await page.evaluate((m) => window.memoryStep(m), { setUp: { pkcs8Pem, openpgpKey } });
          if (!gc) throw new Error('the worker has no gc(): run Chromium with --js-flags=--expose-gc');
          const pids = renderers();
          const before = sum(pids, (m) => m.rss);
          const { inputBytes } = await page.evaluate((m) => window.memoryStep(m), { prepare: { impl, op, size } });
          const ready = sum(pids, (m) => m.rss);
          for (const pid of pids) writeFileSync(`/proc/${pid}/clear_refs`, '5');
          const done = await page.evaluate((m) => window.memoryStep(m), { run: true });
          const peak = sum(pids, (m) => m.hwm) - before;
          // Then the streamed path's output is compared with its input (outside the mark).
          await page.evaluate((m) => window.memoryStep(m), { check: true });
          rows.push({ impl, op, size, ms: done.ms, inputBytes, readyBytes: ready - before, peakBytes: peak, peakOverRecord: peak / size, longestTaskMs: done.longestTaskMs });
        } catch (error) {
          // A peer that cannot process the size at all: say how it failed.
          rows.push({ impl, op, size, error: String(error.message ?? error).split('\n')[0].slice(0, 120) });
        } finally {
          await page.close();
        }
      }
    }
  } finally {
    await browser.close();
  }
  return rows;
}

const name = (impl) => ({ site: 'SEMRES (site)', 'site (streamed)': 'SEMRES (site, streamed SMeR, disk to disk)', 'site (streamed; WebCrypto records)': 'SEMRES (streamed, each record opened by WebCrypto)' }[impl] ?? impl);

/** The rows as a markdown table. */
export function memoryTable(rows) {
  const mib = (n) => `${(n / 1048576).toFixed(0)} MiB`;
  return [
    '| implementation | operation | record | time | resident with the input ready | peak memory above the idle worker (× record) | page\'s longest task |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => (r.error
      ? `| ${name(r.impl)} | ${r.op} | ${mib(r.size)} | fails: ${r.error.replaceAll('|', '/')} | | | |`
      : `| ${name(r.impl)} | ${r.op} | ${mib(r.size)} | ${(r.ms / 1000).toFixed(2)} s (${(r.size / 1048576 / (r.ms / 1000)).toFixed(0)} MiB/s) | ${mib(r.readyBytes)} | ${mib(r.peakBytes)} (${r.peakOverRecord.toFixed(1)}×) | ${r.longestTaskMs ? `${r.longestTaskMs.toFixed(0)} ms` : 'none ≥ 50 ms'} |`)),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const size = Number(process.argv[2] ?? 64) << 20;
  const impls = process.argv[3] ? process.argv[3].split(',') : undefined;
  const pkcs8Pem = execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  const { privateKey: openpgpKey } = await openpgp.generateKey({ type: 'rsa', rsaBits: 3072, userIDs: [{ name: 'bench' }] });
  const server = await startBenchServer();
  try {
    console.log(memoryTable(await runMemoryBench(server.base, { pkcs8Pem, openpgpKey, size, impls })));
  } finally {
    server.close();
  }
}
