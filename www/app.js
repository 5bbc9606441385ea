// SEMRES site: navigation, identity (create, unlock, export, import, register) and the
// ledger authorities this browser trusts. The patient, clinician and auditor pages live in
// their own modules; all cryptography runs in www/worker.js (WASM core).
import { semresError } from './lib/semres-error.js';
import { startWorker } from './lib/worker-client.js';
import * as store from './lib/store.js';
import { explain } from './lib/errors.js';
import { $, el, say, busy, download, short } from './lib/ui.js';
import { initPatient } from './patient.js';
import { revokeDownloads } from './viewers.js';
import { initClinician } from './clinician.js';
import { initAuditor } from './auditor.js';

const rawCall = startWorker((why) => say('identity-status', `The cryptography worker could not start: ${why}`, 'error'));
/** Every use of the worker counts as activity for the idle lock. */
const call = (...args) => { armIdleLock(); return rawCall(...args); };

/** Unlocked keys are forgotten after this long without activity (keys, pointer, work). */
const IDLE_LOCK_MS = 15 * 60 * 1000;
let idleTimer = null;
function armIdleLock() {
  clearTimeout(idleTimer);
  if (session?.profile) idleTimer = setTimeout(() => lock('Locked after 15 minutes without activity: your keys are no longer in memory. Unlock to continue.'), IDLE_LOCK_MS);
}
/** A JSON call to the endpoint, made by the worker (signed with the unlocked identity when
 *  `signed`). The page never calls the network itself. */
const api = (path, { signed = false, method = 'GET', json } = {}) => call('api', { path, signed, method, json });

/** What the pages share: the worker, the endpoint, the signed-in profile. */
const session = {
  call,
  api,
  profile: null,
  role: null,
  listeners: [],
  onChange(listener) { this.listeners.push(listener); },
  changed() { for (const l of this.listeners) l(this); },
  /** The latest checkpoint, verified in the worker against the pinned authorities. */
  checkpoint: () => call('checkpoint'),
  /** Builds, signs and submits an entry in the worker, which checks the answer: sealed by a
   *  pinned authority, carrying our entry, signed by us, in the returned signed checkpoint. */
  submit: (kind, args, onProgress) => call('submit', { kind, args }, { onProgress }),
  /** A participant's keys from their register block, verified in the worker (seal,
   *  self-signature, inclusion). */
  participant: (keyId) => call('participant', { keyId }),
  /** Runs `onShow` when the page `viewId` is visible to a newly signed-in identity, and
   *  `onLock` when the identity is locked. */
  onPage(viewId, onShow, onLock) {
    let shown = null;
    this.onChange(() => {
      if (!$(viewId).hidden && this.profile && shown !== this.profile.keyId) {
        shown = this.profile.keyId;
        onShow();
      }
      if (!this.profile) {
        shown = null;
        onLock();
      }
    });
  },
  names: new Map(),
  /** A participant's display name from the directory (key ids only on the ledger). */
  async nameOf(keyId) {
    if (!keyId) return '—';
    if (keyId === this.profile?.keyId) return `${this.profile.name} (you)`;
    if (!this.names.has(keyId)) {
      let name = short(keyId);
      try {
        ({ name } = await api(`/directory/${encodeURIComponent(keyId)}`, { signed: true }));
      } catch { /* names are a convenience: the key id stands in */ }
      this.names.set(keyId, name);
    }
    return this.names.get(keyId);
  },
};

/** Pins the endpoint's trust on first use, verifies its latest checkpoint (k-of-n cosigned
 *  on a consortium; refused, with a warning in words, if it conflicts with one seen before)
 *  and shows both on the Identity page. */
async function ensureTrust() {
  showTrust(await call('trust'));
  try {
    await call('checkpoint');
  } catch (error) {
    // A ledger with no block yet has no checkpoint; every other failure is shown.
    if (error.code !== 'NotFound') throw error;
  }
  const trust = await call('trust');
  showTrust(trust);
  return trust;
}

/** Re-pinning: the pinned set beside the endpoint's current one, changes marked; stored only
 * when the user confirms. */
async function reviewRepin() {
  const p = await call('proposePin');
  if (p.unchanged) {
    $('repin-review').hidden = true;
    say('identity-status', 'The endpoint\'s authorities are the ones pinned: nothing changed.', 'ok');
    return;
  }
  const item = (v, mark) => el('li', { className: `mono ${mark}`, text: `${mark === 'added' ? '+ ' : mark === 'removed' ? '− ' : ''}${v.label}` });
  $('repin-old').replaceChildren(...vouchers(p.pinned).map((v) => item(v, p.removed.includes(v.keyId) ? 'removed' : '')),
    el('li', { text: p.pinned ? describeTrust(p.pinned) : 'nothing pinned' }));
  $('repin-new').replaceChildren(...vouchers(p.proposed).map((v) => item(v, p.added.includes(v.keyId) ? 'added' : '')),
    el('li', { text: describeTrust(p.proposed) }));
  const warnings = [];
  if (!p.sameChain) warnings.push('The endpoint now serves another ledger (its chain id changed).');
  if (!p.sameKind) warnings.push(p.proposed.kind === 'consortium' ? 'The endpoint is now a member of a consortium of hospitals.' : 'The endpoint no longer serves the consortium\'s ledger.');
  if (!p.sameThreshold) warnings.push(`Checkpoints would need ${p.proposed.threshold} signatures instead of ${p.pinned.threshold ?? 1}.`);
  if (p.kept.length === 0 && p.pinned) warnings.push('No pinned authority is in the new set.');
  warnings.push(`${p.added.length} added, ${p.removed.length} removed.`);
  $('repin-warning').textContent = warnings.join(' ');
  $('repin-review').dataset.proposal = p.id;
  $('repin-review').hidden = false;
  $('repin-confirm').focus();
}

/** Who may vouch under a pinned trust: the consortium's hospitals or the authorities. */
function vouchers(trust) {
  if (!trust) return [];
  if (trust.kind === 'consortium') return trust.members.map((m) => ({ keyId: m.keyId, label: `${m.name} (key ${m.keyId})` }));
  return (trust.authorities ?? []).map((a) => ({ keyId: a.keyId, label: a.keyId }));
}

/** One line saying what a pinned trust is. */
function describeTrust(trust) {
  return trust.kind === 'consortium'
    ? `consortium ledger ${trust.chainId} anchored on Ethereum chain ${trust.ethereumChainId}: a checkpoint needs ${trust.threshold} of these ${trust.members.length} hospitals`
    : `ledger ${trust.chainId}: a checkpoint needs one of these authorities`;
}

function showTrust(trust) {
  $('trust-title').textContent = trust?.kind === 'consortium' ? 'Trusted consortium of hospitals' : 'Trusted ledger authorities';
  $('trust-list').replaceChildren(...vouchers(trust).map((v) => el('li', { className: 'mono', text: v.label })));
  if (!trust) return;
  $('trust-list').append(el('li', { text: `${describeTrust(trust)}; pinned ${new Date(trust.pinnedAt).toLocaleString()}` }));
  if (trust.seen) {
    const by = trust.seenSigners?.length ? `, signed by ${trust.seenSigners.join(', ')}` : '';
    $('trust-list').append(el('li', { id: 'trust-seen', text: `Latest checkpoint verified here: ${trust.seen.size} blocks${by}` }));
  }
}

// ---- navigation ----

const VIEWS = ['identity', 'patient', 'clinician', 'auditor'];
function route() {
  const view = VIEWS.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'identity';
  for (const name of VIEWS) $(`view-${name}`).hidden = name !== view;
  for (const link of document.querySelectorAll('nav a[data-view]')) {
    if (link.dataset.view === view) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `SEMRES — ${view[0].toUpperCase()}${view.slice(1)}`;
  session.changed();
}

// ---- identity ----

async function refreshIdentityList() {
  const identities = await store.all('identities');
  const select = $('signin-identity');
  select.replaceChildren(...identities.map((i) => el('option', { value: i.keyId, text: `${i.name} (${i.role ?? 'unregistered'}) — ${short(i.keyId)}` })));
  $('no-identities').hidden = identities.length > 0;
  $('signin-form').hidden = identities.length === 0;
}

async function signedIn(profile) {
  session.profile = profile;
  const saved = await store.get('identities', profile.keyId);
  session.role = saved?.role ?? null;
  // The ledger says what this key is registered as.
  try {
    const participant = await api(`/participants/${encodeURIComponent(profile.keyId)}`);
    session.role = participant.role;
    session.registered = true;
  } catch (error) {
    session.registered = false;
    if (error.code !== 'NotFound') {
      // Unlocked, but the endpoint could not say what this key is: show that, and why.
      showSignedIn();
      session.changed();
      throw error;
    }
  }
  if (saved && saved.role !== session.role && session.registered) await store.put('identities', { ...saved, role: session.role });
  showSignedIn();
  armIdleLock();
  session.changed();
  await ensureTrust();
  // Registered elsewhere (by the CLI, or at another hospital of the consortium): the name is
  // listed in this hospital's directory too, so the people one shares with find it.
  if (session.registered) {
    try {
      await api(`/directory/${encodeURIComponent(profile.keyId)}`, { signed: true });
    } catch (error) {
      if (error.code !== 'NotFound') throw error;
      await publishName();
    }
  }
}

function showSignedIn() {
  const p = session.profile;
  $('current-box').hidden = !p;
  $('signin-box').hidden = Boolean(p);
  $('who').textContent = p ? `Signed in as ${p.name} — ${session.registered ? session.role : 'not registered yet'}` : 'Not signed in.';
  if (!p) return;
  $('me-name').textContent = p.name;
  $('me-role').textContent = session.registered ? session.role : 'not registered on this ledger';
  $('me-kid').textContent = p.keyId;
  $('me-ekid').textContent = p.encryptionKeyId;
  $('register-box').hidden = session.registered;
  if (session.role === 'clinician' && !session.registered) $('register-role').value = 'clinician';
}

async function publishName() {
  await api(`/directory/${encodeURIComponent(session.profile.keyId)}`, { signed: true, method: 'PUT', json: { name: session.profile.name } });
}

async function register() {
  const role = $('register-role').value;
  const { entry } = await call('entry', { kind: 'register', args: { role } });
  if (role !== 'patient') {
    session.pendingRequest = entry;
    $('admission-box').hidden = false;
    say('identity-status', 'Registration request ready: download it and have an authority admit it.');
    return;
  }
  await finishRegistration(entry, role);
}

async function finishRegistration(entry, role) {
  await ensureTrust();
  const answer = await call('submit', { entry });
  const saved = await store.get('identities', session.profile.keyId);
  if (saved) await store.put('identities', { ...saved, role, registeredBlock: answer.blockNumber });
  session.registered = true;
  session.role = role;
  await publishName();
  $('admission-box').hidden = true;
  showSignedIn();
  await refreshIdentityList();
  session.changed();
  say('identity-status', `Registered as ${role} in block ${answer.blockNumber} (seal, signature and inclusion verified).`, 'ok');
}

async function create(event) {
  event.preventDefault();
  const name = $('create-name').value.trim();
  const passphrase = $('create-passphrase').value;
  if (passphrase !== $('create-passphrase2').value) {
    say('identity-status', 'The two passphrases differ. [code InvalidInput]', 'error');
    return;
  }
  if (passphrase.length < 10) {
    say('identity-status', 'Choose a passphrase of at least 10 characters. [code InvalidInput]', 'error');
    return;
  }
  const role = $('create-role').value;
  const progress = $('create-progress');
  progress.hidden = false;
  progress.value = 0;
  await busy($('create'), async () => {
    const { profile, file } = await call('createIdentity', { name, bits: Number($('create-bits').value), passphrase }, {
      onProgress: (p) => { progress.value = p.step - 1; $('create-stage').textContent = p.text; },
    });
    await store.put('identities', { keyId: profile.keyId, name, role, encryptionKeyId: profile.encryptionKeyId, file, createdAt: Date.now() });
    progress.value = 3;
    $('create-stage').textContent = 'Identity created and saved (encrypted) in this browser. Export it to a file to keep a backup.';
    $('create-passphrase').value = '';
    $('create-passphrase2').value = '';
    await refreshIdentityList();
    await signedIn(profile);
    if (!session.registered) {
      $('register-role').value = role;
      await register();
    }
  }, (error) => { progress.hidden = true; $('create-stage').textContent = ''; say('identity-status', explain(error), 'error'); });
}

async function unlock(event) {
  event.preventDefault();
  const keyId = $('signin-identity').value;
  await busy($('signin'), async () => {
    const saved = await store.get('identities', keyId);
    if (!saved) throw semresError('NotFound', 'no such identity in this browser');
    const { profile } = await call('unlock', { file: saved.file, passphrase: $('signin-passphrase').value });
    $('signin-passphrase').value = '';
    await signedIn(profile);
    say('identity-status', `Unlocked. Welcome, ${profile.name}.`, 'ok');
  }, (error) => say('identity-status', explain(error), 'error'));
}

async function importIdentity(event) {
  event.preventDefault();
  const file = $('import-file').files?.[0];
  if (!file) return;
  await busy($('import'), async () => {
    const bytes = await file.arrayBuffer();
    const { profile } = await call('unlock', { file: bytes.slice(0), passphrase: $('import-passphrase').value });
    $('import-passphrase').value = '';
    await store.put('identities', { keyId: profile.keyId, name: profile.name, role: null, encryptionKeyId: profile.encryptionKeyId, file: bytes, createdAt: Date.now() });
    await signedIn(profile);
    const saved = await store.get('identities', profile.keyId);
    await store.put('identities', { ...saved, role: session.role });
    await refreshIdentityList();
    say('identity-status', `Imported and unlocked ${profile.name}${session.registered ? ` (${session.role})` : ''}.`, 'ok');
  }, (error) => say('identity-status', explain(error), 'error'));
}

async function exportIdentity() {
  const saved = await store.get('identities', session.profile.keyId);
  download(saved.file, `${saved.name.replace(/[^\p{L}\p{N}_-]+/gu, '_')}.identity.json`, 'application/json');
  say('identity-status', 'Exported. The file is encrypted with your passphrase; keep both safe and separate.', 'ok');
}

async function lock(reason) {
  clearTimeout(idleTimer);
  await rawCall('lock');
  revokeDownloads();
  session.profile = null;
  session.role = null;
  session.registered = false;
  showSignedIn();
  await refreshIdentityList();
  session.changed();
  say('identity-status', typeof reason === 'string' ? reason : 'Locked. Your keys are no longer in memory.');
}

async function uploadAdmitted() {
  const file = $('admitted-file').files?.[0];
  if (!file) return;
  try {
    const entry = (await file.text()).trim();
    await finishRegistration(entry, $('register-role').value);
  } catch (error) {
    say('identity-status', explain(error), 'error');
  }
}

async function main() {
  window.addEventListener('hashchange', route);
  for (const type of ['pointerdown', 'keydown']) document.addEventListener(type, armIdleLock, { passive: true });
  $('create-form').addEventListener('submit', create);
  $('signin-form').addEventListener('submit', unlock);
  $('import-form').addEventListener('submit', importIdentity);
  $('export-identity').addEventListener('click', exportIdentity);
  $('lock').addEventListener('click', lock);
  $('register').addEventListener('click', () => busy($('register'), register, (e) => say('identity-status', explain(e), 'error')));
  $('download-request').addEventListener('click', () => download(new TextEncoder().encode(`${session.pendingRequest}\n`), 'registration-request.txt', 'text/plain'));
  $('admitted-file').addEventListener('change', uploadAdmitted);
  $('repin').addEventListener('click', () => busy($('repin'), reviewRepin, (e) => say('identity-status', explain(e), 'error')));
  $('repin-confirm').addEventListener('click', () => busy($('repin-confirm'), async () => {
    showTrust(await call('confirmPin', { id: $('repin-review').dataset.proposal }));
    $('repin-review').hidden = true;
    say('identity-status', 'Pinned the new authorities.', 'ok');
  }, (e) => say('identity-status', explain(e), 'error')));
  $('repin-cancel').addEventListener('click', () => {
    $('repin-review').hidden = true;
    say('identity-status', 'Kept the pinned authorities.', 'ok');
  });
  session.onChange(() => {
    for (const node of document.querySelectorAll('.needs-identity')) node.hidden = Boolean(session.profile);
  });
  initPatient(session);
  initClinician(session);
  initAuditor(session);
  try {
    await refreshIdentityList();
    showTrust(await store.get('trust', location.origin));
  } catch (error) {
    say('identity-status', explain(error), 'error');
  }
  showSignedIn();
  route();
  document.body.dataset.ready = 'true';
}

main();
