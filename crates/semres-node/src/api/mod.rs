//! The endpoint's HTTP API (JSON, `/api/v1/…`, described in `openapi.json`), by route group:
//! [`ledger`] (checkpoint, authorities, blocks, proofs, entries, participants), [`dery`]
//! (SMeR upload, download, deletion), [`directory`] (display names) and [`me`] (a
//! participant's own views). Signed requests are authenticated by the [`auth::Signer`]
//! extractor before any body is read; every error is `{code, message}`, mapped in
//! [`error`]; every request is logged by [`crate::log`] without its query or body.

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

pub mod auth;
pub mod consortium;
pub mod dery;
pub mod directory;
pub mod error;
pub mod ledger;
pub mod me;
mod members;
pub mod rate;

pub use error::{ApiError, ApiResult};

use crate::log::Logger;
use crate::node::Node;

/// Most blocks in one range request.
pub const MAX_RANGE: u64 = 1000;
/// Largest request body of the entries and directory APIs.
pub const MAX_JSON_BODY: usize = 128 * 1024;
/// Default limit on an uploaded SMeR: a 256 MiB record's SMeR.
pub const DEFAULT_MAX_SMER_BYTES: u64 = 360 * 1024 * 1024;
/// Default storage quota of one participant in DERy.
pub const DEFAULT_QUOTA_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// Default sustained request rate per key id or client address.
pub const DEFAULT_REQUESTS_PER_MINUTE: u32 = 1200;
/// Default time an uploaded SMeR may stay without any ledger entry naming it.
pub const DEFAULT_UNREFERENCED_GRACE: i64 = 24 * 3600;

/// What an operator may configure of the API.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Largest SMeR accepted for upload, bytes.
    pub max_smer_bytes: u64,
    /// Largest streamed SMeR (SPEC.md §7) accepted for upload, bytes.
    pub max_streamed_smer_bytes: u64,
    /// Bytes of SMeRs one participant may keep in DERy.
    pub quota_bytes: u64,
    /// Sustained requests per minute per key id (signed requests, and entries by their
    /// signer), with bursts of a tenth of a minute's.
    pub requests_per_minute: u32,
    /// Seconds an uploaded SMeR may stay before some ledger entry names it; then DERy
    /// deletes it.
    pub unreferenced_grace: i64,
    /// On a consortium member's node: how long `POST /entries` waits for the entry to be
    /// anchored before answering `202 Accepted`.
    pub anchor_wait: std::time::Duration,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            max_smer_bytes: DEFAULT_MAX_SMER_BYTES,
            max_streamed_smer_bytes: crate::dery::DEFAULT_MAX_STREAMED_SMER_BYTES,
            quota_bytes: DEFAULT_QUOTA_BYTES,
            requests_per_minute: DEFAULT_REQUESTS_PER_MINUTE,
            unreferenced_grace: DEFAULT_UNREFERENCED_GRACE,
            anchor_wait: std::time::Duration::from_secs(15),
        }
    }
}

/// Shared state of the handlers.
#[derive(Clone)]
pub struct ApiState {
    node: Arc<Node>,
    nonces: Arc<auth::Nonces>,
    rate: Arc<rate::RateLimiter>,
    config: Arc<ApiConfig>,
    log: Logger,
    engine: Option<Arc<crate::consortium::Engine>>,
}

impl ApiState {
    /// Wraps a node with the default configuration, logging nothing.
    pub fn new(node: Node) -> Self {
        Self::with_config(Arc::new(node), ApiConfig::default(), Logger::off())
    }

    /// Wraps a node.
    pub fn with_config(node: Arc<Node>, config: ApiConfig, log: Logger) -> Self {
        ApiState {
            node,
            nonces: Arc::default(),
            rate: Arc::new(rate::RateLimiter::per_minute(config.requests_per_minute)),
            config: Arc::new(config),
            log,
            engine: None,
        }
    }

    /// The same state with a consortium member's engine: entries are anchored through it
    /// and the checkpoint served is the cosigned one.
    pub fn with_engine(mut self, engine: Arc<crate::consortium::Engine>) -> Self {
        self.engine = Some(engine);
        self
    }

    /// The consortium engine, on a member's node.
    pub fn engine(&self) -> Option<&Arc<crate::consortium::Engine>> {
        self.engine.as_ref()
    }

    /// The node.
    pub fn node(&self) -> &Arc<Node> {
        &self.node
    }

    /// The operator's log.
    pub fn log(&self) -> &Logger {
        &self.log
    }

    /// The configuration.
    pub fn config(&self) -> &ApiConfig {
        &self.config
    }
}

/// Runs blocking work (disk, database, hashing) off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ApiError::internal())?
}

/// The routes, to be nested under `/api/v1`.
pub fn routes(state: ApiState) -> Router {
    Router::new()
        .route("/checkpoint", get(ledger::checkpoint))
        .route("/authorities", get(ledger::authorities))
        .route("/blocks", get(ledger::blocks))
        .route("/blocks/{number}", get(ledger::block))
        .route("/proofs/inclusion", get(ledger::inclusion))
        .route("/proofs/consistency", get(ledger::consistency))
        .route("/entries", post(ledger::submit_entry))
        .route("/entries/{entry_hash}", get(consortium::entry_status))
        .route("/consortium", get(consortium::file))
        .route("/consortium/cosignature", get(consortium::cosignature))
        .route("/consortium/skipped", get(consortium::skipped))
        .route("/consortium/evidence", get(consortium::evidence))
        .route("/participants/{key_id}", get(ledger::participant))
        .route("/directory", get(directory::search))
        .route(
            "/directory/{key_id}",
            get(directory::entry).put(directory::set_name),
        )
        .route("/me/shared-with-me", get(me::shared_with_me))
        .route("/me/granted-by-me", get(me::granted_by_me))
        .route("/me/audit-trail", get(me::audit_trail))
        .route(
            "/smers/{hash}",
            get(dery::download).put(dery::upload).delete(dery::delete),
        )
        .route(
            "/smers/{hash}/upload",
            get(dery::upload_status)
                .patch(dery::upload_part)
                .delete(dery::abandon_upload),
        )
        .fallback(|| async { ApiError::not_found("no such API route") })
        .layer(axum::extract::DefaultBodyLimit::max(MAX_JSON_BODY))
        .layer(axum::middleware::from_fn(error::json_errors))
        .with_state(state)
}

/// Deletes, every `every` seconds, the SMeRs stored longer than the grace period that no
/// ledger entry names (runs until the process ends).
pub async fn expire_unreferenced(state: ApiState, every: std::time::Duration) {
    let mut interval = tokio::time::interval(every);
    loop {
        interval.tick().await;
        let state = state.clone();
        let _ = blocking(move || {
            dery::expire_unreferenced(&state, crate::clock::now());
            Ok(())
        })
        .await;
    }
}
