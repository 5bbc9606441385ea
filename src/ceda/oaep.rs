//! RSAES-OAEP with SHA-256, MGF1-SHA-256 and the empty label (RFC 8017 §7.1) — the JWE
//! `RSA-OAEP-256` key wrapping of CEDA (paper Fig. 2: "the AES key is encrypted with the RSA
//! public key of the authorized person").
//!
//! Encryption is the `rsa` crate's. The decoding is ours, over the crate's blinded raw RSA:
//! `rsa` 0.10.0 ignores the leading octet `Y` of the encoded message, which RFC 8017 requires
//! to be zero (Wycheproof RSA-OAEP tcId 23, "First byte is 1"). Every check is combined in
//! constant time before the single outcome, [`Error::DecryptionFailed`], is revealed.

use rsa::rand_core::TryCryptoRng;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// RSAES-OAEP-ENCRYPT (RFC 8017 §7.1.1), SHA-256 / MGF1-SHA-256, empty label.
pub(crate) fn encrypt<R: TryCryptoRng + ?Sized>(
    key: &rsa::PublicKey,
    rng: &mut R,
    message: &[u8],
) -> Result<Vec<u8>> {
    key.oaep_encrypt_with_rng::<Sha256, _>(rng, message)
        .map_err(|_| Error::InvalidInput("key too long for RSA-OAEP, or randomness failed"))
}

const SHA256_LEN: usize = 32;

/// MGF1 with SHA-256 (RFC 8017 Appendix B.2.1), XORed into `out`.
fn mgf1_sha256_xor(seed: &[u8], out: &mut [u8]) {
    for (counter, chunk) in (0u32..).zip(out.chunks_mut(SHA256_LEN)) {
        let mut hasher = Sha256::new();
        hasher.update(seed);
        hasher.update(counter.to_be_bytes());
        let mask = hasher.finalize();
        for (byte, m) in chunk.iter_mut().zip(mask.iter()) {
            *byte ^= m;
        }
    }
}

/// RSAES-OAEP-DECRYPT (RFC 8017 §7.1.2), SHA-256 / MGF1-SHA-256, empty label.
pub(crate) fn decrypt<R: TryCryptoRng + ?Sized>(
    key: &rsa::PrivateKey,
    rng: &mut R,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    use subtle::{ConditionallySelectable, ConstantTimeEq};

    let k = key.size();
    // Step 1: lengths (public values).
    if ciphertext.len() != k || k < 2 * SHA256_LEN + 2 {
        return Err(Error::DecryptionFailed);
    }
    // Step 2: RSADP with blinding; the ciphertext must be below the modulus.
    let precision = key.n_bits_precision();
    let c = rsa::BoxedUint::from_be_slice(ciphertext, precision)
        .map_err(|_| Error::DecryptionFailed)?;
    if c >= *key.n().as_ref() {
        return Err(Error::DecryptionFailed);
    }
    let m = rsa::hazmat::rsa_decrypt_and_check(key, Some(rng), &c)
        .map_err(|_| Error::DecryptionFailed)?;
    let full = Zeroizing::new(m.to_be_bytes());
    // I2OSP(m, k): the integer is below n, so any bytes before the last k are zero.
    let em_bytes = full.get(full.len().saturating_sub(k)..).unwrap_or_default();
    let mut em = Zeroizing::new(em_bytes.to_vec());
    if em.len() != k {
        return Err(Error::DecryptionFailed);
    }
    // Step 3: EME-OAEP decoding.
    let y = em[0];
    let (masked_seed, masked_db) = em[1..].split_at_mut(SHA256_LEN);
    mgf1_sha256_xor(masked_db, masked_seed);
    mgf1_sha256_xor(masked_seed, masked_db);
    let db = masked_db;
    let empty_label_hash = Sha256::digest(b"");
    let mut valid = y.ct_eq(&0u8) & db[..SHA256_LEN].ct_eq(empty_label_hash.as_slice());
    // PS (zero or more 0x00), then 0x01, then M — scanned without data-dependent branches.
    let mut looking = subtle::Choice::from(1u8);
    let mut message_start = 0u32;
    for (after, byte) in (1u32..).zip(&db[SHA256_LEN..]) {
        let is_one = byte.ct_eq(&1u8);
        let is_zero = byte.ct_eq(&0u8);
        message_start.conditional_assign(&after, looking & is_one);
        valid &= !(looking & !is_zero & !is_one);
        looking &= !is_one;
    }
    valid &= !looking;
    if !bool::from(valid) {
        return Err(Error::DecryptionFailed);
    }
    let start = SHA256_LEN + message_start as usize;
    Ok(Zeroizing::new(db[start..].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ceda::{EncryptionPrivateKey, EncryptionPublicKey};

    /// EME-OAEP encoding (RFC 8017 §7.1.1) with a chosen leading octet, then raw RSA.
    fn oaep_encrypt_with_leading_octet(
        key: &EncryptionPublicKey,
        message: &[u8],
        y: u8,
    ) -> Vec<u8> {
        let k = key.modulus_len();
        let mut db = vec![0u8; k - SHA256_LEN - 1];
        db[..SHA256_LEN].copy_from_slice(&Sha256::digest(b""));
        let one = db.len() - message.len() - 1;
        db[one] = 1;
        db[one + 1..].copy_from_slice(message);
        let mut seed = [0x5au8; SHA256_LEN];
        mgf1_sha256_xor(&seed, &mut db);
        mgf1_sha256_xor(&db, &mut seed);
        let em = [&[y][..], &seed, &db].concat();
        let m = rsa::BoxedUint::from_be_slice(&em, key.rsa_public().n_bits_precision()).unwrap();
        let c = rsa::hazmat::rsa_encrypt(key.rsa_public(), &m).unwrap();
        let bytes = c.to_be_bytes();
        bytes[bytes.len() - k..].to_vec()
    }

    #[test]
    fn oaep_requires_a_zero_leading_octet() {
        use rand_chacha::ChaCha20Rng;
        use rand_core::SeedableRng;
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let key = EncryptionPrivateKey::generate(&mut rng, 2048).unwrap();
        let good = oaep_encrypt_with_leading_octet(key.public_key(), b"content key", 0);
        assert_eq!(
            key.unwrap_key(&mut rng, &good).unwrap().as_slice(),
            b"content key"
        );
        let bad = oaep_encrypt_with_leading_octet(key.public_key(), b"content key", 1);
        assert_eq!(
            key.unwrap_key(&mut rng, &bad).unwrap_err(),
            Error::DecryptionFailed
        );
        // And our wrap interoperates with our unwrap.
        let wrapped = key.public_key().wrap_key(&mut rng, &[7u8; 64]).unwrap();
        assert_eq!(
            key.unwrap_key(&mut rng, &wrapped).unwrap().as_slice(),
            &[7u8; 64]
        );
    }
}
