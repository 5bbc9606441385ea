// Full verification of a chain file with its Ed25519 verifications spread over threads (SPEC
// §4.4's verifier, the core's `ChainCheck`): every thread — this one and one helper worker per
// further core (www/lib/signature-worker.js) — checks every rule, link, number, time and
// anchor in order (cheap), then the threads take slices of the verifications from one queue
// until none is left. This thread hands its slices to WebCrypto where the browser verifies
// Ed25519 as the core does (the probes); the helpers make theirs in the core. The verdict is the core's `verifyChain`'s, error for error: a failed
// verification anywhere makes the core verify the chain again block by block to name the
// first bad block.

/** Smaller chain files are verified in this thread alone (starting helpers costs more). */
const SPREAD_FROM_BYTES = 1 << 20;
/** Verifications per slice of the queue (and between two yields of this thread). */
const SLICE = 1024;
const ED25519 = { name: 'Ed25519' };

/** Lets this thread's event loop run (a message to itself: no timer clamping). */
export const yieldNow = () => new Promise((resolve) => {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => resolve();
  channel.port2.postMessage(null);
});

let agreement = null;

/**
 * Whether this thread's WebCrypto may make Ed25519 verifications in the core's place
 * (SPEC §4.4): it has Ed25519 and answers each of the core's probes — an honest signature and
 * two that only a verifier of the cofactored equation accepts — as the core does. Asked once
 * per thread.
 * @param {typeof import('../../pkg/semres.js')} semres the core's module (initialized)
 * @returns {Promise<boolean>}
 */
export function webCryptoAgrees(semres) {
  agreement ??= (async () => {
    const subtle = globalThis.crypto?.subtle;
    if (!subtle) return false;
    const probes = semres.ed25519Probes();
    try {
      for (const probe of probes) {
        const key = await subtle.importKey('raw', probe.key, ED25519, false, ['verify']);
        if ((await subtle.verify(ED25519, key, probe.signature, probe.message)) !== probe.holds) return false;
      }
      return true;
    } catch {
      return false;
    } finally {
      for (const probe of probes) probe.free();
    }
  })();
  return agreement;
}

/** The chain's keys imported into WebCrypto (index as `WebCryptoSlice.keyIndices`). */
export function importKeys(check) {
  return Promise.all(check.webCryptoKeys().map((raw) => crypto.subtle.importKey('raw', raw, ED25519, false, ['verify'])));
}

/**
 * Starts verifications `from..to`: the core makes those the equation does not decide, and
 * WebCrypto the others, all requested before this returns. Resolves to whether all held;
 * `counts` gains how many each made.
 */
export function sliceViaWebCrypto(check, keys, from, to, counts) {
  const slice = check.webCryptoSlice(from, to);
  let indices, messages, ends, signatures, coreHeld;
  try {
    ({ coreHeld } = slice);
    indices = slice.keyIndices;
    messages = slice.messages;
    ends = slice.messageEnds;
    signatures = slice.signatures;
  } finally {
    slice.free();
  }
  counts.webCrypto += indices.length;
  counts.core += Math.max(0, Math.min(to, check.signatureCount) - from) - indices.length;
  if (!coreHeld) return Promise.resolve(false);
  const pending = new Array(indices.length);
  let start = 0;
  for (let i = 0; i < indices.length; i++) {
    pending[i] = crypto.subtle.verify(ED25519, keys[indices[i]], signatures.subarray(64 * i, 64 * i + 64), messages.subarray(start, ends[i]));
    start = ends[i];
  }
  return Promise.all(pending).then((held) => held.every(Boolean), () => false);
}

/** A helper worker that, once ready, makes the slices it is given in the core; `null` if none
 *  can start. (Helpers do not use WebCrypto: a page's WebCrypto calls share one queue in
 *  Chromium, measured — a second thread's calls wait behind the first's.) */
function startHelper(file, consortium) {
  let worker;
  try {
    worker = new Worker(new URL('./signature-worker.js', import.meta.url), { type: 'module' });
  } catch {
    return null;
  }
  let answer = null;
  let failed = false;
  const next = () => new Promise((resolve) => { answer = resolve; });
  let first = next();
  worker.onmessage = ({ data }) => answer(data);
  // A failing helper answers "not held": the core then verifies in order, so a failing
  // helper costs time, never the verdict.
  worker.onerror = worker.onmessageerror = () => {
    failed = true;
    answer({ ready: false, held: false });
  };
  worker.postMessage({ file, consortium });
  return {
    worker,
    ready: async () => (await first).ready === true,
    /** Whether slice `from..to` held (made in the core). */
    verify: async (from, to) => {
      if (failed) return false;
      first = next();
      worker.postMessage({ from, to });
      return (await first).held === true;
    },
  };
}

/**
 * Verifies `file` fully: a sealed chain from its genesis, or — with `consortium` (the
 * consortium file's signed note) — a consortium's anchored chain. Returns the core's
 * `ChainReport`; throws its `SemresError` (code, `blockIndex`) for a bad chain.
 * @param {typeof import('../../pkg/semres.js')} semres the core's module (initialized)
 * @param {Uint8Array} file
 * @param {string | null} consortium
 * @param {{ threads?: number, spreadFromBytes?: number, webCrypto?: boolean,
 *   counts?: { webCrypto: number, core: number } }} [options] threads to use in all
 *   (default: the machine's cores, at most 8); `spreadFromBytes` (tests) lowers the size
 *   from which helpers are used; `webCrypto: false` keeps every verification in the core;
 *   `counts` gains how many verifications WebCrypto and the core made
 */
export async function verifyChainSpread(semres, file, consortium, { threads, spreadFromBytes = SPREAD_FROM_BYTES, webCrypto = true, counts = { webCrypto: 0, core: 0 } } = {}) {
  const cores = Math.max(1, Math.min(8, threads ?? globalThis.navigator?.hardwareConcurrency ?? 1));
  const helpers = typeof Worker === 'function' && file.length >= spreadFromBytes ? cores - 1 : 0;
  // The helpers start first and check the rules themselves, beside this thread.
  const started = Array.from({ length: helpers }, () => startHelper(file, consortium)).filter(Boolean);
  const members = consortium ? semres.Consortium.fromSignedNote(consortium) : null;
  let check = null;
  try {
    const useWebCrypto = webCrypto && (await webCryptoAgrees(semres));
    await yieldNow();
    check = members ? members.chainCheck(file) : semres.ChainCheck.start(file);
    const keys = useWebCrypto ? await importKeys(check).catch(() => null) : null;
    const count = check.signatureCount;
    let next = 0;
    let held = true;
    const take = () => {
      if (!held || next >= count) return null;
      const from = next;
      next = Math.min(count, next + SLICE);
      return [from, next];
    };
    const own = async () => {
      if (keys) {
        // One slice in flight and a yield between slices: with more in flight, the helpers'
        // answers reached this thread late and they made almost nothing (measured).
        for (let range; (range = take()); ) {
          if (!(await sliceViaWebCrypto(check, keys, ...range, counts))) held = false;
          await yieldNow();
        }
        return;
      }
      for (let range; (range = take()); ) {
        if (!check.verifySignatures(...range)) held = false;
        counts.core += range[1] - range[0];
        await yieldNow();
      }
    };
    // A helper still starting (compiling the module in the background) competes with this
    // thread's WebCrypto calls, and became ready only after they were all made (measured):
    // the slices are handed out once every helper is ready.
    const ready = await Promise.all(started.map((helper) => helper.ready()));
    const helping = async (helper, h) => {
      if (!ready[h]) return;
      for (let range; (range = take()); ) {
        if (!(await helper.verify(...range))) held = false;
        counts.core += Math.min(range[1], count) - range[0];
      }
    };
    await Promise.all([own(), ...started.map(helping)]);
    const spent = check;
    check = null;
    return spent.finish(held && next >= count);
  } finally {
    // Done, or this thread found the chain bad first: no helper keeps working.
    for (const { worker } of started) worker.terminate();
    check?.free();
    members?.free();
  }
}
