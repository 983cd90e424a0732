//! Unsubscribing through the link in a sequence email: the contact is opted out of sales email,
//! its live enrollments end (`unsubscribed`) and an `unsubscribed` event is counted for the
//! sequence. Idempotent: a second POST changes nothing.

use super::links::{token_id, LinkError};
use super::*;
use crate::domain::{Actor, Evidence};
use crate::store::{EndRequest, NewEvent};

/// What a POST did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnsubscribeOutcome {
    Unsubscribed { email: String },
    AlreadyUnsubscribed { email: String },
}

impl App {
    /// The enrollment and contact behind a token: `Validation` for a bad token, `NotFound` for a
    /// well-signed one whose enrollment or contact is gone.
    async fn unsubscribe_target(&self, token: &str) -> Result<(Enrollment, Contact)> {
        let eid = self
            .parse_unsubscribe_token(token)
            .map_err(|e: LinkError| ServiceError::Validation(e.to_string()))?;
        let e = self
            .store
            .enrollment_for_link(eid)
            .await?
            .ok_or(ServiceError::NotFound("enrollment"))?;
        let c = self
            .store
            .contact(e.account_id, e.contact_id)
            .await?
            .ok_or(ServiceError::NotFound("contact"))?;
        Ok((e, c))
    }

    /// What the confirmation page shows (GET never unsubscribes).
    pub async fn unsubscribe_preview(&self, token: &str) -> Result<(String, bool)> {
        let (_, c) = self.unsubscribe_target(token).await?;
        Ok((c.email.to_string(), c.unsubscribed))
    }

    /// The POST: page button or RFC 8058 one-click.
    pub async fn unsubscribe(&self, token: &str) -> Result<UnsubscribeOutcome> {
        let (e, c) = self.unsubscribe_target(token).await?;
        let email = c.email.to_string();
        let now = self.now();
        let live = self
            .store
            .live_enrollment_ids(e.account_id, None, Some(c.id), None)
            .await?;
        let evidence = Evidence {
            unsubscribe_token_id: Some(token_id(token)),
            from: Some(email.clone()),
            ..Default::default()
        };
        let actor = Actor::rule("unsubscribe_link");
        let mut tx = self.store.begin_write().await?;
        let changed = self
            .store
            .mark_unsubscribed(&mut tx, e.account_id, c.id)
            .await?;
        // The address stays suppressed whichever contact carries it later (idempotent).
        self.store
            .suppress(
                &mut tx,
                e.account_id,
                &c.email,
                SuppressionReason::Unsubscribed,
                Some(c.id),
                &evidence,
                now,
            )
            .await?;
        if changed {
            let event = NewEvent {
                account_id: e.account_id,
                contact_id: c.id,
                sequence_id: Some(e.sequence_id),
                enrollment_id: Some(e.id),
                kind: "unsubscribed".into(),
                at: now,
                hidden: false,
                reason: None,
                actor: Some(actor.clone()),
                evidence: Some(evidence.clone()),
                summary: "Unsubscribed from sales email through the sequence's link".into(),
            };
            self.store.insert_events(&mut tx, &[event]).await?;
        }
        let req = EndRequest {
            state: EnrollmentState::Unenrolled,
            reason: Some(UnenrollReason::Unsubscribed),
            actor,
            evidence,
            now,
            hidden: false,
        };
        self.store
            .end_enrollments(&mut tx, e.account_id, &live, &req)
            .await?;
        tx.commit().await.map_err(crate::store::StoreError::from)?;
        // Answer once no email of these is still with the relay (store::send_gate).
        self.wait_for_sends(&live).await?;
        Ok(if changed {
            UnsubscribeOutcome::Unsubscribed { email }
        } else {
            UnsubscribeOutcome::AlreadyUnsubscribed { email }
        })
    }
}
