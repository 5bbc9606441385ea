//! Four hospitals' real `semres serve --engine ethereum` processes on one anvil (SPEC §6):
//! kill -9 of one during a stream of submissions — restarted, it catches up, and every
//! entry any node acknowledged is on every node.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use semres::b64;
use semres::ledger::entry::Role;
use xtask::child::Served;
use xtask::consortium::{listeners, Fixture};
use xtask::fixtures::{register_entry, signing_key};
use xtask::http::request;

mod support;

struct Member {
    dir: PathBuf,
    listen: String,
    flags: Vec<String>,
}

impl Member {
    fn start(&self) -> Served {
        let flags: Vec<&str> = self.flags.iter().map(String::as_str).collect();
        xtask::child::serve_at(
            std::path::Path::new(env!("CARGO_BIN_EXE_semres")),
            &self.dir,
            &self.dir.join("data"),
            &self.listen,
            &flags,
            false,
        )
        .unwrap()
        .0
    }
}

fn status(addr: SocketAddr, hash: &str) -> String {
    request(addr, "GET", &format!("/api/v1/entries/{hash}"), &[], b"")
        .ok()
        .and_then(|(_, body)| serde_json::from_slice::<serde_json::Value>(&body).ok())
        .and_then(|v| v["status"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[test]
fn kill9_of_a_member_node_loses_no_acknowledged_entry() {
    let fixture = Fixture::new(4, 3, 0).unwrap();
    let root = support::workdir("consortium-kill9");
    let sockets = listeners(4).unwrap();
    let addrs: Vec<SocketAddr> = sockets.iter().map(|l| l.local_addr().unwrap()).collect();
    drop(sockets); // the ports are the nodes' now
    let members: Vec<Member> = (0..4)
        .map(|i| {
            let dir = root.join(format!("member-{i}"));
            let mut flags = fixture.member_flags(i, &dir).unwrap();
            for (j, a) in addrs.iter().enumerate() {
                if j != i {
                    flags.extend(["--peer".into(), format!("http://{a}")]);
                }
            }
            Member {
                dir,
                listen: addrs[i].to_string(),
                flags,
            }
        })
        .collect();
    let mut running: Vec<Option<Served>> = members.iter().map(|m| Some(m.start())).collect();
    // A stream of registrations, round robin over the four nodes; node D is killed part-way.
    let mut acknowledged = Vec::new();
    for i in 0..60u64 {
        if i == 30 {
            running[3].take().unwrap().kill();
        }
        let key = signing_key(1000 + i);
        let entry = register_entry(&key, Role::Patient, 1000 + i, None).unwrap();
        let node = addrs[usize::try_from(i % 4).unwrap()];
        if let Ok((status, body)) = xtask::http::post_entry(node, &b64::encode(&entry.to_bytes())) {
            // 201: anchored; 202: queued durably — both are promises.
            if status == 201 || status == 202 {
                acknowledged.push(semres::hex::encode(&entry.hash()));
            } else {
                panic!("{status}: {}", String::from_utf8_lossy(&body));
            }
        } else {
            assert!(
                i >= 30 && i % 4 == 3,
                "request {i} failed while its node was up"
            );
        }
    }
    assert!(
        acknowledged.len() >= 50,
        "{} acknowledged",
        acknowledged.len()
    );
    // D restarts over its data directory and catches up.
    running[3] = Some(members[3].start());
    let deadline = Instant::now() + Duration::from_secs(90);
    for hash in &acknowledged {
        for &addr in &addrs {
            while status(addr, hash) != "on-ledger" {
                assert!(
                    Instant::now() < deadline,
                    "entry {hash} never reached {addr}"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
    // And all four agree on the blocks.
    let blocks = |addr: SocketAddr| {
        request(addr, "GET", "/api/v1/blocks?from=0&count=60", &[], b"")
            .unwrap()
            .1
    };
    let first = blocks(addrs[0]);
    for &addr in &addrs[1..] {
        assert_eq!(blocks(addr), first);
    }
    drop(running);
}

#[test]
fn a_member_node_refuses_an_account_or_key_the_consortium_file_does_not_name() {
    let fixture = Fixture::new(4, 3, 0).unwrap();
    let root = support::workdir("consortium-wrong-keys");
    let a = fixture.member_flags(0, &root.join("a")).unwrap();
    let b = fixture.member_flags(1, &root.join("b")).unwrap();
    let flag = |flags: &[String], name: &str| {
        let i = flags.iter().position(|f| f == name).unwrap();
        flags[i + 1].clone()
    };
    let run = |member_key: &str, account_key: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_semres"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(root.join("data"))
            .args(["--engine", "ethereum", "--rpc", &fixture.anvil.url])
            .args(["--consortium", &flag(&a, "--consortium")])
            .args(["--member-key", member_key, "--account-key", account_key])
            .output()
            .unwrap()
    };
    // Member A's key with member B's account.
    let out = run(&flag(&a, "--member-key"), &flag(&b, "--account-key"));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not the account of member hospital-a.test"),
        "{stderr}"
    );
    // A key that is no member's.
    let stranger = root.join("stranger.key.pem");
    std::fs::write(
        &stranger,
        signing_key(77).to_pkcs8_pem().unwrap().as_bytes(),
    )
    .unwrap();
    let out = run(stranger.to_str().unwrap(), &flag(&a, "--account-key"));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not one of the consortium's members"),
        "{stderr}"
    );
}

/// Runs `semres consortium ARGS`; (success, standard output, standard error).
fn consortium_cli(args: &[&str]) -> (bool, String, String) {
    let mut all = vec!["consortium"];
    all.extend_from_slice(args);
    support::semres(&all)
}

#[test]
fn four_hospitals_form_a_consortium_with_the_cli_and_run_it() {
    let anvil = xtask::anvil::Anvil::start(0).unwrap();
    let root = support::workdir("consortium-cli");
    let dirs: Vec<PathBuf> = (0..4).map(|i| root.join(format!("hospital-{i}"))).collect();
    let path = |p: &std::path::Path| p.to_str().unwrap().to_owned();
    // Each hospital makes its keys; `keys` prints its --member value for the draft.
    let mut members = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        let (ok, out, err) = consortium_cli(&[
            "keys",
            "--name",
            &format!("hospital-{i}.test"),
            "--out-dir",
            &path(dir),
        ]);
        assert!(ok, "{err}");
        members.push(out.trim().to_owned());
    }
    // Keys are never overwritten.
    let (ok, _, err) = consortium_cli(&["keys", "--name", "x.test", "--out-dir", &path(&dirs[0])]);
    assert!(!ok && err.contains("already holds"), "{err}");
    let accounts: Vec<String> = members
        .iter()
        .map(|m| m.rsplit(',').next().unwrap().to_owned())
        .collect();
    // Hospital 0 deploys the contract with the four accounts.
    let mut deploy = vec!["deploy".to_owned(), "--rpc".into(), anvil.url.clone()];
    deploy.extend(["--account-key".into(), path(&dirs[0].join("account.key"))]);
    for a in &accounts {
        deploy.extend(["--member".into(), a.clone()]);
    }
    let deploy: Vec<&str> = deploy.iter().map(String::as_str).collect();
    let (ok, out, err) = consortium_cli(&deploy);
    assert!(ok, "{err}");
    let contract = out.trim().to_owned();
    // The draft, then three of the four sign it in turn.
    let file = root.join("consortium.txt");
    let mut draft = vec![
        "draft".to_owned(),
        "--origin".into(),
        "semres.test/cli-consortium".into(),
        "--chain-id".into(),
        xtask::anvil::CHAIN_ID.to_string(),
        "--contract".into(),
        contract,
        "--threshold".into(),
        "3".into(),
        "--out".into(),
        path(&file),
    ];
    for m in &members {
        draft.extend(["--member".into(), m.clone()]);
    }
    let draft: Vec<&str> = draft.iter().map(String::as_str).collect();
    let (ok, _, err) = consortium_cli(&draft);
    assert!(ok, "{err}");
    for dir in &dirs[..2] {
        let key = path(&dir.join("member.key.pem"));
        assert!(consortium_cli(&["sign", &path(&file), "--member-key", &key]).0);
    }
    // Two of four: not yet a consortium; a stranger cannot sign.
    let (ok, _, err) = consortium_cli(&["show", &path(&file)]);
    assert!(!ok && err.contains("signed by 2 of the 3"), "{err}");
    let stranger = root.join("stranger.key.pem");
    std::fs::write(&stranger, signing_key(5).to_pkcs8_pem().unwrap().as_bytes()).unwrap();
    let (ok, _, err) = consortium_cli(&["sign", &path(&file), "--member-key", &path(&stranger)]);
    assert!(
        !ok && err.contains("not one of the file's members"),
        "{err}"
    );
    let key = path(&dirs[2].join("member.key.pem"));
    assert!(consortium_cli(&["sign", &path(&file), "--member-key", &key]).0);
    let (ok, out, err) = consortium_cli(&["show", &path(&file)]);
    assert!(ok, "{err}");
    assert!(
        out.contains("threshold 3 of 4") && out.contains("valid"),
        "{out}"
    );
    // The four nodes run from these files and derive one cosigned ledger.
    let sockets = listeners(4).unwrap();
    let addrs: Vec<SocketAddr> = sockets.iter().map(|l| l.local_addr().unwrap()).collect();
    drop(sockets);
    let running: Vec<Served> = (0..4)
        .map(|i| {
            let mut flags = vec![
                "--engine".to_owned(),
                "ethereum".into(),
                "--rpc".into(),
                anvil.url.clone(),
                "--consortium".into(),
                path(&file),
                "--member-key".into(),
                path(&dirs[i].join("member.key.pem")),
                "--account-key".into(),
                path(&dirs[i].join("account.key")),
            ];
            for (j, a) in addrs.iter().enumerate() {
                if j != i {
                    flags.extend(["--peer".into(), format!("http://{a}")]);
                }
            }
            Member {
                dir: dirs[i].clone(),
                listen: addrs[i].to_string(),
                flags,
            }
            .start()
        })
        .collect();
    let entry = register_entry(&signing_key(1), Role::Patient, 1, None).unwrap();
    let (status, _) = xtask::http::post_entry(addrs[2], &b64::encode(&entry.to_bytes())).unwrap();
    assert_eq!(status, 201);
    let consortium = semres::ledger::consortium::Consortium::from_signed_note(
        &std::fs::read_to_string(&file).unwrap(),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    for &addr in &addrs {
        loop {
            let (_, note) = request(addr, "GET", "/api/v1/checkpoint", &[], b"").unwrap();
            let note = String::from_utf8_lossy(&note).into_owned();
            if consortium
                .verify_checkpoint(&note)
                .is_ok_and(|c| c.checkpoint.size == 1)
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "no cosigned checkpoint at {addr}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    drop(running);
}
