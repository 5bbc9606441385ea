// Interoperability with panva/jose, a JOSE implementation no one here wrote:
// jose opens our SMeRs, and we open JWEs that jose made — both enc values, two recipients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import { loadSemres, smerVectors, utf8 } from './helpers.mjs';

const semres = await loadSemres();
const vectors = smerVectors();
const ourKey = (name) => semres.PrivateKey.fromPem(vectors.keys[name].private_pkcs8_pem);
const joseKey = (name) => jose.importPKCS8(vectors.keys[name].private_pkcs8_pem, 'RSA-OAEP-256');
const RECORD = utf8('<myhealthbank><r1><r1.7>Synthetic diagnosis</r1.7></r1></myhealthbank>');

for (const enc of ['A256CBC-HS512', 'A128CBC-HS256']) {
  test(`jose opens our SMeR (${enc}, two recipients)`, async () => {
    const [alice, bob] = [ourKey('alice'), ourKey('bob')];
    const to = new semres.RecipientList();
    to.add(alice.publicKey());
    to.add(bob.publicKey());
    const smer = semres.sealSmer(RECORD, to, { contentType: 'application/xml', ownerKeyId: alice.keyId, enc, fileName: 'r.xml' });
    const jwe = JSON.parse(new TextDecoder().decode(smer));
    for (const name of ['alice', 'bob']) {
      const { plaintext, protectedHeader } = await jose.generalDecrypt(jwe, await joseKey(name), {
        keyManagementAlgorithms: ['RSA-OAEP-256'],
        contentEncryptionAlgorithms: [enc],
      });
      assert.deepEqual(plaintext, RECORD);
      assert.equal(protectedHeader.enc, enc);
      assert.equal(protectedHeader.cty, 'application/xml');
      assert.equal(protectedHeader.smer, 1);
      assert.equal(protectedHeader.fn, 'r.xml');
    }
    // jose too refuses a tampered SMeR.
    jwe.ciphertext = (jwe.ciphertext[0] === 'A' ? 'B' : 'A') + jwe.ciphertext.slice(1);
    await assert.rejects(jose.generalDecrypt(jwe, await joseKey('alice')));
  });

  test(`we open jose's JWE (${enc}, two recipients, with and without kid)`, async () => {
    const pub = async (name) => jose.importSPKI(ourKey(name).publicKey().toPem(), 'RSA-OAEP-256');
    const kid = async (name) => jose.calculateJwkThumbprint(JSON.parse(ourKey(name).publicKey().toJwk()), 'sha256');
    const builder = new jose.GeneralEncrypt(RECORD).setProtectedHeader({ enc, cty: 'application/xml' });
    builder.addRecipient(await pub('alice')).setUnprotectedHeader({ alg: 'RSA-OAEP-256', kid: await kid('alice') });
    builder.addRecipient(await pub('bob')).setUnprotectedHeader({ alg: 'RSA-OAEP-256' });
    const jwe = await builder.encrypt();
    const bytes = utf8(JSON.stringify(jwe));
    for (const name of ['alice', 'bob']) {
      const opened = semres.openSmer(bytes, ourKey(name));
      assert.deepEqual(opened.record, RECORD);
      assert.equal(opened.header.contentType, 'application/xml');
      assert.equal(opened.header.version, undefined, 'a plain JWE carries no smer version');
      assert.equal(opened.enc, enc);
    }
    // Carol is not a recipient: the only kid-less entry is tried and fails opaquely.
    assert.throws(() => semres.openSmer(bytes, ourKey('carol')), { name: 'SemresError', code: 'DecryptionFailed' });
  });

  test(`we open jose's JWE with alg in the protected header and an aad member (${enc})`, async () => {
    const builder = new jose.GeneralEncrypt(RECORD)
      .setProtectedHeader({ enc, alg: 'RSA-OAEP-256' })
      .setAdditionalAuthenticatedData(utf8('ledger entry 42'));
    builder.addRecipient(await jose.importSPKI(ourKey('carol').publicKey().toPem(), 'RSA-OAEP-256'));
    const jwe = await builder.encrypt();
    assert.ok(jwe.aad);
    const opened = semres.openSmer(utf8(JSON.stringify(jwe)), ourKey('carol'));
    assert.deepEqual(opened.record, RECORD);
    // Changing the aad breaks authentication.
    jwe.aad = jose.base64url.encode('ledger entry 43');
    assert.throws(() => semres.openSmer(utf8(JSON.stringify(jwe)), ourKey('carol')), { code: 'DecryptionFailed' });
  });
}

test('a JWE jose made with an algorithm outside the profile is refused as unsupported', async () => {
  const pub = await jose.importSPKI(ourKey('alice').publicKey().toPem(), 'RSA-OAEP');
  const builder = new jose.GeneralEncrypt(RECORD).setProtectedHeader({ enc: 'A256GCM' });
  builder.addRecipient(pub).setUnprotectedHeader({ alg: 'RSA-OAEP' });
  const jwe = await builder.encrypt();
  assert.throws(() => semres.openSmer(utf8(JSON.stringify(jwe)), ourKey('alice')), { code: 'UnsupportedAlgorithm' });
});
