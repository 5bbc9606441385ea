//! The streamed SMeR at the JS boundary (SPEC.md §7 — CEDA for records of any size): a
//! record sealed chunk by chunk (`StreamSealPlan` → `StreamSealer`) and opened chunk by
//! chunk (`StreamHead` → `StreamOpener`), each chunk released only once authenticated.
//!
//! Every step has two ways to do the AES-128-GCM work: here (`seal`, `update`, `finish`),
//! or in the browser's WebCrypto with the core deciding everything else — the record key,
//! each record's nonce and the length rules (`nextNonce`), and on opening the delimiter,
//! order and end checks (`acceptDecrypted`). Both give the same bytes (SPEC.md §7.3).

use getrandom::SysRng;
use wasm_bindgen::prelude::*;
use zeroize::Zeroize;

use super::error::js;
use super::keys::JsPrivateKey;
use super::smer::{seal_options_given, JsRecipientList, JsSmerHeader, SealOptionsObject};
use super::{whole_number, JsResult};
use crate::ceda::EncryptionPublicKey;
use crate::error::Error;
use crate::smer::ece::{self, RecordOpener, RecordSealer};
use crate::smer::streamed::{self, StreamHead, DEFAULT_MAX_STREAMED_RECORD_BYTES};
use crate::smer::Limits;

/// `maxRecordBytes` of an opener: a whole number up to 2^53 − 1, by default 1 TiB.
fn max_record(max_record_bytes: Option<f64>) -> Result<u64, Error> {
    match max_record_bytes {
        None => Ok(DEFAULT_MAX_STREAMED_RECORD_BYTES),
        Some(max) => whole_number(
            max,
            f64::MAX,
            "maxRecordBytes must be a whole number of bytes",
        ),
    }
}

/// Whether `bytes` begins like a streamed SMeR (its magic `SMeRS`) rather than a SMeR v1.
#[wasm_bindgen(js_name = isStreamedSmer)]
pub fn is_streamed_smer(bytes: &[u8]) -> bool {
    streamed::is_streamed(bytes)
}

/// A streamed SMeR being sealed (SPEC.md §7.3): the recipients and options are checked as
/// `sealSmer` checks them, a fresh content key is drawn and the protected header (with its
/// key commitment) is built. The wrapped keys come from `wrapAll()` (the core) or
/// `setEncryptedKey` (WebCrypto's RSA-OAEP-256); `start()` then gives the sealer.
#[wasm_bindgen(js_name = StreamSealPlan)]
pub struct JsStreamSealPlan(Option<streamed::StreamSealPlan>);

#[wasm_bindgen(js_class = StreamSealPlan)]
impl JsStreamSealPlan {
    /// Plans a streamed SMeR for `recipients` with the options of `sealSmer` except `enc`
    /// (the records are always `aes128gcm`: giving `enc` is `UnsupportedAlgorithm`).
    /// `recordSize` is RFC 8188's `rs`, 18 to 1 MiB (default 64 KiB).
    #[wasm_bindgen(constructor)]
    pub fn new(
        recipients: &JsRecipientList,
        options: SealOptionsObject,
        record_size: Option<u32>,
    ) -> JsResult<JsStreamSealPlan> {
        let (options, limits, enc_given) = seal_options_given(options).map_err(js)?;
        if enc_given {
            return Err(js(Error::UnsupportedAlgorithm(
                "a streamed SMeR's records are aes128gcm: enc is not an option",
            )));
        }
        let keys: Vec<&EncryptionPublicKey> = recipients.0.iter().collect();
        streamed::StreamSealPlan::new(
            &mut SysRng,
            &keys,
            &options,
            &limits,
            record_size.unwrap_or(ece::DEFAULT_RECORD_SIZE),
        )
        .map(|plan| JsStreamSealPlan(Some(plan)))
        .map_err(js)
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

    /// The content key (16 bytes, RFC 8188's input keying material) to wrap elsewhere.
    /// Secret: overwrite the array with zeros once it is wrapped.
    #[wasm_bindgen(js_name = contentKey)]
    pub fn content_key(&self) -> JsResult<Vec<u8>> {
        Ok(self.plan()?.content_key().to_vec())
    }

    /// The sealer of the records, once every recipient's wrapped key is set. The plan is
    /// then spent (its content key wiped); a refused call leaves it as it was.
    pub fn start(&mut self) -> JsResult<JsStreamSealer> {
        let (head, sealer) = self.plan()?.start().map_err(js)?;
        self.0 = None;
        Ok(JsStreamSealer { head, sealer })
    }
}

impl JsStreamSealPlan {
    fn plan(&self) -> JsResult<&streamed::StreamSealPlan> {
        self.0.as_ref().ok_or_else(|| {
            js(Error::InvalidInput(
                "this StreamSealPlan was already started",
            ))
        })
    }

    fn plan_mut(&mut self) -> JsResult<&mut streamed::StreamSealPlan> {
        self.0.as_mut().ok_or_else(|| {
            js(Error::InvalidInput(
                "this StreamSealPlan was already started",
            ))
        })
    }
}

/// Seals the records of a streamed SMeR: write `head` first, then each chunk's record in
/// order — every chunk exactly `chunkLength` bytes but the last, which is at most that
/// (possibly empty) and is marked `last`.
#[wasm_bindgen(js_name = StreamSealer)]
pub struct JsStreamSealer {
    head: Vec<u8>,
    sealer: RecordSealer,
}

#[wasm_bindgen(js_class = StreamSealer)]
impl JsStreamSealer {
    /// The SMeR's head: everything before the first record (prefix, header, RFC 8188 header).
    #[wasm_bindgen(getter)]
    pub fn head(&self) -> Vec<u8> {
        self.head.clone()
    }

    /// Plaintext bytes per chunk (`rs` − 17).
    #[wasm_bindgen(getter, js_name = chunkLength)]
    pub fn chunk_length(&self) -> usize {
        self.sealer.chunk_len()
    }

    /// The next chunk's record (`chunk ‖ delimiter`, AES-128-GCM, then the tag).
    pub fn seal(&mut self, chunk: &[u8], last: bool) -> JsResult<Vec<u8>> {
        let mut out = Vec::with_capacity(chunk.len() + 17);
        self.sealer.seal(chunk, last, &mut out).map_err(js)?;
        Ok(out)
    }

    /// The records' AES-128-GCM key (RFC 8188's CEK), for sealing in WebCrypto. Secret:
    /// import it non-extractable, then overwrite the array with zeros.
    #[wasm_bindgen(js_name = recordKey)]
    pub fn record_key(&self) -> Vec<u8> {
        self.sealer.content_key().to_vec()
    }

    /// For sealing in WebCrypto: checks that a chunk of `chunkLength` bytes may come next,
    /// counts it and returns its 12-byte nonce. The record is then AES-GCM (`recordKey`, this
    /// nonce, no additional data, 128-bit tag) of the chunk followed by one byte, 2 if
    /// `last` and 1 otherwise — WebCrypto's output (ciphertext ‖ tag) as it is.
    #[wasm_bindgen(js_name = nextNonce)]
    pub fn next_nonce(&mut self, chunk_length: usize, last: bool) -> JsResult<Vec<u8>> {
        self.sealer
            .next_nonce(chunk_length, last)
            .map(|nonce| nonce.to_vec())
            .map_err(js)
    }

    /// Whether the last chunk was sealed.
    #[wasm_bindgen(getter)]
    pub fn finished(&self) -> bool {
        self.sealer.is_finished()
    }
}

/// The head of a streamed SMeR, read and checked (SPEC.md §7.4 steps 1–7) before anything
/// is decrypted: read `StreamHead.prefixLength` bytes, ask `headLength` how many make the
/// head, `parse` those; the records follow at `length`.
#[wasm_bindgen(js_name = StreamHead)]
pub struct JsStreamHead(StreamHead);

#[wasm_bindgen(js_class = StreamHead)]
impl JsStreamHead {
    /// Bytes needed to learn the head's length (magic, version, header length).
    #[wasm_bindgen(getter, js_name = prefixLength)]
    pub fn prefix_length() -> usize {
        streamed::PREFIX_LEN
    }

    /// From the first `prefixLength` bytes, the length of the whole head. Not a streamed
    /// SMeR → `MalformedSmer`; another version → `UnsupportedVersion`; too long → `TooLarge`.
    #[wasm_bindgen(js_name = headLength)]
    pub fn head_length(prefix: &[u8]) -> JsResult<usize> {
        StreamHead::head_len(prefix, &Limits::default()).map_err(js)
    }

    /// Parses and checks a head (the first `headLength` bytes; anything after is ignored).
    pub fn parse(bytes: &[u8]) -> JsResult<JsStreamHead> {
        StreamHead::parse(bytes, &Limits::default())
            .map(JsStreamHead)
            .map_err(js)
    }

    /// The head's length: where the records start.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.0.len()
    }

    /// RFC 8188's record size `rs`.
    #[wasm_bindgen(getter, js_name = recordSize)]
    pub fn record_size(&self) -> u32 {
        self.0.record_size()
    }

    /// The header (authenticated only once a content key matching its commitment opens the
    /// first record).
    #[wasm_bindgen(getter)]
    pub fn header(&self) -> JsSmerHeader {
        JsSmerHeader(self.0.header().clone())
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
                    .map_or(JsValue::UNDEFINED, JsValue::from_str)
            })
            .collect()
    }

    /// The wrapped content key (RSA-OAEP-256) of the recipient whose key id is `keyId`, to
    /// unwrap elsewhere; `NoMatchingRecipient` when there is none.
    #[wasm_bindgen(js_name = encryptedKeyFor)]
    pub fn encrypted_key_for(&self, key_id: &str) -> JsResult<Vec<u8>> {
        self.0
            .encrypted_key_for(key_id)
            .map(<[u8]>::to_vec)
            .map_err(js)
    }

    /// The opener of the records for a content key unwrapped elsewhere; the array is
    /// overwritten with zeros. A key that does not match the header's commitment is
    /// `DecryptionFailed`. `maxRecordBytes` bounds the plaintext (default 1 TiB).
    pub fn opener(
        &self,
        content_key: &mut [u8],
        max_record_bytes: Option<f64>,
    ) -> JsResult<JsStreamOpener> {
        let result = max_record(max_record_bytes)
            .and_then(|max| self.0.opener(content_key, max))
            .map(|opener| JsStreamOpener(Some(opener)))
            .map_err(js);
        content_key.zeroize();
        result
    }

    /// Unwraps the content key with `key` (RSA-OAEP-256, here) and returns the opener.
    /// `NoMatchingRecipient` when the key is not a recipient; every failure after the
    /// private-key operation is `DecryptionFailed`.
    #[wasm_bindgen(js_name = openWith)]
    pub fn open_with(
        &self,
        key: &JsPrivateKey,
        max_record_bytes: Option<f64>,
    ) -> JsResult<JsStreamOpener> {
        let max = max_record(max_record_bytes).map_err(js)?;
        self.0
            .open_with(&key.0, &mut SysRng, max)
            .map(|opener| JsStreamOpener(Some(opener)))
            .map_err(js)
    }
}

/// Opens the records of a streamed SMeR (the bytes after the head) in pieces of any size;
/// each chunk's plaintext is returned only once its record is authenticated. Every failure
/// — a changed, dropped, repeated, reordered or cut record, bytes after the last — is the
/// one `DecryptionFailed`; a plaintext over the limit is `TooLarge`. After a failure the
/// opener is spent.
#[wasm_bindgen(js_name = StreamOpener)]
pub struct JsStreamOpener(Option<RecordOpener>);

#[wasm_bindgen(js_class = StreamOpener)]
impl JsStreamOpener {
    /// Takes the next bytes of the records; returns the plaintext of every record they
    /// complete (possibly empty).
    pub fn update(&mut self, bytes: &[u8]) -> JsResult<Vec<u8>> {
        let opener = self.opener_mut()?;
        let mut out = Vec::new();
        match opener.update(bytes, &mut out) {
            Ok(()) => Ok(out),
            Err(e) => {
                out.zeroize();
                self.0 = None;
                Err(js(e))
            }
        }
    }

    /// Ends the stream: returns the last record's plaintext (possibly empty). A stream
    /// without its last record is `DecryptionFailed`. The opener is then spent.
    pub fn finish(&mut self) -> JsResult<Vec<u8>> {
        let opener = self.0.take().ok_or_else(spent)?;
        let mut out = Vec::new();
        opener.finish(&mut out).map_err(js)?;
        Ok(out)
    }

    /// Opens one record where it lies, for a caller that splits the records itself (each
    /// `recordSize` bytes, the last possibly shorter; `atEnd` says whether the stream ends
    /// with it): `record` is overwritten with its plaintext, and the result says how many of
    /// its first bytes to release. Allocates no JS memory, so opening a large SMeR leaves no
    /// garbage per record. Not to be mixed with `update`. A refusal spends the opener and
    /// leaves no plaintext in `record`.
    #[wasm_bindgen(js_name = openInPlace)]
    pub fn open_in_place(&mut self, record: &mut [u8], at_end: bool) -> JsResult<usize> {
        let result = self.opener_mut()?.open_in_place(record, at_end);
        if result.is_err() {
            self.0 = None;
        }
        result.map_err(js)
    }

    /// Plaintext bytes released so far.
    #[wasm_bindgen(getter)]
    pub fn released(&self) -> JsResult<f64> {
        // Bounded by the limit, at most 2^53 − 1: exact in an f64.
        #[allow(clippy::cast_precision_loss)]
        Ok(self.opener()?.released() as f64)
    }

    /// Whether the last record has been opened.
    #[wasm_bindgen(getter)]
    pub fn finished(&self) -> JsResult<bool> {
        Ok(self.opener()?.is_finished())
    }

    /// RFC 8188's record size: the caller who decrypts in WebCrypto splits the records at
    /// this many bytes (the last may be shorter).
    #[wasm_bindgen(getter, js_name = recordSize)]
    pub fn record_size(&self) -> JsResult<usize> {
        Ok(self.opener()?.record_size())
    }

    /// The records' AES-128-GCM key, for opening in WebCrypto. Secret: import it
    /// non-extractable, then overwrite the array with zeros.
    #[wasm_bindgen(js_name = recordKey)]
    pub fn record_key(&self) -> JsResult<Vec<u8>> {
        Ok(self.opener()?.content_key().to_vec())
    }

    /// For opening in WebCrypto: the next record's 12-byte nonce (`DecryptionFailed` once
    /// the last record was opened: bytes after it).
    #[wasm_bindgen(js_name = nextNonce)]
    pub fn next_nonce(&self) -> JsResult<Vec<u8>> {
        self.opener()?
            .next_nonce()
            .map(|nonce| nonce.to_vec())
            .map_err(js)
    }

    /// For opening in WebCrypto: takes the next record as WebCrypto decrypted it (its tag
    /// verified there) — the plaintext, delimiter and padding — and whether the stream ends
    /// with it. Returns how many of its first bytes to release. The same checks as `update`;
    /// a refusal spends the opener. Release nothing of a record this refuses.
    #[wasm_bindgen(js_name = acceptDecrypted)]
    pub fn accept_decrypted(&mut self, plain: &[u8], at_end: bool) -> JsResult<usize> {
        let result = self.opener_mut()?.accept_decrypted(plain, at_end);
        if result.is_err() {
            self.0 = None;
        }
        result.map_err(js)
    }
}

fn spent() -> JsValue {
    js(Error::InvalidInput(
        "this StreamOpener is finished or failed",
    ))
}

impl JsStreamOpener {
    fn opener(&self) -> JsResult<&RecordOpener> {
        self.0.as_ref().ok_or_else(spent)
    }

    fn opener_mut(&mut self) -> JsResult<&mut RecordOpener> {
        self.0.as_mut().ok_or_else(spent)
    }
}
