// Shared helpers of the JS tests: load the browser (web-target) WASM package in Node with
// initSync, and read the checked-in vectors.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function loadSemres() {
  const semres = await import(path.join(root, 'pkg/semres.js'));
  semres.initSync({ module: readFileSync(path.join(root, 'pkg/semres_bg.wasm')) });
  return semres;
}

export function smerVectors() {
  return JSON.parse(readFileSync(path.join(root, 'tests/vectors/smer/smer_v1.json'), 'utf8'));
}

export const hex = (bytes) => Buffer.from(bytes).toString('hex');
export const utf8 = (text) => new TextEncoder().encode(text);
