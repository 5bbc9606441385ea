// The memory benchmark's worker (tests/bench/memory.mjs): one seal or open of a large record,
// with the site's path (WebCrypto under the core, as www/worker.js runs it), jose or
// openpgp.js, in a dedicated worker as the site does; the result is transferred to the page.
// "site (streamed)" is the site's path for records of any size (www/lib/large-records.js):
// from a file on disk (OPFS, as a picked File is read) through the streamed SMeR to a file on
// disk, so neither input nor output is in memory; its output is checked against the input.
// "site (streamed; WebCrypto records)" opens the same way with each record decrypted by
// WebCrypto instead of in place by the core (sealing is the same for both).
import init, * as semres from '/pkg/semres.js';
import * as jose from '/jose/index.js';
import * as openpgp from '/openpgp/openpgp.min.mjs';
import { sealWithWebCrypto, openWithWebCrypto } from '/lib/webcrypto-ceda.js';
import { sealToDisk, openToDisk, discard, sha256Hex } from '/lib/large-records.js';

const te = new TextEncoder();
const td = new TextDecoder();
const gc = () => (typeof self.gc === 'function' ? self.gc() : undefined);
/** Collects the garbage of preparing the input (to open: the seal's) and lets V8 give the
 *  freed buffers back (their memory is released by a background sweeper after `gc()`). */
const settle = async () => {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 500));
  gc();
};

function randomBytes(n) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

let keys;
let job;

async function setUp({ pkcs8Pem, openpgpKey }) {
  await init();
  const ours = semres.PrivateKey.fromPem(pkcs8Pem);
  const to = new semres.RecipientList();
  to.add(ours.publicKey());
  const der = ours.exportPkcs8Der();
  const webPriv = await crypto.subtle.importKey('pkcs8', der, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']);
  der.fill(0);
  const { kid, alg, use, ...jwk } = JSON.parse(ours.exportJwk());
  const pubJwk = { kty: 'RSA', n: jwk.n, e: jwk.e, alg: 'RSA-OAEP-256' };
  const josePriv = await jose.importJWK({ ...jwk, alg: 'RSA-OAEP-256' }, 'RSA-OAEP-256');
  const josePub = await jose.importJWK(pubJwk, 'RSA-OAEP-256');
  const pgpKey = await openpgp.readPrivateKey({ armoredKey: openpgpKey });
  keys = { ours, to, webPriv, josePriv, josePub, pgpKey, pgpPub: pgpKey.toPublic() };
}

const opfs = () => navigator.storage.getDirectory();
const noProgress = () => {};

/** Writes `n` random bytes to the OPFS file `name`, 1 MiB at a time; its SHA-256 (hex). */
async function randomFile(name, n) {
  const access = await (await (await opfs()).getFileHandle(name, { create: true })).createSyncAccessHandle();
  const hasher = new semres.SmerHasher();
  try {
    access.truncate(0);
    for (let at = 0; at < n; at += 1 << 20) {
      const piece = randomBytes(Math.min(1 << 20, n - at));
      hasher.update(piece);
      access.write(piece, { at });
    }
    access.flush();
    return hasher.finish();
  } finally {
    access.close();
    hasher.free();
  }
}

/** The SHA-256 (hex) of the OPFS file `name`, read as a stream. */
async function fileHash(name) {
  return sha256Hex(semres, await (await (await opfs()).getFileHandle(name)).getFile());
}

const streamed = {
  /** Seal: the input is a disk-backed File; opening: a streamed SMeR staged on disk. */
  async prepare(op, size) {
    const inputHash = await randomFile('bench-input.bin', size);
    const file = await (await (await opfs()).getFileHandle('bench-input.bin')).getFile();
    if (op === 'seal') return { file, inputHash, inputBytes: 0 };
    const sealed = await sealToDisk(semres, file, keys.to, streamOptions(), noProgress);
    return { staged: sealed.staged, inputHash, inputBytes: 0 };
  },
  async seal(input) {
    const sealed = await sealToDisk(semres, input.file, keys.to, streamOptions(), noProgress);
    await discard(sealed.staged);
    return { outBytes: sealed.size };
  },
  async open(input, impl) {
    // The site's choice (records opened in place by the core), or each record by WebCrypto.
    const inPlace = impl !== STREAMED_WEBCRYPTO;
    const who = { keyId: keys.ours.keyId, webKey: keys.webPriv, privateKey: keys.ours, inPlace, stillAllowed: () => true };
    const opened = await openToDisk(semres, input.staged, who, null, noProgress);
    return { outBytes: opened.length, outputName: opened.outputName };
  },
  /** After the clock: the opened record must be the original. */
  async check(input, { outputName }) {
    if (!outputName) return;
    const outputHash = await fileHash(outputName);
    await discard(outputName);
    if (outputHash !== input.inputHash) throw new Error('the opened record differs from the original');
  },
};
const STREAMED_WEBCRYPTO = 'site (streamed; WebCrypto records)';
const isStreamed = (impl) => impl === 'site (streamed)' || impl === STREAMED_WEBCRYPTO;
const streamOptions = () => ({ contentType: 'application/octet-stream', ownerKeyId: keys.ours.keyId });

const impls = {
  site: {
    seal: (record) => sealWithWebCrypto(semres, record, keys.to, { contentType: 'application/octet-stream', ownerKeyId: keys.ours.keyId }),
    open: async (smer) => {
      const opened = await openWithWebCrypto(semres, smer, keys.ours.keyId, keys.webPriv);
      opened.free();
      return opened.record;
    },
  },
  jose: {
    seal: async (record) => {
      const e = new jose.GeneralEncrypt(record).setProtectedHeader({ enc: 'A256CBC-HS512', alg: 'RSA-OAEP-256' });
      e.addRecipient(keys.josePub);
      return te.encode(JSON.stringify(await e.encrypt()));
    },
    open: async (smer) => (await jose.generalDecrypt(JSON.parse(td.decode(smer)), keys.josePriv)).plaintext,
  },
  'openpgp.js': {
    seal: async (record) => openpgp.encrypt({ message: await openpgp.createMessage({ binary: record }), encryptionKeys: keys.pgpPub, format: 'binary' }),
    open: async (message) => (await openpgp.decrypt({ message: await openpgp.readMessage({ binaryMessage: message }), decryptionKeys: keys.pgpKey, format: 'binary' })).data,
  },
};

self.onmessage = async ({ data }) => {
  try {
    if (data.setUp) {
      await setUp(data.setUp);
      gc();
      self.postMessage({ ok: true, gc: typeof self.gc === 'function' });
    } else if (data.prepare) {
      // The input of the measured operation: the record, or (to open) the record sealed.
      const { impl, op, size } = data.prepare;
      if (isStreamed(impl)) {
        job = { impl, op, input: await streamed.prepare(op, size) };
        gc();
        self.postMessage({ ok: true, inputBytes: job.input.inputBytes });
        return;
      }
      let record = randomBytes(size);
      job = { impl, op, input: op === 'seal' ? record : await impls[impl].seal(record) };
      // To open, the record itself is no longer held (a recipient has only the SMeR).
      record = null;
      await settle();
      self.postMessage({ ok: true, inputBytes: job.input.length });
    } else if (data.run) {
      if (isStreamed(job.impl)) {
        const t = performance.now();
        const result = await streamed[job.op](job.input, job.impl);
        const ms = performance.now() - t;
        // Checked at the next step, after the runner has read the memory mark: hashing the
        // output is not part of the operation.
        job.result = result;
        self.postMessage({ ok: true, ms, outBytes: result.outBytes, out: null });
        return;
      }
      const t = performance.now();
      const out = await impls[job.impl][job.op](job.input);
      const ms = performance.now() - t;
      job = null;
      const bytes = out instanceof Uint8Array ? out : new Uint8Array(out);
      self.postMessage({ ok: true, ms, outBytes: bytes.length, out: bytes }, [bytes.buffer]);
    } else if (data.check) {
      if (job?.result) {
        const { input, result } = job;
        job = null;
        await streamed.check(input, result);
        await discard('bench-input.bin');
      }
      self.postMessage({ ok: true });
    }
  } catch (e) {
    self.postMessage({ ok: false, error: String(e?.message ?? e) });
  }
};
