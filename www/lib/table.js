// One table builder for the record viewers: caption, column headers, rows of text — every
// cell through textContent, so record content is never interpreted as HTML.

/** A <table> in `doc` with `caption`, `headers` and `rows` (arrays of strings or null). */
export function dataTable(doc, caption, headers, rows) {
  const t = doc.createElement('table');
  const c = doc.createElement('caption');
  c.textContent = caption;
  const head = doc.createElement('tr');
  for (const h of headers) {
    const th = doc.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    head.append(th);
  }
  t.append(c, head);
  for (const row of rows) {
    const tr = doc.createElement('tr');
    for (const cell of row) {
      const td = doc.createElement('td');
      td.textContent = cell ?? '';
      tr.append(td);
    }
    t.append(tr);
  }
  return t;
}
