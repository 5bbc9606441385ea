// Opening a SMeR with the RSA private-key operation in WebCrypto (SPEC §2.4): the core parses
// and checks the SMeR and names the wrapped content keys to try (`ParsedSmer`); WebCrypto
// unwraps each (RSA-OAEP-256) with a private key it holds as a non-extractable `CryptoKey`;
// the core authenticates and decrypts with the first key that authenticates. Every unwrap or
// authentication failure is one `DecryptionFailed`. Used by the worker, and by the tests that
// run every SMeR vector through this path.
import { semresError } from './semres-error.js';

/**
 * @param {typeof import('../../pkg/semres.js').ParsedSmer} ParsedSmer the core's class
 * @param {Uint8Array} smer
 * @param {string} keyId the private key's id (RFC 7638 thumbprint)
 * @param {CryptoKey} webKey the same key in WebCrypto (RSA-OAEP, SHA-256, usage decrypt)
 * @param {{ options?: object, stillAllowed?: () => boolean }} [more] `stillAllowed` is asked
 *   after each unwrap (the worker: the identity is still unlocked)
 */
export async function openWithWebCrypto(ParsedSmer, smer, keyId, webKey, { options, stillAllowed = () => true } = {}) {
  const parsed = ParsedSmer.parse(smer, options);
  try {
    for (const wrapped of parsed.encryptedKeysFor(keyId)) {
      let cek;
      try {
        cek = new Uint8Array(await crypto.subtle.decrypt({ name: 'RSA-OAEP' }, webKey, wrapped));
      } catch {
        continue;
      }
      try {
        if (!stillAllowed()) throw semresError('Locked', 'Unlock your identity first.');
        return parsed.openWithContentKey(cek);
      } catch (e) {
        if (e?.code !== 'DecryptionFailed') throw e;
      } finally {
        cek.fill(0);
      }
    }
    throw semresError('DecryptionFailed', 'decryption failed');
  } finally {
    parsed.free();
  }
}
