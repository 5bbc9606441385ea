//! `semres serve` (the hospital's node: site, ledger endpoint, DERy) and `semres
//! verify-chain` (re-verify a node's data directory).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use semres_node::api::ApiState;
use semres_node::node::{verify_data_dir, Node};
use semres_node::server::{serve as serve_site, SiteDirs};

use crate::error::{CliError, CliResult};
use crate::files::read_signing_key;

/// Serve the browser site (www/) and the WASM package (pkg/) on 127.0.0.1.
#[derive(Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on (port 0 picks a free port and prints it).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(crate) listen: SocketAddr,
    /// Folder of the static site.
    #[arg(long, default_value = "www")]
    pub(crate) www: PathBuf,
    /// Folder of the wasm-pack output.
    #[arg(long, default_value = "pkg")]
    pub(crate) pkg: PathBuf,
    /// The ledger's data directory (SQLite database, authority key); created if missing.
    #[arg(long, default_value = "data")]
    pub(crate) data_dir: PathBuf,
    /// On a new ledger, create the demo participants David and Lawson and a granted
    /// synthetic record.
    #[arg(long)]
    pub(crate) demo: bool,
    /// The node's Ed25519 authority key (PEM); default: DATA_DIR/authority.key.pem,
    /// created on first start.
    #[arg(long)]
    pub(crate) authority_key: Option<PathBuf>,
    /// Largest SMeR accepted for upload, bytes (default: the SMeR of a 256 MiB record).
    #[arg(long, default_value_t = semres_node::api::DEFAULT_MAX_SMER_BYTES)]
    pub(crate) max_smer_bytes: usize,
}

/// Re-verify the stored ledger (every block: links, seals, signatures, rules) and every
/// stored SMeR against its hash. Exits non-zero naming the first bad block or SMeR.
#[derive(Args)]
pub(crate) struct VerifyChainArgs {
    /// The endpoint's data directory.
    #[arg(long, default_value = "data")]
    pub(crate) data_dir: PathBuf,
}

/// `semres verify-chain`.
pub(crate) fn verify_chain(args: VerifyChainArgs) -> CliResult<Vec<String>> {
    let (blocks, smers) = verify_data_dir(&args.data_dir).map_err(CliError::Refused)?;
    Ok(vec![format!(
        "ok: {blocks} blocks and {smers} SMeRs verified"
    )])
}

/// `semres serve`: re-verifies the stored chain, seeds the demo if asked, and serves until
/// Ctrl-C or SIGTERM.
pub(crate) fn serve(args: ServeArgs) -> CliResult<Vec<String>> {
    let authority = args
        .authority_key
        .as_deref()
        .map(|path| read_signing_key(path, None))
        .transpose()?;
    // The stored chain is re-verified before anything is served.
    let mut node = Node::open(&args.data_dir, authority).map_err(|e| {
        CliError::Refused(format!(
            "the ledger in {} does not verify: {e}",
            args.data_dir.display()
        ))
    })?;
    println!(
        "ledger: {} blocks verified in {}",
        node.state().size(),
        args.data_dir.display()
    );
    if !args.pkg.join("semres_bg.wasm").is_file() {
        return Err(CliError::Refused(format!(
            "{} has no semres_bg.wasm — build it first (npm start does)",
            args.pkg.display()
        )));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Refused(format!("cannot start the runtime: {e}")))?;
    if args.demo {
        for line in semres_node::demo::seed_if_new(&mut node, &args.data_dir)? {
            println!("{line}");
        }
    }
    let api = ApiState::with_limit(node, args.max_smer_bytes);
    let dirs = SiteDirs {
        www: args.www,
        pkg: args.pkg,
    };
    runtime
        .block_on(serve_site(args.listen, dirs, api))
        .map_err(|e| CliError::Refused(e.to_string()))?;
    Ok(Vec::new())
}
