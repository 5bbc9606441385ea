//! RFC 8188 `aes128gcm` (Encrypted Content-Encoding for HTTP): the record layer of a
//! streamed SMeR (SPEC.md §7.3) — the paper's "AES encrypts the record", chunk by chunk.
//!
//! Pure: no I/O, no clock, no RNG. A writer gives [`RecordSealer`] one chunk at a time; a
//! reader gives [`RecordOpener`] the body's bytes in pieces of any size, and it releases the
//! plaintext of a record only once that record's GCM tag has been verified. It holds at most
//! one record (at most [`MAX_RECORD_SIZE`] bytes) whatever the body's length.

use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes128Gcm, KeyInit};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Length of the salt in the body's header.
pub const SALT_LEN: usize = 16;
/// Length of the body's header as SEMRES writes it: salt, `rs`, `idlen` = 0, no key id.
pub const BODY_HEADER_LEN: usize = SALT_LEN + 4 + 1;
/// GCM tag length.
pub const TAG_LEN: usize = 16;
/// Record size SEMRES writes: 64 KiB (65 519 bytes of plaintext per record).
pub const DEFAULT_RECORD_SIZE: u32 = 65_536;
/// Smallest record size RFC 8188 allows (one byte of plaintext, the delimiter, the tag).
pub const MIN_RECORD_SIZE: u32 = 18;
/// Largest record size a reader accepts (it buffers one record).
pub const MAX_RECORD_SIZE: u32 = 1 << 20;
/// Length of the input keying material SEMRES draws and wraps for each recipient.
pub const IKM_LEN: usize = 16;

const DELIMITER: u8 = 1;
const LAST_DELIMITER: u8 = 2;

/// The record keys RFC 8188 §2.2–2.3 derives from the input keying material and the salt.
pub struct RecordKeys {
    cek: Zeroizing<[u8; 16]>,
    nonce: [u8; 12],
}

impl core::fmt::Debug for RecordKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("RecordKeys(..)")
    }
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Zeroizing<[u8; 32]> {
    // HMAC takes a key of any length.
    let mut mac = match <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable_hmac(),
    };
    for part in parts {
        mac.update(part);
    }
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

#[allow(clippy::panic)]
fn unreachable_hmac() -> ! {
    // `Hmac::new_from_slice` accepts every key length; this is never reached.
    panic!("HMAC refused a key")
}

impl RecordKeys {
    /// HKDF-SHA-256 (RFC 5869) with `salt`: the 16-byte content-encryption key and the
    /// 12-byte nonce base of RFC 8188 §2.2 and §2.3.
    pub fn derive(ikm: &[u8], salt: &[u8; SALT_LEN]) -> Self {
        let prk = hmac_sha256(salt, &[ikm]);
        let cek_block = hmac_sha256(prk.as_ref(), &[b"Content-Encoding: aes128gcm\0", &[1]]);
        let nonce_block = hmac_sha256(prk.as_ref(), &[b"Content-Encoding: nonce\0", &[1]]);
        let mut cek = Zeroizing::new([0u8; 16]);
        cek.copy_from_slice(&cek_block[..16]);
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&nonce_block[..12]);
        RecordKeys { cek, nonce }
    }

    /// The AES-128-GCM key (secret), for a caller that runs AES-GCM elsewhere (WebCrypto).
    pub fn content_key(&self) -> &[u8; 16] {
        &self.cek
    }

    /// The nonce of record `seq` (counted from 0): the nonce base XOR `seq` as a 96-bit
    /// big-endian integer.
    pub fn nonce(&self, seq: u64) -> [u8; 12] {
        let mut nonce = self.nonce;
        for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
            *n ^= s;
        }
        nonce
    }

    fn cipher(&self) -> Aes128Gcm {
        Aes128Gcm::new(&(*self.cek).into())
    }
}

/// The body's header: `salt ‖ rs (uint32, big-endian) ‖ idlen = 0`.
pub fn body_header(salt: &[u8; SALT_LEN], record_size: u32) -> [u8; BODY_HEADER_LEN] {
    let mut out = [0u8; BODY_HEADER_LEN];
    out[..SALT_LEN].copy_from_slice(salt);
    out[SALT_LEN..SALT_LEN + 4].copy_from_slice(&record_size.to_be_bytes());
    out
}

/// Reads the body's header: the salt and the record size. `idlen` MUST be 0
/// (`MalformedSmer`), `rs` at least [`MIN_RECORD_SIZE`] (`MalformedSmer`) and at most
/// [`MAX_RECORD_SIZE`] (`TooLarge`).
pub fn parse_body_header(bytes: &[u8; BODY_HEADER_LEN]) -> Result<([u8; SALT_LEN], u32)> {
    let mut salt = [0u8; SALT_LEN];
    salt.copy_from_slice(&bytes[..SALT_LEN]);
    let mut rs = [0u8; 4];
    rs.copy_from_slice(&bytes[SALT_LEN..SALT_LEN + 4]);
    let rs = u32::from_be_bytes(rs);
    if bytes[SALT_LEN + 4] != 0 {
        return Err(Error::MalformedSmer(
            "the record layer's key id must be empty",
        ));
    }
    if rs < MIN_RECORD_SIZE {
        return Err(Error::MalformedSmer("record size below 18"));
    }
    if rs > MAX_RECORD_SIZE {
        return Err(Error::TooLarge {
            what: "record size",
            limit: MAX_RECORD_SIZE as usize,
        });
    }
    Ok((salt, rs))
}

/// Plaintext bytes in one full record of size `rs`.
pub fn chunk_len(record_size: u32) -> usize {
    (record_size as usize).saturating_sub(TAG_LEN + 1)
}

/// Seals a record stream: chunks of exactly [`chunk_len`] bytes, then one last chunk of at
/// most that (possibly empty). No padding is written.
pub struct RecordSealer {
    keys: RecordKeys,
    rs: u32,
    seq: u64,
    done: bool,
}

impl core::fmt::Debug for RecordSealer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "RecordSealer(rs {}, record {})", self.rs, self.seq)
    }
}

impl RecordSealer {
    /// A sealer with the record keys and record size `rs` (18 to [`MAX_RECORD_SIZE`]).
    pub fn new(keys: RecordKeys, record_size: u32) -> Result<Self> {
        if !(MIN_RECORD_SIZE..=MAX_RECORD_SIZE).contains(&record_size) {
            return Err(Error::InvalidInput("record size out of range"));
        }
        Ok(RecordSealer {
            keys,
            rs: record_size,
            seq: 0,
            done: false,
        })
    }

    /// Plaintext bytes per full record.
    pub fn chunk_len(&self) -> usize {
        chunk_len(self.rs)
    }

    /// Encrypts the next chunk into `out` (appended: the chunk, its delimiter, the tag).
    /// A chunk that is not `last` MUST be exactly [`RecordSealer::chunk_len`] bytes; the
    /// last at most that. Nothing may follow the last (`InvalidInput`).
    pub fn seal(&mut self, chunk: &[u8], last: bool, out: &mut Vec<u8>) -> Result<()> {
        let nonce = self.next_nonce(chunk.len(), last)?;
        let start = out.len();
        out.extend_from_slice(chunk);
        out.push(delimiter(last));
        let tag = self
            .keys
            .cipher()
            .encrypt_inout_detached(&nonce.into(), &[], (&mut out[start..]).into())
            .map_err(|_| Error::InvalidInput("AES-GCM refused the record"))?;
        out.extend_from_slice(&tag);
        Ok(())
    }

    /// For a caller that encrypts elsewhere (the browser's WebCrypto): checks that a chunk of
    /// `chunk_len` bytes may come next (the rules of [`RecordSealer::seal`]), counts it, and
    /// returns its nonce. The record is then AES-128-GCM under [`RecordSealer::content_key`]
    /// with this nonce, no additional data and a 16-byte tag, of `chunk ‖ delimiter(last)`:
    /// ciphertext then tag, exactly what [`RecordSealer::seal`] appends.
    pub fn next_nonce(&mut self, chunk_len: usize, last: bool) -> Result<[u8; 12]> {
        if self.done {
            return Err(Error::InvalidInput("the record stream is already finished"));
        }
        let full = self.chunk_len();
        if chunk_len > full || (!last && chunk_len != full) {
            return Err(Error::InvalidInput("a chunk has the wrong length"));
        }
        let nonce = self.keys.nonce(self.seq);
        self.seq = self
            .seq
            .checked_add(1)
            .ok_or(Error::InvalidInput("too many records"))?;
        self.done = last;
        Ok(nonce)
    }

    /// The AES-128-GCM key of the records (RFC 8188's CEK). Secret.
    pub fn content_key(&self) -> &[u8; 16] {
        self.keys.content_key()
    }

    /// Whether the last chunk was sealed.
    pub fn is_finished(&self) -> bool {
        self.done
    }
}

/// Opens a record stream given in pieces of any size. Every failure — a wrong tag, a
/// record out of place, a missing or misplaced last record, data after it — is the one
/// opaque `DecryptionFailed`; only a plaintext over the limit is `TooLarge`.
pub struct RecordOpener {
    keys: RecordKeys,
    rs: usize,
    seq: u64,
    buf: Vec<u8>,
    done: bool,
    released: u64,
    max_plaintext: u64,
}

impl core::fmt::Debug for RecordOpener {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "RecordOpener(rs {}, record {})", self.rs, self.seq)
    }
}

impl RecordOpener {
    /// An opener with the record keys, the record size read from the body's header and the
    /// largest plaintext the caller accepts.
    pub fn new(keys: RecordKeys, record_size: u32, max_plaintext: u64) -> Result<Self> {
        if !(MIN_RECORD_SIZE..=MAX_RECORD_SIZE).contains(&record_size) {
            return Err(Error::InvalidInput("record size out of range"));
        }
        Ok(RecordOpener {
            keys,
            rs: record_size as usize,
            seq: 0,
            buf: Vec::new(),
            done: false,
            released: 0,
            max_plaintext,
        })
    }

    /// Takes the next `input` bytes of the records and appends to `out` the plaintext of
    /// every record they complete (each authenticated before it is released).
    pub fn update(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<()> {
        while !input.is_empty() {
            if self.done {
                // Bytes after the last record: the stream was extended.
                return Err(Error::DecryptionFailed);
            }
            let want = self.rs - self.buf.len();
            let take = want.min(input.len());
            self.buf.extend_from_slice(&input[..take]);
            input = &input[take..];
            if self.buf.len() == self.rs {
                self.open_buffered(false, out)?;
            }
        }
        Ok(())
    }

    /// Ends the stream: the bytes still held are the last record (or the last record was
    /// already complete). Appends its plaintext to `out`. A stream without its last record
    /// (truncated) is `DecryptionFailed`.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<u64> {
        if !self.done {
            if self.buf.is_empty() {
                return Err(Error::DecryptionFailed);
            }
            self.open_buffered(true, out)?;
        }
        Ok(self.released)
    }

    /// Plaintext bytes released so far.
    pub fn released(&self) -> u64 {
        self.released
    }

    /// Whether the last record has been opened.
    pub fn is_finished(&self) -> bool {
        self.done
    }

    /// RFC 8188's record size.
    pub fn record_size(&self) -> usize {
        self.rs
    }

    /// The AES-128-GCM key of the records (RFC 8188's CEK). Secret.
    pub fn content_key(&self) -> &[u8; 16] {
        self.keys.content_key()
    }

    /// For a caller that decrypts elsewhere (the browser's WebCrypto), which splits the
    /// records itself (each `rs` bytes, the last possibly shorter): the nonce of the next
    /// record; refused once the last record was opened (`DecryptionFailed`: bytes after it).
    pub fn next_nonce(&self) -> Result<[u8; 12]> {
        if self.done {
            return Err(Error::DecryptionFailed);
        }
        Ok(self.keys.nonce(self.seq))
    }

    /// Takes the next record decrypted elsewhere — AES-128-GCM under
    /// [`RecordOpener::content_key`] and [`RecordOpener::next_nonce`], its tag verified
    /// there — as `plain` (the plaintext, its delimiter and any padding); `at_end` says
    /// whether the stream ends with it. Returns how many of its first bytes are the plaintext
    /// to release. The same checks as [`RecordOpener::update`]: a wrong delimiter, a last
    /// record that does not end the stream or a stream that ends without one is
    /// `DecryptionFailed`, a plaintext over the limit `TooLarge`.
    pub fn accept_decrypted(&mut self, plain: &[u8], at_end: bool) -> Result<usize> {
        if self.done {
            return Err(Error::DecryptionFailed);
        }
        // RFC 8188 §2: the plaintext, a delimiter (2 for the last record, 1 otherwise), then
        // zero or more zero bytes of padding.
        let Some(end) = plain.iter().rposition(|&b| b != 0) else {
            return Err(Error::DecryptionFailed);
        };
        let last = match plain[end] {
            LAST_DELIMITER => true,
            DELIMITER => false,
            _ => return Err(Error::DecryptionFailed),
        };
        // A record that is not the last is full-size; a short one ends the stream; the last
        // one ends it.
        if !last && (at_end || plain.len() + TAG_LEN != self.rs) {
            return Err(Error::DecryptionFailed);
        }
        let len = end as u64;
        let total = self.released.saturating_add(len);
        if total > self.max_plaintext {
            return Err(Error::TooLarge {
                what: "record",
                limit: usize::try_from(self.max_plaintext).unwrap_or(usize::MAX),
            });
        }
        self.released = total;
        self.seq = self.seq.checked_add(1).ok_or(Error::DecryptionFailed)?;
        self.done = last;
        Ok(end)
    }

    /// For a caller that splits the records itself (each `rs` bytes, the last possibly
    /// shorter; `at_end` says whether the stream ends with this one): decrypts `record` in
    /// place and returns how many of its first bytes are the plaintext to release. Nothing is
    /// allocated. The same checks as [`RecordOpener::update`] (not to be mixed with it); on a
    /// refusal `record` holds no plaintext (a record whose tag fails is left as it was; one
    /// refused after decryption is overwritten with zeros).
    pub fn open_in_place(&mut self, record: &mut [u8], at_end: bool) -> Result<usize> {
        if !self.buf.is_empty()
            || self.done
            || record.len() < TAG_LEN + 1
            || record.len() > self.rs
            || (!at_end && record.len() != self.rs)
        {
            return Err(Error::DecryptionFailed);
        }
        let body_len = record.len() - TAG_LEN;
        let (body, tag_bytes) = record.split_at_mut(body_len);
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(tag_bytes);
        let nonce = self.keys.nonce(self.seq);
        self.keys
            .cipher()
            .decrypt_inout_detached(&nonce.into(), &[], body.into(), &tag.into())
            .map_err(|_| Error::DecryptionFailed)?;
        match self.accept_decrypted(body, at_end) {
            Ok(end) => Ok(end),
            Err(e) => {
                body.fill(0);
                Err(e)
            }
        }
    }

    fn open_buffered(&mut self, at_end: bool, out: &mut Vec<u8>) -> Result<()> {
        // The held record, opened in place (taken out first: `open_in_place` refuses while
        // bytes are held); on a refusal it is dropped without plaintext in it.
        let mut record = core::mem::take(&mut self.buf);
        let end = self.open_in_place(&mut record, at_end)?;
        out.extend_from_slice(&record[..end]);
        record.clear();
        self.buf = record;
        Ok(())
    }
}

/// RFC 8188's delimiter: 2 after the last record's plaintext, 1 after any other's.
pub fn delimiter(last: bool) -> u8 {
    if last {
        LAST_DELIMITER
    } else {
        DELIMITER
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::b64;

    /// RFC 8188 §3.1: "I am the walrus" with rs = 4096, no key id.
    #[test]
    fn rfc8188_example_3_1() {
        let ikm = b64::decode("yqdlZ-tYemfogSmv7Ws5PQ").unwrap();
        let body =
            b64::decode("I1BsxtFttlv3u_Oo94xnmwAAEAAA-NAVub2qFgBEuQKRapoZu-IxkIva3MEB1PD-ly8Thjg")
                .unwrap();
        let header: [u8; BODY_HEADER_LEN] = body[..BODY_HEADER_LEN].try_into().unwrap();
        let (salt, rs) = parse_body_header(&header).unwrap();
        assert_eq!(rs, 4096);
        let mut opener = RecordOpener::new(RecordKeys::derive(&ikm, &salt), rs, 1 << 20).unwrap();
        let mut out = Vec::new();
        opener.update(&body[BODY_HEADER_LEN..], &mut out).unwrap();
        opener.finish(&mut out).unwrap();
        assert_eq!(out, b"I am the walrus");
        // And the sealer writes exactly these bytes (no padding).
        let mut sealer = RecordSealer::new(RecordKeys::derive(&ikm, &salt), rs).unwrap();
        let mut sealed = body_header(&salt, rs).to_vec();
        sealer.seal(b"I am the walrus", true, &mut sealed).unwrap();
        assert_eq!(sealed, body);
    }

    /// RFC 8188 §3.2: two records (rs = 25) with padding in the first and a key id.
    #[test]
    fn rfc8188_example_3_2_records_and_padding() {
        let ikm = b64::decode("BO3ZVPxUlnLORbVGMpbT1Q").unwrap();
        let body = b64::decode(
            "uNCkWiNYzKTnBN9ji3-qWAAAABkCYTHOG8chz_gnvgOqdGYovxyjuqRyJFjEDyoF1Fvkj6hQPdPHI51OEUKEpgz3SsLWIqS_uA",
        )
        .unwrap();
        // idlen = 2 ("a1"): outside the SEMRES profile, so skip the header by hand.
        assert_eq!(body[20], 2);
        let salt: [u8; SALT_LEN] = body[..SALT_LEN].try_into().unwrap();
        let keys = RecordKeys::derive(&ikm, &salt);
        let mut opener = RecordOpener::new(keys, 25, 1 << 20).unwrap();
        let mut out = Vec::new();
        for byte in &body[23..] {
            opener.update(std::slice::from_ref(byte), &mut out).unwrap();
        }
        opener.finish(&mut out).unwrap();
        assert_eq!(out, b"I am the walrus");
    }

    fn seal_all(data: &[u8], rs: u32) -> (Vec<u8>, [u8; SALT_LEN]) {
        let salt = [7u8; SALT_LEN];
        let mut sealer = RecordSealer::new(RecordKeys::derive(&[1; 16], &salt), rs).unwrap();
        let n = sealer.chunk_len();
        let mut out = Vec::new();
        let mut chunks = data.chunks(n).peekable();
        if data.is_empty() {
            sealer.seal(&[], true, &mut out).unwrap();
        }
        while let Some(chunk) = chunks.next() {
            sealer
                .seal(chunk, chunks.peek().is_none(), &mut out)
                .unwrap();
        }
        (out, salt)
    }

    fn open_all(records: &[u8], salt: &[u8; SALT_LEN], rs: u32, piece: usize) -> Result<Vec<u8>> {
        let mut opener = RecordOpener::new(RecordKeys::derive(&[1; 16], salt), rs, 1 << 20)?;
        let mut out = Vec::new();
        for p in records.chunks(piece.max(1)) {
            opener.update(p, &mut out)?;
        }
        opener.finish(&mut out)?;
        Ok(out)
    }

    /// AES-128-GCM done "elsewhere" (as WebCrypto would): the record of `chunk ‖ delimiter`.
    fn external_seal(key: &[u8; 16], nonce: [u8; 12], chunk: &[u8], last: bool) -> Vec<u8> {
        let mut buf = chunk.to_vec();
        buf.push(delimiter(last));
        let tag = Aes128Gcm::new(&(*key).into())
            .encrypt_inout_detached(&nonce.into(), &[], buf.as_mut_slice().into())
            .unwrap();
        buf.extend_from_slice(&tag);
        buf
    }

    fn external_open(key: &[u8; 16], nonce: [u8; 12], record: &[u8]) -> Option<Vec<u8>> {
        let body = record.len().checked_sub(TAG_LEN)?;
        let mut buf = record[..body].to_vec();
        let tag: [u8; TAG_LEN] = record[body..].try_into().ok()?;
        Aes128Gcm::new(&(*key).into())
            .decrypt_inout_detached(&nonce.into(), &[], buf.as_mut_slice().into(), &tag.into())
            .ok()?;
        Some(buf)
    }

    /// Opens `records` as a WebCrypto caller does: split at `rs`, decrypt each elsewhere,
    /// and let `accept_decrypted` decide what is released.
    fn external_open_all(records: &[u8], salt: &[u8; SALT_LEN], rs: u32) -> Result<Vec<u8>> {
        let mut opener = RecordOpener::new(RecordKeys::derive(&[1; 16], salt), rs, 1 << 20)?;
        let key = *opener.content_key();
        let mut out = Vec::new();
        let mut pieces = records.chunks(rs as usize).peekable();
        if records.is_empty() {
            return Err(Error::DecryptionFailed);
        }
        while let Some(record) = pieces.next() {
            let nonce = opener.next_nonce()?;
            let plain = external_open(&key, nonce, record).ok_or(Error::DecryptionFailed)?;
            let n = opener.accept_decrypted(&plain, pieces.peek().is_none())?;
            out.extend_from_slice(&plain[..n]);
        }
        if !opener.is_finished() {
            return Err(Error::DecryptionFailed);
        }
        Ok(out)
    }

    /// Opens `records` as the browser's in-place path does: split at `rs`, each record
    /// decrypted where it lies by `open_in_place`. Checks that a refused record holds no
    /// plaintext afterwards (its ciphertext or zeros).
    fn in_place_open_all(records: &[u8], salt: &[u8; SALT_LEN], rs: u32) -> Result<Vec<u8>> {
        let mut opener = RecordOpener::new(RecordKeys::derive(&[1; 16], salt), rs, 1 << 20)?;
        let mut out = Vec::new();
        if records.is_empty() {
            return Err(Error::DecryptionFailed);
        }
        let mut pieces = records.chunks(rs as usize).peekable();
        while let Some(record) = pieces.next() {
            let mut buf = record.to_vec();
            match opener.open_in_place(&mut buf, pieces.peek().is_none()) {
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => {
                    assert!(buf == record || buf[..buf.len() - TAG_LEN].iter().all(|&b| b == 0));
                    return Err(e);
                }
            }
        }
        if !opener.is_finished() {
            return Err(Error::DecryptionFailed);
        }
        Ok(out)
    }

    #[test]
    fn the_external_primitive_path_gives_the_same_bytes_and_verdicts() {
        let rs = 40;
        for len in [0usize, 1, 22, 23, 24, 46, 47, 100] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let (sealed, salt) = seal_all(&data, rs);
            // Sealing elsewhere with the core's nonces: byte-identical.
            let mut sealer = RecordSealer::new(RecordKeys::derive(&[1; 16], &salt), rs).unwrap();
            let key = *sealer.content_key();
            let n = sealer.chunk_len();
            let mut external = Vec::new();
            let chunks: Vec<&[u8]> = if data.is_empty() {
                vec![&[]]
            } else {
                data.chunks(n).collect()
            };
            for (i, chunk) in chunks.iter().enumerate() {
                let last = i + 1 == chunks.len();
                let nonce = sealer.next_nonce(chunk.len(), last).unwrap();
                external.extend_from_slice(&external_seal(&key, nonce, chunk, last));
            }
            assert!(sealer.is_finished());
            assert_eq!(external, sealed, "len {len}");
            assert_eq!(external_open_all(&sealed, &salt, rs).unwrap(), data);
            // Damage: both paths refuse alike.
            if sealed.len() > rs as usize {
                let cut = &sealed[..rs as usize];
                assert!(external_open_all(cut, &salt, rs).is_err());
                assert!(open_all(cut, &salt, rs, 7).is_err());
            }
            if sealed.len() >= 2 * rs as usize {
                let mut swapped = sealed[rs as usize..2 * rs as usize].to_vec();
                swapped.extend_from_slice(&sealed[..rs as usize]);
                swapped.extend_from_slice(&sealed[2 * rs as usize..]);
                if swapped != sealed {
                    assert!(external_open_all(&swapped, &salt, rs).is_err());
                }
            }
        }
    }

    #[test]
    fn the_external_path_keeps_the_length_and_order_rules() {
        let salt = [7u8; SALT_LEN];
        let mut sealer = RecordSealer::new(RecordKeys::derive(&[1; 16], &salt), 40).unwrap();
        // A chunk that is not last must be full; no chunk may be longer; nothing after last.
        assert!(sealer.next_nonce(22, false).is_err());
        assert!(sealer.next_nonce(24, true).is_err());
        sealer.next_nonce(23, false).unwrap();
        sealer.next_nonce(5, true).unwrap();
        assert!(sealer.next_nonce(0, true).is_err());

        let keys = || RecordKeys::derive(&[1; 16], &salt);
        // A record whose delimiter says "last" but is not at the end: nothing may follow.
        let mut opener = RecordOpener::new(keys(), 40, 1 << 20).unwrap();
        assert_eq!(opener.accept_decrypted(&[9, 9, 2], false).unwrap(), 2);
        assert!(opener.next_nonce().is_err());
        assert!(opener.accept_decrypted(&[9, 2], true).is_err());
        // A short record that is not last, a non-last record at the end, no delimiter,
        // a wrong delimiter: all refused.
        let full_not_last = {
            let mut p = vec![5u8; 23];
            p.push(1);
            p
        };
        let mut opener = RecordOpener::new(keys(), 40, 1 << 20).unwrap();
        assert!(opener.accept_decrypted(&[9, 1], false).is_err());
        let mut opener = RecordOpener::new(keys(), 40, 1 << 20).unwrap();
        assert!(opener.accept_decrypted(&full_not_last, true).is_err());
        let mut opener = RecordOpener::new(keys(), 40, 1 << 20).unwrap();
        assert!(opener.accept_decrypted(&[0, 0], true).is_err());
        let mut opener = RecordOpener::new(keys(), 40, 1 << 20).unwrap();
        assert!(opener.accept_decrypted(&[9, 3], true).is_err());
        // Padding after the delimiter is allowed (RFC 8188 §2).
        let mut opener = RecordOpener::new(keys(), 40, 1 << 20).unwrap();
        assert_eq!(opener.accept_decrypted(&[9, 2, 0, 0], true).unwrap(), 1);
        // Over the limit: TooLarge.
        let mut opener = RecordOpener::new(keys(), 40, 22).unwrap();
        assert!(matches!(
            opener.accept_decrypted(&full_not_last, false),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn in_place_refusal_after_decryption_leaves_zeros() {
        let salt = [7u8; SALT_LEN];
        let keys = || RecordKeys::derive(&[1; 16], &salt);
        let mut opener = RecordOpener::new(keys(), 40, 1 << 20).unwrap();
        let key = *opener.content_key();
        // A full record whose delimiter says "more follows", given as the stream's end.
        let mut record = external_seal(&key, opener.next_nonce().unwrap(), &[5u8; 23], false);
        assert_eq!(
            opener.open_in_place(&mut record, true),
            Err(Error::DecryptionFailed)
        );
        assert!(record[..24].iter().all(|&b| b == 0));
        // A short record that does not end the stream, and one longer than `rs`.
        let mut opener = RecordOpener::new(keys(), 40, 1 << 20).unwrap();
        let mut short = external_seal(&key, opener.next_nonce().unwrap(), &[5u8; 3], true);
        assert!(opener.open_in_place(&mut short, false).is_err());
        let mut opener = RecordOpener::new(keys(), 40, 1 << 20).unwrap();
        assert!(opener.open_in_place(&mut [0u8; 41], true).is_err());
        // Not mixed with `update`: bytes held by it refuse the in-place path.
        let mut opener = RecordOpener::new(keys(), 40, 1 << 20).unwrap();
        opener.update(&[1, 2, 3], &mut Vec::new()).unwrap();
        assert!(opener.open_in_place(&mut short.clone(), true).is_err());
    }

    #[test]
    fn round_trip_at_the_edges_and_damage_is_refused() {
        let rs = 40; // 23 bytes of plaintext per record
        for len in [0usize, 1, 22, 23, 24, 46, 47, 100] {
            let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let (records, salt) = seal_all(&data, rs);
            for piece in [1, 7, 40, 41, 1000] {
                assert_eq!(open_all(&records, &salt, rs, piece).unwrap(), data);
            }
            assert_eq!(in_place_open_all(&records, &salt, rs).unwrap(), data);
            // Truncated at every record boundary and in between.
            for cut in 0..records.len() {
                assert_eq!(
                    open_all(&records[..cut], &salt, rs, 9),
                    Err(Error::DecryptionFailed),
                    "len {len} cut {cut}"
                );
                assert_eq!(
                    in_place_open_all(&records[..cut], &salt, rs),
                    Err(Error::DecryptionFailed),
                    "len {len} cut {cut}"
                );
            }
            // Extended.
            let mut longer = records.clone();
            longer.push(0);
            assert_eq!(
                open_all(&longer, &salt, rs, 9),
                Err(Error::DecryptionFailed)
            );
            assert_eq!(
                in_place_open_all(&longer, &salt, rs),
                Err(Error::DecryptionFailed)
            );
            // Every bit of the first and the last byte of each record.
            for at in (0..records.len()).step_by(rs as usize / 2) {
                let mut bad = records.clone();
                bad[at] ^= 1;
                assert_eq!(open_all(&bad, &salt, rs, 9), Err(Error::DecryptionFailed));
                assert_eq!(
                    in_place_open_all(&bad, &salt, rs),
                    Err(Error::DecryptionFailed)
                );
            }
        }
    }

    #[test]
    fn reordered_duplicated_and_dropped_records_are_refused() {
        let rs = 40usize;
        let data = [9u8; 23 * 3 + 5];
        let (records, salt) = seal_all(&data, rs as u32);
        let r: Vec<&[u8]> = records.chunks(rs).collect();
        assert_eq!(r.len(), 4);
        for order in [[1, 0, 2, 3], [0, 0, 1, 2], [0, 2, 3, 3], [0, 1, 3, 3]] {
            let mixed: Vec<u8> = order.iter().flat_map(|&i| r[i].to_vec()).collect();
            assert_eq!(
                open_all(&mixed, &salt, rs as u32, 13),
                Err(Error::DecryptionFailed)
            );
            assert_eq!(
                in_place_open_all(&mixed, &salt, rs as u32),
                Err(Error::DecryptionFailed)
            );
        }
        let dropped: Vec<u8> = [r[0], r[1], r[3]].concat();
        assert_eq!(
            open_all(&dropped, &salt, rs as u32, 13),
            Err(Error::DecryptionFailed)
        );
        assert_eq!(
            in_place_open_all(&dropped, &salt, rs as u32),
            Err(Error::DecryptionFailed)
        );
    }

    #[test]
    fn limits_and_header_rules() {
        let (records, salt) = seal_all(&[5u8; 50], 40);
        let mut opener = RecordOpener::new(RecordKeys::derive(&[1; 16], &salt), 40, 49).unwrap();
        let mut out = Vec::new();
        let err = opener
            .update(&records, &mut out)
            .and_then(|()| opener.finish(&mut out).map(|_| ()));
        assert!(matches!(err, Err(Error::TooLarge { .. })));
        let mut h = body_header(&salt, 17);
        assert!(matches!(
            parse_body_header(&h),
            Err(Error::MalformedSmer(_))
        ));
        h = body_header(&salt, MAX_RECORD_SIZE + 1);
        assert!(matches!(parse_body_header(&h), Err(Error::TooLarge { .. })));
        h = body_header(&salt, 4096);
        h[20] = 1;
        assert!(matches!(
            parse_body_header(&h),
            Err(Error::MalformedSmer(_))
        ));
    }
}
