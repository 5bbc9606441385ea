// Synthetic records (no real person): a My Health Bank export (structure of
// shared/reference/mhb-format.md) and a FHIR R4 bundle, for trying SEMRES out.

export const SAMPLE_MHB = `<?xml version="1.0" encoding="UTF-8"?>
<myhealthbank>
  <bdata><b1.1>Z10000****</b1.1><b1.2>20261120</b1.2></bdata>
  <r1>
    <r1.1>1</r1.1><r1.2>Synthetic District Business Group</r1.2>
    <r1.3>0000000001</r1.3><r1.4>Synthetic General Hospital</r1.4>
    <r1.5>20261102</r1.5><r1.6>20261102</r1.6><r1.7>IC01</r1.7>
    <r1.8>E119</r1.8><r1.9>Type 2 diabetes mellitus without complications</r1.9>
    <r1.12>50</r1.12><r1.13>412</r1.13>
    <r1_1><r1_1.1>A000000100</r1_1.1><r1_1.2>Metformin 500 mg</r1_1.2><r1_1.3>60</r1_1.3><r1_1.4>30</r1_1.4></r1_1>
  </r1>
  <r1>
    <r1.1>2</r1.1><r1.2>Synthetic District Business Group</r1.2>
    <r1.3>0000000002</r1.3><r1.4>Synthetic Family Clinic</r1.4>
    <r1.5>20261015</r1.5><r1.6>20261015</r1.6><r1.7>IC02</r1.7>
    <r1.8>J069</r1.8><r1.9>Acute upper respiratory infection, unspecified</r1.9>
    <r1.12>150</r1.12><r1.13>236</r1.13>
    <r1_1><r1_1.1>A000000200</r1_1.1><r1_1.2>Acetaminophen 500 mg</r1_1.2><r1_1.3>12</r1_1.3><r1_1.4>3</r1_1.4></r1_1>
  </r1>
  <r6>無資料</r6>
</myhealthbank>
`;

export const SAMPLE_FHIR = JSON.stringify({
  resourceType: 'Bundle',
  type: 'collection',
  entry: [
    { resource: { resourceType: 'Patient', id: 'p1', name: [{ family: 'Synthetic', given: ['Dana'] }], gender: 'female', birthDate: '1970-01-01' } },
    { resource: { resourceType: 'Condition', id: 'c1', code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'E11.9', display: 'Type 2 diabetes mellitus without complications' }] }, clinicalStatus: { coding: [{ code: 'active' }] }, onsetDateTime: '2020-05-01' } },
    { resource: { resourceType: 'MedicationStatement', id: 'm1', status: 'active', medicationCodeableConcept: { text: 'Metformin 500 mg' }, dosage: [{ text: '1 tablet twice a day' }] } },
    { resource: { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'HbA1c' }, valueQuantity: { value: 6.9, unit: '%' }, effectiveDateTime: '2026-11-02' } },
  ],
}, null, 2);
