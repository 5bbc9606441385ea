// The streamed SMeR (SPEC §7) chunk by chunk, for records of any size: the WASM core checks
// the head, draws and commits the content key, decides each record's nonce and every length,
// order and end rule (`StreamSealer.nextNonce`, `StreamOpener.acceptDecrypted`); the
// browser's WebCrypto does the AES-128-GCM of each record and the RSA-OAEP-256 wrap and
// unwrap (a non-extractable private `CryptoKey`). Without `crypto.subtle` the core does
// it all (`seal`, `update`). Both paths give the same bytes and the same verdicts; a record's
// plaintext is released only once its tag has been verified. Memory: one record (and one
// chunk of lookahead), whatever the size. Used by the worker, the tests and the benchmark.
import { semresError } from './semres-error.js';
import { recipientKey } from './webcrypto-ceda.js';

const nativeSubtle = () => globalThis.crypto?.subtle;

/** Reads exact byte counts from a `ReadableStream` of `Uint8Array`s (or a reader). */
export class ByteReader {
  /** @param {ReadableStream<Uint8Array> | ReadableStreamDefaultReader<Uint8Array>} source */
  constructor(source) {
    this.reader = typeof source.getReader === 'function' ? source.getReader() : source;
    this.pending = [];
    this.pendingBytes = 0;
    this.done = false;
  }

  /** Up to `n` bytes: exactly `n` unless the stream ends first. */
  async read(n) {
    while (this.pendingBytes < n && !this.done) {
      const { value, done } = await this.reader.read();
      if (done) this.done = true;
      else if (value.length) {
        this.pending.push(value instanceof Uint8Array ? value : new Uint8Array(value));
        this.pendingBytes += value.length;
      }
    }
    const want = Math.min(n, this.pendingBytes);
    const first = this.pending[0];
    if (first && first.length === want) {
      this.pending.shift();
      this.pendingBytes -= want;
      return first;
    }
    const out = new Uint8Array(want);
    let at = 0;
    while (at < want) {
      const piece = this.pending[0];
      const take = Math.min(piece.length, want - at);
      out.set(piece.subarray(0, take), at);
      at += take;
      if (take === piece.length) this.pending.shift();
      else this.pending[0] = piece.subarray(take);
    }
    this.pendingBytes -= want;
    return out;
  }

  /** Stops reading (the source is cancelled). */
  cancel(reason) {
    this.done = true;
    return this.reader.cancel(reason).catch(() => {});
  }
}

/**
 * Starts sealing a streamed SMeR for `recipients` (a `RecipientList`) with the options of
 * `sealSmer` but `enc`.
 * @param {typeof import('../../pkg/semres.js')} semres the core's module
 * @param {{ recordSize?: number, subtle?: SubtleCrypto | null }} [more] `subtle: null`
 *   forces the core path
 * @returns {Promise<{ head: Uint8Array, chunkLength: number, seal(chunk: Uint8Array, last: boolean): Promise<Uint8Array>, readonly finished: boolean, free(): void }>}
 */
export async function startStreamSeal(semres, recipients, options, { recordSize, subtle = nativeSubtle() } = {}) {
  const plan = new semres.StreamSealPlan(recipients, options, recordSize);
  let sealer;
  try {
    if (subtle) {
      const ikm = plan.contentKey();
      try {
        const wraps = await Promise.all(Array.from({ length: plan.recipientCount }, async (_, i) => {
          const to = await recipientKey(plan.recipientSpki(i));
          return new Uint8Array(await subtle.encrypt({ name: 'RSA-OAEP' }, to, ikm));
        }));
        wraps.forEach((wrapped, i) => plan.setEncryptedKey(i, wrapped));
      } finally {
        ikm.fill(0);
      }
    } else {
      plan.wrapAll();
    }
    sealer = plan.start();
  } finally {
    plan.free();
  }
  let key = null;
  if (subtle) {
    const raw = sealer.recordKey();
    try {
      key = await subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt']);
    } finally {
      raw.fill(0);
    }
  }
  const chunkLength = sealer.chunkLength;
  // One buffer for each record's plaintext and delimiter, reused: WebCrypto copies its input
  // when it is called, and a new buffer per record would be garbage at the record rate.
  let input = null;
  return {
    head: sealer.head,
    chunkLength,
    get finished() { return sealer.finished; },
    async seal(chunk, last) {
      if (!key) return sealer.seal(chunk, last);
      // The core counts the chunk and checks its length before anything is encrypted.
      const iv = sealer.nextNonce(chunk.length, last);
      if (!input || input.length < chunk.length + 1) input = new Uint8Array(chunkLength + 1);
      const padded = input.subarray(0, chunk.length + 1);
      padded.set(chunk);
      padded[chunk.length] = last ? 2 : 1;
      return new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv }, key, padded));
    },
    free() { sealer.free(); key = null; },
  };
}

/**
 * The streamed SMeR of the bytes of `source`, piece by piece: the head, then each record.
 * @param {ReadableStream<Uint8Array> | ByteReader} source the record
 * @param {Awaited<ReturnType<typeof startStreamSeal>>} sealer
 * @returns {AsyncGenerator<Uint8Array>}
 */
export async function* sealedPieces(source, sealer) {
  const reader = source instanceof ByteReader ? source : new ByteReader(source);
  const n = sealer.chunkLength;
  yield sealer.head;
  let chunk = await reader.read(n);
  for (;;) {
    // A full chunk is the last only if nothing follows: read one ahead.
    const next = chunk.length === n ? await reader.read(n) : new Uint8Array(0);
    const last = next.length === 0;
    yield await sealer.seal(chunk, last);
    if (last) return;
    chunk = next;
  }
}

/**
 * Reads and checks the head of a streamed SMeR from `reader` (SPEC §7.4 steps 1–7).
 * @returns {Promise<import('../../pkg/semres.js').StreamHead>}
 */
export async function readStreamHead(semres, reader) {
  const prefix = await reader.read(semres.StreamHead.prefixLength);
  const length = semres.StreamHead.headLength(prefix);
  const rest = await reader.read(length - prefix.length);
  const head = new Uint8Array(length);
  head.set(prefix);
  head.set(rest, prefix.length);
  // Too short is the core's MalformedSmer.
  return semres.StreamHead.parse(head.subarray(0, prefix.length + rest.length));
}

/**
 * Starts opening the records after `head` with the key whose id is `keyId`: `webKey` (a
 * WebCrypto RSA-OAEP-256 private key) when given and `subtle` is there, else the core's
 * `privateKey`. A content key that does not match the head's commitment is DecryptionFailed.
 * The records are decrypted by WebCrypto's AES-GCM where `subtle` is there, else by the core;
 * with `inPlace` by the core where each record lies (`open` overwrites the record it is given
 * and returns a view of it): no memory is allocated per record, which WebCrypto cannot do —
 * its fresh result per record is garbage the browser may leave uncollected for hundreds of
 * megabytes — at about a quarter of its speed (BENCHMARKS.md).
 * @param {{ keyId: string, webKey?: CryptoKey, privateKey?: object, maxRecordBytes?: number, subtle?: SubtleCrypto | null, inPlace?: boolean, stillAllowed?: () => boolean }} who
 * @returns {Promise<{ open(record: Uint8Array, atEnd: boolean): Promise<Uint8Array>, finish(): void, readonly released: number, readonly recordSize: number, free(): void }>}
 */
export async function startStreamOpen(semres, head, { keyId, webKey, privateKey, maxRecordBytes, subtle = nativeSubtle(), inPlace = false, stillAllowed = () => true }) {
  let opener;
  if (webKey && subtle) {
    const wrapped = head.encryptedKeyFor(keyId);
    let ikm;
    try {
      ikm = new Uint8Array(await subtle.decrypt({ name: 'RSA-OAEP' }, webKey, wrapped));
    } catch {
      throw semresError('DecryptionFailed', 'decryption failed');
    }
    try {
      if (!stillAllowed()) throw semresError('Locked', 'Unlock your identity first.');
      opener = head.opener(ikm, maxRecordBytes);
    } finally {
      ikm.fill(0);
    }
  } else if (privateKey) {
    opener = head.openWith(privateKey, maxRecordBytes);
  } else {
    throw semresError('InvalidInput', 'no key to open with');
  }
  let key = null;
  if (subtle && !inPlace) {
    const raw = opener.recordKey();
    try {
      key = await subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['decrypt']);
    } finally {
      raw.fill(0);
    }
  }
  const recordSize = opener.recordSize;
  let failed = false;
  let ended = false;
  let released = 0;
  const refuse = (e) => { failed = true; return e; };
  const fail = () => refuse(semresError('DecryptionFailed', 'decryption failed'));
  const release = (plain) => { released += plain.length; return plain; };
  return {
    recordSize,
    /** Plaintext bytes released so far. */
    get released() { return released; },
    /** One record (`recordSize` bytes; shorter only at the end, `atEnd`): its plaintext. */
    async open(record, atEnd) {
      if (failed || ended) throw fail();
      if (inPlace) {
        try {
          return release(record.subarray(0, opener.openInPlace(record, atEnd)));
        } catch (e) {
          throw refuse(e);
        }
      }
      if (!key) {
        try {
          if (atEnd && record.length < recordSize) {
            const plain = concat(opener.update(record), opener.finish());
            ended = true;
            return release(plain);
          }
          return release(opener.update(record));
        } catch (e) {
          throw refuse(e);
        }
      }
      let iv;
      try {
        iv = opener.nextNonce();
      } catch (e) {
        throw refuse(e);
      }
      let plain;
      try {
        plain = new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv }, key, record));
      } catch {
        throw fail();
      }
      let n;
      try {
        n = opener.acceptDecrypted(plain, atEnd);
      } catch (e) {
        plain.fill(0);
        throw refuse(e);
      }
      return release(plain.subarray(0, n));
    },
    /** Ends the stream: DecryptionFailed unless the last record was opened. */
    finish() {
      if (failed) throw fail();
      if (ended) return;
      try {
        if (key || inPlace) {
          if (!opener.finished) throw semresError('DecryptionFailed', 'decryption failed');
        } else {
          opener.finish();
        }
        ended = true;
      } catch (e) {
        throw refuse(e);
      }
    },
    free() { opener.free(); key = null; },
  };
}

function concat(a, b) {
  if (!b.length) return a;
  if (!a.length) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Opens a whole streamed SMeR from `source`, piece by piece: yields the head (checked; the
 * generator frees it when it ends), then the plaintext of each record once it is
 * authenticated. Throws on the first refusal;
 * what was yielded before it is the record's authenticated beginning.
 * @param {ReadableStream<Uint8Array> | ByteReader} source
 * @returns {AsyncGenerator<import('../../pkg/semres.js').StreamHead | Uint8Array>}
 */
export async function* openedPieces(semres, source, who) {
  const reader = source instanceof ByteReader ? source : new ByteReader(source);
  const head = await readStreamHead(semres, reader);
  let opener;
  try {
    opener = await startStreamOpen(semres, head, who);
  } catch (e) {
    head.free();
    throw e;
  }
  try {
    yield head;
    const rs = opener.recordSize;
    for (;;) {
      const record = await reader.read(rs);
      if (record.length === 0) break;
      const atEnd = record.length < rs;
      const plain = await opener.open(record, atEnd);
      if (plain.length) yield plain;
      if (atEnd) break;
    }
    opener.finish();
  } finally {
    opener.free();
    head.free();
  }
}
