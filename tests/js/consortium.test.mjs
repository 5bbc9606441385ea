// The consortium vectors (SPEC §6) through the JS API — consortium files, k-of-n cosigned
// checkpoints, equivocation — and the same cosignatures checked by an implementation that
// is not ours: Node's own Ed25519 with the C2SP tlog-cosignature rules written out here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash, createPublicKey, verify } from 'node:crypto';
import path from 'node:path';
import { loadSemres, root } from './helpers.mjs';

const semres = await loadSemres();
const vectors = JSON.parse(readFileSync(path.join(root, 'tests/vectors/ledger/consortium_v1.json'), 'utf8'));

test('every consortium file is accepted or refused with its code', () => {
  for (const c of vectors.consortium_files) {
    let got = 'ok';
    try {
      semres.Consortium.fromSignedNote(c.note);
    } catch (e) {
      got = e.code;
    }
    assert.equal(got, c.expect, c.name);
  }
});

test('every cosigned checkpoint is accepted with its cosigners or refused with its code', () => {
  const consortium = semres.Consortium.fromSignedNote(vectors.consortium);
  assert.equal(consortium.threshold, 3);
  assert.equal(consortium.memberNames.length, 4);
  for (const c of vectors.checkpoints) {
    if (typeof c.expect === 'string') {
      assert.throws(() => consortium.verifyCheckpoint(c.note), (e) => e.code === c.expect, c.name);
    } else {
      const cp = consortium.verifyCheckpoint(c.note);
      assert.deepEqual(cp.cosigners, c.expect.cosigners, c.name);
      assert.equal(cp.origin, consortium.origin);
    }
  }
  for (const c of vectors.equivocations) {
    assert.deepEqual(consortium.equivocation(c.a, c.b) ?? null, c.expect?.signed_both ?? null, c.name);
  }
});

// C2SP tlog-cosignature, Ed25519 (cosignature/v1), from its text: key ID =
// SHA-256(name || "\n" || 0x04 || key)[:4]; blob = key ID || u64 time || signature over
// "cosignature/v1\ntime <t>\n" || body.
function independentCosigners(note, members) {
  const [body, lines] = note.split('\n\n');
  const valid = new Set();
  for (const line of lines.split('\n').filter(Boolean)) {
    const [, name, b64] = line.match(/^\u2014 (\S+) (\S+)$/);
    const member = members.find((m) => m.name === name);
    if (!member) continue;
    const blob = Buffer.from(b64, 'base64');
    const keyId = createHash('sha256').update(Buffer.concat([Buffer.from(`${name}\n`), Buffer.from([4]), member.key])).digest().subarray(0, 4);
    if (blob.length !== 76 || !blob.subarray(0, 4).equals(keyId)) continue;
    const time = blob.readBigUInt64BE(4);
    const message = Buffer.from(`cosignature/v1\ntime ${time}\n${body}\n`);
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), member.key]);
    if (verify(null, message, createPublicKey({ key: spki, format: 'der', type: 'spki' }), blob.subarray(12))) valid.add(name);
  }
  return [...valid].sort();
}

test('an independent C2SP verifier finds the same cosigners as ours', () => {
  const members = vectors.consortium.split('\n').filter((l) => l.startsWith('member ')).map((l) => {
    const [, name, key] = l.split(' ');
    return { name, key: Buffer.from(key, 'base64') };
  });
  const threshold = 3;
  const consortium = semres.Consortium.fromSignedNote(vectors.consortium);
  let accepted = 0;
  for (const c of vectors.checkpoints) {
    const theirs = independentCosigners(c.note, members);
    const originOk = c.note.startsWith(`${consortium.origin}\n`);
    const theirVerdict = originOk && theirs.length >= threshold;
    assert.equal(theirVerdict, typeof c.expect !== 'string', c.name);
    if (theirVerdict) {
      assert.deepEqual(theirs, consortium.verifyCheckpoint(c.note).cosigners, c.name);
      accepted += 1;
    }
  }
  assert.ok(accepted >= 2);
});

function chainFile(blocks) {
  const parts = [];
  for (const b of blocks) {
    const bytes = Buffer.from(b, 'base64url');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    parts.push(len, bytes);
  }
  return new Uint8Array(Buffer.concat(parts));
}

test('the replayed anchored chain verifies against the consortium, damaged ones are refused', () => {
  const consortium = semres.Consortium.fromSignedNote(vectors.consortium);
  const { replay } = vectors;
  const report = consortium.verifyChain(chainFile(replay.blocks));
  const [, size, root] = replay.checkpoint_body.split('\n');
  assert.equal(report.size, Number(size));
  assert.equal(report.rootBase64, root);
  const cp = consortium.verifyCheckpoint(replay.cosigned_checkpoint);
  assert.equal(cp.rootBase64, report.rootBase64);
  // Every block names where its entry is on the Ethereum chain; none has a sealer.
  const fields = replay.blocks.map((b) => semres.blockFields(Buffer.from(b, 'base64url')));
  assert.deepEqual(fields.map((f) => f.anchor.seq), [0, 1, 3, 8]);
  assert.ok(fields.every((f) => f.sealer === '' && f.anchor.chainId === 1337));
  for (const c of vectors.anchored_chains.filter((x) => x.expect !== 'ok')) {
    assert.throws(() => consortium.verifyChain(chainFile(c.blocks)), (e) => e.code === c.expect.code && e.blockIndex === c.expect.index, c.name);
  }
  // A consortium's chain is not a sealed chain.
  assert.throws(() => semres.verifyChain(chainFile(replay.blocks)), (e) => e.code === 'BadGenesis');
});
