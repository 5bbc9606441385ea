//! A clinician registers with the CLI (`keygen`, `register`), is refused until an authority
//! admits the registration with `semres admit`, then is registered through the HTTP API.

use std::path::Path;

fn start(name: &str) -> (std::net::SocketAddr, std::path::PathBuf) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    (xtask::server::start(&dir).unwrap(), dir)
}

#[test]
fn a_clinician_registers_with_the_cli_and_is_admitted_by_the_authority() {
    let (addr, dir) = start("cli-admit");
    let work = dir.join("cli");
    std::fs::create_dir_all(&work).unwrap();
    let semres = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_semres"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let p = |name: &str| work.join(name).to_str().unwrap().to_owned();
    std::fs::write(work.join("pass"), "lawson pass\n").unwrap();
    semres(&[
        "keygen",
        "--out",
        &p("lawson"),
        "--bits",
        "2048",
        "--name",
        "Lawson",
        "--passphrase-file",
        &p("pass"),
    ]);
    semres(&[
        "register",
        "--identity",
        &p("lawson/identity.json"),
        "--passphrase-file",
        &p("pass"),
        "--role",
        "clinician",
        &p("register.txt"),
    ]);
    let post = |file: &str| {
        let entry = std::fs::read_to_string(work.join(file)).unwrap();
        let (status, body) = xtask::http::post_entry(addr, entry.trim()).unwrap();
        (status, xtask::http::error_code(&body))
    };
    assert_eq!(
        post("register.txt"),
        (403, "MissingSignature".into()),
        "not yet admitted"
    );
    semres(&[
        "admit",
        "--authority-key",
        dir.join("authority.key.pem").to_str().unwrap(),
        &p("register.txt"),
        &p("admitted.txt"),
    ]);
    assert_eq!(post("admitted.txt").0, 201);
}
