// Live cosigned checkpoints (SPEC §6.3) through the WASM verifier: four member hospitals'
// nodes on anvil (`xtask consortium-live`, loopback ports chosen by the system) each serve a
// checkpoint their members cosigned; the JS API accepts it with 3 or 4 cosignatures and
// refuses it with 2, with a stranger's line in place of a member's, and with a root one
// member forged and cosigned alone.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { loadSemres, root } from './helpers.mjs';

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
