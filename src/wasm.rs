//! The JS boundary: every `#[wasm_bindgen]` export of SEMRES lives here, a thin shell over
//! the pure core (CEDA, SMeR). It supplies what the core leaves to its callers — the
//! browser's CSPRNG (`crypto.getRandomValues`) and clock — and turns every error into the
//! one JS error class, `SemresError`, with a stable `code`.
//!
//! Private keys cross the boundary only as opaque handles ([`PrivateKey`]); record bytes
//! cross as `Uint8Array`. Nothing here panics on any input.

use getrandom::SysRng;
use serde::Deserialize;
use wasm_bindgen::prelude::*;

use crate::content::ContentEncryption;
use crate::error::Error;
use crate::identity::{Identity, DEFAULT_ITERATIONS};
use crate::keys::{EncryptionPrivateKey, EncryptionPublicKey, DEFAULT_BITS};
use crate::signing::{SigningPrivateKey, SigningPublicKey};
use crate::smer::{self, Limits, ParsedSmer, SealOptions, SmerHeader};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** The stable codes of `SemresError`, identical to the endpoint's `{code, message}` bodies. */
export type SemresErrorCode =
  | "DecryptionFailed" | "MalformedSmer" | "UnsupportedAlgorithm" | "UnsupportedVersion"
  | "KeyFormat" | "UnsupportedKeySize" | "PassphraseRequired" | "WrongPassphrase"
  | "BadSignature" | "TooLarge" | "NoMatchingRecipient"
  | "InvalidInput" | "RandomnessUnavailable"
  // ledger codes (then the error also has `blockIndex` when a block is at fault)
  | "MalformedLedgerData" | "BadBlockNumber" | "BadPreviousHash" | "BadTime"
  | "UnknownAuthority" | "BadSeal" | "MissingSignature" | "NotRegistered" | "NotAuthorized"
  | "GrantInactive" | "UnknownReference" | "Duplicate" | "BadGenesis" | "RecipientMismatch" | "BadCheckpoint"
  | "BadProof";

/**
 * The one error every SEMRES function throws: a standard `Error` whose `name` is
 * `"SemresError"` and whose `code` is stable. Messages never contain record content or keys.
 */
export interface SemresError extends Error {
  name: "SemresError";
  code: SemresErrorCode;
  /** For chain verification: the index of the first bad block. */
  blockIndex?: number;
}

/** Options of `sealSmer`. Everything here is authenticated but NOT encrypted. */
export interface SealOptions {
  /** Media type of the record, e.g. "application/xml" or "application/fhir+json". */
  contentType: string;
  /** Key id of the record's owner (the patient). */
  ownerKeyId: string;
  /** Content encryption; default "A256CBC-HS512". */
  enc?: "A256CBC-HS512" | "A128CBC-HS256";
  /** Record id; default: 128 random bits, base64url. */
  recordId?: string;
  /** Original file name, without directories. */
  fileName?: string;
  /** Creation time in seconds since the Unix epoch; default: now. */
  createdAt?: number;
  /** Largest record accepted, bytes; default 256 MiB. */
  maxRecordBytes?: number;
}

/** Options of `openSmer` and `inspectSmer`. */
export interface OpenOptions {
  /** Largest record accepted, bytes; default 256 MiB. */
  maxRecordBytes?: number;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `SealOptions` of the TypeScript section above.
    #[wasm_bindgen(typescript_type = "SealOptions")]
    pub type SealOptionsObject;
    /// `OpenOptions` of the TypeScript section above.
    #[wasm_bindgen(typescript_type = "OpenOptions")]
    pub type OpenOptionsObject;
}

/// Reads a JS options object strictly: unknown members (a misspelt option) are refused.
fn read_options<T: serde::de::DeserializeOwned>(
    object: JsValue,
    what: &'static str,
) -> Result<T, Error> {
    let value: serde_json::Value =
        serde_wasm_bindgen::from_value(object).map_err(|_| Error::InvalidInput(what))?;
    serde_json::from_value(value).map_err(|_| Error::InvalidInput(what))
}

fn to_js(error: Error) -> JsValue {
    let js = js_sys::Error::new(&error.to_string());
    js.set_name("SemresError");
    // Setting a property on a fresh Error object cannot fail; if it ever did, the error
    // still reaches the caller with its name and message.
    let _ = js_sys::Reflect::set(
        &js,
        &JsValue::from_str("code"),
        &JsValue::from_str(error.code()),
    );
    js.into()
}

type JsResult<T> = Result<T, JsValue>;

fn limits_with(max_record_bytes: Option<f64>) -> Result<Limits, Error> {
    let mut limits = Limits::default();
    if let Some(max) = max_record_bytes {
        if !(max.is_finite() && max >= 0.0 && max.fract() == 0.0 && max <= 4_294_967_295.0) {
            return Err(Error::InvalidInput(
                "maxRecordBytes must be a whole number of bytes",
            ));
        }
        limits.max_record_bytes = max as usize;
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

/// An RSA public key of an authorized person (a recipient of SMeRs).
#[wasm_bindgen(js_name = PublicKey)]
pub struct PublicKey(EncryptionPublicKey);

#[wasm_bindgen(js_class = PublicKey)]
impl PublicKey {
    /// Reads SPKI (`PUBLIC KEY`) or PKCS#1 (`RSA PUBLIC KEY`) PEM.
    #[wasm_bindgen(js_name = fromPem)]
    pub fn from_pem(pem: &str) -> JsResult<PublicKey> {
        EncryptionPublicKey::from_pem(pem)
            .map(PublicKey)
            .map_err(to_js)
    }

    /// Reads an RSA public JWK (JSON text).
    #[wasm_bindgen(js_name = fromJwk)]
    pub fn from_jwk(jwk: &str) -> JsResult<PublicKey> {
        EncryptionPublicKey::from_jwk(jwk)
            .map(PublicKey)
            .map_err(to_js)
    }

    /// Reads a .NET `<RSAKeyValue>` XML key.
    #[wasm_bindgen(js_name = fromDotnetXml)]
    pub fn from_dotnet_xml(xml: &str) -> JsResult<PublicKey> {
        EncryptionPublicKey::from_dotnet_xml(xml)
            .map(PublicKey)
            .map_err(to_js)
    }

    /// Reads a public key in any supported format (PEM, JWK, .NET XML), detected
    /// automatically; an unencrypted private key gives its public half.
    #[wasm_bindgen(js_name = fromText)]
    pub fn from_text(text: &str) -> JsResult<PublicKey> {
        EncryptionPublicKey::from_any(text)
            .map(PublicKey)
            .map_err(to_js)
    }

    /// Writes SPKI PEM.
    #[wasm_bindgen(js_name = toPem)]
    pub fn to_pem(&self) -> JsResult<String> {
        self.0.to_pem().map_err(to_js)
    }

    /// Writes PKCS#1 PEM (`RSA PUBLIC KEY`).
    #[wasm_bindgen(js_name = toPkcs1Pem)]
    pub fn to_pkcs1_pem(&self) -> JsResult<String> {
        self.0.to_pkcs1_pem().map_err(to_js)
    }

    /// Writes a public JWK (JSON text) importable by WebCrypto as RSA-OAEP-256.
    #[wasm_bindgen(js_name = toJwk)]
    pub fn to_jwk(&self) -> String {
        self.0.to_jwk()
    }

    /// Writes the .NET `<RSAKeyValue>` XML (Modulus, Exponent).
    #[wasm_bindgen(js_name = toDotnetXml)]
    pub fn to_dotnet_xml(&self) -> String {
        self.0.to_dotnet_xml()
    }

    /// The key id: RFC 7638 JWK SHA-256 thumbprint, base64url.
    #[wasm_bindgen(getter, js_name = keyId)]
    pub fn key_id(&self) -> String {
        self.0.key_id().to_owned()
    }

    /// Modulus size in bits.
    #[wasm_bindgen(getter)]
    pub fn bits(&self) -> usize {
        self.0.bits()
    }
}

fn passphrase_bytes(passphrase: &Option<String>) -> Option<&[u8]> {
    passphrase.as_deref().map(str::as_bytes)
}

/// An opaque handle to an RSA private key. Its secret never crosses into JS unless you
/// export it explicitly; call `free()` when done (the memory is wiped).
#[wasm_bindgen(js_name = PrivateKey)]
pub struct PrivateKey(EncryptionPrivateKey);

#[wasm_bindgen(js_class = PrivateKey)]
impl PrivateKey {
    /// Generates a key pair with the browser's CSPRNG. `bits`: 2048, 3072 (default) or 4096.
    pub fn generate(bits: Option<usize>) -> JsResult<PrivateKey> {
        EncryptionPrivateKey::generate(&mut SysRng, bits.unwrap_or(DEFAULT_BITS))
            .map(PrivateKey)
            .map_err(to_js)
    }

    /// Reads PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`) or encrypted PKCS#8
    /// (`ENCRYPTED PRIVATE KEY`, with `passphrase`) PEM.
    #[wasm_bindgen(js_name = fromPem)]
    pub fn from_pem(pem: &str, passphrase: Option<String>) -> JsResult<PrivateKey> {
        EncryptionPrivateKey::from_pem(pem, passphrase_bytes(&passphrase))
            .map(PrivateKey)
            .map_err(to_js)
    }

    /// Reads an RSA private JWK (JSON text).
    #[wasm_bindgen(js_name = fromJwk)]
    pub fn from_jwk(jwk: &str) -> JsResult<PrivateKey> {
        EncryptionPrivateKey::from_jwk(jwk)
            .map(PrivateKey)
            .map_err(to_js)
    }

    /// Reads a private .NET `<RSAKeyValue>` XML key.
    #[wasm_bindgen(js_name = fromDotnetXml)]
    pub fn from_dotnet_xml(xml: &str) -> JsResult<PrivateKey> {
        EncryptionPrivateKey::from_dotnet_xml(xml)
            .map(PrivateKey)
            .map_err(to_js)
    }

    /// Reads a private key in any supported format (PEM, JWK, .NET XML), detected
    /// automatically; `passphrase` opens an encrypted PKCS#8.
    #[wasm_bindgen(js_name = fromText)]
    pub fn from_text(text: &str, passphrase: Option<String>) -> JsResult<PrivateKey> {
        EncryptionPrivateKey::from_any(text, passphrase_bytes(&passphrase))
            .map(PrivateKey)
            .map_err(to_js)
    }

    /// The public half.
    #[wasm_bindgen(js_name = publicKey)]
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.public_key().clone())
    }

    /// The key id of the public half.
    #[wasm_bindgen(getter, js_name = keyId)]
    pub fn key_id(&self) -> String {
        self.0.key_id().to_owned()
    }

    /// Exports the private key as unencrypted PKCS#8 PEM, for a backup the user asked for.
    #[wasm_bindgen(js_name = exportPkcs8Pem)]
    pub fn export_pkcs8_pem(&self) -> JsResult<String> {
        self.0
            .to_pkcs8_pem()
            .map(|pem| pem.as_str().to_owned())
            .map_err(to_js)
    }

    /// Exports the private key as PKCS#1 PEM (`RSA PRIVATE KEY`).
    #[wasm_bindgen(js_name = exportPkcs1Pem)]
    pub fn export_pkcs1_pem(&self) -> JsResult<String> {
        self.0
            .to_pkcs1_pem()
            .map(|pem| pem.as_str().to_owned())
            .map_err(to_js)
    }

    /// Exports the private key as PKCS#8 encrypted under `passphrase` (scrypt, AES-256-CBC).
    #[wasm_bindgen(js_name = exportEncryptedPkcs8Pem)]
    pub fn export_encrypted_pkcs8_pem(&self, passphrase: &str) -> JsResult<String> {
        self.0
            .to_encrypted_pkcs8_pem(&mut SysRng, passphrase.as_bytes())
            .map(|pem| pem.as_str().to_owned())
            .map_err(to_js)
    }

    /// Exports the private key as a private JWK (JSON text).
    #[wasm_bindgen(js_name = exportJwk)]
    pub fn export_jwk(&self) -> JsResult<String> {
        self.0
            .to_jwk()
            .map(|jwk| jwk.as_str().to_owned())
            .map_err(to_js)
    }

    /// Exports the private key as .NET `<RSAKeyValue>` XML.
    #[wasm_bindgen(js_name = exportDotnetXml)]
    pub fn export_dotnet_xml(&self) -> JsResult<String> {
        self.0
            .to_dotnet_xml()
            .map(|xml| xml.as_str().to_owned())
            .map_err(to_js)
    }
}

/// An Ed25519 public key (verifies ledger entries).
#[wasm_bindgen(js_name = SigningPublicKey)]
pub struct JsSigningPublicKey(SigningPublicKey);

#[wasm_bindgen(js_class = SigningPublicKey)]
impl JsSigningPublicKey {
    /// Reads SPKI PEM, an OKP JWK, or (its public half) a private key, detected automatically.
    #[wasm_bindgen(js_name = fromText)]
    pub fn from_text(text: &str) -> JsResult<JsSigningPublicKey> {
        SigningPublicKey::from_any(text)
            .map(JsSigningPublicKey)
            .map_err(to_js)
    }

    /// From the 32 raw bytes of the key.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &[u8]) -> JsResult<JsSigningPublicKey> {
        SigningPublicKey::from_bytes(bytes)
            .map(JsSigningPublicKey)
            .map_err(to_js)
    }

    /// The 32 raw bytes.
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.to_bytes().to_vec()
    }

    /// Writes SPKI PEM.
    #[wasm_bindgen(js_name = toPem)]
    pub fn to_pem(&self) -> JsResult<String> {
        self.0.to_pem().map_err(to_js)
    }

    /// Writes an OKP JWK (JSON text).
    #[wasm_bindgen(js_name = toJwk)]
    pub fn to_jwk(&self) -> String {
        self.0.to_jwk()
    }

    /// The key id (RFC 7638 thumbprint).
    #[wasm_bindgen(getter, js_name = keyId)]
    pub fn key_id(&self) -> String {
        self.0.key_id().to_owned()
    }

    /// True when `signature` is a valid Ed25519 signature of `message` by this key.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.0.verify(message, signature).is_ok()
    }
}

/// An opaque handle to an Ed25519 private key (signs ledger entries).
#[wasm_bindgen(js_name = SigningPrivateKey)]
pub struct JsSigningPrivateKey(SigningPrivateKey);

#[wasm_bindgen(js_class = SigningPrivateKey)]
impl JsSigningPrivateKey {
    /// Generates a key with the browser's CSPRNG.
    pub fn generate() -> JsResult<JsSigningPrivateKey> {
        SigningPrivateKey::generate(&mut SysRng)
            .map(JsSigningPrivateKey)
            .map_err(to_js)
    }

    /// Reads PKCS#8 PEM (encrypted with `passphrase`, or not) or a private OKP JWK.
    #[wasm_bindgen(js_name = fromText)]
    pub fn from_text(text: &str, passphrase: Option<String>) -> JsResult<JsSigningPrivateKey> {
        SigningPrivateKey::from_any(text, passphrase_bytes(&passphrase))
            .map(JsSigningPrivateKey)
            .map_err(to_js)
    }

    /// The public half.
    #[wasm_bindgen(js_name = publicKey)]
    pub fn public_key(&self) -> JsSigningPublicKey {
        JsSigningPublicKey(self.0.public_key().clone())
    }

    /// The key id of the public half.
    #[wasm_bindgen(getter, js_name = keyId)]
    pub fn key_id(&self) -> String {
        self.0.key_id().to_owned()
    }

    /// Signs `message`; returns the 64-byte signature.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.0.sign(message).to_vec()
    }

    /// Exports unencrypted PKCS#8 PEM.
    #[wasm_bindgen(js_name = exportPkcs8Pem)]
    pub fn export_pkcs8_pem(&self) -> JsResult<String> {
        self.0
            .to_pkcs8_pem()
            .map(|pem| pem.as_str().to_owned())
            .map_err(to_js)
    }

    /// Exports PKCS#8 encrypted under `passphrase`.
    #[wasm_bindgen(js_name = exportEncryptedPkcs8Pem)]
    pub fn export_encrypted_pkcs8_pem(&self, passphrase: &str) -> JsResult<String> {
        self.0
            .to_encrypted_pkcs8_pem(&mut SysRng, passphrase.as_bytes())
            .map(|pem| pem.as_str().to_owned())
            .map_err(to_js)
    }

    /// Exports a private OKP JWK (JSON text).
    #[wasm_bindgen(js_name = exportJwk)]
    pub fn export_jwk(&self) -> String {
        self.0.to_jwk().as_str().to_owned()
    }
}

/// A participant: display name, RSA encryption key and Ed25519 signing key, stored as one
/// passphrase-protected file (a JWE any JOSE library can open with the passphrase).
#[wasm_bindgen(js_name = Identity)]
pub struct JsIdentity(Identity);

#[wasm_bindgen(js_class = Identity)]
impl JsIdentity {
    /// Generates a new identity (RSA key of `bits`, default 3072, and an Ed25519 key).
    pub fn generate(name: &str, bits: Option<usize>) -> JsResult<JsIdentity> {
        Identity::generate(&mut SysRng, name, bits.unwrap_or(DEFAULT_BITS))
            .map(JsIdentity)
            .map_err(to_js)
    }

    /// Opens an identity file. Wrong passphrase: code `WrongPassphrase`.
    #[wasm_bindgen(js_name = import)]
    pub fn import(file: &[u8], passphrase: &str) -> JsResult<JsIdentity> {
        Identity::import(file, passphrase.as_bytes())
            .map(JsIdentity)
            .map_err(to_js)
    }

    /// Writes the identity file, encrypted under `passphrase` (PBKDF2 `iterations`,
    /// default 210 000).
    #[wasm_bindgen(js_name = export)]
    pub fn export(&self, passphrase: &str, iterations: Option<u32>) -> JsResult<Vec<u8>> {
        self.0
            .export(
                &mut SysRng,
                passphrase.as_bytes(),
                iterations.unwrap_or(DEFAULT_ITERATIONS),
            )
            .map_err(to_js)
    }

    /// The display name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.0.name.clone()
    }

    /// A handle to the encryption (RSA) private key.
    #[wasm_bindgen(js_name = encryptionKey)]
    pub fn encryption_key(&self) -> PrivateKey {
        PrivateKey(self.0.encryption.clone())
    }

    /// A handle to the signing (Ed25519) private key.
    #[wasm_bindgen(js_name = signingKey)]
    pub fn signing_key(&self) -> JsSigningPrivateKey {
        JsSigningPrivateKey(self.0.signing.clone())
    }
}

/// The recipients of a SMeR being sealed: public keys added by reference (they stay usable).
#[wasm_bindgen(js_name = RecipientList)]
#[derive(Default)]
pub struct RecipientList(Vec<EncryptionPublicKey>);

#[wasm_bindgen(js_class = RecipientList)]
impl RecipientList {
    /// An empty list.
    #[wasm_bindgen(constructor)]
    pub fn new() -> RecipientList {
        RecipientList::default()
    }

    /// Adds a recipient; the key object remains usable.
    pub fn add(&mut self, key: &PublicKey) {
        self.0.push(key.0.clone());
    }

    /// Number of recipients.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.0.len()
    }
}

/// Seals a record into a SMeR (CEDA): a fresh AES key encrypts the record and is wrapped
/// with each recipient's RSA key. Returns the SMeR bytes (UTF-8 JSON).
#[wasm_bindgen(js_name = sealSmer)]
pub fn seal_smer(
    record: &[u8],
    recipients: &RecipientList,
    options: SealOptionsObject,
) -> JsResult<Vec<u8>> {
    let options: JsSealOptions = read_options(
        options.into(),
        "seal options need contentType and ownerKeyId, and may only have enc, recordId, fileName, createdAt, maxRecordBytes",
    )
    .map_err(to_js)?;
    let enc = match options.enc.as_deref() {
        None => ContentEncryption::A256CbcHs512,
        Some(name) => ContentEncryption::from_name(name).ok_or_else(|| {
            to_js(Error::UnsupportedAlgorithm(
                "enc must be A256CBC-HS512 or A128CBC-HS256",
            ))
        })?,
    };
    let created_at = match options.created_at {
        Some(t) if t.is_finite() && t.fract() == 0.0 && t.abs() < 9.0e15 => t as i64,
        Some(_) => {
            return Err(to_js(Error::InvalidInput(
                "createdAt must be whole seconds",
            )))
        }
        None => (js_sys::Date::now() / 1000.0).floor() as i64,
    };
    let limits = limits_with(options.max_record_bytes).map_err(to_js)?;
    let seal_options = SealOptions {
        enc,
        content_type: options.content_type,
        record_id: options.record_id,
        owner_key_id: options.owner_key_id,
        created_at,
        file_name: options.file_name,
    };
    let keys: Vec<&EncryptionPublicKey> = recipients.0.iter().collect();
    smer::seal(&mut SysRng, record, &keys, &seal_options, &limits).map_err(to_js)
}

/// A decrypted record and the authenticated metadata of its SMeR.
#[wasm_bindgen(js_name = OpenedRecord)]
pub struct OpenedRecord(smer::OpenedRecord);

#[wasm_bindgen(js_class = OpenedRecord)]
impl OpenedRecord {
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
    pub fn header(&self) -> SmerInfoHeader {
        SmerInfoHeader(self.0.header.clone())
    }
}

/// The header fields of a SMeR. All optional; untrusted text: never render as HTML.
#[wasm_bindgen(js_name = SmerHeader)]
pub struct SmerInfoHeader(SmerHeader);

#[wasm_bindgen(js_class = SmerHeader)]
impl SmerInfoHeader {
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
    key: &PrivateKey,
    options: Option<OpenOptionsObject>,
) -> JsResult<OpenedRecord> {
    let limits = open_options(options).map_err(to_js)?;
    smer::open(smer, &key.0, &mut SysRng, &limits)
        .map(OpenedRecord)
        .map_err(to_js)
}

/// What can be read from a SMeR without a key.
#[wasm_bindgen(js_name = SmerInfo)]
pub struct SmerInfo(ParsedSmer);

#[wasm_bindgen(js_class = SmerInfo)]
impl SmerInfo {
    /// The header (not authenticated until the SMeR is opened).
    #[wasm_bindgen(getter)]
    pub fn header(&self) -> SmerInfoHeader {
        SmerInfoHeader(self.0.header().clone())
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
pub fn inspect_smer(smer: &[u8], options: Option<OpenOptionsObject>) -> JsResult<SmerInfo> {
    let limits = open_options(options).map_err(to_js)?;
    ParsedSmer::parse(smer, &limits)
        .map(SmerInfo)
        .map_err(to_js)
}

/// The SMeR hash: SHA-256 of the exact SMeR bytes, lower-case hex — the value DERy indexes
/// and the ledger records.
#[wasm_bindgen(js_name = smerHash)]
pub fn smer_hash(smer: &[u8]) -> String {
    smer::smer_hash_hex(smer)
}

// ---------------------------------------------------------------------------------------
// Ledger (paper §3.3–3.4): verification of chains, checkpoints and proofs, and entries
// built and signed in the browser.

use crate::ledger::checkpoint::Checkpoint;
use crate::ledger::entry::{Entry, EntryBody, Role};
use crate::ledger::merkle::{self, Hash};
use crate::ledger::{verify_chain, verify_chain_structure, Block, LedgerError};

fn ledger_js(error: LedgerError, block_index: Option<u64>) -> JsValue {
    let js = js_sys::Error::new(&match block_index {
        Some(i) => format!("block {i}: {error}"),
        None => error.to_string(),
    });
    js.set_name("SemresError");
    let _ = js_sys::Reflect::set(
        &js,
        &JsValue::from_str("code"),
        &JsValue::from_str(error.code()),
    );
    if let Some(i) = block_index {
        let _ = js_sys::Reflect::set(
            &js,
            &JsValue::from_str("blockIndex"),
            &JsValue::from_f64(i as f64),
        );
    }
    js.into()
}

/// Splits a chain file (each block as a 4-byte big-endian length, then its bytes).
fn read_chain_file(file: &[u8]) -> Result<Vec<Block>, JsValue> {
    let mut blocks = Vec::new();
    let mut rest = file;
    while !rest.is_empty() {
        let index = Some(blocks.len() as u64);
        let malformed = || ledger_js(LedgerError::Malformed("chain file framing"), index);
        let (len, tail) = rest.split_first_chunk::<4>().ok_or_else(malformed)?;
        let len = u32::from_be_bytes(*len) as usize;
        let body = tail.get(..len).ok_or_else(malformed)?;
        blocks.push(Block::from_bytes(body).map_err(|e| ledger_js(e, index))?);
        rest = &tail[len..];
    }
    Ok(blocks)
}

/// Result of a chain verification.
#[wasm_bindgen(js_name = ChainReport)]
pub struct ChainReport {
    size: u64,
    root: Hash,
    last_hash: Hash,
    chain_id: Option<String>,
    authorities: Vec<SigningPublicKey>,
}

#[wasm_bindgen(js_class = ChainReport)]
impl ChainReport {
    /// Number of blocks.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> f64 {
        self.size as f64
    }
    /// Merkle root of the block hashes (base64, as in checkpoints).
    #[wasm_bindgen(getter, js_name = rootBase64)]
    pub fn root_base64(&self) -> String {
        use base64ct::Encoding;
        base64ct::Base64::encode_string(&self.root)
    }
    /// Hash of the last block, hex.
    #[wasm_bindgen(getter, js_name = lastHash)]
    pub fn last_hash(&self) -> String {
        smer::to_hex(&self.last_hash)
    }
    /// The chain id from genesis (full verification only).
    #[wasm_bindgen(getter, js_name = chainId)]
    pub fn chain_id(&self) -> Option<String> {
        self.chain_id.clone()
    }
    /// The authority set in force after the last block (full verification only; empty
    /// after a structural check): the keys to check this chain's checkpoints with.
    pub fn authorities(&self) -> SigningKeyList {
        SigningKeyList(self.authorities.clone())
    }
    /// The key ids of `authorities()`.
    #[wasm_bindgen(getter, js_name = authorityKeyIds)]
    pub fn authority_key_ids(&self) -> Vec<String> {
        self.authorities
            .iter()
            .map(|k| k.key_id().to_owned())
            .collect()
    }
}

/// Fully verifies a chain file from genesis: links, numbering, time, every seal by the
/// authority set in force, every entry signature and rule. Throws `SemresError` with the
/// ledger code and `blockIndex` of the first bad block.
#[wasm_bindgen(js_name = verifyChain)]
pub fn verify_chain_file(file: &[u8]) -> JsResult<ChainReport> {
    let blocks = read_chain_file(file)?;
    let state = verify_chain(&blocks).map_err(|e| ledger_js(e.error, Some(e.index)))?;
    let root = state.tree().root(state.size()).unwrap_or_default();
    Ok(ChainReport {
        size: state.size(),
        root,
        last_hash: state.last_hash(),
        chain_id: Some(state.chain_id().to_owned()),
        authorities: state.authorities().cloned().collect(),
    })
}

/// Structural verification of a chain file (numbering, hash links, time; no signatures):
/// compare its `rootBase64` with a verified checkpoint's.
#[wasm_bindgen(js_name = verifyChainStructure)]
pub fn verify_chain_structure_file(file: &[u8]) -> JsResult<ChainReport> {
    let blocks = read_chain_file(file)?;
    let tree = verify_chain_structure(&blocks).map_err(|e| ledger_js(e.error, Some(e.index)))?;
    let last_hash = blocks.last().map(Block::hash).unwrap_or_default();
    Ok(ChainReport {
        size: tree.size(),
        root: tree.root(tree.size()).unwrap_or_default(),
        last_hash,
        chain_id: None,
        authorities: Vec::new(),
    })
}

/// Ed25519 keys trusted as ledger authorities (for checkpoints).
#[wasm_bindgen(js_name = SigningKeyList)]
#[derive(Default)]
pub struct SigningKeyList(Vec<SigningPublicKey>);

#[wasm_bindgen(js_class = SigningKeyList)]
impl SigningKeyList {
    /// An empty list.
    #[wasm_bindgen(constructor)]
    pub fn new() -> SigningKeyList {
        SigningKeyList::default()
    }
    /// Adds a key (the object stays usable).
    pub fn add(&mut self, key: &JsSigningPublicKey) {
        self.0.push(key.0.clone());
    }
}

/// Checks one block without the chain: its sealer is one of `authorities` and the seal
/// verifies. Throws `SemresError` `UnknownAuthority` or `BadSeal`. (A clinician checks the
/// grant's block this way, and its place in the log with `verifyInclusion`.)
#[wasm_bindgen(js_name = verifyBlockSeal)]
pub fn verify_block_seal(block: &[u8], authorities: &SigningKeyList) -> JsResult<()> {
    let block = Block::from_bytes(block).map_err(|e| ledger_js(e, None))?;
    block
        .verify_seal(&authorities.0)
        .map_err(|e| ledger_js(e, None))
}

/// Checks that the block's entry was made and signed by `signer` (the owner's signature of
/// the paper's block). Throws `SemresError` `BadSignature` otherwise.
#[wasm_bindgen(js_name = verifyEntrySigner)]
pub fn verify_entry_signer(block: &[u8], signer: &JsSigningPublicKey) -> JsResult<()> {
    let block = Block::from_bytes(block).map_err(|e| ledger_js(e, None))?;
    block
        .entry
        .verify_signed_by(&signer.0)
        .map_err(|e| ledger_js(e, None))
}

/// A verified checkpoint.
#[wasm_bindgen(js_name = CheckpointInfo)]
pub struct CheckpointInfo(Checkpoint);

#[wasm_bindgen(js_class = CheckpointInfo)]
impl CheckpointInfo {
    /// The log's origin (chain id).
    #[wasm_bindgen(getter)]
    pub fn origin(&self) -> String {
        self.0.origin.clone()
    }
    /// Tree size.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> f64 {
        self.0.size as f64
    }
    /// Root hash, base64.
    #[wasm_bindgen(getter, js_name = rootBase64)]
    pub fn root_base64(&self) -> String {
        use base64ct::Encoding;
        base64ct::Base64::encode_string(&self.0.root)
    }
}

/// Verifies a C2SP signed checkpoint against trusted authority keys.
#[wasm_bindgen(js_name = verifyCheckpoint)]
pub fn verify_checkpoint(note: &str, authorities: &SigningKeyList) -> JsResult<CheckpointInfo> {
    Checkpoint::verify(note, &authorities.0)
        .map(CheckpointInfo)
        .map_err(|e| ledger_js(e, None))
}

fn proof_hashes(proof: &[u8]) -> Result<Vec<Hash>, JsValue> {
    if !proof.len().is_multiple_of(32) {
        return Err(ledger_js(
            LedgerError::Malformed("a proof is a sequence of 32-byte hashes"),
            None,
        ));
    }
    Ok(proof
        .chunks_exact(32)
        .map(|c| {
            let mut h = [0u8; 32];
            h.copy_from_slice(c);
            h
        })
        .collect())
}

/// Verifies that `block` (its bytes) is block `index` of the log in `checkpoint`, with an
/// RFC 6962 inclusion proof (concatenated 32-byte hashes). Throws `BadProof` otherwise.
#[wasm_bindgen(js_name = verifyInclusion)]
pub fn verify_inclusion(
    block: &[u8],
    index: f64,
    proof: &[u8],
    checkpoint: &CheckpointInfo,
) -> JsResult<()> {
    let block = Block::from_bytes(block).map_err(|e| ledger_js(e, None))?;
    if block.number as f64 != index {
        return Err(ledger_js(LedgerError::BadProof, None));
    }
    let leaf = merkle::leaf_hash(&block.hash());
    merkle::verify_inclusion(
        &leaf,
        block.number,
        checkpoint.0.size,
        &proof_hashes(proof)?,
        &checkpoint.0.root,
    )
    .map_err(|_| ledger_js(LedgerError::BadProof, None))
}

/// Verifies that the log in `older` is a prefix of the log in `newer` (RFC 6962
/// consistency proof, concatenated 32-byte hashes).
#[wasm_bindgen(js_name = verifyConsistency)]
pub fn verify_consistency(
    older: &CheckpointInfo,
    newer: &CheckpointInfo,
    proof: &[u8],
) -> JsResult<()> {
    merkle::verify_consistency(
        older.0.size,
        newer.0.size,
        &proof_hashes(proof)?,
        &older.0.root,
        &newer.0.root,
    )
    .map_err(|_| ledger_js(LedgerError::BadProof, None))
}

fn hash_from_hex(hex: &str) -> Result<Hash, JsValue> {
    let bad = || to_js(Error::InvalidInput("a hash is 64 hex digits"));
    if hex.len() != 64 {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2).ok_or_else(bad)?, 16)
            .map_err(|_| bad())?;
    }
    Ok(out)
}

fn signed_entry(key: &JsSigningPrivateKey, body: EntryBody) -> JsResult<Vec<u8>> {
    let mut nonce = [0u8; 16];
    rand_core::TryRng::try_fill_bytes(&mut SysRng, &mut nonce)
        .map_err(|_| to_js(Error::RandomnessUnavailable))?;
    let now = (js_sys::Date::now() / 1000.0).floor() as i64;
    Ok(Entry::new(key.0.key_id(), now, nonce, body)
        .sign(&key.0)
        .to_bytes())
}

/// A Register entry for this participant (`role`: "patient", "clinician", "authority"),
/// signed by its signing key. Clinicians and authorities also need an authority's
/// signature: see `cosignEntry`.
#[wasm_bindgen(js_name = registerEntry)]
pub fn register_entry(
    signing: &JsSigningPrivateKey,
    encryption: &PublicKey,
    role: &str,
) -> JsResult<Vec<u8>> {
    let role = Role::from_name(role).ok_or_else(|| {
        to_js(Error::InvalidInput(
            "role is patient, clinician or authority",
        ))
    })?;
    let encryption_key = encryption.0.to_spki_der().map_err(to_js)?;
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
    let entry = Entry::from_bytes(entry).map_err(|e| ledger_js(e, None))?;
    Ok(entry.sign(&key.0).to_bytes())
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
    let body = EntryBody::Grant {
        smer_hash: hash_from_hex(smer_hash_hex)?,
        data_index: data_index.to_owned(),
        recipient: recipient_key_id.to_owned(),
        expires: expires.map(|t| t as i64),
    };
    signed_entry(owner, body)
}

/// A Revoke of the grant with entry hash `grantHashHex`.
#[wasm_bindgen(js_name = revokeEntry)]
pub fn revoke_entry(owner: &JsSigningPrivateKey, grant_hash_hex: &str) -> JsResult<Vec<u8>> {
    signed_entry(
        owner,
        EntryBody::Revoke {
            grant: hash_from_hex(grant_hash_hex)?,
        },
    )
}

/// An Access receipt for the grant `grantHashHex`, by its recipient.
#[wasm_bindgen(js_name = accessEntry)]
pub fn access_entry(recipient: &JsSigningPrivateKey, grant_hash_hex: &str) -> JsResult<Vec<u8>> {
    signed_entry(
        recipient,
        EntryBody::Access {
            grant: hash_from_hex(grant_hash_hex)?,
        },
    )
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
    if !(amount.is_finite() && amount >= 0.0 && amount.fract() == 0.0 && amount < 9.0e15) {
        return Err(to_js(Error::InvalidInput(
            "amount is a whole number of minor units",
        )));
    }
    let body = EntryBody::Payment {
        care: hash_from_hex(care_hash_hex)?,
        amount: amount as u64,
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
    signed_entry(
        owner,
        EntryBody::Erase {
            smer_hash: hash_from_hex(smer_hash_hex)?,
        },
    )
}

/// The entry hash (hex) by which other entries refer to this one.
#[wasm_bindgen(js_name = entryHash)]
pub fn entry_hash(entry: &[u8]) -> JsResult<String> {
    Entry::from_bytes(entry)
        .map(|e| smer::to_hex(&e.hash()))
        .map_err(|e| ledger_js(e, None))
}

/// The entry an entry refers to: the grant of a revoke, access or care; the care of a
/// payment.
fn refers_to(body: &EntryBody) -> Option<&Hash> {
    match body {
        EntryBody::Revoke { grant } | EntryBody::Access { grant } => Some(grant),
        EntryBody::Care { grant, .. } => Some(grant),
        EntryBody::Payment { care, .. } => Some(care),
        _ => None,
    }
}

/// What a Register entry registers: the participant's key id, role, Ed25519 key and RSA
/// encryption key (PEM and key id) — a client seals to the RSA key of a verified register
/// block, not to whatever an endpoint says.
fn registration(entry: &Entry) -> JsResult<Option<serde_json::Value>> {
    let EntryBody::Register {
        role,
        signing_key,
        encryption_key,
    } = &entry.body
    else {
        return Ok(None);
    };
    let key = EncryptionPublicKey::from_spki_der(encryption_key).map_err(to_js)?;
    Ok(Some(serde_json::json!({
        "keyId": entry.signer,
        "role": role.name(),
        "signingKey": crate::b64::encode(signing_key),
        "encryptionKeyId": key.key_id(),
        "encryptionKeyPem": key.to_pem().map_err(to_js)?,
    })))
}

/// The paper's fields of a block (Fig. 6), as a plain object with hex hashes, plus the
/// block's `sealer`, its `entryHash`, `refersTo` (the grant or care entry it refers to) and,
/// for a Register entry, `registration` (key id, role, both public keys).
#[wasm_bindgen(js_name = blockFields)]
pub fn block_fields(block: &[u8]) -> JsResult<JsValue> {
    let b = Block::from_bytes(block).map_err(|e| ledger_js(e, None))?;
    let v = b.paper_view();
    let object = serde_json::json!({
        "blockNumber": v.block_number,
        "previousHash": smer::to_hex(&v.previous_hash),
        "hash": smer::to_hex(&v.hash),
        "time": v.time,
        "owner": v.owner,
        "authorizedPerson": v.authorized_person,
        "dataIndex": v.data_index,
        "smerHash": v.smer_hash.map(|h| smer::to_hex(&h)),
        "authorityStatus": v.authority_status,
        "signature": v.signature.map(|s| smer::to_hex(&s)),
        "payment": v.payment.map(|(amount, currency)| serde_json::json!({"amount": amount, "currency": currency})),
        "sealer": b.sealer,
        "entryHash": smer::to_hex(&b.entry.hash()),
        "refersTo": refers_to(&b.entry.body).map(|h| smer::to_hex(h)),
        "registration": registration(&b.entry)?,
    });
    serde::Serialize::serialize(&object, &serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|_| to_js(Error::InvalidInput("cannot convert block")))
}
