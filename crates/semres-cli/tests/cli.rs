//! The `semres` CLI end to end: keygen → seal to two recipients → each opens; `open` with the
//! wrong key, a wrong passphrase or a tampered SMeR exits non-zero with a one-line coded
//! error and leaves no output file; `hash` matches; every command has `--help`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn semres(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_semres"))
        .args(args)
        .output()
        .expect("run semres")
}

fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// A failure is one stderr line naming the code, and a non-zero exit.
fn fails_with(out: &Output, code: &str) {
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains(&format!(": {code}: ")), "{err}");
}

#[test]
fn keygen_seal_to_two_open_by_each_and_failures_leave_no_output() {
    let dir = workdir("e2e");
    let pass = dir.join("pass.txt");
    std::fs::write(&pass, "lawson's passphrase\n").unwrap();
    let david = dir.join("david");
    let lawson = dir.join("lawson");
    let out = ok(&semres(&[
        "keygen",
        "--out",
        s(&david),
        "--bits",
        "2048",
        "--name",
        "David",
    ]));
    assert!(out.contains("encryption key id"), "{out}");
    ok(&semres(&[
        "keygen",
        "--out",
        s(&lawson),
        "--bits",
        "2048",
        "--name",
        "Lawson",
        "--passphrase-file",
        s(&pass),
    ]));
    for f in [
        "encryption.pub.pem",
        "encryption.key.pem",
        "signing.pub.pem",
        "signing.key.pem",
    ] {
        assert!(david.join(f).is_file(), "{f}");
    }
    assert!(std::fs::read_to_string(lawson.join("encryption.key.pem"))
        .unwrap()
        .starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    assert!(lawson.join("identity.json").is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(david.join("encryption.key.pem"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
    }
    // keygen refuses to overwrite keys.
    fails_with(
        &semres(&["keygen", "--out", s(&david), "--bits", "2048"]),
        "Refused",
    );

    let record = dir.join("mhb.xml");
    std::fs::write(
        &record,
        "<myhealthbank><r1><r1.9>Synthetic diagnosis</r1.9></r1></myhealthbank>",
    )
    .unwrap();
    let smer = dir.join("mhb.smer");
    let hash = ok(&semres(&[
        "seal",
        "--to",
        s(&david.join("encryption.pub.pem")),
        "--to",
        s(&lawson.join("encryption.pub.pem")),
        "--owner",
        s(&david.join("signing.pub.pem")),
        s(&record),
        s(&smer),
    ]));
    assert_eq!(hash.trim().len(), 64);
    assert_eq!(ok(&semres(&["hash", s(&smer)])), hash);

    let by_david = dir.join("by-david.xml");
    ok(&semres(&[
        "open",
        "--key",
        s(&david.join("encryption.key.pem")),
        s(&smer),
        s(&by_david),
    ]));
    assert_eq!(
        std::fs::read(&by_david).unwrap(),
        std::fs::read(&record).unwrap()
    );
    let by_lawson = dir.join("by-lawson.xml");
    ok(&semres(&[
        "open",
        "--key",
        s(&lawson.join("encryption.key.pem")),
        "--passphrase-file",
        s(&pass),
        s(&smer),
        s(&by_lawson),
    ]));
    assert_eq!(
        std::fs::read(&by_lawson).unwrap(),
        std::fs::read(&record).unwrap()
    );

    // Lawson's identity file opens it too (the CLI imports identities).
    let by_identity = dir.join("by-identity.xml");
    ok(&semres(&[
        "open",
        "--key",
        s(&lawson.join("identity.json")),
        "--passphrase-file",
        s(&pass),
        s(&smer),
        s(&by_identity),
    ]));
    assert_eq!(
        std::fs::read(&by_identity).unwrap(),
        std::fs::read(&record).unwrap()
    );
    std::fs::remove_file(&by_identity).unwrap();

    // Failures: no output file, not even a partial one, and nothing left in the folder.
    let before: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let out = dir.join("should-not-exist.xml");
    fails_with(
        &semres(&[
            "open",
            "--key",
            s(&lawson.join("encryption.key.pem")),
            s(&smer),
            s(&out),
        ]),
        "PassphraseRequired",
    );
    let wrong = dir.join("wrong.txt");
    std::fs::write(&wrong, "not it\n").unwrap();
    fails_with(
        &semres(&[
            "open",
            "--key",
            s(&lawson.join("encryption.key.pem")),
            "--passphrase-file",
            s(&wrong),
            s(&smer),
            s(&out),
        ]),
        "WrongPassphrase",
    );
    let outsider = dir.join("outsider");
    ok(&semres(&[
        "keygen",
        "--out",
        s(&outsider),
        "--bits",
        "2048",
    ]));
    fails_with(
        &semres(&[
            "open",
            "--key",
            s(&outsider.join("encryption.key.pem")),
            s(&smer),
            s(&out),
        ]),
        "NoMatchingRecipient",
    );
    let mut tampered = std::fs::read(&smer).unwrap();
    let at = tampered.len() - 100; // inside the ciphertext's base64url
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let tampered_path = dir.join("tampered.smer");
    std::fs::write(&tampered_path, &tampered).unwrap();
    fails_with(
        &semres(&[
            "open",
            "--key",
            s(&david.join("encryption.key.pem")),
            s(&tampered_path),
            s(&out),
        ]),
        "DecryptionFailed",
    );
    fails_with(
        &semres(&[
            "open",
            "--key",
            s(&david.join("encryption.key.pem")),
            s(&record),
            s(&out),
        ]),
        "MalformedSmer",
    );
    fails_with(
        &semres(&[
            "open",
            "--key",
            s(&dir.join("missing.pem")),
            s(&smer),
            s(&out),
        ]),
        "Io",
    );
    assert!(!out.exists());
    let after: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "wrong.txt" && n != "outsider" && n != "tampered.smer")
        .collect();
    assert_eq!(before, after, "no temporary or partial files left behind");
}

#[test]
fn seal_accepts_jwk_and_dotnet_xml_keys_and_a128() {
    let dir = workdir("formats");
    ok(&semres(&[
        "keygen",
        "--out",
        s(&dir.join("k")),
        "--bits",
        "2048",
    ]));
    let pem = std::fs::read_to_string(dir.join("k/encryption.key.pem")).unwrap();
    let key = semres::EncryptionPrivateKey::from_pem(&pem, None).unwrap();
    std::fs::write(dir.join("pub.jwk"), key.public_key().to_jwk()).unwrap();
    std::fs::write(dir.join("key.xml"), key.to_dotnet_xml().unwrap().as_str()).unwrap();
    std::fs::write(
        dir.join("key.pkcs1.pem"),
        key.to_pkcs1_pem().unwrap().as_str(),
    )
    .unwrap();
    std::fs::write(dir.join("r.txt"), "record").unwrap();
    ok(&semres(&[
        "seal",
        "--to",
        s(&dir.join("pub.jwk")),
        "--enc",
        "A128CBC-HS256",
        s(&dir.join("r.txt")),
        s(&dir.join("r.smer")),
    ]));
    for k in ["key.xml", "key.pkcs1.pem"] {
        let out = dir.join(format!("out-{k}"));
        ok(&semres(&[
            "open",
            "--key",
            s(&dir.join(k)),
            s(&dir.join("r.smer")),
            s(&out),
        ]));
        assert_eq!(std::fs::read_to_string(out).unwrap(), "record");
    }
    let parsed = semres::ParsedSmer::parse(
        &std::fs::read(dir.join("r.smer")).unwrap(),
        &semres::Limits::default(),
    )
    .unwrap();
    assert_eq!(parsed.header().content_type.as_deref(), Some("text/plain"));
    assert_eq!(parsed.header().file_name.as_deref(), Some("r.txt"));
    assert_eq!(parsed.enc(), semres::ContentEncryption::A128CbcHs256);
}

#[test]
fn every_command_has_help() {
    for command in [
        &["--help"][..],
        &["keygen", "--help"],
        &["seal", "--help"],
        &["open", "--help"],
        &["hash", "--help"],
        &["serve", "--help"],
    ] {
        let out = ok(&semres(command));
        assert!(out.contains("Usage:"), "{command:?}");
    }
    let out = semres(&["seal", "in", "out"]);
    assert!(!out.status.success(), "--to is required");
}
