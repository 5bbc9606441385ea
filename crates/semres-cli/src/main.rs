//! `semres`: the SEMRES command line — key generation, CEDA seal/open of SMeRs, the SMeR
//! hash, ledger registration and admission, the hospital's node (`serve`) and its
//! re-verification. Run `semres --help` or `semres <command> --help`.
//!
//! Every failure prints one line `semres <command>: <Code>: <message>` and exits non-zero.

mod consortium;
mod error;
mod exchange;
mod files;
mod keys;
mod record;
mod register;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::CliResult;

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
    Keygen(keys::KeygenArgs),
    Seal(record::SealArgs),
    Open(record::OpenArgs),
    VerifyChain(serve::VerifyChainArgs),
    Hash(record::HashArgs),
    Serve(serve::ServeArgs),
    Register(register::RegisterArgs),
    Admit(register::AdmitArgs),
    Consortium(consortium::ConsortiumArgs),
    Share(exchange::ShareArgs),
    Fetch(exchange::FetchArgs),
    Copy(exchange::CopyArgs),
    Revoke(exchange::RevokeArgs),
    Audit(exchange::AuditArgs),
}

fn run(command: Command) -> (&'static str, CliResult<Vec<String>>) {
    match command {
        Command::Keygen(args) => ("keygen", keys::keygen(args)),
        Command::Seal(args) => ("seal", record::seal(args).map(|hash| vec![hash])),
        Command::Open(args) => ("open", record::open(args).map(|()| vec![])),
        Command::Hash(args) => ("hash", record::hash(args).map(|hash| vec![hash])),
        Command::Register(args) => (
            "register",
            register::register(args).map(|id| vec![format!("entry for {id} written")]),
        ),
        Command::Admit(args) => (
            "admit",
            register::admit(args).map(|()| vec!["co-signed".into()]),
        ),
        Command::VerifyChain(args) => ("verify-chain", serve::verify_chain(args)),
        Command::Serve(args) => ("serve", serve::serve(args)),
        Command::Consortium(args) => ("consortium", consortium::consortium(args)),
        Command::Share(args) => ("share", exchange::share(args)),
        Command::Fetch(args) => ("fetch", exchange::fetch(args)),
        Command::Copy(args) => ("copy", exchange::copy(args)),
        Command::Revoke(args) => ("revoke", exchange::revoke(args)),
        Command::Audit(args) => ("audit", exchange::audit(args)),
    }
}

fn main() -> ExitCode {
    let (command, result) = run(Cli::parse().command);
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
