//! `semres share`, `fetch`, `revoke`: the paper's exchange (Fig. 13) from the command line,
//! against any node — one hospital's embedded ledger or a consortium member's — so hospital
//! systems can script it without a browser. The client's checks (SPEC §4.8, §6.2) are made
//! here with the core's [`Trust`], the same ones the browser's worker makes: nothing is
//! sealed to a key, and nothing decrypted, before its block verifies under what the user
//! trusts; the SMeR's SHA-256 is checked against the ledger's before it is opened.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use getrandom::SysRng;
use semres::identity::signing::SigningPublicKey;
use semres::identity::Identity;
use semres::ledger::block::Block;
use semres::ledger::checkpoint::Checkpoint;
use semres::ledger::entry::{Entry, EntryBody};
use semres::ledger::merkle::Hash;
use semres::ledger::request::{content_sha256, SignedRequest};
use semres::ledger::trust::Trust;
use semres::smer::{self, Limits, SealOptions};
use semres::{b64, hex, Code, EncryptionPublicKey};
use serde_json::Value;
use zeroize::Zeroizing;

use crate::error::{CliError, CliResult};
use crate::files::{now, read, read_passphrase, read_text, write_out};

/// How long to wait for an entry to reach a checkpoint the trust accepts (a consortium's
/// cosignatures follow the chain by a block or two).
const SETTLE: Duration = Duration::from_secs(120);

/// Who speaks to which node, trusting what.
#[derive(Args)]
pub(crate) struct Session {
    /// The node's base URL, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    endpoint: String,
    /// What to trust: the consortium file (SPEC §6.1), or the ledger authority's public key.
    #[arg(long)]
    trust: PathBuf,
    /// Your identity file (identity.json).
    #[arg(long)]
    identity: PathBuf,
    /// File whose first line is the identity's passphrase.
    #[arg(long)]
    passphrase_file: PathBuf,
}

/// Seal a record to registered participants, upload it to DERy and grant each of them.
#[derive(Args)]
pub(crate) struct ShareArgs {
    #[command(flatten)]
    session: Session,
    /// A recipient's key id (repeat); their RSA key is taken from their verified Register block.
    /// (Key ids are base64url and may begin with `-`.)
    #[arg(long = "to", required = true, allow_hyphen_values = true)]
    pub(crate) to: Vec<String>,
    /// Content type of the record [guessed from the file name].
    #[arg(long)]
    content_type: Option<String>,
    /// The record.
    record: PathBuf,
}

/// Fetch a record shared with you: verify the grant, record the access, download, check the
/// SMeR hash, decrypt.
#[derive(Args)]
pub(crate) struct FetchArgs {
    #[command(flatten)]
    session: Session,
    /// The SMeR hash (hex) of the record.
    #[arg(long)]
    hash: String,
    /// Where to write the record (mode 0600).
    #[arg(long)]
    out: PathBuf,
}

/// Have a hospital's node keep a copy of one of your records now (SPEC §6.7, eager copy): a
/// signed read at that node, which pulls the SMeR from the member holding it and keeps it;
/// the bytes received are hash-checked here and discarded (nothing is decrypted).
#[derive(Args)]
pub(crate) struct CopyArgs {
    #[command(flatten)]
    session: Session,
    /// The SMeR hash (hex) of the record.
    #[arg(long)]
    hash: String,
}

/// Revoke your grant of a record to a recipient.
#[derive(Args)]
pub(crate) struct RevokeArgs {
    #[command(flatten)]
    session: Session,
    /// The SMeR hash (hex) of the record.
    #[arg(long)]
    hash: String,
    /// The recipient's key id (it may begin with `-`).
    #[arg(long, allow_hyphen_values = true)]
    to: String,
}

fn coded(code: Code, message: impl Into<String>) -> CliError {
    CliError::Coded(code, message.into())
}

fn ledger(e: semres::ledger::LedgerError) -> CliError {
    coded(e.code(), e.to_string())
}

fn bad_answer(what: &str) -> CliError {
    coded(Code::BadAnswer, format!("the node's answer: {what}"))
}

/// A session with one node.
struct Client {
    base: String,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    trust: Trust,
    identity: Identity,
}

/// A session without an identity: an auditor's.
struct Reader {
    base: String,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    trust: Trust,
}

impl Reader {
    fn open(endpoint: &str, trust: &std::path::Path) -> CliResult<Reader> {
        let trust = Trust::from_text(&read_text(trust)?).map_err(ledger)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| CliError::Refused(format!("cannot start the runtime: {e}")))?;
        Ok(Reader {
            base: endpoint.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            runtime,
            trust,
        })
    }

    /// An unsigned GET of `/api/v1{path}`: the body as text.
    fn get(&self, path: &str) -> CliResult<String> {
        let url = format!("{}/api/v1{path}", self.base);
        self.runtime.block_on(async {
            let response = self
                .http
                .get(&url)
                .timeout(Duration::from_secs(600))
                .send()
                .await
                .map_err(|e| coded(Code::NetworkError, format!("{}: {e}", self.base)))?;
            let status = response.status().as_u16();
            let text = response
                .text()
                .await
                .map_err(|e| coded(Code::NetworkError, e.to_string()))?;
            if status >= 400 {
                return Err(coded(
                    Code::BadAnswer,
                    format!("the node answered {status}"),
                ));
            }
            Ok(text)
        })
    }
}

impl Client {
    fn open(s: &Session) -> CliResult<Client> {
        let passphrase = read_passphrase(&s.passphrase_file)?;
        let identity = Identity::import(&read(&s.identity)?, &passphrase[..])?;
        let Reader {
            base,
            http,
            runtime,
            trust,
        } = Reader::open(&s.endpoint, &s.trust)?;
        Ok(Client {
            base,
            http,
            runtime,
            trust,
            identity,
        })
    }

    fn me(&self) -> &str {
        self.identity.signing.key_id()
    }

    /// One request; a signed one (SPEC §5.1) when `signed`. The body of an answer that is
    /// not 2xx is the node's `{code, message}`, returned as that code.
    fn call(
        &self,
        method: &str,
        path: &str,
        body: Vec<u8>,
        signed: bool,
    ) -> CliResult<(u16, Vec<u8>)> {
        let target = format!("/api/v1{path}");
        let url = format!("{}{target}", self.base);
        let method_value = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| CliError::Refused("a method".into()))?;
        let mut request = self
            .http
            .request(method_value, &url)
            .timeout(Duration::from_secs(600));
        if signed {
            let nonce = semres_node::clock::nonce()?;
            let headers = SignedRequest::sign(
                &self.identity.signing,
                method,
                &target,
                now(),
                &nonce,
                content_sha256(&body),
            )
            .headers();
            for (name, value) in headers {
                request = request.header(name, value);
            }
        }
        if !body.is_empty() {
            let kind = if path.starts_with("/smers/") {
                "application/jose+json"
            } else {
                "application/json"
            };
            request = request.header("Content-Type", kind).body(body);
        }
        self.runtime.block_on(async {
            let response = request
                .send()
                .await
                .map_err(|e| coded(Code::NetworkError, format!("{}: {e}", self.base)))?;
            let status = response.status().as_u16();
            let bytes = response
                .bytes()
                .await
                .map_err(|e| coded(Code::NetworkError, e.to_string()))?
                .to_vec();
            if status >= 400 {
                let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                let code = v["code"]
                    .as_str()
                    .and_then(Code::from_name)
                    .unwrap_or(Code::BadAnswer);
                let message = v["message"].as_str().unwrap_or("no explanation");
                return Err(coded(
                    code,
                    format!("the node refused ({status}): {message}"),
                ));
            }
            Ok((status, bytes))
        })
    }

    fn json(&self, path: &str, signed: bool) -> CliResult<Value> {
        let (_, body) = self.call("GET", path, Vec::new(), signed)?;
        serde_json::from_slice(&body).map_err(|_| bad_answer("not JSON"))
    }

    /// A checkpoint the trust accepts, of a log holding block `number` (waits while the
    /// node's trusted checkpoint is behind: a consortium's cosignatures follow the chain).
    fn checkpoint_with(&self, number: u64) -> CliResult<Checkpoint> {
        let deadline = Instant::now() + SETTLE;
        loop {
            let (_, note) = self.call("GET", "/checkpoint", Vec::new(), false)?;
            let note = String::from_utf8(note).map_err(|_| bad_answer("a checkpoint"))?;
            let checkpoint = self.trust.verify_checkpoint(&note).map_err(ledger)?;
            if checkpoint.size > number {
                return Ok(checkpoint);
            }
            if Instant::now() > deadline {
                return Err(coded(
                    Code::BadCheckpoint,
                    format!("no trusted checkpoint reaches block {number}"),
                ));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Block `number`, checked: under the trust (sealed by an authority or anchored on the
    /// consortium's chain), signed by `signer` when given, in a trusted checkpoint's log.
    fn verified_block(&self, number: u64, signer: Option<&SigningPublicKey>) -> CliResult<Block> {
        let checkpoint = self.checkpoint_with(number)?;
        let answer = self.json(&format!("/blocks/{number}"), false)?;
        let bytes = answer["block"]
            .as_str()
            .and_then(b64::decode)
            .ok_or_else(|| bad_answer("a block"))?;
        let block = Block::from_bytes(&bytes).map_err(ledger)?;
        if block.number != number {
            return Err(bad_answer("another block"));
        }
        let proof = self.json(
            &format!("/proofs/inclusion?index={number}&size={}", checkpoint.size),
            false,
        )?;
        let proof: Vec<Hash> = proof["proof"]
            .as_array()
            .ok_or_else(|| bad_answer("a proof"))?
            .iter()
            .map(|h| {
                h.as_str()
                    .and_then(|t| {
                        use base64ct::Encoding;
                        base64ct::Base64::decode_vec(t).ok()
                    })
                    .and_then(|v| <Hash>::try_from(v.as_slice()).ok())
                    .ok_or_else(|| bad_answer("a proof"))
            })
            .collect::<CliResult<_>>()?;
        self.trust
            .check_block(&block, &proof, &checkpoint, signer)
            .map_err(ledger)?;
        Ok(block)
    }

    /// A participant's signing and RSA keys, from their Register block checked under the
    /// trust — never from the node's word alone.
    fn participant(&self, key_id: &str) -> CliResult<(SigningPublicKey, EncryptionPublicKey)> {
        let answer = self.json(&format!("/participants/{key_id}"), false)?;
        let number = answer["block"]
            .as_u64()
            .ok_or_else(|| bad_answer("a register block number"))?;
        let block = self.verified_block(number, None)?;
        let EntryBody::Register {
            signing_key,
            encryption_key,
            ..
        } = block.entry.body()
        else {
            return Err(coded(Code::BadRegistration, "not a Register block"));
        };
        let signing = SigningPublicKey::from_bytes(signing_key)?;
        if signing.key_id() != key_id {
            return Err(coded(
                Code::BadRegistration,
                format!("the Register block registers another key than {key_id}"),
            ));
        }
        // The Register entry is signed by the key it registers.
        block.entry.verify_signed_by(&signing).map_err(ledger)?;
        Ok((signing, EncryptionPublicKey::from_spki_der(encryption_key)?))
    }

    /// Signs and submits an entry; returns its block, checked (our signature, our entry,
    /// under the trust). A node that queues it (a consortium waiting for the chain) is asked
    /// again until it is on the ledger.
    fn submit(&self, body: EntryBody) -> CliResult<Block> {
        let nonce = semres_node::clock::nonce()?;
        let entry = Entry::signed(&self.identity.signing, now(), nonce, body).map_err(ledger)?;
        let request = serde_json::json!({ "entry": b64::encode(&entry.to_bytes()) });
        let (status, answer) =
            self.call("POST", "/entries", request.to_string().into_bytes(), false)?;
        let answer: Value = serde_json::from_slice(&answer).map_err(|_| bad_answer("not JSON"))?;
        let number = if status == 202 {
            let path = format!("/entries/{}", hex::encode(&entry.hash()));
            let deadline = Instant::now() + SETTLE;
            loop {
                let s = self.json(&path, false)?;
                match s["status"].as_str() {
                    Some("on-ledger") => break s["blockNumber"].as_u64(),
                    Some("skipped") => {
                        let code = s["code"]
                            .as_str()
                            .and_then(Code::from_name)
                            .unwrap_or(Code::BadAnswer);
                        return Err(coded(code, "every node skipped the entry on the chain"));
                    }
                    _ if Instant::now() > deadline => {
                        return Err(coded(
                            Code::NetworkError,
                            "the entry is still queued at the node; it will be anchored later",
                        ));
                    }
                    _ => std::thread::sleep(Duration::from_millis(250)),
                }
            }
        } else {
            answer["blockNumber"].as_u64()
        }
        .ok_or_else(|| bad_answer("a block number"))?;
        let block = self.verified_block(number, Some(self.identity.signing.public_key()))?;
        if block.entry.hash() != entry.hash() {
            return Err(bad_answer("a block that does not hold the entry sent"));
        }
        Ok(block)
    }
}

fn parse_hash(text: &str) -> CliResult<Hash> {
    hex::decode_array(text).ok_or(CliError::Core(semres::Error::InvalidInput(
        "a SMeR hash is 64 lower-case hex digits",
    )))
}

/// `semres share`; the lines to print.
pub(crate) fn share(args: ShareArgs) -> CliResult<Vec<String>> {
    let client = Client::open(&args.session)?;
    let mut keys = vec![client.identity.encryption.public_key()];
    let mut recipients = Vec::new();
    for key_id in &args.to {
        recipients.push(client.participant(key_id)?.1);
    }
    keys.extend(recipients.iter());
    let record = Zeroizing::new(read(&args.record)?);
    let options = SealOptions {
        enc: semres::ContentEncryption::A256CbcHs512,
        content_type: args
            .content_type
            .unwrap_or_else(|| "application/octet-stream".to_owned()),
        record_id: None,
        owner_key_id: client.identity.encryption.key_id().to_owned(),
        created_at: now(),
        file_name: args
            .record
            .file_name()
            .map(|n| n.to_string_lossy().into_owned()),
    };
    let sealed = smer::seal(&mut SysRng, &record, &keys, &options, &Limits::default())?;
    let hash = semres::dery::smer_hash(&sealed);
    let hash_hex = hex::encode(&hash);
    client.call("PUT", &format!("/smers/{hash_hex}"), sealed, true)?;
    let mut lines = vec![format!("sealed and uploaded: SMeR {hash_hex}")];
    for key_id in &args.to {
        let block = client.submit(EntryBody::Grant {
            smer_hash: hash,
            data_index: semres::dery::data_index(&hash),
            recipient: key_id.clone(),
            expires: None,
        })?;
        lines.push(format!(
            "granted to {key_id}: block {} (verified: your entry, signed by you, in a trusted checkpoint)",
            block.number
        ));
    }
    Ok(lines)
}

/// `semres fetch`; the lines to print.
pub(crate) fn fetch(args: FetchArgs) -> CliResult<Vec<String>> {
    let client = Client::open(&args.session)?;
    let hash = parse_hash(&args.hash)?;
    let grants = client.json("/me/shared-with-me", true)?;
    let grant = grants["grants"]
        .as_array()
        .and_then(|list| {
            list.iter()
                .find(|g| g["smerHash"] == args.hash && g["active"] == true)
        })
        .ok_or_else(|| coded(Code::GrantInactive, "no active grant of this record to you"))?;
    let (owner, number) = (
        grant["owner"]
            .as_str()
            .ok_or_else(|| bad_answer("an owner"))?,
        grant["blockNumber"]
            .as_u64()
            .ok_or_else(|| bad_answer("a block number"))?,
    );
    // The grant's block: the owner's entry granting this SMeR to me, under the trust.
    let (owner_key, _) = client.participant(owner)?;
    let block = client.verified_block(number, Some(&owner_key))?;
    let EntryBody::Grant {
        smer_hash,
        recipient,
        ..
    } = block.entry.body()
    else {
        return Err(bad_answer("the grant's block holds no grant"));
    };
    if *smer_hash != hash || recipient != client.me() {
        return Err(bad_answer(
            "the grant's block grants another record or to someone else",
        ));
    }
    // The access receipt: the ledger's rules seal it only while the grant is active.
    let access = client.submit(EntryBody::Access {
        grant: block.entry.hash(),
    })?;
    let (_, smer) = client.call("GET", &format!("/smers/{}", args.hash), Vec::new(), true)?;
    if semres::dery::smer_hash(&smer) != hash {
        return Err(coded(
            Code::HashCheckFailed,
            "the SMeR received does not hash to the ledger's value; nothing was decrypted",
        ));
    }
    let opened = smer::open(
        &smer,
        &client.identity.encryption,
        &mut SysRng,
        &Limits::default(),
    )?;
    write_out(&args.out, &opened.record, true)?;
    Ok(vec![
        format!("grant block {number}: signed by its owner {owner}, in a trusted checkpoint"),
        format!(
            "access receipt: block {} (the grant is active)",
            access.number
        ),
        format!("SMeR hash: equal to the ledger's ({})", args.hash),
        format!(
            "decrypted {} bytes to {}",
            opened.record.len(),
            args.out.display()
        ),
    ])
}

/// `semres copy`; the lines to print.
pub(crate) fn copy(args: CopyArgs) -> CliResult<Vec<String>> {
    let client = Client::open(&args.session)?;
    let hash = parse_hash(&args.hash)?;
    let (_, smer) = client.call("GET", &format!("/smers/{}", args.hash), Vec::new(), true)?;
    if semres::dery::smer_hash(&smer) != hash {
        return Err(coded(
            Code::HashCheckFailed,
            "the SMeR the node holds does not hash to the ledger's value",
        ));
    }
    Ok(vec![format!(
        "{} keeps a copy of SMeR {} ({} bytes, SHA-256 checked)",
        client.base,
        args.hash,
        smer.len()
    )])
}

/// `semres revoke`; the lines to print.
pub(crate) fn revoke(args: RevokeArgs) -> CliResult<Vec<String>> {
    let client = Client::open(&args.session)?;
    parse_hash(&args.hash)?;
    let grants = client.json("/me/granted-by-me", true)?;
    let grant = grants["grants"]
        .as_array()
        .and_then(|list| {
            list.iter().find(|g| {
                g["smerHash"] == args.hash && g["recipient"] == args.to && g["active"] == true
            })
        })
        .and_then(|g| g["grant"].as_str())
        .and_then(hex::decode_array)
        .ok_or_else(|| {
            coded(
                Code::GrantInactive,
                "no active grant of this record to that key",
            )
        })?;
    let block = client.submit(EntryBody::Revoke { grant })?;
    Ok(vec![format!(
        "revoked: block {} (verified: your entry, in a trusted checkpoint)",
        block.number
    )])
}

/// Download a node's whole chain and replay it here, as an auditor: every block, seal,
/// signature, rule (and, for a consortium, anchor), and its root against a trusted
/// checkpoint.
#[derive(Args)]
pub(crate) struct AuditArgs {
    /// The node's base URL, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    endpoint: String,
    /// What to trust: the consortium file (SPEC §6.1), or the ledger authority's public key.
    #[arg(long)]
    trust: PathBuf,
    /// Also write the verified chain to this file (SPEC §4.6), for audits offline.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `semres audit`; the lines to print.
pub(crate) fn audit(args: AuditArgs) -> CliResult<Vec<String>> {
    let reader = Reader::open(&args.endpoint, &args.trust)?;
    let note = reader.get("/checkpoint")?;
    let checkpoint = reader.trust.verify_checkpoint(&note).map_err(ledger)?;
    let mut blocks = Vec::new();
    while (blocks.len() as u64) < checkpoint.size {
        let page: Value = serde_json::from_str(
            &reader.get(&format!("/blocks?from={}&count=1000", blocks.len()))?,
        )
        .map_err(|_| bad_answer("not JSON"))?;
        let list = page["blocks"]
            .as_array()
            .ok_or_else(|| bad_answer("no blocks"))?;
        if list.is_empty() {
            return Err(bad_answer("fewer blocks than its checkpoint"));
        }
        for b in list {
            let bytes = b
                .as_str()
                .and_then(b64::decode)
                .ok_or_else(|| bad_answer("a block"))?;
            blocks.push(Block::from_bytes(&bytes).map_err(ledger)?);
        }
    }
    blocks.truncate(usize::try_from(checkpoint.size).unwrap_or(usize::MAX));
    let state = reader
        .trust
        .verify_chain(&blocks, &checkpoint)
        .map_err(|e| coded(e.error.code(), format!("block {}: {}", e.index, e.error)))?;
    let mut lines = vec![format!(
        "ok: {} blocks replayed (every seal or anchor, signature and rule); root equal to the trusted checkpoint's ({})",
        state.size(),
        checkpoint.origin
    )];
    if let Some(out) = &args.out {
        let file = semres::ledger::chain_file::write(&blocks).map_err(ledger)?;
        write_out(out, &file, false)?;
        lines.push(format!("chain written to {}", out.display()));
    }
    Ok(lines)
}
