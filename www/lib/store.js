// What this browser keeps, in IndexedDB: identities (only ever as passphrase-encrypted
// identity files), the ledger authorities it trusts, local labels of records it sealed, and
// checkpoints an auditor saved. Nothing here is a plaintext record or an unencrypted key.

import { semresError } from './semres-error.js';

const DB_NAME = 'semres';
const VERSION = 1;
const STORES = {
  identities: 'keyId', // {keyId, name, role, encryptionKeyId, file: ArrayBuffer, createdAt, registeredBlock}
  trust: 'origin', // {origin, chainId, authorities: [{keyId, publicKey}], pinnedAt}
  records: 'smerHash', // {smerHash, ownerKeyId, fileName, contentType, size, sealedAt}
  checkpoints: 'id', // {id, note, size, savedAt}
};

let opening = null;
function db() {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, VERSION);
    request.onupgradeneeded = () => {
      for (const [name, keyPath] of Object.entries(STORES)) {
        if (!request.result.objectStoreNames.contains(name)) request.result.createObjectStore(name, { keyPath });
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(semresError('StorageUnavailable', 'this browser does not allow storage here (private mode?)'));
  });
  return opening;
}

function run(store, mode, action) {
  return db().then((database) => new Promise((resolve, reject) => {
    const tx = database.transaction(store, mode);
    const request = action(tx.objectStore(store));
    tx.oncomplete = () => resolve(request?.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('storage transaction aborted'));
  }));
}

export const put = (store, value) => run(store, 'readwrite', (s) => s.put(value));
export const get = (store, key) => run(store, 'readonly', (s) => s.get(key));
export const all = (store) => run(store, 'readonly', (s) => s.getAll());
export const remove = (store, key) => run(store, 'readwrite', (s) => s.delete(key));
