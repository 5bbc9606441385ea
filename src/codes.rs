//! The one register of SEMRES error codes. Every stable code is defined here once, with the
//! layer that raises it and the HTTP status the endpoint answers it with; the Rust error
//! types return a [`Code`], the JS API's `SemresErrorCode` TypeScript union is derived from
//! this table ([`TYPESCRIPT_UNION`]), and tests check the site's words (`www/lib/errors.js`),
//! the endpoint's `{code}` bodies and the OpenAPI description against it.

use core::fmt;

/// Who raises a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// CEDA, the SMeR, keys and identity files (the core).
    Core,
    /// Ledger data: entries, blocks, the rules, checkpoints and proofs (the core).
    Ledger,
    /// Signed requests to the endpoint (the core checks them; the node keeps the nonces).
    Request,
    /// The endpoint: DERy, the API and the node's own refusals.
    Endpoint,
    /// The command line.
    Cli,
    /// The browser site (its worker and pages), for what only a client can see.
    Site,
}

impl Layer {
    /// The layer's name, as the JS API reports it.
    pub const fn name(self) -> &'static str {
        match self {
            Layer::Core => "core",
            Layer::Ledger => "ledger",
            Layer::Request => "request",
            Layer::Endpoint => "endpoint",
            Layer::Cli => "cli",
            Layer::Site => "site",
        }
    }
}

macro_rules! register {
    ($( $(#[doc = $doc:literal])+ $name:ident => $layer:ident, $status:literal; )+) => {
        /// A stable error code. Its name (`Code::name`) is what Rust, JavaScript
        /// (`SemresError.code`), the endpoint's `{code, message}` bodies and the CLI's
        /// one-line errors all say.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Code {
            $( $(#[doc = $doc])+ $name, )+
        }

        impl Code {
            /// Every code, in register order.
            pub const ALL: &'static [Code] = &[$(Code::$name),+];

            /// The code's name.
            pub const fn name(self) -> &'static str {
                match self { $(Code::$name => stringify!($name)),+ }
            }

            /// The layer that raises it.
            pub const fn layer(self) -> Layer {
                match self { $(Code::$name => Layer::$layer),+ }
            }

            /// The HTTP status the endpoint answers with when this code refuses a request
            /// (signed-request failures are always 401, SPEC.md §5.1).
            pub const fn http_status(self) -> u16 {
                match self { $(Code::$name => $status),+ }
            }
        }

        /// `export type SemresErrorCode = "…" | …;` — the TypeScript union of every code.
        pub const TYPESCRIPT_UNION: &str =
            concat!("export type SemresErrorCode =", $(" | \"", stringify!($name), "\""),+, ";");
    };
}

register! {
    // ---- core: CEDA, SMeR, keys, identity files ----
    /// The SMeR (or identity file) could not be authenticated or decrypted with this key;
    /// deliberately says nothing about which check failed.
    DecryptionFailed => Core, 400;
    /// Not a well-formed SMeR v1 / JWE JSON General Serialization document.
    MalformedSmer => Core, 400;
    /// An `alg`, `enc` or `zip` value the profile does not allow.
    UnsupportedAlgorithm => Core, 400;
    /// A format version (SMeR, ledger data, identity file, signed request) this build does
    /// not know.
    UnsupportedVersion => Core, 400;
    /// A key could not be read or written in the requested format.
    KeyFormat => Core, 400;
    /// An RSA modulus size outside 2048–4096 bits.
    UnsupportedKeySize => Core, 400;
    /// The key or identity is protected by a passphrase and none was given.
    PassphraseRequired => Core, 400;
    /// The passphrase does not open this key or identity (or the file is damaged).
    WrongPassphrase => Core, 400;
    /// A signature does not verify (an entry's, a request's, a key's).
    BadSignature => Core, 403;
    /// Larger than a limit in force.
    TooLarge => Core, 413;
    /// None of the SMeR's recipients is this key.
    NoMatchingRecipient => Core, 400;
    /// The caller asked for something invalid.
    InvalidInput => Core, 400;
    /// The random number generator failed.
    RandomnessUnavailable => Core, 500;

    // ---- ledger ----
    /// Bytes that are not a well-formed ledger v1 encoding.
    MalformedLedgerData => Ledger, 400;
    /// A block's number is not the next one.
    BadBlockNumber => Ledger, 409;
    /// A block's previous hash is not the hash of the block before it.
    BadPreviousHash => Ledger, 409;
    /// A block's time goes backwards, or an entry's time is out of its window.
    BadTime => Ledger, 409;
    /// Sealed or signed by a key outside the authority set in force.
    UnknownAuthority => Ledger, 409;
    /// A block's seal does not verify.
    BadSeal => Ledger, 409;
    /// A required signature is missing (owner, participant, admission, majority).
    MissingSignature => Ledger, 403;
    /// The signer or a named participant is not registered.
    NotRegistered => Ledger, 409;
    /// The signer may not do this (not the owner, the recipient, the payer).
    NotAuthorized => Ledger, 403;
    /// The grant is revoked, expired, or its SMeR erased.
    GrantInactive => Ledger, 409;
    /// The entry refers to something the ledger does not have.
    UnknownReference => Ledger, 409;
    /// The same entry (or SMeR, participant, payment) twice.
    Duplicate => Ledger, 409;
    /// The chain does not start with a valid genesis block.
    BadGenesis => Ledger, 409;
    /// The grant's recipient is not among the recipients the SMeR is sealed to.
    RecipientMismatch => Ledger, 409;
    /// A checkpoint has no valid signature by a trusted key.
    BadCheckpoint => Ledger, 409;
    /// A Merkle proof does not verify.
    BadProof => Ledger, 409;
    /// A consortium file is malformed, breaks a rule, or lacks its members' signatures.
    BadConsortium => Ledger, 400;
    /// An anchored block's anchor names another chain or goes backwards.
    BadAnchor => Ledger, 409;

    // ---- signed requests (SPEC.md §5.1) ----
    /// A signed-request header is missing or malformed.
    Unauthenticated => Request, 401;
    /// The request's time is too far from the endpoint's.
    StaleRequest => Request, 401;
    /// The endpoint has seen this request's nonce from this key.
    ReplayedRequest => Request, 401;

    // ---- endpoint ----
    /// An uploaded SMeR's SHA-256 is not the hash it was sent under.
    HashMismatch => Endpoint, 400;
    /// A stored SMeR no longer matches its hash; it is never served.
    CorruptSmer => Endpoint, 500;
    /// The owner erased this SMeR.
    Erased => Endpoint, 410;
    /// No such route, block, participant or name (or one the caller may not see).
    NotFound => Endpoint, 404;
    /// The endpoint failed; details stay in its log.
    Internal => Endpoint, 500;
    /// The node's disk is full: nothing was stored; try again later.
    StorageFull => Endpoint, 507;
    /// The participant's storage quota in DERy is used up.
    QuotaExceeded => Endpoint, 403;
    /// Too many requests from this key or address; slow down.
    RateLimited => Endpoint, 429;
    /// The SMeR is held at another member hospital whose node did not answer (or answered
    /// with a copy that does not hash to it); try again later.
    HolderUnavailable => Endpoint, 503;
    /// A part of a resumable upload does not start where the upload stands (ask
    /// `GET /smers/{hash}/upload` where it does), or another part of it is arriving.
    UploadConflict => Endpoint, 409;

    // ---- command line ----
    /// A file could not be read or written.
    Io => Cli, 500;
    /// The command refuses (it would overwrite a key, the data directory does not verify).
    Refused => Cli, 400;

    // ---- browser site ----
    /// No identity is unlocked in this tab.
    Locked => Site, 400;
    /// The browser does not let the site store data (private mode).
    StorageUnavailable => Site, 500;
    /// The cryptography worker stopped.
    WorkerFailed => Site, 500;
    /// The endpoint cannot be reached.
    NetworkError => Site, 503;
    /// The endpoint answered something that is not a SEMRES answer.
    BadAnswer => Site, 502;
    /// An endpoint gave a participant key that is not the one the ledger registered.
    BadRegistration => Site, 409;
    /// A SMeR received does not hash to the ledger's value; it is dropped unopened.
    HashCheckFailed => Site, 409;
    /// An endpoint served a checkpoint that conflicts with one this browser verified before
    /// (same size, another root; or not an extension of it): a fork of the ledger.
    ConflictingCheckpoint => Site, 409;
}

impl Code {
    /// The code named `name`, if it is in the register.
    pub fn from_name(name: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.name() == name)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.name() == other
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.name()), "{code} twice");
            assert_eq!(Code::from_name(code.name()), Some(*code));
            assert!(TYPESCRIPT_UNION.contains(&format!("\"{code}\"")));
            assert!((400..600).contains(&code.http_status()), "{code}");
        }
        assert_eq!(Code::from_name("NoSuchCode"), None);
        assert_eq!(
            TYPESCRIPT_UNION.matches(" | \"").count(),
            Code::ALL.len(),
            "the union has every code once"
        );
    }
}
