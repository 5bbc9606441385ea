//! Asking the other members of a consortium for a reader (SPEC §6.7): DERy's SMeRs and the
//! directory's names are kept by the hospital where they were given; a member's node that
//! lacks one asks the others with the reader's own signed request (it names the path, not
//! the host, and each member checks it, its nonce and the reader's rights on the shared
//! ledger itself), marked so that they answer from their own stores only — one hop.

use axum::http::HeaderMap;

use crate::consortium::Engine;

/// The header that marks a request one member's node makes for a reader. Not signed: it
/// can only narrow what the asked node does.
pub(crate) const MEMBER_PULL: &str = "semres-member-pull";

/// Whether this request comes from another member's node on a reader's behalf.
pub(crate) fn from_member(headers: &HeaderMap) -> bool {
    headers.contains_key(MEMBER_PULL)
}

/// `GET target` (path and query as the reader signed them, from `/api/v1`) at `peer`, with
/// the reader's signed-request headers, marked as a member's.
pub(crate) fn get(
    engine: &Engine,
    peer: &str,
    target: &str,
    headers: &HeaderMap,
    timeout: std::time::Duration,
) -> reqwest::RequestBuilder {
    let mut request = engine
        .http()
        .get(format!("{}{target}", peer.trim_end_matches('/')))
        .timeout(timeout);
    for (name, value) in headers {
        if name.as_str().starts_with("semres-") {
            request = request.header(name.as_str(), value.as_bytes());
        }
    }
    request.header(MEMBER_PULL, "1")
}
