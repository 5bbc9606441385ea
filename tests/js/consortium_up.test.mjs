// npm run consortium's script on its own (scripts/consortium.mjs --check): anvil, the four
// hospitals' keys, the contract, the consortium file signed by all four through the
// `semres consortium` commands, four `semres serve --engine ethereum` processes that each
// serve that file, and the demo identities registered (David at A, Lawson admitted by B) —
// then everything stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { root } from './helpers.mjs';

test('npm run consortium brings up four hospitals on one chain', () => {
  const out = execFileSync('node', [path.join(root, 'scripts/consortium.mjs'), '--check',
    '--dir', path.join(root, 'tmp/consortium-up'), '--semres', path.join(root, 'target/debug/semres')],
  { cwd: root, encoding: 'utf8', timeout: 300_000 });
  const urls = [...out.matchAll(/hospital-[abcd]\.example {2}(http:\/\/127\.0\.0\.1:\d+)\//g)].map((m) => m[1]);
  assert.equal(new Set(urls).size, 4, out);
  assert.match(out, /threshold 3 of 4/);
  assert.match(out, /Demo David: registered at hospital-a, key id [\w-]{43}/);
  assert.match(out, /Demo Lawson: registered at hospital-b, key id [\w-]{43}/);
  const show = execFileSync(path.join(root, 'target/debug/semres'), ['consortium', 'show', path.join(root, 'tmp/consortium-up/consortium.txt')], { encoding: 'utf8' });
  for (const h of ['a', 'b', 'c', 'd']) assert.match(show, new RegExp(`member hospital-${h}\\.example account 0x[0-9a-f]{40} \\(signed\\)`));
});
