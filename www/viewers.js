// Shows an opened record: a My Health Bank export as tables (paper Fig. 15), a FHIR R4
// bundle as a summary, plain text as text; anything else only as a download. Nothing from a
// record is ever interpreted as HTML.
import { readMhb, renderMhb } from './mhb.js';
import { readFhir, renderFhir } from './fhir.js';
import { el } from './lib/ui.js';

export function kindOf(contentType, fileName) {
  const type = (contentType ?? '').toLowerCase().split(';')[0].trim();
  const name = (fileName ?? '').toLowerCase();
  if (type.includes('fhir') || (type.endsWith('json') && name.endsWith('.json'))) return 'fhir';
  if (type === 'application/xml' || type === 'text/xml' || (name.endsWith('.xml') && !type.includes('html') && !type.includes('svg'))) return 'mhb';
  if (type === 'text/plain') return 'text';
  return 'download';
}

/** Object URLs of opened records offered for download: revoked when another record is
 *  shown and when the identity is locked. */
const downloadUrls = new Set();

/** Revokes every download link of an opened record. */
export function revokeDownloads() {
  for (const url of downloadUrls) URL.revokeObjectURL(url);
  downloadUrls.clear();
}

/** `opened`: the worker's open() result {record, length, contentType, fileName, download (a
 *  Blob), …}. */
export function showRecord(opened, container, title) {
  revokeDownloads();
  const bytes = opened.record ? new Uint8Array(opened.record) : null;
  const kind = bytes ? kindOf(opened.contentType, opened.fileName) : 'download';
  const name = (opened.fileName ?? 'record').replace(/[\\/\u0000-\u001f\u007f]/g, '_');
  const downloadUrl = opened.download ? URL.createObjectURL(opened.download) : null;
  if (downloadUrl) downloadUrls.add(downloadUrl);
  const link = downloadUrl
    ? el('a', { href: downloadUrl, download: name, text: `Download ${name} (${opened.length.toLocaleString()} bytes)` })
    : el('p', { text: `Saved to the file you chose${opened.savedTo ? ` (${opened.savedTo})` : ''}: ${opened.length.toLocaleString()} bytes, every chunk verified.` });
  const body = el('div', { className: 'record-view' });
  container.replaceChildren(el('h4', { text: title }),
    el('p', { text: `${opened.contentType ?? 'unknown type'} · ${opened.enc} · ${opened.length.toLocaleString()} bytes` }), link, body);
  if (kind === 'mhb') {
    const model = readMhb(new TextDecoder().decode(bytes));
    if (model.western) renderMhb(model, body);
    else body.append(el('pre', { text: new TextDecoder().decode(bytes) }));
  } else if (kind === 'fhir') {
    let json = null;
    try { json = JSON.parse(new TextDecoder().decode(bytes)); } catch { /* shown below */ }
    renderFhir(json ? readFhir(json) : { problem: 'not valid JSON' }, body);
  } else if (kind === 'text') {
    body.append(el('pre', { text: new TextDecoder().decode(bytes) }));
  } else {
    body.append(el('p', { text: 'This kind of record is not displayed here: download it and open it with a program you trust.' }));
  }
  return kind;
}
