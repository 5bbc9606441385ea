// Full verification of a chain file with its Ed25519 verifications spread over threads
// (SPEC §4.4's verifier, the core's `ChainCheck`): every thread — this one and one helper
// worker per further core (www/lib/signature-worker.js) — checks every rule, link, number,
// time and anchor in order (cheap) and makes its part of the verifications. The verdict is
// the core's `verifyChain`'s, error for error: a failed verification anywhere makes the core
// verify the chain again block by block to name the first bad block.

/** Smaller chain files are verified in this thread alone (starting helpers costs more). */
const SPREAD_FROM_BYTES = 1 << 20;
/** Verifications made between two yields of this thread (so that helpers can start). */
const SLICE = 1024;

/** Lets this thread's event loop run (a message to itself: no timer clamping). */
const yieldNow = () => new Promise((resolve) => {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => resolve();
  channel.port2.postMessage(null);
});

/** Part `part` of `parts` of the verifications, in slices with yields between them. */
async function verifyPart(check, part, parts) {
  const share = Math.ceil(check.signatureCount / parts);
  const end = Math.min(check.signatureCount, (part + 1) * share);
  for (let at = part * share; at < end; at += SLICE) {
    if (!check.verifySignatures(at, Math.min(end, at + SLICE))) return false;
    await yieldNow();
  }
  return true;
}

/** Whether part `part` of `parts` held, made by a helper worker; `null` if no helper could be
 *  started here (this thread then makes that part). A helper that fails counts as "not
 *  held": the core then verifies in order, so a failing helper costs time, not the verdict. */
function helper(file, consortium, part, parts, workers) {
  let worker;
  try {
    worker = new Worker(new URL('./signature-worker.js', import.meta.url), { type: 'module' });
  } catch {
    return Promise.resolve(null);
  }
  workers.push(worker);
  return new Promise((resolve) => {
    worker.onmessage = ({ data }) => resolve(data.held === true);
    worker.onerror = () => resolve(false);
    worker.postMessage({ file, consortium, part, parts });
  });
}

/**
 * Verifies `file` fully: a sealed chain from its genesis, or — with `consortium` (the
 * consortium file's signed note) — a consortium's anchored chain. Returns the core's
 * `ChainReport`; throws its `SemresError` (code, `blockIndex`) for a bad chain.
 * @param {typeof import('../../pkg/semres.js')} semres the core's module (initialized)
 * @param {Uint8Array} file
 * @param {string | null} consortium
 * @param {{ threads?: number, spreadFromBytes?: number }} [options] threads to use in all
 *   (default: the machine's cores, at most 8); `spreadFromBytes` (tests) lowers the size
 *   from which helpers are used
 */
export async function verifyChainSpread(semres, file, consortium, { threads, spreadFromBytes = SPREAD_FROM_BYTES } = {}) {
  const cores = Math.max(1, Math.min(8, threads ?? globalThis.navigator?.hardwareConcurrency ?? 1));
  const parts = typeof Worker === 'function' && file.length >= spreadFromBytes ? cores : 1;
  // The helpers start first and check the rules themselves, beside this thread.
  const workers = [];
  const theirs = Array.from({ length: parts - 1 }, (_, h) => helper(file, consortium, h + 1, parts, workers));
  const members = consortium ? semres.Consortium.fromSignedNote(consortium) : null;
  let check = null;
  try {
    await yieldNow();
    check = members ? members.chainCheck(file) : semres.ChainCheck.start(file);
    let held = await verifyPart(check, 0, parts);
    const answers = await Promise.all(theirs);
    for (const [h, answer] of answers.entries()) {
      held &&= answer ?? (await verifyPart(check, h + 1, parts));
    }
    const spent = check;
    check = null;
    return spent.finish(held);
  } finally {
    // Done, or this thread found the chain bad first: no helper keeps working.
    for (const worker of workers) worker.terminate();
    check?.free();
    members?.free();
  }
}
