//! The suppression list follows the address, not the contact (issue 19, finding 9): an opt-out or
//! a hard bounce suppresses the address in the account; enrolling any contact that carries it is
//! refused (`address_suppressed`), and the send gate stops an enrollment whose address became
//! suppressed after it was enrolled. Nothing reaches the suppressed address at the SMTP sink.

use anyhow::{Context, Result};
use chrono::Duration;
use reqwest::Method;
use sequencer_tests::inbound::*;
use sequencer_tests::*;
use shared::*;

both_backends! {
    an_unsubscribed_address_cannot_be_reached_through_an_edited_or_new_contact => attack;
    an_address_suppressed_after_enrolling_is_stopped_at_the_send_gate => at_the_gate;
    a_hard_bounce_suppresses_the_address_for_every_contact => hard_bounce;
    only_admins_list_suppressions_and_other_accounts_are_unaffected => scoped;
}

const OLD: &str = "ana@globex.example";

fn contact_req(email: &str, first: &str) -> ContactRequest {
    ContactRequest {
        email: email.into(),
        secondary_emails: vec![],
        first_name: first.into(),
        last_name: "Tester".into(),
        title: String::new(),
        company_id: None,
        owner_id: None,
    }
}

/// Enrolls a contact at `OLD` and unsubscribes it through the link in its first email.
async fn unsubscribed(t: &TestApp) -> Result<(ContactView, SequenceView)> {
    let c = t.contact(OLD, "Ana", None).await?;
    let seq = t.email_sequence("Intro", &[1, 1]).await?;
    t.enroll(seq.id, &[c.id]).await?;
    let m = t.smtp.wait_for(OLD, 1).await?;
    let url = m[0]
        .header("List-Unsubscribe")
        .context("List-Unsubscribe")?
        .trim_matches(['<', '>'])
        .to_string();
    let done = t
        .http
        .post(t.local_url(&url)?)
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await?;
    anyhow::ensure!(
        done.status().as_u16() == 200,
        "unsubscribe: {}",
        done.status()
    );
    Ok((c, seq))
}

/// The per-contact error code of enrolling `contact`.
async fn enroll_code(t: &TestApp, seq: i64, contact: i64) -> Result<Option<String>> {
    let r = t.enroll(seq, &[contact]).await?;
    Ok(r.results[0]
        .error
        .as_ref()
        .map(|e| e.code.as_str().to_string()))
}

async fn attack(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let (ana, seq) = unsubscribed(&t).await?;
    // The exact steps of the report: change the unsubscribed contact's email, then add a new
    // contact with the old address and enroll it.
    let moved = t
        .send_as(
            &t.token(),
            Method::PUT,
            &format!("/contacts/{}", ana.id),
            &contact_req("ana.new@globex.example", "Ana"),
        )
        .await?;
    assert_eq!(moved.status, 200, "{}", moved.body);
    let twin = t.contact(OLD, "Anna", None).await?;
    // A second sequence too, so the refusal is not about the first one.
    let other_seq = t.email_sequence("Other", &[]).await?;
    for s in [seq.id, other_seq.id] {
        assert_eq!(
            enroll_code(&t, s, twin.id).await?.as_deref(),
            Some("address_suppressed"),
            "a new contact with the unsubscribed address is refused"
        );
        assert_eq!(
            enroll_code(&t, s, ana.id).await?.as_deref(),
            Some("contact_unsubscribed"),
            "the unsubscribed contact itself stays refused at its new address"
        );
    }
    // Later passes of the scheduler send nothing there either.
    t.advance_and_tick(Duration::days(3)).await?;
    assert_eq!(t.smtp.to(OLD).len(), 1, "only the email before the opt-out");
    assert!(t.smtp.to("ana.new@globex.example").is_empty());
    let list: SuppressionListResponse = t.get("/suppressions").await?.json()?;
    let row = list
        .suppressions
        .iter()
        .find(|s| s.email == OLD)
        .context("the old address is listed")?;
    assert_eq!(
        (row.reason.as_str(), row.contact_id),
        ("unsubscribed", Some(ana.id))
    );
    assert!(
        row.evidence
            .as_ref()
            .and_then(|e| e.unsubscribe_token_id.as_ref())
            .is_some(),
        "the list keeps the opt-out's evidence"
    );
    // Case does not matter: the list is keyed by the normalized address.
    let shout = t
        .send_as(
            &t.token(),
            Method::PUT,
            &format!("/contacts/{}", twin.id),
            &contact_req("ANA@GLOBEX.EXAMPLE", "Anna"),
        )
        .await?;
    assert_eq!(shout.status, 200, "{}", shout.body);
    assert_eq!(
        enroll_code(&t, seq.id, twin.id).await?.as_deref(),
        Some("address_suppressed")
    );
    Ok(())
}

async fn at_the_gate(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    // Bea is enrolled first, at her own address; step 1 reaches her.
    let seq2 = t.email_sequence("Nurture", &[1]).await?;
    let bea = t.contact("bea@initech.example", "Bea", None).await?;
    let e = t.enroll(seq2.id, &[bea.id]).await?.results[0]
        .enrollment
        .clone()
        .context("enrolled")?;
    t.smtp.wait_for("bea@initech.example", 1).await?;
    // Meanwhile Ana unsubscribes from another sequence and her record moves to a new address...
    let (ana, _) = unsubscribed(&t).await?;
    let moved = t
        .send_as(
            &t.token(),
            Method::PUT,
            &format!("/contacts/{}", ana.id),
            &contact_req("ana.moved@globex.example", "Ana"),
        )
        .await?;
    assert_eq!(moved.status, 200, "{}", moved.body);
    // ...and Bea's record is edited to the suppressed address while she is enrolled.
    let edited = t
        .send_as(
            &t.token(),
            Method::PUT,
            &format!("/contacts/{}", bea.id),
            &contact_req(OLD, "Bea"),
        )
        .await?;
    assert_eq!(edited.status, 200, "{}", edited.body);
    let before = t.smtp.to(OLD).len();
    let report = t.advance_and_tick(Duration::days(2)).await?;
    assert_eq!((report.emails_sent, report.cancelled), (0, 1), "{report:?}");
    assert_eq!(t.smtp.to(OLD).len(), before, "nothing reached the address");
    let v = t.enrollment(e.id).await?;
    assert_eq!(
        (v.state, v.unenroll_reason),
        (
            EnrollmentState::Unenrolled,
            Some(UnenrollReason::Unsubscribed)
        )
    );
    let note = v.evidence.and_then(|e| e.note).unwrap_or_default();
    assert!(note.contains("suppression list"), "{note}");
    // Nothing is left to send later either.
    t.advance_and_tick(Duration::days(5)).await?;
    assert_eq!(t.smtp.to(OLD).len(), before);
    Ok(())
}

async fn hard_bounce(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mb = t.mailbox().await?;
    let seq = t.email_sequence("Intro", &[1]).await?;
    let (ghost, e) = t
        .enrolled("ghost@globex.example", &[], None, seq.id)
        .await?;
    let raw = template(
        "bounce.eml",
        &[
            ("RCPT", "ghost@globex.example"),
            ("PARENT", &t.last_sent_id(e.id).await?),
            ("ACTION", "failed"),
            ("STATUS", "5.1.1"),
            (
                "DIAG",
                "550 5.1.1 <ghost@globex.example>: Recipient address rejected: User unknown",
            ),
            ("ID", &new_id("dsn")),
            ("DOMAIN", "globex.example"),
            ("SUBJECT", "Intro: hello Pat"),
        ],
    )?;
    assert_eq!(t.deliver(&mb, &raw).await?.class, "bounce_hard");
    let moved = t
        .send_as(
            &t.token(),
            Method::PUT,
            &format!("/contacts/{}", ghost.id),
            &contact_req("ghost.fixed@globex.example", "Pat"),
        )
        .await?;
    assert_eq!(moved.status, 200, "{}", moved.body);
    let again = t.contact("ghost@globex.example", "Ghost", None).await?;
    assert_eq!(
        enroll_code(&t, seq.id, again.id).await?.as_deref(),
        Some("address_suppressed")
    );
    let list: SuppressionListResponse = t.get("/suppressions").await?.json()?;
    assert_eq!(
        list.suppressions
            .iter()
            .map(|s| (s.email.as_str(), s.reason.as_str()))
            .collect::<Vec<_>>(),
        [("ghost@globex.example", "hard_bounce")]
    );
    assert_eq!(t.smtp.to("ghost@globex.example").len(), 1);
    Ok(())
}

async fn scoped(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    unsubscribed(&t).await?;
    // Another account may still mail the same address: suppression is per account.
    let other = t.other_account_token().await?;
    let c = t
        .send_as(&other, Method::POST, "/contacts", &contact_req(OLD, "Ana"))
        .await?;
    assert_eq!(c.status, 201, "{}", c.body);
    let their_list = t.get_as(&other, "/suppressions").await?;
    assert_eq!(their_list.status, 200);
    assert_eq!(
        their_list.json::<SuppressionListResponse>()?.suppressions,
        vec![]
    );
    let seq = t
        .send_as(
            &other,
            Method::POST,
            "/sequences",
            &SequenceRequest {
                name: "Theirs".into(),
                steps: vec![StepRequest {
                    kind: StepKind::AutomatedEmail,
                    delay_days: 0,
                    business_days: false,
                    subject: "Hello".into(),
                    body: "Hi".into(),
                }],
                send_window: SendWindow::default(),
                unenroll_same_company: false,
                ooo_policy: None,
            },
        )
        .await?
        .json::<SequenceView>()?;
    let contact: ContactView = c.json()?;
    let r = t.enroll_as(&other, seq.id, &[contact.id]).await?;
    assert!(r.results[0].error.is_none(), "{:?}", r.results[0].error);
    t.smtp.wait_for(OLD, 2).await?;
    // A user who is not an admin cannot read the list.
    let viewer = t
        .app
        .create_user_in(
            t.account.id,
            &CreateUserRequest {
                email: "viewer@seller.example".into(),
                name: "Vic Viewer".into(),
                role: Role::User,
                seat: None,
                password: None,
            },
        )
        .await?;
    let denied = t
        .get_as(&t.app.session_token(&viewer).token, "/suppressions")
        .await?;
    assert_eq!(
        (denied.status, denied.code().as_str()),
        (403, "requires_admin")
    );
    Ok(())
}
