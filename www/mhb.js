// My Health Bank (MHB) record viewer: a tolerant reader of the export's XML
// (shared/reference/mhb-format.md) into a plain model, and a renderer that builds tables with
// textContent only — record text is never interpreted as HTML. Survives the format's quirks:
// the 無資料 ("no data") placeholder, raw TAB and NUL characters, dotted element names, and
// malformed XML (it shows what it could read and names the problem).

import { dataTable as table } from './lib/table.js';

const ENTITIES = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(text) {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, name) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name] ?? whole;
  });
}

/** Parses XML leniently into {name, children, text}; returns {root, problems}. */
export function parseXml(source) {
  const problems = [];
  const root = { name: '#document', children: [], text: '' };
  const stack = [root];
  let i = 0;
  while (i < source.length) {
    const lt = source.indexOf('<', i);
    const textEnd = lt === -1 ? source.length : lt;
    if (textEnd > i) stack[stack.length - 1].text += decodeEntities(source.slice(i, textEnd));
    if (lt === -1) break;
    if (source.startsWith('<?', lt) || source.startsWith('<!--', lt) || source.startsWith('<!', lt)) {
      const close = source.startsWith('<!--', lt) ? source.indexOf('-->', lt) + 3 : source.indexOf('>', lt) + 1;
      if (close <= 0) { problems.push('unterminated declaration or comment'); break; }
      i = close;
      continue;
    }
    const gt = source.indexOf('>', lt);
    if (gt === -1) { problems.push('a tag is not closed'); break; }
    const tag = source.slice(lt + 1, gt).trim();
    i = gt + 1;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const at = stack.map((n) => n.name).lastIndexOf(name);
      if (at <= 0) { problems.push(`unexpected closing tag </${name}>`); continue; }
      if (at !== stack.length - 1) problems.push(`<${stack[stack.length - 1].name}> was not closed`);
      stack.length = at;
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const name = (selfClosing ? tag.slice(0, -1) : tag).split(/\s/)[0];
    const node = { name, children: [], text: '' };
    stack[stack.length - 1].children.push(node);
    if (!selfClosing) stack.push(node);
  }
  if (stack.length > 1) problems.push(`<${stack[stack.length - 1].name}> was not closed`);
  if (/[\u0000]/.test(source)) problems.push('the record contains NUL characters (shown as \u2400)');
  return { root, problems };
}

const child = (node, name) => node.children.find((c) => c.name === name);
const value = (node, name) => {
  const c = child(node, name);
  return c ? c.text.replace(/\u0000/g, '\u2400').trim() : '';
};
const NO_DATA = '無資料';

function visits(sections, prefix) {
  return sections.map((s) => ({
    institution: value(s, `${prefix}.4`) || value(s, `${prefix}.3`),
    date: value(s, `${prefix}.5`),
    diagnosisCode: value(s, `${prefix}.8`),
    diagnosis: value(s, `${prefix}.9`),
    copayment: value(s, `${prefix}.12`),
    points: value(s, `${prefix}.13`),
    orders: s.children.filter((c) => c.name === `${prefix}_1`).map((o) => ({
      code: value(o, `${prefix}_1.1`),
      name: value(o, `${prefix}_1.2`),
      quantity: value(o, `${prefix}_1.3`),
      days: value(o, `${prefix}_1.4`),
    })),
  }));
}

/** Reads an MHB export into {person, western, dental, chinese, labs, imaging, empty, problems}. */
export function readMhb(text) {
  const { root, problems } = parseXml(text);
  const mhb = child(root, 'myhealthbank');
  if (!mhb) return { problems: [...problems, 'not a My Health Bank export (no <myhealthbank>)'] };
  const all = (name) => mhb.children.filter((c) => c.name === name || c.name === name.toUpperCase());
  const real = (list) => list.filter((s) => s.children.length > 0);
  const empty = [...new Set(mhb.children.filter((c) => c.children.length === 0 && c.text.trim() === NO_DATA).map((c) => c.name))];
  const bdata = child(mhb, 'bdata');
  return {
    person: bdata ? { id: value(bdata, 'b1.1'), dataDate: value(bdata, 'b1.2') } : null,
    western: visits(real(all('r1')), 'r1'),
    dental: visits(real(all('r3')), 'r3'),
    chinese: visits(real(all('r9')), 'r9'),
    labs: real(all('r7')).map((s) => ({ item: value(s, 'r7.10'), value: value(s, 'r7.11'), range: value(s, 'r7.12') })),
    imaging: real(all('r8')).map((s) => ({ report: value(s, 'r8.10') })),
    empty,
    problems,
  };
}

/** Renders a readMhb() model into `container` (DOM nodes, textContent only). */
export function renderMhb(model, container) {
  const doc = container.ownerDocument;
  container.replaceChildren();
  if (model.person) {
    const p = doc.createElement('p');
    p.textContent = `ID ${model.person.id || '—'} · data of ${model.person.dataDate || '—'}`;
    container.append(p);
  }
  for (const [title, list] of [['Western-medicine visits', model.western ?? []], ['Dental visits', model.dental ?? []], ['Chinese-medicine visits', model.chinese ?? []]]) {
    if (list.length === 0) continue;
    container.append(table(doc, title, ['Date', 'Institution', 'Diagnosis code', 'Diagnosis', 'Co-payment', 'Insurance points'],
      list.map((v) => [v.date, v.institution, v.diagnosisCode, v.diagnosis, v.copayment, v.points])));
    const orders = list.flatMap((v) => v.orders.map((o) => [v.date, o.name, o.quantity, o.days, o.code]));
    if (orders.length) container.append(table(doc, `${title}: orders`, ['Date', 'Drug', 'Quantity', 'Days', 'Code'], orders));
  }
  if (model.labs?.length) container.append(table(doc, 'Laboratory results', ['Item', 'Value', 'Reference range'], model.labs.map((l) => [l.item, l.value, l.range])));
  if (model.imaging?.length) container.append(table(doc, 'Imaging and pathology reports', ['Report'], model.imaging.map((r) => [r.report])));
  if (model.empty?.length) {
    const p = doc.createElement('p');
    p.textContent = `No data (無資料) in: ${model.empty.join(', ')}`;
    container.append(p);
  }
  if (model.problems?.length) {
    const p = doc.createElement('p');
    p.className = 'problem';
    p.textContent = `Shown as far as it could be read: ${model.problems.join('; ')}.`;
    container.append(p);
  }
}
