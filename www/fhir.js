// FHIR R4 bundle viewer: a readable summary (patient, conditions, medications, observations)
// built with textContent only. Tolerant: unknown resources are counted, missing fields shown
// as "—", and anything that is not a Bundle is reported, never rendered.

import { dataTable as table } from './lib/table.js';

const text = (value) => (value === undefined || value === null || value === '' ? '—' : String(value));

function concept(c) {
  if (!c || typeof c !== 'object') return '—';
  if (c.text) return text(c.text);
  const coding = Array.isArray(c.coding) ? c.coding.find((x) => x && (x.display || x.code)) : null;
  if (!coding) return '—';
  if (!coding.display) return text(coding.code);
  return coding.code ? `${coding.display} (${coding.code})` : text(coding.display);
}

function humanName(names) {
  const n = Array.isArray(names) ? names[0] : null;
  if (!n) return '—';
  if (n.text) return text(n.text);
  return [...(Array.isArray(n.given) ? n.given : []), n.family].filter(Boolean).join(' ') || '—';
}

function quantity(o) {
  if (o.valueQuantity) return `${text(o.valueQuantity.value)} ${o.valueQuantity.unit ?? o.valueQuantity.code ?? ''}`.trim();
  if (o.valueString !== undefined) return text(o.valueString);
  if (o.valueCodeableConcept) return concept(o.valueCodeableConcept);
  if (o.valueBoolean !== undefined) return String(o.valueBoolean);
  if (o.valueInteger !== undefined) return String(o.valueInteger);
  return '—';
}

/** Reads a FHIR R4 Bundle (parsed JSON) into a summary model, or {problem}. */
export function readFhir(json) {
  if (!json || json.resourceType !== 'Bundle') return { problem: 'not a FHIR Bundle' };
  const resources = (Array.isArray(json.entry) ? json.entry : []).map((e) => e?.resource).filter((r) => r && typeof r === 'object');
  const of = (...types) => resources.filter((r) => types.includes(r.resourceType));
  return {
    patients: of('Patient').map((p) => ({ name: humanName(p.name), gender: text(p.gender), birthDate: text(p.birthDate) })),
    conditions: of('Condition').map((c) => ({ code: concept(c.code), status: concept(c.clinicalStatus), onset: text(c.onsetDateTime ?? c.recordedDate) })),
    medications: of('MedicationStatement', 'MedicationRequest').map((m) => ({
      medication: concept(m.medicationCodeableConcept) !== '—' ? concept(m.medicationCodeableConcept) : text(m.medicationReference?.display),
      status: text(m.status),
      dosage: text((m.dosage ?? m.dosageInstruction ?? [])[0]?.text),
    })),
    observations: of('Observation').map((o) => ({ code: concept(o.code), value: quantity(o), date: text(o.effectiveDateTime ?? o.issued) })),
    other: resources.length - of('Patient', 'Condition', 'MedicationStatement', 'MedicationRequest', 'Observation').length,
  };
}

/** Renders a readFhir() model into `container`. */
export function renderFhir(model, container) {
  const doc = container.ownerDocument;
  container.replaceChildren();
  if (model.problem) {
    const p = doc.createElement('p');
    p.className = 'problem';
    p.textContent = model.problem;
    container.append(p);
    return;
  }
  const sections = [
    ['Patient', ['Name', 'Gender', 'Birth date'], model.patients.map((p) => [p.name, p.gender, p.birthDate])],
    ['Conditions', ['Condition', 'Clinical status', 'Onset'], model.conditions.map((c) => [c.code, c.status, c.onset])],
    ['Medications', ['Medication', 'Status', 'Dosage'], model.medications.map((m) => [m.medication, m.status, m.dosage])],
    ['Observations', ['Observation', 'Value', 'Date'], model.observations.map((o) => [o.code, o.value, o.date])],
  ];
  for (const [caption, headers, rows] of sections) if (rows.length) container.append(table(doc, caption, headers, rows));
  if (model.other) {
    const p = doc.createElement('p');
    p.textContent = `${model.other} other resource(s) not summarized.`;
    container.append(p);
  }
}
