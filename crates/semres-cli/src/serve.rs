//! `semres serve` (the hospital's node: site, ledger endpoint, DERy) and `semres
//! verify-chain` (re-verify a node's data directory).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use std::sync::Arc;
use std::time::Duration;

use semres_node::api::{ApiConfig, ApiState};
use semres_node::log::{LogFormat, Logger};
use semres_node::node::{verify_data_dir, Node};
use semres_node::server::{serve as serve_site, ServerConfig, SiteDirs};

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
    pub(crate) max_smer_bytes: u64,
    /// Bytes of SMeRs one participant may keep in DERy.
    #[arg(long, default_value_t = semres_node::api::DEFAULT_QUOTA_BYTES)]
    pub(crate) quota_bytes: u64,
    /// Sustained requests per minute per key id (signed requests, and entries by their
    /// signer); bursts of a tenth of it.
    #[arg(long, default_value_t = semres_node::api::DEFAULT_REQUESTS_PER_MINUTE)]
    pub(crate) requests_per_minute: u32,
    /// Seconds an uploaded SMeR may stay before a ledger entry names it (then it is deleted).
    #[arg(long, default_value_t = semres_node::api::DEFAULT_UNREFERENCED_GRACE)]
    pub(crate) unreferenced_grace: i64,
    /// Open connections per client address.
    #[arg(long, default_value_t = 64)]
    pub(crate) max_connections_per_ip: usize,
    /// Seconds a client has to send a request's head.
    #[arg(long, default_value_t = 10)]
    pub(crate) header_timeout: u64,
    /// Seconds a request body may stay idle between pieces.
    #[arg(long, default_value_t = 30)]
    pub(crate) body_idle_timeout: u64,
    /// The operator's log on standard error: one line per request and per sealed block.
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) log_format: LogFormatArg,
}

/// `--log-format`.
#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum LogFormatArg {
    /// One JSON object per line.
    Json,
    /// key=value pairs.
    Text,
    /// No log.
    Off,
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
    let limits = semres::smer::Limits {
        max_record_bytes: usize::try_from(args.max_smer_bytes).unwrap_or(usize::MAX),
        ..semres::smer::Limits::default()
    };
    // The stored chain is re-verified before anything is served.
    let node = Node::open_with(&args.data_dir, authority, limits).map_err(|e| {
        CliError::Refused(format!(
            "the ledger in {} does not verify: {e}",
            args.data_dir.display()
        ))
    })?;
    println!(
        "ledger: {} blocks verified in {}",
        node.view().state().size(),
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
        for line in semres_node::demo::seed_if_new(&node, &args.data_dir)? {
            println!("{line}");
        }
    }
    let log = match args.log_format {
        LogFormatArg::Json => Logger::new(LogFormat::Json),
        LogFormatArg::Text => Logger::new(LogFormat::Text),
        LogFormatArg::Off => Logger::off(),
    };
    let config = ApiConfig {
        max_smer_bytes: args.max_smer_bytes,
        quota_bytes: args.quota_bytes,
        requests_per_minute: args.requests_per_minute,
        unreferenced_grace: args.unreferenced_grace,
    };
    let api = ApiState::with_config(Arc::new(node), config, log);
    let dirs = SiteDirs {
        www: args.www,
        pkg: args.pkg,
    };
    let server = ServerConfig {
        header_timeout: Duration::from_secs(args.header_timeout),
        body_idle_timeout: Duration::from_secs(args.body_idle_timeout),
        max_connections_per_ip: args.max_connections_per_ip,
    };
    runtime
        .block_on(serve_site(args.listen, dirs, api, server))
        .map_err(|e| CliError::Refused(e.to_string()))?;
    Ok(Vec::new())
}
