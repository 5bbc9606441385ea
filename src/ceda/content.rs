//! CEDA content encryption: AES-CBC + HMAC-SHA-2, encrypt-then-MAC, exactly as RFC 7518 §5.2
//! defines `A128CBC-HS256` (the paper's AES-128) and `A256CBC-HS512` (the SMeR default).
//!
//! CBC alone is malleable; the HMAC over `AAD || IV || ciphertext || AL` is checked, in
//! constant time, before a single block is decrypted, and any failure is
//! [`Error::DecryptionFailed`]. The CEK is `MAC_KEY || ENC_KEY`.

use aes::cipher::{block_padding::Pkcs7, BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha512};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// AES block size and CBC IV length in bytes.
pub const IV_LEN: usize = 16;

/// The content-encryption algorithms (`enc`) a SMeR may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentEncryption {
    /// `A128CBC-HS256`: AES-128-CBC + HMAC-SHA-256 truncated to 16 bytes (32-byte CEK).
    A128CbcHs256,
    /// `A256CBC-HS512`: AES-256-CBC + HMAC-SHA-512 truncated to 32 bytes (64-byte CEK).
    A256CbcHs512,
}

impl ContentEncryption {
    /// The JOSE name (`enc` header value).
    pub fn name(self) -> &'static str {
        match self {
            ContentEncryption::A128CbcHs256 => "A128CBC-HS256",
            ContentEncryption::A256CbcHs512 => "A256CBC-HS512",
        }
    }

    /// Parses a JOSE `enc` name; only the two allowed values are recognised.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "A128CBC-HS256" => Some(ContentEncryption::A128CbcHs256),
            "A256CBC-HS512" => Some(ContentEncryption::A256CbcHs512),
            _ => None,
        }
    }

    /// Length of the content-encryption key (MAC key + AES key) in bytes.
    pub fn cek_len(self) -> usize {
        match self {
            ContentEncryption::A128CbcHs256 => 32,
            ContentEncryption::A256CbcHs512 => 64,
        }
    }

    /// Length of the authentication tag in bytes (half of the HMAC output).
    pub fn tag_len(self) -> usize {
        self.cek_len() / 2
    }
}

/// Output of [`encrypt`].
pub struct Sealed {
    /// AES-CBC ciphertext with PKCS#7 padding.
    pub ciphertext: Vec<u8>,
    /// Truncated HMAC tag.
    pub tag: Vec<u8>,
}

/// Length of the CBC ciphertext for a plaintext of `n` bytes (PKCS#7 always pads).
pub fn ciphertext_len(plaintext_len: usize) -> usize {
    (plaintext_len / IV_LEN + 1) * IV_LEN
}

/// Encrypts `plaintext` under `cek` with the given IV and additional authenticated data.
pub fn encrypt(
    enc: ContentEncryption,
    cek: &[u8],
    iv: &[u8; IV_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Sealed> {
    if cek.len() != enc.cek_len() {
        return Err(Error::InvalidInput(
            "content-encryption key has the wrong length",
        ));
    }
    let enc_key = &cek[cek.len() / 2..];
    let mut buffer = vec![0u8; ciphertext_len(plaintext.len())];
    buffer[..plaintext.len()].copy_from_slice(plaintext);
    let written = match enc {
        ContentEncryption::A128CbcHs256 => {
            cbc_encrypt::<aes::Aes128>(enc_key, iv, &mut buffer, plaintext.len())
        }
        ContentEncryption::A256CbcHs512 => {
            cbc_encrypt::<aes::Aes256>(enc_key, iv, &mut buffer, plaintext.len())
        }
    }?;
    buffer.truncate(written);
    let mut mac = ContentMac::new(enc, cek, aad, iv)?;
    mac.update(&buffer);
    let tag = mac.finish()[..enc.tag_len()].to_vec();
    Ok(Sealed {
        ciphertext: buffer,
        tag,
    })
}

/// Authenticates, then decrypts in place. Every failure is [`Error::DecryptionFailed`].
pub fn decrypt(
    enc: ContentEncryption,
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    ciphertext: Vec<u8>,
    tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    if !authenticate(enc, cek, iv, aad, &ciphertext, tag) {
        return Err(Error::DecryptionFailed);
    }
    decrypt_authenticated(enc, cek, iv, ciphertext)
}

/// Checks the tag in constant time; `false` on any mismatch or wrong length.
pub fn authenticate(
    enc: ContentEncryption,
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> bool {
    match ContentMac::new(enc, cek, aad, iv) {
        Ok(mut mac) => {
            mac.update(ciphertext);
            tag_matches(enc, &mac.finish(), tag)
        }
        Err(_) => false,
    }
}

/// The RFC 7518 §5.2.2.1 MAC input as one buffer, `AAD || IV || E || AL` — for an HMAC
/// computed elsewhere in one call (the browser's WebCrypto has no incremental HMAC).
pub fn mac_input(aad: &[u8], iv: &[u8], ciphertext: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(aad.len() + iv.len() + ciphertext.len() + 8);
    out.extend_from_slice(aad);
    out.extend_from_slice(iv);
    out.extend_from_slice(ciphertext);
    out.extend_from_slice(&mac_input_al(aad.len()));
    out
}

/// The MAC input's last 8 bytes, AL: the AAD's length in bits, u64 big-endian.
pub fn mac_input_al(aad_len: usize) -> [u8; 8] {
    (aad_len as u64).saturating_mul(8).to_be_bytes()
}

/// The RFC 7518 §5.2.2.1 HMAC made a piece of ciphertext at a time, for a caller that
/// encrypts or decrypts elsewhere in pieces (the browser's WebCrypto, whose HMAC takes its
/// whole input in one call, a copy of the whole ciphertext): `AAD || IV` when made,
/// the ciphertext's pieces in order, `AL` when finished. [`ContentMac::finish`] gives the
/// full HMAC output, as [`tag_matches`] takes it.
pub struct ContentMac {
    state: MacState,
    aad_bits: u64,
}

enum MacState {
    Hs256(Hmac<Sha256>),
    Hs512(Hmac<Sha512>),
}

impl core::fmt::Debug for ContentMac {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ContentMac(..)")
    }
}

impl ContentMac {
    /// Starts the HMAC of `enc` keyed by the first half of `cek`, fed `aad ‖ iv`.
    /// `InvalidInput` for a CEK or IV of the wrong length.
    pub fn new(enc: ContentEncryption, cek: &[u8], aad: &[u8], iv: &[u8]) -> Result<Self> {
        if cek.len() != enc.cek_len() {
            return Err(Error::InvalidInput(
                "content-encryption key has the wrong length",
            ));
        }
        if iv.len() != IV_LEN {
            return Err(Error::InvalidInput("the IV has the wrong length"));
        }
        let aad_bits = (aad.len() as u64)
            .checked_mul(8)
            .ok_or(Error::InvalidInput("the AAD is too long"))?;
        let mac_key = &cek[..cek.len() / 2];
        let keyed = |_| Error::InvalidInput("MAC key invalid");
        let mut state = match enc {
            ContentEncryption::A128CbcHs256 => {
                MacState::Hs256(<Hmac<Sha256> as KeyInit>::new_from_slice(mac_key).map_err(keyed)?)
            }
            ContentEncryption::A256CbcHs512 => {
                MacState::Hs512(<Hmac<Sha512> as KeyInit>::new_from_slice(mac_key).map_err(keyed)?)
            }
        };
        state.update(aad);
        state.update(iv);
        Ok(ContentMac { state, aad_bits })
    }

    /// Feeds the next piece of the ciphertext.
    pub fn update(&mut self, ciphertext_piece: &[u8]) {
        self.state.update(ciphertext_piece);
    }

    /// Feeds `AL` and gives the full HMAC output (the tag is its first half).
    pub fn finish(self) -> Vec<u8> {
        let mut state = self.state;
        state.update(&self.aad_bits.to_be_bytes());
        match state {
            MacState::Hs256(mac) => mac.finalize().into_bytes().to_vec(),
            MacState::Hs512(mac) => mac.finalize().into_bytes().to_vec(),
        }
    }
}

impl MacState {
    fn update(&mut self, bytes: &[u8]) {
        match self {
            MacState::Hs256(mac) => mac.update(bytes),
            MacState::Hs512(mac) => mac.update(bytes),
        }
    }
}

/// Whether the leftmost bytes of `full_mac` (an HMAC computed elsewhere over
/// [`mac_input`]) are `tag`, compared in constant time; `false` for a MAC that is not the
/// full output of `enc`'s hash or a tag of the wrong length.
pub fn tag_matches(enc: ContentEncryption, full_mac: &[u8], tag: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    full_mac.len() == 2 * enc.tag_len()
        && tag.len() == enc.tag_len()
        && bool::from(full_mac[..enc.tag_len()].ct_eq(tag))
}

/// Decrypts a ciphertext whose tag [`authenticate`] accepted, in place.
pub fn decrypt_authenticated(
    enc: ContentEncryption,
    cek: &[u8],
    iv: &[u8],
    mut ciphertext: Vec<u8>,
) -> Result<Zeroizing<Vec<u8>>> {
    if cek.len() != enc.cek_len() {
        return Err(Error::DecryptionFailed);
    }
    let enc_key = &cek[cek.len() / 2..];
    let plaintext_len = match enc {
        ContentEncryption::A128CbcHs256 => cbc_decrypt::<aes::Aes128>(enc_key, iv, &mut ciphertext),
        ContentEncryption::A256CbcHs512 => cbc_decrypt::<aes::Aes256>(enc_key, iv, &mut ciphertext),
    };
    // The buffer now holds plaintext: wrap it before any early return so it is wiped.
    let mut plaintext = Zeroizing::new(ciphertext);
    let len = plaintext_len?;
    plaintext.truncate(len);
    Ok(plaintext)
}

fn cbc_encrypt<C>(key: &[u8], iv: &[u8; IV_LEN], buffer: &mut [u8], msg_len: usize) -> Result<usize>
where
    cbc::Encryptor<C>: KeyIvInit + BlockModeEncrypt,
    C: aes::cipher::BlockCipherEncrypt,
{
    let encryptor = cbc::Encryptor::<C>::new_from_slices(key, iv)
        .map_err(|_| Error::InvalidInput("AES key has the wrong length"))?;
    encryptor
        .encrypt_padded::<Pkcs7>(buffer, msg_len)
        .map(|out| out.len())
        .map_err(|_| Error::InvalidInput("CBC buffer too small"))
}

fn cbc_decrypt<C>(key: &[u8], iv: &[u8], buffer: &mut [u8]) -> Result<usize>
where
    cbc::Decryptor<C>: KeyIvInit + BlockModeDecrypt,
    C: aes::cipher::BlockCipherDecrypt,
{
    let decryptor =
        cbc::Decryptor::<C>::new_from_slices(key, iv).map_err(|_| Error::DecryptionFailed)?;
    decryptor
        .decrypt_padded::<Pkcs7>(buffer)
        .map(|out| out.len())
        .map_err(|_| Error::DecryptionFailed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        crate::encoding::hex::decode(s).unwrap()
    }

    // RFC 7518 Appendix B.1 (A128CBC-HS256) and B.3 (A256CBC-HS512) test cases.
    const P: &str = "41206369706865722073797374656d206d757374206e6f742062652072657175697265642074\
6f206265207365637265742c20616e64206974206d7573742062652061626c6520746f2066616c6c20696e746f207468\
652068616e6473206f662074686520656e656d7920776974686f757420696e636f6e76656e69656e6365";
    const A: &str = "546865207365636f6e64207072696e6369706c65206f66204175677573746520\
4b6572636b686f666673";
    const IV: &str = "1af38c2dc2b96ffdd86694092341bc04";

    #[test]
    fn rfc7518_b1_a128cbc_hs256() {
        let k = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        let iv: [u8; 16] = hex(IV).try_into().unwrap();
        let sealed = encrypt(ContentEncryption::A128CbcHs256, &k, &iv, &hex(A), &hex(P)).unwrap();
        assert_eq!(
            sealed.ciphertext,
            hex("c80edfa32ddf39d5ef00c0b468834279a2e46a1b8049f792f76bfe54b903a9c9a94ac9b47ad2655c5f10f9aef71427e2fc6f9b3f399a221489f16362c703233609d45ac69864e3321cf82935ac4096c86e133314c54019e8ca7980dfa4b9cf1b384c486f3a54c51078158ee5d79de59fbd34d848b3d69550a67646344427ade54b8851ffb598f7f80074b9473c82e2db")
        );
        assert_eq!(sealed.tag, hex("652c3fa36b0a7c5b3219fab3a30bc1c4"));
        let opened = decrypt(
            ContentEncryption::A128CbcHs256,
            &k,
            &iv,
            &hex(A),
            sealed.ciphertext,
            &sealed.tag,
        )
        .unwrap();
        assert_eq!(&opened[..], &hex(P)[..]);
    }

    #[test]
    fn rfc7518_b3_a256cbc_hs512() {
        let k: Vec<u8> = (0u8..64).collect();
        let iv: [u8; 16] = hex(IV).try_into().unwrap();
        let sealed = encrypt(ContentEncryption::A256CbcHs512, &k, &iv, &hex(A), &hex(P)).unwrap();
        assert_eq!(
            sealed.ciphertext,
            hex("4affaaadb78c31c5da4b1b590d10ffbd3dd8d5d302423526912da037ecbcc7bd822c301dd67c373bccb584ad3e9279c2e6d12a1374b77f077553df829410446b36ebd97066296ae6427ea75c2e0846a11a09ccf5370dc80bfecbad28c73f09b3a3b75e662a2594410ae496b2e2e6609e31e6e02cc837f053d21f37ff4f51950bbe2638d09dd7a4930930806d0703b1f6")
        );
        assert_eq!(
            sealed.tag,
            hex("4dd3b4c088a7f45c216839645b2012bf2e6269a8c56a816dbc1b267761955bc5")
        );
    }

    #[test]
    fn content_mac_in_pieces_is_the_one_call_mac() {
        for enc in [
            ContentEncryption::A128CbcHs256,
            ContentEncryption::A256CbcHs512,
        ] {
            let k: Vec<u8> = (0u8..64).take(enc.cek_len()).collect();
            let iv: [u8; 16] = hex(IV).try_into().unwrap();
            let sealed = encrypt(enc, &k, &iv, &hex(A), &hex(P)).unwrap();
            for step in 1..=sealed.ciphertext.len() {
                let mut mac = ContentMac::new(enc, &k, &hex(A), &iv).unwrap();
                for piece in sealed.ciphertext.chunks(step) {
                    mac.update(piece);
                }
                let full = mac.finish();
                assert_eq!(full.len(), 2 * enc.tag_len());
                assert_eq!(&full[..enc.tag_len()], &sealed.tag[..]);
                assert!(tag_matches(enc, &full, &sealed.tag));
            }
            assert!(ContentMac::new(enc, &k[1..], &hex(A), &iv).is_err());
            assert!(ContentMac::new(enc, &k, &hex(A), &iv[1..]).is_err());
        }
    }

    #[test]
    fn any_flip_is_decryption_failed() {
        let k = [7u8; 64];
        let iv = [9u8; 16];
        let sealed = encrypt(ContentEncryption::A256CbcHs512, &k, &iv, b"aad", b"record").unwrap();
        for i in 0..sealed.ciphertext.len() * 8 {
            let mut c = sealed.ciphertext.clone();
            c[i / 8] ^= 1 << (i % 8);
            assert_eq!(
                decrypt(
                    ContentEncryption::A256CbcHs512,
                    &k,
                    &iv,
                    b"aad",
                    c,
                    &sealed.tag
                )
                .unwrap_err(),
                Error::DecryptionFailed
            );
        }
        let mut tag = sealed.tag.clone();
        tag[31] ^= 0x80;
        assert!(decrypt(
            ContentEncryption::A256CbcHs512,
            &k,
            &iv,
            b"aad",
            sealed.ciphertext.clone(),
            &tag
        )
        .is_err());
        assert!(decrypt(
            ContentEncryption::A256CbcHs512,
            &k,
            &iv,
            b"aaD",
            sealed.ciphertext.clone(),
            &sealed.tag
        )
        .is_err());
        assert!(decrypt(
            ContentEncryption::A256CbcHs512,
            &k,
            &iv,
            b"aad",
            sealed.ciphertext.clone(),
            &sealed.tag[..16]
        )
        .is_err());
    }
}
