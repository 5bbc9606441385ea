// SEMRES sample page: CEDA seal/open of a synthetic record, entirely in the browser.
// Every cryptographic operation is the WASM core's; this file only wires the page.
import init, { PrivateKey, RecipientList, sealSmer, openSmer, smerHash } from '/pkg/semres.js';
import { readMhb, renderMhb } from './mhb.js';

const $ = (id) => document.getElementById(id);

// A synthetic My Health Bank export (no real person): see shared/reference/mhb-format.md.
const SAMPLE_RECORD = `<?xml version="1.0" encoding="UTF-8"?>
<myhealthbank>
  <bdata><b1.1>Z10000****</b1.1><b1.2>20261120</b1.2></bdata>
  <r1>
    <r1.1>1</r1.1><r1.2>Synthetic District Business Group</r1.2>
    <r1.3>0000000001</r1.3><r1.4>Synthetic General Hospital</r1.4>
    <r1.5>20261102</r1.5><r1.6>20261102</r1.6><r1.7>IC01</r1.7>
    <r1.8>E119</r1.8><r1.9>Type 2 diabetes mellitus without complications</r1.9>
    <r1.12>50</r1.12><r1.13>412</r1.13>
    <r1_1><r1_1.1>A000000100</r1_1.1><r1_1.2>Metformin 500 mg</r1_1.2><r1_1.3>60</r1_1.3><r1_1.4>30</r1_1.4></r1_1>
  </r1>
  <r6>無資料</r6>
</myhealthbank>
`;

const state = { patient: null, clinician: null, smer: null, original: null, fileName: null, contentType: 'application/xml' };

function setStatus(text, kind = '') {
  const status = $('status');
  status.textContent = text;
  status.className = kind;
}

// Errors from the WASM core are SemresError with a stable code; show words and the code.
function explain(error) {
  const messages = {
    DecryptionFailed: 'This record could not be decrypted with this key: it was altered, or it is not meant for this key.',
    NoMatchingRecipient: 'This record was not shared with this key.',
    MalformedSmer: 'This is not a valid SMeR file.',
    TooLarge: 'The record is larger than allowed.',
    UnsupportedAlgorithm: 'This record uses an algorithm SEMRES does not accept.',
  };
  if (error && error.name === 'SemresError') {
    return `${messages[error.code] ?? error.message} (code ${error.code})`;
  }
  return `Unexpected error: ${error && error.message ? error.message : String(error)}`;
}

// Let the browser paint the status before a long synchronous WASM call.
const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

async function generateKeys() {
  const bits = Number($('bits').value);
  $('generate').disabled = true;
  setStatus(`Generating two RSA-${bits} key pairs…`);
  await nextFrame();
  try {
    state.patient?.free();
    state.clinician?.free();
    const started = performance.now();
    state.patient = PrivateKey.generate(bits);
    state.clinician = PrivateKey.generate(bits);
    $('patient-kid').textContent = state.patient.keyId;
    $('clinician-kid').textContent = state.clinician.keyId;
    $('seal').disabled = false;
    setStatus(`Keys ready in ${Math.round(performance.now() - started)} ms.`, 'ok');
  } catch (error) {
    setStatus(explain(error), 'error');
  } finally {
    $('generate').disabled = false;
  }
}

async function seal() {
  $('seal').disabled = true;
  setStatus('Sealing…');
  await nextFrame();
  try {
    const record = state.fileBytes ?? new TextEncoder().encode($('record').value);
    const recipients = new RecipientList();
    recipients.add(state.clinician.publicKey());
    const options = {
      contentType: state.fileBytes ? state.contentType : 'application/xml',
      ownerKeyId: state.patient.keyId,
      enc: $('enc').value,
    };
    if (state.fileName) options.fileName = state.fileName;
    const smer = sealSmer(record, recipients, options);
    recipients.free();
    state.smer = smer;
    state.original = record;
    $('smer-size').textContent = `${smer.length.toLocaleString()} bytes`;
    $('smer-hash').textContent = smerHash(smer);
    const link = $('download-smer');
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(new Blob([smer], { type: 'application/jose+json' }));
    link.classList.remove('hidden');
    $('open').disabled = false;
    $('tamper').disabled = false;
    setStatus('Sealed. Only the clinician\'s private key can open it.', 'ok');
  } catch (error) {
    setStatus(explain(error), 'error');
  } finally {
    $('seal').disabled = false;
  }
}

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

async function open(tamper) {
  setStatus('Opening…');
  $('opened').textContent = '';
  $('opened-meta').textContent = '';
  $('opened-view').replaceChildren();
  await nextFrame();
  let smer = state.smer;
  if (tamper) {
    smer = smer.slice();
    // Flip one bit in the middle of the ciphertext's base64url text, keeping it base64url.
    const text = new TextDecoder().decode(smer);
    const at = text.indexOf('"ciphertext":"') + 20;
    smer[at] = smer[at] === 0x41 ? 0x42 : 0x41;
  }
  try {
    const opened = openSmer(smer, state.clinician);
    const record = opened.record;
    const header = opened.header;
    const matches = sameBytes(record, state.original);
    $('opened-meta').textContent = `Opened: ${record.length} bytes, ${header.contentType ?? 'unknown type'}, ${opened.enc}, owner ${header.ownerKeyId ?? '—'}. ${matches ? 'Identical to what the patient sealed.' : 'DIFFERENT from the original!'}`;
    // Shown as text, never as HTML.
    $('opened').textContent = header.contentType?.startsWith('text/') || header.contentType?.endsWith('xml') || header.contentType?.endsWith('json')
      ? new TextDecoder().decode(record)
      : `(binary record, ${record.length} bytes)`;
    // A My Health Bank export is shown as tables (paper Fig. 15); text only, never HTML.
    if (header.contentType?.endsWith('xml')) {
      const model = readMhb(new TextDecoder().decode(record));
      if (model.western) renderMhb(model, $('opened-view'));
    }
    header.free();
    opened.free();
    setStatus(matches ? 'Opened and verified.' : 'Opened, but it differs from the original.', matches ? 'ok' : 'error');
  } catch (error) {
    setStatus(explain(error), 'error');
  }
}

async function pickFile(event) {
  const file = event.target.files?.[0];
  if (!file) {
    state.fileBytes = null;
    state.fileName = null;
    return;
  }
  state.fileBytes = new Uint8Array(await file.arrayBuffer());
  state.fileName = file.name.replace(/[\\/\u0000-\u001f\u007f]/g, '_').slice(0, 255) || 'record';
  state.contentType = file.type || 'application/octet-stream';
  setStatus(`Picked ${state.fileName} (${state.fileBytes.length.toLocaleString()} bytes).`);
}

async function main() {
  $('record').value = SAMPLE_RECORD;
  try {
    await init();
  } catch (error) {
    setStatus(`The WebAssembly module could not be loaded: ${error.message}`, 'error');
    return;
  }
  $('generate').addEventListener('click', generateKeys);
  $('seal').addEventListener('click', seal);
  $('open').addEventListener('click', () => open(false));
  $('tamper').addEventListener('click', () => open(true));
  $('file').addEventListener('change', pickFile);
  $('generate').disabled = false;
  document.body.dataset.ready = 'true';
  setStatus('Ready. Start by generating keys.');
}

main();
