//! Ending enrollments by hand (`manual`, with the surface) or by a rule/system actor.

use shared::{
    BulkUnenrollItem, BulkUnenrollResponse, EnrollmentView, UnenrollByEmailResponse,
    UnenrollReason, UnenrollSurface,
};

use super::views::enrollment_view;
use super::*;
use crate::domain::{Actor, Evidence};
use crate::store::{EndRequest, StoreError};

impl App {
    /// Inside `tx`: ends `live` as unenrolled by `reason`, the caller as actor and `note` as
    /// evidence. Deletions use it so their enrollments end in the same transaction as the delete.
    pub(crate) async fn end_for_deletion(
        &self,
        tx: &mut crate::store::Tx,
        caller: &Caller,
        live: &[EnrollmentId],
        reason: UnenrollReason,
        note: &str,
        now: Millis,
    ) -> Result<()> {
        let req = EndRequest {
            state: EnrollmentState::Unenrolled,
            reason: Some(reason),
            actor: Actor::user(caller.user.id),
            evidence: Evidence {
                note: Some(note.to_string()),
                ..Default::default()
            },
            now,
            hidden: false,
        };
        self.store
            .end_enrollments(tx, caller.account.id, live, &req)
            .await?;
        Ok(())
    }

    /// Ends the live enrollments among `ids` in one transaction; returns the ones that ended,
    /// once no email of theirs is still with the relay.
    pub async fn end(
        &self,
        account: AccountId,
        ids: &[EnrollmentId],
        reason: UnenrollReason,
        actor: Actor,
        evidence: Evidence,
        hidden: bool,
    ) -> Result<Vec<Enrollment>> {
        let req = EndRequest {
            state: EnrollmentState::Unenrolled,
            reason: Some(reason),
            actor,
            evidence,
            now: self.now(),
            hidden,
        };
        let mut tx = self.store.begin_write().await?;
        let ended = self
            .store
            .end_enrollments(&mut tx, account, ids, &req)
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        // An email the gate handed to the relay before this commit is still in flight: answer
        // once its outcome is recorded, so nothing arrives after "unenrolled" (store::send_gate).
        let ended_ids: Vec<EnrollmentId> = ended.iter().map(|e| e.id).collect();
        self.wait_for_sends(&ended_ids).await?;
        Ok(ended)
    }

    /// A user unenrolls enrollments by hand. Per-item results, in request order.
    pub async fn unenroll_many(
        &self,
        caller: &Caller,
        ids: &[EnrollmentId],
        surface: UnenrollSurface,
    ) -> Result<BulkUnenrollResponse> {
        caller.allow(super::permissions::Action::Unenroll, None)?;
        if ids.len() > 20_000 {
            return Err(ServiceError::Validation(
                "unenroll at most 20000 enrollments at a time".into(),
            ));
        }
        let evidence = Evidence {
            surface: Some(surface),
            ..Default::default()
        };
        let ended = self
            .end(
                caller.account.id,
                ids,
                UnenrollReason::Manual,
                Actor::user(caller.user.id),
                evidence,
                false,
            )
            .await?;
        let ended_ids: std::collections::HashSet<EnrollmentId> =
            ended.iter().map(|e| e.id).collect();
        let missing: Vec<EnrollmentId> = ids
            .iter()
            .copied()
            .filter(|i| !ended_ids.contains(i))
            .collect();
        let states = self
            .store
            .enrollment_states(caller.account.id, &missing)
            .await?;
        let results = ids
            .iter()
            .map(|id| {
                if ended_ids.contains(id) {
                    return BulkUnenrollItem {
                        enrollment_id: id.0,
                        enrollment: None,
                        error: None,
                    };
                }
                let err = match states.iter().find(|(i, _)| i == id) {
                    Some((_, state)) => ServiceError::EnrollmentNotActive(*state),
                    None => ServiceError::NotFound("enrollment"),
                };
                BulkUnenrollItem {
                    enrollment_id: id.0,
                    enrollment: None,
                    error: Some(err.body()),
                }
            })
            .collect();
        Ok(BulkUnenrollResponse {
            unenrolled: ended.len() as u64,
            results,
        })
    }

    /// Unenrolls one enrollment; errors when it is not live.
    pub async fn unenroll_one(
        &self,
        caller: &Caller,
        id: EnrollmentId,
        surface: UnenrollSurface,
    ) -> Result<EnrollmentView> {
        let res = self.unenroll_many(caller, &[id], surface).await?;
        if let Some(err) = res.results.first().and_then(|r| r.error.clone()) {
            return Err(match err.code {
                shared::ErrorCode::NotFound => ServiceError::NotFound("enrollment"),
                _ => {
                    let state = self
                        .store
                        .enrollment(caller.account.id, id)
                        .await?
                        .map_or(EnrollmentState::Unknown, |r| r.enrollment.state);
                    ServiceError::EnrollmentNotActive(state)
                }
            });
        }
        self.enrollment_view_of(caller, id).await
    }

    async fn enrollment_view_of(
        &self,
        caller: &Caller,
        id: EnrollmentId,
    ) -> Result<EnrollmentView> {
        let row = self
            .store
            .enrollment(caller.account.id, id)
            .await?
            .ok_or(ServiceError::NotFound("enrollment"))?;
        Ok(enrollment_view(&row))
    }

    /// Resumes a paused enrollment by hand: a rep clearing one held for review (an unclassifiable
    /// reply, a send whose outcome is unknown) or ending a pause early. The schedule continues:
    /// the next step keeps its due time, or runs at the next moment the send window allows if
    /// that has passed. The caller is recorded as the actor.
    pub async fn resume_one(&self, caller: &Caller, id: EnrollmentId) -> Result<EnrollmentView> {
        caller.allow(super::permissions::Action::Resume, None)?;
        let row = self
            .store
            .enrollment(caller.account.id, id)
            .await?
            .ok_or(ServiceError::NotFound("enrollment"))?;
        let e = &row.enrollment;
        if e.state != EnrollmentState::Paused {
            return Err(ServiceError::EnrollmentNotPaused(e.state));
        }
        let evidence = Evidence {
            note: e
                .pause_reason
                .map(|r| format!("was paused: {}", r.as_str())),
            ..Default::default()
        };
        let summary = format!("Resumed by {}", caller.user.name);
        let now = self.now();
        match self
            .resume_paused(e, Actor::user(caller.user.id), &summary, evidence, now)
            .await?
        {
            Some(true) => {}
            None => return Err(ServiceError::NotFound("sequence")),
            // A reply or an unenroll won the race: report the state it left.
            Some(false) => {
                let state = self
                    .store
                    .enrollment(caller.account.id, id)
                    .await?
                    .map_or(EnrollmentState::Unknown, |r| r.enrollment.state);
                return Err(ServiceError::EnrollmentNotPaused(state));
            }
        }
        self.enrollment_view_of(caller, id).await
    }

    /// Unenrolls the live enrollment of the contact owning `email` (primary or secondary).
    pub async fn unenroll_by_email(
        &self,
        caller: &Caller,
        email: &str,
        surface: UnenrollSurface,
    ) -> Result<UnenrollByEmailResponse> {
        caller.allow(super::permissions::Action::Unenroll, None)?;
        let email = EmailAddress::parse(email)?;
        let m = self
            .store
            .contact_by_email(caller.account.id, &email)
            .await?
            .ok_or(ServiceError::NotFound("contact"))?;
        let live = self
            .store
            .live_enrollment_ids(caller.account.id, None, Some(m.contact.id), None)
            .await?;
        self.unenroll_many(caller, &live, surface).await?;
        let mut unenrolled = Vec::new();
        for id in live {
            if let Some(row) = self.store.enrollment(caller.account.id, id).await? {
                if row.enrollment.state == EnrollmentState::Unenrolled {
                    unenrolled.push(enrollment_view(&row));
                }
            }
        }
        Ok(UnenrollByEmailResponse { unenrolled })
    }
}
