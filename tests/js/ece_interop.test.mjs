// The streamed SMeR's record layer is plain RFC 8188 `aes128gcm` (SPEC.md §7.3): an
// independent implementation — npm `http_ece`, given the content key (IKM) of each positive
// vector — opens the records of every `ok` case to the record, seals every unpadded record
// to exactly the bytes SEMRES wrote (same IKM, salt and rs), and refuses the record-layer
// damage of the negative cases made from the same SMeR.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import ece from 'http_ece';

const vectors = JSON.parse(readFileSync(new URL('../vectors/smer/smer_stream_v1.json', import.meta.url), 'utf8'));
const byName = new Map(vectors.cases.map((c) => [c.name, c]));

/** The RFC 8188 body of a streamed SMeR: everything after the prefix and the JSON header. */
function body(bytes) {
  const headerLength = bytes.readUInt32BE(6);
  return bytes.subarray(10 + headerLength);
}

test('http_ece opens the records of every positive streamed-SMeR vector', () => {
  const positive = vectors.cases.filter((c) => c.expect === 'ok');
  assert.ok(positive.length >= 7);
  for (const c of positive) {
    const key = Buffer.from(c.content_key_hex, 'hex');
    const records = body(Buffer.from(c.smer_hex, 'hex'));
    const opened = ece.decrypt(records, { version: 'aes128gcm', key });
    assert.equal(opened.toString('hex'), c.record_hex, c.name);
  }
});

test('http_ece seals the same bytes as SEMRES (same IKM, salt and record size)', () => {
  let compared = 0;
  for (const c of vectors.cases.filter((v) => v.expect === 'ok' && v.name !== 'padded-records')) {
    const records = body(Buffer.from(c.smer_hex, 'hex'));
    const salt = records.subarray(0, 16);
    const rs = records.readUInt32BE(16);
    const sealed = ece.encrypt(Buffer.from(c.record_hex, 'hex'), {
      version: 'aes128gcm', key: Buffer.from(c.content_key_hex, 'hex'), salt, rs,
    });
    assert.equal(sealed.toString('hex'), records.toString('hex'), c.name);
    compared += 1;
  }
  assert.ok(compared >= 6);
});

test('http_ece refuses the record-layer damage SEMRES refuses', () => {
  // These cases are the positive "seven-records" SMeR with its records damaged; the head
  // (and so the salt) is unchanged, so its content key applies.
  const key = Buffer.from(byName.get('seven-records').content_key_hex, 'hex');
  const damaged = [
    'truncated-last-record', 'truncated-in-last-record', 'reordered', 'duplicated', 'dropped',
    'altered-chunk', 'altered-tag', 'extended', 'last-record-twice', 'wrong-final-marker',
    'early-final-marker', 'unknown-delimiter', 'no-delimiter', 'short-middle-record',
  ];
  for (const name of damaged) {
    const c = byName.get(name);
    assert.equal(c.expect, 'DecryptionFailed', name);
    const records = body(Buffer.from(c.smer_hex, 'hex'));
    assert.throws(() => ece.decrypt(records, { version: 'aes128gcm', key }), Error, name);
  }
});
