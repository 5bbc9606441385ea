// Every SMeR v1 vector opened in Chromium the way the site's worker opens records: the RSA
// private key imported into the browser's WebCrypto as a non-extractable CryptoKey, the
// wrapped content keys unwrapped there, the rest checked and decrypted by the WASM core
// (www/lib/webcrypto-open.js) — the same results and error codes as the core's own path.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { smerVectors } from './helpers.mjs';
import { startServer, launchBrowser } from './browser.mjs';

let server;
let browser;
after(async () => {
  await browser?.close();
  await server?.stopped();
});

test('every SMeR vector through the WebCrypto path in Chromium, as through the core', async () => {
  server = await startServer();
  browser = await launchBrowser();
  const page = await browser.context.newPage();
  await page.goto(`${server.url}#identity`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  const results = await page.evaluate(async (vectors) => {
    const semres = await import('/pkg/semres.js');
    await semres.default();
    const { openWithWebCrypto } = await import('/lib/webcrypto-open.js');
    const utf8 = (t) => new TextEncoder().encode(t);
    const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    const keys = {};
    for (const [name, k] of Object.entries(vectors.keys)) {
      const key = semres.PrivateKey.fromPem(k.private_pkcs8_pem);
      const der = key.exportPkcs8Der();
      const webKey = await crypto.subtle.importKey('pkcs8', der, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']);
      der.fill(0);
      keys[name] = { key, webKey };
    }
    const outcome = async (open) => {
      try {
        const opened = await open();
        const record = hex(opened.record);
        opened.free();
        return { ok: record };
      } catch (e) {
        return { code: e?.name === 'SemresError' ? e.code : `not a SemresError: ${e}` };
      }
    };
    const out = [];
    for (const c of vectors.cases) {
      const options = c.limits ? { maxRecordBytes: c.limits.max_record_bytes } : undefined;
      const { key, webKey } = keys[c.key];
      out.push({
        name: c.name,
        webCrypto: await outcome(() => openWithWebCrypto(semres.ParsedSmer, utf8(c.smer), key.keyId, webKey, { options })),
        core: await outcome(async () => semres.openSmer(utf8(c.smer), key, options)),
        extractable: webKey.extractable,
      });
    }
    return out;
  }, smerVectors());
  const vectors = smerVectors().cases;
  assert.equal(results.length, vectors.length);
  vectors.forEach((c, i) => {
    const r = results[i];
    const expected = c.expect === 'ok' ? { ok: c.record_hex } : { code: c.expect };
    assert.deepEqual(r.webCrypto, expected, `${c.name} (WebCrypto path)`);
    assert.deepEqual(r.core, expected, `${c.name} (core path)`);
    assert.equal(r.extractable, false);
  });
});
