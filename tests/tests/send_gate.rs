//! The send gate: no email is ever sent after an unenroll, even when the unenroll races a send;
//! a claim whose outcome is unknown after a crash is surfaced, never re-sent.

use std::sync::Arc;

use anyhow::Result;
use chrono::Duration;
use sequencer_server::domain::EnrollmentId;
use sequencer_tests::*;
use shared::*;

both_backends! {
    no_email_is_sent_after_an_unenroll_that_races_the_scheduler => races;
    a_claim_with_unknown_outcome_is_held_for_review_not_resent => crash_recovery;
}

async fn races(db: Db) -> Result<()> {
    let t = Arc::new(spawn_app(db).await?);
    let seq = t.email_sequence("Race", &[1, 1]).await?;
    let mut total_races = 0;
    for round in 0..3 {
        let mut pairs = Vec::new();
        for i in 0..25 {
            let c = t
                .contact(&format!("r{round}x{i}@race.example"), "R", None)
                .await?;
            let e = t.enroll(seq.id, &[c.id]).await?.results[0]
                .enrollment
                .clone()
                .expect("enrolled");
            pairs.push((c.email, e.id));
        }
        // Everyone's step 2 is due; the scheduler and the unenrolls now run at the same time.
        t.clock.advance(Duration::days(1));
        let ticker = {
            let t = t.clone();
            tokio::spawn(async move { t.app.tick(t.app.now(), 5).await })
        };
        let mut unenrolls = Vec::new();
        for (email, id) in pairs.clone() {
            let t = t.clone();
            unenrolls.push(tokio::spawn(async move {
                let a = t
                    .post(
                        &format!("/enrollments/{id}/unenroll"),
                        &UnenrollRequest::default(),
                    )
                    .await?;
                anyhow::ensure!(
                    a.status == 200 || a.code() == "enrollment_not_active",
                    "{} {}",
                    a.status,
                    a.body
                );
                Ok::<_, anyhow::Error>((email.clone(), id, t.smtp.to(&email).len()))
            }));
        }
        let mut seen = Vec::new();
        for u in unenrolls {
            seen.push(u.await??);
        }
        ticker.await??;
        // Let every remaining step come due and run.
        t.advance_and_tick(Duration::days(5)).await?;
        t.advance_and_tick(Duration::days(5)).await?;
        for (email, id, at_unenroll) in seen {
            let now = t.smtp.to(&email).len();
            assert_eq!(
                now, at_unenroll,
                "{email}: an email arrived after its unenroll returned"
            );
            let sent = t
                .app
                .store
                .sent_messages(EnrollmentId(id))
                .await?
                .into_iter()
                .filter(|m| m.2 == "sent")
                .count();
            assert_eq!(
                sent, now,
                "{email}: every delivered email is recorded as sent"
            );
            assert!((1..=2).contains(&now));
            assert_eq!(t.enrollment(id).await?.state, EnrollmentState::Unenrolled);
            total_races += 1;
        }
    }
    assert_eq!(total_races, 75);
    Ok(())
}

async fn crash_recovery(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let c = t.contact("crash@race.example", "C", None).await?;
    let seq = t.email_sequence("Crash", &[1]).await?;
    let e = t.enroll(seq.id, &[c.id]).await?.results[0]
        .enrollment
        .clone()
        .expect("enrolled");
    t.clock.advance(Duration::days(1));
    // The process "dies" after claiming step 2 and before sending it.
    let claims = t
        .app
        .store
        .claim_due(t.app.now(), 10, None, &|_| {
            Some("lost.1@seller.example".to_string())
        })
        .await?;
    assert_eq!(claims.len(), 1);
    let r = t.advance_and_tick(Duration::minutes(5)).await?;
    assert_eq!(
        (r.emails_sent, r.unknown_outcome),
        (0, 0),
        "within the lease nothing happens"
    );
    let r = t.advance_and_tick(Duration::minutes(6)).await?;
    assert_eq!((r.emails_sent, r.unknown_outcome), (0, 1));
    let v = t.enrollment(e.id).await?;
    assert_eq!(
        (v.state, v.pause_reason),
        (EnrollmentState::Paused, Some(PauseReason::HeldForReview))
    );
    let record: ContactRecordView = t.get(&format!("/contacts/{}/record", c.id)).await?.json()?;
    assert_eq!(record.timeline[0].kind, "send_outcome_unknown");
    t.advance_and_tick(Duration::days(3)).await?;
    assert_eq!(
        t.smtp.to(&c.email).len(),
        1,
        "step 2 was not re-sent blindly"
    );
    Ok(())
}
