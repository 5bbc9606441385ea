// SEMRES cryptography worker: every key, every plaintext record, every verification and every
// call to the endpoint lives here, off the page's main thread, in the WASM core. The unlocked
// identity's private keys exist only in this worker's WASM memory; the page gets key ids,
// public keys, SMeR hashes, verified answers and opened records. Each trust check the pages
// show is one operation here (`trust`, `checkpoint`, `participant`, `submit`, `grantCheckpoint`, `grantBlock`,
// `grantOwner`, `grantInclusion`, `auditTrail`, `blockInclusion`, `consistency`, `verifyChain`).
import init, {
  Identity, PrivateKey, PublicKey, RecipientList, SigningKeyList, SigningPublicKey, ChainFileWriter,
  sealSmer, openSmer, inspectSmer, smerHash, dataIndex, signRequest,
  registerEntry, grantEntry, revokeEntry, accessEntry, careEntry, paymentEntry, payerEntry, eraseEntry, entryHash,
  blockFields, verifyEntrySigner, verifyCheckpoint, verifyConsistency,
  verifyChainStructure, Consortium, Trust,
} from '/pkg/semres.js';
import * as semres from '/pkg/semres.js';
import { getJson, getText, request, segment } from './lib/endpoint.js';
import { semresError } from './lib/semres-error.js';
import * as store from './lib/store.js';
import { sealWithWebCrypto, openWithWebCrypto, smerHashWithWebCrypto } from './lib/webcrypto-ceda.js';
import { verifyChainSpread } from './lib/chain-verify.js';
import { STREAM_FROM, sealToDisk, uploadFromDisk, fetchToDisk, openToDisk, diskFile, discard } from './lib/large-records.js';

const ready = init();

/** The unlocked identity: { identity, signing, encryption } (WASM handles), or null. */
let me = null;
/** SMeRs sealed here and not yet uploaded, or fetched and not yet opened: hash → bytes. */
const smers = new Map();
/** Streamed SMeRs staged in the origin-private file system (lib/large-records.js): sealed
 *  and not yet uploaded, or fetched (hash checked) and not yet opened: hash → file name. */
const stagedSmers = new Map();
/** Opened large records kept in the origin-private file system for their download link. */
const openedFiles = new Set();
/** Records up to this size are sent to the page for display; larger ones only as a download. */
const SHOW_LIMIT = 8 << 20;
/** Participants whose register block was verified here: key id → registration. */
const participants = new Map();
/** Grant blocks under check by the clinician page: block number → {block, fields, checkpoint}. */
const grantChecks = new Map();
/** The auditor's downloaded chain file, kept here for verification and export. */
let chain = null;
/** The offline sample's two throwaway keys and its last SMeR. */
const sample = { patient: null, clinician: null, smer: null, url: null };

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

function requireIdentity() {
  if (!me) throw semresError('Locked', 'Unlock your identity first.');
  return me;
}

/** Signs requests with the unlocked identity (the core builds the headers, over the body's
 *  SHA-256 too). */
const sign = (method, target, body, bodySha256Hex) => signRequest(requireIdentity().signing, method, target, body ?? null, bodySha256Hex ?? null);

function describe() {
  const { identity, signing, encryption } = me;
  return {
    name: identity.name,
    keyId: signing.keyId,
    encryptionKeyId: encryption.keyId,
    signingKey: b64url.encode(signing.publicKey().toBytes()),
    encryptionKeyPem: encryption.publicKey().toPem(),
  };
}

/** Unlocks `identity` in this worker. Its RSA private key is also imported into WebCrypto
 *  as a non-extractable `CryptoKey`: SMeRs are then unwrapped by the browser's native RSA,
 *  and the core checks and decrypts the rest (`openRecord`). Without `crypto.subtle`, or if
 *  the import fails, the core's own RSA is used. */
async function adopt(identity) {
  forget();
  const encryption = identity.encryptionKey();
  const unlocked = { identity, signing: identity.signingKey(), encryption, webKey: null };
  if (globalThis.crypto?.subtle) {
    const der = encryption.exportPkcs8Der();
    try {
      unlocked.webKey = await crypto.subtle.importKey('pkcs8', der, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']);
    } catch { /* the core's RSA is used */ } finally {
      der.fill(0);
    }
  }
  me = unlocked;
  return describe();
}

/** Opens a SMeR with my key: with WebCrypto (the unwrap by my non-extractable key, AES-CBC
 *  and HMAC) under the core's checks when the key could be imported there, else by the core
 *  alone. Any unwrap or authentication failure is one `DecryptionFailed`. */
async function openRecord(smer, unlocked) {
  const { encryption, webKey } = unlocked;
  if (!webKey) return openSmer(smer, encryption);
  // Locked while WebCrypto worked: nothing is opened.
  return openWithWebCrypto(semres, smer, encryption.keyId, webKey, { stillAllowed: () => me === unlocked });
}

/** The SMeR hash of `smer` (WebCrypto's SHA-256 where there is one; the same value). */
const hashOf = (smer) => (globalThis.crypto?.subtle ? smerHashWithWebCrypto(smer) : smerHash(smer));

/** Wipes the unlocked keys and every opened record at once (not at the next GC). */
function forget() {
  smers.clear();
  for (const name of [...stagedSmers.values(), ...openedFiles]) discard(name);
  stagedSmers.clear();
  openedFiles.clear();
  grantChecks.clear();
  if (!me) return;
  me.signing.free();
  me.encryption.free();
  me.identity.free();
  me = null;
}

// ---- trust: what this browser pinned for this origin, and what is checked against it ----
//
// A pinned trust record is either an embedded ledger's authorities ({kind: 'authorities',
// authorities}) or a consortium's signed file ({kind: 'consortium', consortium: text}); both
// carry the checkpoint origin (chainId) and the last checkpoint verified here (seen). Every
// check goes through one core `Trust` built from it — the same checks the CLI makes.

function keyList(authorities) {
  const keys = new SigningKeyList();
  for (const a of authorities) keys.addBytes(b64url.decode(a.publicKey));
  return keys;
}

/** The core `Trust` of each pinned record (one per pinning: a re-pin gets a new one; the
 *  handles are small and never freed while an operation may still hold them). */
const trustHandles = new Map();
function trustOf(record) {
  const key = `${record.origin} ${record.pinnedAt} ${record.kind ?? 'authorities'}`;
  if (!trustHandles.has(key)) {
    trustHandles.set(key, record.kind === 'consortium' ? Trust.fromConsortium(record.consortium) : Trust.fromAuthorities(keyList(record.authorities)));
  }
  return trustHandles.get(key);
}

/** The trust pinned for this origin (pinned on first use). */
async function pinnedTrust() {
  const trust = await store.get('trust', location.origin);
  return trust ?? pin();
}

/** What the endpoint says to trust: its consortium file when it is a consortium member
 *  (valid only with k members' signatures), else its current authorities — only if its
 *  checkpoint verifies under them. */
async function endpointTrust() {
  let file = null;
  try {
    file = await getText('/consortium');
  } catch (e) {
    if (e?.status !== 404) throw e;
  }
  if (file !== null) {
    const trust = Trust.fromConsortium(file);
    try {
      return {
        origin: location.origin, kind: 'consortium', consortium: file, chainId: trust.origin, ethereumChainId: trust.chainId,
        threshold: trust.threshold, members: trust.members.map((name, i) => ({ name, keyId: trust.memberKeyIds[i] })),
      };
    } finally {
      trust.free();
    }
  }
  const { authorities } = await getJson('/authorities');
  const note = await getText('/checkpoint');
  const info = verifyCheckpoint(note, keyList(authorities));
  return { origin: location.origin, kind: 'authorities', chainId: info.origin, authorities, threshold: 1 };
}

/** Pins the endpoint's current trust (first use: nothing was pinned before). */
async function pin() {
  const trust = { ...(await endpointTrust()), pinnedAt: Date.now() };
  await store.put('trust', trust);
  return trust;
}

/** A re-pin waiting for the user's confirmation: what the endpoint said, shown beside what
 * is pinned; only this exact set can be confirmed, once. */
let pendingPin = null;

/** Who may vouch under a trust record: the members' or the authorities' key ids. */
const vouchers = (t) => new Set(t?.kind === 'consortium' ? t.members.map((m) => m.keyId) : (t?.authorities ?? []).map((a) => a.keyId));

/** The difference between the pinned trust and the endpoint's current one. */
function compareTrust(pinned, proposed) {
  const [before, after] = [vouchers(pinned), vouchers(proposed)];
  return {
    added: [...after].filter((k) => !before.has(k)),
    removed: [...before].filter((k) => !after.has(k)),
    kept: [...after].filter((k) => before.has(k)),
    sameChain: !pinned || pinned.chainId === proposed.chainId,
    sameKind: !pinned || (pinned.kind ?? 'authorities') === proposed.kind,
    sameThreshold: !pinned || (pinned.threshold ?? 1) === proposed.threshold,
  };
}

const short = (b64) => `${b64.slice(0, 12)}…`;

/** Refuses a checkpoint that conflicts with the last one verified here (`seen`): same size
 *  and another root, or not an RFC 6962 extension of it (either way round). A larger
 *  consistent checkpoint becomes the new `seen`. */
async function checkNotConflicting(trust, handle, note, info) {
  const seen = trust.seen;
  if (seen && seen.chainId === info.origin) {
    const conflict = (detail) => {
      const evidence = handle.equivocation(seen.note, note);
      const who = evidence?.length ? ` Cosigned both: ${evidence.join(', ')}.` : '';
      return semresError('ConflictingCheckpoint', `${detail}.${who}`, { seen: { size: seen.size, rootBase64: seen.rootBase64 }, served: { size: info.size, rootBase64: info.rootBase64 }, signedBoth: evidence ?? [] });
    };
    if (seen.size === info.size) {
      if (seen.rootBase64 !== info.rootBase64) throw conflict(`the endpoint's checkpoint at size ${info.size} has root ${short(info.rootBase64)}, this browser saw ${short(seen.rootBase64)}`);
    } else {
      const [older, newer] = seen.size < info.size ? [seen, info] : [info, seen];
      const { proof } = await getJson(`/proofs/consistency?size1=${older.size}&size2=${newer.size}`);
      const olderInfo = handle.verifyCheckpoint(older === seen ? seen.note : note);
      const newerInfo = handle.verifyCheckpoint(newer === seen ? seen.note : note);
      try {
        verifyConsistency(olderInfo, newerInfo, proofBytes(proof));
      } catch (e) {
        if (e?.code !== 'BadProof') throw e;
        throw conflict(`the endpoint's log of size ${info.size} does not extend the log of size ${seen.size} this browser saw before`);
      }
    }
  }
  // Re-read before writing: another operation may have stored a larger one meanwhile.
  const current = await store.get('trust', location.origin);
  const last = current?.seen;
  if (current && current.pinnedAt === trust.pinnedAt && (!last || last.chainId !== info.origin || info.size > last.size)) {
    current.seen = { chainId: info.origin, size: info.size, rootBase64: info.rootBase64, note, at: Date.now() };
    await store.put('trust', current);
  }
}

/** The latest checkpoint, verified under the pinned trust (signed by an authority, or
 *  cosigned by k members), for the pinned chain id, and not conflicting with one seen. */
async function latestCheckpoint() {
  const trust = await pinnedTrust();
  const handle = trustOf(trust);
  const note = await getText('/checkpoint');
  const info = handle.verifyCheckpoint(note);
  if (info.origin !== trust.chainId) throw semresError('BadCheckpoint', 'the checkpoint is for another ledger');
  const checkpoint = { note, origin: info.origin, size: info.size, rootBase64: info.rootBase64, signers: info.signers, threshold: handle.threshold, of: handle.members.length, kind: handle.kind };
  await checkNotConflicting(trust, handle, note, checkpoint);
  return checkpoint;
}

/** How long to wait for a trusted checkpoint to reach a new block (a consortium's
 *  cosignatures follow its chain by a block or two). */
const SETTLE_MS = 60_000;
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/** A trusted checkpoint (as `latestCheckpoint`) whose log holds block `number`: waits while
 *  the endpoint's trusted checkpoint is behind; any failed check is thrown at once. */
async function checkpointWith(number, progress) {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const checkpoint = await latestCheckpoint();
    if (checkpoint.size > number) return checkpoint;
    if (Date.now() > deadline) throw semresError('BadCheckpoint', `no trusted checkpoint reaches block ${number} yet: try again in a moment`);
    progress?.({ stage: 'cosigning', text: `Waiting for ${checkpoint.threshold} of ${checkpoint.of} hospitals to cosign block ${number}…` });
    await sleep(300);
  }
}

/** Checks one block under the pinned trust: seal or anchor, and inclusion in `checkpoint`
 *  (fetching the proof); returns its fields. */
async function checkBlock(block, index, checkpoint, trust) {
  const handle = trustOf(trust);
  if (blockFields(block).blockNumber !== index) throw semresError('BadAnswer', `the endpoint gave another block for number ${index}`);
  const { proof } = await getJson(`/proofs/inclusion?index=${index}&size=${checkpoint.size}`);
  handle.checkBlock(block, proofBytes(proof), handle.verifyCheckpoint(checkpoint.note));
  return blockFields(block);
}

/** Checks the endpoint's answer to our entry: the block is sealed by a pinned authority,
 *  carries exactly the entry we sent (its hash), signed by us, and is in the returned signed
 *  checkpoint. */
async function verifyAnswer(answer, sentHash, progress) {
  const handle = trustOf(await pinnedTrust());
  const block = typeof answer.block === 'string' ? b64url.decode(answer.block) : null;
  const fields = block && blockFields(block);
  if (!fields || fields.entryHash !== sentHash || fields.blockNumber !== answer.blockNumber || (answer.entryHash ?? sentHash) !== sentHash) {
    throw semresError('BadAnswer', 'the endpoint answered with a block that does not carry the entry sent');
  }
  handle.checkSeal(block);
  let note = answer.checkpoint ?? null;
  let proof = answer.inclusionProof ?? null;
  try {
    if (note === null) throw semresError('BadCheckpoint', 'no checkpoint in the answer');
    handle.verifyCheckpoint(note);
  } catch (e) {
    // A consortium member answers as soon as the entry is anchored, with the cosignatures it
    // holds so far; the trusted checkpoint is the one k members cosigned: wait for it.
    if (e?.code !== 'BadCheckpoint' || handle.kind !== 'consortium') throw e;
    const checkpoint = await checkpointWith(answer.blockNumber, progress);
    note = checkpoint.note;
    ({ proof } = await getJson(`/proofs/inclusion?index=${answer.blockNumber}&size=${checkpoint.size}`));
  }
  const info = handle.verifyCheckpoint(note);
  handle.checkBlock(block, proofBytes(proof), info, SigningPublicKey.fromBytes(b64url.decode(describe().signingKey)));
  return { ...answer, checkpoint: note, checkpointSize: info.size, signers: info.signers, threshold: handle.threshold, kind: handle.kind };
}

/** A participant's keys from their register block, verified here (seal, self-signature,
 *  inclusion): we seal only to keys obtained this way, never to the endpoint's word alone. */
async function verifiedParticipant(keyId) {
  if (participants.has(keyId)) return participants.get(keyId);
  const listed = await getJson(`/participants/${segment(keyId)}`);
  const { block } = await getJson(`/blocks/${listed.block}`);
  const bytes = b64url.decode(block);
  const trust = await pinnedTrust();
  const fields = await checkBlock(bytes, listed.block, await checkpointWith(listed.block), trust);
  const registration = fields.registration;
  if (!registration || registration.keyId !== keyId) {
    throw semresError('BadRegistration', 'the endpoint pointed at a block that does not register this key');
  }
  verifyEntrySigner(bytes, SigningPublicKey.fromBytes(b64url.decode(registration.signingKey)));
  const verified = {
    keyId, role: registration.role, block: listed.block, signingKey: registration.signingKey,
    encryptionKey: registration.encryptionKeyPem, encryptionKeyId: registration.encryptionKeyId,
  };
  participants.set(keyId, verified);
  return verified;
}

function buildEntry(kind, args) {
  const { signing, encryption } = requireIdentity();
  switch (kind) {
    case 'register': return registerEntry(signing, encryption.publicKey(), args.role);
    case 'grant': return grantEntry(signing, args.smerHash, dataIndex(args.smerHash), args.recipient, args.expires ?? null);
    case 'revoke': return revokeEntry(signing, args.grant);
    case 'access': return accessEntry(signing, args.grant);
    case 'care': return careEntry(signing, args.grant, args.smerHash, dataIndex(args.smerHash));
    case 'payment': return paymentEntry(signing, args.care, args.amount, args.currency, args.payee, args.reference);
    case 'payer': return payerEntry(signing, args.payer, args.add);
    case 'erase': return eraseEntry(signing, args.smerHash);
    default: throw semresError('InvalidInput', `unknown entry kind ${kind}`);
  }
}

async function submitBytes(entry, progress) {
  const sent = entryHash(entry);
  let answer = await getJson('/entries', { method: 'POST', json: { entry: b64url.encode(entry) } });
  if (answer.status === 'queued') {
    // A consortium member queued it for the hospitals' chain and did not see it anchored in
    // its wait: ask where it is until it is on the ledger (the block is then fetched).
    const deadline = Date.now() + SETTLE_MS;
    for (;;) {
      progress({ stage: 'anchoring', text: 'Queued for the hospitals\' chain; waiting for it to be anchored…' });
      const where = await getJson(`/entries/${sent}`);
      if (where.status === 'on-ledger') {
        answer = { blockNumber: where.blockNumber, entryHash: sent, ...(await getJson(`/blocks/${where.blockNumber}`)) };
        break;
      }
      if (where.status === 'skipped') throw semresError(where.code ?? 'BadAnswer', 'every hospital\'s node skipped this entry on the chain');
      if (Date.now() > deadline) throw semresError('NetworkError', 'the entry is still queued at the hospital; it will be anchored later — check again in a moment');
      await sleep(500);
    }
  }
  progress({ stage: 'verifying', text: 'Verifying the block and its inclusion in the trusted log…' });
  return verifyAnswer(answer, sent, progress);
}

// ---- the operations the pages call ----

/** A new identity. The RSA key is generated by the browser's WebCrypto (native, ~10× faster
 *  than in WASM) and handed to the core as PKCS#8 bytes, which the core wipes; where
 *  `crypto.subtle` is missing (or `pureRust`), the core generates it. */
async function generateIdentity(name, bits, pureRust = false) {
  if (!pureRust && globalThis.crypto?.subtle) {
    let der = null;
    try {
      const pair = await crypto.subtle.generateKey(
        { name: 'RSA-OAEP', modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['encrypt', 'decrypt'],
      );
      der = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
    } catch { /* this browser cannot: the core generates it below */ }
    if (der) return Identity.withEncryptionKey(name, der);
  }
  return Identity.generate(name, bits);
}

const operations = {
  async createIdentity({ name, bits, passphrase, pureRust }, progress) {
    progress({ stage: 'keys', step: 1, of: 3, text: `Generating your keys (RSA-${bits} and Ed25519)…` });
    const identity = await generateIdentity(name, bits, pureRust);
    progress({ stage: 'protect', step: 2, of: 3, text: 'Protecting them with your passphrase (PBKDF2)…' });
    const file = identity.export(passphrase);
    const profile = await adopt(identity);
    progress({ stage: 'store', step: 3, of: 3, text: 'Saving the encrypted identity in this browser…' });
    return { result: { profile, file: file.buffer }, transfer: [file.buffer] };
  },
  async unlock({ file, passphrase }) {
    return { result: { profile: await adopt(Identity.import(new Uint8Array(file), passphrase)) } };
  },
  async lock() {
    forget();
    return { result: true };
  },
  /** A JSON call to the endpoint (signed with the unlocked identity when `signed`). */
  async api({ path, method = 'GET', signed = false, json }) {
    return { result: await getJson(path, { method, json, sign: signed ? sign : null }) };
  },
  /** The pinned trust (pinned now if this origin has none), with who signed the latest
   *  checkpoint verified here. */
  async trust() {
    const trust = await pinnedTrust();
    let seenSigners = [];
    try {
      if (trust.seen) seenSigners = trustOf(trust).verifyCheckpoint(trust.seen.note).signers;
    } catch { /* shown without its signers */ }
    return { result: { ...trust, seenSigners } };
  },
  /** What re-pinning would change: the pinned set, the endpoint's current set (its
   * checkpoint verified under it) and the difference. Nothing is stored until
   * `confirmPin` with the returned id. */
  async proposePin() {
    const pinned = (await store.get('trust', location.origin)) ?? null;
    const proposed = await endpointTrust();
    const change = compareTrust(pinned, proposed);
    const unchanged = pinned && change.sameChain && change.sameKind && change.sameThreshold && change.added.length === 0 && change.removed.length === 0;
    pendingPin = unchanged ? null : { id: crypto.randomUUID(), proposed };
    return { result: { id: pendingPin?.id ?? null, unchanged: Boolean(unchanged), pinned, proposed, ...change } };
  },
  /** Pins the set of proposal `id` (the user confirmed it); any other id is refused. */
  async confirmPin({ id }) {
    if (!pendingPin || pendingPin.id !== id) throw semresError('InvalidInput', 'no such re-pin proposal: ask again');
    // A new trust starts a new history: the checkpoint seen under the old one is dropped.
    const trust = { ...pendingPin.proposed, pinnedAt: Date.now() };
    pendingPin = null;
    await store.put('trust', trust);
    return { result: trust };
  },
  async checkpoint() {
    return { result: await latestCheckpoint() };
  },
  async participant({ keyId }) {
    return { result: await verifiedParticipant(keyId) };
  },
  /** An entry signed here, for a registration request an authority must co-sign. */
  async entry({ kind, args }) {
    const entry = buildEntry(kind, args);
    return { result: { entry: b64url.encode(entry), hash: entryHash(entry) } };
  },
  /** Builds, signs and submits an entry (or submits `entry`, e.g. an admitted registration),
   *  and verifies the answer; returns it. */
  async submit({ kind, args, entry }, progress) {
    return { result: await submitBytes(entry ? b64url.decode(entry) : buildEntry(kind, args), progress) };
  },
  /** Seals a record (a Blob — a picked File is one — read here, off the page's main thread;
   *  or an ArrayBuffer) to `recipients` (verified participants' key ids) and, unless
   *  `includeMe` is false, to me; keeps the SMeR here. */
  async seal({ record, recipients, options: { profile = 'auto', ...options }, includeMe = true }, progress) {
    const { encryption } = requireIdentity();
    if (!['auto', 'v1', 'stream'].includes(profile)) throw semresError('InvalidInput', 'profile is auto, v1 or stream');
    // A large picked file (or one asked for so) becomes a streamed SMeR, sealed chunk by
    // chunk from the file to this origin's private disk; the record is never held whole.
    const streamed = record instanceof Blob && (profile === 'stream' || (profile === 'auto' && record.size > STREAM_FROM));
    progress({ stage: 'encrypting', text: 'Encrypting (CEDA: a fresh AES key, wrapped with each recipient\'s RSA key)…' });
    const to = new RecipientList();
    if (includeMe) to.add(encryption.publicKey());
    for (const keyId of recipients) {
      const participant = await verifiedParticipant(keyId);
      const key = PublicKey.fromPem(participant.encryptionKey);
      if (key.keyId !== participant.encryptionKeyId) throw semresError('BadRegistration', 'a recipient key is not the registered one');
      to.add(key);
    }
    const sealOptions = { ...options, ownerKeyId: options.ownerKeyId ?? encryption.keyId };
    if (streamed) {
      // Records are AES-128-GCM (RFC 8188): there is no enc to choose.
      delete sealOptions.enc;
      const sealed = await sealToDisk(semres, record, to, sealOptions, progress);
      progress({ stage: 'hashing', text: 'Hashed while encrypting.' });
      stagedSmers.set(sealed.hash, sealed.staged);
      return { result: { hash: sealed.hash, size: sealed.size, streamed: true } };
    }
    const bytes = new Uint8Array(record instanceof Blob ? await record.arrayBuffer() : record);
    // AES-CBC and HMAC by WebCrypto under the core's checks and structure (the same bytes);
    // the core alone where the browser has no WebCrypto.
    const smer = globalThis.crypto?.subtle ? await sealWithWebCrypto(semres, bytes, to, sealOptions) : sealSmer(bytes, to, sealOptions);
    bytes.fill(0);
    progress({ stage: 'hashing', text: 'Hashing the SMeR (SHA-256)…' });
    const hash = await hashOf(smer);
    smers.set(hash, smer);
    return { result: { hash, size: smer.length } };
  },
  /** Uploads a SMeR sealed here to DERy (a signed PUT) and forgets it. */
  async upload({ hash }, progress) {
    const staged = stagedSmers.get(hash);
    if (staged) {
      // In signed parts, resumed after an interruption; the staged file goes once DERy has it.
      const answer = await uploadFromDisk(semres, hash, staged, sign, progress);
      stagedSmers.delete(hash);
      return { result: answer };
    }
    const smer = smers.get(hash);
    if (!smer) throw semresError('InvalidInput', 'nothing sealed with that hash');
    progress({ stage: 'uploading', text: `Uploading the SMeR (${smer.length.toLocaleString()} bytes of ciphertext)…` });
    const answer = await getJson(`/smers/${hash}`, { method: 'PUT', sign, body: smer, bodySha256Hex: hash, contentType: 'application/jose+json' });
    smers.delete(hash);
    return { result: answer };
  },
  /** Fetches the SMeR with the ledger's hash `hash` from DERy, checks its SHA-256 here, and
   *  keeps it for `open`. */
  async fetchSmer({ hash }, progress) {
    const response = await request(`/smers/${hash}`, { sign });
    // A streamed SMeR (SPEC §7, served as octet-stream): to this origin's private disk,
    // hashed as it arrives; nothing of it is decrypted unless it hashes to the ledger's value.
    if ((response.headers.get('content-type') ?? '').startsWith('application/octet-stream')) {
      const fetched = await fetchToDisk(semres, hash, response, progress);
      const old = stagedSmers.get(hash);
      if (old) discard(old);
      stagedSmers.set(hash, fetched.staged);
      return { result: { hash, size: fetched.size, recipients: fetched.recipients, enc: 'aes128gcm', streamed: true } };
    }
    let smer;
    try {
      smer = new Uint8Array(await response.arrayBuffer());
    } catch {
      throw semresError('NetworkError', 'the download was interrupted');
    }
    const computed = await hashOf(smer);
    // DERy's rule on every exchange: bytes that do not hash to the ledger's value are dropped.
    if (computed !== hash) throw semresError('HashCheckFailed', 'the SMeR received does not hash to the ledger\'s value', { received: computed });
    smers.set(computed, smer);
    let recipients = [];
    let enc = null;
    try {
      const info = inspectSmer(smer);
      recipients = info.recipientKeyIds;
      enc = info.enc;
    } catch { /* reported when opened */ }
    return { result: { hash: computed, size: smer.length, recipients, enc } };
  },
  /** Opens a fetched SMeR (its hash checked by `fetchSmer`); returns the record. */
  async open({ hash, saveTo = null }, progress) {
    const unlocked = requireIdentity();
    const staged = stagedSmers.get(hash);
    if (staged) {
      // Record by record into the file the user chose (committed only if every record
      // verified), or into a private file offered as a download.
      stagedSmers.delete(hash);
      const { encryption, webKey } = unlocked;
      const who = { keyId: encryption.keyId, webKey, privateKey: encryption, stillAllowed: () => me === unlocked };
      const opened = await openToDisk(semres, staged, who, saveTo, progress);
      for (const name of openedFiles) discard(name);
      openedFiles.clear();
      // The private file as a disk-backed File (cloned to the page without its bytes; the
      // page makes the download link — a worker's blob: URLs are not fetchable from the page
      // in every browser). Removed by forget(), after which the page's File reads nothing.
      let download = null;
      if (opened.outputName) {
        openedFiles.add(opened.outputName);
        download = await diskFile(opened.outputName);
      }
      return { result: { ...opened.header, length: opened.length, enc: 'aes128gcm', record: null, download, savedTo: opened.savedTo, streamed: true } };
    }
    const smer = smers.get(hash);
    if (!smer) throw semresError('InvalidInput', 'fetch the SMeR first');
    smers.delete(hash);
    return openedResult(await openRecord(smer, unlocked));
  },
  // -- the clinician's checks of a grant before decrypting, one operation each --
  /** A trusted checkpoint whose log holds the grant's block: signed by a pinned authority,
   *  or cosigned by k of the consortium's n hospitals (who is named). */
  async grantCheckpoint({ blockNumber }, progress) {
    requireIdentity();
    const checkpoint = await checkpointWith(blockNumber, progress);
    grantChecks.set(blockNumber, { checkpoint, trust: await pinnedTrust() });
    const { size, signers, threshold, of, kind } = checkpoint;
    return { result: { size, signers, threshold, of, kind } };
  },
  /** The grant's block: sealed by a pinned authority, or anchored on the consortium's chain
   *  (its anchor is in the block's hash, which the cosigned log commits to); and it is the
   *  grant `grant` to me. */
  async grantBlock({ blockNumber, grant }) {
    const { signing } = requireIdentity();
    const checked = grantChecked(blockNumber);
    const block = b64url.decode((await getJson(`/blocks/${blockNumber}`)).block);
    trustOf(checked.trust).checkSeal(block);
    const fields = blockFields(block);
    if (fields.blockNumber !== blockNumber || fields.authorityStatus !== 'grant' || fields.entryHash !== grant || fields.authorizedPerson !== signing.keyId) {
      throw semresError('BadAnswer', `block ${blockNumber} is not the grant of this record to you`);
    }
    grantChecks.set(blockNumber, { ...checked, block, fields });
    return { result: { fields } };
  },
  /** The grant's entry is signed by its owner (key from the owner's verified registration). */
  async grantOwner({ blockNumber }) {
    const { block, fields } = grantChecked(blockNumber);
    const owner = await verifiedParticipant(fields.owner);
    verifyEntrySigner(block, SigningPublicKey.fromBytes(b64url.decode(owner.signingKey)));
    return { result: owner };
  },
  /** The grant's block is in the signed log (RFC 6962 inclusion proof). */
  async grantInclusion({ blockNumber }) {
    const { block, checkpoint, trust } = grantChecked(blockNumber);
    if (!block) throw semresError('InvalidInput', 'check the grant block first');
    const { proof } = await getJson(`/proofs/inclusion?index=${blockNumber}&size=${checkpoint.size}`);
    const handle = trustOf(trust);
    handle.checkBlock(block, proofBytes(proof), handle.verifyCheckpoint(checkpoint.note));
    return { result: { size: checkpoint.size, proofLength: proof.length } };
  },
  /** My audit trail, every block checked (seal by a pinned authority, inclusion in the
   *  latest signed checkpoint) before it is shown. */
  async auditTrail() {
    const { events } = await getJson('/me/audit-trail', { sign });
    const checkpoint = await checkpointWith(Math.max(-1, ...events.map((e) => e.blockNumber)));
    const trust = await pinnedTrust();
    for (const e of events) {
      e.fields = await checkBlock(b64url.decode(e.block), e.blockNumber, checkpoint, trust);
      if (e.fields.blockNumber !== e.blockNumber) throw semresError('BadAnswer', 'an audit-trail event names another block');
    }
    return { result: { events, checkpointSize: checkpoint.size } };
  },
  // -- the auditor --
  /** A consortium file (SPEC §6.1) read and checked: valid only with k members' signatures. */
  async consortiumInfo({ file }) {
    const c = Consortium.fromSignedNote(file);
    const result = { origin: c.origin, threshold: c.threshold, members: c.memberNames };
    c.free();
    return { result };
  },
  /** Verifies a checkpoint note (e.g. from a file) against the pinned authorities — or, given
   *  a consortium file, against k of its members' cosignatures. */
  async verifyCheckpointNote({ note, consortium }) {
    if (consortium) {
      const c = Consortium.fromSignedNote(consortium);
      const info = c.verifyCheckpoint(note);
      const result = { origin: info.origin, size: info.size, rootBase64: info.rootBase64, cosigners: info.cosigners };
      c.free();
      return { result };
    }
    const info = trustOf(await pinnedTrust()).verifyCheckpoint(note);
    return { result: { origin: info.origin, size: info.size, rootBase64: info.rootBase64, cosigners: info.signers } };
  },
  /** Downloads blocks 0…size−1 into a chain file kept here. */
  async downloadChain({ size }, progress) {
    const writer = new ChainFileWriter();
    for (let from = 0; from < size;) {
      const page = await getJson(`/blocks?from=${from}&count=${Math.min(1000, size - from)}`);
      for (const b of page.blocks) writer.push(b64url.decode(b));
      from += page.blocks.length;
      if (page.blocks.length === 0) throw semresError('BadAnswer', 'the endpoint returned no blocks');
      progress({ stage: 'download', text: `Downloaded ${from} of ${size} blocks…` });
    }
    chain = writer.finish();
    return { result: { bytes: chain.length } };
  },
  /** Full verification of a chain file (`file`, or the downloaded one; its Ed25519
   *  verifications spread over the machine's cores, lib/chain-verify.js); with `note`, also
   *  its checkpoint against the chain's own authorities — or, for a consortium's chain
   *  (`consortium` given, or pinned for this origin), its members' k-of-n cosignatures. */
  async verifyChain({ file, note, structureOnly, consortium }, progress) {
    progress({ stage: 'chain', text: 'Verifying every block, seal, signature and rule…' });
    const bytes = file ? new Uint8Array(file instanceof Blob ? await file.arrayBuffer() : file) : chain;
    if (!bytes) throw semresError('InvalidInput', 'download the chain first');
    // Without a consortium file given, the consortium this origin pinned (if any) is the trust
    // (looked up, never pinned here: an offline audit must not need the endpoint).
    const pinned = consortium ? null : await store.get('trust', location.origin);
    consortium ??= pinned?.kind === 'consortium' ? pinned.consortium : null;
    if (consortium) {
      // A consortium's chain: anchored blocks replayed from the consortium file (SPEC §6.5);
      // its checkpoint needs k members' cosignatures (§6.2).
      const c = Consortium.fromSignedNote(consortium);
      try {
        const report = await verifyChainSpread(semres, bytes, consortium);
        const result = {
          size: report.size, rootBase64: report.rootBase64, lastHash: report.lastHash,
          chainId: report.chainId ?? null, authorityKeyIds: report.authorityKeyIds, members: c.memberNames, threshold: c.threshold,
        };
        if (note) {
          const info = c.verifyCheckpoint(note);
          result.checkpoint = { origin: info.origin, size: info.size, rootBase64: info.rootBase64, cosigners: info.cosigners };
        }
        return { result };
      } finally {
        c.free();
      }
    }
    const report = structureOnly ? verifyChainStructure(bytes) : await verifyChainSpread(semres, bytes, null);
    const result = {
      size: report.size, rootBase64: report.rootBase64, lastHash: report.lastHash,
      chainId: report.chainId ?? null, authorityKeyIds: structureOnly ? [] : report.authorityKeyIds,
    };
    if (note && !structureOnly) {
      const info = verifyCheckpoint(note, report.authorities());
      result.checkpoint = { origin: info.origin, size: info.size, rootBase64: info.rootBase64 };
    }
    return { result };
  },
  /** The downloaded chain file's bytes (a copy, for the user to save). */
  async exportChain() {
    if (!chain) throw semresError('InvalidInput', 'download the chain first');
    const copy = chain.slice();
    return { result: copy.buffer, transfer: [copy.buffer] };
  },
  /** One block's seal and its inclusion in the latest checkpoint. */
  async blockInclusion({ index }) {
    const checkpoint = await latestCheckpoint();
    if (!Number.isSafeInteger(index) || index < 0 || index >= checkpoint.size) throw semresError('InvalidInput', 'no such block in the signed log');
    const { block } = await getJson(`/blocks/${index}`);
    const fields = await checkBlock(b64url.decode(block), index, checkpoint, await pinnedTrust());
    return { result: { fields, checkpoint } };
  },
  /** The latest checkpoint extends `older` (a checkpoint note): RFC 6962 consistency. */
  async consistency({ older }) {
    const handle = trustOf(await pinnedTrust());
    const newer = await latestCheckpoint();
    const old = handle.verifyCheckpoint(older);
    if (old.size > newer.size) throw semresError('BadProof', 'the older checkpoint is larger than the current one');
    const { proof } = await getJson(`/proofs/consistency?size1=${old.size}&size2=${newer.size}`);
    verifyConsistency(old, handle.verifyCheckpoint(newer.note), proofBytes(proof));
    return { result: { olderSize: old.size, newerSize: newer.size } };
  },
  async blockFields({ block }) {
    return { result: blockFields(b64url.decode(block)) };
  },
  // -- the offline sample page: two throwaway keys, no endpoint --
  async sampleKeys({ bits }) {
    sample.patient = PrivateKey.generate(bits);
    sample.clinician = PrivateKey.generate(bits);
    return { result: { patient: sample.patient.keyId, clinician: sample.clinician.keyId } };
  },
  async sampleSeal({ record, options }) {
    if (!sample.clinician) throw semresError('InvalidInput', 'generate the keys first');
    const bytes = new Uint8Array(record);
    const to = new RecipientList();
    to.add(sample.clinician.publicKey());
    sample.smer = sealSmer(bytes, to, { ...options, ownerKeyId: sample.patient.keyId });
    if (sample.url) URL.revokeObjectURL(sample.url);
    sample.url = URL.createObjectURL(new Blob([sample.smer], { type: 'application/jose+json' }));
    return { result: { hash: smerHash(sample.smer), recordHash: smerHash(bytes), size: sample.smer.length, url: sample.url } };
  },
  /** Opens the sample SMeR with the clinician's key; `tamper` flips one ciphertext character. */
  async sampleOpen({ tamper }) {
    if (!sample.smer) throw semresError('InvalidInput', 'seal a record first');
    let smer = sample.smer;
    if (tamper) {
      smer = sample.smer.slice();
      const start = new TextDecoder().decode(smer.subarray(0, 4096)).indexOf('"ciphertext":"');
      const at = start >= 0 ? start + 20 : Math.floor(smer.length / 2);
      smer[at] = smer[at] === 0x41 ? 0x42 : 0x41;
    }
    return openedResult(openSmer(smer, sample.clinician), { withHash: true });
  },
};

function grantChecked(blockNumber) {
  const checked = grantChecks.get(blockNumber);
  if (!checked) throw semresError('InvalidInput', 'check the grant block first');
  return checked;
}

/** An opened record for the page: metadata, the bytes if small enough to show, and an opaque
 *  download URL. The WASM copy is wiped at once. */
function openedResult(opened, { withHash = false } = {}) {
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
  if (withHash) meta.recordHash = smerHash(record);
  opened.free();
  // Offered as an opaque download (the page makes the link): never rendered by the browser.
  const download = new Blob([record], { type: 'application/octet-stream' });
  const small = record.length <= SHOW_LIMIT;
  const copy = small ? record.buffer : null;
  return { result: { ...meta, record: copy, download }, transfer: copy ? [copy] : [] };
}

self.onmessage = async ({ data }) => {
  const progress = (update) => self.postMessage({ id: data.id, progress: update });
  try {
    await ready;
    const operation = operations[data.op];
    if (!operation) throw semresError('InvalidInput', `unknown operation ${data.op}`);
    const { result, transfer = [] } = await operation(data.args ?? {}, progress);
    self.postMessage({ id: data.id, ok: true, result }, transfer);
  } catch (e) {
    self.postMessage({
      id: data.id, ok: false,
      error: { name: e?.name, code: e?.code, message: e?.message ?? String(e), status: e?.status, blockIndex: e?.blockIndex, received: e?.received },
    });
  }
};
