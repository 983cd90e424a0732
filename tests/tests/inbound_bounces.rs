//! Bounces end to end: hard (unenroll + address marked bounced), policy (unenroll only), soft
//! (retry, the third in a row unenrolls), delay notices (nothing).

use anyhow::Result;
use chrono::Duration;
use sequencer_tests::inbound::*;
use sequencer_tests::*;
use shared::*;

both_backends! {
    a_hard_bounce_unenrolls_and_marks_the_address_bounced => hard;
    a_policy_bounce_unenrolls_without_marking_the_address => policy;
    soft_bounces_retry_the_step_and_the_third_in_a_row_unenrolls => soft;
    a_delay_notice_changes_nothing => delay;
}

fn bounce(rcpt: &str, parent: &str, action: &str, status: &str, diag: &str) -> Result<Vec<u8>> {
    let id = new_id("dsn");
    template(
        "bounce.eml",
        &[
            ("RCPT", rcpt),
            ("PARENT", parent),
            ("ACTION", action),
            ("STATUS", status),
            ("DIAG", diag),
            ("ID", &id),
            ("DOMAIN", "globex.example"),
            ("SUBJECT", "Intro: hello Pat"),
        ],
    )
}

async fn hard(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mb = t.mailbox().await?;
    let seq = t.email_sequence("Intro", &[1]).await?;
    let (c, e) = t
        .enrolled("ghost@globex.example", &[], None, seq.id)
        .await?;
    let raw = bounce(
        "ghost@globex.example",
        &t.last_sent_id(e.id).await?,
        "failed",
        "5.1.1",
        "550 5.1.1 <ghost@globex.example>: Recipient address rejected: User unknown",
    )?;
    let out = t.deliver(&mb, &raw).await?;
    assert_eq!(out.class, "bounce_hard");
    let v = t.enrollment(e.id).await?;
    assert_eq!(v.unenroll_reason, Some(UnenrollReason::Bounced));
    assert_eq!(
        v.evidence.map(|e| e.class),
        Some(Some("bounce_hard".to_string()))
    );
    let contact: ContactView = t.get(&format!("/contacts/{}", c.id)).await?.json()?;
    assert_eq!(contact.email_status, EmailStatus::Bounced);
    let perf: PerformanceView = t
        .get(&format!("/sequences/{}/performance", seq.id))
        .await?
        .json()?;
    assert_eq!(perf.bounces, 1);
    Ok(())
}

async fn policy(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mb = t.mailbox().await?;
    let seq = t.email_sequence("Intro", &[1]).await?;
    let (c, e) = t.enrolled("ana@globex.example", &[], None, seq.id).await?;
    let raw = bounce(
        "ana@globex.example",
        &t.last_sent_id(e.id).await?,
        "failed",
        "5.7.1",
        "554 5.7.1 Service unavailable; Client host blocked using zen.spamhaus.org",
    )?;
    assert_eq!(t.deliver(&mb, &raw).await?.class, "bounce_policy");
    assert_eq!(
        t.enrollment(e.id).await?.unenroll_reason,
        Some(UnenrollReason::Bounced)
    );
    let contact: ContactView = t.get(&format!("/contacts/{}", c.id)).await?.json()?;
    assert_eq!(
        contact.email_status,
        EmailStatus::Valid,
        "the address itself is fine"
    );
    Ok(())
}

async fn soft(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mb = t.mailbox().await?;
    let seq = t.email_sequence("Intro", &[3]).await?;
    let (c, e) = t.enrolled("full@globex.example", &[], None, seq.id).await?;
    let soft_bounce = |parent: String| {
        bounce(
            "full@globex.example",
            &parent,
            "failed",
            "4.2.2",
            "452 4.2.2 <full@globex.example>: Mailbox full, quota exceeded",
        )
    };
    for round in 1..=2 {
        let out = t
            .deliver(&mb, &soft_bounce(t.last_sent_id(e.id).await?)?)
            .await?;
        assert_eq!(out.class, "bounce_soft");
        let v = t.enrollment(e.id).await?;
        assert_eq!(
            (v.state, v.current_step),
            (EnrollmentState::Active, 1),
            "round {round}: step 1 is retried"
        );
        t.advance_and_tick(Duration::days(1)).await?;
        assert_eq!(
            t.smtp.to(&c.email).len(),
            round + 1,
            "round {round}: step 1 sent again a day later"
        );
    }
    t.deliver(&mb, &soft_bounce(t.last_sent_id(e.id).await?)?)
        .await?;
    let v = t.enrollment(e.id).await?;
    assert_eq!(
        (v.state, v.unenroll_reason),
        (EnrollmentState::Unenrolled, Some(UnenrollReason::Bounced))
    );
    let contact: ContactView = t.get(&format!("/contacts/{}", c.id)).await?.json()?;
    assert_eq!(contact.email_status, EmailStatus::Valid);
    t.advance_and_tick(Duration::days(5)).await?;
    assert_eq!(t.smtp.to(&c.email).len(), 3);
    Ok(())
}

async fn delay(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mb = t.mailbox().await?;
    let seq = t.email_sequence("Intro", &[1]).await?;
    let (c, e) = t.enrolled("slow@globex.example", &[], None, seq.id).await?;
    let raw = bounce(
        "slow@globex.example",
        &t.last_sent_id(e.id).await?,
        "delayed",
        "4.4.7",
        "451 4.4.7 Delivery time expired, still trying",
    )?;
    assert_eq!(t.deliver(&mb, &raw).await?.class, "delay_notice");
    assert_eq!(t.enrollment(e.id).await?.state, EnrollmentState::Active);
    t.advance_and_tick(Duration::days(1)).await?;
    assert_eq!(t.smtp.to(&c.email).len(), 2);
    Ok(())
}
