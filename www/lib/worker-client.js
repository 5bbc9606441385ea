// The page's side of the cryptography worker (www/worker.js): one request/response channel
// with progress updates. Errors arrive as Error objects named SemresError with a stable code.

import { semresError } from './semres-error.js';

export function startWorker(onCrash) {
  const worker = new Worker('/worker.js', { type: 'module' });
  let nextId = 0;
  const pending = new Map();
  worker.onmessage = ({ data }) => {
    const call = pending.get(data.id);
    if (!call) return;
    if (data.progress) { call.onProgress?.(data.progress); return; }
    pending.delete(data.id);
    if (data.ok) call.resolve(data.result);
    else call.reject(Object.assign(new Error(data.error.message), data.error));
  };
  worker.onerror = (event) => {
    onCrash?.(event.message ?? 'unknown error');
    for (const call of pending.values()) call.reject(semresError('WorkerFailed', 'the cryptography worker stopped'));
    pending.clear();
  };
  /** Runs `op` in the worker; `transfer` moves buffers instead of copying them. */
  return function call(op, args = {}, { transfer = [], onProgress } = {}) {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject, onProgress });
      worker.postMessage({ id, op, args }, transfer);
    });
  };
}
