//! `semres keygen`: a participant's key pairs (CEDA's RSA encryption key, the ledger's Ed25519
//! signing key) as PEM files and, with a passphrase, one identity file.

use std::fs;
use std::path::PathBuf;

use clap::Args;
use getrandom::SysRng;
use semres::identity::{Identity, DEFAULT_ITERATIONS};

use crate::error::{io_error, CliError, CliResult};
use crate::files::{read_optional_passphrase, write_out};

/// Generate an identity: RSA encryption and Ed25519 signing key pairs as PEM files
/// (DIR/encryption.pub.pem, encryption.key.pem, signing.pub.pem, signing.key.pem) and,
/// with a passphrase, DIR/identity.json. Private keys are encrypted with the passphrase.
#[derive(Args)]
pub(crate) struct KeygenArgs {
    /// Folder to write the keys into (created if missing).
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// RSA modulus size: 2048, 3072 or 4096.
    #[arg(long, default_value_t = 3072)]
    pub(crate) bits: usize,
    /// Display name kept in the identity file (never on the ledger).
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// File whose first line is the passphrase protecting the private keys.
    #[arg(long)]
    pub(crate) passphrase_file: Option<PathBuf>,
    /// Replace existing key files.
    #[arg(long)]
    pub(crate) force: bool,
}

/// Writes the four PEM files (and `identity.json` with a passphrase); returns the lines to
/// print.
pub(crate) fn keygen(args: KeygenArgs) -> CliResult<Vec<String>> {
    let passphrase = read_optional_passphrase(args.passphrase_file.as_deref())?;
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
    let public_files = [
        (
            "encryption.pub.pem",
            identity.encryption.public_key().to_pem()?,
        ),
        ("signing.pub.pem", identity.signing.public_key().to_pem()?),
    ];
    for (name, pem) in &public_files {
        write_out(&out(name), pem.as_bytes(), false)?;
    }
    write_out(&out("encryption.key.pem"), encryption_key.as_bytes(), true)?;
    write_out(&out("signing.key.pem"), signing_key.as_bytes(), true)?;
    let mut lines = vec![
        format!(
            "encryption key id {}  ({} bits RSA)",
            identity.encryption.key_id(),
            args.bits
        ),
        format!("signing key id    {}  (Ed25519)", identity.signing.key_id()),
    ];
    if let Some(p) = &passphrase {
        write_out(
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
