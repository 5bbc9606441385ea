// CEDA with the browser's native primitives under the WASM core (SPEC §2): the core checks
// every option and every SMeR, builds and parses every structure, draws the content key and
// IV, wraps it for each recipient and compares the tag; WebCrypto does the bulk work —
// AES-CBC, HMAC-SHA-256/512 (RFC 7518 §5.2.2), the SMeR hash's SHA-256 — and the
// RSA-OAEP-256 unwrap with a private key it holds as a non-extractable `CryptoKey`. The bytes are the core's own for the same key and IV. Every
// unwrap or authentication failure is one `DecryptionFailed`. Used by the worker, the tests
// (every SMeR vector through both paths) and the benchmark.
import { semresError } from './semres-error.js';

const HASH = { 'A128CBC-HS256': 'SHA-256', 'A256CBC-HS512': 'SHA-512' };

/** Whether this browser decodes base64 natively (`Uint8Array.prototype.setFromBase64`). */
export const NATIVE_BASE64 = typeof Uint8Array.prototype.setFromBase64 === 'function';
const ascii = new TextDecoder('latin1');
/** Ciphertexts from this size are base64url-encoded by the browser when it can. */
const NATIVE_SEAL_FROM = 64 << 10;
const utf8 = new TextEncoder();

/**
 * Large records go through WebCrypto and the base64 codec in pieces, so that no call copies
 * a whole record and no whole-record string exists: AES-CBC a MiB at a time (whole blocks),
 * base64url 48 KiB at a time (whole quanta; 64 KiB of text, a string small enough for V8's
 * young generation, so that each is collected as soon as the next is made). Tests pass one
 * smaller size for both (`chunkBytes`, a multiple of 48) to cross the pieces' edges on small
 * records.
 */
export const PIECES = Object.freeze({ aes: 1 << 20, base64: 48 << 10 });

function piecesOf(chunkBytes) {
  if (chunkBytes === undefined) return PIECES;
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0 || chunkBytes % 48 !== 0) {
    throw semresError('InvalidInput', 'chunkBytes must be a positive multiple of 48');
  }
  return { aes: chunkBytes, base64: chunkBytes };
}

/** The length of the unpadded base64url text of `n` bytes. */
const base64Length = (n) => Math.floor(n / 3) * 4 + [0, 2, 3][n % 3];

/**
 * Writes the unpadded base64url text of `bytes` into `out` (ASCII), `chunkBytes` at a time.
 */
function encodeBase64Into(bytes, out, chunkBytes) {
  let to = 0;
  for (let at = 0; at < bytes.length; at += chunkBytes) {
    const text = bytes.subarray(at, at + chunkBytes).toBase64({ alphabet: 'base64url', omitPadding: true });
    const { written } = utf8.encodeInto(text, out.subarray(to, to + text.length));
    if (written !== text.length) throw semresError('Internal', 'the browser\'s base64 encoder wrote non-ASCII');
    to += written;
  }
  if (to !== out.length) throw semresError('Internal', 'the browser\'s base64 encoder disagrees with the core');
}

/**
 * The MAC input `aad ‖ iv ‖ ciphertext ‖ AL` (RFC 7518 §5.2.2.1) of a parsed SMeR: where
 * the core left the ciphertext in the SMeR (checked, `ParsedSmer.parseLeavingCiphertext`),
 * the browser's own base64 decoder writes it straight into place, a piece at a time;
 * otherwise the core's.
 */
function macInputOf(parsed, smer, chunkBytes) {
  const start = parsed.ciphertextStart;
  if (start === undefined) return parsed.macInput();
  const head = parsed.macInputHead;
  const length = parsed.ciphertextLength;
  const input = new Uint8Array(head.length + length + 8);
  input.set(head);
  const end = parsed.ciphertextEnd;
  const chars = (chunkBytes / 3) * 4;
  let to = head.length;
  for (let at = start; at < end; at += chars) {
    const text = ascii.decode(smer.subarray(at, Math.min(at + chars, end)));
    const { written } = input.subarray(to, head.length + length)
      .setFromBase64(text, { alphabet: 'base64url', lastChunkHandling: 'loose' });
    to += written;
  }
  // The core checked the text: canonical base64url of `length` bytes.
  if (to !== head.length + length) throw semresError('Internal', 'the browser\'s base64 decoder disagrees with the core');
  input.set(parsed.macInputTail, head.length + length);
  return input;
}

/**
 * AES-CBC encryption with PKCS#7 padding (what one WebCrypto call gives) of `record` into
 * `out` (its length rounded up to the next whole block), `chunkBytes` at a time: each chunk
 * is chained from the previous chunk's last ciphertext block, and the padding block WebCrypto
 * adds to every chunk but the last is dropped — the same bytes as one call.
 */
async function encryptInto(aes, iv, record, out, chunkBytes) {
  let chain = iv;
  for (let at = 0; ; at += chunkBytes) {
    const end = Math.min(at + chunkBytes, record.length);
    const piece = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CBC', iv: chain }, aes, record.subarray(at, end)));
    const last = end === record.length;
    const keep = last ? piece.length : end - at;
    if (at + keep > out.length) throw semresError('Internal', 'AES-CBC wrote more than the plan');
    out.set(piece.subarray(0, keep), at);
    if (last) {
      if (at + keep !== out.length) throw semresError('Internal', 'AES-CBC wrote less than the plan');
      return;
    }
    chain = out.slice(at + keep - 16, at + keep);
  }
}

/**
 * AES-CBC decryption of an authenticated `ciphertext` (whole blocks), `chunkBytes` at a
 * time. The last chunk goes first: its padding gives the record's length, so the record is
 * allocated once, at its size. Every other chunk is decrypted with a block appended that
 * decrypts to a full padding block (WebCrypto checks and removes padding on every call):
 * the encryption of sixteen 0x10 bytes chained from the chunk's last block. A padding error
 * throws (the caller maps it to DecryptionFailed).
 */
async function decryptChunked(aes, iv, ciphertext, chunkBytes) {
  const blocks = ciphertext.length;
  if (blocks === 0 || blocks % 16 !== 0) throw semresError('DecryptionFailed', 'decryption failed');
  const lastAt = Math.floor((blocks - 1) / chunkBytes) * chunkBytes;
  const chainOf = (at) => (at === 0 ? iv : ciphertext.subarray(at - 16, at));
  const tail = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-CBC', iv: chainOf(lastAt) }, aes, ciphertext.subarray(lastAt)));
  const record = new Uint8Array(lastAt + tail.length);
  record.set(tail, lastAt);
  // Pieces of the record that WebCrypto returned are wiped once copied (they wait for the
  // garbage collector).
  tail.fill(0);
  const padding = new Uint8Array(16).fill(16);
  // One buffer for every chunk and its padding block (WebCrypto copies its input when called).
  const piece = lastAt > 0 ? new Uint8Array(chunkBytes + 16) : null;
  for (let at = 0; at < lastAt; at += chunkBytes) {
    const end = at + chunkBytes;
    const pad = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CBC', iv: ciphertext.subarray(end - 16, end) }, aes, padding));
    piece.set(ciphertext.subarray(at, end));
    piece.set(pad.subarray(0, 16), chunkBytes);
    const plain = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-CBC', iv: chainOf(at) }, aes, piece));
    if (plain.length !== chunkBytes) throw semresError('Internal', 'AES-CBC chunk of the wrong length');
    record.set(plain, at);
    plain.fill(0);
  }
  return record;
}

/** The HMAC and AES keys of a content key (its first half, its second half). */
async function contentKeys(cek, enc) {
  const half = cek.length / 2;
  const [mac, aes] = await Promise.all([
    crypto.subtle.importKey('raw', cek.subarray(0, half), { name: 'HMAC', hash: HASH[enc] }, false, ['sign']),
    crypto.subtle.importKey('raw', cek.subarray(half), { name: 'AES-CBC' }, false, ['encrypt', 'decrypt']),
  ]);
  return { mac, aes, tagLength: half };
}

/** Recipients' public keys imported into WebCrypto, by SPKI (a few, reused across seals). */
const recipientKeys = new Map();

/** The WebCrypto RSA-OAEP-256 encryption key of an SPKI the core gave (checked there). */
export async function recipientKey(spki) {
  const id = Array.from(spki, (b) => String.fromCharCode(b)).join('');
  let key = recipientKeys.get(id);
  if (!key) {
    key = await crypto.subtle.importKey('spki', spki, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
    if (recipientKeys.size >= 64) recipientKeys.delete(recipientKeys.keys().next().value);
    recipientKeys.set(id, key);
  }
  return key;
}

/**
 * The SMeR hash (SPEC §2.3: SHA-256 of the exact SMeR bytes, lower-case hex) by WebCrypto's
 * SHA-256: the core's `smerHash` value.
 * @param {Uint8Array} smer
 * @returns {Promise<string>}
 */
export async function smerHashWithWebCrypto(smer) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', smer));
  return typeof digest.toHex === 'function' ? digest.toHex() : Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Seals `record` for `recipients` as `sealSmer(record, recipients, options)` does.
 * @param {typeof import('../../pkg/semres.js')} semres the core's module
 * @param {Uint8Array} record
 * @param {{ chunkBytes?: number }} [more] the size of the pieces (default `PIECES`)
 * @returns {Promise<Uint8Array>} the SMeR
 */
export async function sealWithWebCrypto(semres, record, recipients, options, { chunkBytes } = {}) {
  const pieces = piecesOf(chunkBytes);
  const plan = semres.SealPlan.forRecord(record.length, recipients, options);
  try {
    const cek = plan.contentKey();
    let keys;
    try {
      // The HMAC and AES keys, and an RSA-OAEP-256 wrap of the content key for each recipient
      // (their SPKI from the plan). WebCrypto copies `cek` when each call is made.
      const wraps = Array.from({ length: plan.recipientCount }, async (_, i) => {
        const to = await recipientKey(plan.recipientSpki(i));
        return new Uint8Array(await crypto.subtle.encrypt({ name: 'RSA-OAEP' }, to, cek));
      });
      let wrapped;
      [keys, wrapped] = await Promise.all([contentKeys(cek, plan.enc), Promise.all(wraps)]);
      wrapped.forEach((key, i) => plan.setEncryptedKey(i, key));
    } finally {
      cek.fill(0);
    }
    const iv = plan.iv;
    const aad = plan.aad;
    // The MAC input `aad ‖ iv ‖ ciphertext ‖ AL`, the ciphertext encrypted into its place.
    const ciphertextLength = (Math.floor(record.length / 16) + 1) * 16;
    const input = new Uint8Array(aad.length + iv.length + ciphertextLength + 8);
    input.set(aad, 0);
    input.set(iv, aad.length);
    const ciphertext = input.subarray(aad.length + iv.length, input.length - 8);
    await encryptInto(keys.aes, iv, record, ciphertext, pieces.aes);
    new DataView(input.buffer).setBigUint64(input.length - 8, BigInt(aad.length) * 8n);
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', keys.mac, input));
    const tag = mac.subarray(0, keys.tagLength);
    // Small records: the core's encoder is as fast as the calls around the browser's.
    if (!NATIVE_BASE64 || ciphertext.length < NATIVE_SEAL_FROM) return plan.finish(ciphertext, tag);
    // The core writes everything but the ciphertext's base64url, which the browser encodes
    // straight into the SMeR.
    const [head, tail] = plan.finishAround(ciphertext.length, tag);
    const textLength = base64Length(ciphertext.length);
    const smer = new Uint8Array(head.length + textLength + tail.length);
    smer.set(head);
    encodeBase64Into(ciphertext, smer.subarray(head.length, head.length + textLength), pieces.base64);
    smer.set(tail, head.length + textLength);
    return smer;
  } finally {
    plan.free();
  }
}

/**
 * Opens a SMeR as `openSmer` does, the RSA unwrap by `webKey` (RSA-OAEP, SHA-256, usage
 * decrypt: the key whose id is `keyId`).
 * @param {typeof import('../../pkg/semres.js')} semres the core's module
 * @param {{ options?: object, stillAllowed?: () => boolean }} [more] `stillAllowed` is asked
 *   after each unwrap (the worker: the identity is still unlocked); `chunkBytes` the size
 *   of the pieces (default `PIECES`)
 * @returns {Promise<{record: Uint8Array, header: object, enc: string, free(): void}>}
 */
export async function openWithWebCrypto(semres, smer, keyId, webKey, { options, stillAllowed = () => true, chunkBytes } = {}) {
  const pieces = piecesOf(chunkBytes);
  const parsed = NATIVE_BASE64 ? semres.ParsedSmer.parseLeavingCiphertext(smer, options) : semres.ParsedSmer.parse(smer, options);
  try {
    const enc = parsed.enc;
    let input = null;
    for (const wrapped of parsed.encryptedKeysFor(keyId)) {
      let cek;
      try {
        cek = new Uint8Array(await crypto.subtle.decrypt({ name: 'RSA-OAEP' }, webKey, wrapped));
      } catch {
        continue;
      }
      try {
        if (!stillAllowed()) throw semresError('Locked', 'Unlock your identity first.');
        if (cek.length !== { 'A128CBC-HS256': 32, 'A256CBC-HS512': 64 }[enc]) continue;
        const keys = await contentKeys(cek, enc);
        input ??= macInputOf(parsed, smer, pieces.base64);
        const mac = new Uint8Array(await crypto.subtle.sign('HMAC', keys.mac, input));
        if (!parsed.tagMatches(mac)) continue;
        // Authenticated: the padding is checked by the decryption (no oracle: the tag was first).
        const ciphertext = input.subarray(parsed.ciphertextOffset, input.length - 8);
        let record;
        try {
          record = await decryptChunked(keys.aes, parsed.iv, ciphertext, pieces.aes);
        } catch {
          break;
        }
        const header = parsed.header;
        // As `openSmer`'s result: `record` is the caller's; `free()` releases the rest.
        return { record, header, enc, free() { header.free(); } };
      } finally {
        cek.fill(0);
      }
    }
    throw semresError('DecryptionFailed', 'decryption failed');
  } finally {
    parsed.free();
  }
}
