// Full verification of a chain file with its Ed25519 verifications spread over threads
// (SPEC §4.4's verifier, the core's `ChainCheck`): this thread checks every rule, link,
// number, time and anchor in order and makes its share of the verifications while helper
// workers (www/lib/signature-worker.js) make theirs. The verdict is the core's
// `verifyChain`'s, error for error: a failed verification anywhere makes the core verify the
// chain again block by block to name the first bad block.

/** Below this many verifications one thread does them all (starting helpers costs more). */
const SPREAD_FROM = 4096;

/** Whether verifications `from`..`to` held, made by a helper worker — or, where one cannot
 *  be started here, by `check` in this thread. A helper that fails counts as "not held": the
 *  core then verifies in order, so a broken helper can cost time, never change a verdict. */
function helper(check, file, consortium, from, to) {
  let worker;
  try {
    worker = new Worker(new URL('./signature-worker.js', import.meta.url), { type: 'module' });
  } catch {
    return Promise.resolve(check.verifySignatures(from, to));
  }
  return new Promise((resolve) => {
    worker.onmessage = ({ data }) => resolve(data.held === true);
    worker.onerror = () => resolve(false);
    worker.postMessage({ file, consortium, from, to });
  }).finally(() => worker.terminate());
}

/**
 * Verifies `file` fully: a sealed chain from its genesis, or — with `consortium` (the
 * consortium file's signed note) — a consortium's anchored chain. Returns the core's
 * `ChainReport`; throws its `SemresError` (code, `blockIndex`) for a bad chain.
 * @param {typeof import('../../pkg/semres.js')} semres the core's module (initialized)
 * @param {Uint8Array} file
 * @param {string | null} consortium
 * @param {{ threads?: number, spreadFrom?: number }} [options] threads to use in all
 *   (default: the machine's cores, at most 8); `spreadFrom` (tests) lowers the threshold
 */
export async function verifyChainSpread(semres, file, consortium, { threads, spreadFrom = SPREAD_FROM } = {}) {
  const members = consortium ? semres.Consortium.fromSignedNote(consortium) : null;
  let check = null;
  try {
    check = members ? members.chainCheck(file) : semres.ChainCheck.start(file);
    const count = check.signatureCount;
    const total = Math.max(1, Math.min(8, threads ?? globalThis.navigator?.hardwareConcurrency ?? 1));
    const helpers = typeof Worker === 'function' && count >= spreadFrom ? total - 1 : 0;
    const share = Math.ceil(count / (helpers + 1));
    // The helpers take the later shares (each copies the file); this thread the first.
    const theirs = Array.from({ length: helpers }, (_, h) => helper(check, file, consortium, (h + 1) * share, (h + 2) * share));
    const mine = check.verifySignatures(0, share);
    const held = mine && (await Promise.all(theirs)).every(Boolean);
    const spent = check;
    check = null;
    return spent.finish(held);
  } finally {
    check?.free();
    members?.free();
  }
}
