//! Ledger entries built and signed in the browser (SPEC.md §4.2) with the user's
//! `SigningPrivateKey`: registration, grant, revocation, access receipt, care, payment,
//! erasure, and an authority's co-signature; `entryHash` names an entry.

use wasm_bindgen::prelude::*;

use super::error::js;
use super::keys::{JsPublicKey, JsSigningPrivateKey};
use super::{now, random, whole_number, whole_seconds, JsResult};
use crate::encoding::hex;
use crate::error::Error;
use crate::ledger::entry::{Entry, EntryBody, Role};
use crate::ledger::merkle::Hash;

fn hash_from_hex(text: &str) -> JsResult<Hash> {
    hex::decode_array(text).ok_or_else(|| js(Error::InvalidInput("a hash is 64 hex digits")))
}

/// A new entry by `key` at the browser's time with a fresh nonce, signed; its encoding.
fn signed_entry(key: &JsSigningPrivateKey, body: EntryBody) -> JsResult<Vec<u8>> {
    let nonce = random::<16>().map_err(js)?;
    Ok(Entry::signed(&key.0, now(), nonce, body)
        .map_err(js)?
        .to_bytes())
}

/// A Register entry for this participant (`role`: "patient", "clinician", "authority"),
/// signed by its signing key. Clinicians and authorities also need an authority's
/// signature: see `cosignEntry`.
#[wasm_bindgen(js_name = registerEntry)]
pub fn register_entry(
    signing: &JsSigningPrivateKey,
    encryption: &JsPublicKey,
    role: &str,
) -> JsResult<Vec<u8>> {
    let role = Role::from_name(role).ok_or_else(|| {
        js(Error::InvalidInput(
            "role is patient, clinician or authority",
        ))
    })?;
    let encryption_key = encryption.0.to_spki_der().map_err(js)?;
    signed_entry(
        signing,
        EntryBody::Register {
            role,
            signing_key: signing.0.public_key().to_bytes(),
            encryption_key,
        },
    )
}

/// Adds a co-signature (e.g. an authority admitting a clinician) to an entry.
#[wasm_bindgen(js_name = cosignEntry)]
pub fn cosign_entry(entry: &[u8], key: &JsSigningPrivateKey) -> JsResult<Vec<u8>> {
    let entry = Entry::from_bytes(entry).map_err(js)?;
    Ok(entry.sign(&key.0).map_err(js)?.to_bytes())
}

/// A Grant: the owner authorizes `recipientKeyId` for the SMeR with `smerHashHex`, stored at
/// `dataIndex`, optionally until `expires` (Unix seconds).
#[wasm_bindgen(js_name = grantEntry)]
pub fn grant_entry(
    owner: &JsSigningPrivateKey,
    smer_hash_hex: &str,
    data_index: &str,
    recipient_key_id: &str,
    expires: Option<f64>,
) -> JsResult<Vec<u8>> {
    // Seconds, rounded down (a JS time is often `Date.now() / 1000 + …`).
    let expires = expires
        .map(|t| whole_seconds(t.floor(), "expires must be a time in seconds"))
        .transpose()
        .map_err(js)?;
    let body = EntryBody::Grant {
        smer_hash: hash_from_hex(smer_hash_hex)?,
        data_index: data_index.to_owned(),
        recipient: recipient_key_id.to_owned(),
        expires,
    };
    signed_entry(owner, body)
}

/// A Revoke of the grant with entry hash `grantHashHex`.
#[wasm_bindgen(js_name = revokeEntry)]
pub fn revoke_entry(owner: &JsSigningPrivateKey, grant_hash_hex: &str) -> JsResult<Vec<u8>> {
    let grant = hash_from_hex(grant_hash_hex)?;
    signed_entry(owner, EntryBody::Revoke { grant })
}

/// An Access receipt for the grant `grantHashHex`, by its recipient.
#[wasm_bindgen(js_name = accessEntry)]
pub fn access_entry(recipient: &JsSigningPrivateKey, grant_hash_hex: &str) -> JsResult<Vec<u8>> {
    let grant = hash_from_hex(grant_hash_hex)?;
    signed_entry(recipient, EntryBody::Access { grant })
}

/// A Care entry: a new SMeR (sealed to the patient) under the grant `grantHashHex`.
#[wasm_bindgen(js_name = careEntry)]
pub fn care_entry(
    clinician: &JsSigningPrivateKey,
    grant_hash_hex: &str,
    smer_hash_hex: &str,
    data_index: &str,
) -> JsResult<Vec<u8>> {
    let body = EntryBody::Care {
        grant: hash_from_hex(grant_hash_hex)?,
        smer_hash: hash_from_hex(smer_hash_hex)?,
        data_index: data_index.to_owned(),
    };
    signed_entry(clinician, body)
}

/// A Payment of the care entry `careHashHex`, signed by the payer.
#[wasm_bindgen(js_name = paymentEntry)]
pub fn payment_entry(
    payer: &JsSigningPrivateKey,
    care_hash_hex: &str,
    amount: f64,
    currency: &str,
    payee_key_id: &str,
    reference: &str,
) -> JsResult<Vec<u8>> {
    let amount =
        whole_number(amount, 9.0e15, "amount is a whole number of minor units").map_err(js)?;
    let body = EntryBody::Payment {
        care: hash_from_hex(care_hash_hex)?,
        amount,
        currency: currency.to_owned(),
        payer: payer.0.key_id().to_owned(),
        payee: payee_key_id.to_owned(),
        reference: reference.to_owned(),
    };
    signed_entry(payer, body)
}

/// An Erase (tombstone) of the SMeR `smerHashHex` by its owner.
#[wasm_bindgen(js_name = eraseEntry)]
pub fn erase_entry(owner: &JsSigningPrivateKey, smer_hash_hex: &str) -> JsResult<Vec<u8>> {
    let smer_hash = hash_from_hex(smer_hash_hex)?;
    signed_entry(owner, EntryBody::Erase { smer_hash })
}

/// The entry hash (hex) by which other entries refer to this one.
#[wasm_bindgen(js_name = entryHash)]
pub fn entry_hash(entry: &[u8]) -> JsResult<String> {
    Entry::from_bytes(entry)
        .map(|e| hex::encode(&e.hash()))
        .map_err(js)
}

/// A Payer entry: the patient names (`add` true) or stops naming (`add` false)
/// `payerKeyId` as someone who may pay for care under the patient's grants.
#[wasm_bindgen(js_name = payerEntry)]
pub fn payer_entry(
    patient: &JsSigningPrivateKey,
    payer_key_id: &str,
    add: bool,
) -> JsResult<Vec<u8>> {
    signed_entry(
        patient,
        EntryBody::Payer {
            add,
            payer: payer_key_id.to_owned(),
        },
    )
}
