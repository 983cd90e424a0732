//! Inbound rules end to end: a message in through the signed webhook -> enrollment state, evidence
//! and timeline out. Replies, outside-thread mail, other addresses, aliases, same company, left
//! company, unclassifiable mail, and the messages that change nothing.

use anyhow::Result;
use chrono::Duration;
use sequencer_tests::inbound::*;
use sequencer_tests::*;
use shared::*;

both_backends! {
    a_human_reply_unenrolls_replied_and_stores_the_evidence => replied;
    an_email_outside_the_thread_unenrolls_emailed_outside_sequence => outside;
    a_reply_in_the_thread_from_another_address_unenrolls_hidden_from_the_timeline => other_address;
    mail_from_a_secondary_address_unenrolls_emailed_from_alias_hidden => alias;
    a_colleague_replying_unenrolls_the_same_company_only_when_the_sequence_says_so => same_company;
    a_reply_without_thread_headers_is_matched_by_sender_and_subject => subject_fallback;
    a_left_the_company_reply_unenrolls_contact_unreachable => left_company;
    unclassifiable_mail_in_the_thread_holds_the_enrollment_for_review_until_the_rep_resumes_it => held_for_review;
    read_receipts_list_mail_and_other_auto_replies_change_nothing => change_nothing;
}

async fn replied(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mb = t.mailbox().await?;
    let seq = t.email_sequence("Intro", &[1, 1]).await?;
    let (c, e) = t.enrolled("ana@globex.example", &[], None, seq.id).await?;
    let reply_id = new_id("reply");
    let raw = template(
        "reply.eml",
        &[
            ("FROM", "ana@globex.example"),
            ("FROM_NAME", "Ana"),
            ("SUBJECT", "Re: Intro: hello Pat"),
            ("ID", &reply_id),
            ("PARENT", &t.last_sent_id(e.id).await?),
        ],
    )?;
    let out = t.deliver(&mb, &raw).await?;
    assert_eq!((out.class.as_str(), out.duplicate), ("human_reply", false));
    assert_eq!(
        out.effects,
        vec![format!("enrollment {}: unenroll replied", e.id)]
    );

    let v = t.enrollment(e.id).await?;
    assert_eq!(
        (v.state, v.unenroll_reason),
        (EnrollmentState::Unenrolled, Some(UnenrollReason::Replied))
    );
    let ev = v.evidence.expect("evidence");
    assert_eq!(ev.message_id.as_deref(), Some(reply_id.as_str()));
    assert_eq!(ev.from.as_deref(), Some("ana@globex.example"));
    assert_eq!(ev.subject.as_deref(), Some("Re: Intro: hello Pat"));
    assert_eq!(ev.class.as_deref(), Some("human_reply"));
    assert_eq!(v.ended_by.map(|a| a.kind), Some(ActorKind::Rule));
    assert_eq!(
        t.visible_kinds(c.id).await?,
        vec!["unenrolled", "reply_received", "email_sent", "enrolled"]
    );

    t.advance_and_tick(Duration::days(5)).await?;
    assert_eq!(
        t.smtp.to(&c.email).len(),
        1,
        "nothing is sent after the reply"
    );
    let perf: PerformanceView = t
        .get(&format!("/sequences/{}/performance", seq.id))
        .await?
        .json()?;
    assert_eq!((perf.replies, perf.unenrolled), (1, 1));
    Ok(())
}

async fn outside(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mb = t.mailbox().await?;
    let seq = t.email_sequence("Intro", &[1]).await?;
    let (c, e) = t.enrolled("ana@globex.example", &[], None, seq.id).await?;
    let raw = template(
        "email.eml",
        &[
            ("FROM", "ana@globex.example"),
            ("FROM_NAME", "Ana"),
            ("SUBJECT", "Pricing for twenty seats"),
            ("ID", &new_id("mail")),
        ],
    )?;
    t.deliver(&mb, &raw).await?;
    let v = t.enrollment(e.id).await?;
    assert_eq!(
        v.unenroll_reason,
        Some(UnenrollReason::EmailedOutsideSequence)
    );
    assert_eq!(
        t.visible_kinds(c.id).await?[..2],
        ["unenrolled", "email_received"]
    );
    Ok(())
}

async fn other_address(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mb = t.mailbox().await?;
    let seq = t.email_sequence("Intro", &[1]).await?;
    let (c, e) = t.enrolled("ana@globex.example", &[], None, seq.id).await?;
    let raw = template(
        "reply.eml",
        &[
            ("FROM", "assistant@globex.example"),
            ("FROM_NAME", "Ana's assistant"),
            ("SUBJECT", "Re: Intro: hello Pat"),
            ("ID", &new_id("other")),
            ("PARENT", &t.last_sent_id(e.id).await?),
        ],
    )?;
    t.deliver(&mb, &raw).await?;
    let v = t.enrollment(e.id).await?;
    assert_eq!(
        (v.state, v.unenroll_reason),
        (
            EnrollmentState::Unenrolled,
            Some(UnenrollReason::RepliedFromOtherAddress)
        )
    );
    assert_eq!(
        v.evidence.and_then(|e| e.from).as_deref(),
        Some("assistant@globex.example")
    );
    assert_eq!(
        t.visible_kinds(c.id).await?,
        vec!["email_sent", "enrolled"],
        "hidden from the timeline"
    );
    let audit: Vec<(String, bool)> = t
        .audit_timeline(c.id)
        .await?
        .into_iter()
        .map(|e| (e.kind, e.hidden))
        .collect();
    assert_eq!(
        audit[..2],
        [
            ("unenrolled".to_string(), true),
            ("reply_received".to_string(), true)
        ],
        "but recorded"
    );
    Ok(())
}

async fn alias(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mb = t.mailbox().await?;
    let seq = t.email_sequence("Intro", &[1]).await?;
    let (c, e) = t
        .enrolled(
            "ana@globex.example",
            &["ana.private@gmail.com"],
            None,
            seq.id,
        )
        .await?;
    let raw = template(
        "email.eml",
        &[
            ("FROM", "Ana.Private@gmail.com"),
            ("FROM_NAME", "Ana"),
            ("SUBJECT", "From my personal address"),
            ("ID", &new_id("alias")),
        ],
    )?;
    t.deliver(&mb, &raw).await?;
    let v = t.enrollment(e.id).await?;
    assert_eq!(v.unenroll_reason, Some(UnenrollReason::EmailedFromAlias));
    assert_eq!(t.visible_kinds(c.id).await?, vec!["email_sent", "enrolled"]);
    assert!(t
        .audit_timeline(c.id)
        .await?
        .iter()
        .any(|e| e.kind == "unenrolled" && e.hidden));
    Ok(())
}

async fn same_company(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mb = t.mailbox().await?;
    let co: CompanyView = t
        .post(
            "/companies",
            &CompanyRequest {
                name: "Initech".into(),
                domains: vec!["initech.example".into()],
            },
        )
        .await?
        .json()?;
    let on = t.sequence_with("Team", &[1], true, None).await?;
    let off = t.sequence_with("Solo", &[1], false, None).await?;
    let (_, bob) = t
        .enrolled("bob@initech.example", &[], Some(co.id), on.id)
        .await?;
    let (_, carol) = t
        .enrolled("carol@initech.example", &[], None, on.id)
        .await?;
    let (_, gina) = t
        .enrolled("gina@initech-labs.example", &[], Some(co.id), on.id)
        .await?;
    let (_, dave) = t
        .enrolled("dave@initech.example", &[], Some(co.id), off.id)
        .await?;
    let (_, eve) = t.enrolled("eve@gmail.com", &[], None, on.id).await?;
    let (_, frank) = t.enrolled("frank@gmail.com", &[], None, on.id).await?;

    let raw = template(
        "email.eml",
        &[
            ("FROM", "bob@initech.example"),
            ("FROM_NAME", "Bob"),
            ("SUBJECT", "Let's talk"),
            ("ID", &new_id("bob")),
        ],
    )?;
    t.deliver(&mb, &raw).await?;
    let reason = |v: EnrollmentView| (v.state, v.unenroll_reason);
    assert_eq!(
        reason(t.enrollment(bob.id).await?),
        (
            EnrollmentState::Unenrolled,
            Some(UnenrollReason::EmailedOutsideSequence)
        )
    );
    let same = (
        EnrollmentState::Unenrolled,
        Some(UnenrollReason::SameCompanyReplied),
    );
    assert_eq!(reason(t.enrollment(carol.id).await?), same, "same domain");
    assert_eq!(
        reason(t.enrollment(gina.id).await?),
        same,
        "same company record"
    );
    assert_eq!(
        t.enrollment(carol.id)
            .await?
            .evidence
            .and_then(|e| e.from)
            .as_deref(),
        Some("bob@initech.example")
    );
    assert_eq!(
        reason(t.enrollment(dave.id).await?),
        (EnrollmentState::Active, None),
        "the setting is off in that sequence"
    );

    let raw = template(
        "email.eml",
        &[
            ("FROM", "eve@gmail.com"),
            ("FROM_NAME", "Eve"),
            ("SUBJECT", "Hello"),
            ("ID", &new_id("eve")),
        ],
    )?;
    t.deliver(&mb, &raw).await?;
    assert_eq!(
        reason(t.enrollment(eve.id).await?),
        (
            EnrollmentState::Unenrolled,
            Some(UnenrollReason::EmailedOutsideSequence)
        )
    );
    assert_eq!(
        reason(t.enrollment(frank.id).await?),
        (EnrollmentState::Active, None),
        "free mail is not a company"
    );
    Ok(())
}

async fn subject_fallback(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mb = t.mailbox().await?;
    let seq = t.email_sequence("Intro", &[1]).await?;
    let (_, e) = t.enrolled("ana@globex.example", &[], None, seq.id).await?;
    let raw = template(
        "email.eml",
        &[
            ("FROM", "ana@globex.example"),
            ("FROM_NAME", "Ana"),
            ("SUBJECT", "AW: RE: Intro: hello Pat"),
            ("ID", &new_id("fb")),
        ],
    )?;
    t.deliver(&mb, &raw).await?;
    assert_eq!(
        t.enrollment(e.id).await?.unenroll_reason,
        Some(UnenrollReason::Replied)
    );
    Ok(())
}

async fn left_company(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mb = t.mailbox().await?;
    let seq = t.email_sequence("Intro", &[1]).await?;
    let (c, e) = t
        .enrolled("tom.baker@example.co.uk", &[], None, seq.id)
        .await?;
    let out = t
        .deliver(&mb, &classifier_fixture("left-company-exchange.eml")?)
        .await?;
    assert_eq!(out.class, "left_company");
    assert_eq!(
        t.enrollment(e.id).await?.unenroll_reason,
        Some(UnenrollReason::ContactUnreachable)
    );
    assert_eq!(
        t.visible_kinds(c.id).await?[..2],
        ["unenrolled", "auto_reply_received"]
    );
    Ok(())
}

async fn held_for_review(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mb = t.mailbox().await?;
    let seq = t.email_sequence("Intro", &[1]).await?;
    let (c, e) = t.enrolled("ana@globex.example", &[], None, seq.id).await?;
    let out = t
        .deliver(
            &mb,
            &template(
                "unknown.eml",
                &[
                    ("ID", &new_id("unk")),
                    ("PARENT", &t.last_sent_id(e.id).await?),
                ],
            )?,
        )
        .await?;
    assert_eq!(out.class, "unknown");
    let v = t.enrollment(e.id).await?;
    assert_eq!(
        (v.state, v.pause_reason),
        (EnrollmentState::Paused, Some(PauseReason::HeldForReview))
    );
    assert_eq!(v.evidence.and_then(|e| e.class).as_deref(), Some("unknown"));
    t.advance_and_tick(Duration::days(3)).await?;
    assert_eq!(t.smtp.to(&c.email).len(), 1, "held, not sent");
    assert_eq!(t.visible_kinds(c.id).await?[0], "held_for_review");

    // The rep reviews it and resumes: the overdue step goes out at the next tick.
    let path = format!("/enrollments/{}/resume", e.id);
    let other = t
        .send_as(
            &t.other_account_token().await?,
            reqwest::Method::POST,
            &path,
            &serde_json::json!({}),
        )
        .await?;
    assert_eq!(other.status, 404, "another account's enrollment");
    let a = t.post(&path, &serde_json::json!({})).await?;
    assert_eq!(a.status, 200, "{}", a.body);
    let v: EnrollmentView = a.json()?;
    assert_eq!((v.state, v.pause_reason), (EnrollmentState::Active, None));
    assert_eq!(t.visible_kinds(c.id).await?[0], "resumed");
    t.advance_and_tick(Duration::minutes(1)).await?;
    t.smtp.wait_for(&c.email, 2).await?;
    let again = t.post(&path, &serde_json::json!({})).await?;
    assert_eq!(
        (again.status, again.code().as_str()),
        (409, "enrollment_not_paused"),
        "{}",
        again.body
    );
    Ok(())
}

async fn change_nothing(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mb = t.mailbox().await?;
    let seq = t.email_sequence("Intro", &[1]).await?;
    let (c, e) = t.enrolled("ana@globex.example", &[], None, seq.id).await?;
    let parent = t.last_sent_id(e.id).await?;
    let vars = |id: &str| {
        vec![
            ("FROM", "ana@globex.example".to_string()),
            ("FROM_NAME", "Ana".into()),
            ("SUBJECT", "Intro: hello Pat".into()),
            ("ID", id.to_string()),
            ("PARENT", parent.clone()),
            ("DOMAIN", "globex.example".into()),
        ]
    };
    for (file, class) in [
        ("read-receipt.eml", "read_receipt"),
        ("list.eml", "list_mail"),
        ("autoreply-other.eml", "auto_reply_other"),
    ] {
        let v = vars(&new_id("nothing"));
        let v: Vec<(&str, &str)> = v.iter().map(|(k, x)| (*k, x.as_str())).collect();
        let out = t.deliver(&mb, &template(file, &v)?).await?;
        assert_eq!(out.class, class, "{file}");
        assert_eq!(
            t.enrollment(e.id).await?.state,
            EnrollmentState::Active,
            "{file}"
        );
    }
    assert_eq!(
        t.visible_kinds(c.id).await?[0],
        "auto_reply_received",
        "reps see auto-replies"
    );
    let r: RecipientsResponse = t
        .get("/recipients?email=ana@globex.example")
        .await?
        .json()?;
    assert_eq!(r.recipients[0].recent_auto_replies.len(), 1);
    t.advance_and_tick(Duration::days(1)).await?;
    assert_eq!(t.smtp.to(&c.email).len(), 2, "the schedule went on");
    Ok(())
}
