// Clinician page (paper §4.2, Fig. 14–15): the records shared with me. Before decrypting one,
// every check runs here in WASM and is shown as it passes — a checkpoint signed by a trusted
// authority (on a consortium: cosigned by k of its n hospitals, named), the grant's block sealed
// by that authority (on a consortium: anchored on the hospitals' chain, its anchor shown), the
// owner's signature, the grant's inclusion in the signed log, the grant still active (the ledger seals our access receipt only then), the
// SMeR's hash equal to the ledger's — and any failure refuses decryption. Then: add a care
// record sealed to the patient.
import { explain } from './lib/errors.js';
import { semresError } from './lib/semres-error.js';
import { $, el, say, table, busy, short, when, throughput } from './lib/ui.js';
import { showRecord } from './viewers.js';

const CHECKS = ['authority', 'seal', 'owner', 'inclusion', 'active', 'hash', 'decrypt'];

/** The two trust checks' labels, for an embedded ledger or a consortium. */
const LABELS = {
  authorities: { authority: 'Checkpoint signed by a pinned authority', seal: 'Grant block sealed by a pinned authority' },
  consortium: { authority: 'Checkpoint cosigned by k of n hospitals', seal: 'Grant block anchored on the hospitals\' chain' },
};

class CheckFailed extends Error {
  constructor(check, cause, detail) {
    super(detail ?? cause?.message ?? 'check failed');
    this.check = check;
    this.cause = cause;
    this.detail = detail;
  }
}

export function initClinician(session) {
  const { call, api } = session;
  const status = (text, kind) => say('clinician-status', text, kind);
  const fail = (error) => status(explain(error), 'error');
  /** The grant whose record is open: care records are added under it. */
  let current = null;

  function mark(check, state, detail = '') {
    const li = document.querySelector(`#c-checks li[data-check="${check}"]`);
    li.dataset.state = state;
    const label = li.dataset.label ?? li.textContent;
    li.dataset.label = label;
    const mark = { pass: '✔ passed', fail: '✘ FAILED', running: '… checking', skipped: '– not checked' }[state] ?? '';
    li.textContent = `${label} — ${mark}${detail ? `: ${detail}` : ''}`;
  }

  /** Labels the trust checks for the kind of ledger (the consortium's k and n filled in). */
  function relabel(kind, cp) {
    for (const [check, label] of Object.entries(LABELS[kind] ?? LABELS.authorities)) {
      const li = document.querySelector(`#c-checks li[data-check="${check}"]`);
      li.dataset.label = label.replace('k of n', `${cp.threshold} of ${cp.of}`);
    }
  }

  async function check(name, action) {
    mark(name, 'running');
    try {
      const detail = await action();
      mark(name, 'pass', detail);
    } catch (error) {
      throw error instanceof CheckFailed ? error : new CheckFailed(name, error);
    }
  }

  async function refresh() {
    if (!session.profile || !session.registered) return;
    const { grants } = await api('/me/shared-with-me', { signed: true });
    const rows = [];
    for (const g of grants.sort((a, b) => b.blockNumber - a.blockNumber)) {
      const owner = await session.nameOf(g.owner);
      const open = el('button', { type: 'button', text: 'Verify and open', 'aria-label': `Verify and open the record ${short(g.smerHash)} shared by ${owner}` });
      open.addEventListener('click', () => busy(open, () => verifyAndOpen(g), fail));
      const state = g.revoked ? 'revoked' : g.active ? 'active' : 'inactive';
      rows.push([owner, el('span', { className: 'mono', text: short(g.smerHash), title: g.smerHash }), String(g.blockNumber), g.expires ? when(g.expires) : 'no expiry', state, open]);
    }
    $('c-grants').replaceChildren(rows.length ? table('Records shared with me', ['Owner', 'SMeR hash', 'Grant block', 'Expires', 'Status', ''], rows) : el('p', { text: 'Nothing has been shared with you yet.' }));
  }

  /** Byte progress of a large record's download and decryption. */
  function meter(p) {
    if (p.total) $('c-bytes-text').textContent = throughput(p);
  }

  /** Where a large record is saved: the user picks a file (a fresh click, as the browser
   *  requires); null where the browser has no file picker (a download is offered instead). */
  function chooseSaveFile(fetched) {
    if (typeof window.showSaveFilePicker !== 'function') return Promise.resolve(null);
    const button = $('c-save');
    button.hidden = false;
    button.textContent = `Choose where to save the decrypted record (${fetched.size.toLocaleString()} bytes of SMeR)…`;
    button.focus();
    return new Promise((resolve, reject) => {
      button.onclick = async () => {
        button.onclick = null;
        button.hidden = true;
        try {
          resolve(await window.showSaveFilePicker({ suggestedName: `record-${fetched.hash.slice(0, 12)}` }));
        } catch {
          reject(semresError('InvalidInput', 'no file was chosen to save the record'));
        }
      };
    });
  }

  async function verifyAndOpen(g) {
    current = null;
    $('c-bytes-text').textContent = '';
    $('c-save').hidden = true;
    $('c-care').disabled = true;
    $('c-view').replaceChildren();
    $('c-meta').textContent = '';
    $('c-care-result').textContent = '';
    for (const name of CHECKS) mark(name, 'skipped');
    status(`Verifying the record ${short(g.smerHash)}…`);
    let fields;
    let owner;
    try {
      // Each check is one operation of the worker, which fetches and verifies.
      await check('authority', async () => {
        const cp = await call('grantCheckpoint', { blockNumber: g.blockNumber });
        relabel(cp.kind, cp);
        return cp.kind === 'consortium'
          ? `${cp.signers.length} of ${cp.of} hospitals (${cp.signers.join(', ')}) cosigned the checkpoint of ${cp.size} blocks; ${cp.threshold} needed`
          : `checkpoint of ${cp.size} blocks signed by authority ${short(cp.signers[0] ?? '')}`;
      });
      await check('seal', async () => {
        try {
          ({ fields } = await call('grantBlock', { blockNumber: g.blockNumber, grant: g.grant }));
        } catch (error) {
          if (error.code === 'BadAnswer') throw new CheckFailed('seal', error, `block ${g.blockNumber} is not the grant of this record to you`);
          throw error;
        }
        const a = fields.anchor;
        return a
          ? `block ${fields.blockNumber} anchored on Ethereum chain ${a.chainId}, block ${a.blockNumber}, transaction 0x${short(a.transactionHash)}, log ${a.logIndex} (entry ${a.seq} of the contract)`
          : `block ${fields.blockNumber} sealed by authority ${short(fields.sealer)}`;
      });
      await check('owner', async () => {
        owner = await call('grantOwner', { blockNumber: g.blockNumber });
        return `signed by ${await session.nameOf(fields.owner)} (key ${short(fields.owner)})`;
      });
      await check('inclusion', async () => {
        const { size, proofLength } = await call('grantInclusion', { blockNumber: g.blockNumber });
        return `block ${g.blockNumber} is in the log of ${size} blocks (${proofLength} hashes)`;
      });
      await check('active', async () => {
        if (g.expires && g.expires * 1000 < Date.now()) throw new CheckFailed('active', null, 'the grant has expired');
        const receipt = await session.submit('access', { grant: g.grant });
        return `access receipt sealed in block ${receipt.blockNumber} (the ledger seals it only for an active grant)`;
      });
      let fetched;
      await check('hash', async () => {
        try {
          // The worker keeps the SMeR only if its SHA-256 is the ledger's (else HashCheckFailed).
          fetched = await call('fetchSmer', { hash: fields.smerHash }, { onProgress: meter });
        } catch (error) {
          if (error.code === 'CorruptSmer') throw new CheckFailed('hash', error, 'the repository\'s copy does not match the hash on the ledger');
          if (error.code === 'HashCheckFailed') throw new CheckFailed('hash', error, `received ${short(error.received)}, the ledger says ${short(fields.smerHash)}`);
          throw error;
        }
        return `SHA-256 of the ${fetched.size.toLocaleString()} bytes received = ${short(fetched.hash)}, as on the ledger`;
      });
      let opened;
      await check('decrypt', async () => {
        // A streamed SMeR is decrypted record by record to disk: into a file the user
        // chooses (File System Access; written only if every record verifies), or else
        // into a private file offered as a download.
        const saveTo = fetched.streamed ? await chooseSaveFile(fetched) : null;
        opened = await call('open', { hash: fetched.hash, saveTo }, { onProgress: meter });
        return `${opened.enc}, ${opened.length.toLocaleString()} bytes${opened.savedTo ? `, saved to ${opened.savedTo}` : ''}`;
      });
      $('c-meta').textContent = `Owner ${await session.nameOf(fields.owner)} · sealed ${when(opened.createdAt)} · SMeR ${fields.smerHash}`;
      const kind = showRecord(opened, $('c-view'), opened.fileName ?? 'Record');
      current = { grant: g, owner };
      $('c-care').disabled = false;
      status(`Verified and decrypted (${kind === 'download' ? 'offered as a download' : 'shown below'}).`, 'ok');
    } catch (error) {
      const failed = error instanceof CheckFailed ? error.check : 'authority';
      const cause = error instanceof CheckFailed ? error.cause : error;
      const words = error.detail ?? explain(cause);
      mark(failed, 'fail', error.detail && cause?.code ? `${error.detail} [code ${cause.code}]` : words);
      for (const name of CHECKS.slice(CHECKS.indexOf(failed) + 1)) mark(name, 'skipped');
      status(`Refused: the record was not decrypted. The check "${document.querySelector(`#c-checks li[data-check="${failed}"]`).dataset.label}" failed — ${cause ? explain(cause) : words}`, 'error');
    }
  }

  async function addCare() {
    if (!current) return;
    const { grant, owner } = current;
    const file = $('c-care-file').files?.[0];
    const fee = $('c-care-fee').value.trim();
    let record;
    let options;
    if (file) {
      record = file; // a handle: the worker reads it
      options = { contentType: file.type || 'application/octet-stream', fileName: file.name.replace(/[\\/\u0000-\u001f\u007f]/g, '_').slice(0, 255) };
    } else {
      const note = $('c-care-note').value.trim();
      if (!note) { status('Write a note or pick a file. [code InvalidInput]', 'error'); return; }
      const text = `Care note by ${session.profile.name}\nDate: ${new Date().toISOString().slice(0, 10)}\nFor the record ${grant.smerHash}\nFee requested: ${fee || '—'} NHI-points\n\n${note}\n`;
      record = new Blob([text]);
      options = { contentType: 'text/plain; charset=utf-8', fileName: 'care-note.txt' };
    }
    // Sealed to the patient only: the new data belongs to them (paper §4.2).
    const sealed = await call('seal', {
      record, recipients: [owner.keyId], includeMe: false,
      options: { ...options, enc: 'A256CBC-HS512', ownerKeyId: owner.encryptionKeyId },
    });
    await call('upload', { hash: sealed.hash });
    const answer = await session.submit('care', { grant: grant.grant, smerHash: sealed.hash });
    $('c-care-result').textContent = `Care record sealed to ${await session.nameOf(grant.owner)} and recorded in block ${answer.blockNumber} (SMeR ${short(sealed.hash)}). The patient sees it in their audit trail and settles it with a payment entry.`;
    $('c-care-note').value = '';
    $('c-care-file').value = '';
    status('Care record added.', 'ok');
  }

  $('c-refresh').addEventListener('click', () => busy($('c-refresh'), refresh, fail));
  $('c-care').addEventListener('click', () => busy($('c-care'), addCare, fail));
  session.onPage('view-clinician', () => refresh().catch(fail), () => {
    current = null;
    $('c-grants').replaceChildren();
    $('c-view').replaceChildren();
    $('c-care').disabled = true;
  });
}
