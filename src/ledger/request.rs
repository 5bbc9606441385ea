//! Signed requests to the endpoint (SPEC.md §5.1), version 2: what a participant signs to
//! read or store SMeRs in DERy, set a directory name, or read its own views — the method,
//! the request target as sent (path and encoded query), the time, a nonce, and the SHA-256
//! of the body — written by the browser's worker and the CLI, read by every node, here in
//! one place.
//!
//! The core checks a request's form, time window and signature; the node, which alone
//! knows who is registered and which nonces it has seen, supplies the key and the replay
//! check.

use sha2::{Digest, Sha256};

use crate::codes::Code;
use crate::encoding::{b64, hex};
use crate::identity::signing::{SigningPrivateKey, SigningPublicKey};

/// How far a signed request's time may be from the endpoint's clock, seconds.
pub const REQUEST_WINDOW: i64 = 300;
/// Domain separation of the signed bytes.
const REQUEST_DOMAIN: &str = "SEMRES request v2\0";
/// Shortest and longest nonce (base64url characters: 12 and 48 bytes).
const NONCE_CHARS: core::ops::RangeInclusive<usize> = 16..=64;

/// Header carrying the caller's key id.
pub const HEADER_KEY_ID: &str = "Semres-Key-Id";
/// Header carrying the caller's clock, Unix seconds, decimal.
pub const HEADER_TIME: &str = "Semres-Time";
/// Header carrying the single-use nonce, base64url.
pub const HEADER_NONCE: &str = "Semres-Nonce";
/// Header carrying the SHA-256 of the request body, lower-case hex (of the empty body for a
/// request without one). Its absence marks a version 1 client.
pub const HEADER_CONTENT_SHA256: &str = "Semres-Content-SHA256";
/// Header carrying the Ed25519 signature, base64url.
pub const HEADER_SIGNATURE: &str = "Semres-Signature";

/// Why a signed request is refused. Every variant is answered with HTTP 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestError {
    /// A header is missing or malformed (the detail is a fixed sentence).
    Unauthenticated(&'static str),
    /// The time is outside the window around the endpoint's clock.
    Stale,
    /// The signature does not verify under the caller's key.
    BadSignature,
    /// A version 1 request (no body hash): refused, the client must be updated.
    Outdated,
}

impl RequestError {
    /// The stable code.
    pub fn code(&self) -> Code {
        match self {
            RequestError::Unauthenticated(_) => Code::Unauthenticated,
            RequestError::Stale => Code::StaleRequest,
            RequestError::BadSignature => Code::BadSignature,
            RequestError::Outdated => Code::UnsupportedVersion,
        }
    }
}

impl core::fmt::Display for RequestError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            RequestError::Unauthenticated(why) => f.write_str(why),
            RequestError::Stale => f.write_str("the request's time is too far from the server's"),
            RequestError::BadSignature => f.write_str("the request signature does not verify"),
            RequestError::Outdated => f.write_str(
                "signed requests of version 1 (without Semres-Content-SHA256) are no longer accepted: update the client",
            ),
        }
    }
}

impl std::error::Error for RequestError {}

/// The bytes a client signs: a domain separator, then method, request target (path and
/// query exactly as sent, percent-encoding included), time, nonce and the body's SHA-256
/// (hex), each on its own line.
pub fn signing_bytes(
    method: &str,
    target: &str,
    time: i64,
    nonce: &str,
    content_sha256: &[u8; 32],
) -> Vec<u8> {
    let content = hex::encode(content_sha256);
    format!("{REQUEST_DOMAIN}{method}\n{target}\n{time}\n{nonce}\n{content}").into_bytes()
}

/// SHA-256 of a request body (of the empty body when there is none).
pub fn content_sha256(body: &[u8]) -> [u8; 32] {
    Sha256::digest(body).into()
}

/// The four headers of a signed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// The caller's key id.
    pub key_id: String,
    /// The caller's clock, Unix seconds.
    pub time: i64,
    /// The nonce, base64url as sent.
    pub nonce: String,
    /// SHA-256 of the body the request carries.
    pub content_sha256: [u8; 32],
    /// The Ed25519 signature.
    pub signature: Vec<u8>,
}

impl SignedRequest {
    /// Signs `method target` carrying a body whose SHA-256 is `content_sha256` (see
    /// [`content_sha256`]), at `time`, with `nonce` (12–48 random bytes, the caller's).
    pub fn sign(
        key: &SigningPrivateKey,
        method: &str,
        target: &str,
        time: i64,
        nonce: &[u8],
        content_sha256: [u8; 32],
    ) -> SignedRequest {
        let nonce = b64::encode(nonce);
        let signature = key
            .sign(&signing_bytes(
                method,
                target,
                time,
                &nonce,
                &content_sha256,
            ))
            .to_vec();
        SignedRequest {
            key_id: key.key_id().to_owned(),
            time,
            nonce,
            content_sha256,
            signature,
        }
    }

    /// The headers to send, as (name, value).
    pub fn headers(&self) -> [(&'static str, String); 5] {
        [
            (HEADER_KEY_ID, self.key_id.clone()),
            (HEADER_TIME, self.time.to_string()),
            (HEADER_NONCE, self.nonce.clone()),
            (HEADER_CONTENT_SHA256, hex::encode(&self.content_sha256)),
            (HEADER_SIGNATURE, b64::encode(&self.signature)),
        ]
    }

    /// Reads the headers (`header(name)` gives a header's value; names are matched without
    /// regard to case by the caller's HTTP library). Checks their form only.
    pub fn from_headers<'a>(
        header: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<SignedRequest, RequestError> {
        let (Some(key_id), Some(time), Some(nonce), Some(signature)) = (
            header(HEADER_KEY_ID),
            header(HEADER_TIME),
            header(HEADER_NONCE),
            header(HEADER_SIGNATURE),
        ) else {
            return Err(RequestError::Unauthenticated(
                "sign the request: Semres-Key-Id, Semres-Time, Semres-Nonce, Semres-Signature",
            ));
        };
        let time = time
            .parse()
            .map_err(|_| RequestError::Unauthenticated("Semres-Time is not an integer"))?;
        if !NONCE_CHARS.contains(&nonce.len()) || b64::decode(nonce).is_none() {
            return Err(RequestError::Unauthenticated(
                "Semres-Nonce must be 12-48 random bytes, base64url",
            ));
        }
        let signature = b64::decode(signature).ok_or(RequestError::Unauthenticated(
            "Semres-Signature is not base64url",
        ))?;
        let content_sha256 = header(HEADER_CONTENT_SHA256).ok_or(RequestError::Outdated)?;
        let content_sha256 = hex::decode_array(content_sha256).ok_or(
            RequestError::Unauthenticated("Semres-Content-SHA256 is not 64 lower-case hex digits"),
        )?;
        Ok(SignedRequest {
            key_id: key_id.to_owned(),
            time,
            nonce: nonce.to_owned(),
            content_sha256,
            signature,
        })
    }

    /// Refuses a time more than [`REQUEST_WINDOW`] seconds from `now` (checked arithmetic:
    /// no time, however far, wraps into the window).
    pub fn check_time(&self, now: i64) -> Result<(), RequestError> {
        match now.checked_sub(self.time) {
            Some(skew) if skew.checked_abs().is_some_and(|s| s <= REQUEST_WINDOW) => Ok(()),
            _ => Err(RequestError::Stale),
        }
    }

    /// Verifies the signature under the caller's registered key for `method target`.
    pub fn verify(
        &self,
        key: &SigningPublicKey,
        method: &str,
        target: &str,
    ) -> Result<(), RequestError> {
        if key.key_id() != self.key_id {
            return Err(RequestError::BadSignature);
        }
        key.verify(
            &signing_bytes(method, target, self.time, &self.nonce, &self.content_sha256),
            &self.signature,
        )
        .map_err(|_| RequestError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn signed() -> (SigningPrivateKey, SignedRequest) {
        let key = SigningPrivateKey::generate(&mut ChaCha20Rng::seed_from_u64(1)).unwrap();
        let request = SignedRequest::sign(
            &key,
            "GET",
            "/api/v1/smers/ab?x=1",
            1000,
            &[7; 18],
            content_sha256(b""),
        );
        (key, request)
    }

    #[test]
    fn round_trip_through_headers() {
        let (key, request) = signed();
        let headers = request.headers();
        let read = SignedRequest::from_headers(|name| {
            headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        })
        .unwrap();
        assert_eq!(read, request);
        read.verify(key.public_key(), "GET", "/api/v1/smers/ab?x=1")
            .unwrap();
        assert_eq!(
            read.verify(key.public_key(), "PUT", "/api/v1/smers/ab?x=1"),
            Err(RequestError::BadSignature)
        );
        assert_eq!(
            read.verify(key.public_key(), "GET", "/api/v1/smers/ab?x=2"),
            Err(RequestError::BadSignature)
        );
        let mut other_body = read.clone();
        other_body.content_sha256 = content_sha256(b"{}");
        assert_eq!(
            other_body.verify(key.public_key(), "GET", "/api/v1/smers/ab?x=1"),
            Err(RequestError::BadSignature)
        );
        // A version 1 client sends no body hash.
        let v1 = SignedRequest::from_headers(|name| {
            headers
                .iter()
                .filter(|(n, _)| *n != HEADER_CONTENT_SHA256)
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        });
        assert_eq!(v1, Err(RequestError::Outdated));
    }

    #[test]
    fn time_window_uses_checked_arithmetic() {
        let (_, mut request) = signed();
        assert!(request.check_time(1000 + REQUEST_WINDOW).is_ok());
        assert!(request.check_time(1000 - REQUEST_WINDOW).is_ok());
        assert_eq!(
            request.check_time(1001 + REQUEST_WINDOW),
            Err(RequestError::Stale)
        );
        for time in [i64::MIN, i64::MIN + 1, i64::MAX, 1000 - (1 << 62)] {
            request.time = time;
            for now in [0, 1000, i64::MAX, i64::MIN] {
                let far = (i128::from(now) - i128::from(time)).abs() > i128::from(REQUEST_WINDOW);
                let expected = if far {
                    Err(RequestError::Stale)
                } else {
                    Ok(())
                };
                assert_eq!(request.check_time(now), expected, "{time} {now}");
            }
        }
    }

    #[test]
    fn malformed_headers_are_unauthenticated() {
        let (_, request) = signed();
        let headers = request.headers();
        for (broken, value) in [
            (HEADER_TIME, "soon"),
            (HEADER_NONCE, "short"),
            (HEADER_NONCE, "not base64url!!!!!!!!"),
            (HEADER_SIGNATURE, "+/"),
            (HEADER_CONTENT_SHA256, "AB"),
        ] {
            let got = SignedRequest::from_headers(|name| {
                if name == broken {
                    Some(value)
                } else {
                    headers
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map(|(_, v)| v.as_str())
                }
            });
            assert!(
                matches!(got, Err(RequestError::Unauthenticated(_))),
                "{broken}"
            );
        }
        assert!(matches!(
            SignedRequest::from_headers(|_| None),
            Err(RequestError::Unauthenticated(_))
        ));
    }
}
