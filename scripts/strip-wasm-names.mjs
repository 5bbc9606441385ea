// Removes the `name` custom section (function names for debuggers, ~220 KB) from a .wasm
// file in place. Custom sections carry no semantics (WebAssembly core spec §5.5.3), so the
// module behaves identically; panics and errors never expose function names to users anyway.
// (Cargo's `strip = true` would also drop `target_features`, which wasm-bindgen reads.)
import { readFileSync, writeFileSync } from 'node:fs';
import { leb } from './wasm-leb.mjs';

const file = process.argv[2];
const wasm = readFileSync(file);
if (wasm.readUInt32LE(0) !== 0x6d736100) throw new Error(`${file} is not a WebAssembly module`);
const kept = [wasm.subarray(0, 8)];
let at = 8;
let removed = 0;
while (at < wasm.length) {
  const start = at;
  const id = wasm[at++];
  const [size, body] = leb(wasm, at);
  const end = body + size;
  if (end > wasm.length) throw new Error(`${file}: truncated section`);
  let name = null;
  if (id === 0) {
    const [length, nameAt] = leb(wasm, body);
    name = wasm.subarray(nameAt, nameAt + length).toString('utf8');
  }
  if (name === 'name') removed += end - start;
  else kept.push(wasm.subarray(start, end));
  at = end;
}
writeFileSync(file, Buffer.concat(kept));
console.log(`${file}: removed ${removed} bytes of function names`);
