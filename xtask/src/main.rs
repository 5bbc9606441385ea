//! `cargo xtask <command>`: `gen-vectors [DIR]` rewrites the conformance vectors (default
//! `tests/vectors`); `fuzz-seeds [DIR]` writes the fuzz targets' seeds from them (default
//! `fuzz/corpus`); `bench-endpoint [SECONDS] [SEMRES]` (against that
//! `semres` binary, default the release build), `bench-large [MIB,MIB] [SEMRES]` (streamed
//! SMeRs up and down), `bench-consortium [ROUNDS] [ENTRIES]` (four member nodes on anvil; a
//! joining node replays ENTRIES) and `bench-ledger [BLOCKS]` print their figures as JSON
//! (`npm run bench` runs them all); `consortium-live [DIR]` runs four
//! member nodes on anvil for the JS tests until its standard input closes.

use std::path::PathBuf;
use std::process::ExitCode;

fn gen_vectors(dir: PathBuf) -> Result<(), String> {
    for (relative, text) in xtask::vectors::generate_all()? {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn number<T: std::str::FromStr>(arg: Option<String>, default: T) -> Result<T, String> {
    arg.map_or(Ok(default), |a| {
        a.parse().map_err(|_| format!("not a number: {a}"))
    })
}

fn run(mut args: impl Iterator<Item = String>) -> Result<(), String> {
    let command = args.next().unwrap_or_default();
    match command.as_str() {
        "gen-vectors" => gen_vectors(PathBuf::from(
            args.next().unwrap_or_else(|| "tests/vectors".into()),
        )),
        "fuzz-seeds" => {
            let seeds = xtask::fuzz_seeds::generate(std::path::Path::new("tests/vectors"))?;
            let out = PathBuf::from(args.next().unwrap_or_else(|| "fuzz/corpus".into()));
            let n = xtask::fuzz_seeds::write(&seeds, &out)?;
            println!("wrote {n} seeds under {}", out.display());
            Ok(())
        }
        "bench-endpoint" => {
            let seconds = number(args.next(), 5)?;
            let binary = PathBuf::from(
                args.next()
                    .unwrap_or_else(|| "target/release/semres".into()),
            );
            let figures = xtask::bench::endpoint::run(seconds, &binary)?;
            println!("{figures}");
            Ok(())
        }
        "bench-large" => {
            let sizes = args
                .next()
                .unwrap_or_else(|| "64,256,1024".into())
                .split(',')
                .map(|n| n.parse().map_err(|_| format!("not a size in MiB: {n}")))
                .collect::<Result<Vec<u64>, String>>()?;
            let binary = PathBuf::from(
                args.next()
                    .unwrap_or_else(|| "target/release/semres".into()),
            );
            println!("{}", xtask::bench::large::run(&sizes, &binary)?);
            Ok(())
        }
        "consortium-live" => xtask::consortium::live(&PathBuf::from(
            args.next()
                .unwrap_or_else(|| "target/consortium-live".into()),
        )),
        "bench-consortium" => {
            let rounds = number(args.next(), 3)?;
            let entries: u64 = number(args.next(), 100_000)?;
            let figures = xtask::bench::consortium::run(rounds, entries)?;
            println!("{figures}");
            Ok(())
        }
        "bench-ledger" => {
            let figures = xtask::bench::ledger::run(number(args.next(), 100_000)?)?;
            println!("{figures}");
            Ok(())
        }
        _ => Err(
            "usage: cargo xtask gen-vectors [DIR] | fuzz-seeds [DIR] | bench-endpoint [SECONDS] [SEMRES] | bench-large [MIB,MIB] [SEMRES] | consortium-live [DIR] | bench-consortium [ROUNDS] [ENTRIES] | bench-ledger [BLOCKS]"
                .into(),
        ),
    }
}

fn main() -> ExitCode {
    match run(std::env::args().skip(1)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
