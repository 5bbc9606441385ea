//! The endpoint's HTTP API (JSON, `/api/v1/…`, described in `openapi.json`), by route group:
//! [`ledger`] (checkpoint, authorities, blocks, proofs, entries, participants), [`dery`]
//! (SMeR upload and download), [`directory`] (display names) and [`me`] (a participant's
//! own views). Signed requests are authenticated by the [`auth::Signer`] extractor before
//! any body is read; every error is `{code, message}`, mapped in [`error`].

use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use semres::SigningPublicKey;

pub mod auth;
pub mod dery;
pub mod directory;
pub mod error;
pub mod ledger;
pub mod me;

pub use error::{ApiError, ApiResult};

use crate::node::Node;

/// Most blocks in one range request.
pub const MAX_RANGE: u64 = 1000;
/// Largest request body of the entries API.
pub const MAX_ENTRY_BODY: usize = 128 * 1024;
/// Default limit on an uploaded SMeR: a 256 MiB record's SMeR.
pub const DEFAULT_MAX_SMER_BYTES: usize = 360 * 1024 * 1024;

/// Shared state of the handlers: the node (appends serialized by its lock) and the nonces
/// of recent signed requests (replay protection).
#[derive(Clone)]
pub struct ApiState {
    node: Arc<Mutex<Node>>,
    nonces: Arc<auth::Nonces>,
    max_smer_bytes: usize,
}

impl ApiState {
    /// Wraps a node, with the default SMeR size limit.
    pub fn new(node: Node) -> Self {
        Self::with_limit(node, DEFAULT_MAX_SMER_BYTES)
    }

    /// Wraps a node with a SMeR size limit in bytes.
    pub fn with_limit(node: Node, max_smer_bytes: usize) -> Self {
        ApiState {
            node: Arc::new(Mutex::new(node)),
            nonces: Arc::default(),
            max_smer_bytes,
        }
    }

    /// The node, locked.
    fn node(&self) -> ApiResult<MutexGuard<'_, Node>> {
        self.node.lock().map_err(|_| ApiError::internal())
    }

    /// A registered participant's Ed25519 key.
    fn signing_key(&self, key_id: &str) -> ApiResult<Option<SigningPublicKey>> {
        Ok(self
            .node()?
            .state()
            .participant(key_id)
            .map(|p| p.signing.clone()))
    }
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
            get(dery::download)
                .put(dery::upload)
                .layer(DefaultBodyLimit::max(state.max_smer_bytes)),
        )
        .fallback(|| async { ApiError::not_found("no such API route") })
        .layer(DefaultBodyLimit::max(MAX_ENTRY_BODY))
        .with_state(state)
}
