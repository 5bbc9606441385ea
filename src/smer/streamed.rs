//! The streamed SMeR (SPEC.md §7): CEDA for records of any size — the paper's SMeR with the
//! record encrypted chunk by chunk (RFC 8188 `aes128gcm`, [`super::ece`]) after a header
//! that wraps the content key for each authorized person exactly as SMeR v1 does.
//!
//! ```text
//! "SMeRS" ‖ 0x01 ‖ H (uint32 BE) ‖ header (H bytes of JSON) ‖ salt ‖ rs ‖ 0x00 ‖ records…
//! ```
//!
//! Pure: the caller reads and writes; [`StreamHead`] reads the head (everything before the
//! first record) and [`ece::RecordOpener`] the records, each released only once its tag
//! has been verified; the whole-buffer [`seal_streamed`] and [`open_streamed`] are for
//! tests and small inputs.

use rsa::rand_core::TryCryptoRng;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::ece::{self, RecordKeys, RecordOpener, RecordSealer, IKM_LEN, SALT_LEN};
use super::{
    parse_keys_part, protected_header, smer_header, KeysPart, Limits, Recipient, RecipientJson,
    SealOptions, SealPlan, SmerHeader, SMER_VERSION,
};
use crate::ceda::content::ContentEncryption;
use crate::ceda::{EncryptionPrivateKey, EncryptionPublicKey};
use crate::encoding::b64;
use crate::error::{Error, Result};

/// The first five bytes of every streamed SMeR.
pub const MAGIC: [u8; 5] = *b"SMeRS";
/// The container version this build reads and writes (the byte after [`MAGIC`]).
pub const STREAM_VERSION: u8 = 1;
/// Bytes before the header: magic, version, header length.
pub const PREFIX_LEN: usize = 10;
/// `enc` of a streamed SMeR: the HTTP content coding of RFC 8188.
pub const STREAM_ENC: &str = "aes128gcm";
/// `typ` of a streamed SMeR.
pub const STREAM_TYP: &str = "smer+stream";
/// Default largest record a reader accepts from a streamed SMeR: 1 TiB.
pub const DEFAULT_MAX_STREAMED_RECORD_BYTES: u64 = 1 << 40;
const KEY_COMMITMENT_LABEL: &[u8] = b"SEMRES streamed SMeR v1 key commitment";
const KEY_COMMITMENT_LEN: usize = 32;

/// Whether `bytes` begins like a streamed SMeR (its magic), rather than a SMeR v1 (JSON).
pub fn is_streamed(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

fn key_commitment(ikm: &[u8]) -> [u8; KEY_COMMITMENT_LEN] {
    use hmac::{Hmac, KeyInit, Mac};
    let mut out = [0u8; KEY_COMMITMENT_LEN];
    if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(ikm) {
        mac.update(KEY_COMMITMENT_LABEL);
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

/// The salt: the first 16 bytes of SHA-256 over everything before it.
fn salt_of(before: &[u8]) -> [u8; SALT_LEN] {
    let digest = Sha256::digest(before);
    let mut salt = [0u8; SALT_LEN];
    salt.copy_from_slice(&digest[..SALT_LEN]);
    salt
}

/// A streamed SMeR being sealed: the checks of SMeR v1's [`SealPlan`], a fresh 16-byte
/// input keying material (the content key every recipient unwraps) and the protected
/// header with its key commitment.
pub struct StreamSealPlan {
    plan: SealPlan,
    ikm: Zeroizing<Vec<u8>>,
    record_size: u32,
}

impl core::fmt::Debug for StreamSealPlan {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print the content key.
        write!(f, "StreamSealPlan(rs {})", self.record_size)
    }
}

impl StreamSealPlan {
    /// Checks the recipients and `options` as [`SealPlan::new`] does (`options.enc` is not
    /// used: records are AES-128-GCM) and draws the content key from `rng`. `record_size`
    /// is RFC 8188's `rs` ([`ece::DEFAULT_RECORD_SIZE`] unless testing).
    pub fn new<R: TryCryptoRng + ?Sized>(
        rng: &mut R,
        recipients: &[&EncryptionPublicKey],
        options: &SealOptions,
        limits: &Limits,
        record_size: u32,
    ) -> Result<Self> {
        if !(ece::MIN_RECORD_SIZE..=ece::MAX_RECORD_SIZE).contains(&record_size) {
            return Err(Error::InvalidInput("record size out of range"));
        }
        let mut ikm = Zeroizing::new(vec![0u8; IKM_LEN]);
        rng.try_fill_bytes(&mut ikm)
            .map_err(|_| Error::RandomnessUnavailable)?;
        let commitment = b64::encode(&key_commitment(&ikm));
        let protected = protected_header(
            rng,
            recipients,
            options,
            STREAM_ENC,
            STREAM_TYP,
            &[("kc", Value::String(commitment))],
            limits,
        )?;
        // `enc` of the inner plan is never written: the protected header above names aes128gcm.
        let plan = SealPlan::from_parts(
            ContentEncryption::A128CbcHs256,
            protected,
            ikm.clone(),
            recipients,
        );
        Ok(StreamSealPlan {
            plan,
            ikm,
            record_size,
        })
    }

    /// Wraps the content key for every recipient here (RSA-OAEP-256, seeds from `rng`).
    pub fn wrap_all<R: TryCryptoRng + ?Sized>(&mut self, rng: &mut R) -> Result<()> {
        self.plan.wrap_all(rng)
    }

    /// How many recipients.
    pub fn recipient_count(&self) -> usize {
        self.plan.recipient_count()
    }

    /// Recipient `index`'s RSA public key as SPKI DER, to wrap the content key elsewhere.
    pub fn recipient_spki(&self, index: usize) -> Result<Vec<u8>> {
        self.plan.recipient_spki(index)
    }

    /// Recipient `index`'s wrapped content key, computed elsewhere (as [`SealPlan`]).
    pub fn set_encrypted_key(&mut self, index: usize, encrypted_key: Vec<u8>) -> Result<()> {
        self.plan.set_encrypted_key(index, encrypted_key)
    }

    /// The content key (RFC 8188's input keying material, 16 bytes). Secret.
    pub fn content_key(&self) -> &[u8] {
        &self.ikm
    }

    /// The head of the SMeR — everything before the first record — and the sealer of its
    /// records (their keys derive from the content key and the head's salt). Every
    /// recipient's wrapped key must be set.
    pub fn start(&self) -> Result<(Vec<u8>, RecordSealer)> {
        let mut header = Vec::new();
        self.plan.write_keys_part(&mut header)?;
        header.push(b'}');
        let len = u32::try_from(header.len())
            .map_err(|_| Error::InvalidInput("the header is too long"))?;
        let mut head = Vec::with_capacity(PREFIX_LEN + header.len() + ece::BODY_HEADER_LEN);
        head.extend_from_slice(&MAGIC);
        head.push(STREAM_VERSION);
        head.extend_from_slice(&len.to_be_bytes());
        head.extend_from_slice(&header);
        let salt = salt_of(&head);
        head.extend_from_slice(&ece::body_header(&salt, self.record_size));
        let sealer = RecordSealer::new(RecordKeys::derive(&self.ikm, &salt), self.record_size)?;
        Ok((head, sealer))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StreamHeaderJson<'a> {
    #[serde(borrow)]
    protected: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    recipients: Vec<RecipientJson<'a>>,
}

/// The head of a streamed SMeR, checked (SPEC.md §7.4 steps 1–7): nothing decrypted yet.
#[derive(Debug, Clone)]
pub struct StreamHead {
    header: SmerHeader,
    recipients: Vec<Recipient>,
    commitment: [u8; KEY_COMMITMENT_LEN],
    salt: [u8; SALT_LEN],
    record_size: u32,
    len: usize,
}

impl StreamHead {
    /// From the first [`PREFIX_LEN`] bytes: the length of the whole head (prefix, header and
    /// the record layer's header), so that a reader knows how much to read before
    /// [`StreamHead::parse`]. Not the magic → `MalformedSmer`; another version →
    /// `UnsupportedVersion`; a header over the outline limit → `TooLarge`.
    pub fn head_len(prefix: &[u8], limits: &Limits) -> Result<usize> {
        let prefix = prefix.get(..PREFIX_LEN).ok_or(Error::MalformedSmer(
            "a streamed SMeR is shorter than its prefix",
        ))?;
        if !is_streamed(prefix) {
            return Err(Error::MalformedSmer("not a streamed SMeR"));
        }
        let version = prefix[MAGIC.len()];
        if version != STREAM_VERSION {
            return Err(Error::UnsupportedVersion(u64::from(version)));
        }
        let mut len = [0u8; 4];
        len.copy_from_slice(&prefix[6..PREFIX_LEN]);
        let len = usize::try_from(u32::from_be_bytes(len)).unwrap_or(usize::MAX);
        if len > limits.max_outline_bytes() {
            return Err(Error::TooLarge {
                what: "SMeR headers and recipients",
                limit: limits.max_outline_bytes(),
            });
        }
        if len == 0 {
            return Err(Error::MalformedSmer("the header is empty"));
        }
        Ok(PREFIX_LEN + len + ece::BODY_HEADER_LEN)
    }

    /// Parses the head from `bytes`, which begin with it (what follows is ignored here).
    /// Too short → `MalformedSmer`.
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Self> {
        let len = Self::head_len(bytes, limits)?;
        let head = bytes.get(..len).ok_or(Error::MalformedSmer(
            "a streamed SMeR is shorter than its head",
        ))?;
        let header_end = len - ece::BODY_HEADER_LEN;
        let json: StreamHeaderJson<'_> = serde_json::from_slice(&head[PREFIX_LEN..header_end])
            .map_err(|_| Error::MalformedSmer("the header is not the JSON of §7.2"))?;
        let KeysPart {
            protected,
            version,
            recipients,
            ..
        } = parse_keys_part(
            &json.protected,
            &Default::default(),
            &json.recipients,
            limits,
            |name| (name == STREAM_ENC).then_some(()),
            "enc of a streamed SMeR must be aes128gcm",
        )?;
        if version != Some(SMER_VERSION) {
            return Err(Error::MalformedSmer("a streamed SMeR states smer: 1"));
        }
        if recipients.iter().any(|r| r.key_id.is_none()) {
            return Err(Error::MalformedSmer(
                "every recipient of a streamed SMeR has a kid",
            ));
        }
        let commitment = match protected.get("kc") {
            Some(Value::String(text)) => b64::decode(text)
                .and_then(|bytes| <[u8; KEY_COMMITMENT_LEN]>::try_from(bytes).ok())
                .ok_or(Error::MalformedSmer("kc is not 32 bytes of base64url"))?,
            Some(_) => return Err(Error::MalformedSmer("kc is not a string")),
            None => return Err(Error::MalformedSmer("a streamed SMeR has no kc")),
        };
        let header = smer_header(&protected, version)?;
        let mut body_header = [0u8; ece::BODY_HEADER_LEN];
        body_header.copy_from_slice(&head[header_end..]);
        let (salt, record_size) = ece::parse_body_header(&body_header)?;
        if salt != salt_of(&head[..header_end]) {
            return Err(Error::MalformedSmer(
                "the salt is not the hash of the header",
            ));
        }
        Ok(StreamHead {
            header,
            recipients,
            commitment,
            salt,
            record_size,
            len,
        })
    }

    /// The metadata (authenticated once the first record has opened).
    pub fn header(&self) -> &SmerHeader {
        &self.header
    }

    /// The recipients, in document order.
    pub fn recipients(&self) -> &[Recipient] {
        &self.recipients
    }

    /// The head's length: the records start here.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Never true: a head holds at least its prefix.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// RFC 8188's record size.
    pub fn record_size(&self) -> u32 {
        self.record_size
    }

    /// The wrapped content key of the recipient whose `kid` is `key_id`
    /// (`NoMatchingRecipient` when none is).
    pub fn encrypted_key_for(&self, key_id: &str) -> Result<&[u8]> {
        self.recipients
            .iter()
            .find(|r| r.key_id.as_deref() == Some(key_id))
            .map(|r| r.encrypted_key.as_slice())
            .ok_or(Error::NoMatchingRecipient)
    }

    /// The record opener for a content key unwrapped by the caller: refused
    /// (`DecryptionFailed`) unless it is 16 bytes and matches the header's key commitment
    /// (constant-time). `max_record` bounds the plaintext.
    pub fn opener(&self, ikm: &[u8], max_record: u64) -> Result<RecordOpener> {
        if ikm.len() != IKM_LEN || !bool::from(key_commitment(ikm).ct_eq(&self.commitment)) {
            return Err(Error::DecryptionFailed);
        }
        RecordOpener::new(
            RecordKeys::derive(ikm, &self.salt),
            self.record_size,
            max_record,
        )
    }

    /// Unwraps the content key with `key` (RSA-OAEP-256, `rng` blinds) and returns the
    /// record opener. Every failure after the private-key operation is `DecryptionFailed`.
    pub fn open_with<R: TryCryptoRng + ?Sized>(
        &self,
        key: &EncryptionPrivateKey,
        rng: &mut R,
        max_record: u64,
    ) -> Result<RecordOpener> {
        let wrapped = self.encrypted_key_for(key.key_id())?;
        let ikm = key
            .unwrap_key(rng, wrapped)
            .map_err(|_| Error::DecryptionFailed)?;
        self.opener(&ikm, max_record)
    }
}

/// A streamed SMeR checked piece by piece as it arrives (DERy's upload check, SPEC §7.5):
/// the head is held (it is bounded by the limits) and parsed as [`StreamHead::parse`] does;
/// of the records, whose content only a recipient can check, the length is: at most
/// `max_bytes` in all, and a whole number of `rs`-byte records followed by a last record of
/// at least 17 bytes (or ending on a full one). Memory is bounded by the limits whatever
/// the size.
pub struct StreamedCheck {
    limits: Limits,
    max_bytes: u64,
    total: u64,
    head: Vec<u8>,
    head_len: Option<usize>,
    parsed: Option<StreamHead>,
}

impl core::fmt::Debug for StreamedCheck {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "StreamedCheck({} bytes)", self.total)
    }
}

impl StreamedCheck {
    /// A new check: `limits` for the head, `max_bytes` for the whole streamed SMeR.
    pub fn new(limits: &Limits, max_bytes: u64) -> Self {
        StreamedCheck {
            limits: *limits,
            max_bytes,
            total: 0,
            head: Vec::new(),
            head_len: None,
            parsed: None,
        }
    }

    /// Takes the next bytes. Refuses as soon as the bytes so far cannot begin a streamed SMeR
    /// (`MalformedSmer`, `UnsupportedVersion`) or are over `max_bytes` (`TooLarge`).
    pub fn update(&mut self, mut bytes: &[u8]) -> Result<()> {
        let n = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        self.total = self.total.saturating_add(n);
        if self.total > self.max_bytes {
            return Err(Error::TooLarge {
                what: "streamed SMeR",
                limit: usize::try_from(self.max_bytes).unwrap_or(usize::MAX),
            });
        }
        while self.parsed.is_none() && !bytes.is_empty() {
            let want = self.head_len.unwrap_or(PREFIX_LEN);
            let take = want.saturating_sub(self.head.len()).min(bytes.len());
            self.head.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.head.len() < want {
                break;
            }
            match self.head_len {
                None => {
                    if !is_streamed(&self.head) {
                        return Err(Error::MalformedSmer("not a streamed SMeR"));
                    }
                    self.head_len = Some(StreamHead::head_len(&self.head, &self.limits)?);
                }
                Some(_) => {
                    self.parsed = Some(StreamHead::parse(&self.head, &self.limits)?);
                    self.head = Vec::new();
                }
            }
        }
        Ok(())
    }

    /// Bytes seen so far.
    pub fn len(&self) -> u64 {
        self.total
    }

    /// True before any byte was seen.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The whole streamed SMeR has been fed: its head, and the length of its records.
    pub fn finish(self) -> Result<(StreamHead, u64)> {
        let head = self.parsed.ok_or(Error::MalformedSmer(
            "a streamed SMeR is shorter than its head",
        ))?;
        let records = self
            .total
            .saturating_sub(u64::try_from(head.len()).unwrap_or(u64::MAX));
        let rs = u64::from(head.record_size);
        let min_last = u64::try_from(ece::TAG_LEN + 1).unwrap_or(u64::MAX);
        let rest = records % rs;
        if records < min_last || (rest != 0 && rest < min_last) {
            return Err(Error::MalformedSmer(
                "the records of a streamed SMeR do not end with a whole last record",
            ));
        }
        Ok((head, records))
    }
}

/// Seals `record` whole as a streamed SMeR with records of `record_size` (tests, vectors,
/// small inputs; a caller with a large record uses [`StreamSealPlan`] chunk by chunk).
pub fn seal_streamed<R: TryCryptoRng + ?Sized>(
    rng: &mut R,
    record: &[u8],
    recipients: &[&EncryptionPublicKey],
    options: &SealOptions,
    limits: &Limits,
    record_size: u32,
) -> Result<Vec<u8>> {
    let mut plan = StreamSealPlan::new(rng, recipients, options, limits, record_size)?;
    plan.wrap_all(rng)?;
    let (mut out, mut sealer) = plan.start()?;
    let mut chunks = record.chunks(sealer.chunk_len()).peekable();
    if record.is_empty() {
        sealer.seal(&[], true, &mut out)?;
    }
    while let Some(chunk) = chunks.next() {
        sealer.seal(chunk, chunks.peek().is_none(), &mut out)?;
    }
    Ok(out)
}

/// Opens a whole streamed SMeR held in memory: its metadata and the record.
pub fn open_streamed<R: TryCryptoRng + ?Sized>(
    smer: &[u8],
    key: &EncryptionPrivateKey,
    rng: &mut R,
    limits: &Limits,
    max_record: u64,
) -> Result<(SmerHeader, Zeroizing<Vec<u8>>)> {
    let head = StreamHead::parse(smer, limits)?;
    let mut opener = head.open_with(key, rng, max_record)?;
    let mut out = Zeroizing::new(Vec::new());
    opener.update(&smer[head.len()..], &mut out)?;
    opener.finish(&mut out)?;
    Ok((head.header, out))
}
