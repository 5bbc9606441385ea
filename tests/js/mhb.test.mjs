// The My Health Bank reader on synthetic exports: visits, orders, labs, the 無資料
// placeholder, TAB/NUL in free text, malformed XML read as far as possible, markup kept as text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readMhb, parseXml } from '../../www/mhb.js';

const SAMPLE = `<?xml version="1.0" encoding="UTF-8"?>
<myhealthbank>
  <bdata><b1.1>Z10000****</b1.1><b1.2>20261120</b1.2></bdata>
  <r1><r1.4>Synthetic General Hospital</r1.4><r1.5>20261102</r1.5><r1.8>E119</r1.8><r1.9>Type 2 diabetes</r1.9><r1.12>50</r1.12><r1.13>412</r1.13>
    <r1_1><r1_1.1>A000000100</r1_1.1><r1_1.2>Metformin 500 mg</r1_1.2><r1_1.3>60</r1_1.3><r1_1.4>30</r1_1.4></r1_1></r1>
  <r6>無資料</r6>
  <r7><r7.10>HbA1c</r7.10><r7.11>7.2</r7.11><r7.12>[4.0][5.6]</r7.12></r7>
  <r8><r8.10>Line one\twith a TAB\u0000and a NUL</r8.10></r8>
  <r9><r9.4>Imperial Court Chinese Medicine (synthetic)</r9.4><r9.9>Chronic rhinitis</r9.9></r9>
</myhealthbank>`;

test('visits, orders, labs, imaging and the no-data placeholder', () => {
  const m = readMhb(SAMPLE);
  assert.equal(m.person.id, 'Z10000****');
  assert.equal(m.western.length, 1);
  assert.equal(m.western[0].diagnosis, 'Type 2 diabetes');
  assert.equal(m.western[0].diagnosisCode, 'E119');
  assert.equal(m.western[0].points, '412');
  assert.deepEqual(m.western[0].orders[0], { code: 'A000000100', name: 'Metformin 500 mg', quantity: '60', days: '30' });
  assert.equal(m.chinese[0].diagnosis, 'Chronic rhinitis');
  assert.deepEqual(m.labs[0], { item: 'HbA1c', value: '7.2', range: '[4.0][5.6]' });
  assert.match(m.imaging[0].report, /TAB/);
  assert.match(m.imaging[0].report, /\u2400/, 'NUL shown visibly');
  assert.deepEqual(m.empty, ['r6']);
  assert.ok(m.problems.some((p) => /NUL/.test(p)));
});

test('malformed XML is read as far as possible and the problem is named', () => {
  const m = readMhb('<myhealthbank><r1><r1.9>Asthma</r1.9><r1_1><r1_1.2>Inhaler');
  assert.equal(m.western[0].diagnosis, 'Asthma');
  assert.equal(m.western[0].orders[0].name, 'Inhaler');
  assert.ok(m.problems.length > 0);
  assert.ok(readMhb('{"json": true}').problems.some((p) => /not a My Health Bank/.test(p)));
  assert.deepEqual(parseXml('<a>&lt;script&gt;alert(1)&lt;/script&gt;</a>').root.children[0].text, '<script>alert(1)</script>');
});
