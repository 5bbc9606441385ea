// The streamed SMeR (SPEC §7) through www/lib/stream-smer.js, the way the worker runs it:
// every streamed vector opened through both paths — WebCrypto AES-128-GCM and RSA-OAEP under
// the core's rules, the core alone (`subtle: null`, the fallback where `crypto.subtle` is
// absent), and each record decrypted in place by the core (`inPlace`, the site's path for
// large records) — fed in pieces of several sizes, with the same result or error code, and no
// more plaintext released before a refusal than the vector allows; records sealed by either
// path open by the others at every chunk edge. In Node, in Chromium and in Firefox ESR.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from './helpers.mjs';
import { sitePages } from './browser.mjs';

const vectors = JSON.parse(readFileSync(path.join(root, 'tests/vectors/smer/smer_stream_v1.json'), 'utf8'));
const site = sitePages();

/** Runs where it is called (Node or a page): self-contained, returns plain data. */
async function streamSuite({ vectors, pkg, wasm, lib }) {
  const semres = await import(pkg);
  if (wasm) {
    const { readFileSync } = await import('node:fs');
    semres.initSync({ module: readFileSync(wasm) });
  } else {
    await semres.default();
  }
  const { openedPieces, sealedPieces, startStreamSeal } = await import(lib);
  const subtle = globalThis.crypto.subtle;
  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  const fromHex = (h) => new Uint8Array(h.match(/../g)?.map((x) => parseInt(x, 16)) ?? []);
  /** A stream giving `bytes` in pieces of `size`. */
  const streamOf = (bytes, size) => new ReadableStream({
    start(c) {
      for (let i = 0; i < bytes.length; i += size) c.enqueue(bytes.slice(i, i + size));
      c.close();
    },
  });
  const keys = {};
  for (const [name, k] of Object.entries(vectors.keys)) {
    const privateKey = semres.PrivateKey.fromPem(k.private_pkcs8_pem);
    const der = privateKey.exportPkcs8Der();
    const webKey = await subtle.importKey('pkcs8', der, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']);
    der.fill(0);
    keys[name] = { keyId: k.key_id, privateKey, webKey };
  }
  const paths = { webCrypto: subtle, core: null };
  // Opening has a third path: RSA in WebCrypto, each record decrypted in place by the core
  // (what the site uses for large records: no allocation per record).
  const openPaths = { webCrypto: { subtle }, core: { subtle: null }, inPlace: { subtle, inPlace: true } };
  /** Opens `smer` through `path`: the record or the code, and how much was released first. */
  const open = async (smer, key, path, piece, maxRecordBytes) => {
    const parts = [];
    let released = 0;
    try {
      const who = { keyId: key.keyId, webKey: key.webKey, privateKey: key.privateKey, ...openPaths[path], maxRecordBytes };
      for await (const part of openedPieces(semres, streamOf(smer, piece), who)) {
        if (part instanceof Uint8Array) {
          parts.push(hex(part));
          released += part.length;
        }
      }
      return { ok: parts.join('') };
    } catch (e) {
      return { code: e?.name === 'SemresError' ? e.code : `not a SemresError: ${e}`, released };
    }
  };
  const out = [];
  for (const c of vectors.cases) {
    const smer = fromHex(c.smer_hex);
    for (const path of Object.keys(openPaths)) {
      for (const piece of [7, 4096]) {
        out.push({ name: c.name, path, piece, result: await open(smer, keys[c.key], path, piece, c.max_record_bytes) });
      }
    }
  }
  // Sealed by one path, opened by the other, at the chunk edges of rs = 64 (47 per chunk)
  // and with the default record size.
  const key = keys[vectors.cases[0].key];
  const to = new semres.RecipientList();
  to.add(key.privateKey.publicKey());
  const options = { contentType: 'application/dicom', ownerKeyId: key.keyId, createdAt: 1700000000 };
  const crossed = [];
  const cases = [0, 1, 46, 47, 48, 94, 95, 300].map((size) => ({ size, recordSize: 64 }))
    .concat([{ size: (1 << 20) + 3, recordSize: undefined }]);
  for (const { size, recordSize } of cases) {
    const record = new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff);
    for (const [by, openBy] of [['webCrypto', 'core'], ['core', 'webCrypto'], ['core', 'inPlace']]) {
      const sealer = await startStreamSeal(semres, to, options, { recordSize, subtle: paths[by] });
      const pieces = [];
      for await (const p of sealedPieces(streamOf(record, 1000), sealer)) pieces.push(p);
      const finished = sealer.finished;
      sealer.free();
      const smer = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
      pieces.reduce((at, p) => { smer.set(p, at); return at + p.length; }, 0);
      const opened = await open(smer, key, openBy, 5000);
      crossed.push({ size, by, finished, magic: semres.isStreamedSmer(smer), ok: opened.ok === hex(record), code: opened.code });
    }
  }
  // `enc` is not an option of a streamed SMeR; a chunk of the wrong length is refused.
  const refusals = {};
  try {
    await startStreamSeal(semres, to, { ...options, enc: 'A256CBC-HS512' });
  } catch (e) { refusals.enc = e.code; }
  for (const [path, s] of Object.entries(paths)) {
    const sealer = await startStreamSeal(semres, to, options, { recordSize: 64, subtle: s });
    try {
      await sealer.seal(new Uint8Array(46), false);
    } catch (e) { refusals[`short chunk, ${path}`] = e.code; }
    await sealer.seal(new Uint8Array(1), true);
    try {
      await sealer.seal(new Uint8Array(1), true);
    } catch (e) { refusals[`after the last, ${path}`] = e.code; }
    sealer.free();
  }
  return { out, crossed, refusals };
}

function check({ out, crossed, refusals }) {
  const byName = new Map(vectors.cases.map((c) => [c.name, c]));
  assert.equal(out.length, vectors.cases.length * 6);
  for (const r of out) {
    const c = byName.get(r.name);
    const what = `${r.name} (${r.path} path, pieces of ${r.piece})`;
    if (c.expect === 'ok') {
      assert.deepEqual(r.result, { ok: c.record_hex }, what);
    } else {
      assert.equal(r.result.code, c.expect, what);
      assert.ok(r.result.released <= c.may_release, `${what}: released ${r.result.released} > ${c.may_release}`);
    }
  }
  assert.equal(crossed.length, 27);
  for (const c of crossed) {
    assert.ok(c.ok && c.finished && c.magic, `${c.size} bytes sealed by ${c.by}: ${c.code ?? 'opened'}`);
  }
  assert.deepEqual(refusals, {
    enc: 'UnsupportedAlgorithm',
    'short chunk, webCrypto': 'InvalidInput',
    'after the last, webCrypto': 'InvalidInput',
    'short chunk, core': 'InvalidInput',
    'after the last, core': 'InvalidInput',
  });
}

test('streamed SMeR vectors and crossed seals through both paths in Node', async () => {
  check(await streamSuite({
    vectors,
    pkg: pathToFileURL(path.join(root, 'pkg/semres.js')).href,
    wasm: path.join(root, 'pkg/semres_bg.wasm'),
    lib: pathToFileURL(path.join(root, 'www/lib/stream-smer.js')).href,
  }));
});

test('streamed SMeR vectors and crossed seals through both paths in Chromium', async () => {
  check(await site.inChromium('identity', streamSuite, { vectors, pkg: '/pkg/semres.js', lib: '/lib/stream-smer.js' }));
});

test('streamed SMeR vectors and crossed seals through both paths in Firefox', { skip: site.firefoxSkip }, async () => {
  check(await site.inFirefox('identity', streamSuite, { vectors, pkg: '/pkg/semres.js', lib: '/lib/stream-smer.js' }));
});
