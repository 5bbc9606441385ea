//! `semres`: the SEMRES command line — key generation, CEDA seal/open of SMeRs, the SMeR
//! hash, and the web server. Run `semres --help` or `semres <command> --help`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use semres::ContentEncryption;
use semres_node::cli::{self, CliError, KeygenArgs, SealArgs};
use semres_node::server::{serve, SiteDirs};

#[derive(Parser)]
#[command(
    name = "semres",
    version,
    about = "SEMRES: secure medical-record exchange (CEDA, SMeR, DERy, ledger)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Enc {
    #[value(name = "A256CBC-HS512")]
    A256CbcHs512,
    #[value(name = "A128CBC-HS256")]
    A128CbcHs256,
}

#[derive(Subcommand)]
enum Command {
    /// Generate an identity: RSA encryption and Ed25519 signing key pairs as PEM files
    /// (DIR/encryption.pub.pem, encryption.key.pem, signing.pub.pem, signing.key.pem) and,
    /// with a passphrase, DIR/identity.json. Private keys are encrypted with the passphrase.
    Keygen {
        /// Folder to write the keys into (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// RSA modulus size: 2048, 3072 or 4096.
        #[arg(long, default_value_t = 3072)]
        bits: usize,
        /// Display name kept in the identity file (never on the ledger).
        #[arg(long)]
        name: Option<String>,
        /// File whose first line is the passphrase protecting the private keys.
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
        /// Replace existing key files.
        #[arg(long)]
        force: bool,
    },
    /// Seal a record into a SMeR for one or more recipients (CEDA); prints the SMeR hash.
    Seal {
        /// A recipient's RSA public key file (PEM, JWK or .NET XML); repeat for several.
        #[arg(long = "to", required = true)]
        to: Vec<PathBuf>,
        /// Content encryption.
        #[arg(long, value_enum, default_value = "A256CBC-HS512")]
        enc: Enc,
        /// Media type of the record (default: from the file extension).
        #[arg(long)]
        content_type: Option<String>,
        /// The owner's key id, or a key file of the owner (default: the first --to key).
        #[arg(long)]
        owner: Option<String>,
        /// Record id (default: 128 random bits).
        #[arg(long)]
        record_id: Option<String>,
        /// Do not put the input's file name into the SMeR header.
        #[arg(long)]
        no_file_name: bool,
        /// The record to seal.
        input: PathBuf,
        /// Where to write the SMeR.
        output: PathBuf,
    },
    /// Open a SMeR with your private key and write the record. On any failure: a one-line
    /// error with its code, a non-zero exit, and no output file.
    Open {
        /// Your RSA private key file (PEM: PKCS#8, PKCS#1, encrypted PKCS#8; JWK; .NET XML), or
        /// your identity file (identity.json, with --passphrase-file).
        #[arg(long)]
        key: PathBuf,
        /// File whose first line is the key's passphrase.
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
        /// The SMeR.
        input: PathBuf,
        /// Where to write the record (created with mode 0600).
        output: PathBuf,
    },
    /// Re-verify the stored ledger (every block: links, seals, signatures, rules) and every
    /// stored SMeR against its hash. Exits non-zero naming the first bad block or SMeR.
    VerifyChain {
        /// The endpoint's data directory.
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
    },
    /// Print the SMeR hash (SHA-256 of the file, hex) — the value DERy and the ledger hold.
    Hash {
        /// The SMeR file.
        input: PathBuf,
    },
    /// Serve the browser site (www/) and the WASM package (pkg/) on 127.0.0.1.
    Serve {
        /// Address to listen on (port 0 picks a free port and prints it).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Folder of the static site.
        #[arg(long, default_value = "www")]
        www: PathBuf,
        /// Folder of the wasm-pack output.
        #[arg(long, default_value = "pkg")]
        pkg: PathBuf,
        /// The ledger's data directory (SQLite database, authority key); created if missing.
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        /// On a new ledger, create the demo participants David and Lawson and a granted
        /// synthetic record.
        #[arg(long)]
        demo: bool,
        /// The node's Ed25519 authority key (PEM); default: DATA_DIR/authority.key.pem,
        /// created on first start.
        #[arg(long)]
        authority_key: Option<PathBuf>,
        /// Largest SMeR accepted for upload, bytes (default: the SMeR of a 256 MiB record).
        #[arg(long, default_value_t = semres_node::api::DEFAULT_MAX_SMER_BYTES)]
        max_smer_bytes: usize,
    },
    /// Build a Register entry for an identity (to POST to /api/v1/entries as
    /// {"entry": "<contents>"}). Clinicians and authorities then need `semres admit`.
    Register {
        /// The identity file.
        #[arg(long)]
        identity: PathBuf,
        /// File whose first line is the identity's passphrase.
        #[arg(long)]
        passphrase_file: PathBuf,
        /// patient, clinician or authority.
        #[arg(long)]
        role: String,
        /// Where to write the entry (base64url text).
        output: PathBuf,
    },
    /// Admit a clinician or authority: add an authority's co-signature to a Register entry.
    Admit {
        /// The authority's Ed25519 key (PEM), e.g. DATA_DIR/authority.key.pem.
        #[arg(long)]
        authority_key: PathBuf,
        /// File whose first line is the key's passphrase, if it is encrypted.
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
        /// The entry (base64url text) to co-sign.
        input: PathBuf,
        /// Where to write the co-signed entry.
        output: PathBuf,
    },
}

fn report(command: &str, result: Result<Vec<String>, CliError>) -> ExitCode {
    match result {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("semres {command}: {}: {e}", e.code());
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Keygen {
            out,
            bits,
            name,
            passphrase_file,
            force,
        } => report(
            "keygen",
            cli::keygen(&KeygenArgs {
                out,
                bits,
                name,
                passphrase_file,
                force,
            }),
        ),
        Command::Seal {
            to,
            enc,
            content_type,
            owner,
            record_id,
            no_file_name,
            input,
            output,
        } => {
            let enc = match enc {
                Enc::A256CbcHs512 => ContentEncryption::A256CbcHs512,
                Enc::A128CbcHs256 => ContentEncryption::A128CbcHs256,
            };
            let args = SealArgs {
                to,
                enc,
                content_type,
                owner,
                record_id,
                no_file_name,
                input,
                output,
            };
            report("seal", cli::seal(&args).map(|hash| vec![hash]))
        }
        Command::Open {
            key,
            passphrase_file,
            input,
            output,
        } => report(
            "open",
            cli::open(&key, passphrase_file.as_deref(), &input, &output).map(|()| vec![]),
        ),
        Command::Hash { input } => report("hash", cli::hash(&input).map(|hash| vec![hash])),
        Command::Register {
            identity,
            passphrase_file,
            role,
            output,
        } => report(
            "register",
            cli::register_entry(&identity, &passphrase_file, &role, &output)
                .map(|id| vec![format!("entry for {id} written")]),
        ),
        Command::Admit {
            authority_key,
            passphrase_file,
            input,
            output,
        } => report(
            "admit",
            cli::admit(&authority_key, passphrase_file.as_deref(), &input, &output)
                .map(|()| vec!["co-signed".into()]),
        ),
        Command::VerifyChain { data_dir } => match semres_node::node::verify_data_dir(&data_dir) {
            Ok((blocks, smers)) => {
                println!("ok: {blocks} blocks and {smers} SMeRs verified");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("semres verify-chain: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Serve {
            listen,
            www,
            pkg,
            data_dir,
            demo,
            authority_key,
            max_smer_bytes,
        } => {
            let authority = match authority_key.as_deref().map(cli::read_signing_key) {
                None => None,
                Some(Ok(key)) => Some(key),
                Some(Err(e)) => {
                    eprintln!("semres serve: {}: {e}", e.code());
                    return ExitCode::FAILURE;
                }
            };
            // The stored chain is re-verified before anything is served.
            let mut node = match semres_node::node::Node::open(&data_dir, authority) {
                Ok(node) => {
                    println!(
                        "ledger: {} blocks verified in {}",
                        node.state().size(),
                        data_dir.display()
                    );
                    node
                }
                Err(e) => {
                    eprintln!(
                        "semres serve: the ledger in {} does not verify: {e}",
                        data_dir.display()
                    );
                    return ExitCode::FAILURE;
                }
            };
            if !pkg.join("semres_bg.wasm").is_file() {
                eprintln!(
                    "semres serve: {} has no semres_bg.wasm — build it first (npm start does)",
                    pkg.display()
                );
                return ExitCode::FAILURE;
            }
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("semres serve: cannot start the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            if demo {
                match semres_node::demo::seed_if_new(&mut node, &data_dir) {
                    Ok(lines) => lines.iter().for_each(|l| println!("{l}")),
                    Err(e) => {
                        eprintln!("semres serve: cannot create the demo data: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            }
            let api = semres_node::api::ApiState::with_limit(node, max_smer_bytes);
            match runtime.block_on(serve(listen, SiteDirs { www, pkg }, api)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("semres serve: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
