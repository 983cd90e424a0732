//! Enrolling contacts: each enrollment is inserted, then its first step runs at once.

use shared::{EnrollItemResult, EnrollResponse, EnrollmentView};

use super::views::enrollment_view;
use super::*;
use crate::domain::Actor;
use crate::store::{NewEvent, StoreError};

impl App {
    /// Enrolls each contact; results are per contact, in request order.
    pub async fn enroll(
        &self,
        caller: &Caller,
        seq: SequenceId,
        contacts: &[ContactId],
    ) -> Result<EnrollResponse> {
        caller.allow(super::permissions::Action::Enroll, None)?;
        if contacts.is_empty() || contacts.len() > 1000 {
            return Err(ServiceError::Validation(
                "enroll between 1 and 1000 contacts at a time".into(),
            ));
        }
        let sequence = self.load_sequence(caller, seq).await?;
        if sequence.deleted {
            return Err(ServiceError::SequenceDeleted);
        }
        if sequence.steps.is_empty() {
            return Err(ServiceError::SequenceHasNoSteps);
        }
        let mut results = Vec::with_capacity(contacts.len());
        for id in contacts {
            let outcome = self.enroll_one(caller, &sequence, *id).await;
            results.push(match outcome {
                Ok(view) => EnrollItemResult {
                    contact_id: id.0,
                    enrollment: Some(view),
                    error: None,
                },
                Err(e @ (ServiceError::Store(_) | ServiceError::Mail(_))) => return Err(e),
                Err(e) => EnrollItemResult {
                    contact_id: id.0,
                    enrollment: None,
                    error: Some(e.body()),
                },
            });
        }
        Ok(EnrollResponse { results })
    }

    async fn enroll_one(
        &self,
        caller: &Caller,
        sequence: &Sequence,
        id: ContactId,
    ) -> Result<EnrollmentView> {
        let contact = self
            .store
            .contact(caller.account.id, id)
            .await?
            .filter(|c| !c.deleted)
            .ok_or(ServiceError::NotFound("contact"))?;
        if contact.unsubscribed {
            return Err(ServiceError::ContactUnsubscribed);
        }
        if contact.email_status == EmailStatus::Bounced {
            return Err(ServiceError::ContactBounced);
        }
        // The address, not only the contact: another contact's opt-out or hard bounce counts.
        self.ensure_not_suppressed(&contact).await?;
        let now = self.now();
        let mut tx = self.store.begin_write().await?;
        let eid = match self
            .store
            .insert_enrollment(
                &mut tx,
                caller.account.id,
                id,
                sequence.id,
                &caller.user,
                sequence.steps.len() as u32,
                now,
            )
            .await
        {
            Err(StoreError::Duplicate(_)) => return Err(ServiceError::ContactAlreadyEnrolled),
            other => other?,
        };
        let event = NewEvent {
            account_id: caller.account.id,
            contact_id: id,
            sequence_id: Some(sequence.id),
            enrollment_id: Some(eid),
            kind: "enrolled".into(),
            at: now,
            hidden: false,
            reason: None,
            actor: Some(Actor::user(caller.user.id)),
            evidence: None,
            summary: format!("Enrolled in {} by {}", sequence.name, caller.user.name),
        };
        self.store.insert_events(&mut tx, &[event]).await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.run_due_for(eid, now).await?;
        let row = self
            .store
            .enrollment(caller.account.id, eid)
            .await?
            .ok_or(ServiceError::NotFound("enrollment"))?;
        Ok(enrollment_view(&row))
    }
}
