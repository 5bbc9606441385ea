//! `semres serve` (the hospital's node: site, ledger endpoint, DERy) and `semres
//! verify-chain` (re-verify a node's data directory).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use std::sync::Arc;
use std::time::Duration;

use semres_node::api::{ApiConfig, ApiState};
use semres_node::log::{LogFormat, Logger};
use semres_node::node::Node;
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
    /// Largest streamed SMeR (SPEC.md §7: imaging and other large records) accepted for
    /// upload, bytes.
    #[arg(long, default_value_t = semres_node::dery::DEFAULT_MAX_STREAMED_SMER_BYTES)]
    pub(crate) max_streamed_smer_bytes: u64,
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
    /// The ledger engine: `embedded` (this node seals, SQLite) or `ethereum` (a consortium
    /// member's node: entries anchored on the consortium's PoA chain, SPEC §6).
    #[arg(long, value_enum, default_value = "embedded")]
    pub(crate) engine: EngineArg,
    /// `--engine ethereum`: the chain's JSON-RPC URL.
    #[arg(long)]
    pub(crate) rpc: Option<String>,
    /// `--engine ethereum`: the consortium file (a signed note, SPEC §6.1).
    #[arg(long)]
    pub(crate) consortium: Option<PathBuf>,
    /// `--engine ethereum`: this member's Ed25519 key (PEM), one of the file's members.
    #[arg(long)]
    pub(crate) member_key: Option<PathBuf>,
    /// `--engine ethereum`: this member's Ethereum account key (a file holding 64 hex
    /// digits), the account of its member line.
    #[arg(long)]
    pub(crate) account_key: Option<PathBuf>,
    /// `--engine ethereum`: another member's node (base URL) to collect cosignatures from;
    /// repeat for each.
    #[arg(long)]
    pub(crate) peer: Vec<String>,
    /// `--engine ethereum`: Ethereum blocks to wait before replaying one (0 with QBFT's
    /// immediate finality).
    #[arg(long, default_value_t = 0)]
    pub(crate) confirmations: u64,
    /// `--engine ethereum`: seconds `POST /entries` waits for an entry to be anchored
    /// before answering 202 (queued).
    #[arg(long, default_value_t = 15)]
    pub(crate) anchor_wait: u64,
}

/// `--engine`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum EngineArg {
    /// This node seals its own blocks (one hospital, `npm start`).
    Embedded,
    /// A consortium member's node on an Ethereum PoA chain.
    Ethereum,
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
    /// A consortium member's data directory: replay its anchored chain from this consortium
    /// file (SPEC §6.5).
    #[arg(long)]
    pub(crate) consortium: Option<PathBuf>,
}

/// `semres verify-chain`.
pub(crate) fn verify_chain(args: VerifyChainArgs) -> CliResult<Vec<String>> {
    let consortium = args
        .consortium
        .as_deref()
        .map(|path| {
            semres::ledger::consortium::Consortium::from_signed_note(&read_text(path)?)
                .map_err(|e| CliError::Refused(format!("the consortium file: {e}")))
        })
        .transpose()?;
    let (blocks, smers) =
        semres_node::node::verify_data_dir_of(&args.data_dir, consortium.as_ref())
            .map_err(CliError::Refused)?;
    Ok(vec![format!(
        "ok: {blocks} blocks and {smers} SMeRs verified"
    )])
}

/// `semres serve`: re-verifies the stored chain, seeds the demo if asked, and serves until
/// Ctrl-C or SIGTERM.
pub(crate) fn serve(args: ServeArgs) -> CliResult<Vec<String>> {
    if args.engine == EngineArg::Ethereum {
        return serve_consortium(args);
    }
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
    let log = log_of(args.log_format);
    let config = api_config(&args);
    let server = server_config(&args);
    let api = ApiState::with_config(Arc::new(node), config, log);
    let dirs = SiteDirs {
        www: args.www,
        pkg: args.pkg,
    };
    runtime
        .block_on(serve_site(args.listen, dirs, api, server))
        .map_err(|e| CliError::Refused(e.to_string()))?;
    Ok(Vec::new())
}

fn required<T>(value: Option<T>, flag: &str) -> CliResult<T> {
    value.ok_or_else(|| CliError::Refused(format!("--engine ethereum needs {flag}")))
}

fn read_text(path: &std::path::Path) -> CliResult<String> {
    std::fs::read_to_string(path).map_err(|e| CliError::Refused(format!("{}: {e}", path.display())))
}

/// The endpoint's limits from the command line.
fn api_config(args: &ServeArgs) -> ApiConfig {
    ApiConfig {
        max_smer_bytes: args.max_smer_bytes,
        max_streamed_smer_bytes: args.max_streamed_smer_bytes,
        quota_bytes: args.quota_bytes,
        requests_per_minute: args.requests_per_minute,
        unreferenced_grace: args.unreferenced_grace,
        anchor_wait: Duration::from_secs(args.anchor_wait),
    }
}

/// The HTTP server's timeouts and connection cap from the command line.
fn server_config(args: &ServeArgs) -> ServerConfig {
    ServerConfig {
        header_timeout: Duration::from_secs(args.header_timeout),
        body_idle_timeout: Duration::from_secs(args.body_idle_timeout),
        max_connections_per_ip: args.max_connections_per_ip,
    }
}

fn log_of(format: LogFormatArg) -> Logger {
    match format {
        LogFormatArg::Json => Logger::new(LogFormat::Json),
        LogFormatArg::Text => Logger::new(LogFormat::Text),
        LogFormatArg::Off => Logger::off(),
    }
}

/// `semres serve --engine ethereum`: a consortium member's node.
fn serve_consortium(args: ServeArgs) -> CliResult<Vec<String>> {
    use semres::ledger::consortium::Consortium;
    use semres_node::consortium::{Engine, EngineConfig};
    let rpc = required(args.rpc.clone(), "--rpc URL")?;
    let file = read_text(&required(args.consortium.clone(), "--consortium FILE")?)?;
    let consortium = Consortium::from_signed_note(&file)
        .map_err(|e| CliError::Refused(format!("the consortium file: {e}")))?;
    let member_key = read_signing_key(
        &required(args.member_key.clone(), "--member-key FILE")?,
        None,
    )?;
    let account_text = read_text(&required(args.account_key.clone(), "--account-key FILE")?)?;
    let account = account_text
        .trim()
        .trim_start_matches("0x")
        .parse::<alloy::signers::local::PrivateKeySigner>()
        .map_err(|_| CliError::Refused("the account key is not 64 hex digits".into()))?;
    // The member line of this key names the account its node sends from (SPEC §6.4).
    if let Some(member) = consortium
        .members
        .iter()
        .find(|m| m.key.key_id() == member_key.public_key().key_id())
    {
        if member.account != account.address().into_array() {
            return Err(CliError::Refused(format!(
                "the account key is not the account of member {} in the consortium file",
                member.name
            )));
        }
    }
    let limits = semres::smer::Limits {
        max_record_bytes: usize::try_from(args.max_smer_bytes).unwrap_or(usize::MAX),
        ..semres::smer::Limits::default()
    };
    let node =
        Node::open_consortium(&args.data_dir, consortium, member_key, limits).map_err(|e| {
            CliError::Refused(format!(
                "the ledger in {} does not verify: {e}",
                args.data_dir.display()
            ))
        })?;
    println!(
        "ledger: {} anchored blocks verified in {}",
        node.view().state().size(),
        args.data_dir.display()
    );
    let log = log_of(args.log_format);
    let mut engine_config = EngineConfig::new(&rpc, account);
    engine_config.confirmations = args.confirmations;
    engine_config.peers = args.peer.clone();
    engine_config.consortium_file = file;
    let config = api_config(&args);
    let server = server_config(&args);
    let dirs = SiteDirs {
        www: args.www,
        pkg: args.pkg,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Refused(format!("cannot start the runtime: {e}")))?;
    runtime
        .block_on(async move {
            let node = Arc::new(node);
            let engine = Engine::start(node.clone(), engine_config, log).await?;
            let api = ApiState::with_config(node, config, log).with_engine(engine);
            serve_site(args.listen, dirs, api, server)
                .await
                .map_err(|e| e.to_string())
        })
        .map_err(CliError::Refused)?;
    Ok(Vec::new())
}
