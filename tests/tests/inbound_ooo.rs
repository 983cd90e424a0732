//! Out-of-office replies end to end: the contact stays enrolled whatever client sent the reply and
//! whatever inbox received it; `pause_until_return` pauses until the stated date and resumes by
//! itself; `ignore` keeps the schedule.

use anyhow::Result;
use chrono::Duration;
use sequencer_tests::inbound::*;
use sequencer_tests::*;
use shared::*;

both_backends! {
    ooo_replies_from_gmail_and_outlook_into_gmail_and_outlook_never_unenroll => four_combos;
    an_ooo_reply_pauses_until_the_return_date_then_resumes_by_itself => pause_then_resume;
    the_ignore_policy_keeps_the_schedule => ignore_policy;
}

/// (classifier fixture, the sender it was written from)
const COMBOS: &[(&str, &str)] = &[
    ("gmail-ooo-into-gmail.eml", "ana.lopez@gmail.com"),
    ("outlook-ooo-into-gmail.eml", "jan.devries@example.nl"),
    ("outlook-ooo-into-outlook.eml", "k.meyer@example.de"),
    ("gmail-ooo-into-exchange.eml", "sophie.martin@example.fr"),
];

async fn four_combos(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mb = t.mailbox().await?;
    let seq = t.email_sequence("Intro", &[1]).await?;
    let mut enrolled = Vec::new();
    for (file, sender) in COMBOS {
        let (c, e) = t.enrolled(sender, &[], None, seq.id).await?;
        let out = t.deliver(&mb, &classifier_fixture(file)?).await?;
        assert_eq!(out.class, "ooo", "{file}");
        let v = t.enrollment(e.id).await?;
        // The fixtures' return dates lie before the test clock: no pause, the schedule goes on.
        assert_eq!(v.state, EnrollmentState::Active, "{file}: stays enrolled");
        assert_eq!(
            t.visible_kinds(c.id).await?[0],
            "ooo_received",
            "{file}: the rep sees it"
        );
        enrolled.push((c, e));
    }
    t.advance_and_tick(Duration::days(1)).await?;
    for (c, e) in enrolled {
        assert_eq!(t.smtp.to(&c.email).len(), 2, "{}: step 2 went out", c.email);
        assert_eq!(t.enrollment(e.id).await?.state, EnrollmentState::Finished);
    }
    Ok(())
}

fn ooo_reply(t: &TestApp, parent: &str) -> Result<Vec<u8>> {
    let _ = t;
    template(
        "ooo.eml",
        &[
            ("FROM", "ana@globex.example"),
            ("FROM_NAME", "Ana"),
            ("SUBJECT", "Intro: hello Pat"),
            ("ID", &new_id("ooo")),
            ("PARENT", parent),
        ],
    )
}

async fn pause_then_resume(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mb = t.mailbox().await?;
    let seq = t.email_sequence("Intro", &[1]).await?;
    let (c, e) = t.enrolled("ana@globex.example", &[], None, seq.id).await?;
    // "out of the office until Monday, December 7, 2026": back on the 8th.
    let out = t
        .deliver(&mb, &ooo_reply(&t, &t.last_sent_id(e.id).await?)?)
        .await?;
    assert_eq!(out.class, "ooo");
    let v = t.enrollment(e.id).await?;
    assert_eq!(
        (v.state, v.pause_reason),
        (EnrollmentState::Paused, Some(PauseReason::OutOfOffice))
    );
    assert_eq!(v.paused_until.as_deref(), Some("2026-12-08T00:00:00Z"));
    assert_eq!(v.evidence.map(|e| e.class), Some(Some("ooo".to_string())));

    let r = t.advance_and_tick(Duration::days(5)).await?;
    assert_eq!(
        (r.resumed, t.smtp.to(&c.email).len()),
        (0, 1),
        "still away: nothing sent"
    );
    let r = t.advance_and_tick(Duration::days(6)).await?;
    assert_eq!(r.resumed, 1, "resumed after the return date");
    assert_eq!(t.smtp.to(&c.email).len(), 2, "and step 2 went out");
    assert_eq!(t.enrollment(e.id).await?.state, EnrollmentState::Finished);
    Ok(())
}

async fn ignore_policy(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mb = t.mailbox().await?;
    let seq = t
        .sequence_with("Intro", &[1], false, Some(OooPolicy::Ignore))
        .await?;
    let (c, e) = t.enrolled("ana@globex.example", &[], None, seq.id).await?;
    t.deliver(&mb, &ooo_reply(&t, &t.last_sent_id(e.id).await?)?)
        .await?;
    assert_eq!(t.enrollment(e.id).await?.state, EnrollmentState::Active);
    t.advance_and_tick(Duration::days(1)).await?;
    assert_eq!(t.smtp.to(&c.email).len(), 2);
    Ok(())
}
