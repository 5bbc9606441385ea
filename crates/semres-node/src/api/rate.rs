//! Rate limits: a token bucket per key id (signed requests, and entries by their signer).
//! A bucket holds a tenth of a minute's requests and refills at the configured rate; an
//! empty bucket answers `RateLimited` (429). Buckets live in memory and are forgotten when
//! full again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use semres::Code;

use super::error::{ApiError, ApiResult};

/// Buckets are swept when there are more than this many.
const SWEEP_AT: usize = 10_000;

/// The buckets of one limit.
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// `per_minute` sustained, bursts of a tenth of it (at least 10).
    pub fn per_minute(per_minute: u32) -> Self {
        let per_minute = f64::from(per_minute.max(1));
        RateLimiter {
            per_second: per_minute / 60.0,
            burst: (per_minute / 10.0).max(10.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token from `who`'s bucket.
    pub fn take(&self, who: &str) -> ApiResult<()> {
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() > SWEEP_AT {
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < burst
            });
        }
        let (tokens, at) = buckets.entry(who.to_owned()).or_insert((self.burst, now));
        *tokens =
            (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *tokens < 1.0 {
            return Err(ApiError::new(
                Code::RateLimited,
                "too many requests: slow down and retry",
            ));
        }
        *tokens -= 1.0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_refusal_then_refill() {
        let limiter = RateLimiter::per_minute(600); // 10/s, bursts of 60
        for _ in 0..60 {
            limiter.take("a").unwrap();
        }
        assert_eq!(limiter.take("a").unwrap_err().code(), Code::RateLimited);
        limiter.take("b").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(250));
        limiter.take("a").unwrap();
    }
}
