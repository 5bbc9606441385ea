// A minimal WebDriver BiDi client for Debian's Firefox ESR (playwright-core's Firefox needs
// its own patched build, which we never download): launch headless on a fresh profile,
// navigate, evaluate, set files on an <input type=file>, accept dialogs.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';

export const FIREFOX = '/usr/bin/firefox-esr';

export async function launchFirefox() {
  const profile = mkdtempSync(path.join(process.env.TMPDIR ?? os.tmpdir(), 'semres-firefox-'));
  const child = spawn(FIREFOX, ['--headless', '--no-remote', '--remote-debugging-port=0', '--profile', profile], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MOZ_CRASHREPORTER_DISABLE: '1' },
  });
  const endpoint = await new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`Firefox did not start: ${err}`)), 30000);
    child.stderr.on('data', (chunk) => {
      err += chunk;
      const match = err.match(/WebDriver BiDi listening on (ws:\/\/[^\s]+)/);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    });
    child.on('exit', (code) => reject(new Error(`Firefox exited with ${code}: ${err}`)));
  });
  const socket = new WebSocket(`${endpoint.replace(/\/$/, '')}/session`);
  await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject); });
  let nextId = 1;
  const pending = new Map();
  const listeners = [];
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString());
    if (message.id && pending.has(message.id)) {
      const { resolve, reject } = pending.get(message.id);
      pending.delete(message.id);
      if (message.type === 'error') reject(new Error(`${message.error}: ${message.message}`));
      else resolve(message.result);
    } else if (message.method) {
      for (const l of listeners) l(message);
    }
  });
  const send = (method, params = {}) => new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    socket.send(JSON.stringify({ id, method, params }));
  });
  const session = await send('session.new', { capabilities: { alwaysMatch: { acceptInsecureCerts: false, unhandledPromptBehavior: { default: 'accept' } } } });
  await send('session.subscribe', { events: ['log.entryAdded', 'browsingContext.userPromptOpened'] });
  const { contexts } = await send('browsingContext.getTree', {});
  const context = contexts[0].context;
  const errors = [];
  listeners.push((m) => {
    if (m.method === 'log.entryAdded' && m.params.level === 'error') errors.push(m.params.text);
    if (m.method === 'browsingContext.userPromptOpened') send('browsingContext.handleUserPrompt', { context: m.params.context, accept: true }).catch(() => {});
  });

  /** Evaluates an async function body in the page; returns its JSON-able value. */
  async function run(body, ...args) {
    const result = await send('script.callFunction', {
      functionDeclaration: `async (...args) => JSON.stringify(await (async (...args) => { ${body} })(...args))`,
      arguments: args.map((value) => ({ type: 'string', value: JSON.stringify(value) })),
      target: { context },
      awaitPromise: true,
      resultOwnership: 'none',
    });
    if (result.type === 'exception') throw new Error(`in page: ${result.exceptionDetails.text}`);
    return result.result.value === undefined ? undefined : JSON.parse(result.result.value);
  }

  return {
    version: session.capabilities.browserVersion,
    errors,
    async goto(url) { await send('browsingContext.navigate', { context, url, wait: 'complete' }); },
    run,
    /** Waits until `predicate` (a JS expression) is truthy in the page. */
    async until(predicate, timeout = 60000, describe = predicate) {
      const end = Date.now() + timeout;
      for (;;) {
        if (await run(`return Boolean(${predicate});`)) return;
        if (Date.now() > end) throw new Error(`timed out waiting for ${describe}; status: ${await run('return [...document.querySelectorAll(".status")].map((s) => s.textContent).join(" | ");')}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    /** Sets the files of the <input type=file> matching `selector` (WebDriver BiDi input.setFiles). */
    async setFiles(selector, files) {
      const found = await send('script.evaluate', { expression: `document.querySelector(${JSON.stringify(selector)})`, target: { context }, awaitPromise: false, resultOwnership: 'root' });
      await send('input.setFiles', { context, element: { sharedId: found.result.sharedId }, files });
    },
    async close() {
      try { await send('session.end', {}); } catch { /* closing anyway */ }
      socket.close();
      child.kill('SIGTERM');
      await new Promise((r) => { child.once('exit', r); setTimeout(r, 5000); });
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
