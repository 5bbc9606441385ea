//! CEDA at the JS boundary: `sealSmer` (a fresh AES key encrypts the record and is wrapped
//! with each recipient's RSA key), `openSmer`, `inspectSmer` and `smerHash` — the SMeR of
//! SPEC.md §2 and the hash DERy and the ledger hold.

use getrandom::SysRng;
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use zeroize::Zeroize;

use super::error::js;
use super::keys::{JsPrivateKey, JsPublicKey};
use super::{now, read_options, whole_number, whole_seconds, JsResult};
use crate::ceda::{ContentEncryption, EncryptionPublicKey};
use crate::error::Error;
use crate::smer::{self, Limits, ParsedSmer, SealOptions, SmerHeader};

#[wasm_bindgen]
extern "C" {
    /// `SealOptions` of the TypeScript section.
    #[wasm_bindgen(typescript_type = "SealOptions")]
    pub type SealOptionsObject;
    /// `OpenOptions` of the TypeScript section.
    #[wasm_bindgen(typescript_type = "OpenOptions")]
    pub type OpenOptionsObject;
}

/// Largest `maxRecordBytes` a caller may ask for.
const MAX_RECORD_LIMIT: f64 = 4_294_967_295.0;

fn limits_with(max_record_bytes: Option<f64>) -> Result<Limits, Error> {
    let mut limits = Limits::default();
    if let Some(max) = max_record_bytes {
        let max = whole_number(
            max,
            MAX_RECORD_LIMIT,
            "maxRecordBytes must be a whole number of bytes",
        )?;
        limits.max_record_bytes = usize::try_from(max)
            .map_err(|_| Error::InvalidInput("maxRecordBytes is too large here"))?;
    }
    Ok(limits)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct JsSealOptions {
    content_type: String,
    owner_key_id: String,
    enc: Option<String>,
    record_id: Option<String>,
    file_name: Option<String>,
    created_at: Option<f64>,
    max_record_bytes: Option<f64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct JsOpenOptions {
    max_record_bytes: Option<f64>,
}

fn open_options(options: Option<OpenOptionsObject>) -> Result<Limits, Error> {
    let options: JsOpenOptions = match options {
        None => JsOpenOptions::default(),
        Some(object) => read_options(object.into(), "open options may only have maxRecordBytes")?,
    };
    limits_with(options.max_record_bytes)
}

/// The recipients of a SMeR being sealed: public keys added by reference (they stay usable).
#[wasm_bindgen(js_name = RecipientList)]
#[derive(Default)]
pub struct JsRecipientList(pub(super) Vec<EncryptionPublicKey>);

#[wasm_bindgen(js_class = RecipientList)]
impl JsRecipientList {
    /// An empty list.
    #[wasm_bindgen(constructor)]
    pub fn new() -> JsRecipientList {
        JsRecipientList::default()
    }

    /// Adds a recipient; the key object remains usable.
    pub fn add(&mut self, key: &JsPublicKey) {
        self.0.push(key.0.clone());
    }

    /// Number of recipients.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.0.len()
    }
}

/// The options of `sealSmer`, checked, and whether `enc` was given.
pub(super) fn seal_options_given(
    options: SealOptionsObject,
) -> Result<(SealOptions, Limits, bool), Error> {
    let options: JsSealOptions = read_options(
        options.into(),
        "seal options need contentType and ownerKeyId, and may only have enc, recordId, fileName, createdAt, maxRecordBytes",
    )?;
    let enc_given = options.enc.is_some();
    let enc = match options.enc.as_deref() {
        None => ContentEncryption::A256CbcHs512,
        Some(name) => ContentEncryption::from_name(name).ok_or(Error::UnsupportedAlgorithm(
            "enc must be A256CBC-HS512 or A128CBC-HS256",
        ))?,
    };
    let created_at = match options.created_at {
        Some(t) => whole_seconds(t, "createdAt must be whole seconds")?,
        None => now(),
    };
    let limits = limits_with(options.max_record_bytes)?;
    let seal_options = SealOptions {
        enc,
        content_type: options.content_type,
        record_id: options.record_id,
        owner_key_id: options.owner_key_id,
        created_at,
        file_name: options.file_name,
    };
    Ok((seal_options, limits, enc_given))
}

fn seal_options(options: SealOptionsObject) -> Result<(SealOptions, Limits), Error> {
    seal_options_given(options).map(|(options, limits, _)| (options, limits))
}

/// Seals a record into a SMeR (CEDA): a fresh AES key encrypts the record and is wrapped
/// with each recipient's RSA key. Returns the SMeR bytes (UTF-8 JSON).
#[wasm_bindgen(js_name = sealSmer)]
pub fn seal_smer(
    record: &[u8],
    recipients: &JsRecipientList,
    options: SealOptionsObject,
) -> JsResult<Vec<u8>> {
    let (options, limits) = seal_options(options).map_err(js)?;
    let keys: Vec<&EncryptionPublicKey> = recipients.0.iter().collect();
    smer::seal(&mut SysRng, record, &keys, &options, &limits).map_err(js)
}

/// A SMeR being sealed with the work done elsewhere (the browser's WebCrypto: RSA-OAEP-256
/// wraps, AES-CBC, then HMAC over `aad ‖ iv ‖ ciphertext ‖ AL`, RFC 7518 §5.2.2): the core
/// has checked the options, built the protected header and drawn the content key and IV;
/// the wrapped keys come from `wrapAll()` (the core) or `setEncryptedKey` (elsewhere), and
/// `finish` writes the SMeR. Same bytes as `sealSmer` for the same key and IV.
#[wasm_bindgen(js_name = SealPlan)]
pub struct JsSealPlan(Option<smer::SealPlan>);

#[wasm_bindgen(js_class = SealPlan)]
impl JsSealPlan {
    /// Plans a SMeR of a record of `recordLength` bytes for `recipients` with the options of
    /// `sealSmer` (same checks, same errors).
    #[wasm_bindgen(js_name = forRecord)]
    pub fn for_record(
        record_length: f64,
        recipients: &JsRecipientList,
        options: SealOptionsObject,
    ) -> JsResult<JsSealPlan> {
        let (options, limits) = seal_options(options).map_err(js)?;
        // Larger than any record the limits allow: refused as too large by the plan.
        let length =
            whole_number(record_length, 9.0e15, "recordLength is a byte count").map_err(js)?;
        let length = usize::try_from(length).unwrap_or(usize::MAX);
        let keys: Vec<&EncryptionPublicKey> = recipients.0.iter().collect();
        smer::SealPlan::new(&mut SysRng, length, &keys, &options, &limits)
            .map(|plan| JsSealPlan(Some(plan)))
            .map_err(js)
    }

    /// The content encryption (`"A256CBC-HS512"` or `"A128CBC-HS256"`).
    #[wasm_bindgen(getter)]
    pub fn enc(&self) -> JsResult<String> {
        Ok(self.plan()?.enc().name().to_owned())
    }

    /// The IV (16 bytes).
    #[wasm_bindgen(getter)]
    pub fn iv(&self) -> JsResult<Vec<u8>> {
        Ok(self.plan()?.iv().to_vec())
    }

    /// The additional authenticated data (the base64url protected header, ASCII).
    #[wasm_bindgen(getter)]
    pub fn aad(&self) -> JsResult<Vec<u8>> {
        Ok(self.plan()?.aad().to_vec())
    }

    /// Wraps the content key for every recipient here (RSA-OAEP-256).
    #[wasm_bindgen(js_name = wrapAll)]
    pub fn wrap_all(&mut self) -> JsResult<()> {
        self.plan_mut()?.wrap_all(&mut SysRng).map_err(js)
    }

    /// How many recipients.
    #[wasm_bindgen(getter, js_name = recipientCount)]
    pub fn recipient_count(&self) -> JsResult<usize> {
        Ok(self.plan()?.recipient_count())
    }

    /// Recipient `index`'s RSA public key (SPKI DER), in the order of the recipient list.
    #[wasm_bindgen(js_name = recipientSpki)]
    pub fn recipient_spki(&self, index: usize) -> JsResult<Vec<u8>> {
        self.plan()?.recipient_spki(index).map_err(js)
    }

    /// Recipient `index`'s wrapped content key, computed elsewhere (RSA-OAEP with SHA-256);
    /// refused unless as long as the recipient's modulus.
    #[wasm_bindgen(js_name = setEncryptedKey)]
    pub fn set_encrypted_key(&mut self, index: usize, encrypted_key: Vec<u8>) -> JsResult<()> {
        self.plan_mut()?
            .set_encrypted_key(index, encrypted_key)
            .map_err(js)
    }

    /// The content-encryption key — its first half the HMAC key, its second the AES key.
    /// Secret: overwrite the array with zeros once the keys are imported.
    #[wasm_bindgen(js_name = contentKey)]
    pub fn content_key(&self) -> JsResult<Vec<u8>> {
        Ok(self.plan()?.content_key().to_vec())
    }

    /// The SMeR, from the AES-CBC ciphertext (PKCS#7) of the record and the leftmost half of
    /// the HMAC (the tag), once every recipient's wrapped key is there. The plan is then
    /// spent; a refused call leaves it as it was.
    pub fn finish(&mut self, ciphertext: &[u8], tag: &[u8]) -> JsResult<Vec<u8>> {
        let smer = self.plan()?.finish(ciphertext, tag).map_err(js)?;
        // Spent (and the content key wiped) once the SMeR is written.
        self.0 = None;
        Ok(smer)
    }

    /// The HMAC of the SMeR's content (RFC 7518 §5.2.2.1) under the plan's content key, to be
    /// fed the ciphertext a piece at a time as it is made: its `finish()` is the full HMAC,
    /// whose leftmost half is the tag. The key stays in the module.
    #[wasm_bindgen(js_name = contentMac)]
    pub fn content_mac(&self) -> JsResult<JsContentMac> {
        Ok(JsContentMac(Some(self.plan()?.content_mac().map_err(js)?)))
    }

    /// For a caller that writes the ciphertext's text itself (the browser's native base64,
    /// base64url without padding) while it encrypts: the SMeR's bytes before that text, once
    /// every recipient's wrapped key is there. The SMeR is
    /// `finishHead(n) ‖ base64url(ciphertext) ‖ finishTail(tag)`. Does not spend the plan.
    #[wasm_bindgen(js_name = finishHead)]
    pub fn finish_head(&self, ciphertext_length: usize) -> JsResult<Vec<u8>> {
        self.plan()?.finish_head(ciphertext_length).map_err(js)
    }

    /// The length of `finishTail`'s bytes, known before the tag is.
    #[wasm_bindgen(getter, js_name = tailLength)]
    pub fn tail_length(&self) -> JsResult<usize> {
        Ok(self.plan()?.tail_len())
    }

    /// The SMeR's bytes after the ciphertext's text: the tag (the leftmost half of the
    /// HMAC; `InvalidInput` for a tag of the wrong length). The plan is then spent; a
    /// refused call leaves it as it was.
    #[wasm_bindgen(js_name = finishTail)]
    pub fn finish_tail(&mut self, tag: &[u8]) -> JsResult<Vec<u8>> {
        let tail = self.plan()?.finish_tail(tag).map_err(js)?;
        self.0 = None;
        Ok(tail)
    }
}

/// The HMAC of a SMeR's content (RFC 7518 §5.2.2.1: `AAD ‖ IV ‖ ciphertext ‖ AL`), fed the
/// ciphertext a piece at a time — WebCrypto's HMAC takes its whole input in one call, a copy
/// of the whole ciphertext. Made by `SealPlan.contentMac()` or `ParsedSmer.contentMac(cek)`.
#[wasm_bindgen(js_name = ContentMac)]
pub struct JsContentMac(Option<crate::ceda::content::ContentMac>);

#[wasm_bindgen(js_class = ContentMac)]
impl JsContentMac {
    /// Feeds the next piece of the ciphertext, in order.
    pub fn update(&mut self, piece: &[u8]) -> JsResult<()> {
        self.0.as_mut().ok_or_else(mac_finished)?.update(piece);
        Ok(())
    }

    /// The full HMAC (its leftmost half is the tag). The object is then spent.
    pub fn finish(&mut self) -> JsResult<Vec<u8>> {
        Ok(self.0.take().ok_or_else(mac_finished)?.finish())
    }
}

fn mac_finished() -> JsValue {
    js(Error::InvalidInput("this ContentMac was already finished"))
}

impl JsSealPlan {
    fn plan(&self) -> JsResult<&smer::SealPlan> {
        self.0
            .as_ref()
            .ok_or_else(|| js(Error::InvalidInput("this SealPlan was already finished")))
    }

    fn plan_mut(&mut self) -> JsResult<&mut smer::SealPlan> {
        self.0
            .as_mut()
            .ok_or_else(|| js(Error::InvalidInput("this SealPlan was already finished")))
    }
}

/// A decrypted record and the authenticated metadata of its SMeR.
#[wasm_bindgen(js_name = OpenedRecord)]
pub struct JsOpenedRecord(smer::OpenedRecord);

#[wasm_bindgen(js_class = OpenedRecord)]
impl JsOpenedRecord {
    /// The record bytes (a copy; call `free()` on this object to wipe the original).
    #[wasm_bindgen(getter)]
    pub fn record(&self) -> Vec<u8> {
        self.0.record.to_vec()
    }

    /// The content encryption that protected it.
    #[wasm_bindgen(getter)]
    pub fn enc(&self) -> String {
        self.0.enc.name().to_owned()
    }

    /// The authenticated header.
    #[wasm_bindgen(getter)]
    pub fn header(&self) -> JsSmerHeader {
        JsSmerHeader(self.0.header.clone())
    }
}

/// The header fields of a SMeR. All optional; untrusted text: never render as HTML.
#[wasm_bindgen(js_name = SmerHeader)]
pub struct JsSmerHeader(pub(super) SmerHeader);

#[wasm_bindgen(js_class = SmerHeader)]
impl JsSmerHeader {
    /// `smer` format version.
    #[wasm_bindgen(getter)]
    pub fn version(&self) -> Option<f64> {
        self.0.version.map(|v| v as f64)
    }
    /// `cty`: media type of the record.
    #[wasm_bindgen(getter, js_name = contentType)]
    pub fn content_type(&self) -> Option<String> {
        self.0.content_type.clone()
    }
    /// `rid`: record id.
    #[wasm_bindgen(getter, js_name = recordId)]
    pub fn record_id(&self) -> Option<String> {
        self.0.record_id.clone()
    }
    /// `own`: owner's key id.
    #[wasm_bindgen(getter, js_name = ownerKeyId)]
    pub fn owner_key_id(&self) -> Option<String> {
        self.0.owner_key_id.clone()
    }
    /// `iat`: creation time, Unix seconds.
    #[wasm_bindgen(getter, js_name = createdAt)]
    pub fn created_at(&self) -> Option<f64> {
        self.0.created_at.map(|t| t as f64)
    }
    /// `fn`: original file name.
    #[wasm_bindgen(getter, js_name = fileName)]
    pub fn file_name(&self) -> Option<String> {
        self.0.file_name.clone()
    }
    /// `typ`.
    #[wasm_bindgen(getter)]
    pub fn typ(&self) -> Option<String> {
        self.0.typ.clone()
    }
}

/// Opens a SMeR with the authorized person's private key. Throws `SemresError` with code
/// `DecryptionFailed` on any authentication failure, `NoMatchingRecipient` when the key is
/// not a recipient, `MalformedSmer`/`UnsupportedAlgorithm`/`UnsupportedVersion`/`TooLarge`
/// for documents that break SPEC.md.
#[wasm_bindgen(js_name = openSmer)]
pub fn open_smer(
    smer: &[u8],
    key: &JsPrivateKey,
    options: Option<OpenOptionsObject>,
) -> JsResult<JsOpenedRecord> {
    let limits = open_options(options).map_err(js)?;
    smer::open(smer, &key.0, &mut SysRng, &limits)
        .map(JsOpenedRecord)
        .map_err(js)
}

/// How much of a SMeR `parseLeavingCiphertext` copies into the module's memory at a time.
const PARSE_PIECE: u32 = 256 << 10;

/// A SMeR parsed and checked (SPEC.md §2.4), to be opened with a content key that was
/// unwrapped elsewhere — in the browser, by WebCrypto's RSA-OAEP with a private key it holds
/// as a non-extractable `CryptoKey`. The core still makes every other check.
#[wasm_bindgen(js_name = ParsedSmer)]
pub struct JsParsedSmer(Option<ParsedSmer>);

#[wasm_bindgen(js_class = ParsedSmer)]
impl JsParsedSmer {
    /// Parses and checks a SMeR (the checks of `openSmer` before any key is used).
    pub fn parse(smer: &[u8], options: Option<OpenOptionsObject>) -> JsResult<JsParsedSmer> {
        let limits = open_options(options).map_err(js)?;
        ParsedSmer::parse(smer, &limits)
            .map(|p| JsParsedSmer(Some(p)))
            .map_err(js)
    }

    /// Parses and checks a SMeR as `parse` does — the same checks and codes — but leaves the
    /// ciphertext in `smer`, checked as canonical base64url and not decoded: for a caller
    /// with the browser's native base64 (`Uint8Array.prototype.setFromBase64`), which decodes
    /// `smer.subarray(ciphertextStart, ciphertextEnd)` a piece at a time for `contentMac(cek)`
    /// and for the decryption. A ciphertext written with JSON escapes is decoded
    /// here (`ciphertextStart` is then `undefined` and `macInput()` works as after `parse`).
    ///
    /// The document is read a piece at a time (SPEC.md §2.4's streamed check, the one DERy
    /// runs on uploads): only its headers and recipients are copied into the module's memory,
    /// never its ciphertext, so opening a large SMeR does not grow that memory (which never
    /// shrinks) by the SMeR's size. Only a ciphertext written with escapes is read whole.
    #[wasm_bindgen(js_name = parseLeavingCiphertext)]
    pub fn parse_leaving_ciphertext(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] smer: JsValue,
        options: Option<OpenOptionsObject>,
    ) -> JsResult<JsParsedSmer> {
        let limits = open_options(options).map_err(js)?;
        let smer = smer
            .dyn_into::<js_sys::Uint8Array>()
            .map_err(|_| js(Error::InvalidInput("the SMeR must be a Uint8Array")))?;
        let length = smer.length();
        let mut stream = smer::SmerStream::new(&limits);
        let mut piece = vec![0u8; usize::try_from(PARSE_PIECE.min(length)).unwrap_or(0)];
        let mut at = 0u32;
        while at < length {
            let end = at.saturating_add(PARSE_PIECE).min(length);
            let part = piece
                .get_mut(..usize::try_from(end - at).unwrap_or(0))
                .ok_or_else(|| js(Error::InvalidInput("SMeR piece")))?;
            smer.subarray(at, end).copy_to(part);
            stream.update(part).map_err(js)?;
            at = end;
        }
        match stream.finish_leaving_ciphertext().map_err(js)? {
            Some(parsed) => Ok(JsParsedSmer(Some(parsed))),
            // Escapes in the ciphertext: the whole document, decoded here.
            None => ParsedSmer::parse_leaving_ciphertext(&smer.to_vec(), &limits)
                .map(|p| JsParsedSmer(Some(p)))
                .map_err(js),
        }
    }

    /// Offset in the parsed document of the ciphertext's first character, when it was left
    /// there (`parseLeavingCiphertext`).
    #[wasm_bindgen(getter, js_name = ciphertextStart)]
    pub fn ciphertext_start(&self) -> JsResult<Option<usize>> {
        Ok(self.parsed()?.ciphertext_span().map(|s| s.start))
    }

    /// Offset just after the ciphertext's last character, when it was left there.
    #[wasm_bindgen(getter, js_name = ciphertextEnd)]
    pub fn ciphertext_end(&self) -> JsResult<Option<usize>> {
        Ok(self.parsed()?.ciphertext_span().map(|s| s.end))
    }

    /// The ciphertext's length in bytes (decoded).
    #[wasm_bindgen(getter, js_name = ciphertextLength)]
    pub fn ciphertext_length(&self) -> JsResult<usize> {
        Ok(self.parsed()?.ciphertext_len())
    }

    /// The wrapped content keys (RSA-OAEP-256 ciphertexts) to try with the private key whose
    /// id is `keyId`, in order; `NoMatchingRecipient` when there is none.
    #[wasm_bindgen(js_name = encryptedKeysFor, unchecked_return_type = "Uint8Array[]")]
    pub fn encrypted_keys_for(&self, key_id: &str) -> JsResult<js_sys::Array> {
        let parsed = self.parsed()?;
        Ok(parsed
            .encrypted_keys_for(key_id)
            .map_err(js)?
            .into_iter()
            .map(|k| JsValue::from(js_sys::Uint8Array::from(k)))
            .collect())
    }

    /// The content encryption (`"A256CBC-HS512"` or `"A128CBC-HS256"`).
    #[wasm_bindgen(getter)]
    pub fn enc(&self) -> JsResult<String> {
        Ok(self.parsed()?.enc().name().to_owned())
    }

    /// The header (authenticated only once the tag is checked).
    #[wasm_bindgen(getter)]
    pub fn header(&self) -> JsResult<JsSmerHeader> {
        Ok(JsSmerHeader(self.parsed()?.header().clone()))
    }

    /// The IV (16 bytes).
    #[wasm_bindgen(getter)]
    pub fn iv(&self) -> JsResult<Vec<u8>> {
        Ok(self.parsed()?.iv().to_vec())
    }

    /// The HMAC input `aad ‖ iv ‖ ciphertext ‖ AL` (RFC 7518 §5.2.2.1) as one array; the
    /// ciphertext is the part from `ciphertextOffset` up to its last 8 bytes.
    #[wasm_bindgen(js_name = macInput)]
    pub fn mac_input(&self) -> JsResult<Vec<u8>> {
        self.parsed()?.mac_input().map_err(js)
    }

    /// Where the ciphertext starts in `macInput()`.
    #[wasm_bindgen(getter, js_name = ciphertextOffset)]
    pub fn ciphertext_offset(&self) -> JsResult<usize> {
        Ok(self.parsed()?.mac_input_ciphertext_start())
    }

    /// Whether `mac`, the full HMAC (SHA-256 for A128CBC-HS256, SHA-512 for A256CBC-HS512)
    /// of `macInput()` under the content key's first half, authenticates this SMeR: its
    /// leftmost half is the tag (compared in constant time).
    #[wasm_bindgen(js_name = tagMatches)]
    pub fn tag_matches(&self, mac: &[u8]) -> JsResult<bool> {
        Ok(self.parsed()?.tag_matches(mac))
    }

    /// The HMAC of this SMeR's content under the content key `cek` (what unwrapping one of
    /// `encryptedKeysFor` gave; `InvalidInput` for a key of the wrong length), to be fed the
    /// ciphertext a piece at a time — decoded from the SMeR where `parseLeavingCiphertext`
    /// left it — and its `finish()` given to `tagMatches`.
    #[wasm_bindgen(js_name = contentMac)]
    pub fn content_mac(&self, cek: &[u8]) -> JsResult<JsContentMac> {
        Ok(JsContentMac(Some(
            self.parsed()?.content_mac(cek).map_err(js)?,
        )))
    }

    /// Opens the SMeR with the content key `cek` (what unwrapping one of `encryptedKeysFor`
    /// gave). The array is overwritten with zeros. A key that does not authenticate the SMeR
    /// throws `DecryptionFailed` and leaves this object usable for the next candidate; once
    /// opened, it is spent.
    #[wasm_bindgen(js_name = openWithContentKey)]
    pub fn open_with_content_key(&mut self, cek: &mut [u8]) -> JsResult<JsOpenedRecord> {
        let result = match self.parsed() {
            Err(spent) => Err(spent),
            Ok(parsed) if !parsed.authenticates(cek) => Err(js(Error::DecryptionFailed)),
            Ok(_) => match self.0.take() {
                Some(parsed) => parsed
                    .open_authenticated(cek)
                    .map(JsOpenedRecord)
                    .map_err(js),
                None => Err(js(Error::DecryptionFailed)),
            },
        };
        cek.zeroize();
        result
    }
}

impl JsParsedSmer {
    fn parsed(&self) -> JsResult<&ParsedSmer> {
        self.0
            .as_ref()
            .ok_or_else(|| js(Error::InvalidInput("this SMeR was already opened")))
    }
}

/// What can be read from a SMeR without a key.
#[wasm_bindgen(js_name = SmerInfo)]
pub struct JsSmerInfo(ParsedSmer);

#[wasm_bindgen(js_class = SmerInfo)]
impl JsSmerInfo {
    /// The header (not authenticated until the SMeR is opened).
    #[wasm_bindgen(getter)]
    pub fn header(&self) -> JsSmerHeader {
        JsSmerHeader(self.0.header().clone())
    }
    /// The declared content encryption.
    #[wasm_bindgen(getter)]
    pub fn enc(&self) -> String {
        self.0.enc().name().to_owned()
    }
    /// The recipients' key ids, in order (`undefined` entries have no `kid`).
    #[wasm_bindgen(getter, js_name = recipientKeyIds, unchecked_return_type = "(string | undefined)[]")]
    pub fn recipient_key_ids(&self) -> js_sys::Array {
        self.0
            .recipients()
            .iter()
            .map(|r| {
                r.key_id
                    .as_deref()
                    .map(JsValue::from_str)
                    .unwrap_or(JsValue::UNDEFINED)
            })
            .collect()
    }
    /// Size of the encrypted record in bytes.
    #[wasm_bindgen(getter, js_name = ciphertextLength)]
    pub fn ciphertext_length(&self) -> usize {
        self.0.ciphertext_len()
    }
}

/// Parses a SMeR and checks its structure (SPEC.md §2.4) without decrypting.
#[wasm_bindgen(js_name = inspectSmer)]
pub fn inspect_smer(smer: &[u8], options: Option<OpenOptionsObject>) -> JsResult<JsSmerInfo> {
    let limits = open_options(options).map_err(js)?;
    ParsedSmer::parse(smer, &limits).map(JsSmerInfo).map_err(js)
}

/// The SMeR hash: SHA-256 of the exact SMeR bytes, lower-case hex — the value DERy indexes
/// and the ledger records.
#[wasm_bindgen(js_name = smerHash)]
pub fn smer_hash(smer: &[u8]) -> String {
    crate::dery::smer_hash_hex(smer)
}

/// The SMeR hash of a SMeR written or received in pieces (a streamed SMeR of any size):
/// `update` with each piece in order, then `finish` — the value `smerHash` gives for the
/// whole.
#[wasm_bindgen(js_name = SmerHasher)]
pub struct JsSmerHasher(Option<crate::dery::SmerHasher>);

#[wasm_bindgen(js_class = SmerHasher)]
impl JsSmerHasher {
    /// A new hash.
    #[wasm_bindgen(constructor)]
    pub fn new() -> JsSmerHasher {
        JsSmerHasher(Some(crate::dery::SmerHasher::new()))
    }

    /// Adds the next bytes.
    pub fn update(&mut self, bytes: &[u8]) -> JsResult<()> {
        self.0.as_mut().ok_or_else(hasher_finished)?.update(bytes);
        Ok(())
    }

    /// The SMeR hash (lower-case hex) of everything added; the hasher is then spent.
    pub fn finish(&mut self) -> JsResult<String> {
        let hasher = self.0.take().ok_or_else(hasher_finished)?;
        Ok(crate::encoding::hex::encode(&hasher.finish()))
    }
}

impl Default for JsSmerHasher {
    fn default() -> Self {
        Self::new()
    }
}

fn hasher_finished() -> JsValue {
    js(Error::InvalidInput("this SmerHasher was already finished"))
}

/// The data index of a SMeR kept by DERy under its hash (`dery:sha256:<hex>`), as a grant
/// or care entry names it.
#[wasm_bindgen(js_name = dataIndex)]
pub fn data_index(smer_hash_hex: &str) -> JsResult<String> {
    crate::encoding::hex::decode_array(smer_hash_hex)
        .map(|hash| crate::dery::data_index(&hash))
        .ok_or_else(|| {
            js(Error::InvalidInput(
                "a SMeR hash is 64 lower-case hex digits",
            ))
        })
}
