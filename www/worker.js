// SEMRES crypto worker: key generation, sealing and opening run here, off the page's main
// thread, so the page never freezes — even for a 64 MiB record. Private keys live only in
// this worker's WASM memory; the page sees key ids, SMeR bytes and opened records.
import init, { PrivateKey, RecipientList, sealSmer, openSmer, smerHash } from '/pkg/semres.js';

const ready = init();
const keys = { patient: null, clinician: null };

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
    const smer = sealSmer(bytes, to, { ...options, ownerKeyId: keys.patient.keyId });
    to.free();
    clinician.free();
    return { result: { smer: smer.buffer, hash: smerHash(smer), recordHash: smerHash(bytes), size: bytes.length }, transfer: [smer.buffer] };
  },
  open({ smer }) {
    const opened = openSmer(new Uint8Array(smer), keys.clinician);
    const record = opened.record;
    const header = opened.header;
    const result = {
      record: record.buffer,
      recordHash: smerHash(record),
      contentType: header.contentType,
      ownerKeyId: header.ownerKeyId,
      fileName: header.fileName,
      enc: opened.enc,
    };
    header.free();
    opened.free();
    return { result, transfer: [record.buffer] };
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
