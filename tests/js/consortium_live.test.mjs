// Live cosigned checkpoints (SPEC §6.3) through the WASM verifier: four member hospitals'
// nodes on anvil (`xtask consortium-live`, loopback ports chosen by the system) each serve a
// checkpoint their members cosigned; the JS API accepts it with 3 or 4 cosignatures and
// refuses it with 2, with a stranger's line in place of a member's, and with a root one
// member forged and cosigned alone. Then the auditor page verifies, offline, a chain a
// hospital exported (`semres audit --out`) against the consortium file.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { loadSemres, root } from './helpers.mjs';
import { startServer, launchBrowser } from './browser.mjs';

const semres = await loadSemres();

const child = spawn(path.join(root, 'target/debug/xtask'), ['consortium-live', path.join(root, 'tmp/consortium-live')], {
  cwd: root,
  stdio: ['pipe', 'pipe', 'inherit'],
});
// Closing its standard input ends it (and the anvil it started); a kill only if it hangs.
after(async () => {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.stdin.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
});
const live = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('consortium-live did not start in 120 s')), 120_000);
  child.once('exit', (code) => reject(new Error(`consortium-live exited (${code})`)));
  createInterface({ input: child.stdout }).once('line', (line) => {
    clearTimeout(timer);
    resolve(JSON.parse(line));
  });
});

async function checkpointOf(url) {
  const res = await fetch(`${url}/api/v1/checkpoint`);
  assert.equal(res.status, 200);
  return res.text();
}

// The note's body and its cosignature lines.
function split(note) {
  const [body, sigs] = note.split('\n\n');
  return { body, lines: sigs.split('\n').filter((l) => l !== '') };
}
const join = (body, lines) => `${body}\n\n${lines.map((l) => `${l}\n`).join('')}`;

test('every hospital serves the same checkpoint, accepted with all four cosignatures', async () => {
  const consortium = semres.Consortium.fromSignedNote(live.consortium);
  assert.equal(consortium.threshold, 3);
  const notes = await Promise.all(live.nodes.map(checkpointOf));
  const bodies = new Set(notes.map((n) => split(n).body));
  assert.equal(bodies.size, 1, 'one checkpoint body at every node');
  for (const note of notes) {
    const cp = consortium.verifyCheckpoint(note);
    assert.equal(cp.size, 1);
    assert.deepEqual([...cp.cosigners].sort(), [...consortium.memberNames].sort());
  }
});

test('3 of 4 is enough; 2 of 4, or 2 with a stranger, is refused', async () => {
  const consortium = semres.Consortium.fromSignedNote(live.consortium);
  const { body, lines } = split(await checkpointOf(live.nodes[1]));
  assert.equal(lines.length, 4);
  assert.equal(consortium.verifyCheckpoint(join(body, lines.slice(1))).cosigners.length, 3);
  assert.throws(() => consortium.verifyCheckpoint(join(body, lines.slice(2))), (e) => e.code === 'BadCheckpoint');
  // A line in the cosignature format by a name that is no member's.
  const stranger = `— stranger.test ${Buffer.alloc(76, 7).toString('base64')}`;
  assert.throws(() => consortium.verifyCheckpoint(join(body, [...lines.slice(2), stranger])), (e) => e.code === 'BadCheckpoint');
  // A member's line renamed to a stranger's does not count either.
  const renamed = lines[0].replace(/^— \S+/, '— stranger.test');
  assert.throws(() => consortium.verifyCheckpoint(join(body, [...lines.slice(2), renamed])), (e) => e.code === 'BadCheckpoint');
});

test('a root forged by one member is refused, and the fork names who signed both', async () => {
  const consortium = semres.Consortium.fromSignedNote(live.consortium);
  assert.throws(() => consortium.verifyCheckpoint(live.forged), (e) => e.code === 'BadCheckpoint');
  // Beside the real checkpoint of the same size, the forged one is evidence against the
  // one member whose cosignature verifies on both.
  const real = await checkpointOf(live.nodes[0]);
  const forger = consortium.memberNames[0];
  assert.deepEqual(consortium.equivocation(real, live.forged), [forger]);
});

test('the auditor page verifies a hospital\'s exported chain against the consortium, offline', async () => {
  const dir = path.join(root, 'tmp/consortium-live-audit');
  mkdirSync(dir, { recursive: true });
  const consortiumPath = path.join(dir, 'consortium.txt');
  const cpPath = path.join(dir, 'checkpoint.txt');
  const chainPath = path.join(dir, 'chain.bin');
  const badPath = path.join(dir, 'chain-tampered.bin');
  writeFileSync(consortiumPath, live.consortium);
  writeFileSync(cpPath, await checkpointOf(live.nodes[3]));
  execFileSync(path.join(root, 'target/debug/semres'), ['audit', '--endpoint', live.nodes[3], '--trust', consortiumPath, '--out', chainPath]);
  const bad = readFileSync(chainPath);
  bad[bad.length - 70] ^= 1; // inside the one block's entry signature
  writeFileSync(badPath, bad);
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}#auditor`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));
    const text = async (id, pattern) => {
      await page.waitForFunction(([s, src]) => new RegExp(src).test(document.getElementById(s).textContent), [id, pattern.source], { timeout: 30000 })
        .catch(async () => assert.fail(`#${id}: ${await page.textContent(`#${id}`)}`));
      return page.textContent(`#${id}`);
    };
    await page.setInputFiles('#a-consortium-file', consortiumPath);
    await text('a-consortium', /needs 3 of their 4 cosignatures/);
    await page.setInputFiles('#a-cp-file', cpPath);
    assert.match(await text('a-cp-ok', /^yes, cosigned by/), /hospital-a\.test/);
    await page.setInputFiles('#a-chain-file', chainPath);
    const result = await text('a-chain-result', /^valid: 1 blocks of the consortium ledger/);
    assert.match(result, /Merkle root equals the checkpoint's cosigned by .* \(4 of 4, 3 needed\)/);
    await page.setInputFiles('#a-chain-file', badPath);
    await text('a-chain-result', /^INVALID/);
    // The page's own code (a helper worker may load /pkg/semres_bg.wasm while verifying) is
    // not a question to an endpoint: no API call and no other origin.
    const origin = new URL(server.url).origin;
    const asked = requests.filter((u) => new URL(u).origin !== origin || new URL(u).pathname.startsWith('/api/'));
    assert.deepEqual(asked, [], 'nothing was asked of any endpoint');
  } finally {
    await browser.close();
    await server.stopped();
  }
});
