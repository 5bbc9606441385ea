// A helper thread for a chain's full verification (www/lib/chain-verify.js): makes the
// `ChainCheck` of the chain file (its rules checked here too, in order), answers whether it
// is ready, then makes each slice of the Ed25519 verifications it is given in the core and
// answers whether they all held. It sees only the public chain file and, for a consortium's
// chain, the consortium file.
import init, { ChainCheck, Consortium } from '/pkg/semres.js';

const ready = init();
let check = null;

self.onmessage = async ({ data }) => {
  if (data.file !== undefined) {
    let c = null;
    try {
      await ready;
      c = data.consortium ? Consortium.fromSignedNote(data.consortium) : null;
      check = c ? c.chainCheck(data.file) : ChainCheck.start(data.file);
      self.postMessage({ ready: true });
    } catch {
      // The calling thread finds the same fault and reports it.
      self.postMessage({ ready: false });
    } finally {
      c?.free();
    }
    return;
  }
  let held = false;
  try {
    held = check !== null && check.verifySignatures(data.from, data.to);
  } catch {
    held = false;
  }
  self.postMessage({ held });
};
