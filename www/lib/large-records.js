// Records of any size in the worker (issue 16, SPEC §7): a picked file is read as a stream,
// sealed chunk by chunk into a streamed SMeR (lib/stream-smer.js) that is written to the
// origin-private file system (OPFS) and hashed as it is written, then uploaded to DERy in
// resumable parts (PATCH /smers/{hash}/upload, SPEC §5.2) — the SMeR hash must be known
// before the first part is signed, so the SMeR is staged on disk rather than sealed twice
// (a second sealing would reuse each record's nonce on whatever the file then holds).
// Downloads go the other way: the SMeR is written to OPFS and hashed as it arrives, checked
// against the ledger's hash before anything is decrypted, then opened record by record
// into the user's file (File System Access: committed only when every record verified) or,
// where the browser has no file picker, into an OPFS file offered as a download. Memory
// stays at a few records and one upload part, whatever the size.
import { semresError } from './semres-error.js';
import { request, getJson } from './endpoint.js';
import { startStreamSeal, sealedPieces, openedPieces, ByteReader } from './stream-smer.js';

/** Records above this are sealed as streamed SMeRs (as the CLI's `--profile auto`). */
export const STREAM_FROM = 64 << 20;
/** Bytes of decrypted record gathered before each write to the output file. */
const WRITE_BATCH = 1 << 20;
/** Bytes of the reused buffer a byte stream (a download, a file) is read into. */
const READ_BUFFER = 1 << 20;
/** Bytes per resumable upload part (DERy's maximum). */
export const UPLOAD_PART = 16 << 20;
/** How often a part whose request failed in the network is retried (from where DERy says
 *  the upload stands). */
const RETRIES = 5;

const opfs = () => navigator.storage.getDirectory();

/** A progress reporter for `total` bytes: at most ~10 reports a second, with speed and ETA. */
function meter(progress, stage, total, text) {
  const started = performance.now();
  let last = 0;
  return (done, force = false) => {
    const now = performance.now();
    if (!force && now - last < 100) return;
    last = now;
    const seconds = (now - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const left = rate > 0 ? (total - done) / rate : null;
    progress({ stage, text, done, total, bytesPerSecond: Math.round(rate), secondsLeft: left === null ? null : Math.max(0, Math.round(left)) });
  };
}

/** Removes an OPFS file, if it is there. */
export async function discard(name) {
  try {
    await (await opfs()).removeEntry(name);
  } catch { /* already gone */ }
}

/**
 * Seals `blob` (a picked File) for `recipients` as a streamed SMeR staged in OPFS.
 * @returns {Promise<{ hash: string, size: number, staged: string }>}
 */
export async function sealToDisk(semres, blob, recipients, options, progress) {
  const dir = await opfs();
  const staged = `sealed-${crypto.randomUUID()}.smers`;
  const access = await (await dir.getFileHandle(staged, { create: true })).createSyncAccessHandle();
  const hasher = new semres.SmerHasher();
  const sealer = await startStreamSeal(semres, recipients, options);
  const report = meter(progress, 'encrypting', blob.size, 'Encrypting chunk by chunk (CEDA, streamed SMeR) and hashing');
  let at = 0;
  let plain = 0;
  try {
    let first = true;
    for await (const piece of sealedPieces(blob.stream(), sealer)) {
      hasher.update(piece);
      access.write(piece, { at });
      at += piece.length;
      if (!first) plain = Math.min(blob.size, plain + sealer.chunkLength);
      first = false;
      report(plain);
    }
    access.flush();
    report(blob.size, true);
  } catch (error) {
    access.close();
    hasher.free();
    await discard(staged);
    throw error;
  } finally {
    sealer.free();
  }
  access.close();
  try {
    return { hash: hasher.finish(), size: at, staged };
  } finally {
    hasher.free();
  }
}

/** Where the caller's resumable upload of `hash` stands (0 when none; `stored`). */
async function uploadStatus(hash, sign) {
  try {
    const { offset, stored } = await getJson(`/smers/${hash}/upload`, { sign });
    return { offset, stored };
  } catch (error) {
    if (error.code === 'NotFound') return { offset: 0, stored: false };
    throw error;
  }
}

/**
 * Uploads the staged SMeR `staged` (its hash `hash`) to DERy in signed parts, resuming from
 * where DERy says the upload stands after an interruption; removes the staged file once
 * DERy has it. Each part is hashed as a stream and sent as a slice of the staged file (a
 * Blob the browser reads from disk as it sends), so no part is held in memory.
 */
export async function uploadFromDisk(semres, hash, staged, sign, progress) {
  const file = await (await (await opfs()).getFileHandle(staged)).getFile();
  const size = file.size;
  const report = meter(progress, 'uploading', size, 'Uploading in resumable parts');
  let { offset, stored } = await uploadStatus(hash, sign);
  let retries = RETRIES;
  let answer = null;
  while (!stored) {
    const end = Math.min(size, offset + UPLOAD_PART);
    const part = file.slice(offset, end);
    const partHash = await sha256Hex(semres, part);
    const headers = { 'Upload-Offset': String(offset) };
    if (end === size) headers['Upload-Complete'] = '?1';
    try {
      const response = await request(`/smers/${hash}/upload`, {
        method: 'PATCH', sign, body: part, bodySha256Hex: partHash, contentType: 'application/octet-stream', headers,
      });
      answer = await response.json();
      offset = end;
      stored = end === size;
      retries = RETRIES;
    } catch (error) {
      // Cut off (or a part DERy already has): continue from where it stands.
      if ((error.code !== 'NetworkError' && error.code !== 'UploadConflict') || retries-- === 0) throw error;
      ({ offset, stored } = await uploadStatus(hash, sign));
    }
    report(offset, stored);
  }
  await discard(staged);
  return answer ?? { hash, stored: false };
}

/**
 * The bytes of `stream`, piece by piece, read into one reused 1 MiB buffer where the stream
 * is a byte stream (a BYOB reader: a fetch body in Chromium), else as the
 * stream gives them (always so with `byob: false`). Each piece is valid until the next is
 * asked for. The browser's own
 * fresh chunk per read is garbage it may leave uncollected for hundreds of megabytes over a
 * large record; the reused buffer leaves none (BENCHMARKS.md).
 * @param {ReadableStream<Uint8Array>} stream
 * @returns {AsyncGenerator<Uint8Array>}
 */
export async function* readPieces(stream, { byob = true } = {}) {
  let reader = null;
  try {
    if (byob) reader = stream.getReader({ mode: 'byob' });
  } catch {
    reader = null;
  }
  if (!reader) {
    const plain = stream.getReader();
    let ended = false;
    try {
      for (;;) {
        const { value, done } = await plain.read();
        if (done) { ended = true; return; }
        yield value;
      }
    } finally {
      if (!ended) await plain.cancel().catch(() => {});
    }
  }
  let buffer = new ArrayBuffer(READ_BUFFER);
  let ended = false;
  try {
    for (;;) {
      const { value, done } = await reader.read(new Uint8Array(buffer));
      if (done) { ended = true; return; }
      buffer = value.buffer;
      yield value;
    }
  } finally {
    if (!ended) await reader.cancel().catch(() => {});
  }
}

/**
 * The SHA-256 of `blob` (hex), read as a stream with its default reader: a BYOB reader on
 * slices of a Blob crashed or hung Chromium 156's worker in our runs (an upload stalled at a
 * part; a loop of 16 MiB slices lost the page), so Blob streams are not read BYOB.
 */
export async function sha256Hex(semres, blob) {
  const hasher = new semres.SmerHasher();
  try {
    for await (const piece of readPieces(blob.stream(), { byob: false })) hasher.update(piece);
    return hasher.finish();
  } catch (error) {
    throw error.name === 'SemresError' ? error : semresError('Io', 'the staged SMeR could not be read');
  } finally {
    hasher.free();
  }
}

/**
 * Downloads the SMeR `hash` from `response` (a signed GET whose answer is a streamed SMeR)
 * into OPFS, hashing it as it arrives; refused (and removed) unless it hashes to `hash`.
 * @returns {Promise<{ size: number, staged: string, recipients: (string|undefined)[] }>}
 */
export async function fetchToDisk(semres, hash, response, progress) {
  const dir = await opfs();
  const staged = `fetched-${crypto.randomUUID()}.smers`;
  const access = await (await dir.getFileHandle(staged, { create: true })).createSyncAccessHandle();
  const hasher = new semres.SmerHasher();
  const total = Number(response.headers.get('content-length')) || 0;
  const report = meter(progress, 'downloading', total, 'Downloading and hashing the SMeR');
  let at = 0;
  let computed;
  try {
    for await (const value of readPieces(response.body)) {
      hasher.update(value);
      access.write(value, { at });
      at += value.length;
      report(at);
    }
    access.flush();
    computed = hasher.finish();
  } catch (error) {
    access.close();
    await discard(staged);
    throw error.name === 'SemresError' ? error : semresError('NetworkError', 'the download was interrupted');
  } finally {
    hasher.free();
  }
  access.close();
  report(at, true);
  // DERy's rule on every exchange: bytes that do not hash to the ledger's value are dropped.
  if (computed !== hash) {
    await discard(staged);
    throw semresError('HashCheckFailed', 'the SMeR received does not hash to the ledger\'s value', { received: computed });
  }
  let recipients = [];
  try {
    const file = await (await dir.getFileHandle(staged)).getFile();
    const reader = new ByteReader(file.stream());
    const prefix = await reader.read(semres.StreamHead.prefixLength);
    const head = semres.StreamHead.parse(concat(prefix, await reader.read(semres.StreamHead.headLength(prefix) - prefix.length)));
    recipients = head.recipientKeyIds;
    head.free();
    await reader.cancel();
  } catch { /* reported when opened */ }
  return { size: at, staged, recipients };
}

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Opens the staged streamed SMeR `staged` (its hash already checked) record by record into
 * `saveTo` (a FileSystemFileHandle the user chose) or, without one, into an OPFS file
 * offered as a download. The output is committed only when every record verified; on any
 * refusal it is discarded. The staged SMeR is removed either way.
 * @param {{ keyId: string, webKey?: CryptoKey, privateKey: object, inPlace?: boolean, stillAllowed: () => boolean }} who
 * @returns {Promise<{ length: number, header: object, savedTo: string|null, outputName: string|null }>}
 */
export async function openToDisk(semres, staged, who, saveTo, progress) {
  const dir = await opfs();
  const outputName = saveTo ? null : `opened-${crypto.randomUUID()}`;
  const output = saveTo ?? await dir.getFileHandle(outputName, { create: true });
  // A private file is written in place (a sync access handle: no copy per write); the
  // user's file through a writable stream, which the browser commits only on close().
  const sink = saveTo ? await writableSink(saveTo) : await accessSink(output);
  let input;
  try {
    input = await (await dir.getFileHandle(staged)).createSyncAccessHandle();
  } catch (error) {
    await sink.abort();
    if (outputName) await discard(outputName);
    await discard(staged);
    throw semresError('Io', 'the downloaded SMeR could not be read');
  }
  const file = { size: input.getSize() };
  const report = meter(progress, 'decrypting', file.size, 'Decrypting record by record');
  let header = null;
  let length = 0;
  // Authenticated plaintext is gathered into one reused 1 MiB buffer and written when it is
  // full: a write per record would be an IPC round trip per 64 KiB.
  const batch = new Uint8Array(WRITE_BATCH);
  let batched = 0;
  const flush = async () => {
    if (batched) await sink.write(batch.subarray(0, batched));
    batched = 0;
  };
  try {
    // Records are decrypted in place by the core unless the caller says otherwise: WebCrypto
    // is ~4× faster but its fresh result per record is garbage the browser leaves
    // uncollected — hundreds of megabytes for a 1 GiB record (BENCHMARKS.md).
    for await (const piece of openedPieces(semres, new AccessReader(input), { inPlace: true, ...who })) {
      if (piece instanceof Uint8Array) {
        if (batched + piece.length > batch.length) await flush();
        if (piece.length >= batch.length) await sink.write(piece);
        else {
          batch.set(piece, batched);
          batched += piece.length;
        }
        length += piece.length;
        report(Math.min(length, file.size));
      } else {
        const h = piece.header;
        header = { contentType: h.contentType ?? null, fileName: h.fileName ?? null, createdAt: h.createdAt ?? null, ownerKeyId: h.ownerKeyId ?? null, recordId: h.recordId ?? null };
        h.free();
      }
    }
    await flush();
    await sink.close();
  } catch (error) {
    batch.fill(0);
    await sink.abort();
    if (outputName) await discard(outputName);
    throw error;
  } finally {
    input.close();
    await discard(staged);
  }
  report(file.size, true);
  return { length, header, savedTo: saveTo?.name ?? null, outputName };
}

/**
 * Reads an OPFS file through its sync access handle into two buffers used in turn, so that
 * reading allocates nothing per record: the bytes of each read stay valid until the read
 * after next (openedPieces uses each record, and the head's two parts, before that).
 */
class AccessReader extends ByteReader {
  constructor(access) {
    super({ read: async () => ({ done: true }), cancel: async () => {} });
    this.access = access;
    this.at = 0;
    this.buffers = [new Uint8Array(0), new Uint8Array(0)];
    this.turn = 0;
  }

  async read(n) {
    this.turn ^= 1;
    if (this.buffers[this.turn].length < n) this.buffers[this.turn] = new Uint8Array(n);
    const view = this.buffers[this.turn].subarray(0, n);
    const got = this.access.read(view, { at: this.at });
    this.at += got;
    return view.subarray(0, got);
  }

  cancel() {
    return Promise.resolve();
  }
}

/** Writes to the user's file: committed by close(), dropped by abort(). */
async function writableSink(handle) {
  const writable = await handle.createWritable();
  return {
    write: (bytes) => writable.write(bytes),
    close: () => writable.close(),
    abort: () => writable.abort().catch(() => {}),
  };
}

/** Writes in place to an OPFS file (the caller discards it on abort). */
async function accessSink(handle) {
  const access = await handle.createSyncAccessHandle();
  access.truncate(0);
  let at = 0;
  return {
    async write(bytes) {
      if (access.write(bytes, { at }) !== bytes.length) throw semresError('Io', 'the decrypted record could not be written');
      at += bytes.length;
    },
    async close() {
      access.flush();
      access.close();
    },
    async abort() {
      try { access.close(); } catch { /* closed */ }
    },
  };
}

/** The OPFS file `name` as a disk-backed File (for a download link). */
export async function diskFile(name) {
  return (await (await opfs()).getFileHandle(name)).getFile();
}
