//! Signed checkpoints of the Merkle log in the C2SP `tlog-checkpoint` format, wrapped in a
//! C2SP `signed-note` with Ed25519 signatures by ledger authorities (SPEC.md §4.5).
//!
//! ```text
//! <origin>\n<tree size>\n<base64 root>\n
//! \n
//! — <key name> <base64(key hash (4 bytes) || Ed25519 signature)>\n
//! ```

use base64ct::{Base64, Encoding};
use sha2::{Digest, Sha256};

use super::error::{LedgerError, LedgerResult};
use super::merkle::Hash;
use crate::identity::signing::{SigningPrivateKey, SigningPublicKey};

const EM_DASH: &str = "\u{2014} ";
const MAX_NOTE: usize = 16 * 1024;

/// A checkpoint: the log's origin (the chain id), its size and its root hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Origin line (the genesis chain id).
    pub origin: String,
    /// Number of blocks.
    pub size: u64,
    /// Merkle root of the block hashes.
    pub root: Hash,
}

/// The signed-note key hash of an Ed25519 key named `name`: the first four bytes of
/// SHA-256(name || "\n" || 0x01 || public key).
pub fn key_hash(name: &str, key: &SigningPublicKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([1u8]);
    h.update(key.to_bytes());
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

impl Checkpoint {
    /// The note body: three lines, each ending in a newline.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            Base64::encode_string(&self.root)
        )
    }

    /// Signs the checkpoint; the signature's key name is the authority's key id.
    pub fn sign(&self, key: &SigningPrivateKey) -> String {
        let body = self.body();
        let name = key.key_id();
        let mut blob = key_hash(name, key.public_key()).to_vec();
        blob.extend_from_slice(&key.sign(body.as_bytes()));
        format!("{body}\n{EM_DASH}{name} {}\n", Base64::encode_string(&blob))
    }

    /// Parses a checkpoint's note body: origin, size (decimal, no leading zero) and root
    /// (standard base64 of 32 bytes), each on its own line; extension lines after the root
    /// are allowed (tlog-checkpoint) and kept by no one.
    pub fn parse_body(body: &str) -> LedgerResult<Checkpoint> {
        let malformed = LedgerError::Malformed("not a checkpoint");
        let mut lines = body.lines();
        let origin = lines
            .next()
            .filter(|l| !l.is_empty())
            .ok_or(malformed.clone())?
            .to_owned();
        let size_text = lines.next().ok_or(malformed.clone())?;
        if size_text.is_empty()
            || (size_text.len() > 1 && size_text.starts_with('0'))
            || !size_text.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(malformed);
        }
        let size: u64 = size_text.parse().map_err(|_| malformed.clone())?;
        let root_bytes = Base64::decode_vec(lines.next().ok_or(malformed.clone())?)
            .map_err(|_| malformed.clone())?;
        let root: Hash = root_bytes.try_into().map_err(|_| malformed)?;
        Ok(Checkpoint { origin, size, root })
    }

    /// Parses a signed checkpoint and returns it if at least one signature line is a valid
    /// signature by one of `authorities` (named by its key id). Other lines are ignored, as
    /// the signed-note format requires.
    pub fn verify(note: &str, authorities: &[SigningPublicKey]) -> LedgerResult<Checkpoint> {
        let malformed = LedgerError::Malformed("not a signed checkpoint");
        if note.len() > MAX_NOTE || !note.ends_with('\n') {
            return Err(malformed);
        }
        let split = note.find("\n\n").ok_or(malformed.clone())?;
        let (body, signatures) = (&note[..split + 1], &note[split + 2..]);
        let checkpoint = Self::parse_body(body)?;
        for line in signatures.lines() {
            let Some(rest) = line.strip_prefix(EM_DASH) else {
                return Err(malformed);
            };
            let Some((name, blob)) = rest.split_once(' ') else {
                return Err(malformed);
            };
            let Ok(blob) = Base64::decode_vec(blob) else {
                continue;
            };
            if blob.len() != 4 + 64 {
                continue;
            }
            for key in authorities {
                if key.key_id() == name
                    && blob[..4] == key_hash(name, key)
                    && key.verify(body.as_bytes(), &blob[4..]).is_ok()
                {
                    return Ok(checkpoint);
                }
            }
        }
        Err(LedgerError::BadCheckpoint)
    }
}
