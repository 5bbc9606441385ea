//! `semres consortium …`: what the hospitals of a consortium (SPEC §6, the paper's ledger
//! run by the institutions) do once to form it — each member's keys, the anchoring
//! contract deployed, the consortium file drafted and signed by each member in turn — and
//! `show` to read such a file.

use std::path::PathBuf;

use alloy::signers::local::PrivateKeySigner;
use clap::{Args, Subcommand};
use semres::identity::signing::{SigningPrivateKey, SigningPublicKey};
use semres::ledger::consortium::{Consortium, Member};

use crate::error::{CliError, CliResult};
use crate::files::{read_optional_passphrase, read_signing_key, read_text, write_out};

/// Form a consortium of hospitals sharing one ledger on an Ethereum chain (SPEC §6).
#[derive(Args)]
pub(crate) struct ConsortiumArgs {
    #[command(subcommand)]
    command: ConsortiumCommand,
}

#[derive(Subcommand)]
enum ConsortiumCommand {
    /// A member's keys in DIR: member.key.pem (Ed25519, cosigns checkpoints; mode 0600),
    /// member.pub.pem, account.key (its Ethereum account; mode 0600). Prints the --member
    /// value for `draft`.
    Keys {
        /// The member's name in the consortium file (e.g. hospital-a.example).
        #[arg(long)]
        name: String,
        /// Folder to write the keys into (created; existing keys are never overwritten).
        #[arg(long)]
        out_dir: PathBuf,
    },
    /// Deploys the anchoring contract (contracts/SemresLog.sol) with the members' accounts;
    /// prints its address.
    Deploy {
        /// The chain's JSON-RPC URL.
        #[arg(long)]
        rpc: String,
        /// The deploying account's key (64 hex digits); it pays nothing at gas price 0.
        #[arg(long)]
        account_key: PathBuf,
        /// A member account (0x and 40 hex digits); repeat for each member.
        #[arg(long = "member", required = true)]
        members: Vec<String>,
    },
    /// Writes the unsigned consortium file.
    Draft {
        /// The origin of the ledger's checkpoints (e.g. semres.example/consortium).
        #[arg(long)]
        origin: String,
        /// The Ethereum chain id.
        #[arg(long)]
        chain_id: u64,
        /// The contract's address (from `deploy`).
        #[arg(long)]
        contract: String,
        /// How many members must cosign a checkpoint (a strict majority).
        #[arg(long)]
        threshold: usize,
        /// NAME,PUBLIC_KEY_FILE,ACCOUNT for each member (as `keys` prints it).
        #[arg(long = "member", required = true)]
        members: Vec<String>,
        /// Where to write the file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Adds this member's signature to the consortium file (in place).
    Sign {
        /// The consortium file.
        file: PathBuf,
        /// This member's Ed25519 key (member.key.pem).
        #[arg(long)]
        member_key: PathBuf,
        /// File whose first line is the key's passphrase, if it is encrypted.
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
    },
    /// Shows a consortium file: its chain, threshold, members and who signed it.
    Show {
        /// The consortium file.
        file: PathBuf,
    },
}

fn refused(what: impl std::fmt::Display) -> CliError {
    CliError::Refused(what.to_string())
}

fn address(text: &str) -> CliResult<[u8; 20]> {
    let hex = text
        .strip_prefix("0x")
        .filter(|h| h.len() == 40)
        .ok_or_else(|| refused(format!("not an address (0x and 40 hex digits): {text}")))?;
    let bytes = semres::hex::decode(&hex.to_ascii_lowercase())
        .ok_or_else(|| refused(format!("not an address: {text}")))?;
    <[u8; 20]>::try_from(bytes.as_slice()).map_err(|_| refused("not an address"))
}

fn address_text(account: &[u8; 20]) -> String {
    format!("0x{}", semres::hex::encode(account))
}

/// `semres consortium …`; the lines to print.
pub(crate) fn consortium(args: ConsortiumArgs) -> CliResult<Vec<String>> {
    match args.command {
        ConsortiumCommand::Keys { name, out_dir } => keys(&name, &out_dir),
        ConsortiumCommand::Deploy {
            rpc,
            account_key,
            members,
        } => deploy(&rpc, &account_key, &members),
        ConsortiumCommand::Draft {
            origin,
            chain_id,
            contract,
            threshold,
            members,
            out,
        } => {
            let members = members
                .iter()
                .map(|m| {
                    let mut parts = m.split(',');
                    let (Some(name), Some(key), Some(account), None) =
                        (parts.next(), parts.next(), parts.next(), parts.next())
                    else {
                        return Err(refused(format!(
                            "--member NAME,PUBLIC_KEY_FILE,ACCOUNT, not {m}"
                        )));
                    };
                    Ok(Member {
                        name: name.to_owned(),
                        key: SigningPublicKey::from_any(&read_text(&PathBuf::from(key))?)?,
                        account: address(account)?,
                    })
                })
                .collect::<CliResult<Vec<_>>>()?;
            let consortium = Consortium {
                origin,
                chain_id,
                contract: address(&contract)?,
                threshold,
                members,
            };
            consortium
                .check()
                .map_err(|e| refused(format!("{}: {e}", e.code())))?;
            write_out(&out, consortium.signed_note(&[]).as_bytes(), false)?;
            Ok(vec![format!(
                "drafted {} (0 of {} signatures needed): each member now runs `semres consortium sign`",
                out.display(),
                consortium.threshold
            )])
        }
        ConsortiumCommand::Sign {
            file,
            member_key,
            passphrase_file,
        } => {
            let passphrase = read_optional_passphrase(passphrase_file.as_deref())?;
            let key = read_signing_key(&member_key, passphrase.as_deref().map(|p| &p[..]))?;
            let note = read_text(&file)?;
            let (consortium, signers) =
                Consortium::read_draft(&note).map_err(|e| refused(format!("{}: {e}", e.code())))?;
            let member = consortium
                .members
                .iter()
                .find(|m| m.key == *key.public_key())
                .ok_or_else(|| refused("this key is not one of the file's members"))?;
            if signers.contains(&member.name) {
                return Ok(vec![format!("{} had already signed", member.name)]);
            }
            let signed = format!("{}{}", *note, consortium.sign(&member.name, &key));
            write_out(&file, signed.as_bytes(), false)?;
            Ok(vec![format!(
                "{} signed: {} of {} signatures needed",
                member.name,
                signers.len() + 1,
                consortium.threshold
            )])
        }
        ConsortiumCommand::Show { file } => {
            let note = read_text(&file)?;
            let (c, signers) =
                Consortium::read_draft(&note).map_err(|e| refused(format!("{}: {e}", e.code())))?;
            let mut lines = vec![
                format!("origin {}", c.origin),
                format!(
                    "ethereum chain {} contract {}",
                    c.chain_id,
                    address_text(&c.contract)
                ),
                format!("threshold {} of {}", c.threshold, c.members.len()),
            ];
            for m in &c.members {
                lines.push(format!(
                    "member {} account {}{}",
                    m.name,
                    address_text(&m.account),
                    if signers.contains(&m.name) {
                        " (signed)"
                    } else {
                        ""
                    }
                ));
            }
            if signers.len() >= c.threshold {
                lines.push("valid: signed by enough members".into());
                Ok(lines)
            } else {
                Err(refused(format!(
                    "BadConsortium: signed by {} of the {} members needed",
                    signers.len(),
                    c.threshold
                )))
            }
        }
    }
}

fn keys(name: &str, dir: &std::path::Path) -> CliResult<Vec<String>> {
    let key_path = dir.join("member.key.pem");
    let account_path = dir.join("account.key");
    if key_path.exists() || account_path.exists() {
        return Err(refused(format!(
            "{} already holds a member's keys",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| refused(format!("{}: {e}", dir.display())))?;
    let key = SigningPrivateKey::generate(&mut getrandom::SysRng)?;
    // A secp256k1 key from 32 random bytes (the rare value out of range is drawn again).
    let account = loop {
        let mut secret = zeroize::Zeroizing::new([0u8; 32]);
        rand_core::TryRng::try_fill_bytes(&mut getrandom::SysRng, secret.as_mut())
            .map_err(|_| refused("no randomness from the system"))?;
        if let Ok(account) = PrivateKeySigner::from_slice(secret.as_ref()) {
            break account;
        }
    };
    write_out(&key_path, key.to_pkcs8_pem()?.as_bytes(), true)?;
    write_out(
        &dir.join("member.pub.pem"),
        key.public_key().to_pem()?.as_bytes(),
        false,
    )?;
    write_out(
        &account_path,
        semres::hex::encode(account.to_bytes().as_slice()).as_bytes(),
        true,
    )?;
    Ok(vec![format!(
        "{name},{},{}",
        dir.join("member.pub.pem").display(),
        address_text(&account.address().into_array())
    )])
}

fn deploy(rpc: &str, account_key: &std::path::Path, members: &[String]) -> CliResult<Vec<String>> {
    let signer = read_text(account_key)?
        .trim()
        .trim_start_matches("0x")
        .parse::<PrivateKeySigner>()
        .map_err(|_| refused("the account key is not 64 hex digits"))?;
    let accounts = members
        .iter()
        .map(|m| address(m))
        .collect::<CliResult<Vec<_>>>()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| refused(format!("cannot start the runtime: {e}")))?;
    let contract = runtime
        .block_on(semres_node::consortium::ethereum::Chain::deploy(
            rpc, signer, &accounts,
        ))
        .map_err(|e| refused(format!("deploying the contract: {e}")))?;
    Ok(vec![address_text(&contract)])
}
