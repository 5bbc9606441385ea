//! Ledger entries v1 (SPEC.md §4.2): what a participant signs — registration, the owner's
//! grant of one SMeR to an authorized person, its revocation, access receipts, care records
//! sealed back to the patient, payments, erasure, and authority-set changes.

use sha2::{Digest, Sha256};

use super::codec::{Reader, Writer, MAX_FIELD};
use super::error::{LedgerError, LedgerResult};
use super::merkle::Hash;
use crate::identity::signing::{SigningPrivateKey, SigningPublicKey, SIGNATURE_LEN};

/// Entry format version.
pub const ENTRY_VERSION: u8 = 1;
/// Most signatures on one entry.
pub const MAX_SIGNATURES: usize = 16;
/// Most authorities in a genesis entry.
pub const MAX_AUTHORITIES: usize = 64;
/// Longest free-text field (data index, currency, reference, chain id).
pub const MAX_TEXT: usize = 256;
const ENTRY_DOMAIN: &[u8] = b"SEMRES ledger v1 entry\0";
const SIGNATURE_DOMAIN: &[u8] = b"SEMRES ledger v1 entry signature\0";

/// A participant's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Owns records (EMR owner).
    Patient = 1,
    /// Reads records and adds care records (authorized person); admitted by an authority.
    Clinician = 2,
    /// Runs a Proof-of-Authority node; admitted by an authority.
    Authority = 3,
}

impl Role {
    /// The role's name as the JS API, CLI and endpoint spell it.
    pub fn name(self) -> &'static str {
        match self {
            Role::Patient => "patient",
            Role::Clinician => "clinician",
            Role::Authority => "authority",
        }
    }

    /// The role named `name` ("patient", "clinician", "authority").
    pub fn from_name(name: &str) -> Option<Role> {
        [Role::Patient, Role::Clinician, Role::Authority]
            .into_iter()
            .find(|r| r.name() == name)
    }

    fn from_u8(v: u8) -> LedgerResult<Role> {
        match v {
            1 => Ok(Role::Patient),
            2 => Ok(Role::Clinician),
            3 => Ok(Role::Authority),
            _ => Err(LedgerError::Malformed("unknown role")),
        }
    }
}

/// What an entry says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryBody {
    /// Block 0: the chain id and the initial authorities' Ed25519 keys.
    Genesis {
        /// The log's name (the checkpoint origin).
        chain_id: String,
        /// Initial authority set.
        authorities: Vec<[u8; 32]>,
    },
    /// A participant's keys and role.
    Register {
        /// Role.
        role: Role,
        /// Ed25519 public key (its thumbprint is the entry's signer).
        signing_key: [u8; 32],
        /// RSA encryption public key, SPKI DER.
        encryption_key: Vec<u8>,
    },
    /// The owner authorizes `recipient` for one SMeR.
    Grant {
        /// SHA-256 of the SMeR.
        smer_hash: Hash,
        /// Where DERy stores it.
        data_index: String,
        /// Key id of the authorized person.
        recipient: String,
        /// Seconds since the epoch after which the grant lapses.
        expires: Option<i64>,
    },
    /// The owner withdraws a grant.
    Revoke {
        /// Entry hash of the grant.
        grant: Hash,
    },
    /// The recipient's receipt that they fetched and verified the SMeR.
    Access {
        /// Entry hash of the grant.
        grant: Hash,
    },
    /// New clinical data, sealed to the patient, under a grant.
    Care {
        /// Entry hash of the grant.
        grant: Hash,
        /// SHA-256 of the new SMeR.
        smer_hash: Hash,
        /// Where DERy stores it.
        data_index: String,
    },
    /// Settlement of a care entry.
    Payment {
        /// Entry hash of the care entry.
        care: Hash,
        /// Amount in minor units (cents) or insurance points.
        amount: u64,
        /// ISO 4217 code, or `NHI-points`.
        currency: String,
        /// Key id of the payer (the signer).
        payer: String,
        /// Key id of the payee (the care entry's clinician).
        payee: String,
        /// Free reference (claim number, …).
        reference: String,
    },
    /// The owner tombstones a SMeR (DERy deletes the ciphertext; the hash stays).
    Erase {
        /// SHA-256 of the SMeR.
        smer_hash: Hash,
    },
    /// A patient names (or stops naming) a participant who may pay for care under the
    /// patient's grants — an insurer, a relative.
    Payer {
        /// True to name, false to stop naming.
        add: bool,
        /// Key id of the payer.
        payer: String,
    },
    /// Add or remove one validator; signed by a strict majority of the current set.
    AuthorityChange {
        /// True to add, false to remove.
        add: bool,
        /// The authority's Ed25519 key.
        authority: [u8; 32],
    },
}

impl EntryBody {
    /// The kind byte.
    pub fn kind(&self) -> u8 {
        match self {
            EntryBody::Genesis { .. } => 0,
            EntryBody::Register { .. } => 1,
            EntryBody::Grant { .. } => 2,
            EntryBody::Revoke { .. } => 3,
            EntryBody::Access { .. } => 4,
            EntryBody::Care { .. } => 5,
            EntryBody::Payment { .. } => 6,
            EntryBody::Erase { .. } => 7,
            EntryBody::AuthorityChange { .. } => 8,
            EntryBody::Payer { .. } => 9,
        }
    }

    /// The kind's name, for display.
    pub fn kind_name(&self) -> &'static str {
        match self {
            EntryBody::Genesis { .. } => "genesis",
            EntryBody::Register { .. } => "register",
            EntryBody::Grant { .. } => "grant",
            EntryBody::Revoke { .. } => "revoke",
            EntryBody::Access { .. } => "access",
            EntryBody::Care { .. } => "care",
            EntryBody::Payment { .. } => "payment",
            EntryBody::Erase { .. } => "erase",
            EntryBody::AuthorityChange { .. } => "authority-change",
            EntryBody::Payer { .. } => "payer",
        }
    }
}

/// One signature on an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntrySignature {
    key_id: String,
    /// Ed25519 signature over the entry hash (SPEC.md §4.2).
    pub signature: [u8; SIGNATURE_LEN],
}

impl EntrySignature {
    /// Key id of the signing key.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }
}

/// A signed ledger entry. It can only be built within the limits its reader enforces
/// ([`Entry::new`], [`Entry::sign`], [`Entry::from_bytes`]), so its encoding is always one
/// that [`Entry::from_bytes`] accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    signer: String,
    time: i64,
    nonce: [u8; 16],
    body: EntryBody,
    signatures: Vec<EntrySignature>,
}

/// The action byte of an add/remove entry: 1 adds, 2 removes.
fn action(add: bool) -> u8 {
    if add {
        1
    } else {
        2
    }
}

fn read_action(r: &mut Reader<'_>) -> LedgerResult<bool> {
    match r.u8()? {
        1 => Ok(true),
        2 => Ok(false),
        _ => Err(LedgerError::Malformed("bad action")),
    }
}

fn check_text(s: &str) -> LedgerResult<()> {
    if s.len() > MAX_TEXT || s.chars().any(char::is_control) {
        return Err(LedgerError::Malformed(
            "text field too long or has control characters",
        ));
    }
    Ok(())
}

impl Entry {
    /// An unsigned entry; refuses (`MalformedLedgerData`) what a reader would refuse: a text
    /// field over 256 bytes or with control characters, a genesis with 0 or more than 64
    /// authorities, an RSA key over 4096 bytes.
    pub fn new(signer: &str, time: i64, nonce: [u8; 16], body: EntryBody) -> LedgerResult<Self> {
        let entry = Entry {
            signer: signer.to_owned(),
            time,
            nonce,
            body,
            signatures: Vec::new(),
        };
        entry.check_fields()?;
        Ok(entry)
    }

    /// An entry by the holder of `key` (its key id is the signer), signed by it.
    pub fn signed(
        key: &SigningPrivateKey,
        time: i64,
        nonce: [u8; 16],
        body: EntryBody,
    ) -> LedgerResult<Self> {
        Self::new(key.key_id(), time, nonce, body)?.sign(key)
    }

    /// Key id of the participant making the entry.
    pub fn signer(&self) -> &str {
        &self.signer
    }

    /// The signer's claimed time, Unix seconds.
    pub fn time(&self) -> i64 {
        self.time
    }

    /// 16 random bytes: two otherwise identical entries differ.
    pub fn nonce(&self) -> &[u8; 16] {
        &self.nonce
    }

    /// What the entry says.
    pub fn body(&self) -> &EntryBody {
        &self.body
    }

    /// Signatures (the signer's first; then co-signers such as an admitting authority).
    pub fn signatures(&self) -> &[EntrySignature] {
        &self.signatures
    }

    /// The signatures, to alter their bytes (negative test vectors); their number and key
    /// ids stay as they are.
    pub fn signatures_mut(&mut self) -> &mut [EntrySignature] {
        &mut self.signatures
    }

    /// Removes the last signature (negative test vectors: a missing co-signature).
    pub fn remove_last_signature(&mut self) -> Option<EntrySignature> {
        self.signatures.pop()
    }

    /// Checks that `key` is the entry's signer (its key id is `signer`) and that the
    /// signer's signature verifies (`BadSignature` otherwise): the owner's signature of the
    /// paper's block, checked without replaying the chain.
    pub fn verify_signed_by(&self, key: &SigningPublicKey) -> LedgerResult<()> {
        if key.key_id() != self.signer {
            return Err(LedgerError::BadSignature);
        }
        let signature = self
            .signatures
            .iter()
            .find(|s| s.key_id == self.signer)
            .ok_or(LedgerError::BadSignature)?;
        key.verify(&Self::signature_message(&self.hash()), &signature.signature)
            .map_err(|_| LedgerError::BadSignature)
    }

    /// The bytes that are hashed (everything but the signatures).
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.u8(ENTRY_VERSION)
            .u8(self.body.kind())
            .str(&self.signer)
            .i64(self.time)
            .fixed(&self.nonce);
        match &self.body {
            EntryBody::Genesis {
                chain_id,
                authorities,
            } => {
                w.str(chain_id).count(authorities.len());
                for a in authorities {
                    w.fixed(a);
                }
            }
            EntryBody::Register {
                role,
                signing_key,
                encryption_key,
            } => {
                w.u8(*role as u8).fixed(signing_key).bytes(encryption_key);
            }
            EntryBody::Grant {
                smer_hash,
                data_index,
                recipient,
                expires,
            } => {
                w.fixed(smer_hash).str(data_index).str(recipient);
                match expires {
                    Some(t) => w.u8(1).i64(*t),
                    None => w.u8(0),
                };
            }
            EntryBody::Revoke { grant } | EntryBody::Access { grant } => {
                w.fixed(grant);
            }
            EntryBody::Care {
                grant,
                smer_hash,
                data_index,
            } => {
                w.fixed(grant).fixed(smer_hash).str(data_index);
            }
            EntryBody::Payment {
                care,
                amount,
                currency,
                payer,
                payee,
                reference,
            } => {
                w.fixed(care)
                    .u64(*amount)
                    .str(currency)
                    .str(payer)
                    .str(payee)
                    .str(reference);
            }
            EntryBody::Erase { smer_hash } => {
                w.fixed(smer_hash);
            }
            EntryBody::AuthorityChange { add, authority } => {
                w.u8(action(*add)).fixed(authority);
            }
            EntryBody::Payer { add, payer } => {
                w.u8(action(*add)).str(payer);
            }
        }
        w.0
    }

    /// The entry hash: SHA-256("SEMRES ledger v1 entry\0" || signing bytes). Unique per
    /// entry (the nonce), it is how other entries refer to this one.
    pub fn hash(&self) -> Hash {
        let mut h = Sha256::new();
        h.update(ENTRY_DOMAIN);
        h.update(self.signing_bytes());
        h.finalize().into()
    }

    /// The message an entry signature signs.
    pub fn signature_message(hash: &Hash) -> Vec<u8> {
        [SIGNATURE_DOMAIN, hash.as_slice()].concat()
    }

    /// Adds a signature by `key`; refuses a seventeenth (`MalformedLedgerData`).
    pub fn sign(mut self, key: &SigningPrivateKey) -> LedgerResult<Self> {
        if self.signatures.len() >= MAX_SIGNATURES {
            return Err(LedgerError::Malformed("too many signatures"));
        }
        let signature = key.sign(&Self::signature_message(&self.hash()));
        self.signatures.push(EntrySignature {
            key_id: key.key_id().to_owned(),
            signature,
        });
        Ok(self)
    }

    /// The full encoding: signing bytes, then the signatures.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer(self.signing_bytes());
        w.count(self.signatures.len());
        for s in &self.signatures {
            w.str(&s.key_id).fixed(&s.signature);
        }
        w.0
    }

    /// Decodes one entry from a reader (strict).
    pub fn read(r: &mut Reader<'_>) -> LedgerResult<Entry> {
        let version = r.u8()?;
        if version != ENTRY_VERSION {
            return Err(LedgerError::UnsupportedVersion(version));
        }
        let kind = r.u8()?;
        let signer = r.str()?;
        let time = r.i64()?;
        let nonce = r.fixed::<16>()?;
        let body = match kind {
            0 => {
                let chain_id = r.str()?;
                let n = r.u8()? as usize;
                if n == 0 || n > MAX_AUTHORITIES {
                    return Err(LedgerError::Malformed("authority count out of range"));
                }
                let authorities = (0..n)
                    .map(|_| r.fixed::<32>())
                    .collect::<LedgerResult<_>>()?;
                EntryBody::Genesis {
                    chain_id,
                    authorities,
                }
            }
            1 => EntryBody::Register {
                role: Role::from_u8(r.u8()?)?,
                signing_key: r.fixed()?,
                encryption_key: r.bytes()?.to_vec(),
            },
            2 => {
                let smer_hash = r.fixed()?;
                let data_index = r.str()?;
                let recipient = r.str()?;
                let expires = match r.u8()? {
                    0 => None,
                    1 => Some(r.i64()?),
                    _ => return Err(LedgerError::Malformed("bad option tag")),
                };
                EntryBody::Grant {
                    smer_hash,
                    data_index,
                    recipient,
                    expires,
                }
            }
            3 => EntryBody::Revoke { grant: r.fixed()? },
            4 => EntryBody::Access { grant: r.fixed()? },
            5 => EntryBody::Care {
                grant: r.fixed()?,
                smer_hash: r.fixed()?,
                data_index: r.str()?,
            },
            6 => EntryBody::Payment {
                care: r.fixed()?,
                amount: r.u64()?,
                currency: r.str()?,
                payer: r.str()?,
                payee: r.str()?,
                reference: r.str()?,
            },
            7 => EntryBody::Erase {
                smer_hash: r.fixed()?,
            },
            8 => EntryBody::AuthorityChange {
                add: read_action(r)?,
                authority: r.fixed()?,
            },
            9 => EntryBody::Payer {
                add: read_action(r)?,
                payer: r.str()?,
            },
            _ => return Err(LedgerError::Malformed("unknown entry kind")),
        };
        let n = r.u8()? as usize;
        if n > MAX_SIGNATURES {
            return Err(LedgerError::Malformed("too many signatures"));
        }
        let mut signatures = Vec::with_capacity(n);
        for _ in 0..n {
            signatures.push(EntrySignature {
                key_id: r.str()?,
                signature: r.fixed()?,
            });
        }
        let entry = Entry {
            signer,
            time,
            nonce,
            body,
            signatures,
        };
        entry.check_fields()?;
        Ok(entry)
    }

    /// Decodes an entry that is the whole of `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> LedgerResult<Entry> {
        let mut r = Reader::new(bytes);
        let entry = Self::read(&mut r)?;
        r.finish()?;
        Ok(entry)
    }

    /// The limits of every variable-length field, as the reader enforces them.
    fn check_fields(&self) -> LedgerResult<()> {
        check_text(&self.signer)?;
        for signature in &self.signatures {
            check_text(&signature.key_id)?;
        }
        match &self.body {
            EntryBody::Genesis {
                chain_id,
                authorities,
            } => {
                if authorities.is_empty() || authorities.len() > MAX_AUTHORITIES {
                    return Err(LedgerError::Malformed("authority count out of range"));
                }
                check_text(chain_id)
            }
            EntryBody::Register { encryption_key, .. } if encryption_key.len() > MAX_FIELD => {
                Err(LedgerError::Malformed("field too long"))
            }
            EntryBody::Grant {
                data_index,
                recipient,
                ..
            } => check_text(data_index).and(check_text(recipient)),
            EntryBody::Care { data_index, .. } => check_text(data_index),
            EntryBody::Payment {
                currency,
                payer,
                payee,
                reference,
                ..
            } => check_text(currency)
                .and(check_text(payer))
                .and(check_text(payee))
                .and(check_text(reference)),
            EntryBody::Payer { payer, .. } => check_text(payer),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn key(seed: u64) -> SigningPrivateKey {
        SigningPrivateKey::generate(&mut ChaCha20Rng::seed_from_u64(seed)).unwrap()
    }

    fn grant(data_index: String) -> EntryBody {
        EntryBody::Grant {
            smer_hash: [1; 32],
            data_index,
            recipient: "someone".into(),
            expires: None,
        }
    }

    /// The writer refuses exactly what the reader refuses: what it builds always decodes.
    #[test]
    fn the_writer_keeps_the_readers_limits() {
        let k = key(1);
        let fits = Entry::signed(&k, 1, [0; 16], grant("x".repeat(MAX_TEXT))).unwrap();
        assert_eq!(Entry::from_bytes(&fits.to_bytes()).unwrap(), fits);
        for too_long in [
            grant("x".repeat(MAX_TEXT + 1)),
            grant("line\nbreak".into()),
            EntryBody::Genesis {
                chain_id: "c".into(),
                authorities: vec![[9; 32]; MAX_AUTHORITIES + 1],
            },
            EntryBody::Genesis {
                chain_id: "c".into(),
                authorities: Vec::new(),
            },
            EntryBody::Register {
                role: Role::Patient,
                signing_key: [9; 32],
                encryption_key: vec![0; MAX_FIELD + 1],
            },
        ] {
            assert!(matches!(
                Entry::new("signer", 1, [0; 16], too_long),
                Err(LedgerError::Malformed(_))
            ));
        }
        assert!(Entry::new(&"s".repeat(MAX_TEXT + 1), 1, [0; 16], grant("x".into())).is_err());
        let mut entry = Entry::new(k.key_id(), 1, [0; 16], grant("x".into())).unwrap();
        for n in 0..MAX_SIGNATURES {
            entry = entry.sign(&key(n as u64)).unwrap();
        }
        assert_eq!(
            entry.clone().sign(&k),
            Err(LedgerError::Malformed("too many signatures"))
        );
        assert_eq!(Entry::from_bytes(&entry.to_bytes()).unwrap(), entry);
    }
}
