//! A SMeR checked as it arrives (SPEC.md §2.4 steps 1–8), in memory bounded by the limits
//! whatever its size: DERy checks an upload while writing it to disk.
//!
//! Everything but the top-level `ciphertext` member is kept (at most the header, recipient
//! and fixed allowances of [`Limits::max_smer_bytes`]); the ciphertext's characters are
//! checked as canonical base64url and counted as they pass, and replaced by `""` in the
//! kept skeleton. [`SmerStream::finish`] then parses the skeleton with the same code as
//! [`ParsedSmer::parse`], so both readers refuse exactly the same documents with the same
//! codes.

use super::{CiphertextSpan, Limits, ParsedSmer, Recipient, SmerHeader};
use crate::ceda::content::ContentEncryption;
use crate::encoding::b64;
use crate::error::{Error, Result};

/// Longest top-level member name whose value we look at (longer ones are just kept).
const MAX_KEY: usize = 64;
/// Deepest nesting we follow (serde_json refuses deeper documents anyway).
const MAX_DEPTH: usize = 128;

/// What the stream of ciphertext characters looked like.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct StreamedCiphertext {
    /// Characters seen (after JSON unescaping).
    pub(super) chars: u64,
    /// Every character was in the base64url alphabet and the unused bits of the last were 0.
    pub(super) canonical: bool,
}

impl StreamedCiphertext {
    /// The decoded length, when canonical.
    pub(super) fn decoded_len(&self) -> Option<u64> {
        let (full, rest) = (self.chars / 4, self.chars % 4);
        let tail = match rest {
            0 => 0,
            2 => 1,
            3 => 2,
            _ => return None,
        };
        (full.checked_mul(3)?).checked_add(tail)
    }
}

/// What a streamed check found: everything of the SMeR but its ciphertext.
#[derive(Debug, Clone)]
pub struct SmerOutline {
    /// The declared content encryption.
    pub enc: ContentEncryption,
    /// The (not yet authenticated) header.
    pub header: SmerHeader,
    /// The recipients' key ids, in document order (`None` for a recipient without `kid`).
    pub recipient_key_ids: Vec<Option<String>>,
    /// Length of the encrypted record, bytes.
    pub ciphertext_len: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Outside any string.
    Structure,
    /// Inside a string that is kept (a key or a value).
    KeptString { escape: bool },
    /// Inside the top-level ciphertext string.
    Ciphertext,
    /// Inside an escape of the ciphertext string: the bytes after the backslash so far.
    CiphertextEscape,
}

/// A SMeR checked piece by piece.
pub struct SmerStream {
    limits: Limits,
    max_skeleton: usize,
    total: u64,
    skeleton: Vec<u8>,
    mode: Mode,
    /// Open containers: `b'{'` or `b'['`.
    stack: Vec<u8>,
    /// In the top-level object: a member name is expected next.
    expect_key: bool,
    /// The raw bytes of the top-level member name being read (with its quotes).
    key: Option<Vec<u8>>,
    /// The last top-level member name was "ciphertext"; its value is next.
    ciphertext_next: bool,
    escape: Vec<u8>,
    ciphertext: StreamedCiphertext,
    last_char: Option<u8>,
    /// UTF-8 inside the ciphertext string: continuation bytes still expected, and the range
    /// the next one must be in.
    utf8_pending: u8,
    utf8_next: (u8, u8),
    /// A `\\uD800`–`\\uDBFF` escape was read: a low surrogate escape must follow.
    high_surrogate: bool,
    /// The JSON is broken in a way the skeleton parser would not see (a bad escape in the
    /// ciphertext).
    broken: bool,
    /// Offset in the document of the byte being read in `Mode::Structure`.
    at: u64,
    /// Where the (last) top-level ciphertext string's text lies in the document: the
    /// offset of its first character and the offset of its closing quote.
    ciphertext_start: Option<u64>,
    ciphertext_end: Option<u64>,
    /// The ciphertext string holds a JSON escape (its text is not its value).
    ciphertext_escaped: bool,
}

/// Value (0–63) of a base64url character.
fn b64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    }
}

impl SmerStream {
    /// A new check under `limits`.
    pub fn new(limits: &Limits) -> Self {
        SmerStream {
            limits: *limits,
            max_skeleton: limits.max_outline_bytes(),
            total: 0,
            skeleton: Vec::new(),
            mode: Mode::Structure,
            stack: Vec::new(),
            expect_key: false,
            key: None,
            ciphertext_next: false,
            escape: Vec::new(),
            ciphertext: StreamedCiphertext {
                chars: 0,
                canonical: true,
            },
            last_char: None,
            utf8_pending: 0,
            utf8_next: (0x80, 0xbf),
            high_surrogate: false,
            broken: false,
            at: 0,
            ciphertext_start: None,
            ciphertext_end: None,
            ciphertext_escaped: false,
        }
    }

    fn keep(&mut self, byte: u8) -> Result<()> {
        if self.skeleton.len() >= self.max_skeleton {
            return Err(Error::TooLarge {
                what: "SMeR headers and recipients",
                limit: self.max_skeleton,
            });
        }
        self.skeleton.push(byte);
        if let Some(key) = &mut self.key {
            if key.len() <= MAX_KEY {
                key.push(byte);
            }
        }
        Ok(())
    }

    /// A raw byte of the ciphertext string: JSON allows no control character in a string,
    /// and the document must be UTF-8 (as `serde_json` requires); anything that is not
    /// ASCII is outside the base64url alphabet anyway.
    fn ciphertext_byte(&mut self, c: u8) {
        if self.high_surrogate {
            self.broken = true;
            self.high_surrogate = false;
        }
        if self.utf8_pending > 0 {
            let (low, high) = self.utf8_next;
            if !(low..=high).contains(&c) {
                self.broken = true;
            }
            self.utf8_pending -= 1;
            self.utf8_next = (0x80, 0xbf);
            return;
        }
        let (pending, next) = match c {
            0x00..=0x1f => {
                self.broken = true;
                (0, (0x80, 0xbf))
            }
            0x20..=0x7f => return self.ciphertext_char(c),
            0xc2..=0xdf => (1, (0x80, 0xbf)),
            0xe0 => (2, (0xa0, 0xbf)),
            0xe1..=0xec | 0xee..=0xef => (2, (0x80, 0xbf)),
            0xed => (2, (0x80, 0x9f)),
            0xf0 => (3, (0x90, 0xbf)),
            0xf1..=0xf3 => (3, (0x80, 0xbf)),
            0xf4 => (3, (0x80, 0x8f)),
            _ => {
                self.broken = true;
                (0, (0x80, 0xbf))
            }
        };
        self.utf8_pending = pending;
        self.utf8_next = next;
        // One character outside the alphabet.
        self.ciphertext_char(b'"');
    }

    fn ciphertext_char(&mut self, c: u8) {
        self.ciphertext.chars = self.ciphertext.chars.saturating_add(1);
        if b64_value(c).is_none() {
            self.ciphertext.canonical = false;
        }
        self.last_char = Some(c);
    }

    /// Ends the ciphertext string: the unused low bits of its last character must be zero.
    fn end_ciphertext(&mut self) {
        let unused_mask = match self.ciphertext.chars % 4 {
            2 => 0b1111,
            3 => 0b11,
            0 => 0,
            _ => {
                self.ciphertext.canonical = false;
                0
            }
        };
        if let Some(v) = self.last_char.and_then(b64_value) {
            if v & unused_mask != 0 {
                self.ciphertext.canonical = false;
            }
        }
    }

    /// An escape inside the ciphertext (`\uXXXX` decodes to a character as JSON says; none
    /// of the others is in the base64url alphabet).
    fn ciphertext_escape(&mut self, byte: u8) {
        self.escape.push(byte);
        let first = self.escape[0];
        if first != b'u' {
            if self.high_surrogate {
                self.broken = true;
                self.high_surrogate = false;
            }
            if !matches!(
                first,
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't'
            ) {
                self.broken = true;
            }
            // A valid escape, but of a character outside the alphabet.
            self.ciphertext_char(b'"');
            self.escape.clear();
            self.mode = Mode::Ciphertext;
            return;
        }
        if self.escape.len() < 5 {
            return;
        }
        let code = std::str::from_utf8(&self.escape[1..])
            .ok()
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|h| u32::from_str_radix(h, 16).ok());
        // JSON text is Unicode: a high surrogate escape must be followed by a low one.
        let low = code.is_some_and(|c| (0xdc00..=0xdfff).contains(&c));
        if low != self.high_surrogate {
            self.broken = true;
        }
        self.high_surrogate = code.is_some_and(|c| (0xd800..=0xdbff).contains(&c));
        match code {
            // An ASCII character: check it as itself.
            Some(c) if c < 0x80 => self.ciphertext_char(u8::try_from(c).unwrap_or(b'"')),
            // Any other code point (or half of a surrogate pair) is outside the alphabet.
            Some(_) => self.ciphertext_char(b'"'),
            None => {
                self.broken = true;
                self.ciphertext_char(b'"');
            }
        }
        self.escape.clear();
        self.mode = Mode::Ciphertext;
    }

    /// Feeds the next bytes of the SMeR. Refuses (`TooLarge`) at once when the document or
    /// the part of it that is kept grows over the limits.
    pub fn update(&mut self, bytes: &[u8]) -> Result<()> {
        let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        self.total = self.total.saturating_add(len);
        let max = self.limits.max_smer_bytes();
        if self.total > u64::try_from(max).unwrap_or(u64::MAX) {
            return Err(Error::TooLarge {
                what: "SMeR",
                limit: max,
            });
        }
        let base = self.total.saturating_sub(len);
        let mut i = 0;
        while let Some(&byte) = bytes.get(i) {
            match self.mode {
                // The common case, a run of base64url characters: counted in one go (what
                // `ciphertext_byte` does for each of them).
                Mode::Ciphertext
                    if self.utf8_pending == 0
                        && !self.high_surrogate
                        && b64_value(byte).is_some() =>
                {
                    let run = b64::public_run_len(bytes.get(i..).unwrap_or_default());
                    let run_u64 = u64::try_from(run).unwrap_or(u64::MAX);
                    self.ciphertext.chars = self.ciphertext.chars.saturating_add(run_u64);
                    i += run;
                    self.last_char = bytes.get(i.wrapping_sub(1)).copied();
                    continue;
                }
                Mode::Ciphertext if self.utf8_pending > 0 => self.ciphertext_byte(byte),
                Mode::Ciphertext => match byte {
                    b'"' => {
                        if self.high_surrogate {
                            self.broken = true;
                        }
                        self.end_ciphertext();
                        self.ciphertext_end = Some(base.saturating_add(offset(i)));
                        self.mode = Mode::Structure;
                        self.keep(b'"')?;
                    }
                    b'\\' => {
                        self.ciphertext_escaped = true;
                        self.mode = Mode::CiphertextEscape;
                    }
                    c => self.ciphertext_byte(c),
                },
                Mode::CiphertextEscape => self.ciphertext_escape(byte),
                Mode::KeptString { escape } => {
                    self.keep(byte)?;
                    self.mode = match (escape, byte) {
                        (true, _) => Mode::KeptString { escape: false },
                        (false, b'\\') => Mode::KeptString { escape: true },
                        (false, b'"') => {
                            self.string_ended();
                            Mode::Structure
                        }
                        _ => Mode::KeptString { escape: false },
                    };
                }
                Mode::Structure => {
                    self.at = base.saturating_add(offset(i));
                    self.structure(byte)?;
                }
            }
            i += 1;
        }
        Ok(())
    }

    fn top_level_object(&self) -> bool {
        self.stack.len() == 1 && self.stack.first() == Some(&b'{')
    }

    fn string_ended(&mut self) {
        if let Some(key) = self.key.take() {
            let name: Option<String> = serde_json::from_slice(&key).ok();
            self.ciphertext_next = name.as_deref() == Some("ciphertext");
            self.expect_key = false;
        }
    }

    fn structure(&mut self, byte: u8) -> Result<()> {
        // The value after a top-level "ciphertext" name is the next token but blanks and ':'.
        if !matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | b':' | b'"') {
            self.ciphertext_next = false;
        }
        match byte {
            b'"' => {
                if self.top_level_object() && self.expect_key {
                    self.key = Some(Vec::new());
                } else if self.top_level_object() && self.ciphertext_next {
                    // The ciphertext's value: kept as "", its characters only counted.
                    self.ciphertext_next = false;
                    self.ciphertext_start = Some(self.at.saturating_add(1));
                    self.ciphertext_end = None;
                    self.keep(b'"')?;
                    self.mode = Mode::Ciphertext;
                    return Ok(());
                }
                self.keep(b'"')?;
                self.mode = Mode::KeptString { escape: false };
                return Ok(());
            }
            b'{' | b'[' => {
                if self.stack.len() >= MAX_DEPTH {
                    self.broken = true;
                } else {
                    self.stack.push(byte);
                }
                self.expect_key = self.top_level_object() && byte == b'{';
            }
            b'}' | b']' => {
                self.stack.pop();
            }
            b',' => self.expect_key = self.top_level_object(),
            _ => {}
        }
        self.keep(byte)
    }

    /// Bytes seen so far.
    pub fn len(&self) -> u64 {
        self.total
    }

    /// True before any byte was seen.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The whole SMeR has been fed: checks it as [`ParsedSmer::parse`] would (same errors,
    /// same order) and returns its outline.
    pub fn finish(self) -> Result<SmerOutline> {
        let (parsed, ciphertext_len, _) = self.parse_skeleton()?;
        Ok(SmerOutline {
            enc: parsed.enc,
            recipient_key_ids: parsed
                .recipients
                .iter()
                .map(|r: &Recipient| r.key_id.clone())
                .collect(),
            header: parsed.header,
            ciphertext_len,
        })
    }

    /// The whole SMeR has been fed, by a reader that holds the document elsewhere: checks it
    /// as [`ParsedSmer::parse_leaving_ciphertext`] would (same errors, same order) and
    /// returns what that returns — the ciphertext left in the document, at
    /// [`ParsedSmer::ciphertext_span`] — without ever holding more than its skeleton. A
    /// ciphertext written with JSON escapes has no span that decodes to it: then `None`,
    /// and the caller parses the whole document.
    pub fn finish_leaving_ciphertext(self) -> Result<Option<ParsedSmer>> {
        // Offsets are below the document's length, which `update` bounds by this.
        let limit = self.limits.max_smer_bytes();
        let (mut parsed, ciphertext_len, span) = self.parse_skeleton()?;
        let Some((start, end)) = span else {
            return Ok(None);
        };
        let to_usize = |n: u64| {
            usize::try_from(n).map_err(|_| Error::TooLarge {
                what: "SMeR",
                limit,
            })
        };
        parsed.outside = Some(CiphertextSpan {
            start: to_usize(start)?,
            end: to_usize(end)?,
            decoded_len: to_usize(ciphertext_len)?,
        });
        Ok(Some(parsed))
    }

    /// The skeleton parsed as [`ParsedSmer::parse`] parses a document; the ciphertext's
    /// length, and where its text lies when it has no escapes.
    fn parse_skeleton(self) -> Result<(ParsedSmer, u64, Option<TextAt>)> {
        if self.broken || self.mode != Mode::Structure {
            return Err(Error::MalformedSmer(
                "not a JWE JSON General Serialization object",
            ));
        }
        let (parsed, ciphertext_len) = ParsedSmer::parse_inner(
            &self.skeleton,
            &self.limits,
            super::CiphertextMode::Streamed(self.ciphertext),
        )?;
        let span = match (self.ciphertext_start, self.ciphertext_end) {
            (Some(start), Some(end)) if !self.ciphertext_escaped && start <= end => {
                Some((start, end))
            }
            _ => None,
        };
        Ok((parsed, ciphertext_len, span))
    }
}

/// Where the ciphertext's text lies in the document: (first character, closing quote).
type TextAt = (u64, u64);

/// A slice index as a document offset.
fn offset(i: usize) -> u64 {
    u64::try_from(i).unwrap_or(u64::MAX)
}
