//! Files the commands read and write: key files in every format, identity files, passphrase
//! files, and outputs written atomically (a failed command never leaves a partial or stale
//! output behind).

use std::fs;
use std::path::Path;

use semres::identity::signing::SigningPrivateKey;
use semres::identity::Identity;
use semres::{EncryptionPrivateKey, EncryptionPublicKey};
use zeroize::Zeroizing;

use crate::error::{io_error, CliError, CliResult};

/// Reads a whole file.
pub(crate) fn read(path: &Path) -> CliResult<Vec<u8>> {
    fs::read(path).map_err(io_error(path))
}

/// Reads a key file as text (wiped when dropped).
pub(crate) fn read_text(path: &Path) -> CliResult<Zeroizing<String>> {
    let bytes = Zeroizing::new(read(path)?);
    String::from_utf8(bytes.to_vec())
        .map(Zeroizing::new)
        .map_err(|_| CliError::Core(semres::Error::KeyFormat("the key file is not UTF-8 text")))
}

/// Reads a passphrase file: its first line, without the line ending.
pub(crate) fn read_passphrase(path: &Path) -> CliResult<Zeroizing<Vec<u8>>> {
    let text = read_text(path)?;
    let line = text.lines().next().unwrap_or_default();
    if line.is_empty() {
        return Err(CliError::Core(semres::Error::InvalidInput(
            "the passphrase file is empty",
        )));
    }
    Ok(Zeroizing::new(line.as_bytes().to_vec()))
}

/// Reads an optional passphrase file.
pub(crate) fn read_optional_passphrase(
    path: Option<&Path>,
) -> CliResult<Option<Zeroizing<Vec<u8>>>> {
    path.map(read_passphrase).transpose()
}

/// Writes an output atomically (mode 0600 when `private`).
pub(crate) fn write_out(path: &Path, bytes: &[u8], private: bool) -> CliResult<()> {
    semres_node::fsutil::write_atomically(path, bytes, private).map_err(io_error(path))
}

/// Reads an RSA public key file in any format (PEM, JWK, .NET XML).
pub(crate) fn read_public_key(path: &Path) -> CliResult<EncryptionPublicKey> {
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
pub(crate) fn read_private_key(
    path: &Path,
    passphrase: Option<&[u8]>,
) -> CliResult<EncryptionPrivateKey> {
    let text = read_text(path)?;
    if is_identity_file(&text) {
        let passphrase = passphrase.ok_or(CliError::Core(semres::Error::PassphraseRequired))?;
        return Ok(Identity::import(text.as_bytes(), passphrase)?.encryption);
    }
    Ok(EncryptionPrivateKey::from_any(&text, passphrase)?)
}

/// Reads an Ed25519 private key file (PEM or JWK; an encrypted PEM needs its passphrase).
pub(crate) fn read_signing_key(
    path: &Path,
    passphrase: Option<&[u8]>,
) -> CliResult<SigningPrivateKey> {
    Ok(SigningPrivateKey::from_any(&read_text(path)?, passphrase)?)
}

/// The system clock, Unix seconds (the core reads no clock).
pub(crate) fn now() -> i64 {
    semres_node::clock::now()
}
