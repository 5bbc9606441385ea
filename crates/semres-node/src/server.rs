//! The SEMRES web server: the ledger endpoint and DERy under `/api/v1`, the browser site
//! (`www/`) and the WASM package (`pkg/`), with security headers on every response. It
//! never sees a key or a plaintext — sealing and opening happen in the browser.
//!
//! Its own accept loop bounds what a client can hold: connections per client address,
//! the time to send the request head, and the idle time between pieces of a body.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::api::ApiState;
use crate::log::{Logger, RequestLine};

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

/// Limits of the accept loop.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Time a client has to send a request's head.
    pub header_timeout: Duration,
    /// Time a client may leave a request body idle between pieces.
    pub body_idle_timeout: Duration,
    /// Open connections per client address.
    pub max_connections_per_ip: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            header_timeout: Duration::from_secs(10),
            body_idle_timeout: Duration::from_secs(30),
            max_connections_per_ip: 64,
        }
    }
}

/// The key id a request names, if it has the form of one (43 base64url characters): only
/// that is logged of the request's headers.
fn logged_key_id(request: &Request) -> Option<String> {
    let id = request.headers().get("semres-key-id")?.to_str().ok()?;
    (id.len() == 43
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then(|| id.to_owned())
}

fn length(headers: &axum::http::HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// Logs one line per request (see [`crate::log`]).
pub async fn log_requests(
    axum::extract::State(log): axum::extract::State<Logger>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "static".to_owned(), |p| p.as_str().to_owned());
    let key_id = logged_key_id(&request);
    let bytes_in = length(request.headers());
    let response = next.run(request).await;
    log.request(&RequestLine {
        method: &method,
        route: &route,
        status: response.status().as_u16(),
        latency_ms: started.elapsed().as_secs_f64() * 1000.0,
        key_id: key_id.as_deref(),
        bytes_in,
        bytes_out: length(response.headers()),
    });
    response
}

/// Builds the router: the ledger API under `/api/v1`, the two files of the package the site
/// loads (`/pkg/semres.js`, `/pkg/semres_bg.wasm`), everything else from `www/`, with security headers on every response.
pub fn router(dirs: &SiteDirs, api: ApiState, body_idle_timeout: Duration) -> Router {
    let log = *api.log();
    Router::new()
        .nest("/api/v1", crate::api::routes(api))
        // Of the package, only what the site loads (not its README, typings or manifest).
        .route_service("/pkg/semres.js", ServeFile::new(dirs.pkg.join("semres.js")))
        .route_service(
            "/pkg/semres_bg.wasm",
            ServeFile::new(dirs.pkg.join("semres_bg.wasm")),
        )
        .route(
            "/pkg/{*rest}",
            axum::routing::any(|| async { axum::http::StatusCode::NOT_FOUND }),
        )
        .fallback_service(ServeDir::new(&dirs.www))
        .layer(axum::middleware::from_fn_with_state(log, log_requests))
        .layer(RequestBodyTimeoutLayer::new(body_idle_timeout))
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

/// Open connections per client address.
#[derive(Default)]
struct Connections(Mutex<HashMap<IpAddr, usize>>);

impl Connections {
    fn acquire(&self, ip: IpAddr, max: usize) -> bool {
        let mut open = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = open.entry(ip).or_insert(0);
        if *n >= max {
            return false;
        }
        *n += 1;
        true
    }

    fn release(&self, ip: IpAddr) {
        let mut open = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = open.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&ip);
            }
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes: HTTP/1.1, each connection on
/// its own task, the client's address in every request (`ConnectInfo`).
pub async fn serve_listener(
    listener: tokio::net::TcpListener,
    router: Router,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let connections = Arc::new(Connections::default());
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors and the like: wait a moment, keep serving.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => return Ok(()),
        };
        if !connections.acquire(peer.ip(), config.max_connections_per_ip) {
            drop(stream);
            continue;
        }
        let router = router.clone();
        let connections = connections.clone();
        let header_timeout = config.header_timeout;
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    router.clone().oneshot(request.map(axum::body::Body::new))
                });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            connections.release(peer.ip());
        });
    }
}

/// Serves until Ctrl-C / SIGTERM. Prints the bound address (useful with port 0).
pub async fn serve(
    listen: SocketAddr,
    dirs: SiteDirs,
    api: ApiState,
    config: ServerConfig,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let bound = listener.local_addr()?;
    println!("SEMRES listening on http://{bound}/");
    let log = *api.log();
    log.event("listening", &format!("http://{bound}/"));
    tokio::spawn(crate::api::expire_unreferenced(
        api.clone(),
        Duration::from_secs(600),
    ));
    let router = router(&dirs, api, config.body_idle_timeout);
    serve_listener(listener, router, config, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
