//! The `semres` batch commands for hospitals' scripts: `keygen`, `seal`, `open`, `hash` —
//! thin shells over the core (CEDA, SMeR) that add files, the system clock and the OS RNG.
//!
//! Every failure is one line `semres <command>: <Code>: <message>` and a non-zero exit;
//! outputs are written to a temporary file in the destination folder and renamed into place
//! only when complete, so a failed command never leaves a partial or stale output behind.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use getrandom::SysRng;
use semres::identity::{Identity, DEFAULT_ITERATIONS};
use semres::signing::{SigningPrivateKey, SigningPublicKey};
use semres::smer::{self, Limits, SealOptions};
use semres::{ContentEncryption, EncryptionPrivateKey, EncryptionPublicKey};
use zeroize::Zeroizing;

/// A CLI failure: a core error (with its stable code) or an I/O problem with a path.
#[derive(Debug)]
pub enum CliError {
    /// An error of the core, reported with its code.
    Core(semres::Error),
    /// A file could not be read or written.
    Io {
        /// The path concerned.
        path: PathBuf,
        /// What happened.
        error: std::io::Error,
    },
    /// A request the command refuses (e.g. it would overwrite a key).
    Refused(String),
}

impl CliError {
    /// The stable code printed before the message.
    pub fn code(&self) -> &'static str {
        match self {
            CliError::Core(e) => e.code(),
            CliError::Io { .. } => "Io",
            CliError::Refused(_) => "Refused",
        }
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Core(e) => write!(f, "{e}"),
            CliError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            CliError::Refused(why) => f.write_str(why),
        }
    }
}

impl From<semres::Error> for CliError {
    fn from(e: semres::Error) -> Self {
        CliError::Core(e)
    }
}

type CliResult<T> = Result<T, CliError>;

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
    move |error| CliError::Io {
        path: path.to_owned(),
        error,
    }
}

fn read(path: &Path) -> CliResult<Vec<u8>> {
    fs::read(path).map_err(io_error(path))
}

fn read_text(path: &Path) -> CliResult<Zeroizing<String>> {
    let bytes = Zeroizing::new(read(path)?);
    String::from_utf8(bytes.to_vec())
        .map(Zeroizing::new)
        .map_err(|_| CliError::Core(semres::Error::KeyFormat("the key file is not UTF-8 text")))
}

/// Reads a passphrase file: its first line, without the line ending.
pub fn read_passphrase(path: &Path) -> CliResult<Zeroizing<Vec<u8>>> {
    let text = read_text(path)?;
    let line = text.lines().next().unwrap_or_default();
    if line.is_empty() {
        return Err(CliError::Core(semres::Error::InvalidInput(
            "the passphrase file is empty",
        )));
    }
    Ok(Zeroizing::new(line.as_bytes().to_vec()))
}

/// Writes `bytes` to `path` atomically: a temporary file beside it (mode 0600 when
/// `private`), flushed to disk, then renamed. Nothing is left behind on failure.
pub fn write_atomically(path: &Path, bytes: &[u8], private: bool) -> CliResult<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.semres-{}.tmp", std::process::id()));
    let result = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(if private { 0o600 } else { 0o644 });
        }
        let mut file: File = options.open(&temp).map_err(io_error(&temp))?;
        file.write_all(bytes).map_err(io_error(&temp))?;
        file.sync_all().map_err(io_error(&temp))?;
        fs::rename(&temp, path).map_err(io_error(path))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Options of `keygen`.
pub struct KeygenArgs {
    /// Output folder (created if missing).
    pub out: PathBuf,
    /// RSA modulus size.
    pub bits: usize,
    /// Display name stored in the identity file.
    pub name: Option<String>,
    /// Passphrase protecting the private keys (and enabling the identity file).
    pub passphrase_file: Option<PathBuf>,
    /// Overwrite existing key files.
    pub force: bool,
}

/// `semres keygen`: writes the four PEM files (and `identity.json` with a passphrase).
/// Returns the lines to print.
pub fn keygen(args: &KeygenArgs) -> CliResult<Vec<String>> {
    let passphrase = args
        .passphrase_file
        .as_deref()
        .map(read_passphrase)
        .transpose()?;
    fs::create_dir_all(&args.out).map_err(io_error(&args.out))?;
    let mut names = vec![
        "encryption.pub.pem",
        "encryption.key.pem",
        "signing.pub.pem",
        "signing.key.pem",
    ];
    if passphrase.is_some() {
        names.push("identity.json");
    }
    if !args.force {
        if let Some(existing) = names.iter().map(|n| args.out.join(n)).find(|p| p.exists()) {
            return Err(CliError::Refused(format!(
                "{} exists; use --force to replace it",
                existing.display()
            )));
        }
    }
    let identity = Identity::generate(
        &mut SysRng,
        args.name.as_deref().unwrap_or("unnamed"),
        args.bits,
    )?;
    let (encryption_key, signing_key) = match &passphrase {
        Some(p) => (
            identity.encryption.to_encrypted_pkcs8_pem(&mut SysRng, p)?,
            identity.signing.to_encrypted_pkcs8_pem(&mut SysRng, p)?,
        ),
        None => (
            identity.encryption.to_pkcs8_pem()?,
            identity.signing.to_pkcs8_pem()?,
        ),
    };
    let out = |n: &str| args.out.join(n);
    write_atomically(
        &out("encryption.pub.pem"),
        identity.encryption.public_key().to_pem()?.as_bytes(),
        false,
    )?;
    write_atomically(&out("encryption.key.pem"), encryption_key.as_bytes(), true)?;
    write_atomically(
        &out("signing.pub.pem"),
        identity.signing.public_key().to_pem()?.as_bytes(),
        false,
    )?;
    write_atomically(&out("signing.key.pem"), signing_key.as_bytes(), true)?;
    let mut lines = vec![
        format!(
            "encryption key id {}  ({} bits RSA)",
            identity.encryption.key_id(),
            args.bits
        ),
        format!("signing key id    {}  (Ed25519)", identity.signing.key_id()),
    ];
    if let Some(p) = &passphrase {
        write_atomically(
            &out("identity.json"),
            &identity.export(&mut SysRng, p, DEFAULT_ITERATIONS)?,
            true,
        )?;
        lines.push(format!(
            "identity file     {}",
            out("identity.json").display()
        ));
    } else {
        lines.push("private keys are NOT encrypted: pass --passphrase-file to protect them".into());
    }
    Ok(lines)
}

/// Reads an RSA public key file in any format (PEM, JWK, .NET XML).
pub fn read_public_key(path: &Path) -> CliResult<EncryptionPublicKey> {
    Ok(EncryptionPublicKey::from_any(&read_text(path)?)?)
}

/// True when `text` is an identity file (a PBES2 JWE) rather than a key.
fn is_identity_file(text: &str) -> bool {
    text.trim_start().starts_with('{')
        && text.contains("\"encrypted_key\"")
        && text.contains("\"protected\"")
}

/// Reads an RSA private key file in any format — or the encryption key of an identity
/// file — opening an encrypted one with `passphrase`.
pub fn read_private_key(path: &Path, passphrase: Option<&[u8]>) -> CliResult<EncryptionPrivateKey> {
    let text = read_text(path)?;
    if is_identity_file(&text) {
        let passphrase = passphrase.ok_or(CliError::Core(semres::Error::PassphraseRequired))?;
        return Ok(Identity::import(text.as_bytes(), passphrase)?.encryption);
    }
    Ok(EncryptionPrivateKey::from_any(&text, passphrase)?)
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

/// Options of `seal`.
pub struct SealArgs {
    /// Recipients' public key files.
    pub to: Vec<PathBuf>,
    /// Content encryption.
    pub enc: ContentEncryption,
    /// Media type; guessed from the input's extension when absent.
    pub content_type: Option<String>,
    /// Owner key id or key file; the first recipient when absent.
    pub owner: Option<String>,
    /// Record id; random when absent.
    pub record_id: Option<String>,
    /// Do not record the input's file name in the SMeR.
    pub no_file_name: bool,
    /// Record file.
    pub input: PathBuf,
    /// SMeR file to write.
    pub output: PathBuf,
}

/// `semres seal`: returns the SMeR hash.
pub fn seal(args: &SealArgs) -> CliResult<String> {
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
        enc: args.enc,
        content_type: args
            .content_type
            .clone()
            .unwrap_or_else(|| guess_content_type(&args.input).to_owned()),
        record_id: args.record_id.clone(),
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
    write_atomically(&args.output, &sealed, false)?;
    Ok(smer::smer_hash_hex(&sealed))
}

/// `semres open`: decrypts `input` with the key and writes the record (mode 0600).
pub fn open(
    key: &Path,
    passphrase_file: Option<&Path>,
    input: &Path,
    output: &Path,
) -> CliResult<()> {
    let passphrase = passphrase_file.map(read_passphrase).transpose()?;
    let key = read_private_key(key, passphrase.as_deref().map(Vec::as_slice))?;
    let smer_bytes = read(input)?;
    let opened = smer::open(&smer_bytes, &key, &mut SysRng, &Limits::default())?;
    write_atomically(output, &opened.record, true)
}

/// `semres hash`: the SMeR hash of a file.
pub fn hash(input: &Path) -> CliResult<String> {
    Ok(smer::smer_hash_hex(&read(input)?))
}

/// Reads an Ed25519 private key file (PEM or JWK; an encrypted PEM needs its passphrase).
pub fn read_signing_key(path: &Path) -> CliResult<SigningPrivateKey> {
    Ok(SigningPrivateKey::from_any(&read_text(path)?, None)?)
}

/// `semres register`: a Register entry for the identity, base64url, written to `output`.
pub fn register_entry(
    identity: &Path,
    passphrase_file: &Path,
    role: &str,
    output: &Path,
) -> CliResult<String> {
    use semres::ledger::entry::{Entry, EntryBody, Role};
    let role = Role::from_name(role).ok_or(CliError::Core(semres::Error::InvalidInput(
        "role is patient, clinician or authority",
    )))?;
    let passphrase = read_passphrase(passphrase_file)?;
    let identity = Identity::import(&read(identity)?, &passphrase)?;
    let mut nonce = [0u8; 16];
    rand_core::TryRng::try_fill_bytes(&mut SysRng, &mut nonce)
        .map_err(|_| CliError::Core(semres::Error::RandomnessUnavailable))?;
    let body = EntryBody::Register {
        role,
        signing_key: identity.signing.public_key().to_bytes(),
        encryption_key: identity.encryption.public_key().to_spki_der()?,
    };
    let entry = Entry::new(identity.signing.key_id(), now(), nonce, body).sign(&identity.signing);
    write_atomically(
        output,
        semres::b64::encode(&entry.to_bytes()).as_bytes(),
        false,
    )?;
    Ok(identity.signing.key_id().to_owned())
}

/// `semres admit`: adds the authority's co-signature to an entry file.
pub fn admit(
    authority_key: &Path,
    passphrase_file: Option<&Path>,
    input: &Path,
    output: &Path,
) -> CliResult<()> {
    let passphrase = passphrase_file.map(read_passphrase).transpose()?;
    let key = SigningPrivateKey::from_any(
        &read_text(authority_key)?,
        passphrase.as_deref().map(Vec::as_slice),
    )?;
    let text = read_text(input)?;
    let bytes = semres::b64::decode(text.trim()).ok_or(CliError::Core(
        semres::Error::InvalidInput("the entry file is not base64url"),
    ))?;
    let entry = semres::ledger::Entry::from_bytes(&bytes).map_err(|_| {
        CliError::Core(semres::Error::InvalidInput(
            "the file is not a ledger entry",
        ))
    })?;
    write_atomically(
        output,
        semres::b64::encode(&entry.sign(&key).to_bytes()).as_bytes(),
        false,
    )
}
