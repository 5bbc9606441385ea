// A helper thread for a chain's full verification (www/lib/chain-verify.js): makes the
// `ChainCheck` of the same chain file (its rules checked again here, cheap) and the Ed25519
// verifications `from`..`to` of it, and answers whether they all held. It sees only the
// public chain file and, for a consortium's chain, the consortium file.
import init, { ChainCheck, Consortium } from '/pkg/semres.js';

const ready = init();

self.onmessage = async ({ data: { file, consortium, from, to } }) => {
  let c = null;
  let check = null;
  try {
    await ready;
    c = consortium ? Consortium.fromSignedNote(consortium) : null;
    check = c ? c.chainCheck(file) : ChainCheck.start(file);
    self.postMessage({ held: check.verifySignatures(from, to) });
  } catch {
    // The caller verifies again block by block and reports the first bad one.
    self.postMessage({ held: false });
  } finally {
    check?.free();
    c?.free();
  }
};
