//! Chain files (SPEC.md §4.6): the auditor's offline copy of a chain — each block's encoding
//! preceded by its length as a 4-byte big-endian integer, in order. Read and written here.

use super::block::{Block, MAX_BLOCK_BYTES};
use super::error::LedgerError;
use super::state::ChainError;

/// Splits a chain file into its blocks. A failure names the index of the block whose
/// framing or encoding is bad.
pub fn read(file: &[u8]) -> Result<Vec<Block>, ChainError> {
    let mut blocks = Vec::new();
    let mut rest = file;
    while !rest.is_empty() {
        let index = u64::try_from(blocks.len()).unwrap_or(u64::MAX);
        let fail = |error| ChainError { index, error };
        let malformed = || fail(LedgerError::Malformed("chain file framing"));
        let (len, tail) = rest.split_first_chunk::<4>().ok_or_else(malformed)?;
        let len = usize::try_from(u32::from_be_bytes(*len)).map_err(|_| malformed())?;
        if len > MAX_BLOCK_BYTES {
            return Err(fail(LedgerError::Malformed("block too large")));
        }
        let (body, tail) = tail.split_at_checked(len).ok_or_else(malformed)?;
        blocks.push(Block::from_bytes(body).map_err(fail)?);
        rest = tail;
    }
    Ok(blocks)
}

/// Appends one block's framing and encoding to a chain file being written.
pub fn push(file: &mut Vec<u8>, block_bytes: &[u8]) -> Result<(), LedgerError> {
    if block_bytes.len() > MAX_BLOCK_BYTES {
        return Err(LedgerError::Malformed("block too large"));
    }
    let len =
        u32::try_from(block_bytes.len()).map_err(|_| LedgerError::Malformed("block too large"))?;
    file.extend_from_slice(&len.to_be_bytes());
    file.extend_from_slice(block_bytes);
    Ok(())
}

/// Writes a chain file of `blocks`.
pub fn write(blocks: &[Block]) -> Result<Vec<u8>, LedgerError> {
    let mut file = Vec::new();
    for block in blocks {
        push(&mut file, &block.to_bytes())?;
    }
    Ok(file)
}
