//! SMeR v1 (paper §3.2, "Secured encrypted Medical Record"): the CEDA output, profiled as a
//! JWE (RFC 7516) in JSON General Serialization with `RSA-OAEP-256` key wrapping and
//! `A256CBC-HS512` / `A128CBC-HS256` content encryption. SPEC.md §2 is the normative text;
//! this module is its implementation: [`seal`], [`ParsedSmer::parse`], [`ParsedSmer::open`],
//! its hash, the value DERy and the ledger hold, is [`crate::dery::smer_hash`].

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use rsa::rand_core::TryCryptoRng;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use zeroize::Zeroizing;

use crate::ceda::content::{self, ContentEncryption, IV_LEN};
use crate::ceda::{EncryptionPrivateKey, EncryptionPublicKey};
use crate::encoding::b64;
use crate::error::{Error, Result};

/// The SMeR format version this build writes and reads (`smer` protected header parameter).
pub const SMER_VERSION: u64 = 1;
/// The `typ` we write.
pub const SMER_TYP: &str = "smer+jwe";
/// The only key-management algorithm allowed.
pub const KEY_ALG: &str = "RSA-OAEP-256";
/// Default limit on the record (plaintext) size: 256 MiB.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 256 * 1024 * 1024;
/// Default limit on the number of recipients.
pub const DEFAULT_MAX_RECIPIENTS: usize = 64;
/// Default limit on the decoded protected header.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 16 * 1024;
/// Largest `encrypted_key` accepted: an RSA-4096 ciphertext.
const MAX_ENCRYPTED_KEY_BYTES: usize = 512;
/// Allowance for everything in a SMeR but the ciphertext, per recipient and overall.
const OVERHEAD_PER_RECIPIENT: usize = 1024;
const OVERHEAD_FIXED: usize = 64 * 1024;

pub mod ece;
mod stream;
pub mod streamed;

pub use stream::{SmerOutline, SmerStream};

/// Size limits applied when sealing and opening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest record (plaintext) in bytes.
    pub max_record_bytes: usize,
    /// Most recipients in one SMeR.
    pub max_recipients: usize,
    /// Largest decoded protected header in bytes.
    pub max_header_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            max_recipients: DEFAULT_MAX_RECIPIENTS,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
        }
    }
}

impl Limits {
    /// Largest SMeR document (bytes) these limits admit: the base64url ciphertext of the
    /// largest record plus a fixed allowance for headers, IV, tag and recipients.
    pub fn max_smer_bytes(&self) -> usize {
        b64::encoded_len(content::ciphertext_len(self.max_record_bytes))
            .saturating_add(self.max_outline_bytes())
    }

    /// Largest part of a SMeR document that is not its ciphertext (headers, recipients, IV,
    /// tag, the JSON around them).
    pub fn max_outline_bytes(&self) -> usize {
        self.max_header_bytes
            .saturating_mul(2)
            .saturating_add(self.max_recipients.saturating_mul(OVERHEAD_PER_RECIPIENT))
            .saturating_add(OVERHEAD_FIXED)
    }
}

/// What the owner states about a record when sealing it. All of it goes into the
/// protected header, so it is authenticated but **not** confidential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealOptions {
    /// Content encryption; `A256CBC-HS512` by default.
    pub enc: ContentEncryption,
    /// Media type of the record (`cty`), e.g. `application/xml`, `application/fhir+json`.
    pub content_type: String,
    /// Record id (`rid`); `None` draws 128 random bits.
    pub record_id: Option<String>,
    /// Key id of the record's owner (`own`).
    pub owner_key_id: String,
    /// Creation time (`iat`), seconds since the Unix epoch. The core reads no clock.
    pub created_at: i64,
    /// Original file name (`fn`), without any directory part.
    pub file_name: Option<String>,
}

impl SealOptions {
    /// Options with the defaults: `A256CBC-HS512`, random record id, no file name.
    pub fn new(
        content_type: impl Into<String>,
        owner_key_id: impl Into<String>,
        created_at: i64,
    ) -> Self {
        SealOptions {
            enc: ContentEncryption::A256CbcHs512,
            content_type: content_type.into(),
            record_id: None,
            owner_key_id: owner_key_id.into(),
            created_at,
            file_name: None,
        }
    }
}

/// The authenticated metadata of a SMeR, as read from its headers. Every field is
/// optional because a standard JWE from another JOSE library need not carry them.
/// Values are untrusted text: display them escaped, never as HTML.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SmerHeader {
    /// `smer` format version, when present (always 1 here).
    pub version: Option<u64>,
    /// `typ`.
    pub typ: Option<String>,
    /// `cty`: media type of the record.
    pub content_type: Option<String>,
    /// `rid`: record id.
    pub record_id: Option<String>,
    /// `own`: owner's key id.
    pub owner_key_id: Option<String>,
    /// `iat`: creation time, Unix seconds.
    pub created_at: Option<i64>,
    /// `fn`: original file name.
    pub file_name: Option<String>,
}

/// One recipient of a parsed SMeR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// `kid` from the recipient's merged header, if any.
    pub key_id: Option<String>,
    encrypted_key: Vec<u8>,
}

/// A SMeR that passed every structural check of SPEC.md §2.4 (nothing decrypted yet).
#[derive(Debug, Clone)]
pub struct ParsedSmer {
    enc: ContentEncryption,
    header: SmerHeader,
    recipients: Vec<Recipient>,
    aad: Vec<u8>,
    iv: Vec<u8>,
    /// Empty when the ciphertext was left in the document (`outside`).
    ciphertext: Vec<u8>,
    tag: Vec<u8>,
    outside: Option<CiphertextSpan>,
}

/// Where a SMeR's ciphertext lies in the document [`ParsedSmer::parse_leaving_ciphertext`]
/// read, checked as canonical base64url but not decoded: `smer[start..end]` is its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CiphertextSpan {
    /// Offset of its first character in the document.
    pub start: usize,
    /// Offset just after its last character.
    pub end: usize,
    /// Its decoded length in bytes.
    pub decoded_len: usize,
}

/// What [`ParsedSmer::parse_inner`] does with the ciphertext member.
enum CiphertextMode {
    /// Decodes it.
    Decode,
    /// It was checked as it streamed past ([`SmerStream`]) and left out of the document.
    Streamed(stream::StreamedCiphertext),
    /// Checks it and leaves it in the document ([`ParsedSmer::parse_leaving_ciphertext`]).
    Locate,
}

/// A decrypted record with the SMeR metadata that authenticated it.
pub struct OpenedRecord {
    /// The record bytes; wiped from memory on drop.
    pub record: Zeroizing<Vec<u8>>,
    /// The SMeR's authenticated header.
    pub header: SmerHeader,
    /// The content encryption used.
    pub enc: ContentEncryption,
}

impl core::fmt::Debug for OpenedRecord {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print record content.
        write!(
            f,
            "OpenedRecord({} bytes, {:?})",
            self.record.len(),
            self.header
        )
    }
}

fn is_id_text(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn is_media_type(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.contains('/')
        && s.bytes().all(|b| (0x21..0x7f).contains(&b) || b == b' ')
}

fn is_file_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && !s.chars().any(|c| c.is_control() || c == '/' || c == '\\')
        && s != "."
        && s != ".."
}

fn fill_random<R: TryCryptoRng + ?Sized>(rng: &mut R, buf: &mut [u8]) -> Result<()> {
    rng.try_fill_bytes(buf)
        .map_err(|_| Error::RandomnessUnavailable)
}

/// Checks the recipients and the owner's statements and writes the protected header
/// (SPEC.md §2.2; the same for the streamed SMeR, §7.2, with its own `enc` and `typ`):
/// returns its base64url. Draws a record id from `rng` when the options give none.
pub(crate) fn protected_header<R: TryCryptoRng + ?Sized>(
    rng: &mut R,
    recipients: &[&EncryptionPublicKey],
    options: &SealOptions,
    enc_name: &str,
    typ: &str,
    extra: &[(&str, Value)],
    limits: &Limits,
) -> Result<String> {
    if recipients.is_empty() {
        return Err(Error::InvalidInput("a SMeR needs at least one recipient"));
    }
    if recipients.len() > limits.max_recipients {
        return Err(Error::TooLarge {
            what: "recipient count",
            limit: limits.max_recipients,
        });
    }
    let mut seen = BTreeSet::new();
    if !recipients.iter().all(|r| seen.insert(r.key_id())) {
        return Err(Error::InvalidInput("the same recipient is listed twice"));
    }
    if !is_media_type(&options.content_type) {
        return Err(Error::InvalidInput("content type is not a media type"));
    }
    if !is_id_text(&options.owner_key_id) {
        return Err(Error::InvalidInput(
            "owner key id must be 1-128 characters of A-Z a-z 0-9 - _ . :",
        ));
    }
    let record_id = match &options.record_id {
        Some(id) if is_id_text(id) => id.clone(),
        Some(_) => {
            return Err(Error::InvalidInput(
                "record id must be 1-128 characters of A-Z a-z 0-9 - _ . :",
            ))
        }
        None => {
            let mut id = [0u8; 16];
            fill_random(rng, &mut id)?;
            b64::encode(&id)
        }
    };
    if let Some(name) = &options.file_name {
        if !is_file_name(name) {
            return Err(Error::InvalidInput(
                "file name must be 1-255 bytes without control characters or path separators",
            ));
        }
    }

    let mut header = serde_json::Map::new();
    header.insert("alg".into(), KEY_ALG.into());
    header.insert("enc".into(), enc_name.into());
    header.insert("typ".into(), typ.into());
    header.insert("cty".into(), options.content_type.clone().into());
    header.insert("smer".into(), SMER_VERSION.into());
    header.insert("rid".into(), record_id.into());
    header.insert("own".into(), options.owner_key_id.clone().into());
    header.insert("iat".into(), options.created_at.into());
    if let Some(name) = &options.file_name {
        header.insert("fn".into(), name.clone().into());
    }
    for (name, value) in extra {
        header.insert((*name).into(), value.clone());
    }
    let header_json = Value::Object(header).to_string();
    if header_json.len() > limits.max_header_bytes {
        return Err(Error::TooLarge {
            what: "protected header",
            limit: limits.max_header_bytes,
        });
    }
    Ok(b64::encode(header_json.as_bytes()))
}

/// CEDA: seals `record` for `recipients` (paper Fig. 2 steps 1–7) and returns the SMeR bytes.
///
/// A fresh random CEK and IV are drawn from `rng`; the CEK is wrapped with RSA-OAEP-256
/// for each recipient, whose `kid` is its RFC 7638 thumbprint.
pub fn seal<R: TryCryptoRng + ?Sized>(
    rng: &mut R,
    record: &[u8],
    recipients: &[&EncryptionPublicKey],
    options: &SealOptions,
    limits: &Limits,
) -> Result<Vec<u8>> {
    let mut plan = SealPlan::new(rng, record.len(), recipients, options, limits)?;
    plan.wrap_all(rng)?;
    let sealed = content::encrypt(plan.enc, &plan.cek, &plan.iv, plan.aad(), record)?;
    plan.finish(&sealed.ciphertext, &sealed.tag)
}

/// A SMeR being sealed: the options checked, the protected header built, a fresh CEK and IV
/// drawn. [`seal`] wraps the CEK for every recipient ([`SealPlan::wrap_all`]) and finishes
/// with the core's AES-CBC and HMAC; a caller may instead do the RSA-OAEP-256 wraps
/// ([`SealPlan::recipient_spki`], [`SealPlan::set_encrypted_key`]) and compute the ciphertext
/// and tag elsewhere (the browser's WebCrypto, with [`SealPlan::content_key`],
/// [`SealPlan::iv`] and [`SealPlan::aad`], RFC 7518 §5.2.2) and give them to
/// [`SealPlan::finish`] — the same bytes for the same key and IV.
pub struct SealPlan {
    enc: ContentEncryption,
    protected: String,
    cek: Zeroizing<Vec<u8>>,
    iv: [u8; IV_LEN],
    recipients: Vec<EncryptionPublicKey>,
    wrapped: Vec<Option<Vec<u8>>>,
    record_len: usize,
}

impl core::fmt::Debug for SealPlan {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print the content key.
        write!(f, "SealPlan({:?}, {} bytes)", self.enc, self.record_len)
    }
}

impl SealPlan {
    /// Checks everything about a SMeR of a `record_len`-byte record for `recipients` with
    /// `options` (the checks and errors of [`seal`]) and draws the CEK and IV from `rng`.
    pub fn new<R: TryCryptoRng + ?Sized>(
        rng: &mut R,
        record_len: usize,
        recipients: &[&EncryptionPublicKey],
        options: &SealOptions,
        limits: &Limits,
    ) -> Result<Self> {
        if record_len > limits.max_record_bytes {
            return Err(Error::TooLarge {
                what: "record",
                limit: limits.max_record_bytes,
            });
        }
        let protected = protected_header(
            rng,
            recipients,
            options,
            options.enc.name(),
            SMER_TYP,
            &[],
            limits,
        )?;

        let mut cek = Zeroizing::new(vec![0u8; options.enc.cek_len()]);
        fill_random(rng, &mut cek)?;
        let mut iv = [0u8; IV_LEN];
        fill_random(rng, &mut iv)?;
        Ok(SealPlan {
            enc: options.enc,
            protected,
            cek,
            iv,
            recipients: recipients.iter().map(|r| (*r).clone()).collect(),
            wrapped: vec![None; recipients.len()],
            record_len,
        })
    }

    /// Wraps the CEK for every recipient here (RSA-OAEP-256, seeds from `rng`).
    pub fn wrap_all<R: TryCryptoRng + ?Sized>(&mut self, rng: &mut R) -> Result<()> {
        for (recipient, wrapped) in self.recipients.iter().zip(self.wrapped.iter_mut()) {
            *wrapped = Some(recipient.wrap_key(rng, &self.cek)?);
        }
        Ok(())
    }

    /// How many recipients.
    pub fn recipient_count(&self) -> usize {
        self.recipients.len()
    }

    /// Recipient `index`'s RSA public key as SPKI DER, to wrap the CEK with elsewhere.
    pub fn recipient_spki(&self, index: usize) -> Result<Vec<u8>> {
        self.recipients
            .get(index)
            .ok_or(Error::InvalidInput("no such recipient"))?
            .to_spki_der()
    }

    /// Recipient `index`'s wrapped CEK (RSA-OAEP-256 with SHA-256, MGF1-SHA-256, empty label),
    /// computed elsewhere. Refused (`InvalidInput`) unless it is as long as the recipient's
    /// modulus; its correctness is the caller's (only the recipient can check it).
    pub fn set_encrypted_key(&mut self, index: usize, encrypted_key: Vec<u8>) -> Result<()> {
        let recipient = self
            .recipients
            .get(index)
            .ok_or(Error::InvalidInput("no such recipient"))?;
        if encrypted_key.len() != recipient.bits().div_ceil(8) {
            return Err(Error::InvalidInput(
                "a wrapped key is as long as the recipient's modulus",
            ));
        }
        if let Some(slot) = self.wrapped.get_mut(index) {
            *slot = Some(encrypted_key);
        }
        Ok(())
    }

    /// The content encryption.
    pub fn enc(&self) -> ContentEncryption {
        self.enc
    }

    /// The content-encryption key: the MAC key, then the AES key (RFC 7518 §5.2.2.1). Secret.
    pub fn content_key(&self) -> &[u8] {
        &self.cek
    }

    /// The IV.
    pub fn iv(&self) -> &[u8; IV_LEN] {
        &self.iv
    }

    /// The additional authenticated data: the ASCII of the base64url protected header.
    pub fn aad(&self) -> &[u8] {
        self.protected.as_bytes()
    }

    /// The SMeR, with the AES-CBC `ciphertext` (PKCS#7) of the record and its truncated HMAC
    /// `tag`. Refuses (`InvalidInput`) a ciphertext whose length is not that of the record
    /// announced, or a tag of the wrong length.
    pub fn finish(&self, ciphertext: &[u8], tag: &[u8]) -> Result<Vec<u8>> {
        let (mut out, tail) = self.finish_around(ciphertext.len(), tag)?;
        out.reserve(b64::encoded_len(ciphertext.len()) + tail.len());
        b64::encode_into(ciphertext, &mut out)
            .ok_or(Error::InvalidInput("base64url encoding failed"))?;
        out.extend_from_slice(&tail);
        Ok(out)
    }

    /// [`SealPlan::finish`] without the ciphertext's base64url: the SMeR's bytes before it
    /// and after it, for a caller that encodes the ciphertext itself (the browser's native
    /// base64); the SMeR is `head ‖ base64url(ciphertext) ‖ tail`. The same checks.
    pub fn finish_around(&self, ciphertext_len: usize, tag: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
        let head = self.finish_head(ciphertext_len)?;
        Ok((head, self.finish_tail(tag)?))
    }

    /// The SMeR's bytes before the ciphertext's base64url (they do not depend on the tag),
    /// for a caller that writes the ciphertext's text while it encrypts, before the tag is
    /// known. Refuses (`InvalidInput`) a ciphertext length that is not the record's, or a
    /// recipient without a wrapped key.
    pub fn finish_head(&self, ciphertext_len: usize) -> Result<Vec<u8>> {
        if ciphertext_len != content::ciphertext_len(self.record_len) {
            return Err(Error::InvalidInput(
                "the ciphertext is not the length of the record announced",
            ));
        }
        // Member order and absence of whitespace are fixed (SPEC.md §2.2); every value is
        // base64url, so no JSON escaping is ever needed.
        let mut out = Vec::with_capacity(self.protected.len() + self.wrapped.len() * 800 + 256);
        self.write_keys_part(&mut out)?;
        out.extend_from_slice(b",\"iv\":\"");
        b64::encode_into(&self.iv, &mut out)
            .ok_or(Error::InvalidInput("base64url encoding failed"))?;
        out.extend_from_slice(b"\",\"ciphertext\":\"");
        Ok(out)
    }

    /// The SMeR's bytes after the ciphertext's base64url: the truncated HMAC `tag`
    /// (`InvalidInput` for a tag of the wrong length) and the closing brace.
    pub fn finish_tail(&self, tag: &[u8]) -> Result<Vec<u8>> {
        if tag.len() != self.enc.tag_len() {
            return Err(Error::InvalidInput("the tag has the wrong length"));
        }
        let mut tail = Vec::with_capacity(self.tail_len());
        tail.extend_from_slice(b"\",\"tag\":\"");
        b64::encode_into(tag, &mut tail).ok_or(Error::InvalidInput("base64url encoding failed"))?;
        tail.extend_from_slice(b"\"}");
        Ok(tail)
    }

    /// The length of [`SealPlan::finish_tail`]'s bytes (known before the tag is).
    pub fn tail_len(&self) -> usize {
        b"\",\"tag\":\"".len() + b64::encoded_len(self.enc.tag_len()) + b"\"}".len()
    }

    /// The HMAC of this SMeR's content (RFC 7518 §5.2.2.1) to be fed its ciphertext a piece
    /// at a time, already fed `AAD ‖ IV`; its output's first half is the tag.
    pub fn content_mac(&self) -> Result<content::ContentMac> {
        content::ContentMac::new(self.enc, &self.cek, self.aad(), &self.iv)
    }

    /// Writes `{"protected":"…","recipients":[…]` (no closing brace): the start of a SMeR
    /// v1 document and of a streamed SMeR's header (SPEC.md §2.2, §7.2).
    pub(crate) fn write_keys_part(&self, out: &mut Vec<u8>) -> Result<()> {
        if self.wrapped.iter().any(Option::is_none) {
            return Err(Error::InvalidInput("a recipient's wrapped key is missing"));
        }
        let encode_failed = || Error::InvalidInput("base64url encoding failed");
        out.extend_from_slice(b"{\"protected\":\"");
        out.extend_from_slice(self.protected.as_bytes());
        out.extend_from_slice(b"\",\"recipients\":[");
        let wrapped = self.recipients.iter().zip(self.wrapped.iter().flatten());
        for (i, (recipient, encrypted_key)) in wrapped.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"header\":{\"kid\":\"");
            out.extend_from_slice(recipient.key_id().as_bytes());
            out.extend_from_slice(b"\"},\"encrypted_key\":\"");
            b64::encode_into(encrypted_key, out).ok_or_else(encode_failed)?;
            out.extend_from_slice(b"\"}");
        }
        out.push(b']');
        Ok(())
    }

    /// A plan around a protected header and content key made by another profile (the
    /// streamed SMeR, which has no IV and no announced length).
    pub(crate) fn from_parts(
        enc: ContentEncryption,
        protected: String,
        cek: Zeroizing<Vec<u8>>,
        recipients: &[&EncryptionPublicKey],
    ) -> Self {
        SealPlan {
            enc,
            protected,
            cek,
            iv: [0; IV_LEN],
            recipients: recipients.iter().map(|r| (*r).clone()).collect(),
            wrapped: vec![None; recipients.len()],
            record_len: 0,
        }
    }
}

/// A JSON object whose member names are unique (RFC 7516 §4 requires rejecting duplicates).
#[derive(Debug, Default)]
pub(crate) struct UniqueObject(pub(crate) BTreeMap<String, Value>);

impl<'de> Deserialize<'de> for UniqueObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> core::result::Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = UniqueObject;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> core::result::Result<UniqueObject, A::Error> {
                let mut out = BTreeMap::new();
                while let Some((key, value)) = map.next_entry::<String, Value>()? {
                    if out.insert(key, value).is_some() {
                        return Err(de::Error::custom("duplicate member"));
                    }
                }
                Ok(UniqueObject(out))
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JweJson<'a> {
    #[serde(borrow)]
    protected: Cow<'a, str>,
    #[serde(default)]
    unprotected: Option<UniqueObject>,
    #[serde(borrow)]
    recipients: Vec<RecipientJson<'a>>,
    #[serde(borrow, default)]
    aad: Option<Cow<'a, str>>,
    #[serde(borrow)]
    iv: Cow<'a, str>,
    #[serde(borrow)]
    ciphertext: Cow<'a, str>,
    #[serde(borrow)]
    tag: Cow<'a, str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecipientJson<'a> {
    #[serde(default)]
    header: Option<UniqueObject>,
    #[serde(borrow)]
    encrypted_key: Cow<'a, str>,
}

fn optional_string(
    map: &BTreeMap<String, Value>,
    name: &str,
    why: &'static str,
) -> Result<Option<String>> {
    match map.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::MalformedSmer(why)),
    }
}

/// The key-management part of a SMeR (v1 or streamed): the checked protected header, the
/// format version, the content encryption and the recipients.
pub(crate) struct KeysPart<E> {
    pub(crate) protected: BTreeMap<String, Value>,
    pub(crate) version: Option<u64>,
    pub(crate) enc: E,
    pub(crate) recipients: Vec<Recipient>,
}

/// SPEC.md §2.4 steps 3–6 (and §7.4, which reads the streamed SMeR's with the same code):
/// the protected header, the version, placement and algorithms, the recipients. `enc_of`
/// names the content encryptions allowed (`enc_error` when another is named).
pub(crate) fn parse_keys_part<E>(
    protected_text: &str,
    unprotected: &BTreeMap<String, Value>,
    raw_recipients: &[RecipientJson<'_>],
    limits: &Limits,
    enc_of: impl FnOnce(&str) -> Option<E>,
    enc_error: &'static str,
) -> Result<KeysPart<E>> {
    let protected_bytes = b64::decode(protected_text).ok_or(Error::MalformedSmer(
        "protected header is not canonical base64url",
    ))?;
    if protected_bytes.len() > limits.max_header_bytes {
        return Err(Error::TooLarge {
            what: "protected header",
            limit: limits.max_header_bytes,
        });
    }
    let protected: UniqueObject = serde_json::from_slice(&protected_bytes).map_err(|_| {
        Error::MalformedSmer("protected header is not a JSON object with unique members")
    })?;
    let protected = protected.0;

    // The version comes first: a future version may change everything below.
    let version = match protected.get("smer") {
        None => None,
        Some(v) => match v.as_u64() {
            Some(SMER_VERSION) => Some(SMER_VERSION),
            Some(other) => return Err(Error::UnsupportedVersion(other)),
            None => {
                return Err(Error::MalformedSmer(
                    "smer version is not a non-negative integer",
                ))
            }
        },
    };

    let recipient_headers: Vec<BTreeMap<String, Value>> = raw_recipients
        .iter()
        .map(|r| r.header.as_ref().map(|h| h.0.clone()).unwrap_or_default())
        .collect();

    // Parameters that must be integrity protected.
    for name in ["enc", "smer"] {
        if unprotected.contains_key(name) || recipient_headers.iter().any(|h| h.contains_key(name))
        {
            return Err(Error::MalformedSmer(
                "enc and smer must be in the protected header",
            ));
        }
    }
    for header in std::iter::once(&protected)
        .chain(std::iter::once(unprotected))
        .chain(recipient_headers.iter())
    {
        if header.contains_key("zip") {
            return Err(Error::UnsupportedAlgorithm(
                "zip (compression) is not allowed",
            ));
        }
        if header.contains_key("crit") {
            return Err(Error::MalformedSmer("crit extensions are not supported"));
        }
    }
    let enc = match protected.get("enc") {
        Some(Value::String(name)) => enc_of(name).ok_or(Error::UnsupportedAlgorithm(enc_error))?,
        Some(_) => return Err(Error::MalformedSmer("enc is not a string")),
        None => return Err(Error::MalformedSmer("protected header lacks enc")),
    };
    // RFC 7516 §7.2.1: the three header sets must be disjoint.
    if protected.keys().any(|k| unprotected.contains_key(k)) {
        return Err(Error::MalformedSmer(
            "a header parameter appears in both protected and unprotected headers",
        ));
    }

    if raw_recipients.is_empty() {
        return Err(Error::MalformedSmer("recipients is empty"));
    }
    if raw_recipients.len() > limits.max_recipients {
        return Err(Error::TooLarge {
            what: "recipient count",
            limit: limits.max_recipients,
        });
    }
    let mut recipients = Vec::with_capacity(raw_recipients.len());
    let mut seen_kids = BTreeSet::new();
    let mut seen_keys = BTreeSet::new();
    for (raw, header) in raw_recipients.iter().zip(recipient_headers.iter()) {
        if header
            .keys()
            .any(|k| protected.contains_key(k) || unprotected.contains_key(k))
        {
            return Err(Error::MalformedSmer(
                "a recipient header repeats a shared header parameter",
            ));
        }
        let alg = header
            .get("alg")
            .or_else(|| unprotected.get("alg"))
            .or_else(|| protected.get("alg"));
        match alg {
            Some(Value::String(a)) if a == KEY_ALG => {}
            Some(Value::String(_)) => {
                return Err(Error::UnsupportedAlgorithm("alg must be RSA-OAEP-256"))
            }
            Some(_) => return Err(Error::MalformedSmer("alg is not a string")),
            None => return Err(Error::MalformedSmer("recipient has no alg")),
        }
        let kid = match header
            .get("kid")
            .or_else(|| unprotected.get("kid"))
            .or_else(|| protected.get("kid"))
        {
            None => None,
            Some(Value::String(k)) => Some(k.clone()),
            Some(_) => return Err(Error::MalformedSmer("kid is not a string")),
        };
        let encrypted_key = b64::decode_public(&raw.encrypted_key).ok_or(Error::MalformedSmer(
            "encrypted_key is not canonical base64url",
        ))?;
        if encrypted_key.is_empty() || encrypted_key.len() > MAX_ENCRYPTED_KEY_BYTES {
            return Err(Error::MalformedSmer(
                "encrypted_key has an impossible length",
            ));
        }
        if let Some(k) = &kid {
            if !seen_kids.insert(k.clone()) {
                return Err(Error::MalformedSmer("duplicate recipient"));
            }
        }
        if !seen_keys.insert(encrypted_key.clone()) {
            return Err(Error::MalformedSmer("duplicate recipient"));
        }
        recipients.push(Recipient {
            key_id: kid,
            encrypted_key,
        });
    }

    Ok(KeysPart {
        protected,
        version,
        enc,
        recipients,
    })
}

/// SPEC.md §2.4 step 8: the metadata in the protected header.
pub(crate) fn smer_header(
    protected: &BTreeMap<String, Value>,
    version: Option<u64>,
) -> Result<SmerHeader> {
    let iat = match protected.get("iat") {
        None => None,
        Some(v) => Some(
            v.as_i64()
                .ok_or(Error::MalformedSmer("iat is not an integer"))?,
        ),
    };
    Ok(SmerHeader {
        version,
        typ: optional_string(protected, "typ", "typ is not a string")?,
        content_type: optional_string(protected, "cty", "cty is not a string")?,
        record_id: optional_string(protected, "rid", "rid is not a string")?,
        owner_key_id: optional_string(protected, "own", "own is not a string")?,
        created_at: iat,
        file_name: optional_string(protected, "fn", "fn is not a string")?,
    })
}

impl ParsedSmer {
    /// Parses and structurally checks a SMeR without touching any key.
    ///
    /// Checks, in this order (SPEC.md §2.4): size, JSON shape, canonical base64url, the
    /// protected header, the format version, algorithms, header disjointness, recipients,
    /// and the lengths of IV, ciphertext and tag.
    pub fn parse(smer: &[u8], limits: &Limits) -> Result<Self> {
        Self::parse_inner(smer, limits, CiphertextMode::Decode).map(|(parsed, _)| parsed)
    }

    /// [`ParsedSmer::parse`] — the same checks, the same errors — but the ciphertext is only
    /// checked, not decoded: [`ParsedSmer::ciphertext_span`] says where its text lies in
    /// `smer`, for a caller that decodes it itself (the browser's native base64, straight
    /// into the MAC input). A ciphertext written with JSON escapes is decoded here as usual
    /// (no span). Such a `ParsedSmer` holds no ciphertext: [`ParsedSmer::mac_input`] refuses,
    /// and it authenticates no content key; the caller builds the MAC input from
    /// [`ParsedSmer::mac_input_head`], the decoded text and [`ParsedSmer::mac_input_tail`].
    pub fn parse_leaving_ciphertext(smer: &[u8], limits: &Limits) -> Result<Self> {
        Self::parse_inner(smer, limits, CiphertextMode::Locate).map(|(parsed, _)| parsed)
    }

    /// [`ParsedSmer::parse`], where `streamed` (from [`SmerStream`]) stands for a
    /// ciphertext already checked as it passed and left out of `smer` (its value is `""`).
    /// Returns the ciphertext's length too.
    fn parse_inner(smer: &[u8], limits: &Limits, mode: CiphertextMode) -> Result<(Self, u64)> {
        if smer.len() > limits.max_smer_bytes() {
            return Err(Error::TooLarge {
                what: "SMeR",
                limit: limits.max_smer_bytes(),
            });
        }
        let jwe: JweJson<'_> = serde_json::from_slice(smer)
            .map_err(|_| Error::MalformedSmer("not a JWE JSON General Serialization object"))?;
        if smer.len().saturating_sub(jwe.ciphertext.len()) > limits.max_outline_bytes() {
            return Err(Error::TooLarge {
                what: "SMeR headers and recipients",
                limit: limits.max_outline_bytes(),
            });
        }

        let unprotected = jwe.unprotected.unwrap_or_default().0;
        let KeysPart {
            protected,
            version,
            enc,
            recipients,
        } = parse_keys_part(
            &jwe.protected,
            &unprotected,
            &jwe.recipients,
            limits,
            ContentEncryption::from_name,
            "enc must be A256CBC-HS512 or A128CBC-HS256",
        )?;

        let iv = b64::decode_public(&jwe.iv)
            .ok_or(Error::MalformedSmer("iv is not canonical base64url"))?;
        if iv.len() != IV_LEN {
            return Err(Error::MalformedSmer("iv must be 16 bytes"));
        }
        let max_chars = b64::encoded_len(content::ciphertext_len(limits.max_record_bytes));
        let too_large = || Error::TooLarge {
            what: "record",
            limit: limits.max_record_bytes,
        };
        let not_canonical = || Error::MalformedSmer("ciphertext is not canonical base64url");
        // In the document, unescaped: where it lies (a borrowed value points into `smer`).
        let span = match (&mode, &jwe.ciphertext) {
            (CiphertextMode::Locate, Cow::Borrowed(text)) => {
                let start = (text.as_ptr() as usize).wrapping_sub(smer.as_ptr() as usize);
                let end = start.wrapping_add(text.len());
                smer.get(start..end)
                    .is_some_and(|within| core::ptr::eq(within.as_ptr(), text.as_ptr()))
                    .then_some((start, end))
            }
            _ => None,
        };
        let (ciphertext, ciphertext_len, outside) = match mode {
            CiphertextMode::Locate if span.is_some() => {
                if jwe.ciphertext.len() > max_chars {
                    return Err(too_large());
                }
                let decoded_len = b64::check_public(&jwe.ciphertext).ok_or_else(not_canonical)?;
                let len = u64::try_from(decoded_len).map_err(|_| too_large())?;
                let outside = span.map(|(start, end)| CiphertextSpan {
                    start,
                    end,
                    decoded_len,
                });
                (Vec::new(), len, outside)
            }
            CiphertextMode::Decode | CiphertextMode::Locate => {
                // Cheap size check before decoding the largest member.
                if jwe.ciphertext.len() > max_chars {
                    return Err(too_large());
                }
                let bytes = b64::decode_public(&jwe.ciphertext).ok_or_else(not_canonical)?;
                let len = u64::try_from(bytes.len()).map_err(|_| too_large())?;
                (bytes, len, None)
            }
            CiphertextMode::Streamed(s) => {
                if s.chars > u64::try_from(max_chars).unwrap_or(u64::MAX) {
                    return Err(too_large());
                }
                if !s.canonical {
                    return Err(not_canonical());
                }
                (Vec::new(), s.decoded_len().ok_or_else(not_canonical)?, None)
            }
        };
        if ciphertext_len == 0 || !ciphertext_len.is_multiple_of(16) {
            return Err(Error::MalformedSmer(
                "ciphertext length is not a positive multiple of 16",
            ));
        }
        let max_ciphertext = content::ciphertext_len(limits.max_record_bytes);
        if ciphertext_len > u64::try_from(max_ciphertext).unwrap_or(u64::MAX) {
            return Err(too_large());
        }
        let tag = b64::decode_public(&jwe.tag)
            .ok_or(Error::MalformedSmer("tag is not canonical base64url"))?;
        if tag.len() != enc.tag_len() {
            return Err(Error::MalformedSmer("tag has the wrong length for enc"));
        }
        // RFC 7516 §5.1 step 14: AAD = ASCII(BASE64URL(protected) [ '.' BASE64URL(aad) ]).
        let mut aad = jwe.protected.as_bytes().to_vec();
        if let Some(extra) = &jwe.aad {
            b64::decode(extra).ok_or(Error::MalformedSmer("aad is not canonical base64url"))?;
            aad.push(b'.');
            aad.extend_from_slice(extra.as_bytes());
        }

        let header = smer_header(&protected, version)?;
        Ok((
            ParsedSmer {
                enc,
                header,
                recipients,
                aad,
                iv,
                ciphertext,
                tag,
                outside,
            },
            ciphertext_len,
        ))
    }

    /// The authenticated header (not yet authenticated until [`ParsedSmer::open`] succeeds).
    pub fn header(&self) -> &SmerHeader {
        &self.header
    }

    /// The content encryption the SMeR declares.
    pub fn enc(&self) -> ContentEncryption {
        self.enc
    }

    /// The recipients, in document order.
    pub fn recipients(&self) -> &[Recipient] {
        &self.recipients
    }

    /// Length of the encrypted record (ciphertext) in bytes.
    pub fn ciphertext_len(&self) -> usize {
        self.outside
            .map_or(self.ciphertext.len(), |span| span.decoded_len)
    }

    /// Opens the SMeR with the authorized person's private key.
    ///
    /// Tries the recipients whose `kid` is the key's thumbprint, or, when none has it, the
    /// recipients without a `kid`; with neither, [`Error::NoMatchingRecipient`]. Any failure
    /// after a private-key operation is [`Error::DecryptionFailed`]. `rng` blinds the RSA
    /// operation.
    pub fn open<R: TryCryptoRng + ?Sized>(
        self,
        key: &EncryptionPrivateKey,
        rng: &mut R,
    ) -> Result<OpenedRecord> {
        let cek = self
            .encrypted_keys_for(key.key_id())?
            .into_iter()
            .filter_map(|encrypted_key| key.unwrap_key(rng, encrypted_key).ok())
            .find(|cek| self.authenticates(cek))
            .ok_or(Error::DecryptionFailed)?;
        self.decrypt_authenticated(&cek)
    }

    /// The wrapped content keys to try with the private key whose id is `key_id`: the
    /// recipients whose `kid` is that id or, when none has it, the recipients without a
    /// `kid` (SPEC §2.4); with neither, [`Error::NoMatchingRecipient`]. For a caller whose
    /// RSA private-key operation runs elsewhere (the browser's WebCrypto, with a key it
    /// cannot export): it unwraps each (RSA-OAEP-256) and gives the results to
    /// [`ParsedSmer::authenticates`] and [`ParsedSmer::open_authenticated`].
    pub fn encrypted_keys_for(&self, key_id: &str) -> Result<Vec<&[u8]>> {
        let by_kid: Vec<&[u8]> = self
            .recipients
            .iter()
            .filter(|r| r.key_id.as_deref() == Some(key_id))
            .map(|r| r.encrypted_key.as_slice())
            .collect();
        let candidates = if by_kid.is_empty() {
            self.recipients
                .iter()
                .filter(|r| r.key_id.is_none())
                .map(|r| r.encrypted_key.as_slice())
                .collect()
        } else {
            by_kid
        };
        if candidates.is_empty() {
            return Err(Error::NoMatchingRecipient);
        }
        Ok(candidates)
    }

    /// The IV.
    pub fn iv(&self) -> &[u8] {
        &self.iv
    }

    /// The MAC input `AAD || IV || ciphertext || AL` as one buffer, for an HMAC and an
    /// AES-CBC decryption computed elsewhere (the ciphertext starts at
    /// [`ParsedSmer::mac_input_ciphertext_start`] and ends 8 bytes before the end).
    /// Refused (`InvalidInput`) when the ciphertext was left in the document.
    pub fn mac_input(&self) -> Result<Vec<u8>> {
        if self.outside.is_some() {
            return Err(Error::InvalidInput(
                "the ciphertext was left in the SMeR: build the MAC input from its text",
            ));
        }
        Ok(content::mac_input(&self.aad, &self.iv, &self.ciphertext))
    }

    /// Where the ciphertext's text lies in the document, when
    /// [`ParsedSmer::parse_leaving_ciphertext`] left it there.
    pub fn ciphertext_span(&self) -> Option<CiphertextSpan> {
        self.outside
    }

    /// The MAC input's bytes before the ciphertext: `AAD || IV`.
    pub fn mac_input_head(&self) -> Vec<u8> {
        [self.aad.as_slice(), self.iv.as_slice()].concat()
    }

    /// The MAC input's bytes after the ciphertext: AL, the AAD's length in bits.
    pub fn mac_input_tail(&self) -> [u8; 8] {
        content::mac_input_al(self.aad.len())
    }

    /// Where the ciphertext starts in [`ParsedSmer::mac_input`] (without building it).
    pub fn mac_input_ciphertext_start(&self) -> usize {
        self.aad.len() + self.iv.len()
    }

    /// The HMAC of this SMeR's content under `cek` (RFC 7518 §5.2.2.1), already fed
    /// `AAD ‖ IV`, to be fed the ciphertext a piece at a time (it may have been left in the
    /// document) and given to [`ParsedSmer::tag_matches`]. `InvalidInput` for a key of the
    /// wrong length.
    pub fn content_mac(&self, cek: &[u8]) -> Result<content::ContentMac> {
        content::ContentMac::new(self.enc, cek, &self.aad, &self.iv)
    }

    /// Whether `full_mac`, an HMAC computed elsewhere with the content key's MAC half over
    /// [`ParsedSmer::mac_input`], authenticates this SMeR (its leftmost bytes are the tag;
    /// compared in constant time).
    pub fn tag_matches(&self, full_mac: &[u8]) -> bool {
        content::tag_matches(self.enc, full_mac, &self.tag)
    }

    /// Whether `cek` is the content key that authenticates this SMeR (its HMAC tag, checked
    /// in constant time; `false` for a key of the wrong length).
    pub fn authenticates(&self, cek: &[u8]) -> bool {
        self.outside.is_none()
            && content::authenticate(
                self.enc,
                cek,
                &self.iv,
                &self.aad,
                &self.ciphertext,
                &self.tag,
            )
    }

    /// Decrypts with a content key unwrapped by the caller; the tag is checked again
    /// first. Any failure is [`Error::DecryptionFailed`].
    pub fn open_authenticated(self, cek: &[u8]) -> Result<OpenedRecord> {
        if !self.authenticates(cek) {
            return Err(Error::DecryptionFailed);
        }
        self.decrypt_authenticated(cek)
    }

    /// Decrypts with a content key whose tag was just checked.
    fn decrypt_authenticated(self, cek: &[u8]) -> Result<OpenedRecord> {
        let record = content::decrypt_authenticated(self.enc, cek, &self.iv, self.ciphertext)?;
        Ok(OpenedRecord {
            record,
            header: self.header,
            enc: self.enc,
        })
    }
}

/// Parses and opens in one call, with the given limits.
pub fn open<R: TryCryptoRng + ?Sized>(
    smer: &[u8],
    key: &EncryptionPrivateKey,
    rng: &mut R,
    limits: &Limits,
) -> Result<OpenedRecord> {
    ParsedSmer::parse(smer, limits)?.open(key, rng)
}
