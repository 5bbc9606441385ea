//! PEM (RFC 7468) as the key readers need it: the label of a document's first block, which
//! says what the document holds. Decoding itself is the `der`/`pkcs8` crates'.

/// The PEM label of the first block of `text`, if any.
pub(crate) fn label(text: &str) -> Option<&str> {
    let start = text.find("-----BEGIN ")? + "-----BEGIN ".len();
    let rest = &text[start..];
    let end = rest.find("-----")?;
    Some(&rest[..end])
}
