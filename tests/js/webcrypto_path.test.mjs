// CEDA in Chromium the way the site's worker runs it (www/lib/webcrypto-ceda.js): WebCrypto
// for RSA-OAEP (a non-extractable key), AES-CBC and HMAC under the WASM core's checks and
// structures. Every SMeR v1 vector gives the same result and error code through it as through
// the core alone; records sealed by either path at every size edge open by the other. The
// same in Firefox ESR (WebDriver BiDi).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { smerVectors } from './helpers.mjs';
import { sitePages } from './browser.mjs';

const site = sitePages();

/** Runs in the browser: every vector through both paths, and seals crossed at the size edges. */
async function inPage(vectors) {
  const semres = await import('/pkg/semres.js');
  await semres.default();
  const { openWithWebCrypto, sealWithWebCrypto } = await import('/lib/webcrypto-ceda.js');
  const utf8 = (t) => new TextEncoder().encode(t);
  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  const keys = {};
  for (const [name, k] of Object.entries(vectors.keys)) {
    const key = semres.PrivateKey.fromPem(k.private_pkcs8_pem);
    const der = key.exportPkcs8Der();
    const webKey = await crypto.subtle.importKey('pkcs8', der, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']);
    der.fill(0);
    keys[name] = { key, webKey };
  }
  const outcome = async (open) => {
    try {
      const opened = await open();
      const record = hex(opened.record);
      opened.free();
      return { ok: record };
    } catch (e) {
      return { code: e?.name === 'SemresError' ? e.code : `not a SemresError: ${e}` };
    }
  };
  const out = [];
  for (const c of vectors.cases) {
    const options = c.limits ? { maxRecordBytes: c.limits.max_record_bytes } : undefined;
    const { key, webKey } = keys[c.key];
    out.push({
      name: c.name,
      webCrypto: await outcome(() => openWithWebCrypto(semres, utf8(c.smer), key.keyId, webKey, { options })),
      inPieces: await outcome(() => openWithWebCrypto(semres, utf8(c.smer), key.keyId, webKey, { options, chunkBytes: 48 })),
      core: await outcome(async () => semres.openSmer(utf8(c.smer), key, options)),
      extractable: webKey.extractable,
    });
  }
  // Both directions at the size edges, both enc.
  const { key, webKey } = Object.values(keys)[0];
  const to = new semres.RecipientList();
  to.add(key.publicKey());
  const crossed = [];
  for (const enc of ['A256CBC-HS512', 'A128CBC-HS256']) {
    // The default pieces, and pieces of 48 bytes (and of 3 KiB past the 64 KiB from which
    // the browser writes the base64url) so that the pieces' edges are crossed.
    for (const [chunkBytes, sizes] of [[undefined, [0, 1, 15, 16, 17, 1 << 20]], [48, [0, 1, 47, 48, 49, 96, 97, 200]], [3072, [65536, 65537, 100000]]]) {
      for (const size of sizes) {
        const record = new Uint8Array(size).map((_, i) => (i * 7 + size) & 0xff);
        const options = { contentType: 'application/octet-stream', ownerKeyId: key.keyId, enc };
        const a = await outcome(async () => semres.openSmer(await sealWithWebCrypto(semres, record, to, options, { chunkBytes }), key));
        const b = await outcome(() => openWithWebCrypto(semres, semres.sealSmer(record, to, options), key.keyId, webKey, { chunkBytes }));
        crossed.push({ enc, size, chunkBytes, ok: a.ok === hex(record) && b.ok === hex(record) });
      }
    }
  }
  // A ciphertext written with a JSON escape (the same value): the core decodes it itself.
  const valid = vectors.cases.find((c) => c.expect === 'ok');
  const escapedSmer = utf8(valid.smer.replace(/"ciphertext":"(.)/, (_, ch) => `"ciphertext":"\\u00${ch.charCodeAt(0).toString(16).padStart(2, '0')}`));
  const escaped = {
    record: valid.record_hex,
    webCrypto: await outcome(() => openWithWebCrypto(semres, escapedSmer, keys[valid.key].key.keyId, keys[valid.key].webKey)),
    core: await outcome(async () => semres.openSmer(escapedSmer, keys[valid.key].key)),
  };
  return { out, crossed, escaped, nativeBase64: typeof Uint8Array.prototype.setFromBase64 === 'function' };
}

/** The same results and codes through both paths, and every crossing opened; the browser's
 *  own base64 decoder was the one used (both browsers here have it). */
function check(results) {
  assert.equal(results.nativeBase64, true);
  assert.deepEqual(results.escaped.webCrypto, { ok: results.escaped.record }, 'escaped ciphertext, WebCrypto path');
  assert.deepEqual(results.escaped.core, { ok: results.escaped.record }, 'escaped ciphertext, core path');
  const vectors = smerVectors().cases;
  for (const c of results.crossed) assert.ok(c.ok, `${c.enc} ${c.size} bytes (pieces ${c.chunkBytes}) across the two paths`);
  assert.equal(results.crossed.length, 2 * 17);
  assert.equal(results.out.length, vectors.length);
  vectors.forEach((c, i) => {
    const r = results.out[i];
    const expected = c.expect === 'ok' ? { ok: c.record_hex } : { code: c.expect };
    assert.deepEqual(r.webCrypto, expected, `${c.name} (WebCrypto path)`);
    assert.deepEqual(r.inPieces, expected, `${c.name} (WebCrypto path, pieces of 48 bytes)`);
    assert.deepEqual(r.core, expected, `${c.name} (core path)`);
    assert.equal(r.extractable, false);
  });
}

test('every SMeR vector through the WebCrypto path in Chromium, as through the core', async () => {
  check(await site.inChromium('identity', inPage, smerVectors()));
});

test('every SMeR vector through the WebCrypto path in Firefox, as through the core', { skip: site.firefoxSkip }, async () => {
  check(await site.inFirefox('identity', inPage, smerVectors()));
});
