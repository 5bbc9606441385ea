//! Errors of the SEMRES core (CEDA, SMeR, keys, identity files): one `#[non_exhaustive]`
//! enum whose codes are in the register ([`crate::codes`]).
//!
//! Messages are fixed strings chosen by this crate: they never contain record content, key
//! bytes, or text taken from an untrusted SMeR. Every authentication failure, whatever its
//! cause (RSA-OAEP padding, wrong CEK length, HMAC mismatch, CBC padding), is the one opaque
//! [`Error::DecryptionFailed`], so a caller cannot be used as a padding or MAC oracle.

use core::fmt;

use crate::codes::Code;

/// Everything that can go wrong in the core.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The SMeR could not be authenticated or decrypted with the given key. Deliberately
    /// says nothing about which check failed.
    DecryptionFailed,
    /// The SMeR is not a well-formed SMeR v1 / JWE JSON General Serialization document.
    /// The detail is a fixed description of the rule that was broken.
    MalformedSmer(&'static str),
    /// A `alg`, `enc` or `zip` value this profile does not allow.
    UnsupportedAlgorithm(&'static str),
    /// The SMeR declares a format version (`smer` header parameter) this build does not know.
    UnsupportedVersion(u64),
    /// A key could not be read or written in the requested format.
    KeyFormat(&'static str),
    /// The key is protected by a passphrase and none was given.
    PassphraseRequired,
    /// The passphrase does not open this key or identity (or the file is damaged).
    WrongPassphrase,
    /// A signature did not verify.
    BadSignature,
    /// An RSA modulus size outside what SEMRES allows.
    UnsupportedKeySize(usize),
    /// Input larger than the configured limit (limit in bytes, or count for recipients).
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// The limit in force.
        limit: usize,
    },
    /// None of the SMeR's recipients is the given key.
    NoMatchingRecipient,
    /// The caller asked for something invalid (no recipients, duplicate recipients, …).
    InvalidInput(&'static str),
    /// The random number generator failed.
    RandomnessUnavailable,
}

impl Error {
    /// The stable code (see [`crate::codes`]), identical in Rust, in JS (`SemresError.code`)
    /// and in the endpoint's `{code, message}` bodies.
    pub fn code(&self) -> Code {
        match self {
            Error::DecryptionFailed => Code::DecryptionFailed,
            Error::MalformedSmer(_) => Code::MalformedSmer,
            Error::UnsupportedAlgorithm(_) => Code::UnsupportedAlgorithm,
            Error::UnsupportedVersion(_) => Code::UnsupportedVersion,
            Error::KeyFormat(_) => Code::KeyFormat,
            Error::UnsupportedKeySize(_) => Code::UnsupportedKeySize,
            Error::PassphraseRequired => Code::PassphraseRequired,
            Error::WrongPassphrase => Code::WrongPassphrase,
            Error::BadSignature => Code::BadSignature,
            Error::TooLarge { .. } => Code::TooLarge,
            Error::NoMatchingRecipient => Code::NoMatchingRecipient,
            Error::InvalidInput(_) => Code::InvalidInput,
            Error::RandomnessUnavailable => Code::RandomnessUnavailable,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::DecryptionFailed => f.write_str("the SMeR could not be decrypted with this key"),
            Error::MalformedSmer(why) => write!(f, "malformed SMeR: {why}"),
            Error::UnsupportedAlgorithm(what) => write!(f, "unsupported algorithm: {what}"),
            Error::UnsupportedVersion(v) => write!(f, "unsupported SMeR version {v}"),
            Error::KeyFormat(why) => write!(f, "key format error: {why}"),
            Error::UnsupportedKeySize(bits) => {
                write!(
                    f,
                    "unsupported RSA key size: {bits} bits (allowed: 2048 to 4096)"
                )
            }
            Error::PassphraseRequired => {
                f.write_str("this key is protected by a passphrase: give the passphrase")
            }
            Error::WrongPassphrase => {
                f.write_str("the passphrase is wrong, or the file is damaged")
            }
            Error::BadSignature => f.write_str("the signature does not verify"),
            Error::TooLarge { what, limit } => write!(f, "{what} exceeds the limit of {limit}"),
            Error::NoMatchingRecipient => {
                f.write_str("this key is not one of the SMeR's recipients")
            }
            Error::InvalidInput(why) => write!(f, "invalid input: {why}"),
            Error::RandomnessUnavailable => f.write_str("the random number generator failed"),
        }
    }
}

impl std::error::Error for Error {}

/// Result alias of the core.
pub type Result<T> = core::result::Result<T, Error>;
