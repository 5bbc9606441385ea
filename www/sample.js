// SEMRES sample page: CEDA seal/open of a synthetic record, entirely in the browser.
// Every cryptographic operation is the WASM core's; this file only wires the page.
import { readMhb, renderMhb } from './mhb.js';
import { SAMPLE_MHB as SAMPLE_RECORD } from './samples.js';
import { startWorker } from './lib/worker-client.js';
import { explain } from './lib/errors.js';

// Every cryptographic operation runs in the site's one worker (www/worker.js), through the
// same client as the site's pages; the sample never talks to the endpoint.
const call = startWorker((why) => setStatus(`The cryptography worker could not start: ${why}`, 'error'));

const $ = (id) => document.getElementById(id);


const state = { keysReady: false, recordHash: null, fileBytes: null, fileName: null, contentType: 'application/xml' };

function setStatus(text, kind = '') {
  const status = $('status');
  status.textContent = text;
  status.className = kind;
}

async function generateKeys() {
  const bits = Number($('bits').value);
  $('generate').disabled = true;
  setStatus(`Generating two RSA-${bits} key pairs…`);
  try {
    const started = performance.now();
    const ids = await call('sampleKeys', { bits });
    $('patient-kid').textContent = ids.patient;
    $('clinician-kid').textContent = ids.clinician;
    state.keysReady = true;
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
  try {
    const record = state.fileBytes ?? new TextEncoder().encode($('record').value);
    const options = { contentType: state.fileBytes ? state.contentType : 'application/xml', enc: $('enc').value };
    if (state.fileName) options.fileName = state.fileName;
    // The record's bytes move to the worker (transferred, not copied).
    const buffer = record.buffer.byteLength === record.length ? record.buffer : record.slice().buffer;
    state.fileBytes = null;
    const sealed = await call('sampleSeal', { record: buffer, options }, { transfer: [buffer] });
    state.recordHash = sealed.recordHash;
    $('smer-size').textContent = `${sealed.size.toLocaleString()} bytes`;
    $('smer-hash').textContent = sealed.hash;
    const link = $('download-smer');
    link.href = sealed.url;
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

async function open(tamper) {
  setStatus('Opening…');
  $('opened').textContent = '';
  $('opened-meta').textContent = '';
  $('opened-view').replaceChildren();
  try {
    const opened = await call('sampleOpen', { tamper });
    const record = opened.record ? new Uint8Array(opened.record) : null;
    const matches = opened.recordHash === state.recordHash;
    $('opened-meta').textContent = `Opened: ${opened.length} bytes, ${opened.contentType ?? 'unknown type'}, ${opened.enc}, owner ${opened.ownerKeyId ?? '—'}. ${matches ? 'Identical to what the patient sealed.' : 'DIFFERENT from the original!'}`;
    const textual = opened.contentType?.startsWith('text/') || opened.contentType?.endsWith('xml') || opened.contentType?.endsWith('json');
    // Shown as text, never as HTML; large records are not decoded on the main thread.
    $('opened').textContent = textual && record ? new TextDecoder().decode(record) : `(record of ${opened.length} bytes)`;
    // A My Health Bank export is shown as tables (paper Fig. 15); text only, never HTML.
    if (opened.contentType?.endsWith('xml') && record) {
      const model = readMhb(new TextDecoder().decode(record));
      if (model.western) renderMhb(model, $('opened-view'));
    }
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
