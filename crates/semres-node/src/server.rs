//! The SEMRES web server: serves the browser site (`www/`) and the WASM package (`pkg/`)
//! from 127.0.0.1. It is the seed of the ledger endpoint (DERy): it never sees a key or a
//! plaintext — sealing and opening happen in the browser.

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::http::{header, HeaderValue};
use axum::Router;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// The Content-Security-Policy of every response: scripts only from this origin, WASM
/// compilation allowed (`wasm-unsafe-eval`), no inline script or `eval`, no plugins,
/// no framing, and network access only back to this origin.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; worker-src 'self'; object-src 'none'; \
base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Where the server finds its files.
#[derive(Debug, Clone)]
pub struct SiteDirs {
    /// The static site (`www/`).
    pub www: PathBuf,
    /// The wasm-pack output (`pkg/`).
    pub pkg: PathBuf,
}

/// Builds the router: the ledger API under `/api/v1`, `/pkg/*` from the package folder,
/// everything else from `www/`, with security headers on every response.
pub fn router(dirs: &SiteDirs, api: crate::api::ApiState) -> Router {
    Router::new()
        .nest("/api/v1", crate::api::routes(api))
        .nest_service("/pkg", ServeDir::new(&dirs.pkg))
        .fallback_service(ServeDir::new(&dirs.www))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

/// Serves until Ctrl-C / SIGTERM. Prints the bound address (useful with port 0).
pub async fn serve(
    listen: SocketAddr,
    dirs: SiteDirs,
    api: crate::api::ApiState,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let bound = listener.local_addr()?;
    println!("SEMRES listening on http://{bound}/");
    axum::serve(listener, router(&dirs, api))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
