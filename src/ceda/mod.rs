//! CEDA, the paper's Combined Encryption and Decryption Architecture (§3.1–3.2, Fig. 2): a
//! fresh random AES key encrypts the record ([`content`]: AES-CBC with HMAC-SHA-2, RFC 7518
//! §5.2), and that key is wrapped with each authorized person's RSA public key ([`oaep`]:
//! RSA-OAEP-256) — the RSA key pair and its formats are in [`rsa_key`]. The document that
//! carries the result, the SMeR, is [`crate::smer`].

pub mod content;
pub(crate) mod dotnet_xml;
pub(crate) mod oaep;
pub mod rsa_key;

pub use content::ContentEncryption;
pub use rsa_key::{EncryptionPrivateKey, EncryptionPublicKey, DEFAULT_BITS};
