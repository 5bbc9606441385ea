// The anchoring contract (contracts/SemresLog.sol, SPEC §6.4): the committed artifact the
// node deploys is exactly what the pinned solc-js compiles the source to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { root } from './helpers.mjs';
import { compile } from '../../scripts/compile-contract.mjs';

test('contracts/SemresLog.json is what contracts/SemresLog.sol compiles to', () => {
  const committed = JSON.parse(readFileSync(path.join(root, 'contracts/SemresLog.json'), 'utf8'));
  const fresh = compile();
  assert.equal(committed.solc, fresh.solc);
  assert.equal(committed.sourceSha256, fresh.sourceSha256, 'the source changed: run node scripts/compile-contract.mjs');
  assert.deepEqual(committed.abi, fresh.abi);
  assert.equal(committed.bytecode, fresh.bytecode);
  assert.equal(committed.deployedBytecode, fresh.deployedBytecode);
  // Compiled for Paris (no PUSH0), so that it runs on any post-merge EVM chain.
  assert.equal(committed.settings.evmVersion, 'paris');
});
