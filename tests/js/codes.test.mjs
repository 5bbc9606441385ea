// One register of error codes (src/codes.rs): the JS API's `errorCodes()` and its TypeScript
// union are derived from it; the site's words (www/lib/errors.js) cover exactly its codes; and
// every code the site's scripts raise or test for is in it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { loadSemres, root } from './helpers.mjs';
import { WORDS } from '../../www/lib/errors.js';

const semres = await loadSemres();
const register = semres.errorCodes();
const codes = new Set(register.map((c) => c.code));

test('the register: unique codes, each with its layer and HTTP status', () => {
  assert.equal(codes.size, register.length, 'no code twice');
  assert.ok(register.length >= 40);
  for (const { code, layer, httpStatus } of register) {
    assert.match(code, /^[A-Z][A-Za-z]+$/);
    assert.ok(['core', 'ledger', 'request', 'endpoint', 'cli', 'site'].includes(layer), code);
    assert.ok(httpStatus >= 400 && httpStatus < 600, code);
  }
});

test('the TypeScript union of SemresError codes is the register', () => {
  const dts = readFileSync(path.join(root, 'pkg/semres.d.ts'), 'utf8');
  const union = dts.match(/export type SemresErrorCode =([^;]*);/)[1];
  const inUnion = new Set([...union.matchAll(/"([A-Za-z]+)"/g)].map((m) => m[1]));
  assert.deepEqual([...inUnion].sort(), [...codes].sort());
});

test('the site has words for exactly the codes of the register', () => {
  assert.deepEqual(Object.keys(WORDS).sort(), [...codes].sort());
});

test('every code the site raises or checks is in the register', () => {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.js')) files.push(full);
    }
  };
  walk(path.join(root, 'www'));
  const used = new Set();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/semresError\('([A-Z][A-Za-z]+)'/g)) used.add(m[1]);
    for (const m of text.matchAll(/\.code === '([A-Z][A-Za-z]+)'/g)) used.add(m[1]);
    for (const m of text.matchAll(/\.code !== '([A-Z][A-Za-z]+)'/g)) used.add(m[1]);
  }
  assert.ok(used.size >= 8, `found ${[...used]}`);
  for (const code of used) assert.ok(codes.has(code), `${code} is used by the site but not in the register`);
});
