// Patient page (paper §4.1, Fig. 5): seal a record for chosen clinicians in the worker (CEDA),
// upload the SMeR to DERy, grant access on the ledger and verify the sealed block; list my
// records and grants, revoke, erase; read my audit trail, open care records, pay for care.
import { semresError } from './lib/semres-error.js';
import * as store from './lib/store.js';
import { explain } from './lib/errors.js';
import { $, el, say, table, busy, short, when, throughput } from './lib/ui.js';
import { SAMPLE_MHB } from './samples.js';
import { showRecord } from './viewers.js';

const STAGES = ['encrypting', 'hashing', 'uploading', 'sealing', 'verifying'];

export function initPatient(session) {
  const { call, api } = session;
  // The chosen record as a Blob (a picked File is one): only a handle on this page — the
  // worker reads its bytes, so a large file never occupies the page's main thread.
  const picked = { record: null, name: null, type: null };
  const chosen = new Map(); // keyId → {name, role}
  const status = (text, kind) => say('patient-status', text, kind);
  const fail = (error) => status(explain(error), 'error');

  function pick(record, name, type) {
    picked.record = record;
    picked.name = name.replace(/[\\/\u0000-\u001f\u007f]/g, '_').slice(0, 255) || 'record';
    picked.type = type || guessType(picked.name);
    $('p-picked').textContent = `Chosen: ${picked.name} (${picked.type}, ${record.size.toLocaleString()} bytes). It stays in this browser until it is encrypted.`;
  }

  async function pickFile(file) {
    if (!file) return;
    pick(file, file.name, file.type);
  }

  function stage(name, state) {
    for (const li of $('p-stages').children) {
      if (li.dataset.stage === name) {
        li.dataset.state = state;
        li.setAttribute('aria-label', `${li.textContent}: ${state}`);
      }
    }
    if (state === 'done') $('p-progress').value = STAGES.indexOf(name) + 1;
  }

  async function search(event) {
    event?.preventDefault();
    const { results } = await api(`/directory?q=${encodeURIComponent($('p-search').value.trim())}`, { signed: true });
    const list = $('p-results');
    const others = results.filter((r) => r.keyId !== session.profile.keyId);
    list.replaceChildren(...others.map((r) => {
      session.names.set(r.keyId, r.name);
      const box = el('input', { type: 'checkbox', id: `to-${r.keyId}`, value: r.keyId });
      box.checked = chosen.has(r.keyId);
      box.addEventListener('change', () => { if (box.checked) chosen.set(r.keyId, r); else chosen.delete(r.keyId); });
      return el('li', {}, box, el('label', { for: `to-${r.keyId}`, className: 'inline', text: `${r.name} — ${r.role}, key ${short(r.keyId)}` }));
    }));
    if (others.length === 0) list.append(el('li', { text: 'Nobody found.' }));
  }

  async function sealAndShare() {
    if (!session.profile) throw semresError('Locked', 'unlock your identity first');
    if (!picked.record) { status('Choose a record first. [code InvalidInput]', 'error'); return; }
    if (chosen.size === 0) { status('Choose at least one recipient from the directory. [code InvalidInput]', 'error'); return; }
    for (const li of $('p-stages').children) delete li.dataset.state;
    $('p-progress').value = 0;
    $('p-bytes').hidden = true;
    $('p-bytes-text').textContent = '';
    /** Bytes, speed and time left of a large record's encryption and upload. */
    const meter = (p) => {
      if (!p.total) return;
      $('p-bytes').hidden = false;
      $('p-bytes').value = p.done / p.total;
      $('p-bytes-text').textContent = throughput(p);
    };
    for (const id of ['p-result-block', 'p-result-hash', 'p-result-inclusion']) $(id).textContent = '—';
    // Each recipient's RSA key comes from their register block, verified in the worker.
    const recipients = [...chosen.keys()];
    for (const keyId of recipients) await session.participant(keyId);
    let current = 'encrypting';
    try {
      stage('encrypting', 'active');
      const record = picked.record;
      picked.record = null; // the worker has it now
      const name = picked.name;
      const type = picked.type;
      const sealed = await call('seal', {
        record, recipients,
        options: { contentType: type, fileName: name, enc: $('p-enc').value, profile: $('p-profile').value },
      }, {
        onProgress: (p) => {
          meter(p);
          if (p.stage === 'hashing') { stage('encrypting', 'done'); stage('hashing', 'active'); current = 'hashing'; }
        },
      });
      stage('hashing', 'done');
      $('p-result-hash').textContent = sealed.hash;
      current = 'uploading';
      stage('uploading', 'active');
      await call('upload', { hash: sealed.hash }, { onProgress: meter });
      stage('uploading', 'done');
      current = 'sealing';
      stage('sealing', 'active');
      const answers = [];
      for (const recipient of recipients) {
        // The worker signs and submits the grant, then checks the answer (seal, our entry,
        // inclusion in the signed log) before it resolves.
        answers.push(await session.submit('grant', { smerHash: sealed.hash, recipient }, (p) => {
          if (p.stage === 'verifying' && current === 'sealing') { stage('sealing', 'done'); current = 'verifying'; stage('verifying', 'active'); }
        }));
      }
      stage('verifying', 'done');
      $('p-result-block').textContent = answers.map((a) => a.blockNumber).join(', ');
      const last = answers.at(-1);
      const vouched = last.kind === 'consortium' ? `block anchored on the hospitals' chain, in the log of ${last.checkpointSize} blocks cosigned by ${last.signers.join(', ')} (${last.threshold} needed)` : `block sealed by a trusted authority, in the signed log of size ${last.checkpointSize}`;
      $('p-result-inclusion').textContent = `verified: ${vouched}; your signature on the grant checked`;
      await store.put('records', { smerHash: sealed.hash, ownerKeyId: session.profile.keyId, fileName: name, contentType: type, size: sealed.size, sealedAt: Date.now() });
      $('p-picked').textContent = `${name} was sealed and shared; choose another record to share more.`;
      status(`Shared ${name} with ${[...chosen.values()].map((c) => c.name).join(', ')}.`, 'ok');
      await refresh();
    } catch (error) {
      stage(current, 'failed');
      if (!picked.record) $('p-picked').textContent = 'Choose the record again to retry.';
      throw error;
    }
  }

  async function refresh() {
    if (!session.profile || !session.registered) return;
    // The audit trail's blocks are checked in the worker (seal, inclusion) before they are shown.
    const [{ grants }, { events }, labels] = await Promise.all([
      api('/me/granted-by-me', { signed: true }), call('auditTrail'), store.all('records'),
    ]);
    const label = new Map(labels.map((r) => [r.smerHash, r.fileName]));
    const rows = [];
    for (const g of grants.sort((a, b) => a.blockNumber - b.blockNumber)) {
      const state = g.revoked ? 'revoked' : g.active ? 'active' : 'inactive (expired or erased)';
      const revoke = el('button', { type: 'button', text: 'Revoke', 'aria-label': `Revoke ${await session.nameOf(g.recipient)}'s access to ${label.get(g.smerHash) ?? short(g.smerHash)}` });
      revoke.disabled = !g.active;
      revoke.addEventListener('click', () => busy(revoke, async () => {
        const answer = await session.submit('revoke', { grant: g.grant });
        status(`Revoked in block ${answer.blockNumber}.`, 'ok');
        await refresh();
      }, fail));
      const erase = el('button', { type: 'button', text: 'Erase record', className: 'danger', 'aria-label': `Erase ${label.get(g.smerHash) ?? short(g.smerHash)} from DERy` });
      erase.disabled = state.startsWith('inactive');
      erase.addEventListener('click', () => busy(erase, async () => {
        if (!window.confirm('Erase this record? DERy deletes the ciphertext for everyone; the ledger keeps its hash.')) return;
        const answer = await session.submit('erase', { smerHash: g.smerHash });
        status(`Erased in block ${answer.blockNumber}.`, 'ok');
        await refresh();
      }, fail));
      rows.push([label.get(g.smerHash) ?? short(g.smerHash), el('span', { className: 'mono', text: short(g.smerHash), title: g.smerHash }),
        await session.nameOf(g.recipient), String(g.blockNumber), state, el('span', {}, revoke, erase)]);
    }
    $('p-grants').replaceChildren(rows.length ? table('My records and grants', ['Record', 'SMeR hash', 'Shared with', 'Grant block', 'Status', 'Actions'], rows) : el('p', { text: 'You have not shared any record yet.' }));

    // Access and care entries name a grant; the grant names the record.
    const bySmer = new Map(grants.map((g) => [g.grant, g.smerHash]));
    const auditRows = [];
    for (const e of events.sort((a, b) => a.blockNumber - b.blockNumber)) {
      const by = await session.nameOf(e.by);
      const granted = bySmer.get(e.fields.refersTo);
      const record = granted ? (label.get(granted) ?? short(granted)) : '—';
      let what = e.kind === 'access' ? `opened ${record}` : e.kind;
      const actions = el('span');
      if (e.kind === 'care') {
        what = `added a care record ${short(e.smerHash)} (while holding access to ${record})`;
        const open = el('button', { type: 'button', text: 'Open', 'aria-label': `Open the care record from ${by}` });
        open.addEventListener('click', () => busy(open, () => openCare(e), fail));
        actions.append(open);
        if (!events.some((p) => p.kind === 'payment' && p.fields.refersTo === e.fields.entryHash)) {
          actions.append(payForm(e, by));
        }
      }
      if (e.kind === 'payment') what = `payment of ${e.payment.amount} ${e.payment.currency}`;
      auditRows.push([String(e.blockNumber), when(e.time), by, what, e.payment ? `${e.payment.amount} ${e.payment.currency}` : '', actions]);
    }
    $('p-audit').replaceChildren(auditRows.length ? table('Audit trail', ['Block', 'Time', 'Who', 'What', 'Payment', ''], auditRows) : el('p', { text: 'Nothing yet.' }));
  }

  function payForm(care, by) {
    const id = `pay-${care.blockNumber}`;
    const amount = el('input', { id: `${id}-amount`, inputmode: 'numeric', value: '412', size: '6' });
    const currency = el('input', { id: `${id}-currency`, value: 'NHI-points', size: '10' });
    const button = el('button', { type: 'button', text: 'Pay', 'aria-label': `Pay ${by} for the care record in block ${care.blockNumber}` });
    button.addEventListener('click', () => busy(button, async () => {
      const value = Number(amount.value);
      if (!Number.isSafeInteger(value) || value < 0) throw semresError('InvalidInput', 'the amount is a whole number');
      const answer = await session.submit('payment', { care: care.fields.entryHash, amount: value, currency: currency.value.trim(), payee: care.by, reference: `block ${care.blockNumber}` });
      status(`Paid ${value} ${currency.value} to ${by}: block ${answer.blockNumber}.`, 'ok');
      await refresh();
    }, fail));
    return el('span', { className: 'pay' },
      el('label', { for: amount.id, className: 'inline', text: 'Amount' }), amount,
      el('label', { for: currency.id, className: 'inline', text: 'Currency' }), currency, button);
  }

  async function openCare(event) {
    const fetched = await call('fetchSmer', { hash: event.smerHash });
    if (fetched.hash !== event.smerHash) throw semresError('HashCheckFailed', 'the SMeR received is not the care record on the ledger');
    const opened = await call('open', { hash: fetched.hash });
    showRecord(opened, $('p-care-view'), `Care record from ${await session.nameOf(event.by)}`);
    status('Care record opened (its hash matched the ledger).', 'ok');
  }

  $('p-file').addEventListener('change', (e) => pickFile(e.target.files?.[0]).catch(fail));
  const drop = $('p-drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); pickFile(e.dataTransfer?.files?.[0]).catch(fail); });
  $('p-sample').addEventListener('click', () => pick(new Blob([SAMPLE_MHB]), 'myhealthbank-synthetic.xml', 'application/xml'));
  $('p-search-form').addEventListener('submit', (e) => { e.preventDefault(); busy($('p-search-go'), search, fail); });
  $('p-seal').addEventListener('click', () => busy($('p-seal'), sealAndShare, fail));
  $('p-refresh').addEventListener('click', () => busy($('p-refresh'), refresh, fail));
  session.onPage('view-patient', () => refresh().catch(fail), () => {
    for (const id of ['p-grants', 'p-audit', 'p-care-view']) $(id).replaceChildren();
  });
}

function guessType(name) {
  const ext = name.toLowerCase().split('.').pop();
  return { xml: 'application/xml', json: 'application/fhir+json', pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', txt: 'text/plain' }[ext] ?? 'application/octet-stream';
}
