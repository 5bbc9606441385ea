//! The canonical binary encoding of ledger v1 (SPEC.md §4.1): big-endian integers and
//! length-prefixed byte strings in a fixed field order — one encoding per value, so hashes
//! and signatures are over exactly what is sent.

use super::error::{LedgerError, LedgerResult};

/// Longest byte string in any field.
pub const MAX_FIELD: usize = 4096;

/// Appends fields.
#[derive(Default)]
pub struct Writer(pub Vec<u8>);

impl Writer {
    /// One byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }
    /// Unsigned 64-bit, big-endian.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    /// Signed 64-bit, two's complement big-endian.
    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    /// Fixed-length bytes, no prefix.
    pub fn fixed(&mut self, v: &[u8]) -> &mut Self {
        self.0.extend_from_slice(v);
        self
    }
    /// u32 big-endian length, then the bytes. The callers' types bound every field far below
    /// 4 GiB (entries and blocks check their fields when they are built), so the length
    /// always fits.
    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        let len = u32::try_from(v.len()).unwrap_or(u32::MAX);
        self.0.extend_from_slice(&len.to_be_bytes());
        self.0.extend_from_slice(v);
        self
    }
    /// A count of at most 255 items as one byte (signatures ≤ 16, authorities ≤ 64: bounded
    /// when an entry is built).
    pub fn count(&mut self, n: usize) -> &mut Self {
        self.u8(u8::try_from(n).unwrap_or(u8::MAX))
    }
    /// A UTF-8 string as [`Writer::bytes`].
    pub fn str(&mut self, v: &str) -> &mut Self {
        self.bytes(v.as_bytes())
    }
}

/// Reads fields strictly: every read is bounds-checked and [`Reader::finish`] refuses
/// trailing bytes.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

const SHORT: LedgerError = LedgerError::Malformed("truncated");

impl<'a> Reader<'a> {
    /// Reads from `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }
    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }
    fn take(&mut self, n: usize) -> LedgerResult<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(SHORT)?;
        let out = self.data.get(self.pos..end).ok_or(SHORT)?;
        self.pos = end;
        Ok(out)
    }
    /// One byte.
    pub fn u8(&mut self) -> LedgerResult<u8> {
        Ok(self.take(1)?[0])
    }
    /// Unsigned 64-bit.
    pub fn u64(&mut self) -> LedgerResult<u64> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(u64::from_be_bytes(b))
    }
    /// Signed 64-bit.
    pub fn i64(&mut self) -> LedgerResult<i64> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(i64::from_be_bytes(b))
    }
    /// Fixed-length bytes.
    pub fn fixed<const N: usize>(&mut self) -> LedgerResult<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    /// Length-prefixed bytes of at most `max`.
    pub fn bytes_max(&mut self, max: usize) -> LedgerResult<&'a [u8]> {
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4)?);
        let len = u32::from_be_bytes(b) as usize;
        if len > max {
            return Err(LedgerError::Malformed("field too long"));
        }
        self.take(len)
    }
    /// Length-prefixed bytes of at most [`MAX_FIELD`].
    pub fn bytes(&mut self) -> LedgerResult<&'a [u8]> {
        self.bytes_max(MAX_FIELD)
    }
    /// A UTF-8 string.
    pub fn str(&mut self) -> LedgerResult<String> {
        let b = self.bytes()?;
        core::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| LedgerError::Malformed("string is not UTF-8"))
    }
    /// Refuses trailing bytes.
    pub fn finish(&self) -> LedgerResult<()> {
        if self.pos == self.data.len() {
            Ok(())
        } else {
            Err(LedgerError::Malformed("trailing bytes"))
        }
    }
}
