// Playwright helpers: Debian's Chromium (never a downloaded browser) and `semres serve`
// started on 127.0.0.1 with a free port.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { launchFirefox, FIREFOX } from './firefox.mjs';
import { root } from './helpers.mjs';

export const artifacts = path.join(root, 'test-artifacts');

/** Starts `semres serve` on a fresh data directory (`demo`: seed David and Lawson). */
export async function startServer({ demo = false, listen = '127.0.0.1:0' } = {}) {
  const binary = path.join(root, 'target/debug/semres');
  const dataDir = mkdtempSync(path.join(process.env.TMPDIR ?? os.tmpdir(), 'semres-data-'));
  const child = spawn(binary, ['serve', '--listen', listen, '--www', path.join(root, 'www'), '--pkg', path.join(root, 'pkg'), '--data-dir', dataDir, '--log-format', 'off', ...(demo ? ['--demo'] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 15000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    url,
    dataDir,
    stop: () => { child.kill('SIGTERM'); rmSync(dataDir, { recursive: true, force: true }); },
    /** Stops it and waits until the process is gone (its port is free again). */
    stopped: async () => { child.kill('SIGTERM'); await exited; rmSync(dataDir, { recursive: true, force: true }); },
  };
}

/** Debian's headless Chromium with a fresh profile; `args` are added to its command line. */
export async function launchBrowser({ args = [] } = {}) {
  const profile = mkdtempSync(path.join(process.env.TMPDIR ?? os.tmpdir(), 'semres-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...args],
  });
  mkdirSync(artifacts, { recursive: true });
  return { context, profile, close: async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); } };
}

/** On the patient page with a record chosen: searches the directory for `name`, ticks the
 *  first match and clicks *Seal and share*. */
export async function sealTo(page, name) {
  await page.fill('#p-search', name);
  await page.click('#p-search-go');
  const box = page.locator('#p-results input[type=checkbox]').first();
  await box.waitFor();
  await box.check();
  await page.click('#p-seal');
}

/** Waits until the text of `selector` matches `pattern` (a RegExp); on timeout the error
 *  shows the text it had, and `context()` if given. */
export async function waitForText(page, selector, pattern, timeout = 60000, context = () => '') {
  try {
    await page.waitForFunction(([s, src]) => new RegExp(src).test(document.querySelector(s).textContent), [selector, pattern.source], { timeout });
  } catch {
    throw new Error(`${selector} never matched ${pattern}: "${await page.textContent(selector)}"${context()}`);
  }
}

/** Starts recording the tasks of the renderer main threads of `page`'s browser (Chrome
 *  tracing, category `toplevel`); `stop()` returns each task's CPU time on that thread and
 *  its wall time, in ms. CPU time is the work the page's main thread did — what makes a page
 *  stall — and does not grow when a loaded machine preempts the browser, as the wall time
 *  the Long Tasks API reports does. */
export async function traceMainThread(context, page) {
  const cdp = await context.newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
  await cdp.send('Tracing.start', { categories: 'toplevel', transferMode: 'ReportEvents' });
  return {
    async stop() {
      const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
      await cdp.send('Tracing.end');
      await complete;
      await cdp.detach();
      const mains = new Set(events
        .filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
        .map((e) => `${e.pid}:${e.tid}`));
      return events
        .filter((e) => e.ph === 'X' && (e.name === 'ThreadControllerImpl::RunTask' || e.name === 'RunTask') && mains.has(`${e.pid}:${e.tid}`))
        .map((e) => ({ cpuMs: (e.tdur ?? e.dur) / 1000, wallMs: e.dur / 1000 }));
    },
  };
}

/** A task of a fixed amount of work (~100-400 ms of CPU here) on the page's main thread:
 *  proves that a trace sees such a task. */
export function busyTask(page) {
  return page.evaluate(() => new Promise((resolve) => setTimeout(() => {
    let x = 0;
    for (let i = 0; i < 1e8; i += 1) x = (x + i * 7) % 1000003;
    resolve(x);
  }, 0)));
}

/**
 * For tests that compute the same results inside the site's page in Chromium and in Firefox
 * ESR: one `semres serve` and the two browsers, started on first use and closed after the
 * file's tests. `inChromium(view, fn, arg)` / `inFirefox(view, fn, arg)` open `#view`, wait
 * for the site and return `fn(arg)` evaluated there (`arg` JSON-able); `firefoxSkip` is the
 * skip reason where Firefox ESR is not installed.
 */
export function sitePages() {
  let server;
  let browser;
  let firefox;
  after(async () => {
    await browser?.close();
    await firefox?.close();
    await server?.stopped();
  });
  return {
    firefoxSkip: !existsSync(FIREFOX) && `${FIREFOX} is not installed`,
    async inChromium(view, fn, arg) {
      server ??= await startServer();
      browser ??= await launchBrowser();
      const page = await browser.context.newPage();
      await page.goto(`${server.url}#${view}`);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
      return page.evaluate(fn, arg);
    },
    async inFirefox(view, fn, arg) {
      server ??= await startServer();
      firefox ??= await launchFirefox();
      await firefox.goto(`${server.url}#${view}`);
      await firefox.until('document.body.dataset.ready === "true"', 30000);
      return firefox.run(`return (${fn})(JSON.parse(args[0]));`, arg);
    },
  };
}
