// SEMRES cryptography worker: every key, every plaintext record and every verification lives
// here, off the page's main thread (a 64 MiB record never freezes the page), in the WASM core.
// The unlocked identity's private keys exist only in this worker's WASM memory; the page gets
// key ids, public keys, SMeR hashes, verification results and opened records. SMeRs travel
// to and from the endpoint from here, so large buffers never cross to the page.
import init, {
  Identity, PublicKey, RecipientList, SigningKeyList, SigningPublicKey,
  sealSmer, openSmer, inspectSmer, smerHash,
  registerEntry, grantEntry, revokeEntry, accessEntry, careEntry, paymentEntry, eraseEntry, entryHash,
  blockFields, verifyBlockSeal, verifyEntrySigner, verifyCheckpoint, verifyInclusion, verifyConsistency,
  verifyChain, verifyChainStructure, signRequest,
} from '/pkg/semres.js';

const ready = init();

/** The unlocked identity: { identity, signing, encryption } (WASM handles), or null. */
let me = null;
/** SMeRs sealed here and not yet uploaded, or fetched and not yet opened: hash → bytes. */
const smers = new Map();
/** Opened records offered for download: the last object URL, revoked on the next. */
let downloadUrl = null;
/** Records up to this size are sent to the page for display; larger ones only as a download. */
const SHOW_LIMIT = 8 << 20;
const API = '/api/v1';

const b64url = {
  encode(bytes) {
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  },
  decode(text) {
    const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(s, (c) => c.charCodeAt(0));
  },
};
const b64std = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const concat = (list) => {
  const out = new Uint8Array(list.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of list) { out.set(a, at); at += a.length; }
  return out;
};
/** A proof from the endpoint (a list of base64 hashes) as concatenated bytes. */
const proofBytes = (list) => concat(list.map(b64std));

function fail(code, message, extra = {}) {
  return Object.assign(new Error(message), { name: 'SemresError', code, ...extra });
}

function requireIdentity() {
  if (!me) throw fail('Locked', 'Unlock your identity first.');
  return me;
}

function describe() {
  const { identity, signing, encryption } = me;
  const signingPublic = signing.publicKey();
  const encryptionPublic = encryption.publicKey();
  const profile = {
    name: identity.name,
    keyId: signing.keyId,
    encryptionKeyId: encryption.keyId,
    signingKey: b64url.encode(signingPublic.toBytes()),
    encryptionKeyPem: encryptionPublic.toPem(),
  };
  signingPublic.free();
  encryptionPublic.free();
  return profile;
}

function adopt(identity) {
  forget();
  me = { identity, signing: identity.signingKey(), encryption: identity.encryptionKey() };
  return describe();
}

function forget() {
  if (!me) return;
  me.signing.free();
  me.encryption.free();
  me.identity.free();
  me = null;
}

/** The headers of a signed request (SPEC.md §5): the endpoint checks them against the key. */
function signedHeaders(method, path) {
  return signRequest(requireIdentity().signing, method, path);
}

async function endpointError(response) {
  let body = {};
  try { body = await response.json(); } catch { /* not JSON */ }
  return fail(body.code ?? `Http${response.status}`, body.message ?? `the endpoint answered ${response.status}`, { status: response.status });
}

function withAuthorities(list, use) {
  const keys = new SigningKeyList();
  try {
    for (const text of list) {
      const key = SigningPublicKey.fromBytes(b64url.decode(text));
      keys.add(key);
      key.free();
    }
    return use(keys);
  } finally {
    keys.free();
  }
}

function checkpointFacts(info) {
  const facts = { origin: info.origin, size: info.size, rootBase64: info.rootBase64 };
  info.free();
  return facts;
}

/** Verifies `note` and runs `use(info)` with the verified checkpoint. */
function withCheckpoint(note, authorities, use) {
  const info = withAuthorities(authorities, (keys) => verifyCheckpoint(note, keys));
  try { return use(info); } finally { info.free(); }
}

function entryResult(bytes) {
  return { result: { entry: b64url.encode(bytes), hash: entryHash(bytes) } };
}

const operations = {
  async createIdentity({ name, bits, passphrase }, progress) {
    progress({ stage: 'keys', step: 1, of: 3, text: `Generating your keys (RSA-${bits} and Ed25519)…` });
    const identity = Identity.generate(name, bits);
    progress({ stage: 'protect', step: 2, of: 3, text: 'Protecting them with your passphrase (PBKDF2)…' });
    const file = identity.export(passphrase);
    const profile = adopt(identity);
    progress({ stage: 'store', step: 3, of: 3, text: 'Saving the encrypted identity in this browser…' });
    return { result: { profile, file: file.buffer }, transfer: [file.buffer] };
  },
  async unlock({ file, passphrase }) {
    const identity = Identity.import(new Uint8Array(file), passphrase);
    return { result: { profile: adopt(identity) } };
  },
  async lock() {
    forget();
    smers.clear();
    return { result: true };
  },
  async signedHeaders({ method, path }) {
    return { result: signedHeaders(method, path) };
  },
  async entry({ kind, args }) {
    const { signing, encryption } = requireIdentity();
    switch (kind) {
      case 'register': {
        const pub = encryption.publicKey();
        try { return entryResult(registerEntry(signing, pub, args.role)); } finally { pub.free(); }
      }
      case 'grant': return entryResult(grantEntry(signing, args.smerHash, args.dataIndex, args.recipient, args.expires ?? null));
      case 'revoke': return entryResult(revokeEntry(signing, args.grant));
      case 'access': return entryResult(accessEntry(signing, args.grant));
      case 'care': return entryResult(careEntry(signing, args.grant, args.smerHash, args.dataIndex));
      case 'payment': return entryResult(paymentEntry(signing, args.care, args.amount, args.currency, args.payee, args.reference));
      case 'erase': return entryResult(eraseEntry(signing, args.smerHash));
      default: throw fail('InvalidInput', `unknown entry kind ${kind}`);
    }
  },
  /** Seals a record to `recipients` ({pem, keyId}: each PEM must have that key id) and,
   *  unless `includeMe` is false, to me; keeps the SMeR here. */
  async seal({ record, recipients, options, includeMe = true }, progress) {
    const { encryption } = requireIdentity();
    progress({ stage: 'encrypting', text: 'Encrypting (CEDA: a fresh AES key, wrapped with each recipient\'s RSA key)…' });
    const to = new RecipientList();
    try {
      if (includeMe) {
        const mine = encryption.publicKey();
        to.add(mine);
        mine.free();
      }
      for (const { pem, keyId } of recipients) {
        const key = PublicKey.fromPem(pem);
        const matches = key.keyId === keyId;
        if (matches) to.add(key);
        key.free();
        if (!matches) throw fail('BadRegistration', 'a recipient key is not the registered one');
      }
      const bytes = new Uint8Array(record);
      const smer = sealSmer(bytes, to, { ...options, ownerKeyId: options.ownerKeyId ?? encryption.keyId });
      bytes.fill(0);
      progress({ stage: 'hashing', text: 'Hashing the SMeR (SHA-256)…' });
      const hash = smerHash(smer);
      smers.set(hash, smer);
      return { result: { hash, size: smer.length } };
    } finally {
      to.free();
    }
  },
  /** Uploads a SMeR sealed here to DERy (a signed PUT) and forgets it. */
  async upload({ hash }, progress) {
    const smer = smers.get(hash);
    if (!smer) throw fail('InvalidInput', 'nothing sealed with that hash');
    progress({ stage: 'uploading', text: `Uploading the SMeR (${smer.length.toLocaleString()} bytes of ciphertext)…` });
    const path = `${API}/smers/${hash}`;
    const response = await fetch(path, {
      method: 'PUT',
      headers: { ...signedHeaders('PUT', path), 'Content-Type': 'application/jose+json' },
      body: smer,
    });
    if (!response.ok) throw await endpointError(response);
    smers.delete(hash);
    return { result: await response.json() };
  },
  /** Fetches the SMeR with the ledger's hash `hash` from DERy, checks its SHA-256 here, and
   *  keeps it for `open`. */
  async fetchSmer({ hash }) {
    const path = `${API}/smers/${hash}`;
    const response = await fetch(path, { headers: signedHeaders('GET', path) });
    if (!response.ok) throw await endpointError(response);
    const smer = new Uint8Array(await response.arrayBuffer());
    const computed = smerHash(smer);
    // DERy's rule on every exchange: bytes that do not hash to the ledger's value are dropped.
    if (computed !== hash) throw fail('HashCheckFailed', 'the SMeR received does not hash to the ledger\'s value', { received: computed });
    smers.set(computed, smer);
    let recipients = [];
    let enc = null;
    try {
      const info = inspectSmer(smer);
      recipients = info.recipientKeyIds;
      enc = info.enc;
      info.free();
    } catch { /* reported when opened */ }
    return { result: { hash: computed, size: smer.length, recipients, enc } };
  },
  /** Opens a fetched SMeR whose hash the page has checked; returns the record. */
  async open({ hash }) {
    const { encryption } = requireIdentity();
    const smer = smers.get(hash);
    if (!smer) throw fail('InvalidInput', 'fetch the SMeR first');
    smers.delete(hash);
    const opened = openSmer(smer, encryption);
    const record = opened.record;
    const header = opened.header;
    const meta = {
      length: record.length,
      contentType: header.contentType ?? null,
      ownerKeyId: header.ownerKeyId ?? null,
      fileName: header.fileName ?? null,
      createdAt: header.createdAt ?? null,
      recordId: header.recordId ?? null,
      enc: opened.enc,
    };
    header.free();
    opened.free();
    if (downloadUrl) URL.revokeObjectURL(downloadUrl);
    // Offered as an opaque download: never rendered by the browser.
    downloadUrl = URL.createObjectURL(new Blob([record], { type: 'application/octet-stream' }));
    const small = record.length <= SHOW_LIMIT;
    const copy = small ? record.slice().buffer : null;
    return { result: { ...meta, record: copy, downloadUrl }, transfer: copy ? [copy] : [] };
  },
  async verifyCheckpoint({ note, authorities }) {
    return { result: withAuthorities(authorities, (keys) => checkpointFacts(verifyCheckpoint(note, keys))) };
  },
  /** Seal of one block by a known authority. */
  async verifyBlockSeal({ block, authorities }) {
    withAuthorities(authorities, (keys) => verifyBlockSeal(b64url.decode(block), keys));
    return { result: blockFields(b64url.decode(block)) };
  },
  /** The block's entry is signed by the holder of `signingKey` (base64url Ed25519). */
  async verifyEntrySigner({ block, signingKey }) {
    const key = SigningPublicKey.fromBytes(b64url.decode(signingKey));
    try { verifyEntrySigner(b64url.decode(block), key); } finally { key.free(); }
    return { result: true };
  },
  async verifyInclusion({ block, index, proof, note, authorities }) {
    withCheckpoint(note, authorities, (info) => verifyInclusion(b64url.decode(block), index, proofBytes(proof), info));
    return { result: true };
  },
  async verifyConsistency({ older, newer, proof, authorities }) {
    withCheckpoint(older, authorities, (a) => withCheckpoint(newer, authorities, (b) => verifyConsistency(a, b, proofBytes(proof))));
    return { result: true };
  },
  async blockFields({ block }) {
    return { result: blockFields(b64url.decode(block)) };
  },
  /** Full verification of a chain file; with `note`, also its checkpoint against the chain's own authorities. */
  async verifyChain({ file, note, structureOnly }, progress) {
    progress({ stage: 'chain', text: 'Verifying every block, seal, signature and rule…' });
    const bytes = new Uint8Array(file);
    const report = structureOnly ? verifyChainStructure(bytes) : verifyChain(bytes);
    const result = {
      size: report.size, rootBase64: report.rootBase64, lastHash: report.lastHash,
      chainId: report.chainId ?? null, authorityKeyIds: structureOnly ? [] : report.authorityKeyIds,
    };
    if (note && !structureOnly) {
      const keys = report.authorities();
      try { result.checkpoint = checkpointFacts(verifyCheckpoint(note, keys)); } finally { keys.free(); }
    }
    report.free();
    return { result };
  },
};

self.onmessage = async ({ data }) => {
  const progress = (update) => self.postMessage({ id: data.id, progress: update });
  try {
    await ready;
    const operation = operations[data.op];
    if (!operation) throw fail('InvalidInput', `unknown operation ${data.op}`);
    const { result, transfer = [] } = await operation(data.args ?? {}, progress);
    self.postMessage({ id: data.id, ok: true, result }, transfer);
  } catch (e) {
    self.postMessage({
      id: data.id, ok: false,
      error: { name: e?.name, code: e?.code, message: e?.message ?? String(e), status: e?.status, blockIndex: e?.blockIndex, received: e?.received },
    });
  }
};
