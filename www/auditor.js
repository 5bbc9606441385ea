// Auditor page: checks the ledger without trusting the endpoint. A checkpoint (from the
// endpoint or a file) is verified against the chain's own authorities, the pinned ones, or a
// consortium (a file given here, or the one pinned): then the hospitals that cosigned it are
// named;
// the whole chain is replayed in WASM (every seal, signature and rule) and its Merkle root
// compared with the checkpoint's; one block's inclusion and two checkpoints' consistency are
// checked with RFC 6962 proofs. The chain can be exported and verified offline. The worker
// downloads, keeps and verifies the chain; this page only shows what it found.
import * as store from './lib/store.js';
import { explain } from './lib/errors.js';
import { semresError } from './lib/semres-error.js';
import { $, el, say, table, busy, download, when, short } from './lib/ui.js';

export function initAuditor(session) {
  const { call } = session;
  const status = (text, kind) => say('auditor-status', text, kind);
  const fail = (error) => status(explain(error), 'error');
  /** The checkpoint under audit: {note, origin, size, rootBase64, verifiedBy} or null. */
  let checkpoint = null;
  /** The checkpoint note of the chain the worker downloaded (for the export). */
  let exported = null;
  /** A consortium file the user gave: chain files and checkpoints are then checked against
   *  its members (anchored blocks, k-of-n cosignatures). */
  let consortium = null;

  async function consortiumFromFile(file) {
    const text = await file.text();
    const info = await call('consortiumInfo', { file: text });
    consortium = text;
    $('a-consortium').textContent = `Consortium ${info.origin}: ${info.members.join(', ')}; a checkpoint needs ${info.threshold} of their ${info.members.length} cosignatures.`;
    status('Consortium file verified (signed by enough of its members).', 'ok');
  }

  function showCheckpoint(note, facts, how) {
    checkpoint = { note, ...facts };
    $('a-cp').textContent = note;
    $('a-cp-ok').textContent = `${how}: ${facts.origin}, ${facts.size} blocks, root ${facts.rootBase64}`;
  }

  async function loadCheckpoint() {
    const { note, ...facts } = await session.checkpoint();
    showCheckpoint(note, facts, facts.kind === 'consortium'
      ? `yes, cosigned by ${facts.signers.join(', ')} (${facts.signers.length} of ${facts.of} hospitals, ${facts.threshold} needed)`
      : `yes, by a pinned authority (${short(facts.signers[0] ?? '')})`);
    status('Checkpoint verified.', 'ok');
  }

  async function checkpointFromFile(file) {
    const note = await file.text();
    try {
      const facts = await call('verifyCheckpointNote', { note, consortium });
      showCheckpoint(note, facts, consortium ? `yes, cosigned by ${facts.cosigners.join(', ')}` : 'yes, by a pinned authority');
    } catch (error) {
      if (error.code !== 'NetworkError' && !(error instanceof TypeError)) throw error;
      // Offline: the checkpoint is checked against the chain file's own authorities later.
      checkpoint = { note, offline: true };
      $('a-cp').textContent = note;
      $('a-cp-ok').textContent = 'not yet: it is checked against the authorities of the chain file you verify';
    }
    status('Checkpoint loaded.', 'ok');
  }

  /** Verifies `file` (bytes), or the chain the worker downloaded when `file` is null. */
  async function verifyFile(file, note) {
    // A picked chain file goes to the worker as a handle (the worker reads it).
    const result = await call('verifyChain', { file, note: note ?? null, consortium: file ? consortium : null });
    let words = result.members
      ? `valid: ${result.size} blocks of the consortium ledger ${result.chainId}; every anchor, signature and rule checked against its members ${result.members.join(', ')}`
      : `valid: ${result.size} blocks of chain ${result.chainId}; every seal, signature and rule checked; authorities ${result.authorityKeyIds.map(short).join(', ')}`;
    if (result.checkpoint) {
      if (result.checkpoint.size !== result.size || result.checkpoint.rootBase64 !== result.rootBase64) {
        throw semresError('BadProof', 'the chain is not the log the checkpoint signs');
      }
      words += result.checkpoint.cosigners
        ? `; its Merkle root equals the checkpoint's cosigned by ${result.checkpoint.cosigners.join(', ')} (${result.checkpoint.cosigners.length} of ${result.members.length}, ${result.threshold} needed)`
        : `; its Merkle root equals the signed checkpoint's (${result.rootBase64})`;
      if (checkpoint?.offline) $('a-cp-ok').textContent = `yes, by the chain's authority: ${result.checkpoint.origin}, ${result.checkpoint.size} blocks`;
    }
    return words;
  }

  async function verifyWholeChain() {
    if (!checkpoint || checkpoint.offline) await loadCheckpoint();
    await call('downloadChain', { size: checkpoint.size }, { onProgress: (p) => status(p.text) });
    exported = { note: checkpoint.note, size: checkpoint.size };
    $('a-export').disabled = false;
    status('Verifying in WebAssembly…');
    $('a-chain-result').textContent = await verifyFile(null, checkpoint.note);
    status('The whole chain verifies.', 'ok');
  }

  async function verifyChainFile(fileInput) {
    $('a-chain-result').textContent = '…';
    try {
      $('a-chain-result').textContent = await verifyFile(fileInput, checkpoint?.note ?? null);
      status(`The chain file ${fileInput.name} verifies (offline, no endpoint used).`, 'ok');
    } catch (error) {
      $('a-chain-result').textContent = `INVALID: ${explain(error)}`;
      status(`The chain file ${fileInput.name} does not verify.`, 'error');
    }
  }

  async function exportChain() {
    if (!exported) return;
    const { size, note } = exported;
    download(await call('exportChain'), `semres-chain-${size}.bin`);
    download(new TextEncoder().encode(note), `semres-checkpoint-${size}.txt`, 'text/plain');
    status('Exported the chain file and its checkpoint.', 'ok');
  }

  async function verifyOneInclusion() {
    if (!checkpoint || checkpoint.offline) await loadCheckpoint();
    const index = Number($('a-index').value);
    const { fields, checkpoint: signed } = await call('blockInclusion', { index });
    $('a-inc-result').textContent = `block ${index} is in the signed log of ${signed.size} blocks, sealed by ${short(fields.sealer)}`;
    $('a-block').replaceChildren(table(`Block ${index} (paper Fig. 6 fields)`, ['Field', 'Value'], [
      ['Block number', String(fields.blockNumber)], ['Previous hash', fields.previousHash], ['Hash', fields.hash],
      ['Time', when(fields.time)], ['Owner', fields.owner ?? '—'], ['Authorized person', fields.authorizedPerson ?? '—'],
      ['Data index', fields.dataIndex ?? '—'], ['Hash of SMeR', fields.smerHash ?? '—'], ['Authority status', fields.authorityStatus],
      ['Owner\'s signature', fields.signature ?? '—'], ['Payment', fields.payment ? `${fields.payment.amount} ${fields.payment.currency}` : '—'],
    ].map(([k, v]) => [k, el('span', { className: 'mono', text: v })])));
    status('Inclusion verified.', 'ok');
  }

  async function rememberCheckpoint() {
    if (!checkpoint || checkpoint.offline) await loadCheckpoint();
    await store.put('checkpoints', { id: location.origin, note: checkpoint.note, size: checkpoint.size, savedAt: Date.now() });
    status(`Remembered the checkpoint of ${checkpoint.size} blocks.`, 'ok');
  }

  async function verifyConsistency() {
    const file = $('a-older-file').files?.[0];
    const older = file ? await file.text() : (await store.get('checkpoints', location.origin))?.note;
    if (!older) { status('Remember a checkpoint first, or pick an older checkpoint file. [code InvalidInput]', 'error'); return; }
    await loadCheckpoint();
    const { olderSize, newerSize } = await call('consistency', { older });
    $('a-cons-result').textContent = `consistent: the log of ${newerSize} blocks extends the older log of ${olderSize} blocks (nothing rewritten)`;
    status('Consistency verified.', 'ok');
  }

  const guard = (id, action) => $(id).addEventListener('click', () => busy($(id), action, (error) => {
    fail(error);
  }));
  guard('a-cp-load', loadCheckpoint);
  guard('a-chain', async () => {
    try { await verifyWholeChain(); } catch (error) { $('a-chain-result').textContent = `INVALID: ${explain(error)}`; throw error; }
  });
  guard('a-export', exportChain);
  guard('a-inclusion', async () => {
    try { await verifyOneInclusion(); } catch (error) { $('a-inc-result').textContent = `FAILED: ${explain(error)}`; throw error; }
  });
  guard('a-save', rememberCheckpoint);
  guard('a-consistency', async () => {
    try { await verifyConsistency(); } catch (error) { $('a-cons-result').textContent = `FAILED: ${explain(error)}`; throw error; }
  });
  $('a-cp-file').addEventListener('change', (e) => { const f = e.target.files?.[0]; if (f) checkpointFromFile(f).catch(fail); });
  $('a-consortium-file').addEventListener('change', (e) => { const f = e.target.files?.[0]; if (f) consortiumFromFile(f).catch(fail); });
  $('a-chain-file').addEventListener('change', (e) => { const f = e.target.files?.[0]; if (f) verifyChainFile(f).catch(fail); });
}
