//! When an Ed25519 verification (the ledger's seals and entry signatures, the paper's
//! "Signature" field) may be made by another RFC 8032 verifier — the browser's WebCrypto —
//! with exactly the verdict of the core's strict verification (SPEC.md §4.4), and the probes
//! that tell whether a given verifier is such a one.
//!
//! The core's verification ([`super::SigningPublicKey::verify`], ed25519-dalek's
//! `verify_strict`) refuses a non-canonical `S`, a small-order `R` or key, and otherwise
//! accepts exactly when `[S]B − [k]A` encodes to the bytes of `R` (the cofactorless equation,
//! `k` = SHA-512(`R` ‖ `A` ‖ `M`) mod ℓ over the bytes as given). When `S` is canonical and
//! both `R` and the key are canonical encodings of points whose order does not divide 8 —
//! what every honest signature is — any verifier that checks that cofactorless equation
//! (BoringSSL's `ED25519_verify`, which Chromium's WebCrypto calls, compares the same
//! encodings) reaches the same verdict. Everything else stays with the core. A verifier
//! that checks the cofactored equation (also allowed by RFC 8032) would accept signatures the
//! core refuses; [`probes`] holds two such signatures, and a verifier is used only when it
//! answers every probe as the core does.

use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use sha2::{Digest, Sha512};

/// ℓ, the order of the base point, little-endian.
pub const ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// The `y` coordinates (canonical, sign bit clear) of the eight points whose order divides 8:
/// 1 (the identity), −1, 0 (two points of order 4) and the two of the points of order 8.
const SMALL_ORDER_Y: [[u8; 32]; 5] = [
    [
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0,
    ],
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    [0; 32],
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
];

/// Whether `y` (little-endian, 255 bits: the sign bit cleared) is below p = 2^255 − 19.
fn canonical_y(y: &[u8; 32]) -> bool {
    // y ≥ p only when bytes 1 to 30 are 0xff, byte 31 is 0x7f and byte 0 is 0xed or more.
    !(y[31] == 0x7f && y[1..31].iter().all(|&b| b == 0xff) && y[0] >= 0xed)
}

/// Whether `encoding` is canonical and, if it is a point at all, not one of small order.
/// (An encoding that is no point is refused by every verifier: the core cannot decode it,
/// and no computed `[S]B − [k]A` encodes to it.)
pub(crate) fn plain_point(encoding: &[u8; 32]) -> bool {
    let mut y = *encoding;
    y[31] &= 0x7f;
    canonical_y(&y) && !SMALL_ORDER_Y.contains(&y)
}

/// Whether the 32 bytes are a canonical scalar (below ℓ).
fn canonical_scalar(s: &[u8]) -> bool {
    // Compare from the most significant byte.
    for (byte, bound) in s.iter().rev().zip(ORDER.iter().rev()) {
        if byte != bound {
            return byte < bound;
        }
    }
    false
}

/// Whether a verifier of the cofactorless equation decides `signature` by the key `key` with
/// the core's verdict: a 64-byte signature whose `S` is canonical and whose `R`, like the key,
/// is a canonical encoding of a point not of small order. When this is false the core must
/// make the verification itself.
pub fn equation_decides(key: &[u8; 32], signature: &[u8]) -> bool {
    let Some((r, s)) = signature.split_first_chunk::<32>() else {
        return false;
    };
    s.len() == 32 && canonical_scalar(s) && plain_point(r) && plain_point(key)
}

/// A signature with the core's verdict on it, for checking that another verifier agrees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// What the probe tests.
    pub name: &'static str,
    /// The signer's key, 32 bytes.
    pub key: [u8; 32],
    /// The signed message.
    pub message: Vec<u8>,
    /// The signature, 64 bytes.
    pub signature: [u8; 64],
    /// The core's verdict.
    pub holds: bool,
}

/// The message every probe signs.
const PROBE_MESSAGE: &[u8] = b"SEMRES Ed25519 verifier probe";

/// k = SHA-512(R ‖ A ‖ M) mod ℓ.
fn challenge(r: &CompressedEdwardsY, a: &CompressedEdwardsY, message: &[u8]) -> Scalar {
    let digest = Sha512::new()
        .chain_update(r.as_bytes())
        .chain_update(a.as_bytes())
        .chain_update(message)
        .finalize();
    let mut wide = [0u8; 64];
    wide.copy_from_slice(&digest);
    Scalar::from_bytes_mod_order_wide(&wide)
}

/// A signature `(R, S)` with `S = r + k·a`, `k` over `R`, `A` and the probe message.
fn probe(
    name: &'static str,
    a: &Scalar,
    key: EdwardsPoint,
    r: &Scalar,
    big_r: EdwardsPoint,
) -> Probe {
    let key = key.compress();
    let big_r = big_r.compress();
    let s = r + challenge(&big_r, &key, PROBE_MESSAGE) * a;
    let mut signature = [0u8; 64];
    signature[..32].copy_from_slice(big_r.as_bytes());
    signature[32..].copy_from_slice(s.as_bytes());
    Probe {
        name,
        key: key.to_bytes(),
        message: PROBE_MESSAGE.to_vec(),
        signature,
        holds: false,
    }
}

/// Three signatures every verifier used in the core's place must answer as the core does:
/// an honest one (holds), one whose `R` has a component of order 8 and one by a key with a
/// component of order 8 (neither holds under the cofactorless equation; both hold under the
/// cofactored one). Each passes [`equation_decides`]: these are the cases it hands over.
/// Deterministic (fixed scalars), so every thread and every hospital computes the same.
pub fn probes() -> Vec<Probe> {
    let a = Scalar::from_bytes_mod_order(*b"SEMRES probe signing key scalar.");
    let key = EdwardsPoint::mul_base(&a);
    let torsion = EIGHT_TORSION[1];
    let mut out = Vec::with_capacity(3);

    let r = Scalar::from_bytes_mod_order(*b"SEMRES probe nonce, honest .....");
    let mut honest = probe("honest", &a, key, &r, EdwardsPoint::mul_base(&r));
    honest.holds = true;
    out.push(honest);

    let r = Scalar::from_bytes_mod_order(*b"SEMRES probe nonce, mixed R ....");
    out.push(probe(
        "R with a component of order 8",
        &a,
        key,
        &r,
        EdwardsPoint::mul_base(&r) + torsion,
    ));

    // [S]B − [k]A′ = R − [k]T: the core refuses unless [k]T is the identity (8 divides k);
    // take the first nonce for which it is not.
    let mixed_key = key + torsion;
    let mut nonce = *b"SEMRES probe nonce, mixed key .0";
    for n in 0..=u8::MAX {
        nonce[31] = n;
        let r = Scalar::from_bytes_mod_order(nonce);
        let big_r = EdwardsPoint::mul_base(&r);
        let k = challenge(&big_r.compress(), &mixed_key.compress(), PROBE_MESSAGE);
        if !(torsion * k).is_identity() {
            out.push(probe(
                "key with a component of order 8",
                &a,
                mixed_key,
                &r,
                big_r,
            ));
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{SigningPrivateKey, SigningPublicKey};

    /// The cofactored equation [8]([S]B − [k]A − R) = 0 (RFC 8032 permits it; the core does
    /// not use it): what a verifier that is not the core's kind would check.
    fn cofactored(key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
        let (Some(a), Some(r)) = (
            CompressedEdwardsY(*key).decompress(),
            CompressedEdwardsY(signature[..32].try_into().unwrap()).decompress(),
        ) else {
            return false;
        };
        let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(
            signature[32..].try_into().unwrap(),
        )) else {
            return false;
        };
        let k = challenge(
            &CompressedEdwardsY(signature[..32].try_into().unwrap()),
            &CompressedEdwardsY(*key),
            message,
        );
        (EdwardsPoint::mul_base(&s) - a * k - r)
            .mul_by_cofactor()
            .is_identity()
    }

    #[test]
    fn the_small_order_ys_are_those_of_the_eight_torsion_points() {
        let mut ys: Vec<[u8; 32]> = EIGHT_TORSION
            .iter()
            .map(|p| {
                let mut y = p.compress().to_bytes();
                y[31] &= 0x7f;
                y
            })
            .collect();
        ys.sort();
        ys.dedup();
        let mut want = SMALL_ORDER_Y.to_vec();
        want.sort();
        assert_eq!(ys, want);
        for p in EIGHT_TORSION {
            assert!(p.is_small_order());
            assert!(!plain_point(&p.compress().to_bytes()));
        }
    }

    #[test]
    fn canonical_bounds() {
        let mut order = ORDER;
        assert!(!canonical_scalar(&order));
        order[0] -= 1;
        assert!(canonical_scalar(&order));
        assert!(canonical_scalar(&[0; 32]));
        assert!(!canonical_scalar(&[0xff; 32]));
        // p − 1 is canonical (and is −1, small order); p, p + 1 … 2^255 − 1 are not.
        let mut y = [0xff; 32];
        y[31] = 0x7f;
        for low in 0xed..=0xff {
            y[0] = low;
            assert!(!canonical_y(&y));
        }
        y[0] = 0xec;
        assert!(canonical_y(&y));
        y[0] = 0xee;
        y[1] = 0xfe;
        assert!(canonical_y(&y));
    }

    #[test]
    fn honest_signatures_are_handed_over() {
        for seed in 0..64u8 {
            let key = SigningPrivateKey::from_seed(&[seed; 32]);
            let message = vec![seed; usize::from(seed)];
            let signature = key.sign(&message);
            assert!(equation_decides(&key.public_key().to_bytes(), &signature));
        }
    }

    #[test]
    fn what_the_core_refuses_for_another_reason_stays_with_the_core() {
        let key = SigningPrivateKey::from_seed(&[9; 32]);
        let public = key.public_key().to_bytes();
        let signature = key.sign(b"m");
        // S = S + ℓ: same equation, refused by the core as non-canonical.
        let mut high = signature;
        let mut carry = 0u16;
        for i in 0..32 {
            let sum = u16::from(high[32 + i]) + u16::from(ORDER[i]) + carry;
            high[32 + i] = (sum & 0xff) as u8;
            carry = sum >> 8;
        }
        assert!(!equation_decides(&public, &high));
        assert!(key.public_key().verify(b"m", &high).is_err());
        // A small-order R, and a non-canonical R.
        for t in EIGHT_TORSION {
            let mut sig = signature;
            sig[..32].copy_from_slice(t.compress().as_bytes());
            assert!(!equation_decides(&public, &sig));
        }
        let mut sig = signature;
        sig[..32].copy_from_slice(&[0xff; 32]);
        sig[31] = 0x7f;
        assert!(!equation_decides(&public, &sig));
        // Wrong lengths.
        assert!(!equation_decides(&public, &signature[..63]));
        assert!(!equation_decides(
            &public,
            &[signature.as_slice(), &[0]].concat()
        ));
        // A small-order key, and a non-canonical key that is a point (y = p + 2 … p + 18 are
        // the non-canonical spellings of y = 2 … 18; some of these are on the curve).
        for t in EIGHT_TORSION {
            assert!(!equation_decides(&t.compress().to_bytes(), &signature));
        }
        let mut found = 0;
        for low in 0xef..=0xff_u8 {
            let mut y = [0xff; 32];
            y[31] = 0x7f;
            y[0] = low;
            if let Ok(k) = SigningPublicKey::from_bytes(&y) {
                found += 1;
                assert!(!equation_decides(&k.to_bytes(), &signature));
            }
        }
        assert!(found > 0, "a non-canonical key that decodes exists");
    }

    #[test]
    fn probes_are_decided_by_the_equation_and_split_the_two_equations() {
        let probes = probes();
        assert_eq!(probes.len(), 3);
        for p in &probes {
            assert!(equation_decides(&p.key, &p.signature), "{}", p.name);
            let key = SigningPublicKey::from_bytes(&p.key).unwrap();
            assert_eq!(
                key.verify(&p.message, &p.signature).is_ok(),
                p.holds,
                "{}",
                p.name
            );
            // Every probe holds under the cofactored equation: the negatives are exactly
            // what such a verifier would wrongly accept.
            assert!(cofactored(&p.key, &p.message, &p.signature), "{}", p.name);
        }
        assert_eq!(probes.iter().filter(|p| p.holds).count(), 1);
        assert_eq!(probes, super::probes(), "deterministic");
    }
}
