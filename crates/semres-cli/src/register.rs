//! `semres register` and `semres admit`: a participant's Register entry (ledger §4.2), and an
//! authority's co-signature that admits a clinician or an authority.

use std::path::PathBuf;

use clap::Args;
use semres::identity::Identity;
use semres::ledger::entry::{Entry, EntryBody, Role};

use crate::error::{CliError, CliResult};
use crate::files::{
    now, read, read_optional_passphrase, read_passphrase, read_signing_key, read_text, write_out,
};

/// Build a Register entry for an identity (to POST to /api/v1/entries as
/// {"entry": "<contents>"}). Clinicians and authorities then need `semres admit`.
#[derive(Args)]
pub(crate) struct RegisterArgs {
    /// The identity file.
    #[arg(long)]
    pub(crate) identity: PathBuf,
    /// File whose first line is the identity's passphrase.
    #[arg(long)]
    pub(crate) passphrase_file: PathBuf,
    /// patient, clinician or authority.
    #[arg(long)]
    pub(crate) role: String,
    /// Where to write the entry (base64url text).
    pub(crate) output: PathBuf,
}

/// Admit a clinician or authority: add an authority's co-signature to a Register entry.
#[derive(Args)]
pub(crate) struct AdmitArgs {
    /// The authority's Ed25519 key (PEM), e.g. DATA_DIR/authority.key.pem.
    #[arg(long)]
    pub(crate) authority_key: PathBuf,
    /// File whose first line is the key's passphrase, if it is encrypted.
    #[arg(long)]
    pub(crate) passphrase_file: Option<PathBuf>,
    /// The entry (base64url text) to co-sign.
    pub(crate) input: PathBuf,
    /// Where to write the co-signed entry.
    pub(crate) output: PathBuf,
}

/// An entry the ledger would refuse (a field out of its limits), as a CLI refusal.
fn ledger_refused(e: semres::ledger::LedgerError) -> CliError {
    CliError::Refused(format!("{}: {e}", e.code()))
}

/// `semres register`: writes the Register entry (base64url); returns the key id.
pub(crate) fn register(args: RegisterArgs) -> CliResult<String> {
    let role = Role::from_name(&args.role).ok_or(CliError::Core(semres::Error::InvalidInput(
        "role is patient, clinician or authority",
    )))?;
    let passphrase = read_passphrase(&args.passphrase_file)?;
    let identity = Identity::import(&read(&args.identity)?, &passphrase)?;
    let body = EntryBody::Register {
        role,
        signing_key: identity.signing.public_key().to_bytes(),
        encryption_key: identity.encryption.public_key().to_spki_der()?,
    };
    let nonce = semres_node::clock::nonce().map_err(CliError::Core)?;
    let entry = Entry::signed(&identity.signing, now(), nonce, body).map_err(ledger_refused)?;
    write_out(
        &args.output,
        semres::b64::encode(&entry.to_bytes()).as_bytes(),
        false,
    )?;
    Ok(identity.signing.key_id().to_owned())
}

/// `semres admit`: adds the authority's co-signature to an entry file.
pub(crate) fn admit(args: AdmitArgs) -> CliResult<()> {
    let passphrase = read_optional_passphrase(args.passphrase_file.as_deref())?;
    let key = read_signing_key(
        &args.authority_key,
        passphrase.as_deref().map(Vec::as_slice),
    )?;
    let text = read_text(&args.input)?;
    let bytes = semres::b64::decode(text.trim()).ok_or(CliError::Core(
        semres::Error::InvalidInput("the entry file is not base64url"),
    ))?;
    let entry = Entry::from_bytes(&bytes).map_err(|_| {
        CliError::Core(semres::Error::InvalidInput(
            "the file is not a ledger entry",
        ))
    })?;
    write_out(
        &args.output,
        semres::b64::encode(&entry.sign(&key).map_err(ledger_refused)?.to_bytes()).as_bytes(),
        false,
    )
}
