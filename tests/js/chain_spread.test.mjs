// A chain's full verification with its Ed25519 verifications spread over worker threads
// (www/lib/chain-verify.js over the core's ChainCheck), in Chromium: every ledger and
// anchored-chain vector gives exactly the core's verifyChain verdict — the same report, or
// the same code at the same block — with 1 and 3 threads, including a chain whose first
// fault (a forged seal) comes before a rule fault that the in-order pass meets first; in
// Chromium and in Firefox ESR — with the verifications the equation decides made by WebCrypto
// where the browser answers the core's probes as the core does (SPEC §4.4), and all in the
// core. A WebCrypto that accepts whatever it is given fails the probes and is not used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { root } from './helpers.mjs';
import { sitePages } from './browser.mjs';

const ledger = JSON.parse(readFileSync(path.join(root, 'tests/vectors/ledger/ledger_v1.json'), 'utf8'));
const consortium = JSON.parse(readFileSync(path.join(root, 'tests/vectors/ledger/consortium_v1.json'), 'utf8'));
// The Ed25519 handover vectors (SPEC §4.4) that the equation decides: WebCrypto must answer each as the core does.
const handover = JSON.parse(readFileSync(path.join(root, 'tests/vectors/ledger/ed25519_handover_v1.json'), 'utf8'))
  .cases.filter((c) => c.equation_decides);

const site = sitePages();

/** Runs in the page: each case through verifyChain and through verifyChainSpread. */
async function inPage({ cases, note, handover }) {
  const semres = await import('/pkg/semres.js');
  await semres.default();
  const { verifyChainSpread } = await import('/lib/chain-verify.js');
  const chainFile = (blocks) => {
    const parts = blocks.map((b) => Uint8Array.fromBase64(b, { alphabet: 'base64url' }));
    const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
    let at = 0;
    for (const p of parts) {
      new DataView(out.buffer).setUint32(at, p.length);
      out.set(p, at + 4);
      at += 4 + p.length;
    }
    return out;
  };
  const outcome = async (run) => {
    try {
      const r = await run();
      return { size: r.size, rootBase64: r.rootBase64, lastHash: r.lastHash, authorities: r.authorityKeyIds };
    } catch (e) {
      return { code: e.code, index: e.blockIndex };
    }
  };
  const { webCryptoAgrees } = await import('/lib/chain-verify.js');
  const agrees = await webCryptoAgrees(semres);
  const hex = (h) => Uint8Array.fromHex(h);
  const handed = [];
  for (const c of handover) {
    const key = await crypto.subtle.importKey('raw', hex(c.key_hex), { name: 'Ed25519' }, false, ['verify']);
    handed.push({ name: c.name, holds: await crypto.subtle.verify({ name: 'Ed25519' }, key, hex(c.signature_hex), hex(c.message_hex)) });
  }
  // A fresh copy of the module, whose WebCrypto says "holds" to everything: the probes refuse it.
  const lax = await import('/lib/chain-verify.js?lax');
  const real = crypto.subtle.verify;
  crypto.subtle.verify = async () => true;
  let laxAgrees;
  try {
    laxAgrees = await lax.webCryptoAgrees(semres);
  } finally {
    crypto.subtle.verify = real;
  }
  const members = semres.Consortium.fromSignedNote(note);
  const out = [];
  // What WebCrypto and the core made in the runs that allow WebCrypto.
  const made = { webCrypto: 0, core: 0 };
  for (const c of cases) {
    const file = chainFile(c.blocks);
    const anchored = c.anchored ? note : null;
    const row = { name: c.name, reference: await outcome(() => (anchored ? members.verifyChain(file) : semres.verifyChain(file))) };
    for (const threads of [1, 3]) {
      for (const webCrypto of [true, false]) {
        const counts = { webCrypto: 0, core: 0 };
        row[`threads${threads}${webCrypto ? '' : ' core only'}`] = await outcome(() => verifyChainSpread(semres, file, anchored, { threads, spreadFromBytes: 0, webCrypto, counts }));
        if (!webCrypto && counts.webCrypto !== 0) throw new Error('WebCrypto used when told not to');
        if (webCrypto) {
          made.webCrypto += counts.webCrypto;
          made.core += counts.core;
        }
      }
    }
    out.push(row);
  }
  return { rows: out, agrees, laxAgrees, made, handed };
}

const forged = ledger.chains.find((c) => c.name === 'forged-seal');
// Blocks 7 and 8 swapped too: the in-order pass stops at block 7 (numbering) before any
// verification is made; the verdict must still name the forged seal at block 5.
const mixed = [...forged.blocks];
[mixed[7], mixed[8]] = [mixed[8], mixed[7]];
const cases = [
  ...ledger.chains.map((c) => ({ name: c.name, blocks: c.blocks, expect: c.expect })),
  { name: 'forged-seal-then-reordered', blocks: mixed, expect: { code: 'BadSeal', index: 5 } },
  ...consortium.anchored_chains.map((c) => ({ name: c.name, blocks: c.blocks, expect: c.expect, anchored: true })),
];

/** Every case: the reference as the vector expects, and 1 and 3 threads as the reference. */
function check({ rows, laxAgrees, agrees, handed }) {
  // A browser whose WebCrypto is used answers every handed-over vector as the core does.
  assert.ok(handover.length >= 4);
  if (agrees) assert.deepEqual(handed, handover.map((c) => ({ name: c.name, holds: c.holds })));
  assert.equal(laxAgrees, false, 'a WebCrypto that accepts everything fails the probes');
  assert.deepEqual(forged.expect, { code: 'BadSeal', index: 5 });
  assert.equal(rows.length, cases.length);
  rows.forEach((row, i) => {
    const want = cases[i].expect;
    if (want === 'ok') assert.ok(row.reference.size > 0, `${row.name}: the reference verifies`);
    else assert.deepEqual(row.reference, { code: want.code, index: want.index }, `${row.name}: the reference`);
    for (const way of ['threads1', 'threads3', 'threads1 core only', 'threads3 core only']) {
      assert.deepEqual(row[way], row.reference, `${row.name}, ${way}`);
    }
  });
}

test('every chain vector verifies over 1 and 3 threads exactly as verifyChain does, WebCrypto making most verifications (Chromium)', async () => {
  const result = await site.inChromium('auditor', inPage, { cases, note: consortium.consortium, handover });
  check(result);
  // Chromium's Ed25519 (BoringSSL) answers the probes as the core does, and is used.
  assert.equal(result.agrees, true, "Chromium's WebCrypto answers the probes as the core does");
  assert.ok(result.made.webCrypto > result.made.core, `WebCrypto made ${result.made.webCrypto}, the core ${result.made.core}`);
});

test('the same in Firefox ESR', { skip: site.firefoxSkip }, async (t) => {
  const result = await site.inFirefox('auditor', inPage, { cases, note: consortium.consortium, handover });
  check(result);
  t.diagnostic(`Firefox's WebCrypto ${result.agrees ? 'answers the probes as the core does' : 'is not used (probes)'}; WebCrypto made ${result.made.webCrypto}, the core ${result.made.core}`);
  if (result.agrees) assert.ok(result.made.webCrypto > 0);
  else assert.equal(result.made.webCrypto, 0);
});
