// SEMRES site: navigation, identity (create, unlock, export, import, register) and the
// ledger authorities this browser trusts. The patient, clinician and auditor pages live in
// their own modules; all cryptography runs in www/worker.js (WASM core).
import { startWorker } from './lib/worker-client.js';
import { createApi } from './lib/api.js';
import * as store from './lib/store.js';
import { explain } from './lib/errors.js';
import { $, el, say, busy, download, short } from './lib/ui.js';
import { initPatient } from './patient.js';
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
const api = createApi(call);

/** What the pages share: the worker, the endpoint, the signed-in profile, trusted authorities. */
const session = {
  call,
  api,
  profile: null,
  role: null,
  listeners: [],
  onChange(listener) { this.listeners.push(listener); },
  changed() { for (const l of this.listeners) l(this); },
  /** The trusted authorities' public keys (base64url), pinned on first use. */
  async authorities() {
    const trust = await ensureTrust();
    return trust.authorities.map((a) => a.publicKey);
  },
  /** The latest checkpoint, verified against the trusted authorities. */
  async checkpoint() {
    const note = await api.get('/checkpoint');
    const trust = await ensureTrust();
    const facts = await call('verifyCheckpoint', { note, authorities: trust.authorities.map((a) => a.publicKey) });
    if (facts.origin !== trust.chainId) {
      throw Object.assign(new Error('the checkpoint is for another ledger'), { name: 'SemresError', code: 'BadCheckpoint' });
    }
    return { note, ...facts };
  },
  /** Submits an entry and checks what comes back: seal by a trusted authority, our
   *  signature, inclusion in the returned signed checkpoint. */
  async submit(entry) {
    return this.verifyAnswer(await api.postEntry(entry));
  },
  /** Checks the endpoint's answer to one of our entries (see `submit`). */
  async verifyAnswer(answer) {
    const authorities = await this.authorities();
    await call('verifyBlockSeal', { block: answer.block, authorities });
    await call('verifyEntrySigner', { block: answer.block, signingKey: this.profile.signingKey });
    await call('verifyInclusion', { block: answer.block, index: answer.blockNumber, proof: answer.inclusionProof, note: answer.checkpoint, authorities });
    return answer;
  },
  verifiedParticipants: new Map(),
  /** A participant's public keys from their register block, verified here: sealed by a
   *  trusted authority, self-signed by the registered Ed25519 key, and in the signed log. We
   *  seal only to keys obtained this way, never to whatever the endpoint says a key is. */
  async participant(keyId) {
    if (this.verifiedParticipants.has(keyId)) return this.verifiedParticipants.get(keyId);
    const listed = await api.get(`/participants/${encodeURIComponent(keyId)}`);
    const { block } = await api.get(`/blocks/${listed.block}`);
    const authorities = await this.authorities();
    const fields = await call('verifyBlockSeal', { block, authorities });
    const registration = fields.registration;
    if (!registration || registration.keyId !== keyId) {
      throw Object.assign(new Error('the endpoint pointed at a block that does not register this key'), { name: 'SemresError', code: 'BadRegistration' });
    }
    await call('verifyEntrySigner', { block, signingKey: registration.signingKey });
    const checkpoint = await this.checkpoint();
    const proof = await api.get(`/proofs/inclusion?index=${listed.block}&size=${checkpoint.size}`);
    await call('verifyInclusion', { block, index: listed.block, proof: proof.proof, note: checkpoint.note, authorities });
    const verified = {
      keyId, role: registration.role, block: listed.block, signingKey: registration.signingKey,
      encryptionKey: registration.encryptionKeyPem, encryptionKeyId: registration.encryptionKeyId,
    };
    this.verifiedParticipants.set(keyId, verified);
    return verified;
  },
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
        ({ name } = await api.signedGet(`/directory/${encodeURIComponent(keyId)}`));
      } catch { /* names are a convenience: the key id stands in */ }
      this.names.set(keyId, name);
    }
    return this.names.get(keyId);
  },
};

async function ensureTrust(force = false) {
  const origin = location.origin;
  let trust = force ? null : await store.get('trust', origin);
  if (!trust) {
    const { authorities } = await api.get('/authorities');
    const note = await api.get('/checkpoint');
    // The endpoint's checkpoint must verify under the keys it names, or nothing is pinned.
    const facts = await call('verifyCheckpoint', { note, authorities: authorities.map((a) => a.publicKey) });
    trust = { origin, chainId: facts.origin, authorities, pinnedAt: Date.now() };
    await store.put('trust', trust);
    showTrust(trust);
  }
  return trust;
}

function showTrust(trust) {
  $('trust-list').replaceChildren(...(trust?.authorities ?? []).map((a) => el('li', { className: 'mono', text: `${a.keyId}` })));
  if (trust) $('trust-list').append(el('li', { text: `chain ${trust.chainId}, pinned ${new Date(trust.pinnedAt).toLocaleString()}` }));
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
    const participant = await api.get(`/participants/${profile.keyId}`);
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
  await api.signedPut(`/directory/${session.profile.keyId}`, { name: session.profile.name });
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
  const answer = await session.submit(entry);
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
    if (!saved) throw Object.assign(new Error('no such identity'), { code: 'NotFound' });
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
  $('repin').addEventListener('click', () => busy($('repin'), async () => { showTrust(await ensureTrust(true)); say('identity-status', 'Pinned the endpoint\'s current authorities.', 'ok'); }, (e) => say('identity-status', explain(e), 'error')));
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
