//! The .NET `<RSAKeyValue>` XML key format of the paper's system (paper Fig. 10, written by
//! `RSACryptoServiceProvider.ToXmlString`): `Modulus`, `Exponent` and, for a private key,
//! `P`, `Q`, `DP`, `DQ`, `InverseQ`, `D`, each standard base64 (RFC 4648 §4) of a big-endian
//! unsigned integer. Whitespace inside values is tolerated on reading (the paper's figure
//! wraps them); we write no whitespace, and pad the private parameters to the lengths .NET
//! requires on import (`D` as long as the modulus; `P`, `Q`, `DP`, `DQ`, `InverseQ` half).

use base64ct::{Base64, Encoding};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The element names, in the order .NET writes them.
pub(crate) const ELEMENTS: [&str; 8] =
    ["Modulus", "Exponent", "P", "Q", "DP", "DQ", "InverseQ", "D"];

/// The values found, in [`ELEMENTS`] order; secrets are wiped on drop.
pub(crate) type XmlParts = [Option<Zeroizing<Vec<u8>>>; 8];

/// True when `text` looks like a .NET RSA key.
pub(crate) fn looks_like(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with("<RSAKeyValue") || (t.starts_with("<?xml") && t.contains("<RSAKeyValue"))
}

/// Parses `<RSAKeyValue>…</RSAKeyValue>`: each known element at most once, nothing else.
pub(crate) fn parse(text: &str) -> Result<XmlParts> {
    let bad = |why| Error::KeyFormat(why);
    let mut rest = text.trim();
    if rest.starts_with("<?xml") {
        let end = rest.find("?>").ok_or(bad("unterminated XML declaration"))?;
        rest = rest[end + 2..].trim_start();
    }
    rest = rest
        .strip_prefix("<RSAKeyValue>")
        .ok_or(bad("not an <RSAKeyValue> document"))?;
    rest = rest
        .trim_end()
        .strip_suffix("</RSAKeyValue>")
        .ok_or(bad("<RSAKeyValue> is not closed"))?;
    let mut parts: XmlParts = Default::default();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let open_end = rest.find('>').ok_or(bad("malformed XML element"))?;
        let name = rest
            .strip_prefix('<')
            .map(|r| &r[..open_end - 1])
            .ok_or(bad("malformed XML element"))?;
        let index = ELEMENTS
            .iter()
            .position(|e| *e == name)
            .ok_or(bad("unknown element in <RSAKeyValue>"))?;
        let close = format!("</{name}>");
        let body_end = rest
            .find(&close)
            .ok_or(bad("unclosed element in <RSAKeyValue>"))?;
        let body: String = rest[open_end + 1..body_end]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let body = Zeroizing::new(body);
        let value = Base64::decode_vec(&body).map_err(|_| bad("element value is not base64"))?;
        if value.is_empty() {
            return Err(bad("empty element in <RSAKeyValue>"));
        }
        if parts[index].replace(Zeroizing::new(value)).is_some() {
            return Err(bad("duplicate element in <RSAKeyValue>"));
        }
        rest = &rest[body_end + close.len()..];
    }
    Ok(parts)
}

/// Writes `<RSAKeyValue>` with the given values (in [`ELEMENTS`] order; 2 for a public key,
/// 8 for a private key), left-padding private values to the lengths .NET expects.
pub(crate) fn write(values: &[&[u8]], modulus_len: usize) -> Zeroizing<String> {
    let half = modulus_len.div_ceil(2);
    let mut out = Zeroizing::new(String::from("<RSAKeyValue>"));
    for (name, value) in ELEMENTS.iter().zip(values) {
        let width = match *name {
            "Modulus" | "Exponent" => 0,
            "D" => modulus_len,
            _ => half,
        };
        let mut padded = Zeroizing::new(vec![0u8; width.saturating_sub(value.len())]);
        padded.extend_from_slice(value);
        out.push('<');
        out.push_str(name);
        out.push('>');
        out.push_str(&Base64::encode_string(&padded));
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }
    out.push_str("</RSAKeyValue>");
    out
}
