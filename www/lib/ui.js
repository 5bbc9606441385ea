// Small DOM helpers: every text goes in through textContent, never as HTML.

export const $ = (id) => document.getElementById(id);

/** Creates an element; `props` may hold text, className, attrs, and on* handlers. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null) continue;
    if (k === 'text') node.textContent = v;
    else if (k === 'className') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2).toLowerCase(), v);
    else node.setAttribute(k, v);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
}

/** Sets a status line (role=status): kind '', 'ok' or 'error'. */
export function say(id, text, kind = '') {
  const node = $(id);
  node.textContent = text;
  node.className = `status ${kind}`;
}

/** A table from column titles and rows of cell values (strings or nodes). */
export function table(caption, columns, rows) {
  return el('table', {},
    el('caption', { text: caption }),
    el('thead', {}, el('tr', {}, columns.map((c) => el('th', { scope: 'col', text: c })))),
    el('tbody', {}, rows.map((row) => el('tr', {}, row.map((cell) => el('td', {}, typeof cell === 'string' || typeof cell === 'number' ? String(cell) : cell))))));
}

export const short = (id) => (id && id.length > 16 ? `${id.slice(0, 10)}…` : id ?? '—');
export const when = (seconds) => (seconds ? new Date(seconds * 1000).toLocaleString() : '—');

/** Runs `action` with `button` disabled; errors go to `onError`. */
export async function busy(button, action, onError) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await action();
  } catch (error) {
    onError(error);
    return undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

/** Saves bytes as a file (an opaque download, never rendered). */
export function download(bytes, name, type = 'application/octet-stream') {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

const UNITS = ['bytes', 'KB', 'MB', 'GB', 'TB'];
/** A byte count for people (decimal units). */
export function bytes(n) {
  let i = 0;
  let v = n;
  while (v >= 1000 && i < UNITS.length - 1) { v /= 1000; i += 1; }
  return i === 0 ? `${n} bytes` : `${v.toFixed(v < 10 ? 2 : 1)} ${UNITS[i]}`;
}

/** A worker's byte progress ({text, done, total, bytesPerSecond, secondsLeft}) as one line. */
export function throughput(p) {
  const parts = [`${p.text}: ${bytes(p.done)} of ${bytes(p.total)}`];
  if (p.bytesPerSecond) parts.push(`${bytes(p.bytesPerSecond)}/s`);
  if (p.secondsLeft !== null && p.secondsLeft !== undefined && p.done < p.total) parts.push(`${p.secondsLeft} s left`);
  return parts.join(' · ');
}
