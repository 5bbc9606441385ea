// CEDA with the browser's native primitives under the WASM core (SPEC §2): the core checks
// every option and every SMeR, builds and parses every structure, draws the content key and
// IV, wraps it for each recipient, makes the HMAC (RFC 7518 §5.2.2) a piece at a time and
// compares the tag; WebCrypto does the bulk work — AES-CBC, the SMeR hash's SHA-256 — and the
// RSA-OAEP-256 unwrap with a private key it holds as a non-extractable `CryptoKey`. (Where the
// ciphertext cannot be left in the SMeR — no native base64, or an escaped ciphertext — the
// HMAC is WebCrypto's, over the whole MAC input the core builds.) The bytes are the core's
// own for the same key and IV. Every unwrap or authentication failure is one
// `DecryptionFailed`. Used by the worker, the tests (every SMeR vector through both paths)
// and the benchmark.
import { semresError } from './semres-error.js';

const HASH = { 'A128CBC-HS256': 'SHA-256', 'A256CBC-HS512': 'SHA-512' };

/** Whether this browser decodes base64 natively (`Uint8Array.prototype.setFromBase64`). */
export const NATIVE_BASE64 = typeof Uint8Array.prototype.setFromBase64 === 'function';
const ascii = new TextDecoder('latin1');
/** Ciphertexts from this size are base64url-encoded by the browser when it can. */
const NATIVE_SEAL_FROM = 64 << 10;
/** Ciphertexts from this size stay in the SMeR when opened (decoded twice, a piece at a
 *  time); smaller ones are decoded once, whole: faster, and their size is no concern. */
const LEFT_IN_SMER_FROM = 8 << 20;
const utf8 = new TextEncoder();

/**
 * Large records go through WebCrypto, the HMAC and the base64 codec in pieces, so that no
 * call copies a whole record, no whole-record string exists and, where the browser has
 * native base64, no whole ciphertext either (sealing writes each piece's text into the SMeR;
 * opening decodes each piece from it, once for the HMAC and once more, authenticated, for
 * AES): AES-CBC and the HMAC 1,008 KiB at a time (whole blocks, whole base64 quanta),
 * base64url 48 KiB at a time (64 KiB of text, a string small enough for V8's young
 * generation, so that each is collected as soon as the next is made). Tests pass one smaller
 * size for both (`chunkBytes`, a multiple of 48) to cross the pieces' edges on small records.
 */
export const PIECES = Object.freeze({ aes: 21 * (48 << 10), base64: 48 << 10 });

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
 * The ciphertext of a SMeR whose text the core left in place and checked
 * (`ParsedSmer.parseLeavingCiphertext`: canonical base64url of `length` bytes), decoded by
 * the browser's own decoder a range at a time: `read(from, to, into)` decodes bytes
 * `from..to` (`from` a multiple of 3; `to` too, or the length) into the start of `into` and
 * returns that part of `into`.
 */
function ciphertextInSmer(parsed, smer, chunkBytes) {
  const start = parsed.ciphertextStart;
  const end = parsed.ciphertextEnd;
  const length = parsed.ciphertextLength;
  const chars = (chunkBytes / 3) * 4;
  return {
    length,
    read(from, to, into) {
      const textFrom = start + (from / 3) * 4;
      const textTo = to === length ? end : start + (to / 3) * 4;
      let written = 0;
      for (let at = textFrom; at < textTo; at += chars) {
        const text = ascii.decode(smer.subarray(at, Math.min(at + chars, textTo)));
        written += into.subarray(written, to - from)
          .setFromBase64(text, { alphabet: 'base64url', lastChunkHandling: 'loose' }).written;
      }
      if (written !== to - from) throw semresError('Internal', 'the browser\'s base64 decoder disagrees with the core');
      return into.subarray(0, written);
    },
  };
}

/**
 * AES-CBC encryption with PKCS#7 padding (what one WebCrypto call gives) of `record`,
 * `chunkBytes` at a time: each chunk is chained from the previous chunk's last ciphertext
 * block, and the padding block WebCrypto adds to every chunk but the last is dropped — the
 * same bytes as one call. `each(piece, at)` is given every piece of the ciphertext in order
 * (while WebCrypto encrypts the next); resolves to the ciphertext's length.
 */
async function encryptPieces(aes, iv, record, chunkBytes, each) {
  const encryptAt = (at, chain) => crypto.subtle.encrypt({ name: 'AES-CBC', iv: chain }, aes, record.subarray(at, Math.min(at + chunkBytes, record.length)));
  let pending = encryptAt(0, iv);
  for (let at = 0; ; ) {
    const end = Math.min(at + chunkBytes, record.length);
    const out = new Uint8Array(await pending);
    const last = end === record.length;
    const piece = last ? out : out.subarray(0, end - at);
    if (!last) pending = encryptAt(end, piece.slice(piece.length - 16));
    each(piece, at);
    if (last) return at + piece.length;
    at = end;
  }
}

/** A ciphertext held whole, read as `ciphertextInSmer` reads one left in its SMeR. */
const ciphertextInArray = (ciphertext) => ({
  length: ciphertext.length,
  read(from, to, into) {
    into.set(ciphertext.subarray(from, to));
    return into.subarray(0, to - from);
  },
});

/**
 * AES-CBC decryption of an authenticated ciphertext (whole blocks; `source` as
 * `ciphertextInSmer`), `chunkBytes` at a time. The last chunk goes first: its padding gives
 * the record's length, so the record is allocated once, at its size. Every other chunk is
 * decrypted with a block appended that decrypts to a full padding block (WebCrypto checks
 * and removes padding on every call): the encryption of sixteen 0x10 bytes chained from the
 * chunk's last block. A padding error throws (the caller maps it to DecryptionFailed).
 */
async function decryptPieces(aes, iv, source, chunkBytes) {
  const { length } = source;
  if (length === 0 || length % 16 !== 0) throw semresError('DecryptionFailed', 'decryption failed');
  const lastAt = Math.floor((length - 1) / chunkBytes) * chunkBytes;
  // A chunk's chain: the block before it (`chunkBytes` and so `at` are multiples of 48).
  const chainOf = (at) => (at === 0 ? iv : source.read(at - 48, at, new Uint8Array(48)).slice(32));
  // One buffer for every chunk and its padding block (WebCrypto copies its input when called).
  const piece = new Uint8Array(Math.min(chunkBytes, length) + 16);
  const tail = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-CBC', iv: chainOf(lastAt) }, aes, source.read(lastAt, length, piece)));
  const record = new Uint8Array(lastAt + tail.length);
  record.set(tail, lastAt);
  // Pieces of the record that WebCrypto returned are wiped once copied (they wait for the
  // garbage collector).
  tail.fill(0);
  const padding = new Uint8Array(16).fill(16);
  let chain = iv;
  for (let at = 0; at < lastAt; at += chunkBytes) {
    const next = source.read(at, at + chunkBytes, piece).slice(chunkBytes - 16);
    const pad = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CBC', iv: next }, aes, padding));
    piece.set(pad.subarray(0, 16), chunkBytes);
    const plain = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-CBC', iv: chain }, aes, piece));
    if (plain.length !== chunkBytes) throw semresError('Internal', 'AES-CBC chunk of the wrong length');
    record.set(plain, at);
    plain.fill(0);
    chain = next;
  }
  return record;
}

const CEK_LENGTH = { 'A128CBC-HS256': 32, 'A256CBC-HS512': 64 };

/** The AES key of a content key (its second half). */
const aesKeyOf = (cek) => crypto.subtle.importKey('raw', cek.subarray(cek.length / 2), { name: 'AES-CBC' }, false, ['encrypt', 'decrypt']);

/** The tag: the leftmost half of a full HMAC. */
const tagOf = (mac) => mac.subarray(0, mac.length / 2);

/** Recipients' public keys imported into WebCrypto, by SPKI (a few, reused across seals). */
const recipientKeys = new Map();

/** The WebCrypto RSA-OAEP-256 encryption key of an SPKI the core gave (checked there). */
export async function recipientKey(spki) {
  const id = ascii.decode(spki);
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
  let mac = null;
  try {
    // The HMAC (in the core, fed each piece of ciphertext as WebCrypto makes it).
    mac = plan.contentMac();
    const iv = plan.iv;
    const ciphertextLength = (Math.floor(record.length / 16) + 1) * 16;
    // Small records: the core's encoder is as fast as the calls around the browser's.
    const small = !NATIVE_BASE64 || ciphertextLength < NATIVE_SEAL_FROM;
    const cek = plan.contentKey();
    let aes;
    let encrypted = null;
    try {
      // An RSA-OAEP-256 wrap of the content key for each recipient (their SPKI from the
      // plan), while the record is encrypted with its AES key. WebCrypto copies `cek` when
      // each call is made.
      const wraps = Array.from({ length: plan.recipientCount }, (_, i) => recipientKey(plan.recipientSpki(i))
        .then((to) => crypto.subtle.encrypt({ name: 'RSA-OAEP' }, to, cek)));
      aes = aesKeyOf(cek);
      // A small record is encrypted (and MACed) now, whole; a large one below, into the SMeR.
      if (small) encrypted = aes.then((key) => encryptWhole(key, iv, record, ciphertextLength, pieces.aes, mac));
      // Awaited below; not reported as unhandled if a wrap fails first.
      (encrypted ?? aes).catch(() => {});
      const wrapped = await Promise.all(wraps);
      wrapped.forEach((key, i) => plan.setEncryptedKey(i, new Uint8Array(key)));
    } finally {
      cek.fill(0);
    }
    if (small) return plan.finish(await encrypted, tagOf(mac.finish()));
    // The core writes everything but the ciphertext's base64url, which the browser encodes
    // straight into the SMeR a piece at a time (no whole ciphertext).
    const head = plan.finishHead(ciphertextLength);
    const textLength = base64Length(ciphertextLength);
    const smer = new Uint8Array(head.length + textLength + plan.tailLength);
    smer.set(head);
    const text = smer.subarray(head.length, head.length + textLength);
    const written = await encryptPieces(await aes, iv, record, pieces.aes, (piece, at) => {
      mac.update(piece);
      // `at` is a multiple of the piece size, so of 3: each piece's text starts in place.
      const from = (at / 3) * 4;
      encodeBase64Into(piece, text.subarray(from, from + base64Length(piece.length)), pieces.base64);
    });
    if (written !== ciphertextLength) throw semresError('Internal', 'AES-CBC wrote other than the plan');
    const tail = plan.finishTail(tagOf(mac.finish()));
    if (tail.length !== smer.length - head.length - textLength) throw semresError('Internal', 'the SMeR\'s tail is not its announced length');
    smer.set(tail, head.length + textLength);
    return smer;
  } finally {
    mac?.free();
    plan.free();
  }
}

/** The whole ciphertext of a small record, MACed by `mac` as it is made. */
async function encryptWhole(aes, iv, record, ciphertextLength, chunkBytes, mac) {
  const ciphertext = new Uint8Array(ciphertextLength);
  const written = await encryptPieces(aes, iv, record, chunkBytes, (piece, at) => {
    ciphertext.set(piece, at);
    mac.update(piece);
  });
  if (written !== ciphertextLength) throw semresError('Internal', 'AES-CBC wrote other than the plan');
  return ciphertext;
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
    // Where the core left the ciphertext in the SMeR, a large one stays there (decoded a
    // piece at a time, once for the HMAC and once more, authenticated, for AES) and a smaller
    // one is decoded once, whole (faster; its size is no concern). Otherwise (no native
    // base64, an escaped ciphertext) the core builds the whole MAC input and WebCrypto makes
    // the HMAC. Tests passing `chunkBytes` take the pieces' way at every size.
    const inSmer = parsed.ciphertextStart !== undefined ? ciphertextInSmer(parsed, smer, pieces.base64) : null;
    const small = chunkBytes === undefined && parsed.ciphertextLength < LEFT_IN_SMER_FROM;
    const whole = inSmer && small ? inSmer.read(0, inSmer.length, new Uint8Array(inSmer.length)) : null;
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
        if (cek.length !== CEK_LENGTH[enc]) continue;
        // The AES key is imported meanwhile; nothing is decrypted before the tag matched.
        const aes = aesKeyOf(cek);
        aes.catch(() => {});
        let mac;
        if (inSmer) {
          const hmac = parsed.contentMac(cek);
          try {
            if (whole) {
              hmac.update(whole);
            } else {
              const scratch = new Uint8Array(Math.min(pieces.aes, inSmer.length));
              for (let at = 0; at < inSmer.length; at += pieces.aes) {
                hmac.update(inSmer.read(at, Math.min(at + pieces.aes, inSmer.length), scratch));
              }
            }
            mac = hmac.finish();
          } finally {
            hmac.free();
          }
        } else {
          input ??= parsed.macInput();
          const key = await crypto.subtle.importKey('raw', cek.subarray(0, cek.length / 2), { name: 'HMAC', hash: HASH[enc] }, false, ['sign']);
          mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, input));
        }
        if (!parsed.tagMatches(mac)) continue;
        // Authenticated: the padding is checked by the decryption (no oracle: the tag was first).
        const held = whole ?? input?.subarray(parsed.ciphertextOffset, input.length - 8);
        let record;
        try {
          // A small ciphertext in one call (WebCrypto's result is the record), a large one in
          // pieces.
          record = small
            ? new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-CBC', iv: parsed.iv }, await aes, held))
            : await decryptPieces(await aes, parsed.iv, held ? ciphertextInArray(held) : inSmer, pieces.aes);
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
