//! The inbound webhook's checks that need no body (issue 19, finding 11): the headers are judged
//! before a single body byte is read, so an unauthenticated caller never makes the server buffer
//! a message. The HMAC itself covers `timestamp.body` and is checked after the body was read
//! (`App::verify_webhook`).

use super::mailboxes::{WebhookError, WEBHOOK_TOLERANCE_MS};
use super::*;
use crate::store::Mailbox;

/// The three webhook headers, as sent.
#[derive(Debug, Clone, Copy)]
pub struct WebhookHeaders<'a> {
    pub mailbox: &'a str,
    pub timestamp: &'a str,
    pub signature: &'a str,
}

/// `X-Sequencer-Timestamp` (unix seconds) in milliseconds, when it is within the tolerance of
/// `now`. Every step is checked arithmetic: `i64::MAX`, negative or unparsable values are stale,
/// never an overflow.
pub fn fresh_timestamp_ms(timestamp: &str, now: Millis) -> Option<Millis> {
    let secs: i64 = timestamp.trim().parse().ok()?;
    let ms = secs.checked_mul(1000)?;
    let skew = now.checked_sub(ms)?.checked_abs()?;
    (skew <= WEBHOOK_TOLERANCE_MS).then_some(ms)
}

/// `sha256=` followed by exactly 64 hex digits.
pub fn well_formed_signature(signature: &str) -> bool {
    signature
        .trim()
        .strip_prefix("sha256=")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl App {
    /// Judges a delivery by its headers alone and returns the mailbox it is for. A stale or
    /// malformed timestamp is `StaleTimestamp` (decided before the mailbox is looked up, so it
    /// says nothing about which mailboxes exist). An unknown mailbox and a missing or malformed
    /// signature are both `InvalidSignature`, after the same single lookup, so the answers are
    /// the same in status, body and time.
    pub async fn webhook_precheck(
        &self,
        h: WebhookHeaders<'_>,
    ) -> std::result::Result<Mailbox, WebhookError> {
        fresh_timestamp_ms(h.timestamp, self.now()).ok_or(WebhookError::StaleTimestamp)?;
        // A malformed id looks up id 0, which never exists: the same work as an unknown one.
        let id = h.mailbox.trim().parse::<i64>().unwrap_or(0);
        let mb = self.store.mailbox(id).await?;
        match mb {
            Some(mb) if well_formed_signature(h.signature) => Ok(mb),
            _ => Err(WebhookError::InvalidSignature),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_checked_without_overflow() {
        let now: Millis = 1_795_770_000_000;
        let secs = now / 1000;
        let cases: &[(String, bool)] = &[
            (secs.to_string(), true),
            ((secs - 300).to_string(), true),
            ((secs + 300).to_string(), true),
            ((secs - 301).to_string(), false),
            ((secs + 301).to_string(), false),
            (i64::MAX.to_string(), false),
            (i64::MIN.to_string(), false),
            ((i64::MAX / 1000).to_string(), false),
            ((i64::MIN / 1000).to_string(), false),
            ("-1".into(), false),
            ("0".into(), false),
            ("99999999999999999999999".into(), false),
            ("".into(), false),
            ("1e9".into(), false),
            (" 1795770000 ".into(), true),
        ];
        for (ts, ok) in cases {
            assert_eq!(fresh_timestamp_ms(ts, now).is_some(), *ok, "{ts:?}");
        }
        // Extreme clocks as well.
        assert!(fresh_timestamp_ms(&i64::MIN.to_string(), i64::MAX).is_none());
        assert!(fresh_timestamp_ms(&(i64::MAX / 1000).to_string(), i64::MIN).is_none());
    }

    #[test]
    fn only_sha256_with_64_hex_digits_is_a_signature() {
        let good = format!("sha256={}", "ab".repeat(32));
        assert!(well_formed_signature(&good));
        for bad in [
            "",
            "sha256=",
            "sha256=00",
            "sha1=abcd",
            &format!("sha256={}", "zz".repeat(32)),
            &format!("sha256={}", "ab".repeat(33)),
            &"ab".repeat(32),
        ] {
            assert!(!well_formed_signature(bad), "{bad:?}");
        }
    }
}
