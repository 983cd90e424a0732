//! The inbound webhook: signature, replay window, size limit, idempotency, the rep's own mail,
//! malformed mail, and a reply racing the scheduler (nothing is sent after the reply is processed).

use std::sync::Arc;

use anyhow::Result;
use chrono::Duration;
use sequencer_server::service::mailboxes::webhook_signature;
use sequencer_tests::inbound::*;
use sequencer_tests::*;
use shared::*;

both_backends! {
    unsigned_badly_signed_stale_and_oversized_deliveries_are_refused => refused;
    the_same_message_twice_has_one_effect => idempotent;
    mail_from_the_reps_own_addresses_is_ignored => own_address;
    malformed_mail_is_stored_as_unknown_never_a_crash => malformed;
    a_reply_that_races_a_send_stops_every_later_email => races;
}

async fn refused(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mb = t.mailbox().await?;
    let raw = template(
        "email.eml",
        &[
            ("FROM", "x@globex.example"),
            ("FROM_NAME", "X"),
            ("SUBJECT", "Hi"),
            ("ID", &new_id("sig")),
        ],
    )?;
    let now = t.app.now() / 1000;
    let ts = now.to_string();
    let check = |a: Answer, status: u16, code: &str| {
        assert_eq!((a.status, a.code().as_str()), (status, code), "{}", a.body);
    };
    check(
        t.deliver_signed(mb.id, &ts, "sha256=00", &raw).await?,
        401,
        "invalid_signature",
    );
    check(
        t.deliver_signed(
            mb.id,
            &ts,
            &webhook_signature("wrong-secret", &ts, &raw),
            &raw,
        )
        .await?,
        401,
        "invalid_signature",
    );
    let mut tampered = raw.clone();
    tampered.extend_from_slice(b"P.S. tampered\r\n");
    check(
        t.deliver_signed(
            mb.id,
            &ts,
            &webhook_signature(&mb.secret, &ts, &raw),
            &tampered,
        )
        .await?,
        401,
        "invalid_signature",
    );
    // An unknown mailbox answers exactly like a bad signature (issue 19: webhook_limits.rs).
    check(
        t.deliver_signed(
            mb.id + 100,
            &ts,
            &webhook_signature(&mb.secret, &ts, &raw),
            &raw,
        )
        .await?,
        401,
        "invalid_signature",
    );
    let old = (now - 301).to_string();
    check(
        t.deliver_signed(
            mb.id,
            &old,
            &webhook_signature(&mb.secret, &old, &raw),
            &raw,
        )
        .await?,
        401,
        "stale_timestamp",
    );
    let future = (now + 301).to_string();
    check(
        t.deliver_signed(
            mb.id,
            &future,
            &webhook_signature(&mb.secret, &future, &raw),
            &raw,
        )
        .await?,
        401,
        "stale_timestamp",
    );
    let recent = (now - 299).to_string();
    check(
        t.deliver_signed(
            mb.id,
            &recent,
            &webhook_signature(&mb.secret, &recent, &raw),
            &raw,
        )
        .await?,
        200,
        "",
    );

    let mut big = raw.clone();
    big.resize(10 * 1024 * 1024 + 1, b'a');
    check(
        t.deliver_signed(mb.id, &ts, &webhook_signature(&mb.secret, &ts, &big), &big)
            .await?,
        413,
        "payload_too_large",
    );

    let other = t.other_account_token().await?;
    let a = t
        .send_as(&other, reqwest::Method::GET, "/mailboxes", &())
        .await?;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.json::<MailboxListResponse>()?.mailboxes.len(),
        0,
        "mailboxes are per account"
    );
    let listed: MailboxListResponse = t.get("/mailboxes").await?.json()?;
    assert_eq!(listed.mailboxes.len(), 1);
    assert!(
        listed.mailboxes[0].webhook_secret.is_none(),
        "the secret is shown only once"
    );
    Ok(())
}

async fn idempotent(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mb = t.mailbox().await?;
    let seq = t.email_sequence("Intro", &[1]).await?;
    let (c, e) = t.enrolled("ana@globex.example", &[], None, seq.id).await?;
    let id = new_id("twice");
    let parent = t.last_sent_id(e.id).await?;
    let raw = template(
        "reply.eml",
        &[
            ("FROM", "ana@globex.example"),
            ("FROM_NAME", "Ana"),
            ("SUBJECT", "Re: Intro"),
            ("ID", &id),
            ("PARENT", &parent),
        ],
    )?;
    let first = t.deliver(&mb, &raw).await?;
    assert!(!first.duplicate);
    let again = t.deliver(&mb, &raw).await?;
    assert!(again.duplicate && again.effects.is_empty());
    assert_eq!(again.inbound_id, first.inbound_id);
    let same_id = template(
        "reply.eml",
        &[
            ("FROM", "ana@globex.example"),
            ("FROM_NAME", "Ana R."),
            ("SUBJECT", "Re: Intro"),
            ("ID", &id),
            ("PARENT", &parent),
        ],
    )?;
    assert!(
        t.deliver(&mb, &same_id).await?.duplicate,
        "same Message-ID, other bytes"
    );
    // Same bytes, no Message-ID: the content hash catches it.
    let no_id = b"From: ana@globex.example\r\nSubject: hello again\r\n\r\nPing\r\n".to_vec();
    assert!(!t.deliver(&mb, &no_id).await?.duplicate);
    assert!(t.deliver(&mb, &no_id).await?.duplicate);
    let replies = t
        .audit_timeline(c.id)
        .await?
        .iter()
        .filter(|e| e.kind == "reply_received")
        .count();
    assert_eq!(replies, 1);
    let perf: PerformanceView = t
        .get(&format!("/sequences/{}/performance", seq.id))
        .await?
        .json()?;
    assert_eq!((perf.replies, perf.unenrolled), (1, 1));
    Ok(())
}

async fn own_address(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mb = t.mailbox().await?;
    let seq = t.email_sequence("Intro", &[1]).await?;
    let (c, e) = t.enrolled("ana@globex.example", &[], None, seq.id).await?;
    // A synced Sent folder: the rep's own message in the thread, and the rep emailing the contact.
    let raw = template(
        "reply.eml",
        &[
            ("FROM", "rep@seller.example"),
            ("FROM_NAME", "Rita Rep"),
            ("SUBJECT", "Re: Intro"),
            ("ID", &new_id("own")),
            ("PARENT", &t.last_sent_id(e.id).await?),
        ],
    )?;
    let out = t.deliver(&mb, &raw).await?;
    assert_eq!(
        out.effects,
        vec!["ignored: sent from one of the account's own addresses".to_string()]
    );
    assert_eq!(t.enrollment(e.id).await?.state, EnrollmentState::Active);
    assert_eq!(t.visible_kinds(c.id).await?, vec!["email_sent", "enrolled"]);
    Ok(())
}

async fn malformed(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mb = t.mailbox().await?;
    for raw in [
        Vec::new(),
        vec![0xff, 0x00, 0x13, 0x37],
        b"no headers at all, just words".to_vec(),
        b"From: <<<@@@>>>\r\nSubject: =?utf-8?B?!!!?=\r\n\r\n".to_vec(),
    ] {
        let out = t.deliver(&mb, &raw).await?;
        assert!(out.inbound_id.is_some(), "stored");
        assert!(out.effects.is_empty());
    }
    let out = t.deliver(&mb, &[0xff, 0x00, 0x13, 0x37]).await?;
    assert!(out.duplicate);
    assert_eq!(out.class, "unknown");
    Ok(())
}

async fn races(db: Db) -> Result<()> {
    let t = Arc::new(spawn_app(db).await?);
    let mb = t.mailbox().await?;
    let seq = t.email_sequence("Race", &[1, 1]).await?;
    let mut people = Vec::new();
    for i in 0..20 {
        let (c, e) = t
            .enrolled(&format!("r{i}@race.example"), &[], None, seq.id)
            .await?;
        people.push((c.email, e.id, t.last_sent_id(e.id).await?));
    }
    // Step 2 is due for everyone; the scheduler and the replies run at the same time.
    t.clock.advance(Duration::days(1));
    let ticker = {
        let t = t.clone();
        tokio::spawn(async move { t.app.tick(t.app.now(), 3).await })
    };
    let mut replies = Vec::new();
    for (email, id, parent) in people {
        let (t, mb) = (t.clone(), mb.clone());
        replies.push(tokio::spawn(async move {
            let raw = template(
                "reply.eml",
                &[
                    ("FROM", &email),
                    ("FROM_NAME", "R"),
                    ("SUBJECT", "Re: Race"),
                    ("ID", &new_id("race")),
                    ("PARENT", &parent),
                ],
            )?;
            t.deliver(&mb, &raw).await?;
            Ok::<_, anyhow::Error>((email.clone(), id, t.smtp.to(&email).len()))
        }));
    }
    let mut seen = Vec::new();
    for r in replies {
        seen.push(r.await??);
    }
    ticker.await??;
    t.advance_and_tick(Duration::days(5)).await?;
    for (email, id, at_reply) in seen {
        assert_eq!(
            t.smtp.to(&email).len(),
            at_reply,
            "{email}: an email went out after the reply was processed"
        );
        let sent = t.sent_ids(id).await?.len();
        assert_eq!(sent, at_reply, "{email}: every delivered email is recorded");
        assert_eq!(
            t.enrollment(id).await?.unenroll_reason,
            Some(UnenrollReason::Replied)
        );
    }
    Ok(())
}
