//! JSON Web Keys (RFC 7517) as the key readers need them: a JWK object of one key type, its
//! canonical base64url members, and the RFC 7638 thumbprint that SEMRES uses as key id.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::b64;
use crate::error::{Error, Result};

/// Parses a JWK object and checks its `kty`.
pub(crate) fn parse_of_type(text: &str, expected_kty: &str) -> Result<Map<String, Value>> {
    let value: Value =
        serde_json::from_str(text).map_err(|_| Error::KeyFormat("JWK is not valid JSON"))?;
    let Value::Object(map) = value else {
        return Err(Error::KeyFormat("JWK is not a JSON object"));
    };
    match map.get("kty") {
        Some(Value::String(kty)) if kty == expected_kty => Ok(map),
        Some(_) => Err(Error::KeyFormat("JWK kty is not the expected key type")),
        None => Err(Error::KeyFormat("JWK lacks kty")),
    }
}

/// A member holding canonical, non-empty base64url bytes; `None` when absent.
pub(crate) fn member_bytes(jwk: &Map<String, Value>, name: &str) -> Result<Option<Vec<u8>>> {
    match jwk.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => b64::decode(s)
            .filter(|bytes| !bytes.is_empty())
            .map(Some)
            .ok_or(Error::KeyFormat("JWK member is not canonical base64url")),
        Some(_) => Err(Error::KeyFormat("JWK member is not a string")),
    }
}

/// RFC 7638 thumbprint: base64url of SHA-256 over the key's required members, given here
/// already in their canonical form (lexicographic order, no whitespace), e.g.
/// `{"e":"AQAB","kty":"RSA","n":"…"}`.
pub(crate) fn thumbprint(canonical_members: &str) -> String {
    b64::encode(&Sha256::digest(canonical_members.as_bytes()))
}
