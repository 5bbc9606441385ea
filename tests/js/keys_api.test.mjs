// Key formats, signing keys and identities through the JS API, checked against what others
// implement: WebCrypto imports our JWKs and verifies our Ed25519 signatures, and jose opens
// an identity file with its passphrase.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import { loadSemres, smerVectors, utf8 } from './helpers.mjs';

const semres = await loadSemres();
const pem = smerVectors().keys.alice.private_pkcs8_pem;
const code = (fn) => { try { fn(); } catch (e) { assert.equal(e.name, 'SemresError'); return e.code; } return 'no error'; };

test('RSA private key: every format out and back in', () => {
  const key = semres.PrivateKey.fromPem(pem);
  const id = key.keyId;
  for (const text of [key.exportPkcs8Pem(), key.exportPkcs1Pem(), key.exportJwk(), key.exportDotnetXml()]) {
    assert.equal(semres.PrivateKey.fromText(text).keyId, id);
    assert.equal(semres.PublicKey.fromText(text).keyId, id);
  }
  const encrypted = key.exportEncryptedPkcs8Pem('pass phrase');
  assert.match(encrypted, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
  assert.equal(semres.PrivateKey.fromText(encrypted, 'pass phrase').keyId, id);
  assert.equal(semres.PrivateKey.fromPem(encrypted, 'pass phrase').keyId, id);
  assert.equal(code(() => semres.PrivateKey.fromText(encrypted, 'wrong')), 'WrongPassphrase');
  assert.equal(code(() => semres.PrivateKey.fromText(encrypted)), 'PassphraseRequired');
  const pub = key.publicKey();
  for (const text of [pub.toPem(), pub.toPkcs1Pem(), pub.toJwk(), pub.toDotnetXml()]) {
    assert.equal(semres.PublicKey.fromText(text).keyId, id);
  }
  assert.match(pub.toDotnetXml(), /^<RSAKeyValue><Modulus>[A-Za-z0-9+/=]+<\/Modulus><Exponent>AQAB<\/Exponent><\/RSAKeyValue>$/);
});

test('our RSA JWKs import into WebCrypto, and a key WebCrypto made opens what we seal to it', async () => {
  const pair = await crypto.subtle.generateKey({ name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['encrypt', 'decrypt']);
  const jwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
  const ours = semres.PrivateKey.fromJwk(JSON.stringify(jwk));
  const back = JSON.parse(ours.exportJwk());
  const reimported = await crypto.subtle.importKey('jwk', back, { name: 'RSA-OAEP', hash: 'SHA-256' }, true, ['decrypt']);
  // WebCrypto decrypts an RSA-OAEP-256 wrap made by the JWE we seal (via jose's view of it).
  const to = new semres.RecipientList();
  to.add(ours.publicKey());
  const smer = JSON.parse(new TextDecoder().decode(semres.sealSmer(utf8('x'), to, { contentType: 'text/plain', ownerKeyId: ours.keyId })));
  const cek = await crypto.subtle.decrypt({ name: 'RSA-OAEP' }, reimported, jose.base64url.decode(smer.recipients[0].encrypted_key));
  assert.equal(cek.byteLength, 64);
});

test('Ed25519: formats, and WebCrypto verifies our signatures and we verify its', async () => {
  const key = semres.SigningPrivateKey.generate();
  const pub = key.publicKey();
  for (const text of [key.exportPkcs8Pem(), key.exportJwk()]) assert.equal(semres.SigningPrivateKey.fromText(text).keyId, key.keyId);
  assert.equal(semres.SigningPrivateKey.fromText(key.exportEncryptedPkcs8Pem('pw'), 'pw').keyId, key.keyId);
  for (const text of [pub.toPem(), pub.toJwk()]) assert.equal(semres.SigningPublicKey.fromText(text).keyId, key.keyId);
  const message = utf8('grant rec-1 to Lawson');
  const signature = key.sign(message);
  assert.equal(signature.length, 64);
  assert.ok(pub.verify(message, signature));
  assert.ok(!pub.verify(utf8('grant rec-1 to Mallory'), signature));
  const webPub = await crypto.subtle.importKey('jwk', JSON.parse(pub.toJwk()), { name: 'Ed25519' }, true, ['verify']);
  assert.ok(await crypto.subtle.verify({ name: 'Ed25519' }, webPub, signature, message));
  const webPair = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const theirs = semres.SigningPrivateKey.fromText(JSON.stringify(await crypto.subtle.exportKey('jwk', webPair.privateKey)));
  const theirSig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, webPair.privateKey, message));
  assert.ok(theirs.publicKey().verify(message, theirSig));
});

test('identity around a key WebCrypto generated: the PKCS#8 bytes are wiped, the key seals and opens', async () => {
  const pair = await crypto.subtle.generateKey({ name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['encrypt', 'decrypt']);
  const der = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  const expected = semres.PublicKey.fromJwk(JSON.stringify(await crypto.subtle.exportKey('jwk', pair.publicKey))).keyId;
  const identity = semres.Identity.withEncryptionKey('David (synthetic)', der);
  assert.ok(der.every((b) => b === 0), 'the PKCS#8 bytes are zeroed once read');
  const key = identity.encryptionKey();
  assert.equal(key.keyId, expected);
  const to = new semres.RecipientList();
  to.add(key.publicKey());
  const opened = semres.openSmer(semres.sealSmer(utf8('synthetic note'), to, { contentType: 'text/plain', ownerKeyId: key.keyId }), key);
  assert.equal(new TextDecoder().decode(opened.record), 'synthetic note');
  // It survives the identity file, like a generated one.
  assert.equal(semres.Identity.import(identity.export('a long passphrase', 1000), 'a long passphrase').encryptionKey().keyId, expected);
  // Not a key, or a key below 2048 bits: refused, and the bytes are still wiped.
  const junk = utf8('not a key');
  assert.equal(code(() => semres.Identity.withEncryptionKey('x', junk)), 'KeyFormat');
  assert.ok(junk.every((b) => b === 0));
  const small = await crypto.subtle.generateKey({ name: 'RSA-OAEP', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['encrypt', 'decrypt']);
  const smallDer = new Uint8Array(await crypto.subtle.exportKey('pkcs8', small.privateKey));
  assert.equal(code(() => semres.Identity.withEncryptionKey('x', smallDer)), 'UnsupportedKeySize');
});

test('identity: export, import, wrong passphrase, and jose opens it with the passphrase', async () => {
  const identity = semres.Identity.generate('Lawson (synthetic)', 2048);
  const file = identity.export('a long passphrase', 1000);
  const back = semres.Identity.import(file, 'a long passphrase');
  assert.equal(back.name, 'Lawson (synthetic)');
  assert.equal(back.encryptionKey().keyId, identity.encryptionKey().keyId);
  assert.equal(back.signingKey().keyId, identity.signingKey().keyId);
  assert.equal(code(() => semres.Identity.import(file, 'a long passphrasE')), 'WrongPassphrase');
  const jwe = JSON.parse(new TextDecoder().decode(file));
  const { plaintext, protectedHeader } = await jose.flattenedDecrypt(jwe, utf8('a long passphrase'), {
    keyManagementAlgorithms: ['PBES2-HS512+A256KW'], maxPBES2Count: 10_000_000,
  });
  assert.equal(protectedHeader.typ, 'semres-identity+jwe');
  const content = JSON.parse(new TextDecoder().decode(plaintext));
  assert.equal(content.name, 'Lawson (synthetic)');
  assert.equal(content.encryption_key.kid, identity.encryptionKey().keyId);
  assert.equal(content.signing_key.crv, 'Ed25519');
  // And we open an identity file jose wrote (PBES2 with its own salt and count).
  const rewritten = await new jose.FlattenedEncrypt(plaintext)
    .setProtectedHeader({ alg: 'PBES2-HS512+A256KW', enc: 'A256CBC-HS512' })
    .setKeyManagementParameters({ p2c: 5000 })
    .encrypt(utf8('other passphrase'));
  assert.equal(semres.Identity.import(utf8(JSON.stringify(rewritten)), 'other passphrase').name, 'Lawson (synthetic)');
});
