//! `semres`: the SEMRES command line — today the web server (`semres serve`); the key,
//! seal/open and ledger commands join it as their issues land.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
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

#[derive(Subcommand)]
enum Command {
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
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { listen, www, pkg } => {
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
            match runtime.block_on(serve(listen, SiteDirs { www, pkg })) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("semres serve: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
