//! What the pure core leaves to its callers: the system clock and the operating system's
//! random numbers, in one place for the node, the CLI and the tools.

use getrandom::SysRng;

/// The system clock, Unix seconds (0 if the clock is before 1970).
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .unwrap_or(0)
}

/// 16 random bytes for a ledger entry's nonce.
pub fn nonce() -> Result<[u8; 16], semres::Error> {
    let mut n = [0u8; 16];
    rand_core::TryRng::try_fill_bytes(&mut SysRng, &mut n)
        .map_err(|_| semres::Error::RandomnessUnavailable)?;
    Ok(n)
}
