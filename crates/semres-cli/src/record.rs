//! `semres seal`, `open` and `hash`: CEDA over files — a record sealed into a SMeR for its
//! recipients, a SMeR opened with one recipient's private key, and the SMeR hash that DERy
//! and the ledger hold. Large records are sealed as streamed SMeRs (SPEC.md §7) and both
//! profiles' files are read and written in constant memory where the format allows it.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use getrandom::SysRng;
use semres::dery::SmerHasher;
use semres::identity::signing::{SigningPrivateKey, SigningPublicKey};
use semres::smer::ece;
use semres::smer::streamed::{
    is_streamed, StreamHead, StreamSealPlan, DEFAULT_MAX_STREAMED_RECORD_BYTES, PREFIX_LEN,
};
use semres::smer::{self, Limits, SealOptions};
use semres::{ContentEncryption, EncryptionPrivateKey, EncryptionPublicKey};
use semres_node::fsutil::AtomicFile;
use zeroize::Zeroizing;

use crate::error::{io_error, CliError, CliResult};
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

/// Which SMeR `seal` writes.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Profile {
    /// SMeR v1 up to 64 MiB, a streamed SMeR above.
    Auto,
    /// SMeR v1 (one JWE; the record is held in memory; at most 256 MiB).
    V1,
    /// Streamed SMeR (RFC 8188 records; constant memory; any size).
    Stream,
}

/// Records larger than this are sealed as streamed SMeRs by `--profile auto`.
pub(crate) const STREAM_THRESHOLD: u64 = 64 * 1024 * 1024;

/// Seal a record into a SMeR for one or more recipients (CEDA); prints the SMeR hash.
#[derive(Args)]
pub(crate) struct SealArgs {
    /// A recipient's RSA public key file (PEM, JWK or .NET XML); repeat for several.
    #[arg(long = "to", required = true)]
    pub(crate) to: Vec<PathBuf>,
    /// Content encryption of a SMeR v1 (a streamed SMeR's records are AES-128-GCM).
    #[arg(long, value_enum, default_value = "A256CBC-HS512")]
    pub(crate) enc: Enc,
    /// SMeR v1, streamed SMeR, or chosen by size (streamed above 64 MiB).
    #[arg(long, value_enum, default_value = "auto")]
    pub(crate) profile: Profile,
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
    let size = std::fs::metadata(&args.input)
        .map_err(io_error(&args.input))?
        .len();
    let streamed = match args.profile {
        Profile::Auto => size > STREAM_THRESHOLD,
        Profile::V1 => false,
        Profile::Stream => true,
    };
    if streamed {
        return seal_streamed(&args.input, &args.output, &recipients, &options);
    }
    let record = Zeroizing::new(read(&args.input)?);
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

/// Reads until `buf` is full or the input ends; returns how many bytes were read.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Seals `input` as a streamed SMeR into `output`, one record at a time (two chunks of
/// plaintext and one record in memory), hashing as it writes.
fn seal_streamed(
    input: &Path,
    output: &Path,
    recipients: &[&EncryptionPublicKey],
    options: &SealOptions,
) -> CliResult<String> {
    let mut plan = StreamSealPlan::new(
        &mut SysRng,
        recipients,
        options,
        &Limits::default(),
        ece::DEFAULT_RECORD_SIZE,
    )?;
    plan.wrap_all(&mut SysRng)?;
    let (head, mut sealer) = plan.start()?;
    let mut source = File::open(input).map_err(io_error(input))?;
    let file = AtomicFile::create(output, false).map_err(io_error(output))?;
    let mut sink = BufWriter::with_capacity(1 << 18, file);
    let mut hasher = SmerHasher::new();
    hasher.update(&head);
    sink.write_all(&head).map_err(io_error(output))?;
    let n = sealer.chunk_len();
    let mut current = Zeroizing::new(vec![0u8; n]);
    let mut next = Zeroizing::new(vec![0u8; n]);
    let mut current_len = read_full(&mut source, &mut current).map_err(io_error(input))?;
    let mut record = Vec::with_capacity(n + ece::TAG_LEN + 1);
    loop {
        // A full chunk is the last only if nothing follows it.
        let next_len = if current_len == n {
            read_full(&mut source, &mut next).map_err(io_error(input))?
        } else {
            0
        };
        let last = current_len < n || next_len == 0;
        record.clear();
        sealer.seal(&current[..current_len], last, &mut record)?;
        hasher.update(&record);
        sink.write_all(&record).map_err(io_error(output))?;
        if last {
            break;
        }
        std::mem::swap(&mut current, &mut next);
        current_len = next_len;
    }
    let file = sink.into_inner().map_err(|e| CliError::Io {
        path: output.to_owned(),
        error: e.into_error(),
    })?;
    file.commit().map_err(io_error(output))?;
    Ok(semres::hex::encode(&hasher.finish()))
}

/// `semres open`: decrypts the SMeR with the key and writes the record (mode 0600). A
/// streamed SMeR is read and written one record at a time; the output appears only once
/// every record has authenticated (SPEC.md §7.4).
pub(crate) fn open(args: OpenArgs) -> CliResult<()> {
    let passphrase = read_optional_passphrase(args.passphrase_file.as_deref())?;
    let key = read_private_key(&args.key, passphrase.as_deref().map(Vec::as_slice))?;
    let mut source = File::open(&args.input).map_err(io_error(&args.input))?;
    let mut prefix = [0u8; PREFIX_LEN];
    let got = read_full(&mut source, &mut prefix).map_err(io_error(&args.input))?;
    if is_streamed(&prefix[..got]) {
        return open_streamed(&mut source, &prefix[..got], &key, &args.input, &args.output);
    }
    let smer_bytes = read(&args.input)?;
    let opened = smer::open(&smer_bytes, &key, &mut SysRng, &Limits::default())?;
    write_out(&args.output, &opened.record, true)
}

fn open_streamed(
    source: &mut File,
    prefix: &[u8],
    key: &EncryptionPrivateKey,
    input: &Path,
    output: &Path,
) -> CliResult<()> {
    let limits = Limits::default();
    let head_len = StreamHead::head_len(prefix, &limits)?;
    let mut head = prefix.to_vec();
    head.resize(head_len, 0);
    let more = read_full(source, &mut head[prefix.len()..]).map_err(io_error(input))?;
    head.truncate(prefix.len() + more);
    let head = StreamHead::parse(&head, &limits)?;
    let mut opener = head.open_with(key, &mut SysRng, DEFAULT_MAX_STREAMED_RECORD_BYTES)?;
    let file = AtomicFile::create(output, true).map_err(io_error(output))?;
    let mut sink = BufWriter::with_capacity(1 << 18, file);
    let mut buf = vec![0u8; 1 << 16];
    let mut plain = Zeroizing::new(Vec::with_capacity(2 << 16));
    loop {
        let n = read_full(source, &mut buf).map_err(io_error(input))?;
        if n == 0 {
            break;
        }
        plain.clear();
        opener.update(&buf[..n], &mut plain)?;
        sink.write_all(&plain).map_err(io_error(output))?;
    }
    plain.clear();
    opener.finish(&mut plain)?;
    sink.write_all(&plain).map_err(io_error(output))?;
    let file = sink.into_inner().map_err(|e| CliError::Io {
        path: output.to_owned(),
        error: e.into_error(),
    })?;
    file.commit().map_err(io_error(output))
}

/// `semres hash`: the SMeR hash of a file, read in pieces.
pub(crate) fn hash(args: HashArgs) -> CliResult<String> {
    let mut source = File::open(&args.input).map_err(io_error(&args.input))?;
    let mut hasher = SmerHasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = read_full(&mut source, &mut buf).map_err(io_error(&args.input))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(semres::hex::encode(&hasher.finish()))
}
