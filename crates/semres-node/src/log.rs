//! The operator's log: one line per request (time, method, route template, status, latency,
//! the caller's key id when it signed, request and response sizes), per sealed block and
//! per housekeeping event — as JSON or as text (`--log-format`). Never a record, a name, a
//! key, a body or a query string (the route template has none).

use std::time::{SystemTime, UNIX_EPOCH};

use semres::hex;
use semres::ledger::Block;
use serde_json::json;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// `key=value` pairs, one line each.
    Text,
}

/// Where the node's log goes (standard error), or nowhere.
#[derive(Debug, Clone, Copy)]
pub struct Logger(Option<LogFormat>);

/// One request, as logged.
pub struct RequestLine<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// The route template (`/api/v1/smers/{hash}`), or `static`.
    pub route: &'a str,
    /// Response status.
    pub status: u16,
    /// Time to the response head, milliseconds.
    pub latency_ms: f64,
    /// The key id the request was signed with, if any.
    pub key_id: Option<&'a str>,
    /// Declared request body size.
    pub bytes_in: Option<u64>,
    /// Declared response body size.
    pub bytes_out: Option<u64>,
}

/// RFC 3339 UTC time of `now` with milliseconds.
fn timestamp() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = i64::try_from(now.as_secs()).unwrap_or(0);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60,
        now.subsec_millis()
    )
}

impl Logger {
    /// No log at all.
    pub fn off() -> Logger {
        Logger(None)
    }

    /// A log in `format` on standard error.
    pub fn new(format: LogFormat) -> Logger {
        Logger(Some(format))
    }

    fn write(&self, fields: serde_json::Value) {
        let Some(format) = self.0 else { return };
        let line = match format {
            LogFormat::Json => fields.to_string(),
            LogFormat::Text => fields
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| match v {
                            serde_json::Value::String(s) => format!("{k}={s}"),
                            other => format!("{k}={other}"),
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default(),
        };
        eprintln!("{line}");
    }

    /// One request.
    pub fn request(&self, r: &RequestLine<'_>) {
        self.write(json!({
            "time": timestamp(), "event": "request", "method": r.method, "route": r.route,
            "status": r.status, "latency_ms": (r.latency_ms * 1000.0).round() / 1000.0,
            "key_id": r.key_id.unwrap_or("-"), "bytes_in": r.bytes_in, "bytes_out": r.bytes_out,
        }));
    }

    /// A sealed block: number, entry kind, entry hash, sealer — no participant's data.
    pub fn block(&self, block: &Block) {
        self.write(json!({
            "time": timestamp(), "event": "block", "number": block.number,
            "kind": block.entry.body().kind_name(), "entry_hash": hex::encode(&block.entry.hash()),
            "sealer": block.sealer(),
        }));
    }

    /// A housekeeping event (expiry, start, shutdown).
    pub fn event(&self, event: &str, detail: &str) {
        self.write(json!({"time": timestamp(), "event": event, "detail": detail}));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_timestamp_is_rfc3339() {
        let t = super::timestamp();
        assert_eq!(t.len(), 24, "{t}");
        assert!(
            t.starts_with("20") && t.ends_with('Z') && t.as_bytes()[10] == b'T',
            "{t}"
        );
    }
}
