//! The generator of the Ed25519 handover vectors (SPEC.md §4.4): signatures with the core's
//! strict verdict and whether another verifier of the cofactorless equation may decide them
//! in the core's place — the core's probes, an honest signature, and the cases that stay with
//! the core (non-canonical `S`, small-order or non-canonical `R` or key).

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use semres::hex::encode as hex;
use semres::identity::equation::{self, ORDER};
use semres::{SigningPrivateKey, SigningPublicKey};
use serde_json::{json, Value};

use crate::err;

/// Seed of the generator.
pub const SEED: [u8; 32] = *b"SEMRES Ed25519 handover vectors1";

/// One case, with the core's verdicts computed here (the test checks them again).
fn case(
    name: &str,
    probe: bool,
    key: &[u8; 32],
    message: &[u8],
    signature: &[u8],
) -> Result<Value, String> {
    let public = SigningPublicKey::from_bytes(key).map_err(err)?;
    Ok(json!({
        "name": name,
        "probe": probe,
        "key_hex": hex(key),
        "message_hex": hex(message),
        "signature_hex": hex(signature),
        "holds": public.verify(message, signature).is_ok(),
        "equation_decides": public.equation_decides(signature),
    }))
}

/// Writes `ledger/ed25519_handover_v1.json`.
pub fn generate_ed25519() -> Result<String, String> {
    let mut cases = Vec::new();
    for p in equation::probes() {
        cases.push(case(p.name, true, &p.key, &p.message, &p.signature)?);
    }
    let mut rng = ChaCha20Rng::from_seed(SEED);
    let signer = SigningPrivateKey::generate(&mut rng).map_err(err)?;
    let key = signer.public_key().to_bytes();
    let message = b"SEMRES handover vector: an honest signature".to_vec();
    let honest = signer.sign(&message);
    cases.push(case("honest", false, &key, &message, &honest)?);

    // S + ℓ: the same equation; the core refuses it as non-canonical.
    let mut high = honest;
    let mut carry = 0u16;
    for (at, bound) in ORDER.iter().enumerate() {
        let sum = u16::from(high[32 + at]) + u16::from(*bound) + carry;
        high[32 + at] = sum.to_le_bytes()[0];
        carry = sum >> 8;
    }
    cases.push(case(
        "S plus the group order",
        false,
        &key,
        &message,
        &high,
    )?);

    // R the identity (small order), and R with a non-canonical y (p + 1, also the identity).
    let mut small_r = honest;
    small_r[..32].copy_from_slice(&[0; 32]);
    small_r[0] = 1;
    cases.push(case("R of small order", false, &key, &message, &small_r)?);
    let mut high_r = honest;
    high_r[..32].copy_from_slice(&[0xff; 32]);
    high_r[0] = 0xee;
    high_r[31] = 0x7f;
    cases.push(case("R not canonical", false, &key, &message, &high_r)?);

    // A key of small order (y = −1, order 2), and a non-canonical key that is a point.
    let mut order_two = [0xff; 32];
    order_two[0] = 0xec;
    order_two[31] = 0x7f;
    cases.push(case(
        "key of small order",
        false,
        &order_two,
        &message,
        &honest,
    )?);
    let non_canonical = (0xef..=0xff_u8)
        .map(|low| {
            let mut y = [0xff; 32];
            y[0] = low;
            y[31] = 0x7f;
            y
        })
        .find(|y| SigningPublicKey::from_bytes(y).is_ok())
        .ok_or("no non-canonical key decodes")?;
    cases.push(case(
        "key not canonical",
        false,
        &non_canonical,
        &message,
        &honest,
    )?);

    let doc = json!({
        "description": "Ed25519 handover vectors (SPEC.md §4.4). holds is the core's strict verdict (ed25519-dalek verify_strict); equation_decides says whether another verifier of the cofactorless equation may decide the case in the core's place (then it MUST answer holds); probe marks the core's probes, which a verifier must answer as the core does before it is used.",
        "generator": super::GENERATOR,
        "seed": String::from_utf8_lossy(&SEED),
        "cases": cases,
    });
    serde_json::to_string_pretty(&doc)
        .map(|s| s + "\n")
        .map_err(err)
}
