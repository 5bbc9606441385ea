// The record viewers' choices and the FHIR R4 reader: what is shown as tables or text, what is
// only ever offered as a download, and a tolerant summary of odd bundles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFhir } from '../../www/fhir.js';
import { kindOf } from '../../www/viewers.js';
import { SAMPLE_FHIR, SAMPLE_MHB } from '../../www/samples.js';
import { readMhb } from '../../www/mhb.js';

test('which records are rendered, and which are only downloads', () => {
  assert.equal(kindOf('application/xml', 'myhealthbank.xml'), 'mhb');
  assert.equal(kindOf('text/xml; charset=utf-8', 'x'), 'mhb');
  assert.equal(kindOf('application/fhir+json', 'bundle.json'), 'fhir');
  assert.equal(kindOf('application/json', 'bundle.json'), 'fhir');
  assert.equal(kindOf('text/plain; charset=utf-8', 'care-note.txt'), 'text');
  for (const [type, name] of [['text/html', 'a.html'], ['image/svg+xml', 'a.svg'], ['application/xhtml+xml', 'a.xml'],
    ['image/svg+xml', 'a.xml'], ['application/pdf', 'a.pdf'], ['image/png', 'a.png'], ['', 'record'], [null, null],
    ['text/javascript', 'a.js']]) {
    assert.equal(kindOf(type, name), 'download', `${type} ${name}`);
  }
});

test('a FHIR R4 bundle is summarized: patient, conditions, medications, observations', () => {
  const m = readFhir(JSON.parse(SAMPLE_FHIR));
  assert.deepEqual(m.patients, [{ name: 'Dana Synthetic', gender: 'female', birthDate: '1970-01-01' }]);
  assert.deepEqual(m.conditions, [{ code: 'Type 2 diabetes mellitus without complications (E11.9)', status: 'active', onset: '2020-05-01' }]);
  assert.deepEqual(m.medications, [{ medication: 'Metformin 500 mg', status: 'active', dosage: '1 tablet twice a day' }]);
  assert.deepEqual(m.observations, [{ code: 'HbA1c', value: '6.9 %', date: '2026-11-02' }]);
  assert.equal(m.other, 0);
});

test('odd FHIR input is summarized as far as possible, never thrown on', () => {
  assert.deepEqual(readFhir(null), { problem: 'not a FHIR Bundle' });
  assert.deepEqual(readFhir({ resourceType: 'Patient' }), { problem: 'not a FHIR Bundle' });
  const odd = readFhir({ resourceType: 'Bundle', entry: [null, 5, {}, { resource: 'x' }, { resource: { resourceType: 'Patient', name: 'not a list' } },
    { resource: { resourceType: 'Observation', code: { coding: 'nope' }, valueString: '<b>x</b>' } },
    { resource: { resourceType: 'Encounter' } }] });
  assert.deepEqual(odd.patients, [{ name: '—', gender: '—', birthDate: '—' }]);
  assert.deepEqual(odd.observations, [{ code: '—', value: '<b>x</b>', date: '—' }]);
  assert.equal(odd.other, 1);
  assert.deepEqual(readFhir({ resourceType: 'Bundle' }).conditions, []);
});

test('the synthetic sample record reads as two visits with their orders', () => {
  const m = readMhb(SAMPLE_MHB);
  assert.deepEqual(m.western.map((v) => v.diagnosisCode), ['E119', 'J069']);
  assert.deepEqual(m.western.flatMap((v) => v.orders.map((o) => o.name)), ['Metformin 500 mg', 'Acetaminophen 500 mg']);
  assert.deepEqual(m.empty, ['r6']);
});
