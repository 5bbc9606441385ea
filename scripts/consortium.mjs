// npm run consortium: four hospitals sharing one ledger on this machine (SPEC §6). Starts
// anvil (npm, a block a second, loopback), forms the consortium with the `semres consortium`
// commands as four hospitals would (keys, contract, file signed by all four), and runs each
// hospital's `semres serve --engine ethereum` on its own loopback port and data directory,
// each with the other three as peers; registers demo identities (patient David at hospital A,
// clinician Lawson admitted by hospital B). Prints the hospitals' URLs and the demo
// identities; Ctrl-C stops everything.
//
//   node scripts/consortium.mjs [--dir DIR] [--semres BIN] [--check | --json]
//
// --check: stop as soon as all four serve the consortium (used by the tests).
// --json: print one JSON line (URLs, files, demo identities) instead of the text, and stop
//         everything when standard input closes (the browser tests' fixture).
// The chain lives in anvil's memory: every run starts a new consortium in DIR (emptied).
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync, rmSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const dir = path.resolve(arg('--dir', process.env.SEMRES_CONSORTIUM_DIR ?? path.join(root, 'data-consortium')));
const semres = path.resolve(arg('--semres', path.join(root, 'target/release/semres')));
const check = process.argv.includes('--check');
const json = process.argv.includes('--json');
const anvilBin = path.join(root, 'node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil');
const CHAIN_ID = '1337';
const HOSPITALS = ['a', 'b', 'c', 'd'];

const children = [];
function stopAll() {
  for (const child of children) child.kill('SIGTERM');
}
process.on('SIGINT', () => { stopAll(); process.exit(130); });
process.on('SIGTERM', () => { stopAll(); process.exit(143); });

/** Starts `bin args` and resolves with the first stdout line matching `pattern`. */
function startAndWait(bin, args, pattern, logFile) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', logFile ? openSync(logFile, 'a') : 'ignore'] });
    children.push(child);
    const timer = setTimeout(() => reject(new Error(`${path.basename(bin)} did not start in 60 s`)), 60_000);
    child.once('exit', (code) => reject(new Error(`${path.basename(bin)} exited (${code})${logFile ? `; see ${logFile}` : ''}`)));
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const m = line.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
}

const cli = (...args) => execFileSync(semres, ['consortium', ...args], { encoding: 'utf8' }).trim();

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

try {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const rpc = await startAndWait(anvilBin, ['--host', '127.0.0.1', '--port', '0', '--chain-id', CHAIN_ID,
    '--base-fee', '0', '--gas-price', '0', '--block-time', '1', '--accounts', '1'], /^Listening on (\S+)/, path.join(dir, 'anvil.log'))
    .then((addr) => `http://${addr}`);
  // Each hospital makes its keys.
  const members = HOSPITALS.map((h) => cli('keys', '--name', `hospital-${h}.example`, '--out-dir', path.join(dir, `hospital-${h}`)));
  const accounts = members.map((m) => m.split(',').at(-1));
  // Hospital A deploys the contract with the four accounts; the file is drafted and signed by all.
  const contract = cli('deploy', '--rpc', rpc, '--account-key', path.join(dir, 'hospital-a/account.key'), ...accounts.flatMap((a) => ['--member', a]));
  const file = path.join(dir, 'consortium.txt');
  cli('draft', '--origin', 'semres.example/consortium', '--chain-id', CHAIN_ID, '--contract', contract,
    '--threshold', '3', ...members.flatMap((m) => ['--member', m]), '--out', file);
  for (const h of HOSPITALS) cli('sign', file, '--member-key', path.join(dir, `hospital-${h}/member.key.pem`));
  // Their nodes, each knowing the others' addresses.
  const ports = [];
  for (const _ of HOSPITALS) ports.push(await freePort());
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  await Promise.all(HOSPITALS.map((h, i) => {
    const home = path.join(dir, `hospital-${h}`);
    return startAndWait(semres, ['serve', '--engine', 'ethereum', '--rpc', rpc, '--consortium', file,
      '--member-key', path.join(home, 'member.key.pem'), '--account-key', path.join(home, 'account.key'),
      ...urls.filter((_, j) => j !== i).flatMap((u) => ['--peer', u]),
      '--listen', `127.0.0.1:${ports[i]}`, '--data-dir', path.join(home, 'data'),
      '--www', path.join(root, 'www'), '--pkg', path.join(root, 'pkg')], /^SEMRES listening on (\S+)/, path.join(home, 'node.log'));
  }));
  for (const url of urls) {
    const res = await fetch(`${url}/api/v1/consortium`);
    if (!res.ok || (await res.text()) !== readFileSync(file, 'utf8')) throw new Error(`${url} does not serve the consortium file`);
  }
  // Demo identities (synthetic): patient David registered at hospital A, clinician Lawson
  // admitted by hospital B's member key and registered there.
  const demo = path.join(dir, 'demo');
  mkdirSync(demo, { recursive: true });
  const run = (...args) => execFileSync(semres, args, { encoding: 'utf8' }).trim();
  const person = (name, role, hospital, admitter) => {
    const pass = path.join(demo, `${name.toLowerCase()}.pass`);
    writeFileSync(pass, `${name.toLowerCase()} demo passphrase\n`, { mode: 0o600 });
    run('keygen', '--out', path.join(demo, name.toLowerCase()), '--name', name, '--bits', '2048', '--passphrase-file', pass);
    const identity = path.join(demo, name.toLowerCase(), 'identity.json');
    const reg = path.join(demo, `${name.toLowerCase()}-register.txt`);
    const keyId = run('register', '--identity', identity, '--passphrase-file', pass, '--role', role, reg).split(' ')[2];
    let entryFile = reg;
    if (admitter) {
      entryFile = path.join(demo, `${name.toLowerCase()}-admitted.txt`);
      run('admit', '--authority-key', admitter, reg, entryFile);
    }
    return { name, identity, pass, passphrase: readFileSync(pass, 'utf8').trim(), keyId, hospital, entry: readFileSync(entryFile, 'utf8').trim() };
  };
  const people = [
    person('David', 'patient', 0, null),
    person('Lawson', 'clinician', 1, path.join(dir, 'hospital-b/member.key.pem')),
  ];
  for (const p of people) {
    // Once more if the pooled connection was closed while idle (the node's header timeout).
    const post = () => fetch(`${urls[p.hospital]}/api/v1/entries`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ entry: p.entry }),
    });
    const res = await post().catch(post);
    if (res.status !== 201) throw new Error(`registering ${p.name}: ${res.status} ${await res.text()}`);
  }
  // Ready when every hospital serves a checkpoint of the demo's blocks that 3 of the 4 cosigned
  // (a browser accepts nothing less; the cosignatures follow the chain by a moment).
  const deadline = Date.now() + 60_000;
  for (const url of urls) {
    for (;;) {
      const note = await fetch(`${url}/api/v1/checkpoint`).then((r) => (r.ok ? r.text() : '')).catch(() => '');
      const [body = '', lines = ''] = note.split('\n\n');
      const size = Number(body.split('\n')[1] ?? 0);
      const cosigners = new Set(lines.split('\n').filter((l) => l.startsWith('— ')).map((l) => l.split(' ')[1]));
      if (size >= people.length && cosigners.size >= 3) break;
      if (Date.now() > deadline) throw new Error(`${url} serves no checkpoint cosigned by 3 hospitals`);
      await new Promise((resolve) => { setTimeout(resolve, 200); });
    }
  }
  if (json) {
    console.log(JSON.stringify({
      rpc, chainId: Number(CHAIN_ID), contract, consortium: file, dir, urls: urls.map((u) => `${u}/`),
      people: people.map(({ name, identity, passphrase, keyId, hospital }) => ({ name, identity, passphrase, keyId, hospital })),
    }));
    process.stdin.resume();
    process.stdin.once('end', () => { stopAll(); process.exit(0); });
    // Keeps running (the nodes and anvil are its children) until standard input closes.
  } else {
  console.log(`Four hospitals share one ledger on anvil (${rpc}, chain ${CHAIN_ID}, contract ${contract}), threshold 3 of 4:`);
  HOSPITALS.forEach((h, i) => console.log(`  hospital-${h}.example  ${urls[i]}/   (data, keys and log in ${path.join(dir, `hospital-${h}`)})`));
  console.log(`The consortium file: ${file} (semres consortium show ${file}).`);
  for (const p of people) {
    console.log(`Demo ${p.name}: registered at hospital-${HOSPITALS[p.hospital]}, key id ${p.keyId}, identity ${p.identity}, passphrase in ${p.pass}`);
  }
  const [david, lawson] = people;
  console.log(`Try (README "Walkthrough with the CLI"): ${path.relative(process.cwd(), semres)} share --endpoint ${urls[0]} --trust ${file} --identity ${david.identity} --passphrase-file ${david.pass} --to ${lawson.keyId} RECORD`);
  console.log(`In a browser (README "Walkthrough across two hospitals"): open ${urls[0]}/ and import David's identity file`);
  console.log(`(passphrase "${david.passphrase}"), and ${urls[1]}/ for Lawson ("${lawson.passphrase}"). Each page pins the`);
  console.log('consortium file and accepts a checkpoint only when 3 of the 4 hospitals cosigned it.');
  console.log('Entries posted to any node are anchored on the chain and cosigned by all. Ctrl-C stops the hospitals and the chain.');
  }
  if (check) {
    stopAll();
    process.exit(0);
  }
} catch (error) {
  console.error(`npm run consortium: ${error.message}${error.cause ? ` (${error.cause.message ?? error.cause})` : ""}`);
  stopAll();
  process.exit(1);
}
