//! Demo data for a newcomer's first `npm start`: a patient "David" and a clinician "Lawson"
//! (the names of the paper's Fig. 13, in the directory only — never on the ledger), a
//! synthetic My Health Bank record sealed to both and granted to Lawson.

use std::path::Path;

use getrandom::SysRng;
use semres::identity::{Identity, DEFAULT_ITERATIONS};
use semres::ledger::entry::{Entry, EntryBody, Role};
use semres::smer::{self, Limits, SealOptions};

use crate::node::{Node, NodeError};
use crate::store::Directory;

/// A synthetic My Health Bank export (structure of `shared/reference/mhb-format.md`), with
/// its quirks: dotted element names, mixed Chinese and English, the `無資料` placeholder.
pub const DEMO_RECORD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<myhealthbank>
  <bdata><b1.1>Z10000****</b1.1><b1.2>20261120</b1.2></bdata>
  <r1>
    <r1.1>1</r1.1><r1.2>Synthetic North District Business Group</r1.2>
    <r1.3>0000000001</r1.3><r1.4>Synthetic General Hospital</r1.4>
    <r1.5>20261102</r1.5><r1.6>20261102</r1.6><r1.7>IC01</r1.7>
    <r1.8>E119</r1.8><r1.9>Type 2 diabetes mellitus without complications</r1.9>
    <r1.12>50</r1.12><r1.13>412</r1.13>
    <r1_1><r1_1.1>A000000100</r1_1.1><r1_1.2>Metformin 500 mg</r1_1.2><r1_1.3>60</r1_1.3><r1_1.4>30</r1_1.4></r1_1>
    <r1_1><r1_1.1>A000000200</r1_1.1><r1_1.2>Glimepiride 2 mg</r1_1.2><r1_1.3>30</r1_1.3><r1_1.4>30</r1_1.4></r1_1>
  </r1>
  <r1>
    <r1.1>2</r1.1><r1.4>Synthetic Family Clinic 合成診所</r1.4><r1.5>20261115</r1.5>
    <r1.8>J069</r1.8><r1.9>Acute upper respiratory infection</r1.9><r1.12>50</r1.12><r1.13>236</r1.13>
    <r1_1><r1_1.1>A000000300</r1_1.1><r1_1.2>Acetaminophen 500 mg</r1_1.2><r1_1.3>9</r1_1.3><r1_1.4>3</r1_1.4></r1_1>
  </r1>
  <r6>無資料</r6>
  <r7><r7.10>HbA1c</r7.10><r7.11>7.2</r7.11><r7.12>[4.0][5.6]</r7.12></r7>
</myhealthbank>
"#;

fn nonce() -> Result<[u8; 16], NodeError> {
    crate::clock::nonce().map_err(|e| NodeError::Setup(e.to_string()))
}

/// Seeds the demo when the ledger holds only its genesis; returns what to tell the user.
pub fn seed_if_new(node: &Node, data_dir: &Path) -> Result<Vec<String>, NodeError> {
    if node.view().state().size() != 1 {
        return Ok(Vec::new());
    }
    let setup = |e: semres::Error| NodeError::Setup(e.to_string());
    let david = Identity::generate(&mut SysRng, "David", 3072).map_err(setup)?;
    let lawson = Identity::generate(&mut SysRng, "Lawson", 3072).map_err(setup)?;
    let t = crate::clock::now();
    let register = |who: &Identity, role: Role| -> Result<Entry, NodeError> {
        let spki = who.encryption.public_key().to_spki_der().map_err(setup)?;
        let body = EntryBody::Register {
            role,
            signing_key: who.signing.public_key().to_bytes(),
            encryption_key: spki,
        };
        Entry::signed(&who.signing, t, nonce()?, body).map_err(NodeError::Refused)
    };
    let admitted = register(&lawson, Role::Clinician)?
        .sign(node.authority())
        .map_err(NodeError::Refused)?;
    node.append(register(&david, Role::Patient)?, t)?;
    node.append(admitted, t)?;
    for (who, role) in [(&david, Role::Patient), (&lawson, Role::Clinician)] {
        node.database()
            .with(|db| db.set_name(who.signing.key_id(), &who.name, role))
            .map_err(NodeError::Store)?;
    }
    let mut options = SealOptions::new("application/xml", david.signing.key_id(), t);
    options.file_name = Some("myhealthbank.xml".into());
    let sealed = smer::seal(
        &mut SysRng,
        DEMO_RECORD.as_bytes(),
        &[
            lawson.encryption.public_key(),
            david.encryption.public_key(),
        ],
        &options,
        &Limits::default(),
    )
    .map_err(setup)?;
    let hash = semres::dery::smer_hash(&sealed);
    node.dery().put(&hash, &sealed, david.signing.key_id(), t)?;
    let grant = EntryBody::Grant {
        smer_hash: hash,
        data_index: semres::dery::data_index(&hash),
        recipient: lawson.signing.key_id().into(),
        expires: Some(t + 30 * 86_400),
    };
    node.append(
        Entry::signed(&david.signing, t, nonce()?, grant).map_err(NodeError::Refused)?,
        t,
    )?;

    let demo = data_dir.join("demo");
    std::fs::create_dir_all(&demo).map_err(|e| NodeError::Setup(e.to_string()))?;
    let mut lines =
        vec!["Demo data created (synthetic; names live only in the directory):".to_owned()];
    for (who, passphrase, role) in [
        (&david, "david-demo-passphrase", "patient"),
        (&lawson, "lawson-demo-passphrase", "clinician"),
    ] {
        let file = demo.join(format!("{}.identity.json", who.name.to_lowercase()));
        let bytes = who
            .export(&mut SysRng, passphrase.as_bytes(), DEFAULT_ITERATIONS)
            .map_err(setup)?;
        crate::fsutil::write_atomically(&file, &bytes, true)
            .map_err(|e| NodeError::Setup(e.to_string()))?;
        lines.push(format!(
            "  {} ({role}): identity {} — passphrase \"{passphrase}\" (key id {})",
            who.name,
            file.display(),
            who.signing.key_id()
        ));
    }
    std::fs::write(demo.join("myhealthbank.smer.json"), &sealed)
        .map_err(|e| NodeError::Setup(e.to_string()))?;
    lines.push(format!(
        "  David's My Health Bank record, sealed to Lawson and David, granted to Lawson: SMeR {}",
        semres::hex::encode(&hash)
    ));
    Ok(lines)
}
