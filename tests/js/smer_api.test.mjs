// The JS API (the wasm-bindgen boundary) on every SMeR v1 vector, plus the error class,
// key handles and options. Runs the same data as the native and the Chromium tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSemres, smerVectors, hex, utf8 } from './helpers.mjs';
import { sealWithWebCrypto, openWithWebCrypto, smerHashWithWebCrypto } from '../../www/lib/webcrypto-ceda.js';

const semres = await loadSemres();
const vectors = smerVectors();
const keys = Object.fromEntries(
  Object.entries(vectors.keys).map(([name, k]) => [name, semres.PrivateKey.fromPem(k.private_pkcs8_pem)]),
);

test('every SMeR v1 vector through the JS API', () => {
  assert.ok(vectors.cases.length >= 60);
  for (const c of vectors.cases) {
    const options = c.limits ? { maxRecordBytes: c.limits.max_record_bytes } : undefined;
    const smer = utf8(c.smer);
    if (c.expect === 'ok') {
      const opened = semres.openSmer(smer, keys[c.key], options);
      assert.equal(hex(opened.record), c.record_hex, c.name);
      assert.equal(semres.smerHash(smer), c.smer_sha256, c.name);
      opened.free();
    } else {
      assert.throws(
        () => semres.openSmer(smer, keys[c.key], options),
        (e) => e instanceof Error && e.name === 'SemresError' && e.code === c.expect,
        `${c.name}: expected ${c.expect}`,
      );
    }
  }
});

test('every SMeR v1 vector through the WebCrypto path (RSA-OAEP with a non-extractable key, AES-CBC, HMAC; the core checks the rest): same results, same bytes', async () => {
  const webKeys = {};
  for (const [name, key] of Object.entries(keys)) {
    const der = key.exportPkcs8Der();
    webKeys[name] = await crypto.subtle.importKey('pkcs8', der, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']);
    der.fill(0);
    assert.equal(webKeys[name].extractable, false);
  }
  let opened = 0;
  for (const c of vectors.cases) {
    const options = c.limits ? { maxRecordBytes: c.limits.max_record_bytes } : undefined;
    // In the default pieces, and in pieces of 48 bytes (most records here cross an edge).
    for (const chunkBytes of [undefined, 48]) {
      const open = () => openWithWebCrypto(semres, utf8(c.smer), keys[c.key].keyId, webKeys[c.key], { options, chunkBytes });
      if (c.expect === 'ok') {
        const record = await open();
        assert.equal(hex(record.record), c.record_hex, `${c.name} (pieces ${chunkBytes})`);
        record.free();
        opened += 1;
      } else {
        await assert.rejects(open, (e) => e instanceof Error && e.name === 'SemresError' && e.code === c.expect, `${c.name} (pieces ${chunkBytes}): expected ${c.expect}`);
      }
    }
  }
  assert.ok(opened >= 20);
  // The SMeR hash by WebCrypto's SHA-256 is the core's.
  for (const c of vectors.cases) assert.equal(await smerHashWithWebCrypto(utf8(c.smer)), semres.smerHash(utf8(c.smer)), c.name);
  // Same bytes: for every valid vector, WebCrypto's AES-CBC and HMAC under the vector's own
  // content key and IV give exactly the SMeR's ciphertext and tag.
  for (const c of vectors.cases.filter((v) => v.expect === 'ok')) {
    const options = c.limits ? { maxRecordBytes: c.limits.max_record_bytes } : undefined;
    const smer = JSON.parse(c.smer);
    const parsed = semres.ParsedSmer.parse(utf8(c.smer), options);
    let cek = null;
    for (const wrapped of parsed.encryptedKeysFor(keys[c.key].keyId)) {
      try { cek = new Uint8Array(await crypto.subtle.decrypt({ name: 'RSA-OAEP' }, webKeys[c.key], wrapped)); break; } catch { /* next */ }
    }
    const half = cek.length / 2;
    const hash = parsed.enc === 'A128CBC-HS256' ? 'SHA-256' : 'SHA-512';
    const aes = await crypto.subtle.importKey('raw', cek.subarray(half), 'AES-CBC', false, ['encrypt']);
    const mac = await crypto.subtle.importKey('raw', cek.subarray(0, half), { name: 'HMAC', hash }, false, ['sign']);
    const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CBC', iv: parsed.iv }, aes, Buffer.from(c.record_hex, 'hex')));
    assert.equal(Buffer.from(ciphertext).toString('base64url'), smer.ciphertext, `${c.name}: ciphertext`);
    const input = parsed.macInput();
    assert.equal(Buffer.from(input.subarray(parsed.ciphertextOffset, input.length - 8)).toString('base64url'), smer.ciphertext);
    const tag = new Uint8Array(await crypto.subtle.sign('HMAC', mac, input)).subarray(0, half);
    assert.equal(Buffer.from(tag).toString('base64url'), smer.tag, `${c.name}: tag`);
    parsed.free();
  }
  // A spent ParsedSmer cannot be opened twice, and a wrong content key leaves it usable.
  const to = new semres.RecipientList();
  to.add(keys.bob.publicKey());
  const parsed = semres.ParsedSmer.parse(semres.sealSmer(utf8('synthetic'), to, { contentType: 'text/plain', ownerKeyId: keys.bob.keyId }));
  const wrong = new Uint8Array(64).fill(7);
  assert.throws(() => parsed.openWithContentKey(wrong), { code: 'DecryptionFailed' });
  assert.ok(wrong.every((b) => b === 0), 'the content key array is wiped');
  const [wrapped] = parsed.encryptedKeysFor(keys.bob.keyId);
  const cek = new Uint8Array(await crypto.subtle.decrypt({ name: 'RSA-OAEP' }, webKeys.bob, wrapped));
  assert.equal(new TextDecoder().decode(parsed.openWithContentKey(cek.slice()).record), 'synthetic');
  assert.throws(() => parsed.openWithContentKey(cek), { code: 'InvalidInput' });
  assert.throws(() => parsed.encryptedKeysFor(keys.alice.keyId), { code: 'InvalidInput' });
});

test('parseLeavingCiphertext: parse\'s checks and codes on every vector, and the ciphertext left in place decodes to parse\'s MAC input', () => {
  const outcome = (run) => {
    try {
      return { ok: run() };
    } catch (e) {
      return { code: e.code };
    }
  };
  let located = 0;
  for (const c of vectors.cases) {
    const options = c.limits ? { maxRecordBytes: c.limits.max_record_bytes } : undefined;
    const smer = utf8(c.smer);
    const whole = outcome(() => semres.ParsedSmer.parse(smer, options));
    const left = outcome(() => semres.ParsedSmer.parseLeavingCiphertext(smer, options));
    assert.deepEqual(Object.keys(left), Object.keys(whole), `${c.name}: both parse or both refuse`);
    if (whole.code) {
      assert.equal(left.code, whole.code, c.name);
      continue;
    }
    const expected = whole.ok.macInput();
    const parsed = left.ok;
    assert.notEqual(parsed.ciphertextStart, undefined, c.name);
    const text = Buffer.from(smer.subarray(parsed.ciphertextStart, parsed.ciphertextEnd)).toString('latin1');
    // The same MAC input (AAD, IV, ciphertext, AL): the HMAC of the text left in place, fed
    // in pieces, is the HMAC of the whole parse's MAC input, under any content key.
    const cek = new Uint8Array({ 'A128CBC-HS256': 32, 'A256CBC-HS512': 64 }[parsed.enc]).map((_, i) => i * 5 + 1);
    const ciphertext = Buffer.from(text, 'base64url');
    const leftMac = parsed.contentMac(cek);
    for (let at = 0; at < ciphertext.length; at += 48) leftMac.update(ciphertext.subarray(at, at + 48));
    const wholeMac = whole.ok.contentMac(cek);
    wholeMac.update(expected.subarray(whole.ok.ciphertextOffset, expected.length - 8));
    assert.equal(hex(leftMac.finish()), hex(wholeMac.finish()), `${c.name}: MAC input`);
    assert.throws(() => leftMac.finish(), (e) => e.code === 'InvalidInput', 'a ContentMac is finished once');
    assert.throws(() => leftMac.update(ciphertext), (e) => e.code === 'InvalidInput', 'a ContentMac is finished once');
    assert.throws(() => parsed.contentMac(cek.subarray(1)), (e) => e.code === 'InvalidInput', 'a content key of the wrong length');
    leftMac.free();
    wholeMac.free();
    assert.equal(parsed.ciphertextLength, whole.ok.ciphertextLength, c.name);
    assert.equal(ciphertext.length, parsed.ciphertextLength, c.name);
    // It holds no ciphertext: no MAC input of its own, and no content key opens it.
    assert.throws(() => parsed.macInput(), (e) => e.code === 'InvalidInput', c.name);
    whole.ok.free();
    parsed.free();
    located += 1;
  }
  assert.ok(located >= 10, `${located} valid SMeRs`);
  // A ciphertext written with a JSON escape (the same value) is decoded by the core: no span.
  const valid = vectors.cases.find((c) => c.expect === 'ok');
  const escaped = valid.smer.replace(/"ciphertext":"(.)/, (_, ch) => `"ciphertext":"\\u00${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
  assert.notEqual(escaped, valid.smer);
  // Not a Uint8Array: a typed error, not a crash.
  for (const wrong of ['{}', [1, 2], null, new ArrayBuffer(8), new Uint16Array(4)]) {
    assert.throws(() => semres.ParsedSmer.parseLeavingCiphertext(wrong), (e) => e.code === 'InvalidInput', String(wrong));
  }
  // A view of a larger buffer is read at its own offset.
  const padded = new Uint8Array(utf8(valid.smer).length + 20);
  padded.set(utf8(valid.smer), 7);
  const view = padded.subarray(7, 7 + utf8(valid.smer).length);
  const fromView = semres.ParsedSmer.parseLeavingCiphertext(view);
  const direct = semres.ParsedSmer.parseLeavingCiphertext(utf8(valid.smer));
  assert.equal(fromView.ciphertextStart, direct.ciphertextStart);
  assert.equal(fromView.ciphertextEnd, direct.ciphertextEnd);
  assert.equal(fromView.ciphertextLength, direct.ciphertextLength);
  fromView.free();
  direct.free();
  const parsed = semres.ParsedSmer.parseLeavingCiphertext(utf8(escaped));
  assert.equal(parsed.ciphertextStart, undefined);
  assert.equal(hex(parsed.macInput()), hex(semres.ParsedSmer.parse(utf8(valid.smer)).macInput()));
  parsed.free();
});

test('sealed with WebCrypto under the core, opened by the core — and the other way round — at every size edge, both enc', async () => {
  const { bob } = keys;
  const der = bob.exportPkcs8Der();
  const webKey = await crypto.subtle.importKey('pkcs8', der, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']);
  der.fill(0);
  const to = new semres.RecipientList();
  to.add(bob.publicKey());
  to.add(keys.alice.publicKey());
  // The default pieces, and pieces of 48 and 96 bytes so that small records cross their edges.
  const sizes = [[undefined, [0, 1, 15, 16, 17, 1 << 20]], [48, [0, 1, 31, 32, 33, 47, 48, 49, 95, 96, 97, 200]], [96, [95, 96, 112, 191, 192, 193]]];
  for (const enc of ['A256CBC-HS512', 'A128CBC-HS256']) {
    for (const [chunkBytes, edges] of sizes) for (const size of edges) {
      const record = crypto.getRandomValues(new Uint8Array(size > 65536 ? 65536 : size));
      const full = size > 65536 ? new Uint8Array(size).map((_, i) => record[i % record.length]) : record;
      const options = { contentType: 'application/octet-stream', ownerKeyId: bob.keyId, enc, fileName: 'r.bin', createdAt: 1700000000 };
      const web = await sealWithWebCrypto(semres, full, to, options, { chunkBytes });
      const byCore = semres.openSmer(web, bob);
      assert.equal(Buffer.compare(byCore.record, full), 0, `${enc} ${size} (pieces ${chunkBytes}): WebCrypto seal, core open`);
      assert.equal(byCore.enc, enc);
      assert.equal(byCore.header.fileName, 'r.bin');
      const core = semres.sealSmer(full, to, options);
      const byWeb = await openWithWebCrypto(semres, core, bob.keyId, webKey, { chunkBytes });
      assert.equal(Buffer.compare(byWeb.record, full), 0, `${enc} ${size} (pieces ${chunkBytes}): core seal, WebCrypto open`);
      assert.equal(byWeb.record.length, size, 'the record alone, not a view of a larger buffer');
      assert.equal(byWeb.record.buffer.byteLength, size);
      assert.equal(byWeb.header.ownerKeyId, bob.keyId);
      byWeb.free();
      // The two SMeRs differ only in what is drawn fresh (record id, key, IV, OAEP seeds).
      const [a, b] = [JSON.parse(new TextDecoder().decode(web)), JSON.parse(new TextDecoder().decode(core))];
      assert.deepEqual(Object.keys(a), Object.keys(b));
      assert.equal(a.ciphertext.length, b.ciphertext.length);
    }
  }
  // The plan refuses what sealSmer refuses, and a ciphertext of the wrong length.
  const code = async (fn) => { try { await fn(); } catch (e) { return e.code; } return 'no error'; };
  assert.equal(await code(() => sealWithWebCrypto(semres, utf8('x'), to, { contentType: 'no media type', ownerKeyId: bob.keyId })), 'InvalidInput');
  for (const chunkBytes of [0, 16, 50, -48, 1.5 * 48, Infinity]) {
    assert.equal(await code(() => sealWithWebCrypto(semres, utf8('x'), to, { contentType: 'text/plain', ownerKeyId: bob.keyId }, { chunkBytes })), 'InvalidInput', `pieces of ${chunkBytes}`);
  }
  const plan = semres.SealPlan.forRecord(1, to, { contentType: 'text/plain', ownerKeyId: bob.keyId });
  assert.equal(plan.recipientCount, 2);
  assert.equal(await code(() => plan.finish(new Uint8Array(16), new Uint8Array(32))), 'InvalidInput', 'no wrapped keys yet');
  assert.equal(await code(() => plan.setEncryptedKey(0, new Uint8Array(100))), 'InvalidInput', 'not the modulus length');
  assert.equal(await code(() => plan.setEncryptedKey(2, new Uint8Array(384))), 'InvalidInput', 'no such recipient');
  plan.wrapAll();
  assert.equal(await code(() => plan.finish(new Uint8Array(32), new Uint8Array(32))), 'InvalidInput', 'not the ciphertext length of 1 byte');
  // The core's own wraps and WebCrypto's open alike (the plan finished by WebCrypto's AES and HMAC).
  const cek = plan.contentKey();
  const half = cek.length / 2;
  const aes = await crypto.subtle.importKey('raw', cek.subarray(half), 'AES-CBC', false, ['encrypt']);
  const hmac = await crypto.subtle.importKey('raw', cek.subarray(0, half), { name: 'HMAC', hash: 'SHA-512' }, false, ['sign']);
  cek.fill(0);
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CBC', iv: plan.iv }, aes, utf8('x')));
  const input = new Uint8Array([...plan.aad, ...plan.iv, ...ct, 0, 0, 0, 0, 0, 0, 0, 0]);
  new DataView(input.buffer).setBigUint64(input.length - 8, BigInt(plan.aad.length) * 8n);
  const made = plan.finish(ct, new Uint8Array(await crypto.subtle.sign('HMAC', hmac, input)).subarray(0, half));
  assert.equal(new TextDecoder().decode(semres.openSmer(made, bob).record), 'x');
  assert.equal(new TextDecoder().decode(semres.openSmer(made, keys.alice).record), 'x');
  // A tampered SMeR is refused through WebCrypto as through the core.
  const sealed = await sealWithWebCrypto(semres, utf8('synthetic'), to, { contentType: 'text/plain', ownerKeyId: bob.keyId });
  const json = JSON.parse(new TextDecoder().decode(sealed));
  json.ciphertext = `${json.ciphertext[0] === 'A' ? 'B' : 'A'}${json.ciphertext.slice(1)}`;
  const tampered = utf8(JSON.stringify(json));
  assert.equal(await code(() => openWithWebCrypto(semres, tampered, bob.keyId, webKey)), 'DecryptionFailed');
  assert.equal(await code(() => semres.openSmer(tampered, bob)), 'DecryptionFailed');
});

test('key ids of the vector keys are their RFC 7638 thumbprints', () => {
  for (const [name, k] of Object.entries(vectors.keys)) {
    assert.equal(keys[name].keyId, k.key_id);
    assert.equal(keys[name].publicKey().keyId, k.key_id);
  }
});

test('seal and open round trip, both enc, three recipients, metadata', () => {
  const [a, b, c] = [keys.alice, keys.bob, keys.carol];
  for (const enc of ['A256CBC-HS512', 'A128CBC-HS256']) {
    for (const size of [0, 1, 15, 16, 17, 1 << 20]) {
      const record = new Uint8Array(size).map((_, i) => (i * 13) & 0xff);
      const to = new semres.RecipientList();
      for (const k of [a, b, c]) to.add(k.publicKey());
      assert.equal(to.length, 3);
      const smer = semres.sealSmer(record, to, {
        contentType: 'application/fhir+json', ownerKeyId: a.keyId, enc, fileName: 'bundle.json', createdAt: 1795564800, recordId: 'rec-1',
      });
      const info = semres.inspectSmer(smer);
      assert.deepEqual(info.recipientKeyIds, [a.keyId, b.keyId, c.keyId]);
      assert.equal(info.enc, enc);
      for (const k of [a, b, c]) {
        const opened = semres.openSmer(smer, k);
        assert.equal(Buffer.compare(Buffer.from(opened.record), Buffer.from(record)), 0);
        const h = opened.header;
        assert.equal(h.contentType, 'application/fhir+json');
        assert.equal(h.ownerKeyId, a.keyId);
        assert.equal(h.fileName, 'bundle.json');
        assert.equal(h.createdAt, 1795564800);
        assert.equal(h.recordId, 'rec-1');
        assert.equal(h.version, 1);
        assert.equal(opened.enc, enc);
      }
      assert.throws(() => semres.openSmer(smer, keys.mallory), { name: 'SemresError', code: 'NoMatchingRecipient' });
    }
  }
});

test('createdAt defaults to the current time', () => {
  const to = new semres.RecipientList();
  to.add(keys.bob.publicKey());
  const before = Math.floor(Date.now() / 1000);
  const smer = semres.sealSmer(utf8('x'), to, { contentType: 'text/plain', ownerKeyId: keys.alice.keyId });
  const created = semres.inspectSmer(smer).header.createdAt;
  assert.ok(created >= before && created <= before + 5, `${created} vs ${before}`);
});

test('bad requests are SemresError with a stable code, never a crash', () => {
  const to = new semres.RecipientList();
  const code = (fn) => { try { fn(); } catch (e) { assert.equal(e.name, 'SemresError'); assert.ok(e instanceof Error); return e.code; } return 'no error'; };
  assert.equal(code(() => semres.sealSmer(utf8('x'), to, { contentType: 'text/plain', ownerKeyId: 'k' })), 'InvalidInput');
  to.add(keys.bob.publicKey());
  assert.equal(code(() => semres.sealSmer(utf8('x'), to, { contentType: 'text/plain' })), 'InvalidInput');
  assert.equal(code(() => semres.sealSmer(utf8('x'), to, { contentType: 'text/plain', ownerKeyId: 'k', bogus: 1 })), 'InvalidInput');
  assert.equal(code(() => semres.sealSmer(utf8('x'), to, { contentType: 'text/plain', ownerKeyId: 'k', enc: 'A256GCM' })), 'UnsupportedAlgorithm');
  assert.equal(code(() => semres.sealSmer(utf8('xx'), to, { contentType: 'text/plain', ownerKeyId: 'k', maxRecordBytes: 1 })), 'TooLarge');
  assert.equal(code(() => semres.sealSmer(utf8('x'), to, { contentType: 'text/plain', ownerKeyId: 'k', createdAt: 1.5 })), 'InvalidInput');
  assert.equal(code(() => semres.PrivateKey.generate(1024)), 'UnsupportedKeySize');
  assert.equal(code(() => semres.PublicKey.fromText('not a key')), 'KeyFormat');
  assert.equal(code(() => semres.PublicKey.fromJwk('{"kty":"RSA"')), 'KeyFormat');
  assert.equal(code(() => semres.openSmer(new Uint8Array([0xff, 0xfe]), keys.bob)), 'MalformedSmer');
  assert.equal(code(() => semres.openSmer(utf8('{}'), keys.bob, { maxRecordBytes: -1 })), 'InvalidInput');
  // Random garbage of many shapes: always a SemresError, and the module stays alive.
  let seed = 1;
  const rand = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
  for (let i = 0; i < 300; i += 1) {
    const junk = new Uint8Array(rand() % 300).map(() => rand() & 0xff);
    assert.equal(typeof code(() => semres.openSmer(junk, keys.bob)), 'string');
  }
  const smer = semres.sealSmer(utf8('still alive'), to, { contentType: 'text/plain', ownerKeyId: 'k' });
  assert.equal(new TextDecoder().decode(semres.openSmer(smer, keys.bob).record), 'still alive');
});

test('keys: PEM and JWK export and import through the JS API', () => {
  const key = keys.carol;
  const pem = key.exportPkcs8Pem();
  assert.match(pem, /^-----BEGIN PRIVATE KEY-----/);
  assert.equal(semres.PrivateKey.fromPem(pem).keyId, key.keyId);
  assert.equal(semres.PrivateKey.fromText(key.exportJwk()).keyId, key.keyId);
  const pub = key.publicKey();
  assert.equal(semres.PublicKey.fromPem(pub.toPem()).keyId, key.keyId);
  const jwk = JSON.parse(pub.toJwk());
  assert.deepEqual(Object.keys(jwk).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
  assert.equal(jwk.kid, key.keyId);
  assert.equal(pub.bits, 2048);
});

test('a generated key is 3072 bits by default and works with WebCrypto', async () => {
  const key = semres.PrivateKey.generate();
  const pub = key.publicKey();
  assert.equal(pub.bits, 3072);
  // Node's WebCrypto imports our public JWK as RSA-OAEP-256 and wraps a key we then unwrap
  // inside a SMeR built by hand would need jose; here: import succeeds and the modulus matches.
  const imported = await crypto.subtle.importKey('jwk', JSON.parse(pub.toJwk()), { name: 'RSA-OAEP', hash: 'SHA-256' }, true, ['encrypt']);
  const exported = await crypto.subtle.exportKey('jwk', imported);
  assert.equal(exported.n, JSON.parse(pub.toJwk()).n);
  key.free();
});
