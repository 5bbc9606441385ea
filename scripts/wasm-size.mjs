// Each crate's share of the WASM module (issue 15 item 4): `node scripts/wasm-size.mjs
// [FILE]` reads a module that still has its `name` section (by default cargo's own output,
// target/wasm32-unknown-unknown/wasm-release/semres.wasm, before wasm-bindgen; pkg/ is stripped)
// and prints, per crate, the function bodies' bytes and those bodies gzipped on their own
// (an estimate of the crate's share of the download), then the data segments.
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { leb } from './wasm-leb.mjs';

const file = process.argv[2] ?? 'target/wasm32-unknown-unknown/wasm-release/semres.wasm';
if (!existsSync(file)) throw new Error(`${file} not found: run npm run build:wasm first`);
const wasm = readFileSync(file);
let at = 8;
let importedFunctions = 0;
const bodies = [];
const names = new Map();
let data = Buffer.alloc(0);
while (at < wasm.length) {
  const id = wasm[at++];
  const [size, body] = leb(wasm, at);
  const end = body + size;
  if (id === 2) {
    // Imports: functions among them take the first indices.
    let [count, p] = leb(wasm, body);
    for (; count > 0; count -= 1) {
      let n;
      [n, p] = leb(wasm, p); p += n;
      [n, p] = leb(wasm, p); p += n;
      const kind = wasm[p++];
      if (kind === 0) { [, p] = leb(wasm, p); importedFunctions += 1; }
      else if (kind === 1) { p += 1; const flags = wasm[p++]; [, p] = leb(wasm, p); if (flags & 1) [, p] = leb(wasm, p); }
      else if (kind === 2) { const flags = wasm[p++]; [, p] = leb(wasm, p); if (flags & 1) [, p] = leb(wasm, p); }
      else if (kind === 3) { p += 2; }
      else throw new Error(`import kind ${kind}`);
    }
  } else if (id === 10) {
    let [count, p] = leb(wasm, body);
    for (let i = 0; i < count; i += 1) {
      const [n, q] = leb(wasm, p);
      bodies.push(wasm.subarray(q, q + n));
      p = q + n;
    }
  } else if (id === 11) {
    data = wasm.subarray(body, end);
  } else if (id === 0) {
    const [length, nameAt] = leb(wasm, body);
    if (wasm.subarray(nameAt, nameAt + length).toString('utf8') === 'name') {
      let p = nameAt + length;
      while (p < end) {
        const sub = wasm[p++];
        const [subSize, subBody] = leb(wasm, p);
        if (sub === 1) {
          let [count, q] = leb(wasm, subBody);
          for (; count > 0; count -= 1) {
            let index;
            let n;
            [index, q] = leb(wasm, q);
            [n, q] = leb(wasm, q);
            names.set(index, wasm.subarray(q, q + n).toString('utf8'));
            q += n;
          }
        }
        p = subBody + subSize;
      }
    }
  }
  at = end;
}
if (names.size === 0) throw new Error(`${file} has no function names`);

/** The crate a (mangled or demangled) Rust symbol belongs to: the first path segment of the
 *  type or function, so `<rsa::key::RsaPrivateKey as Trait>::f` is rsa's. */
function crateOf(name) {
  let text = name;
  if (text.startsWith('_ZN')) {
    const parts = [];
    let p = 3;
    while (p < text.length && /\d/.test(text[p])) {
      const m = /^\d+/.exec(text.slice(p))[0];
      p += m.length;
      parts.push(text.slice(p, p + Number(m)));
      p += Number(m);
    }
    text = parts.join('::').replace(/\$LT\$/g, '<').replace(/\$GT\$/g, '>').replace(/\$u20\$/g, ' ').replace(/\.\./g, '::');
  }
  const m = /([A-Za-z_][A-Za-z0-9_]*)::/.exec(text.replace(/^[<&*\s]*(mut |dyn |const )?/, ''));
  if (!m) return /^(__|dlmalloc|memcpy|memset|memmove|memcmp)/.test(text) ? 'compiler builtins / allocator' : '(other)';
  const crate = m[1].replace(/_/g, '-');
  return ['core', 'alloc', 'std'].includes(crate) ? 'core/alloc/std (generic code, instantiated for the callers)' : crate;
}

const byCrate = new Map();
bodies.forEach((b, i) => {
  const crate = crateOf(names.get(importedFunctions + i) ?? '');
  const entry = byCrate.get(crate) ?? { functions: 0, bytes: 0, parts: [] };
  entry.functions += 1;
  entry.bytes += b.length;
  entry.parts.push(b);
  byCrate.set(crate, entry);
});
const total = bodies.reduce((n, b) => n + b.length, 0);
const kib = (n) => (n / 1024).toFixed(1);
const rows = [...byCrate.entries()]
  .map(([crate, e]) => ({ crate, ...e, gzip: gzipSync(Buffer.concat(e.parts), { level: 9 }).length }))
  .sort((a, b) => b.bytes - a.bytes);
console.log(`${file}: ${kib(wasm.length)} KiB (${kib(gzipSync(wasm, { level: 9 }).length)} KiB gzip), code ${kib(total)} KiB in ${bodies.length} functions, data segments ${kib(data.length)} KiB (${kib(gzipSync(data, { level: 9 }).length)} KiB gzip: constant tables and strings)`);
console.log('| crate | functions | code KiB | share | gzip alone KiB |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.crate} | ${r.functions} | ${kib(r.bytes)} | ${((100 * r.bytes) / total).toFixed(1)} % | ${kib(r.gzip)} |`);
