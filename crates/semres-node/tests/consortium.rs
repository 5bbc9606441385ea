//! The consortium engine against anvil (SPEC §6): the anchoring contract deployed and
//! written by member accounts only, its logs read back in order.

use alloy::signers::local::PrivateKeySigner;
use semres_node::consortium::ethereum::{Chain, ChainError};
use xtask::anvil::Anvil;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn the_contract_takes_entries_from_members_only_and_logs_them_in_order() {
    let anvil = Anvil::start(0).unwrap();
    let rt = runtime();
    rt.block_on(async {
        let members: Vec<PrivateKeySigner> = (0..2).map(|_| PrivateKeySigner::random()).collect();
        let accounts: Vec<[u8; 20]> = members.iter().map(|m| m.address().into_array()).collect();
        let contract = Chain::deploy(&anvil.url, members[0].clone(), &accounts)
            .await
            .unwrap();
        let a = Chain::connect(&anvil.url, contract, members[0].clone())
            .await
            .unwrap();
        let b = Chain::connect(&anvil.url, contract, members[1].clone())
            .await
            .unwrap();
        assert_eq!(a.chain_id(), xtask::anvil::CHAIN_ID);
        let tx = a.append_transaction(
            a.pending_nonce().await.unwrap(),
            &[b"one".to_vec(), b"two".to_vec()],
        );
        a.send_until_mined(&tx, 3).await.unwrap();
        // Sending the identical transaction again changes nothing.
        let _ = a.send(&tx).await;
        let tx = b.append_transaction(b.pending_nonce().await.unwrap(), &[b"three".to_vec()]);
        b.send_until_mined(&tx, 3).await.unwrap();
        // A stranger's append reverts.
        let stranger = Chain::connect(&anvil.url, contract, PrivateKeySigner::random())
            .await
            .unwrap();
        let tx = stranger.append_transaction(0, &[b"nope".to_vec()]);
        assert!(matches!(
            stranger.send_until_mined(&tx, 1).await,
            Err(ChainError::Reverted(_))
        ));
        let head = a.head().await.unwrap();
        let logs = a.appended(0, head).await.unwrap();
        let got: Vec<(u64, &[u8])> = logs.iter().map(|l| (l.seq, l.entry.as_slice())).collect();
        assert_eq!(got, vec![(0, &b"one"[..]), (1, b"two"), (2, b"three")]);
        let block = a.block(logs[2].block_number).await.unwrap().unwrap();
        assert_eq!(block.hash, logs[2].block_hash);
    });
}

mod four_nodes {
    use std::net::SocketAddr;
    use std::time::{Duration, Instant};

    use semres::b64;
    use semres::ledger::consortium::Consortium;
    use semres::ledger::entry::{Entry, EntryBody, Role};
    use semres_node::consortium::ethereum::Chain;
    use serde_json::Value;
    use xtask::consortium::Fixture;
    use xtask::fixtures::{entry, register_entry, signing_key};
    use xtask::http::{error_code, post_entry, request};

    fn get(addr: SocketAddr, path: &str) -> (u16, Value) {
        let (status, body) = request(addr, "GET", path, &[], b"").unwrap();
        (
            status,
            serde_json::from_slice(&body)
                .unwrap_or(Value::String(String::from_utf8_lossy(&body).into())),
        )
    }

    fn submit(addr: SocketAddr, e: &Entry) -> (u16, Value) {
        let (status, body) = post_entry(addr, &b64::encode(&e.to_bytes())).unwrap();
        let v = serde_json::from_slice(&body).unwrap_or(Value::Null);
        (
            status,
            if status >= 400 {
                Value::String(error_code(&body))
            } else {
                v
            },
        )
    }

    /// Waits until `check` holds, or fails after 60 s naming `what`.
    fn eventually(what: &str, mut check: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !check() {
            assert!(Instant::now() < deadline, "never: {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn size(addr: SocketAddr) -> u64 {
        let (status, text) = request(addr, "GET", "/api/v1/checkpoint", &[], b"").unwrap();
        if status != 200 {
            return 0;
        }
        String::from_utf8_lossy(&text)
            .lines()
            .nth(1)
            .and_then(|l| l.parse().ok())
            .unwrap_or(0)
    }

    fn blocks(addr: SocketAddr, n: u64) -> Value {
        get(addr, &format!("/api/v1/blocks?from=0&count={n}")).1
    }

    fn start(fixture: &Fixture, name: &str) -> Vec<SocketAddr> {
        let base =
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("consortium-{name}"));
        fixture
            .start_all(&base, &semres_node::api::ApiConfig::default())
            .unwrap()
    }

    /// A signed request's headers, as a reader sends them.
    fn signed_get(
        key: &semres::identity::signing::SigningPrivateKey,
        path: &str,
    ) -> Vec<(String, String)> {
        xtask::http::signed(
            key,
            "GET",
            path,
            semres::ledger::request::content_sha256(b""),
        )
    }

    #[test]
    fn a_record_uploaded_at_one_hospital_is_opened_at_another() {
        use xtask::fixtures::SyntheticSmer;
        let fixture = Fixture::new(4, 3, 0).unwrap();
        let nodes = start(&fixture, "dery");
        let (a, c) = (nodes[0], nodes[2]);
        let patient = signing_key(1);
        let clinician = signing_key(2);
        let stranger = signing_key(3);
        assert_eq!(
            submit(
                a,
                &register_entry(&patient, Role::Patient, 1, None).unwrap()
            )
            .0,
            201
        );
        let admitted = register_entry(
            &clinician,
            Role::Clinician,
            2,
            Some(&fixture.members[0].key),
        )
        .unwrap();
        assert_eq!(submit(a, &admitted).0, 201);
        assert_eq!(
            submit(
                a,
                &register_entry(&stranger, Role::Patient, 3, None).unwrap()
            )
            .0,
            201
        );
        // The patient uploads at hospital A and grants the clinician there.
        let smer = SyntheticSmer::sealed_to(patient.key_id(), &[1, 2], 300 * 1024, 42).unwrap();
        let hash = smer.hash();
        let path = format!("/api/v1/smers/{}", semres::hex::encode(&hash));
        let headers = xtask::http::signed(&patient, "PUT", &path, hash);
        let (status, _) =
            xtask::http::request_streamed(a, "PUT", &path, &headers, smer.len(), |s| {
                smer.write_to(s)
            })
            .unwrap();
        assert_eq!(status, 201);
        let grant = entry(
            &patient,
            EntryBody::Grant {
                smer_hash: hash,
                data_index: semres::dery::data_index(&hash),
                recipient: clinician.key_id().into(),
                expires: None,
            },
        )
        .unwrap();
        assert_eq!(submit(a, &grant).0, 201);
        eventually("the grant is on C", || {
            get(
                c,
                &format!("/api/v1/entries/{}", semres::hex::encode(&grant.hash())),
            )
            .1["status"]
                == "on-ledger"
        });
        // The patient's name, given at A, is found at C by the clinician he shared with —
        // and by nobody else.
        let body = br#"{"name":"David Example"}"#;
        let name_path = format!("/directory/{}", patient.key_id());
        let (status, _) =
            xtask::http::signed_request(a, &patient, "PUT", &format!("/api/v1{name_path}"), body)
                .unwrap();
        assert_eq!(status, 200);
        let search = |who: &semres::identity::signing::SigningPrivateKey| {
            let target = "/api/v1/directory?q=david";
            let (status, body) = request(c, "GET", target, &signed_get(who, target), b"").unwrap();
            assert_eq!(status, 200);
            serde_json::from_slice::<Value>(&body).unwrap()["results"].clone()
        };
        let found = search(&clinician);
        assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
        assert_eq!(found[0]["name"], "David Example");
        assert_eq!(found[0]["keyId"], patient.key_id());
        assert_eq!(search(&stranger), serde_json::json!([]));
        let target = format!("/api/v1{name_path}");
        let (status, body) =
            request(c, "GET", &target, &signed_get(&clinician, &target), b"").unwrap();
        assert_eq!(status, 200);
        assert_eq!(
            serde_json::from_slice::<Value>(&body).unwrap()["name"],
            "David Example"
        );
        // Someone without a grant is refused at C before any hospital is asked.
        let (status, body) = request(c, "GET", &path, &signed_get(&stranger, &path), b"").unwrap();
        assert_eq!((status, error_code(&body).as_str()), (403, "NotAuthorized"));
        // The clinician, signed in at hospital C: C pulls the SMeR from A, checks its hash, and
        // serves it.
        let (status, body) = request(c, "GET", &path, &signed_get(&clinician, &path), b"").unwrap();
        assert_eq!(status, 200, "{}", error_code(&body));
        assert_eq!(semres::dery::smer_hash(&body), hash);
        // C keeps its copy: asked as a member (no further pull), it answers from its disk.
        let mut headers = signed_get(&clinician, &path);
        headers.push(("Semres-Member-Pull".into(), "1".into()));
        let (status, again) = request(c, "GET", &path, &headers, b"").unwrap();
        assert_eq!(status, 200);
        assert_eq!(again, body);
        // A granted SMeR no hospital holds: a clear error, never a wrong record.
        let missing = [0x77; 32];
        let grant = entry(
            &patient,
            EntryBody::Grant {
                smer_hash: missing,
                data_index: semres::dery::data_index(&missing),
                recipient: clinician.key_id().into(),
                expires: None,
            },
        )
        .unwrap();
        assert_eq!(submit(c, &grant).0, 201);
        let path = format!("/api/v1/smers/{}", semres::hex::encode(&missing));
        let (status, body) = request(c, "GET", &path, &signed_get(&clinician, &path), b"").unwrap();
        assert_eq!(
            (status, error_code(&body).as_str()),
            (503, "HolderUnavailable")
        );
    }

    #[test]
    fn four_hospitals_derive_one_ledger_and_cosign_it() {
        let fixture = Fixture::new(4, 3, 0).unwrap();
        let nodes = start(&fixture, "four");
        // An entry submitted at hospital A is on every hospital's ledger.
        let patient = signing_key(1);
        let reg = register_entry(&patient, Role::Patient, 1, None).unwrap();
        let (status, answer) = submit(nodes[0], &reg);
        assert_eq!(status, 201, "{answer}");
        let hash = answer["entryHash"].as_str().unwrap().to_owned();
        for &n in &nodes {
            eventually("the entry is on every node", || {
                get(n, &format!("/api/v1/entries/{hash}")).1["status"] == "on-ledger"
            });
        }
        // A clinician admitted by hospital B (its member key co-signs), at node C.
        let clinician = signing_key(2);
        let admitted = register_entry(
            &clinician,
            Role::Clinician,
            2,
            Some(&fixture.members[1].key),
        )
        .unwrap();
        assert_eq!(submit(nodes[2], &admitted).0, 201);
        eventually("every node has 2 blocks", || {
            nodes.iter().all(|&n| size(n) >= 2)
        });
        // The same grant relayed by two nodes at once becomes one block.
        // A grant of record [9; 32] to the clinician, signed by `by`.
        let grant_by = |by: &semres::identity::signing::SigningPrivateKey| {
            entry(
                by,
                EntryBody::Grant {
                    smer_hash: [9; 32],
                    data_index: semres::dery::data_index(&[9; 32]),
                    recipient: clinician.key_id().into(),
                    expires: None,
                },
            )
            .unwrap()
        };
        let grant = grant_by(&patient);
        let (a, b) = (nodes[1], nodes[3]);
        let (g1, g2) = (grant.clone(), grant.clone());
        let t1 = std::thread::spawn(move || submit(a, &g1));
        let t2 = std::thread::spawn(move || submit(b, &g2));
        let (r1, r2) = (t1.join().unwrap(), t2.join().unwrap());
        let ok: Vec<&(u16, Value)> = [&r1, &r2].into_iter().filter(|r| r.0 == 201).collect();
        assert!(!ok.is_empty(), "{r1:?} {r2:?}");
        for r in [&r1, &r2] {
            assert!(r.0 == 201 || r.1 == "Duplicate", "{r:?}");
        }
        // An entry that breaks a rule, written straight to the contract by a member's
        // account (past every node's check): the clinician grants the patient's record.
        let stolen = grant_by(&clinician);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let chain = Chain::connect(
                &fixture.anvil.url,
                fixture.consortium.contract,
                fixture.members[3].account.clone(),
            )
            .await
            .unwrap();
            let tx = chain.append_transaction(
                chain.pending_nonce().await.unwrap(),
                &[stolen.to_bytes(), b"garbage".to_vec()],
            );
            chain.send_until_mined(&tx, 3).await.unwrap();
        });
        // Every node derives the same blocks and skips the same entries.
        eventually("every node has 3 blocks", || {
            nodes.iter().all(|&n| size(n) == 3)
        });
        for &n in &nodes {
            eventually("every node skipped the two", || {
                get(n, "/api/v1/consortium/skipped").1["skipped"]
                    .as_array()
                    .is_some_and(|s| s.len() >= 2)
            });
        }
        let first = blocks(nodes[0], 3);
        let skipped = get(nodes[0], "/api/v1/consortium/skipped").1;
        for &n in &nodes[1..] {
            assert_eq!(blocks(n, 3), first, "blocks differ");
            assert_eq!(
                get(n, "/api/v1/consortium/skipped").1,
                skipped,
                "skipped differ"
            );
        }
        let codes: Vec<&str> = skipped["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["code"].as_str().unwrap())
            .collect();
        assert!(
            codes.contains(&"NotAuthorized") && codes.contains(&"UnsupportedVersion"),
            "{codes:?}"
        );
        // Each node serves a checkpoint that 3 of the 4 hospitals (at least) cosigned, with
        // the same body everywhere.
        let consortium = Consortium::from_signed_note(&fixture.file).unwrap();
        let mut bodies = Vec::new();
        for &n in &nodes {
            let mut note = String::new();
            eventually("a checkpoint cosigned by 3 of 4", || {
                note = String::from_utf8_lossy(
                    &request(n, "GET", "/api/v1/checkpoint", &[], b"").unwrap().1,
                )
                .into_owned();
                consortium
                    .verify_checkpoint(&note)
                    .is_ok_and(|c| c.checkpoint.size == 3)
            });
            bodies.push(consortium.verify_checkpoint(&note).unwrap().checkpoint);
        }
        assert!(bodies.windows(2).all(|w| w[0] == w[1]));
        // The consortium file is served as it is.
        let (_, file) = request(nodes[0], "GET", "/api/v1/consortium", &[], b"").unwrap();
        assert_eq!(String::from_utf8(file).unwrap(), fixture.file);
    }
}

mod faults {
    use std::net::SocketAddr;
    use std::time::{Duration, Instant};

    use semres::b64;
    use semres::ledger::entry::{Entry, Role};
    use semres_node::api::ApiConfig;
    use semres_node::consortium::ethereum::Chain;
    use serde_json::Value;
    use xtask::consortium::{listeners, Fixture};
    use xtask::fixtures::{register_entry, signing_key};
    use xtask::http::{post_entry, request};
    use xtask::proxy::Proxy;

    fn workdir(name: &str) -> std::path::PathBuf {
        let dir =
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("consortium-{name}"));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn eventually(what: &str, mut check: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !check() {
            assert!(Instant::now() < deadline, "never: {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn registration(i: u64) -> Entry {
        register_entry(&signing_key(i), Role::Patient, i, None).unwrap()
    }

    fn submit(addr: SocketAddr, e: &Entry) -> u16 {
        post_entry(addr, &b64::encode(&e.to_bytes())).unwrap().0
    }

    fn status(addr: SocketAddr, e: &Entry) -> String {
        let path = format!("/api/v1/entries/{}", semres::hex::encode(&e.hash()));
        let (_, body) = request(addr, "GET", &path, &[], b"").unwrap();
        serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null)["status"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    fn block0(addr: SocketAddr) -> Option<String> {
        let (status, body) = request(addr, "GET", "/api/v1/blocks/0", &[], b"").unwrap();
        (status == 200).then(|| String::from_utf8_lossy(&body).into_owned())
    }

    fn body(addr: SocketAddr) -> String {
        let (_, text) = request(addr, "GET", "/api/v1/checkpoint", &[], b"").unwrap();
        String::from_utf8_lossy(&text)
            .split("\n\n")
            .next()
            .unwrap_or("")
            .to_owned()
    }

    fn start(
        fixture: &Fixture,
        i: usize,
        name: &str,
        config: semres_node::consortium::EngineConfig,
        api: ApiConfig,
    ) -> SocketAddr {
        let listener = listeners(1).unwrap().pop().unwrap();
        fixture
            .start_node_with(i, &workdir(name), listener, config, api)
            .unwrap()
    }

    #[test]
    fn a_node_started_later_replays_from_the_first_block_to_the_same_root() {
        let fixture = Fixture::new(4, 3, 0).unwrap();
        let a = start(
            &fixture,
            0,
            "late-a",
            fixture.config(0, vec![]).unwrap(),
            ApiConfig::default(),
        );
        for i in 0..8 {
            assert_eq!(submit(a, &registration(100 + i)), 201);
        }
        // A second node of hospital C, from an empty data directory.
        let late = start(
            &fixture,
            2,
            "late-c",
            fixture.config(2, vec![]).unwrap(),
            ApiConfig::default(),
        );
        eventually("the late node catches up", || {
            body(late) == body(a) && !body(a).is_empty()
        });
        assert!(body(a).contains("\n8\n"), "{}", body(a));
    }

    #[test]
    fn a_reorg_is_rolled_back_at_zero_confirmations_and_never_seen_with_enough() {
        let fixture = Fixture::new(4, 3, 0).unwrap();
        let fast = start(
            &fixture,
            0,
            "reorg-fast",
            fixture.config(0, vec![]).unwrap(),
            ApiConfig::default(),
        );
        let mut config = fixture.config(1, vec![]).unwrap();
        config.confirmations = 5;
        let safe = start(&fixture, 1, "reorg-safe", config, ApiConfig::default());
        let e = registration(200);
        assert_eq!(submit(fast, &e), 201);
        let before = block0(fast).unwrap();
        // The chain drops the block that held the entry (a reorg of depth 1).
        fixture
            .anvil
            .call("anvil_reorg", serde_json::json!([1, []]))
            .unwrap();
        // The fast node rolls back and anchors the entry again, in another Ethereum block.
        eventually("the fast node re-anchors the entry", || {
            block0(fast).is_some_and(|b| b != before) && status(fast, &e) == "on-ledger"
        });
        assert!(
            block0(safe).is_none(),
            "the safe node replayed an unconfirmed block"
        );
        // Confirmations: the safe node replays only the final history.
        fixture
            .anvil
            .call("anvil_mine", serde_json::json!([10]))
            .unwrap();
        eventually("the safe node replays the confirmed entry", || {
            block0(safe).is_some()
        });
        assert_eq!(block0(safe), block0(fast));
    }

    #[test]
    fn with_the_chain_down_slow_or_refusing_entries_wait_in_the_queue_and_nothing_is_lost() {
        let fixture = Fixture::new(4, 3, 0).unwrap();
        let target: SocketAddr = fixture
            .anvil
            .url
            .trim_start_matches("http://")
            .parse()
            .unwrap();
        let proxy = Proxy::start(target).unwrap();
        let mut config = fixture.config(0, vec![]).unwrap();
        config.rpc_url = proxy.url();
        let api = ApiConfig {
            anchor_wait: Duration::from_secs(1),
            ..ApiConfig::default()
        };
        let a = start(&fixture, 0, "down-a", config, api.clone());
        assert_eq!(submit(a, &registration(300)), 201);
        // The chain goes away: entries are accepted and queued (202).
        proxy.set_up(false);
        let queued: Vec<Entry> = (301..304).map(registration).collect();
        for e in &queued {
            assert_eq!(submit(a, e), 202);
            assert_eq!(status(a, e), "queued");
        }
        std::thread::sleep(Duration::from_secs(2));
        assert!(queued.iter().all(|e| status(a, e) == "queued"));
        // It comes back: every queued entry is anchored.
        proxy.set_up(true);
        for e in &queued {
            eventually(
                "a queued entry is anchored after the chain came back",
                || status(a, e) == "on-ledger",
            );
        }
        // The chain slow (every answer 1.5 s late, past the 1 s the API waits): entries are
        // still accepted and queued at once, and all land.
        proxy.set_delay_ms(1500);
        let slow: Vec<Entry> = (304..307).map(registration).collect();
        for e in &slow {
            let asked = std::time::Instant::now();
            assert_eq!(submit(a, e), 202);
            assert!(
                asked.elapsed() < Duration::from_secs(5),
                "{:?}",
                asked.elapsed()
            );
        }
        for e in &slow {
            eventually("an entry sent over a slow chain is anchored", || {
                status(a, e) == "on-ledger"
            });
        }
        proxy.set_delay_ms(0);
        // A member whose account the others voted out: its appends revert, its entries stay
        // queued; voted back in, they are anchored.
        let d = start(
            &fixture,
            3,
            "down-d",
            fixture.config(3, vec![]).unwrap(),
            api,
        );
        let account = fixture.members[3].account.address().into_array();
        let vote = |add: bool| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                for m in &fixture.members[..3] {
                    let chain = Chain::connect(
                        &fixture.anvil.url,
                        fixture.consortium.contract,
                        m.account.clone(),
                    )
                    .await
                    .unwrap();
                    let tx =
                        chain.vote_transaction(chain.pending_nonce().await.unwrap(), account, add);
                    // The third vote finds the change made (a strict majority of 4 is 3).
                    let _ = chain.send_until_mined(&tx, 2).await;
                }
            });
        };
        vote(false);
        let refused = registration(310);
        assert_eq!(submit(d, &refused), 202);
        std::thread::sleep(Duration::from_secs(3));
        assert_eq!(status(d, &refused), "queued");
        vote(true);
        eventually("the entry is anchored once the member is back", || {
            status(d, &refused) == "on-ledger"
        });
        eventually("and every node has it", || {
            status(a, &refused) == "on-ledger"
        });
    }
}
