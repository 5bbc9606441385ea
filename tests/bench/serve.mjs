// The benchmarks' static server on 127.0.0.1 (a free port): the WASM package, the site's
// shared modules, jose, openpgp.js, the benchmark pages and the ledger data.
import http from 'node:http';
import { readFileSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { root } from '../js/helpers.mjs';

const types = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
const mounts = [
  ['/pkg/', path.join(root, 'pkg')],
  ['/lib/', path.join(root, 'www/lib')],
  ['/jose/', path.join(root, 'node_modules/jose/dist/webapi')],
  ['/openpgp/', path.join(root, 'node_modules/openpgp/dist')],
  ['/bench/', path.join(root, 'tests/bench')],
  ['/ledger-data/', path.join(root, 'target/bench')],
];

/** Starts the server; resolves to its base URL and a `close()`. */
export async function startBenchServer() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    for (const [prefix, dir] of mounts) {
      if (url.pathname.startsWith(prefix)) {
        const file = path.join(dir, path.normalize(url.pathname.slice(prefix.length)));
        if (file.startsWith(dir) && existsSync(file) && statSync(file).isFile()) {
          res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
          res.end(readFileSync(file));
          return;
        }
      }
    }
    res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}
