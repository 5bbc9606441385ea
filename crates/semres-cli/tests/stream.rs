//! Streamed SMeRs through the CLI (SPEC.md §7): a 24 MiB record sealed and opened in
//! constant memory (the process's peak resident set stays under 20 MiB, less than the
//! record; a reader that held the record or the SMeR would exceed it), `--profile` chooses the format, and a damaged or truncated streamed SMeR exits
//! with `DecryptionFailed` leaving no output and no temporary file behind.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("stream-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs `semres args`; returns (success, stdout, stderr, peak resident set in KiB, read
/// from /proc while it runs: VmHWM only grows, so the last reading is the peak).
fn run(args: &[&str]) -> (bool, String, String, u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_semres"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run semres");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_path) {
            if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) {
                let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
                peak = peak.max(kib);
            }
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        peak,
    )
}

fn ok(args: &[&str]) -> (String, u64) {
    let (success, stdout, stderr, peak) = run(args);
    assert!(success, "semres {args:?}: {stderr}");
    (stdout, peak)
}

fn keygen(dir: &Path, name: &str) -> PathBuf {
    let base = dir.join(name);
    ok(&[
        "keygen",
        "--out",
        s(&base),
        "--bits",
        "2048",
        "--name",
        name,
    ]);
    base
}

fn only_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_large_record_is_sealed_and_opened_in_constant_memory() {
    let dir = workdir("large");
    let david = keygen(&dir, "David");
    let lawson = keygen(&dir, "Lawson");
    let record = dir.join("study.dcm");
    {
        // 24 MiB of a synthetic, imaging-like pattern (no real data).
        let mut f = std::io::BufWriter::new(std::fs::File::create(&record).unwrap());
        f.write_all(b"SYNTHETIC-DICOM-LIKE study=cli-test\n")
            .unwrap();
        for i in 0u32..(24 * 1024 * 1024 / 4) {
            f.write_all(&i.wrapping_mul(2_654_435_761).to_be_bytes())
                .unwrap();
        }
    }
    let size = std::fs::metadata(&record).unwrap().len();
    let smer = dir.join("study.smer");
    let (hash, seal_peak) = ok(&[
        "seal",
        "--profile",
        "stream",
        "--to",
        s(&lawson.join("encryption.pub.pem")),
        "--to",
        s(&david.join("encryption.pub.pem")),
        s(&record),
        s(&smer),
    ]);
    let smer_bytes = std::fs::read(&smer).unwrap();
    assert!(smer_bytes.starts_with(b"SMeRS\x01"));
    assert_eq!(hash.trim(), semres::dery::smer_hash_hex(&smer_bytes));
    let (hashed, _) = ok(&["hash", s(&smer)]);
    assert_eq!(hashed.trim(), hash.trim());
    drop(smer_bytes);

    let opened = dir.join("opened.dcm");
    let (_, open_peak) = ok(&[
        "open",
        "--key",
        s(&lawson.join("encryption.key.pem")),
        s(&smer),
        s(&opened),
    ]);
    assert_eq!(
        std::fs::read(&opened).unwrap(),
        std::fs::read(&record).unwrap()
    );
    // The record is 24 MiB; a reader that held it (or the SMeR) would exceed this. (The
    // debug build's AES-GCM runs at a few MB/s, hence not larger here; `npm run bench`
    // measures the release build.)
    for (what, kib) in [("seal", seal_peak), ("open", open_peak)] {
        assert!(kib > 0, "{what}: no VmHWM reading");
        assert!(
            kib * 1024 < 20 * 1024 * 1024 && kib * 1024 < size,
            "{what}: peak resident set {kib} KiB for a {size}-byte record"
        );
    }
}

#[test]
fn profile_chooses_the_format_and_damage_leaves_no_output() {
    let dir = workdir("profile");
    let lawson = keygen(&dir, "Lawson");
    let key = lawson.join("encryption.key.pem");
    let public = lawson.join("encryption.pub.pem");
    let record = dir.join("note.txt");
    std::fs::write(&record, vec![b'x'; 200_000]).unwrap();
    let v1 = dir.join("auto.smer");
    ok(&["seal", "--to", s(&public), s(&record), s(&v1)]);
    assert!(std::fs::read(&v1).unwrap().starts_with(b"{\"protected\""));
    let streamed = dir.join("stream.smer");
    ok(&[
        "seal",
        "--profile",
        "stream",
        "--to",
        s(&public),
        s(&record),
        s(&streamed),
    ]);
    let bytes = std::fs::read(&streamed).unwrap();
    assert!(bytes.starts_with(b"SMeRS\x01"));
    for opened_from in [&v1, &streamed] {
        let out = dir.join("opened.txt");
        ok(&["open", "--key", s(&key), s(opened_from), s(&out)]);
        assert_eq!(
            std::fs::read(&out).unwrap(),
            std::fs::read(&record).unwrap()
        );
        std::fs::remove_file(&out).unwrap();
    }

    let before = only_files(&dir);
    let mut damaged = bytes.clone();
    let at = damaged.len() - 100;
    damaged[at] ^= 1;
    let truncated = bytes[..bytes.len() - 70_000].to_vec();
    for (name, smer) in [("damaged.smer", damaged), ("truncated.smer", truncated)] {
        let path = dir.join(name);
        std::fs::write(&path, smer).unwrap();
        let out = dir.join("refused.txt");
        let (success, _, stderr, _) = run(&["open", "--key", s(&key), s(&path), s(&out)]);
        assert!(!success, "{name} opened");
        assert!(stderr.contains(": DecryptionFailed: "), "{name}: {stderr}");
        assert!(!out.exists(), "{name}: output written");
        std::fs::remove_file(&path).unwrap();
        assert_eq!(only_files(&dir), before, "{name}: a file was left behind");
    }
}
