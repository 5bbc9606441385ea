// Compiles contracts/SemresLog.sol with the solc-js pinned in package.json and writes the
// artifact the node deploys and talks to (contracts/SemresLog.json). `--check` compiles and
// compares with the committed artifact instead (a test runs it): the bytecode on a chain can
// then be traced to this source.
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import solc from 'solc';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sourcePath = path.join(root, 'contracts/SemresLog.sol');
const artifactPath = path.join(root, 'contracts/SemresLog.json');

export function compile() {
  const source = readFileSync(sourcePath, 'utf8');
  // Paris: no PUSH0, so the bytecode runs on any post-merge EVM chain (Besu QBFT included).
  const settings = {
    evmVersion: 'paris',
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { '*': { SemresLog: ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
  };
  const input = { language: 'Solidity', sources: { 'SemresLog.sol': { content: source } }, settings };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const contract = output.contracts['SemresLog.sol'].SemresLog;
  return {
    contract: 'SemresLog',
    source: 'contracts/SemresLog.sol',
    sourceSha256: createHash('sha256').update(source).digest('hex'),
    solc: solc.version(),
    settings: { evmVersion: settings.evmVersion, optimizer: settings.optimizer },
    abi: contract.abi,
    bytecode: `0x${contract.evm.bytecode.object}`,
    deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const artifact = `${JSON.stringify(compile(), null, 2)}\n`;
  if (process.argv.includes('--check')) {
    if (readFileSync(artifactPath, 'utf8') !== artifact) {
      console.error('contracts/SemresLog.json is not what contracts/SemresLog.sol compiles to: run node scripts/compile-contract.mjs');
      process.exit(1);
    }
    console.log('contracts/SemresLog.json matches its source');
  } else {
    writeFileSync(artifactPath, artifact);
    console.log(`wrote ${path.relative(root, artifactPath)}`);
  }
}
