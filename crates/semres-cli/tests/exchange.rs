//! The exchange from the command line (`semres share`, `fetch`, `revoke`) against real
//! nodes: one hospital's embedded ledger (trusting its authority key), and across two
//! hospitals of a consortium (trusting the consortium file) — shared at A, fetched at C,
//! revoked at A and then refused at C; with A stopped, C serves what it already pulled and
//! answers HolderUnavailable for the rest, and completes once A is back; the chain audited
//! from the CLI; a wrong trust refuses before anything is sealed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use xtask::child::Served;
use xtask::consortium::{listeners, Fixture};

mod support;

use support::semres;

fn ok(args: &[&str]) -> String {
    let (success, out, err) = semres(args);
    assert!(success, "semres {args:?}: {err}");
    out
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_owned()
}

/// A participant made with the CLI: identity file, passphrase file, key id, registration
/// entry (admitted by `admitter` when given).
struct Person {
    identity: String,
    pass: String,
    key_id: String,
    entry: String,
}

fn person(work: &Path, name: &str, role: &str, admitter: Option<&Path>) -> Person {
    let dir = work.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let pass = dir.join("pass");
    std::fs::write(&pass, format!("{name} passphrase\n")).unwrap();
    ok(&[
        "keygen",
        "--out",
        &s(&dir.join("keys")),
        "--bits",
        "2048",
        "--name",
        name,
        "--passphrase-file",
        &s(&pass),
    ]);
    let identity = s(&dir.join("keys/identity.json"));
    let reg = dir.join("register.txt");
    let out = ok(&[
        "register",
        "--identity",
        &identity,
        "--passphrase-file",
        &s(&pass),
        "--role",
        role,
        &s(&reg),
    ]);
    let key_id = out.split_whitespace().nth(2).unwrap().to_owned();
    let mut entry_file = reg.clone();
    if let Some(key) = admitter {
        entry_file = dir.join("admitted.txt");
        ok(&[
            "admit",
            "--authority-key",
            &s(key),
            &s(&reg),
            &s(&entry_file),
        ]);
    }
    Person {
        identity,
        pass: s(&pass),
        key_id,
        entry: std::fs::read_to_string(entry_file)
            .unwrap()
            .trim()
            .to_owned(),
    }
}

fn register(addr: SocketAddr, p: &Person) {
    let (status, body) = xtask::http::post_entry(addr, &p.entry).unwrap();
    assert_eq!(status, 201, "{}", xtask::http::error_code(&body));
}

fn session<'a>(url: &'a str, trust: &'a str, p: &'a Person) -> Vec<&'a str> {
    vec![
        "--endpoint",
        url,
        "--trust",
        trust,
        "--identity",
        &p.identity,
        "--passphrase-file",
        &p.pass,
    ]
}

/// David shares `name` (a synthetic record) with Lawson at `at`; its SMeR hash.
fn share(
    work: &Path,
    at: &str,
    trust: &str,
    david: &Person,
    lawson: &Person,
    name: &str,
) -> String {
    let record = work.join(name);
    std::fs::write(
        &record,
        format!("<MHB><Patient>synthetic</Patient><Note>{name}</Note></MHB>\n"),
    )
    .unwrap();
    let mut args = vec!["share"];
    args.extend(session(at, trust, david));
    args.extend(["--to", &lawson.key_id, "--content-type", "application/xml"]);
    let record_path = s(&record);
    args.push(&record_path);
    let out = ok(&args);
    assert!(
        out.contains(&format!("granted to {}", lawson.key_id)),
        "{out}"
    );
    out.split("SMeR ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// Lawson fetches `hash` at `at` into `out`; (success, standard output, standard error).
fn fetch(at: &str, trust: &str, lawson: &Person, hash: &str, out: &Path) -> (bool, String, String) {
    let out = s(out);
    let mut args = vec!["fetch"];
    args.extend(session(at, trust, lawson));
    args.extend(["--hash", hash, "--out", &out]);
    semres(&args)
}

/// David shares at `share_at`; Lawson fetches at `fetch_at`; David revokes; Lawson is then
/// refused (as soon as `fetch_at` has the revocation).
fn exchange(
    work: &Path,
    share_at: &str,
    fetch_at: &str,
    trust: &str,
    david: &Person,
    lawson: &Person,
) {
    let record = work.join("mhb.xml");
    let hash = share(work, share_at, trust, david, lawson, "mhb.xml");
    let opened = work.join("opened.xml");
    let opened_path = s(&opened);
    let mut fetch = vec!["fetch"];
    fetch.extend(session(fetch_at, trust, lawson));
    fetch.extend(["--hash", &hash, "--out", &opened_path]);
    // The fetching node may be a block behind the sharing one.
    let deadline = Instant::now() + Duration::from_secs(60);
    let out = loop {
        let (success, out, err) = semres(&fetch);
        if success {
            break out;
        }
        assert!(
            err.contains("GrantInactive") && Instant::now() < deadline,
            "{err}"
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    assert!(out.contains("SMeR hash: equal to the ledger's"), "{out}");
    assert_eq!(
        std::fs::read(&opened).unwrap(),
        std::fs::read(&record).unwrap()
    );
    // Revoked at the sharing node: the fetching node refuses (once it has the revocation).
    let mut revoke = vec!["revoke"];
    revoke.extend(session(share_at, trust, david));
    revoke.extend(["--hash", &hash, "--to", &lawson.key_id]);
    assert!(ok(&revoke).contains("revoked"));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (success, _, err) = semres(&fetch);
        if !success && err.contains("GrantInactive") {
            assert_eq!(err.lines().count(), 1, "one coded line: {err}");
            assert!(err.starts_with("semres fetch: GrantInactive: "), "{err}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still fetched after the revocation"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    // An auditor replays the fetching node's whole chain against the same trust.
    let chain = s(&work.join("chain.bin"));
    let out = ok(&[
        "audit",
        "--endpoint",
        fetch_at,
        "--trust",
        trust,
        "--out",
        &chain,
    ]);
    assert!(out.starts_with("ok: "), "{out}");
    assert!(std::fs::metadata(&chain).unwrap().len() > 0);
}

#[test]
fn the_cli_exchange_against_one_hospital() {
    let root = support::workdir("exchange-embedded");
    let data = root.join("data");
    let addr = xtask::server::start(&data).unwrap();
    let authority = xtask::fixtures::authority_key(&data).unwrap();
    let trust = root.join("authority.pub.pem");
    std::fs::write(&trust, authority.public_key().to_pem().unwrap()).unwrap();
    let authority_pem = root.join("authority.key.pem");
    std::fs::write(&authority_pem, authority.to_pkcs8_pem().unwrap().as_bytes()).unwrap();
    let david = person(&root, "david", "patient", None);
    let lawson = person(&root, "lawson", "clinician", Some(&authority_pem));
    register(addr, &david);
    register(addr, &lawson);
    let url = format!("http://{addr}");
    exchange(&root, &url, &url, &s(&trust), &david, &lawson);
    // Trusting another authority: refused before anything is sealed or sent.
    let other = root.join("other.pub.pem");
    std::fs::write(
        &other,
        xtask::fixtures::signing_key(99)
            .public_key()
            .to_pem()
            .unwrap(),
    )
    .unwrap();
    let record = root.join("mhb.xml");
    let mut args = vec!["share"];
    let other_path = s(&other);
    args.extend(session(&url, &other_path, &david));
    let record_path = s(&record);
    args.extend(["--to", &lawson.key_id, &record_path]);
    let (success, _, err) = semres(&args);
    assert!(!success);
    assert!(err.starts_with("semres share: BadCheckpoint: "), "{err}");
}

#[test]
fn the_cli_exchange_across_two_hospitals_of_a_consortium() {
    let fixture = Fixture::new(4, 3, 0).unwrap();
    let root = support::workdir("exchange-consortium");
    let sockets = listeners(4).unwrap();
    let addrs: Vec<SocketAddr> = sockets.iter().map(|l| l.local_addr().unwrap()).collect();
    drop(sockets);
    let dirs: Vec<PathBuf> = (0..4).map(|i| root.join(format!("hospital-{i}"))).collect();
    let start = |i: usize| -> Served {
        let mut flags = fixture.member_flags(i, &dirs[i]).unwrap();
        for (j, a) in addrs.iter().enumerate() {
            if j != i {
                flags.extend(["--peer".into(), format!("http://{a}")]);
            }
        }
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        xtask::child::serve_at(
            Path::new(env!("CARGO_BIN_EXE_semres")),
            &dirs[i],
            &dirs[i].join("data"),
            &addrs[i].to_string(),
            &flags,
            false,
        )
        .unwrap()
        .0
    };
    let mut running: Vec<Option<Served>> = (0..4).map(|i| Some(start(i))).collect();
    // David registers at hospital A; Lawson is admitted by hospital C's member key.
    let david = person(&root, "david", "patient", None);
    let lawson = person(
        &root,
        "lawson",
        "clinician",
        Some(&dirs[2].join("member.key.pem")),
    );
    register(addrs[0], &david);
    register(addrs[2], &lawson);
    let trust = s(&dirs[0].join("consortium.txt"));
    let (a, c) = (
        format!("http://{}", addrs[0]),
        format!("http://{}", addrs[2]),
    );
    exchange(&root, &a, &c, &trust, &david, &lawson);
    // Hospital A stops: C still serves what it already pulled, and says clearly what it
    // cannot fetch; A back, the exchange completes.
    let held = share(&root, &a, &trust, &david, &lawson, "held.xml");
    let until = |what: &str, hash: &str, out: &Path| {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (success, stdout, err) = fetch(&c, &trust, &lawson, hash, out);
            if success {
                return stdout;
            }
            assert!(Instant::now() < deadline, "{what}: {err}");
            std::thread::sleep(Duration::from_millis(250));
        }
    };
    until("the first fetch at C", &held, &root.join("held-1.xml"));
    let missing = share(&root, &a, &trust, &david, &lawson, "missing.xml");
    // C must have the grant's block before A goes (else it would answer GrantInactive).
    let size = |addr: SocketAddr| -> u64 {
        let (_, note) = xtask::http::request(addr, "GET", "/api/v1/checkpoint", &[], b"").unwrap();
        String::from_utf8_lossy(&note)
            .lines()
            .nth(1)
            .and_then(|l| l.parse().ok())
            .unwrap_or(0)
    };
    // A stops once C has every block A has (else C would not know the newest grant).
    let stop_a = |running: &mut Vec<Option<Served>>| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while size(addrs[2]) < size(addrs[0]) {
            assert!(Instant::now() < deadline, "C never caught up with A");
            std::thread::sleep(Duration::from_millis(100));
        }
        running[0].take().unwrap().kill();
    };
    stop_a(&mut running);
    until(
        "C serves its copy with A down",
        &held,
        &root.join("held-2.xml"),
    );
    let (success, _, err) = fetch(&c, &trust, &lawson, &missing, &root.join("missing.xml.out"));
    assert!(!success);
    assert!(
        err.starts_with("semres fetch: HolderUnavailable: ") && err.lines().count() == 1,
        "{err}"
    );
    running[0] = Some(start(0));
    let out = until(
        "the fetch once A is back",
        &missing,
        &root.join("missing.xml.out"),
    );
    assert!(out.contains("decrypted"), "{out}");
    assert_eq!(
        std::fs::read(root.join("missing.xml.out")).unwrap(),
        std::fs::read(root.join("missing.xml")).unwrap()
    );
    // Eager copy: David has hospital D keep a copy at once; with A down again, C pulls it
    // from D. Only the owner or a grantee can make one (a stranger's read is refused).
    let eager = share(&root, &a, &trust, &david, &lawson, "eager.xml");
    let d = format!("http://{}", addrs[3]);
    let mut copy = vec!["copy"];
    copy.extend(session(&d, &trust, &david));
    copy.extend(["--hash", &eager]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let out = loop {
        // D may be a block behind A (it must see the grant before it serves the owner).
        let (success, out, err) = semres(&copy);
        if success {
            break out;
        }
        assert!(Instant::now() < deadline, "the copy at D: {err}");
        std::thread::sleep(Duration::from_millis(250));
    };
    assert!(
        out.contains("keeps a copy of SMeR") && out.contains("SHA-256 checked"),
        "{out}"
    );
    let stranger = person(&root, "mallory", "patient", None);
    register(addrs[3], &stranger);
    let mut stolen = vec!["copy"];
    stolen.extend(session(&d, &trust, &stranger));
    stolen.extend(["--hash", &eager]);
    let (success, _, err) = semres(&stolen);
    assert!(!success && err.starts_with("semres copy: "), "{err}");
    stop_a(&mut running);
    until(
        "C pulls the eager copy from D with A down",
        &eager,
        &root.join("eager.xml.out"),
    );
    assert_eq!(
        std::fs::read(root.join("eager.xml.out")).unwrap(),
        std::fs::read(root.join("eager.xml")).unwrap()
    );
    // Each member's data directory replays from the consortium file; not as an embedded one.
    let data = s(&dirs[2].join("data"));
    let out = ok(&["verify-chain", "--data-dir", &data, "--consortium", &trust]);
    assert!(out.starts_with("ok: "), "{out}");
    let (success, _, err) = semres(&["verify-chain", "--data-dir", &data]);
    assert!(!success, "an anchored chain is not an embedded one: {err}");
    // Trusting one hospital's key instead of the consortium: its checkpoints are refused.
    let one = root.join("member.pub.pem");
    std::fs::write(&one, fixture.members[0].key.public_key().to_pem().unwrap()).unwrap();
    let (success, _, err) = semres(&["audit", "--endpoint", &c, "--trust", &s(&one)]);
    assert!(
        !success && err.starts_with("semres audit: BadCheckpoint: "),
        "{err}"
    );
}
