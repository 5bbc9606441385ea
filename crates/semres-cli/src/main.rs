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

#[cfg(test)]
mod tests {
    use super::*;

    /// Key ids are base64url: one in 64 begins with `-`, and must still be taken as a value.
    #[test]
    fn key_ids_beginning_with_a_hyphen_are_values() {
        let session = [
            "--endpoint",
            "http://127.0.0.1:1",
            "--trust",
            "t",
            "--identity",
            "i",
            "--passphrase-file",
            "p",
        ];
        let share = ["semres", "share"].into_iter().chain(session).chain([
            "--to",
            "-lXq7",
            "--to",
            "-B",
            "record.xml",
        ]);
        let Ok(Cli {
            command: Command::Share(args),
        }) = Cli::try_parse_from(share)
        else {
            panic!("share with hyphenated key ids did not parse");
        };
        assert_eq!(args.to, ["-lXq7", "-B"]);
        let revoke = ["semres", "revoke"]
            .into_iter()
            .chain(session)
            .chain(["--hash", "00", "--to", "-lXq7"]);
        assert!(Cli::try_parse_from(revoke).is_ok());
        let seal = [
            "semres", "seal", "--to", "k.pem", "--owner", "-lXq7", "r.xml", "r.smer",
        ];
        assert!(Cli::try_parse_from(seal).is_ok(), "seal --owner");
    }
}
