//! The suppression list in use: enrollment refuses a suppressed address (`address_suppressed`),
//! and the send gate checks again, so an address suppressed after enrolling (another contact with
//! the same address unsubscribed, a hard bounce) gets nothing more. Written by
//! `service/unsubscribe` (reason `unsubscribed`) and, through [`App::record_hard_bounce`],
//! `service/inbound` and `service/execute` (a hard bounce, in inbound mail or the relay's reply).

use shared::{SuppressionListResponse, SuppressionView};

use super::*;
use crate::clock::rfc3339;
use crate::domain::{Actor, Evidence};
use crate::store::{ClaimedSend, EndRequest, Tx};

/// Why the gate must not send to `contact`, if anything: the contact opted out or its address
/// bounced hard (flags on the contact), or its current address is on the account's list.
fn contact_flag(contact: &Contact) -> Option<SuppressionReason> {
    if contact.unsubscribed {
        Some(SuppressionReason::Unsubscribed)
    } else if contact.email_status == EmailStatus::Bounced {
        Some(SuppressionReason::HardBounce)
    } else {
        None
    }
}

impl App {
    /// A hard bounce of `e`'s contact: its address is marked bounced and suppressed in the
    /// account, with `evidence`.
    pub(crate) async fn record_hard_bounce(
        &self,
        tx: &mut Tx,
        e: &Enrollment,
        evidence: &Evidence,
        now: Millis,
    ) -> Result<()> {
        self.store.mark_bounced(tx, e.contact_id).await?;
        self.store
            .suppress_contact_address(
                tx,
                e.account_id,
                e.contact_id,
                SuppressionReason::HardBounce,
                evidence,
                now,
            )
            .await?;
        Ok(())
    }

    /// Refuses enrolling a contact whose address is suppressed in the account.
    pub(crate) async fn ensure_not_suppressed(&self, contact: &Contact) -> Result<()> {
        match self
            .store
            .suppression(contact.account_id, &contact.email)
            .await?
        {
            Some(reason) => Err(ServiceError::AddressSuppressed(
                contact.email.clone(),
                reason.as_str().to_string(),
            )),
            None => Ok(()),
        }
    }

    /// The send gate's suppression check, inside the gate's transaction: when `contact` must not
    /// get mail, the claimed message is cancelled and the enrollment ends (`unsubscribed` for an
    /// opt-out, `bounced` for a hard bounce) with the reason in its evidence. `true` when it
    /// stopped the send (the caller commits and sends nothing).
    pub(crate) async fn stop_if_suppressed(
        &self,
        tx: &mut Tx,
        claim: &ClaimedSend,
        e: &Enrollment,
        contact: &Contact,
        now: Millis,
    ) -> Result<bool> {
        let listed = self
            .store
            .suppression_in_tx(tx, e.account_id, &contact.email)
            .await?;
        let Some(reason) = listed.or_else(|| contact_flag(contact)) else {
            return Ok(false);
        };
        self.store
            .settle_message(tx, claim, "cancelled", None, "")
            .await?;
        let req = EndRequest {
            state: EnrollmentState::Unenrolled,
            reason: Some(reason.unenroll_reason()),
            actor: Actor::system("send_gate.suppression"),
            evidence: Evidence {
                from: Some(contact.email.to_string()),
                note: Some(format!(
                    "{} is on the suppression list ({}): nothing was sent",
                    contact.email,
                    reason.as_str()
                )),
                ..Default::default()
            },
            now,
            hidden: false,
        };
        self.store
            .end_enrollments(tx, e.account_id, &[e.id], &req)
            .await?;
        Ok(true)
    }

    /// The account's suppressed addresses (admins: an account setting in the permission matrix).
    pub async fn suppressions(&self, caller: &Caller) -> Result<SuppressionListResponse> {
        caller.allow(super::permissions::Action::ManageSettings, None)?;
        let rows = self.store.suppressions(caller.account.id, 1000).await?;
        Ok(SuppressionListResponse {
            suppressions: rows
                .into_iter()
                .map(|r| SuppressionView {
                    email: r.email.to_string(),
                    reason: r.reason.as_str().to_string(),
                    contact_id: r.contact_id.map(|c| c.0),
                    evidence: r.evidence,
                    created_at: rfc3339(r.created_at),
                })
                .collect(),
        })
    }
}
