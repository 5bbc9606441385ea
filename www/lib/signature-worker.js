// A helper thread for a chain's full verification (www/lib/chain-verify.js): makes the
// `ChainCheck` of the chain file (its rules checked here too, in order) and the Ed25519
// verifications of part `part` of `parts`, and answers whether they all held. It sees only
// the public chain file and, for a consortium's chain, the consortium file.
import init, { ChainCheck, Consortium } from '/pkg/semres.js';

const ready = init();

self.onmessage = async ({ data: { file, consortium, part, parts } }) => {
  let c = null;
  let check = null;
  try {
    await ready;
    c = consortium ? Consortium.fromSignedNote(consortium) : null;
    check = c ? c.chainCheck(file) : ChainCheck.start(file);
    const share = Math.ceil(check.signatureCount / parts);
    self.postMessage({ held: check.verifySignatures(part * share, (part + 1) * share) });
  } catch {
    // The caller verifies again block by block and reports the first bad one.
    self.postMessage({ held: false });
  } finally {
    check?.free();
    c?.free();
  }
};
