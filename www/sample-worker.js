// SEMRES crypto worker: key generation, sealing and opening run here, off the page's main
// thread, so the page never freezes — even for a 64 MiB record. Private keys live only in
// this worker's WASM memory; the page sees key ids, SMeR bytes and opened records.
import init, { PrivateKey, RecipientList, sealSmer, openSmer, smerHash } from '/pkg/semres.js';

const ready = init();
const keys = { patient: null, clinician: null };
/** The last SMeR sealed: kept here so that large buffers never cross to the page. */
let lastSmer = null;
let lastUrl = null;
/** Largest opened record sent back to the page for display. */
const SHOW_LIMIT = 1 << 20;

const operations = {
  generate({ bits }) {
    keys.patient?.free();
    keys.clinician?.free();
    keys.patient = PrivateKey.generate(bits);
    keys.clinician = PrivateKey.generate(bits);
    return { result: { patient: keys.patient.keyId, clinician: keys.clinician.keyId } };
  },
  seal({ record, options }) {
    const bytes = new Uint8Array(record);
    const to = new RecipientList();
    const clinician = keys.clinician.publicKey();
    to.add(clinician);
    lastSmer = sealSmer(bytes, to, { ...options, ownerKeyId: keys.patient.keyId });
    to.free();
    clinician.free();
    if (lastUrl) URL.revokeObjectURL(lastUrl);
    lastUrl = URL.createObjectURL(new Blob([lastSmer], { type: 'application/jose+json' }));
    return { result: { hash: smerHash(lastSmer), recordHash: smerHash(bytes), size: lastSmer.length, url: lastUrl } };
  },
  open({ tamper }) {
    let smer = lastSmer;
    if (tamper) {
      // Flip one character of the ciphertext's base64url text, keeping it base64url.
      smer = lastSmer.slice();
      const start = new TextDecoder().decode(smer.subarray(0, 4096)).indexOf('"ciphertext":"');
      const at = start >= 0 ? start + 20 : Math.floor(smer.length / 2);
      smer[at] = smer[at] === 0x41 ? 0x42 : 0x41;
    }
    const opened = openSmer(smer, keys.clinician);
    const record = opened.record;
    const header = opened.header;
    const small = record.length <= SHOW_LIMIT;
    const result = {
      record: small ? record.buffer : null,
      length: record.length,
      recordHash: smerHash(record),
      contentType: header.contentType,
      ownerKeyId: header.ownerKeyId,
      fileName: header.fileName,
      enc: opened.enc,
    };
    header.free();
    opened.free();
    return { result, transfer: small ? [record.buffer] : [] };
  },
};

self.onmessage = async ({ data }) => {
  await ready;
  try {
    const { result, transfer = [] } = operations[data.op](data);
    self.postMessage({ id: data.id, ok: true, result }, transfer);
  } catch (e) {
    self.postMessage({ id: data.id, ok: false, error: { name: e?.name, code: e?.code, message: e?.message ?? String(e) } });
  }
};
