// The ledger through the JS API: a chain file verified fully and structurally, the
// checkpoint, an inclusion proof, every damaged chain refused at the right block with the
// right code, and entries built and signed in JS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadSemres, root } from './helpers.mjs';

const semres = await loadSemres();
const vectors = JSON.parse(readFileSync(path.join(root, 'tests/vectors/ledger/ledger_v1.json'), 'utf8'));
const fromB64u = (s) => Buffer.from(s, 'base64url');
function chainFile(blocks) {
  const parts = [];
  for (const b of blocks) {
    const bytes = fromB64u(b);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    parts.push(len, bytes);
  }
  return new Uint8Array(Buffer.concat(parts));
}
const authorities = new semres.SigningKeyList();
for (const k of vectors.checkpoint_authorities) authorities.add(semres.SigningPublicKey.fromBytes(fromB64u(k)));
const story = vectors.chains.find((c) => c.expect === 'ok');

test('the story chain verifies fully and structurally, and matches its signed checkpoint', () => {
  const full = semres.verifyChain(chainFile(story.blocks));
  assert.equal(full.size, story.blocks.length);
  assert.equal(full.chainId, vectors.chain_id);
  const structural = semres.verifyChainStructure(chainFile(story.blocks));
  assert.equal(structural.rootBase64, full.rootBase64);
  const cp = semres.verifyCheckpoint(vectors.checkpoints[0].note, authorities);
  assert.equal(cp.size, full.size);
  assert.equal(cp.rootBase64, full.rootBase64);
  assert.equal(cp.origin, vectors.chain_id);
});

test('every damaged chain is refused at its first bad block with its code', () => {
  for (const c of vectors.chains.filter((x) => x.expect !== 'ok')) {
    assert.throws(() => semres.verifyChain(chainFile(c.blocks)), (e) => {
      assert.equal(e.name, 'SemresError', c.name);
      assert.equal(e.code, c.expect.code, c.name);
      assert.equal(e.blockIndex, c.expect.index, c.name);
      return true;
    });
  }
});

test('inclusion of one block against the checkpoint, and proof damage refused', () => {
  const cp = semres.verifyCheckpoint(vectors.checkpoints[0].note, authorities);
  const v = vectors.proofs.find((p) => p.name === `inclusion-5-of-${story.blocks.length}`);
  const proof = new Uint8Array(Buffer.concat(v.proof.map((h) => Buffer.from(h, 'base64'))));
  const block = fromB64u(story.blocks[5]);
  semres.verifyInclusion(block, 5, proof, cp);
  const bad = proof.slice();
  bad[3] ^= 1;
  assert.throws(() => semres.verifyInclusion(block, 5, bad, cp), { code: 'BadProof' });
  assert.throws(() => semres.verifyInclusion(fromB64u(story.blocks[6]), 5, proof, cp), { code: 'BadProof' });
  assert.throws(() => semres.verifyInclusion(block, 5, proof.slice(0, 33), cp), { code: 'MalformedLedgerData' });
  for (const c of vectors.checkpoints.filter((x) => x.expect !== 'ok')) {
    assert.throws(() => semres.verifyCheckpoint(c.note, authorities), { code: c.expect }, c.name);
  }
});

test("a block's paper fields", () => {
  const grantBlock = story.blocks.map(fromB64u).find((b) => semres.blockFields(b).authorityStatus === 'grant');
  const f = semres.blockFields(grantBlock);
  for (const k of ['blockNumber', 'previousHash', 'hash', 'time', 'owner', 'authorizedPerson', 'dataIndex', 'smerHash', 'authorityStatus', 'signature', 'payment']) {
    assert.ok(k in f, k);
  }
  assert.match(f.smerHash, /^[0-9a-f]{64}$/);
  assert.match(f.dataIndex, /^dery:sha256:/);
  assert.equal(f.registration, null);
});

test('one block without its chain: seal, signer, and what a register block registers', () => {
  const blocks = story.blocks.map(fromB64u);
  const report = semres.verifyChain(chainFile(story.blocks));
  const authorities = report.authorities();
  assert.ok(report.authorityKeyIds.length >= 1);
  const registers = blocks.filter((b) => semres.blockFields(b).authorityStatus === 'register');
  assert.ok(registers.length >= 2);
  for (const block of registers) {
    semres.verifyBlockSeal(block, authorities);
    const { registration, sealer } = semres.blockFields(block);
    assert.ok(report.authorityKeyIds.includes(sealer), sealer);
    assert.match(registration.encryptionKeyPem, /^-----BEGIN PUBLIC KEY-----/);
    assert.equal(semres.PublicKey.fromPem(registration.encryptionKeyPem).keyId, registration.encryptionKeyId);
    const signer = semres.SigningPublicKey.fromBytes(fromB64u(registration.signingKey));
    assert.equal(signer.keyId, registration.keyId);
    semres.verifyEntrySigner(block, signer);
  }
  // Another participant's key is not the signer; a stranger's list does not seal; one flipped
  // byte of the seal breaks it.
  const other = semres.SigningPublicKey.fromBytes(fromB64u(semres.blockFields(registers[1]).registration.signingKey));
  assert.throws(() => semres.verifyEntrySigner(registers[0], other), { name: 'SemresError', code: 'BadSignature' });
  const strangers = new semres.SigningKeyList();
  strangers.add(semres.SigningPrivateKey.generate().publicKey());
  assert.throws(() => semres.verifyBlockSeal(registers[0], strangers), { code: 'UnknownAuthority' });
  const forged = Uint8Array.from(registers[0]);
  forged[forged.length - 1] ^= 1;
  assert.throws(() => semres.verifyBlockSeal(forged, authorities), { code: 'BadSeal' });
});

test('entries built and signed in JS decode, hash, and carry the signer', () => {
  const david = semres.SigningPrivateKey.generate();
  const lawson = semres.SigningPrivateKey.generate();
  const rsa = semres.PrivateKey.fromPem(JSON.parse(readFileSync(path.join(root, 'tests/vectors/smer/smer_v1.json'), 'utf8')).keys.alice.private_pkcs8_pem);
  const smerHash = 'ab'.repeat(32);
  const grant = semres.grantEntry(david, smerHash, `dery:sha256:${smerHash}`, lawson.keyId, Date.now() / 1000 + 3600);
  const grantHash = semres.entryHash(grant);
  assert.match(grantHash, /^[0-9a-f]{64}$/);
  for (const entry of [
    semres.registerEntry(david, rsa.publicKey(), 'patient'),
    semres.cosignEntry(semres.registerEntry(lawson, rsa.publicKey(), 'clinician'), david),
    semres.accessEntry(lawson, grantHash),
    semres.careEntry(lawson, grantHash, 'cd'.repeat(32), 'dery:x'),
    semres.paymentEntry(david, grantHash, 412, 'NHI-points', lawson.keyId, 'claim-1'),
    semres.revokeEntry(david, grantHash),
    semres.eraseEntry(david, smerHash),
    semres.payerEntry(david, lawson.keyId, true),
  ]) {
    assert.match(semres.entryHash(entry), /^[0-9a-f]{64}$/);
  }
  assert.notEqual(semres.entryHash(semres.revokeEntry(david, grantHash)), semres.entryHash(semres.revokeEntry(david, grantHash)), 'nonces differ');
  assert.throws(() => semres.grantEntry(david, 'xyz', 'd', lawson.keyId), { code: 'InvalidInput' });
  assert.throws(() => semres.registerEntry(david, rsa.publicKey(), 'king'), { code: 'InvalidInput' });
  assert.throws(() => semres.entryHash(new Uint8Array([1, 2, 3])), { code: 'MalformedLedgerData' });
});

test('consistency between two signed checkpoints', () => {
  const newer = semres.verifyCheckpoint(vectors.checkpoints.find((c) => c.name === 'checkpoint-valid').note, authorities);
  const older = semres.verifyCheckpoint(vectors.checkpoints.find((c) => c.name === 'checkpoint-older').note, authorities);
  const v = vectors.proofs.find((p) => p.name === `consistency-4-${story.blocks.length}`);
  const proof = new Uint8Array(Buffer.concat(v.proof.map((h) => Buffer.from(h, 'base64'))));
  semres.verifyConsistency(older, newer, proof);
  const bad = proof.slice();
  bad[40] ^= 1;
  assert.throws(() => semres.verifyConsistency(older, newer, bad), { code: 'BadProof' });
  assert.throws(() => semres.verifyConsistency(newer, older, proof), { code: 'BadProof' });
});
