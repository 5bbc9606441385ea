// SEMRES benchmark page (run by tests/bench/run.mjs in headless Chromium): the same CEDA
// operations with SEMRES's WASM core and with what a user would pick instead — WebCrypto
// composed by hand (same algorithms), panva/jose (same alg/enc) and openpgp.js (RSA-3072).
import init, * as semres from '/pkg/semres.js';
import * as jose from '/jose/index.js';
import * as openpgp from '/openpgp/openpgp.min.mjs';
import { sealWithWebCrypto, openWithWebCrypto, smerHashWithWebCrypto } from '/lib/webcrypto-ceda.js';
import { verifyChainSpread } from '/lib/chain-verify.js';

const te = new TextEncoder();
const td = new TextDecoder();
const now = () => performance.now();

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// One sample repeats the operation until at least 20 ms have passed (the page's timer is
// coarse), and reports the mean per operation; the figure is the median of the samples.
async function measure(fn, runs) {
  await fn(); // warm-up, not counted
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    let n = 0;
    const t = now();
    do {
      await fn();
      n += 1;
    } while (now() - t < 20);
    times.push((now() - t) / n);
  }
  return { median_ms: median(times), runs, times };
}

function randomBytes(n) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

const b64u = (bytes) => bytes.toBase64({ alphabet: 'base64url', omitPadding: true });
const unb64u = (text) => Uint8Array.fromBase64(text, { alphabet: 'base64url' });

// RSA-OAEP-256 + A256CBC-HS512 (RFC 7518 §5.2) composed from WebCrypto primitives.
async function webcryptoSeal(record, publicKey) {
  const cek = crypto.getRandomValues(new Uint8Array(64));
  const iv = crypto.getRandomValues(new Uint8Array(16));
  const protectedB64 = b64u(te.encode(JSON.stringify({ alg: 'RSA-OAEP-256', enc: 'A256CBC-HS512' })));
  const aad = te.encode(protectedB64);
  const encKey = await crypto.subtle.importKey('raw', cek.subarray(32), 'AES-CBC', false, ['encrypt']);
  const macKey = await crypto.subtle.importKey('raw', cek.subarray(0, 32), { name: 'HMAC', hash: 'SHA-512' }, false, ['sign']);
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CBC', iv }, encKey, record));
  const al = new Uint8Array(8);
  new DataView(al.buffer).setBigUint64(0, BigInt(aad.length * 8));
  const macInput = new Uint8Array(aad.length + 16 + ct.length + 8);
  macInput.set(aad); macInput.set(iv, aad.length); macInput.set(ct, aad.length + 16); macInput.set(al, aad.length + 16 + ct.length);
  const tag = new Uint8Array(await crypto.subtle.sign('HMAC', macKey, macInput)).subarray(0, 32);
  const ek = new Uint8Array(await crypto.subtle.encrypt({ name: 'RSA-OAEP' }, publicKey, cek));
  return te.encode(JSON.stringify({ protected: protectedB64, recipients: [{ encrypted_key: b64u(ek) }], iv: b64u(iv), ciphertext: b64u(ct), tag: b64u(tag) }));
}

async function webcryptoOpen(bytes, privateKey) {
  const jwe = JSON.parse(td.decode(bytes));
  const cek = new Uint8Array(await crypto.subtle.decrypt({ name: 'RSA-OAEP' }, privateKey, unb64u(jwe.recipients[0].encrypted_key)));
  const aad = te.encode(jwe.protected);
  const iv = unb64u(jwe.iv);
  const ct = unb64u(jwe.ciphertext);
  const macKey = await crypto.subtle.importKey('raw', cek.subarray(0, 32), { name: 'HMAC', hash: 'SHA-512' }, false, ['sign']);
  const al = new Uint8Array(8);
  new DataView(al.buffer).setBigUint64(0, BigInt(aad.length * 8));
  const macInput = new Uint8Array(aad.length + 16 + ct.length + 8);
  macInput.set(aad); macInput.set(iv, aad.length); macInput.set(ct, aad.length + 16); macInput.set(al, aad.length + 16 + ct.length);
  const tag = new Uint8Array(await crypto.subtle.sign('HMAC', macKey, macInput)).subarray(0, 32);
  const given = unb64u(jwe.tag);
  let diff = given.length ^ 32;
  for (let i = 0; i < 32; i += 1) diff |= tag[i] ^ given[i];
  if (diff) throw new Error('tag mismatch');
  const encKey = await crypto.subtle.importKey('raw', cek.subarray(32), 'AES-CBC', false, ['decrypt']);
  return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-CBC', iv }, encKey, ct));
}

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 4096) if (a[i] !== b[i]) return false;
  return a[a.length - 1] === b[b.length - 1];
}

window.runBench = async function runBench(config) {
  await init();
  const status = document.getElementById('status');
  const rows = [];
  const add = (op, size, impl, m) => rows.push({ op, size, impl, ...m, mb_per_s: size ? (size / 1048576) / (m.median_ms / 1000) : null });

  status.textContent = 'keys';
  const ours = semres.PrivateKey.fromPem(config.pkcs8Pem);
  const to = new semres.RecipientList();
  to.add(ours.publicKey());
  const jwk = JSON.parse(ours.exportJwk());
  delete jwk.kid; delete jwk.alg; delete jwk.use;
  const webPriv = await crypto.subtle.importKey('jwk', { ...jwk, alg: 'RSA-OAEP-256' }, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']);
  const pubJwk = { kty: 'RSA', n: jwk.n, e: jwk.e, alg: 'RSA-OAEP-256' };
  const webPub = await crypto.subtle.importKey('jwk', pubJwk, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
  const josePriv = await jose.importJWK({ ...jwk, alg: 'RSA-OAEP-256' }, 'RSA-OAEP-256');
  const josePub = await jose.importJWK(pubJwk, 'RSA-OAEP-256');
  const pgpKey = await openpgp.readPrivateKey({ armoredKey: config.openpgpKey });
  const pgpPub = pgpKey.toPublic();

  for (const size of config.sizes) {
    const runs = size >= 32 << 20 ? config.bigRuns : size >= 1 << 20 ? config.midRuns : config.smallRuns;
    status.textContent = `size ${size}`;
    const record = randomBytes(size);
    const opts = { contentType: 'application/octet-stream', ownerKeyId: ours.keyId };

    let smer = semres.sealSmer(record, to, opts);
    add('seal', size, 'SEMRES (WASM)', await measure(() => { smer = semres.sealSmer(record, to, opts); }, runs));
    add('seal', size, 'SEMRES (site: WebCrypto under the core)', await measure(async () => { await sealWithWebCrypto(semres, record, to, opts); }, runs));
    add('open', size, 'SEMRES (WASM)', await measure(() => { const o = semres.openSmer(smer, ours); if (!sameBytes(o.record, record)) throw new Error('ours'); o.free(); }, runs));
    add('open', size, 'SEMRES (site: WebCrypto under the core)', await measure(async () => {
      const o = await openWithWebCrypto(semres, smer, ours.keyId, webPriv);
      if (!sameBytes(o.record, record)) throw new Error('ours (WebCrypto RSA)');
      o.free();
    }, runs));
    add('SMeR hash', smer.length, 'SEMRES (WASM)', await measure(() => semres.smerHash(smer), runs));
    add('SMeR hash', smer.length, 'WebCrypto', await measure(() => crypto.subtle.digest('SHA-256', smer), runs));
    add('SMeR hash', smer.length, 'SEMRES (site: WebCrypto under the core)', await measure(() => smerHashWithWebCrypto(smer), runs));

    let web = await webcryptoSeal(record, webPub);
    add('seal', size, 'WebCrypto', await measure(async () => { web = await webcryptoSeal(record, webPub); }, runs));
    add('open', size, 'WebCrypto', await measure(async () => { if (!sameBytes(await webcryptoOpen(web, webPriv), record)) throw new Error('web'); }, runs));
    web = null;

    const joseSeal = async () => {
      const e = new jose.GeneralEncrypt(record).setProtectedHeader({ enc: 'A256CBC-HS512', alg: 'RSA-OAEP-256' });
      e.addRecipient(josePub);
      return te.encode(JSON.stringify(await e.encrypt()));
    };
    let joseOut = await joseSeal();
    add('seal', size, 'jose', await measure(async () => { joseOut = await joseSeal(); }, runs));
    add('open', size, 'jose', await measure(async () => { const r = await jose.generalDecrypt(JSON.parse(td.decode(joseOut)), josePriv); if (!sameBytes(r.plaintext, record)) throw new Error('jose'); }, runs));
    // Cross-check: jose opens ours.
    const cross = await jose.generalDecrypt(JSON.parse(td.decode(smer)), josePriv);
    if (!sameBytes(cross.plaintext, record)) throw new Error('jose cannot open ours');
    joseOut = null;

    const pgpSeal = async () => openpgp.encrypt({ message: await openpgp.createMessage({ binary: record }), encryptionKeys: pgpPub, format: 'binary' });
    let pgpOut = await pgpSeal();
    add('seal', size, 'openpgp.js', await measure(async () => { pgpOut = await pgpSeal(); }, runs));
    add('open', size, 'openpgp.js', await measure(async () => {
      const { data } = await openpgp.decrypt({ message: await openpgp.readMessage({ binaryMessage: pgpOut }), decryptionKeys: pgpKey, format: 'binary' });
      if (!sameBytes(data, record)) throw new Error('pgp');
    }, runs));
    pgpOut = null;
    smer = null;
  }

  status.textContent = 'keygen';
  add('RSA-3072 keygen', 0, 'SEMRES (WASM)', await measure(() => semres.PrivateKey.generate(3072).free(), config.keygenRuns));
  // The site's way (www/worker.js generateIdentity): WebCrypto generates the key, exports
  // it as PKCS#8, and the core builds the identity around it (with a new Ed25519 key).
  add('RSA-3072 keygen', 0, 'SEMRES (site: WebCrypto under the core)', await measure(async () => {
    const pair = await crypto.subtle.generateKey({ name: 'RSA-OAEP', modulusLength: 3072, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['encrypt', 'decrypt']);
    semres.Identity.withEncryptionKey('bench', new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey))).free();
  }, config.keygenRuns));
  add('RSA-3072 keygen', 0, 'WebCrypto', await measure(() => crypto.subtle.generateKey({ name: 'RSA-OAEP', modulusLength: 3072, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['encrypt', 'decrypt']), config.keygenRuns));
  add('RSA-3072 keygen', 0, 'jose', await measure(() => jose.generateKeyPair('RSA-OAEP-256', { modulusLength: 3072 }), config.keygenRuns));
  add('RSA-3072 keygen', 0, 'openpgp.js', await measure(() => openpgp.generateKey({ type: 'rsa', rsaBits: 3072, userIDs: [{ name: 'bench' }], format: 'object' }), config.keygenRuns));
  status.textContent = 'done';
  return rows;
};
document.getElementById('status').textContent = 'ready';

// Ledger: verify a 100,000-block chain (structural against a signed checkpoint, and full),
// and one inclusion proof in a 1,000,000-block log, with the files bench-ledger wrote.
window.runLedgerBench = async function runLedgerBench(config) {
  await init();
  const get = async (name) => new Uint8Array(await (await fetch(`/ledger-data/${name}`)).arrayBuffer());
  const text = async (name) => (await fetch(`/ledger-data/${name}`)).text();
  const chain = await get('chain.bin');
  const authorities = new semres.SigningKeyList();
  authorities.add(semres.SigningPublicKey.fromBytes(await get('authority.pub')));
  const note = await text('chain.checkpoint');
  const rows = [];
  const time = async (fn, runs) => {
    const times = [];
    for (let i = 0; i < runs; i += 1) {
      const t = now();
      await fn();
      times.push(now() - t);
    }
    return median(times);
  };
  rows.push({ op: `structural verify, ${config.blocks} blocks + checkpoint`, ms: await time(() => {
    const cp = semres.verifyCheckpoint(note, authorities);
    const report = semres.verifyChainStructure(chain);
    if (report.rootBase64 !== cp.rootBase64 || report.size !== cp.size) throw new Error('root mismatch');
  }, config.structuralRuns) });
  rows.push({ op: `full verify, ${config.blocks} blocks`, ms: await time(() => semres.verifyChain(chain), config.fullRuns) });
  const block = await get('big.block');
  const proof = await get('big.proof');
  const bigCp = semres.verifyCheckpoint(await text('big.checkpoint'), authorities);
  const n = 1000;
  const t = now();
  for (let i = 0; i < n; i += 1) semres.verifyInclusion(block, config.inclusionIndex, proof, bigCp);
  rows.push({ op: 'inclusion proof verify, log of 1,000,000', ms: (now() - t) / n });
  // The site's auditor: the same full verification, its Ed25519 verifications spread over
  // the machine's cores (lib/chain-verify.js; helpers included in the time), made by
  // WebCrypto where it answers the core's probes (SPEC §4.4; the site's way), and all in the
  // core.
  for (const webCrypto of [true, false]) {
    const counts = { webCrypto: 0, core: 0 };
    const ms = await time(async () => {
      const report = await verifyChainSpread(semres, chain, null, { webCrypto, counts });
      if (report.size !== config.blocks) throw new Error('spread verification size');
    }, config.fullRuns);
    const by = webCrypto ? `WebCrypto made ${counts.webCrypto / config.fullRuns}, the core ${counts.core / config.fullRuns} (the site's)` : 'all in the core';
    rows.push({ op: `full verify, ${config.blocks} blocks, over ${navigator.hardwareConcurrency} threads, ${by}`, ms });
  }
  return rows;
};
