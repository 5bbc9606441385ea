//! The consortium (paper §3.4, Table 1: the institutions that run the Proof-of-Authority
//! ledger together) and its cosigned checkpoints (SPEC.md §6).
//!
//! A **consortium file** is a C2SP signed note naming the member institutions, their
//! Ed25519 keys, the threshold k, the checkpoint origin, and the Ethereum chain and contract
//! the entries are anchored in; it is valid when k members signed it. A **cosigned
//! checkpoint** is a `tlog-checkpoint` carrying C2SP `tlog-cosignature` (cosignature/v1)
//! lines: it is accepted only with valid cosignatures by k distinct members. Two cosigned
//! checkpoints of one size with different roots are evidence against the members who signed
//! both ([`equivocation`]).
//!
//! ```text
//! semres consortium v1
//! origin <checkpoint origin>
//! ethereum <chain id> <contract address, 0x + 40 lower-case hex>
//! threshold <k>
//! member <name> <base64 Ed25519 public key> <account address, 0x + 40 lower-case hex>
//! …
//!
//! — <member name> <base64(key hash (0x01) || Ed25519 signature)>
//! …
//! ```

use std::collections::BTreeSet;

use base64ct::{Base64, Encoding};
use sha2::{Digest, Sha256};

use super::checkpoint::Checkpoint;
use super::error::{LedgerError, LedgerResult};
use crate::identity::signing::{SigningPrivateKey, SigningPublicKey};

const EM_DASH: &str = "\u{2014} ";
/// First line of a consortium file.
pub const CONSORTIUM_HEADER: &str = "semres consortium v1";
/// Most members of a consortium.
pub const MAX_MEMBERS: usize = 64;
/// Longest member name or origin, bytes.
pub const MAX_NAME: usize = 128;
/// Largest note (consortium file or cosigned checkpoint) read, bytes.
pub const MAX_NOTE: usize = 64 * 1024;
/// Most signature lines read from one note (more are refused: nothing unbounded is
/// verified).
pub const MAX_SIGNATURE_LINES: usize = 2 * MAX_MEMBERS;

/// One member institution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Its name (a schema-less URL, as C2SP key names): the cosignature key name.
    pub name: String,
    /// Its Ed25519 key: signs the consortium file and cosigns checkpoints.
    pub key: SigningPublicKey,
    /// Its Ethereum account, which may write to the contract.
    pub account: [u8; 20],
}

/// A consortium: who cosigns, how many must, and where the entries are anchored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consortium {
    /// The checkpoint origin of the shared ledger.
    pub origin: String,
    /// The Ethereum chain id the contract lives on.
    pub chain_id: u64,
    /// The anchoring contract's address.
    pub contract: [u8; 20],
    /// Cosignatures by distinct members a checkpoint needs (a strict majority at least).
    pub threshold: usize,
    /// The members, in the file's order.
    pub members: Vec<Member>,
}

fn bad(why: &'static str) -> LedgerError {
    LedgerError::BadConsortium(why)
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name.bytes().all(|b| b.is_ascii_graphic() && b != b'+')
}

fn address_text(a: &[u8; 20]) -> String {
    format!("0x{}", crate::hex::encode(a))
}

fn parse_address(text: &str) -> Option<[u8; 20]> {
    crate::hex::decode_array(text.strip_prefix("0x")?)
}

/// The C2SP signed-note key hash: SHA-256(name || "\n" || algorithm || key)[:4].
fn note_key_hash(name: &str, algorithm: u8, key: &SigningPublicKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([algorithm]);
    h.update(key.to_bytes());
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// Signature algorithm byte of Ed25519 note signatures (C2SP signed-note).
const ALG_ED25519: u8 = 0x01;
/// Signature algorithm byte of Ed25519 timestamped cosignatures (C2SP tlog-cosignature).
const ALG_COSIGNATURE_V1: u8 = 0x04;

/// A signature line of a note: the key name and the decoded blob.
type SignatureLine<'a> = (&'a str, Vec<u8>);

/// A note split into its body (ending in a newline) and its signature lines; lines whose
/// blob is not base64 are skipped, as signed notes allow.
fn split_note(note: &str) -> LedgerResult<(&str, Vec<SignatureLine<'_>>)> {
    let malformed = LedgerError::Malformed("not a signed note");
    if note.len() > MAX_NOTE || !note.ends_with('\n') {
        return Err(malformed);
    }
    let split = note.find("\n\n").ok_or(malformed.clone())?;
    let (body, signatures) = (&note[..split + 1], &note[split + 2..]);
    let mut lines = Vec::new();
    for line in signatures.lines() {
        if lines.len() >= MAX_SIGNATURE_LINES {
            return Err(LedgerError::Malformed("too many signature lines"));
        }
        let rest = line.strip_prefix(EM_DASH).ok_or(malformed.clone())?;
        let (name, blob) = rest.split_once(' ').ok_or(malformed.clone())?;
        if let Ok(blob) = Base64::decode_vec(blob) {
            lines.push((name, blob));
        }
    }
    Ok((body, lines))
}

impl Consortium {
    /// The note body of the consortium file.
    pub fn body(&self) -> String {
        let mut body = format!(
            "{CONSORTIUM_HEADER}\norigin {}\nethereum {} {}\nthreshold {}\n",
            self.origin,
            self.chain_id,
            address_text(&self.contract),
            self.threshold
        );
        for m in &self.members {
            body.push_str(&format!(
                "member {} {} {}\n",
                m.name,
                Base64::encode_string(&m.key.to_bytes()),
                address_text(&m.account)
            ));
        }
        body
    }

    /// Checks the rules a consortium must keep: names, a strict-majority threshold, no
    /// member twice (by name, key or account).
    pub fn check(&self) -> LedgerResult<()> {
        if !valid_name(&self.origin) {
            return Err(bad("the origin is not a valid name"));
        }
        let n = self.members.len();
        if n == 0 || n > MAX_MEMBERS {
            return Err(bad("a consortium has 1 to 64 members"));
        }
        // Two disjoint quorums must be impossible: 2k > n.
        if self.threshold == 0 || self.threshold > n || 2 * self.threshold <= n {
            return Err(bad(
                "the threshold must be a strict majority of the members",
            ));
        }
        let mut names = BTreeSet::new();
        let mut keys = BTreeSet::new();
        let mut accounts = BTreeSet::new();
        for m in &self.members {
            if !valid_name(&m.name) {
                return Err(bad("a member name is not a valid name"));
            }
            if !names.insert(m.name.as_str())
                || !keys.insert(m.key.to_bytes())
                || !accounts.insert(m.account)
            {
                return Err(bad("a member appears twice"));
            }
        }
        Ok(())
    }

    /// Parses the body of a consortium file (without checking any signature).
    fn parse_body(body: &str) -> LedgerResult<Consortium> {
        let mut lines = body.lines();
        let mut field = |prefix: &str| -> LedgerResult<&str> {
            lines
                .next()
                .and_then(|l| l.strip_prefix(prefix))
                .ok_or(bad("a line is missing or out of order"))
        };
        if field("")? != CONSORTIUM_HEADER {
            return Err(LedgerError::Malformed("not a semres consortium v1 file"));
        }
        let origin = field("origin ")?.to_owned();
        let (chain, contract) = field("ethereum ")?
            .split_once(' ')
            .ok_or(bad("ethereum <chain id> <contract>"))?;
        let chain_id = canonical_number(chain).ok_or(bad("the chain id is not a number"))?;
        let contract = parse_address(contract).ok_or(bad("the contract is not an address"))?;
        let threshold = canonical_number(field("threshold ")?)
            .and_then(|k| usize::try_from(k).ok())
            .ok_or(bad("the threshold is not a number"))?;
        let mut members = Vec::new();
        for line in lines {
            let mut parts = line
                .strip_prefix("member ")
                .ok_or(bad("not a member line"))?
                .split(' ');
            let (Some(name), Some(key), Some(account), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(bad("member <name> <key> <account>"));
            };
            if members.len() >= MAX_MEMBERS {
                return Err(bad("a consortium has 1 to 64 members"));
            }
            let key = Base64::decode_vec(key)
                .ok()
                .and_then(|k| SigningPublicKey::from_bytes(&k).ok())
                .ok_or(bad("a member key is not an Ed25519 key"))?;
            members.push(Member {
                name: name.to_owned(),
                key,
                account: parse_address(account).ok_or(bad("a member account is not an address"))?,
            });
        }
        let consortium = Consortium {
            origin,
            chain_id,
            contract,
            threshold,
            members,
        };
        consortium.check()?;
        if consortium.body() != body {
            return Err(bad("not in its one canonical form"));
        }
        Ok(consortium)
    }

    /// Reads a consortium file that members are still signing: its consortium (every rule
    /// of the body checked) and the members whose signatures on it verify, however few.
    /// Not a consortium to trust — [`Consortium::from_signed_note`] is.
    pub fn read_draft(note: &str) -> LedgerResult<(Consortium, BTreeSet<String>)> {
        let (body, signatures) = split_note(note)?;
        let consortium = Self::parse_body(body)?;
        let signers = consortium.valid_signers(&signatures, |m, blob| {
            blob.len() == 4 + 64
                && blob[..4] == note_key_hash(&m.name, ALG_ED25519, &m.key)
                && m.key.verify(body.as_bytes(), &blob[4..]).is_ok()
        });
        Ok((consortium, signers))
    }

    /// Reads a consortium file: valid only if `threshold` distinct members signed it.
    pub fn from_signed_note(note: &str) -> LedgerResult<Consortium> {
        let (consortium, signers) = Self::read_draft(note)?;
        if signers.len() < consortium.threshold {
            return Err(bad(
                "fewer members signed the consortium file than its threshold",
            ));
        }
        Ok(consortium)
    }

    /// A member's signature line on the consortium file.
    pub fn sign(&self, name: &str, key: &SigningPrivateKey) -> String {
        let mut blob = note_key_hash(name, ALG_ED25519, key.public_key()).to_vec();
        blob.extend_from_slice(&key.sign(self.body().as_bytes()));
        format!("{EM_DASH}{name} {}\n", Base64::encode_string(&blob))
    }

    /// The consortium file signed by `signers` (name, key).
    pub fn signed_note(&self, signers: &[(&str, &SigningPrivateKey)]) -> String {
        let mut note = format!("{}\n", self.body());
        for (name, key) in signers {
            note.push_str(&self.sign(name, key));
        }
        note
    }

    /// The distinct members with a signature line that `valid` accepts.
    fn valid_signers(
        &self,
        lines: &[SignatureLine<'_>],
        valid: impl Fn(&Member, &[u8]) -> bool,
    ) -> BTreeSet<String> {
        let mut signers = BTreeSet::new();
        for (name, blob) in lines {
            if signers.contains(*name) {
                continue; // a member counts once
            }
            if let Some(m) = self.members.iter().find(|m| m.name == *name) {
                if valid(m, blob) {
                    signers.insert(m.name.clone());
                }
            }
        }
        signers
    }

    /// A member's cosignature line (C2SP cosignature/v1) on `checkpoint` at `time`.
    pub fn cosign(
        checkpoint: &Checkpoint,
        name: &str,
        key: &SigningPrivateKey,
        time: u64,
    ) -> String {
        let message = cosigned_message(&checkpoint.body(), time);
        let mut blob = note_key_hash(name, ALG_COSIGNATURE_V1, key.public_key()).to_vec();
        blob.extend_from_slice(&time.to_be_bytes());
        blob.extend_from_slice(&key.sign(message.as_bytes()));
        format!("{EM_DASH}{name} {}\n", Base64::encode_string(&blob))
    }

    /// Verifies a cosigned checkpoint: its origin is the consortium's and `threshold`
    /// distinct members cosigned it (lines by others, or that do not verify, are ignored;
    /// a member counts once).
    pub fn verify_checkpoint(&self, note: &str) -> LedgerResult<CosignedCheckpoint> {
        let (checkpoint, lines) = self.valid_cosignatures(note)?;
        if lines.len() < self.threshold {
            return Err(LedgerError::BelowThreshold {
                valid: lines.len(),
                needed: self.threshold,
            });
        }
        Ok(CosignedCheckpoint {
            checkpoint,
            cosigners: lines.into_iter().map(|(name, _)| name).collect(),
        })
    }

    /// The checkpoint of a note of the consortium's log and every member's cosignature line
    /// on it that verifies, as (member name, the line with its newline), one per member,
    /// sorted by name — whatever their number. What a node collects from its peers.
    pub fn valid_cosignatures(
        &self,
        note: &str,
    ) -> LedgerResult<(Checkpoint, Vec<(String, String)>)> {
        let (body, lines) = split_note(note)?;
        let checkpoint = Checkpoint::parse_body(body)?;
        if checkpoint.origin != self.origin {
            return Err(LedgerError::BadCheckpoint);
        }
        let mut valid: Vec<(String, String)> = Vec::new();
        for (name, blob) in &lines {
            if valid.iter().any(|(n, _)| n == name) {
                continue; // a member counts once
            }
            let Some(m) = self.members.iter().find(|m| m.name == *name) else {
                continue;
            };
            let verifies = blob.len() == 4 + 8 + 64
                && blob[..4] == note_key_hash(&m.name, ALG_COSIGNATURE_V1, &m.key)
                && {
                    let mut time = [0u8; 8];
                    time.copy_from_slice(&blob[4..12]);
                    let time = u64::from_be_bytes(time);
                    time <= i64::MAX.unsigned_abs()
                        && m.key
                            .verify(cosigned_message(body, time).as_bytes(), &blob[12..])
                            .is_ok()
                };
            if verifies {
                let line = format!("{EM_DASH}{name} {}\n", Base64::encode_string(blob));
                valid.push((m.name.clone(), line));
            }
        }
        valid.sort();
        Ok((checkpoint, valid))
    }
}

/// The message a cosignature/v1 signs.
fn cosigned_message(body: &str, time: u64) -> String {
    format!("cosignature/v1\ntime {time}\n{body}")
}

/// A decimal number without sign or leading zeros.
fn canonical_number(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text.len() == 1 || !text.starts_with('0'));
    canonical.then(|| text.parse().ok()).flatten()
}

/// A checkpoint and the members whose cosignatures on it verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignedCheckpoint {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// Names of the members whose cosignatures verified, sorted.
    pub cosigners: Vec<String>,
}

/// Two cosigned checkpoints of one log and size with different roots: a fork. The members
/// who cosigned both are the evidence's subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Equivocation {
    /// The size both claim.
    pub size: u64,
    /// The two roots.
    pub roots: [[u8; 32]; 2],
    /// Members who cosigned both, sorted.
    pub signed_both: Vec<String>,
}

/// Compares two cosigned checkpoints (each checked against `consortium` with every valid
/// cosignature counted, threshold or not): `Some` when they claim one size with different
/// roots. Notes that do not parse, or whose origin is another log, are no evidence.
pub fn equivocation(consortium: &Consortium, a: &str, b: &str) -> Option<Equivocation> {
    let (a, a_lines) = consortium.valid_cosignatures(a).ok()?;
    let (b, b_lines) = consortium.valid_cosignatures(b).ok()?;
    if a.size != b.size || a.root == b.root {
        return None;
    }
    let signed_both = a_lines
        .iter()
        .filter(|(n, _)| b_lines.iter().any(|(m, _)| m == n))
        .map(|(n, _)| n.clone())
        .collect();
    Some(Equivocation {
        size: a.size,
        roots: [a.root, b.root],
        signed_both,
    })
}
