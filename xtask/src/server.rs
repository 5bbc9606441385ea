//! An in-process SEMRES node for the tests and benchmarks: the real router over a fresh
//! data directory, on a free loopback port, on its own runtime thread.

use std::net::SocketAddr;
use std::path::Path;

use semres_node::api::{ApiConfig, ApiState};
use semres_node::log::Logger;
use semres_node::node::Node;
use semres_node::server::{router, serve_listener, ServerConfig, SiteDirs};

/// Starts a node over `dir` (created if missing; nothing is removed) on 127.0.0.1 with a
/// free port; the site's folders are `dir/www` and `dir/pkg`. Serves until the process ends.
pub fn start(dir: &Path) -> Result<SocketAddr, String> {
    let node = Node::open(dir, None).map_err(|e| e.to_string())?;
    start_with(ApiState::new(node), dir)
}

/// [`start`] with an operator's configuration of the API and of the accept loop.
pub fn start_configured(
    dir: &Path,
    api: ApiConfig,
    server: ServerConfig,
) -> Result<SocketAddr, String> {
    let node = Node::open(dir, None).map_err(|e| e.to_string())?;
    let api = ApiState::with_config(std::sync::Arc::new(node), api, Logger::off());
    serve_on_free_port(api, dir, server)
}

/// Starts the router over an already opened node (`api`) with the site's folders in `dir`.
pub fn start_with(api: ApiState, dir: &Path) -> Result<SocketAddr, String> {
    serve_on_free_port(api, dir, ServerConfig::default())
}

fn serve_on_free_port(
    api: ApiState,
    dir: &Path,
    config: ServerConfig,
) -> Result<SocketAddr, String> {
    let dirs = SiteDirs {
        www: dir.join("www"),
        pkg: dir.join("pkg"),
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    std::thread::spawn(move || {
        runtime.block_on(async move {
            if let Ok(listener) = tokio::net::TcpListener::from_std(listener) {
                let router = router(&dirs, api, config.body_idle_timeout);
                let _ = serve_listener(listener, router, config, std::future::pending()).await;
            }
        });
    });
    Ok(addr)
}
