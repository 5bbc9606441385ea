//! A consortium for the tests and benchmarks (SPEC §6): anvil, the anchoring contract
//! deployed, n member hospitals with their Ed25519 and Ethereum keys (seeded), the
//! consortium file signed by all of them — and member nodes started in this process on
//! loopback listeners.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;

use alloy::signers::local::PrivateKeySigner;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use semres::identity::signing::SigningPrivateKey;
use semres::ledger::consortium::{Consortium, Member};
use semres::smer::Limits;
use semres_node::api::{ApiConfig, ApiState};
use semres_node::consortium::ethereum::Chain;
use semres_node::consortium::{Engine, EngineConfig};
use semres_node::log::Logger;
use semres_node::node::Node;
use semres_node::server::{router, serve_listener, ServerConfig, SiteDirs};

use crate::anvil::Anvil;

/// The checkpoint origin of the test consortium's ledger.
pub const ORIGIN: &str = "semres.test/consortium";

/// One member hospital's keys.
pub struct MemberKeys {
    /// Its name in the consortium file.
    pub name: String,
    /// Its Ed25519 key: cosigns checkpoints, admits clinicians.
    pub key: SigningPrivateKey,
    /// Its Ethereum account key.
    pub account: PrivateKeySigner,
}

/// A deployed consortium on a running anvil.
pub struct Fixture {
    /// The chain.
    pub anvil: Anvil,
    /// The members, in the file's order.
    pub members: Vec<MemberKeys>,
    /// The consortium.
    pub consortium: Consortium,
    /// The consortium file, signed by every member.
    pub file: String,
}

fn member_keys(i: usize) -> Result<MemberKeys, String> {
    let mut rng = ChaCha20Rng::seed_from_u64(0xc0_5011 + u64::try_from(i).map_err(crate::err)?);
    let key = SigningPrivateKey::generate(&mut rng).map_err(crate::err)?;
    let mut secret = [0u8; 32];
    rng.fill_bytes(&mut secret);
    let account = PrivateKeySigner::from_slice(&secret).map_err(crate::err)?;
    Ok(MemberKeys {
        name: format!(
            "hospital-{}.test",
            char::from(b'a' + u8::try_from(i).map_err(crate::err)?)
        ),
        key,
        account,
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(crate::err)
}

impl Fixture {
    /// Starts anvil (a block every `block_time` seconds, 0: a block per transaction),
    /// deploys the contract with `n` members' accounts and writes a consortium file with
    /// threshold `k` signed by all of them.
    pub fn new(n: usize, k: usize, block_time: u64) -> Result<Fixture, String> {
        let anvil = Anvil::start(block_time)?;
        let members = (0..n).map(member_keys).collect::<Result<Vec<_>, _>>()?;
        let accounts: Vec<[u8; 20]> = members
            .iter()
            .map(|m| m.account.address().into_array())
            .collect();
        let deployer = members.first().ok_or("no members")?.account.clone();
        let url = anvil.url.clone();
        let contract = runtime()?
            .block_on(async move { Chain::deploy(&url, deployer, &accounts).await })
            .map_err(crate::err)?;
        let consortium = Consortium {
            origin: ORIGIN.into(),
            chain_id: crate::anvil::CHAIN_ID,
            contract,
            threshold: k,
            members: members
                .iter()
                .map(|m| Member {
                    name: m.name.clone(),
                    key: m.key.public_key().clone(),
                    account: m.account.address().into_array(),
                })
                .collect(),
        };
        let signers: Vec<(&str, &SigningPrivateKey)> =
            members.iter().map(|m| (m.name.as_str(), &m.key)).collect();
        let file = consortium.signed_note(&signers);
        Consortium::from_signed_note(&file).map_err(crate::err)?;
        Ok(Fixture {
            anvil,
            members,
            consortium,
            file,
        })
    }

    /// Writes member `i`'s files into `dir` — the consortium file, its Ed25519 key (PEM) and
    /// its account key (hex) — and returns the `semres serve --engine ethereum` flags that
    /// name them (with the RPC URL).
    pub fn member_flags(&self, i: usize, dir: &Path) -> Result<Vec<String>, String> {
        let m = self.members.get(i).ok_or("no such member")?;
        std::fs::create_dir_all(dir).map_err(crate::err)?;
        let file = dir.join("consortium.txt");
        let key = dir.join("member.key.pem");
        let account = dir.join("account.key");
        std::fs::write(&file, &self.file).map_err(crate::err)?;
        std::fs::write(&key, m.key.to_pkcs8_pem().map_err(crate::err)?.as_bytes())
            .map_err(crate::err)?;
        std::fs::write(
            &account,
            semres::hex::encode(m.account.to_bytes().as_slice()),
        )
        .map_err(crate::err)?;
        let path = |p: &Path| {
            p.to_str()
                .map(str::to_owned)
                .ok_or("a path that is not UTF-8")
        };
        Ok(vec![
            "--engine".into(),
            "ethereum".into(),
            "--rpc".into(),
            self.anvil.url.clone(),
            "--consortium".into(),
            path(&file)?,
            "--member-key".into(),
            path(&key)?,
            "--account-key".into(),
            path(&account)?,
        ])
    }

    /// The engine configuration of member `i` with these peers.
    pub fn config(&self, i: usize, peers: Vec<String>) -> Result<EngineConfig, String> {
        let m = self.members.get(i).ok_or("no such member")?;
        let mut config = EngineConfig::new(&self.anvil.url, m.account.clone());
        config.peers = peers;
        config.consortium_file = self.file.clone();
        config.poll = std::time::Duration::from_millis(100);
        Ok(config)
    }

    /// Starts member `i`'s node in this process over `dir`, serving on `listener`; its
    /// engine runs with `config`. Serves until the process ends.
    pub fn start_node(
        &self,
        i: usize,
        dir: &Path,
        listener: TcpListener,
        config: EngineConfig,
    ) -> Result<SocketAddr, String> {
        self.start_node_with(i, dir, listener, config, ApiConfig::default())
    }

    /// [`Fixture::start_node`] with the API configured.
    pub fn start_node_with(
        &self,
        i: usize,
        dir: &Path,
        listener: TcpListener,
        config: EngineConfig,
        api: ApiConfig,
    ) -> Result<SocketAddr, String> {
        let m = self.members.get(i).ok_or("no such member")?;
        let key_pem = m.key.to_pkcs8_pem().map_err(crate::err)?;
        let key = SigningPrivateKey::from_pem(&key_pem, None).map_err(crate::err)?;
        let node = Arc::new(
            Node::open_consortium(dir, self.consortium.clone(), key, Limits::default())
                .map_err(crate::err)?,
        );
        let addr = listener.local_addr().map_err(crate::err)?;
        listener.set_nonblocking(true).map_err(crate::err)?;
        let dirs = SiteDirs {
            www: dir.join("www"),
            pkg: dir.join("pkg"),
        };
        let (started, result) = std::sync::mpsc::channel();
        let runtime = runtime()?;
        std::thread::spawn(move || {
            runtime.block_on(async move {
                let engine = match Engine::start(node.clone(), config, Logger::off()).await {
                    Ok(e) => e,
                    Err(e) => {
                        let _ = started.send(Err(e));
                        return;
                    }
                };
                let api = ApiState::with_config(node, api, Logger::off()).with_engine(engine);
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    let _ = started.send(Err("the listener".into()));
                    return;
                };
                let server = ServerConfig::default();
                let router = router(&dirs, api, server.body_idle_timeout);
                let _ = started.send(Ok(()));
                let _ = serve_listener(listener, router, server, std::future::pending()).await;
            });
        });
        result.recv().map_err(crate::err)??;
        Ok(addr)
    }
}

impl Fixture {
    /// Starts every member's node in this process, each over `base/<i>` (emptied first)
    /// with the others as its peers and `api` as its API configuration; their addresses in
    /// the members' order.
    pub fn start_all(&self, base: &Path, api: &ApiConfig) -> Result<Vec<SocketAddr>, String> {
        let sockets = listeners(self.members.len())?;
        let urls = sockets
            .iter()
            .map(|l| l.local_addr().map(|a| format!("http://{a}")))
            .collect::<Result<Vec<_>, _>>()
            .map_err(crate::err)?;
        sockets
            .into_iter()
            .enumerate()
            .map(|(i, listener)| {
                let dir = base.join(i.to_string());
                let _ = std::fs::remove_dir_all(&dir);
                let peers = urls
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, u)| u.clone())
                    .collect();
                let config = self.config(i, peers)?;
                self.start_node_with(i, &dir, listener, config, api.clone())
            })
            .collect()
    }
}

/// `n` free loopback listeners (bound now, so that every node knows its peers' addresses
/// before any starts).
pub fn listeners(n: usize) -> Result<Vec<TcpListener>, String> {
    (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").map_err(crate::err))
        .collect()
}

/// `cargo xtask consortium-live DIR`: four member nodes (k = 3) on anvil with one entry on
/// their ledger, for the JS tests that check live cosigned checkpoints with the WASM
/// verifier. Prints one JSON line — the nodes' URLs, the consortium file, and a note
/// forged by one member (the real checkpoint's root changed, cosigned by member 0 alone,
/// the other members' lines copied) — then serves until standard input closes.
pub fn live(base: &Path) -> Result<(), String> {
    use semres::ledger::checkpoint::Checkpoint;
    let fixture = Fixture::new(4, 3, 0)?;
    let nodes = fixture.start_all(base, &ApiConfig::default())?;
    let first = *nodes.first().ok_or("no node")?;
    let patient = crate::fixtures::signing_key(1);
    let registration =
        crate::fixtures::register_entry(&patient, semres::ledger::entry::Role::Patient, 1, None)?;
    let (status, body) =
        crate::http::post_entry(first, &semres::b64::encode(&registration.to_bytes()))
            .map_err(crate::err)?;
    if status != 201 {
        return Err(format!(
            "the entry: {status} {}",
            crate::http::error_code(&body)
        ));
    }
    // Every node serves a checkpoint of size 1 that all four members cosigned.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut notes = Vec::new();
    for &node in &nodes {
        loop {
            let (status, text) = crate::http::request(node, "GET", "/api/v1/checkpoint", &[], b"")
                .map_err(crate::err)?;
            let text = String::from_utf8_lossy(&text).into_owned();
            let cosigned = fixture.consortium.valid_cosignatures(&text);
            if status == 200 && cosigned.is_ok_and(|(c, lines)| c.size == 1 && lines.len() == 4) {
                notes.push(text);
                break;
            }
            if std::time::Instant::now() > deadline {
                return Err("no checkpoint cosigned by all four members".into());
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    let real = notes.first().ok_or("no note")?;
    let (checkpoint, lines) = fixture
        .consortium
        .valid_cosignatures(real)
        .map_err(crate::err)?;
    let mut forged_root = checkpoint.root;
    forged_root[0] ^= 1;
    let forged = Checkpoint {
        root: forged_root,
        ..checkpoint
    };
    let member = fixture.members.first().ok_or("no member")?;
    let mut forged_note = format!(
        "{}\n{}",
        forged.body(),
        Consortium::cosign(&forged, &member.name, &member.key, 1_700_000_000)
    );
    for (name, line) in &lines {
        if *name != member.name {
            forged_note.push_str(line);
        }
    }
    let out = serde_json::json!({
        "nodes": nodes.iter().map(|a| format!("http://{a}")).collect::<Vec<_>>(),
        "consortium": fixture.file,
        "forged": forged_note,
    });
    println!("{out}");
    let mut sink = String::new();
    while std::io::stdin().read_line(&mut sink).map_err(crate::err)? > 0 {
        sink.clear();
    }
    Ok(())
}
