// The memory benchmark's worker (tests/bench/memory.mjs): one seal or open of a large record,
// with the site's path (WebCrypto under the core, as www/worker.js runs it), jose or
// openpgp.js, in a dedicated worker as the site does; the result is transferred to the page.
import init, * as semres from '/pkg/semres.js';
import * as jose from '/jose/index.js';
import * as openpgp from '/openpgp/openpgp.min.mjs';
import { sealWithWebCrypto, openWithWebCrypto } from '/lib/webcrypto-ceda.js';

const te = new TextEncoder();
const td = new TextDecoder();
const gc = () => (typeof self.gc === 'function' ? self.gc() : undefined);

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
      const record = randomBytes(size);
      job = { impl, op, input: op === 'seal' ? record : await impls[impl].seal(record) };
      gc();
      self.postMessage({ ok: true, inputBytes: job.input.length });
    } else if (data.run) {
      const t = performance.now();
      const out = await impls[job.impl][job.op](job.input);
      const ms = performance.now() - t;
      job = null;
      const bytes = out instanceof Uint8Array ? out : new Uint8Array(out);
      self.postMessage({ ok: true, ms, outBytes: bytes.length, out: bytes }, [bytes.buffer]);
    }
  } catch (e) {
    self.postMessage({ ok: false, error: String(e?.message ?? e) });
  }
};
