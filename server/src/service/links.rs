//! Signed links in sequence emails: unsubscribe (`/u/{token}`) and meeting booking
//! (`/book/{token}`). A token is its payload plus a truncated HMAC-SHA256 (128 bits) keyed with the
//! app secret and bound to the link's purpose, so it can be neither guessed nor re-purposed.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::*;

type HmacSha256 = Hmac<Sha256>;

/// Signature bytes kept in a token.
const SIG_BYTES: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link is malformed")]
    Malformed,
    #[error("the link's signature does not match")]
    BadSignature,
}

/// `None` never happens in practice: HMAC accepts keys of any length.
fn mac(secret: &[u8], purpose: &str, payload: &str) -> Option<HmacSha256> {
    let mut m = <HmacSha256 as Mac>::new_from_slice(secret).ok()?;
    m.update(purpose.as_bytes());
    m.update(b"\n");
    m.update(payload.as_bytes());
    Some(m)
}

/// `payload.signature` for this purpose.
pub fn sign(secret: &[u8], purpose: &str, payload: &str) -> String {
    let tag = mac(secret, purpose, payload)
        .map(|m| m.finalize().into_bytes().to_vec())
        .unwrap_or_default();
    format!(
        "{payload}.{}",
        hex::encode(tag.get(..SIG_BYTES).unwrap_or_default())
    )
}

/// The payload of a token signed for this purpose (constant-time comparison).
pub fn verify<'a>(
    secret: &[u8],
    purpose: &str,
    token: &'a str,
) -> std::result::Result<&'a str, LinkError> {
    let (payload, sig) = token.rsplit_once('.').ok_or(LinkError::Malformed)?;
    let sig = hex::decode(sig).map_err(|_| LinkError::Malformed)?;
    if sig.len() != SIG_BYTES || payload.is_empty() || payload.len() > 64 {
        return Err(LinkError::Malformed);
    }
    mac(secret, purpose, payload)
        .ok_or(LinkError::BadSignature)?
        .verify_truncated_left(&sig)
        .map_err(|_| LinkError::BadSignature)?;
    Ok(payload)
}

/// A short, non-secret id of a token for evidence and logs.
pub fn token_id(token: &str) -> String {
    hex::encode(&Sha256::digest(token.as_bytes())[..8])
}

const UNSUBSCRIBE: &str = "unsubscribe";
const MEETING: &str = "meeting";
const BOOKING_CONFIRM: &str = "booking_confirm";

impl App {
    pub fn unsubscribe_token(&self, e: EnrollmentId) -> String {
        sign(&self.settings.secret, UNSUBSCRIBE, &e.0.to_string())
    }

    pub fn unsubscribe_url(&self, e: EnrollmentId) -> String {
        format!(
            "{}/u/{}",
            self.settings.public_url,
            self.unsubscribe_token(e)
        )
    }

    pub fn parse_unsubscribe_token(
        &self,
        token: &str,
    ) -> std::result::Result<EnrollmentId, LinkError> {
        let payload = verify(&self.settings.secret, UNSUBSCRIBE, token)?;
        payload
            .parse()
            .map(EnrollmentId)
            .map_err(|_| LinkError::Malformed)
    }

    /// A user's booking link; with an enrollment, the link inside that enrollment's emails.
    pub fn meeting_token(&self, user: UserId, enrollment: Option<EnrollmentId>) -> String {
        let payload = match enrollment {
            Some(e) => format!("{}-{}", user.0, e.0),
            None => user.0.to_string(),
        };
        sign(&self.settings.secret, MEETING, &payload)
    }

    pub fn meeting_url(&self, user: UserId, enrollment: Option<EnrollmentId>) -> String {
        format!(
            "{}/book/{}",
            self.settings.public_url,
            self.meeting_token(user, enrollment)
        )
    }

    pub fn parse_meeting_token(
        &self,
        token: &str,
    ) -> std::result::Result<(UserId, Option<EnrollmentId>), LinkError> {
        let payload = verify(&self.settings.secret, MEETING, token)?;
        let num = |s: &str| s.parse::<i64>().map_err(|_| LinkError::Malformed);
        match payload.split_once('-') {
            Some((u, e)) => Ok((UserId(num(u)?), Some(EnrollmentId(num(e)?)))),
            None => Ok((UserId(num(payload)?), None)),
        }
    }
}

impl App {
    /// The one-use link that confirms a pending booking (sent to the address the booker gave).
    pub fn booking_confirm_token(&self, pending: i64) -> String {
        sign(&self.settings.secret, BOOKING_CONFIRM, &pending.to_string())
    }

    pub fn booking_confirm_url(&self, pending: i64) -> String {
        format!(
            "{}/book/confirm/{}",
            self.settings.public_url,
            self.booking_confirm_token(pending)
        )
    }

    pub fn parse_booking_confirm_token(&self, token: &str) -> std::result::Result<i64, LinkError> {
        verify(&self.settings.secret, BOOKING_CONFIRM, token)?
            .parse()
            .map_err(|_| LinkError::Malformed)
    }
}

impl App {
    /// Every sequence email carries an unsubscribe link (a footer unless the template placed
    /// `{{unsubscribe_link}}`) and the RFC 8058 one-click headers.
    pub fn with_unsubscribe(
        &self,
        mut email: crate::mail::OutgoingEmail,
        e: EnrollmentId,
    ) -> crate::mail::OutgoingEmail {
        let url = self.unsubscribe_url(e);
        if !email.body.contains(&url) {
            email.body = format!(
                "{}\n\n--\nUnsubscribe from these emails: {url}\n",
                email.body.trim_end()
            );
        }
        email
            .headers
            .push(("List-Unsubscribe".into(), format!("<{url}>")));
        email.headers.push((
            "List-Unsubscribe-Post".into(),
            "List-Unsubscribe=One-Click".into(),
        ));
        email
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_for_their_purpose_and_untampered() {
        let t = sign(b"secret", "unsubscribe", "42");
        assert_eq!(verify(b"secret", "unsubscribe", &t), Ok("42"));
        assert_eq!(
            verify(b"secret", "meeting", &t),
            Err(LinkError::BadSignature)
        );
        assert_eq!(
            verify(b"other", "unsubscribe", &t),
            Err(LinkError::BadSignature)
        );
        assert_eq!(
            verify(b"secret", "unsubscribe", &t.replacen("42", "43", 1)),
            Err(LinkError::BadSignature)
        );
        assert_eq!(
            verify(b"secret", "unsubscribe", "42"),
            Err(LinkError::Malformed)
        );
        assert_eq!(
            verify(b"secret", "unsubscribe", "42.zz"),
            Err(LinkError::Malformed)
        );
        // A booking confirmation is its own purpose: neither link kind opens the other.
        let m = sign(b"secret", "meeting", "42");
        assert_eq!(
            verify(b"secret", "booking_confirm", &m),
            Err(LinkError::BadSignature)
        );
        let c = sign(b"secret", "booking_confirm", "42");
        assert_eq!(
            verify(b"secret", "meeting", &c),
            Err(LinkError::BadSignature)
        );
    }
}
