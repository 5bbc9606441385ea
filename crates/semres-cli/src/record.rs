//! `semres seal`, `open` and `hash`: CEDA over files — a record sealed into a SMeR for its
//! recipients, a SMeR opened with one recipient's private key, and the SMeR hash that DERy
//! and the ledger hold.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use getrandom::SysRng;
use semres::identity::signing::{SigningPrivateKey, SigningPublicKey};
use semres::smer::{self, Limits, SealOptions};
use semres::{ContentEncryption, EncryptionPublicKey};
use zeroize::Zeroizing;

use crate::error::{CliError, CliResult};
use crate::files::{
    now, read, read_optional_passphrase, read_private_key, read_public_key, read_text, write_out,
};

/// Content encryption, as the command line names it.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Enc {
    /// AES-256-CBC with HMAC-SHA-512 (the default).
    #[value(name = "A256CBC-HS512")]
    A256CbcHs512,
    /// AES-128-CBC with HMAC-SHA-256 (the paper's AES-128).
    #[value(name = "A128CBC-HS256")]
    A128CbcHs256,
}

impl From<Enc> for ContentEncryption {
    fn from(enc: Enc) -> Self {
        match enc {
            Enc::A256CbcHs512 => ContentEncryption::A256CbcHs512,
            Enc::A128CbcHs256 => ContentEncryption::A128CbcHs256,
        }
    }
}

/// Seal a record into a SMeR for one or more recipients (CEDA); prints the SMeR hash.
#[derive(Args)]
pub(crate) struct SealArgs {
    /// A recipient's RSA public key file (PEM, JWK or .NET XML); repeat for several.
    #[arg(long = "to", required = true)]
    pub(crate) to: Vec<PathBuf>,
    /// Content encryption.
    #[arg(long, value_enum, default_value = "A256CBC-HS512")]
    pub(crate) enc: Enc,
    /// Media type of the record (default: from the file extension).
    #[arg(long)]
    pub(crate) content_type: Option<String>,
    /// The owner's key id, or a key file of the owner (default: the first --to key).
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) owner: Option<String>,
    /// Record id (default: 128 random bits).
    #[arg(long)]
    pub(crate) record_id: Option<String>,
    /// Do not put the input's file name into the SMeR header.
    #[arg(long)]
    pub(crate) no_file_name: bool,
    /// The record to seal.
    pub(crate) input: PathBuf,
    /// Where to write the SMeR.
    pub(crate) output: PathBuf,
}

/// Open a SMeR with your private key and write the record. On any failure: a one-line
/// error with its code, a non-zero exit, and no output file.
#[derive(Args)]
pub(crate) struct OpenArgs {
    /// Your RSA private key file (PEM: PKCS#8, PKCS#1, encrypted PKCS#8; JWK; .NET XML), or
    /// your identity file (identity.json, with --passphrase-file).
    #[arg(long)]
    pub(crate) key: PathBuf,
    /// File whose first line is the key's passphrase.
    #[arg(long)]
    pub(crate) passphrase_file: Option<PathBuf>,
    /// The SMeR.
    pub(crate) input: PathBuf,
    /// Where to write the record (created with mode 0600).
    pub(crate) output: PathBuf,
}

/// Print the SMeR hash (SHA-256 of the file, hex) — the value DERy and the ledger hold.
#[derive(Args)]
pub(crate) struct HashArgs {
    /// The SMeR file.
    pub(crate) input: PathBuf,
}

/// The key id named by `--owner`: a key file (encryption or signing, public or private), or
/// the id itself.
fn owner_key_id(owner: &str) -> CliResult<String> {
    let path = Path::new(owner);
    if !path.is_file() {
        return Ok(owner.to_owned());
    }
    let text = read_text(path)?;
    if let Ok(key) = EncryptionPublicKey::from_any(&text) {
        return Ok(key.key_id().to_owned());
    }
    if let Ok(key) = SigningPublicKey::from_any(&text) {
        return Ok(key.key_id().to_owned());
    }
    if let Ok(key) = SigningPrivateKey::from_any(&text, None) {
        return Ok(key.key_id().to_owned());
    }
    Err(CliError::Core(semres::Error::KeyFormat(
        "--owner is neither a key file nor a key id",
    )))
}

fn guess_content_type(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("xml") => "application/xml",
        Some("json") => "application/json",
        Some("pdf") => "application/pdf",
        Some("txt") => "text/plain",
        Some("png") => "image/png",
        Some("jpg") | Some("jpeg") => "image/jpeg",
        Some("dcm") => "application/dicom",
        _ => "application/octet-stream",
    }
}

/// `semres seal`: returns the SMeR hash.
pub(crate) fn seal(args: SealArgs) -> CliResult<String> {
    let keys = args
        .to
        .iter()
        .map(|p| read_public_key(p))
        .collect::<CliResult<Vec<_>>>()?;
    let first = keys
        .first()
        .ok_or(CliError::Core(semres::Error::InvalidInput(
            "give at least one --to",
        )))?;
    let owner = match &args.owner {
        Some(o) => owner_key_id(o)?,
        None => first.key_id().to_owned(),
    };
    let record = Zeroizing::new(read(&args.input)?);
    let file_name = if args.no_file_name {
        None
    } else {
        args.input
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
    };
    let options = SealOptions {
        enc: args.enc.into(),
        content_type: args
            .content_type
            .unwrap_or_else(|| guess_content_type(&args.input).to_owned()),
        record_id: args.record_id,
        owner_key_id: owner,
        created_at: now(),
        file_name,
    };
    let recipients: Vec<&EncryptionPublicKey> = keys.iter().collect();
    let sealed = smer::seal(
        &mut SysRng,
        &record,
        &recipients,
        &options,
        &Limits::default(),
    )?;
    write_out(&args.output, &sealed, false)?;
    Ok(semres::dery::smer_hash_hex(&sealed))
}

/// `semres open`: decrypts the SMeR with the key and writes the record (mode 0600).
pub(crate) fn open(args: OpenArgs) -> CliResult<()> {
    let passphrase = read_optional_passphrase(args.passphrase_file.as_deref())?;
    let key = read_private_key(&args.key, passphrase.as_deref().map(Vec::as_slice))?;
    let smer_bytes = read(&args.input)?;
    let opened = smer::open(&smer_bytes, &key, &mut SysRng, &Limits::default())?;
    write_out(&args.output, &opened.record, true)
}

/// `semres hash`: the SMeR hash of a file.
pub(crate) fn hash(args: HashArgs) -> CliResult<String> {
    Ok(semres::dery::smer_hash_hex(&read(&args.input)?))
}
