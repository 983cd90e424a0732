//! Unsubscribe: every sequence email carries a signed link and RFC 8058 one-click headers; GET
//! only shows a page; POST (button or one-click) opts the contact out and unenrolls it.

use anyhow::{Context, Result};
use chrono::Duration;
use sequencer_tests::links::{body_text, find_url};
use sequencer_tests::*;
use shared::*;

both_backends! {
    every_sequence_email_has_a_signed_link_and_one_click_headers => headers;
    get_shows_a_page_and_the_button_post_unsubscribes_once => by_page;
    a_one_click_post_unsubscribes_and_enrolling_later_fails => one_click;
    invalid_or_tampered_links_get_a_clear_page => bad_links;
}

/// Enrolls one contact in a two-step sequence and returns (contact, enrollment, List-Unsubscribe URL).
async fn enrolled(t: &TestApp) -> Result<(ContactView, EnrollmentView, String)> {
    let c = t.contact("ana@globex.example", "Ana", None).await?;
    let seq = t.email_sequence("Intro", &[1]).await?;
    let e = t.enroll(seq.id, &[c.id]).await?.results[0]
        .enrollment
        .clone()
        .context("enrolled")?;
    let m = t.smtp.wait_for(&c.email, 1).await?;
    let header = m[0]
        .header("List-Unsubscribe")
        .context("List-Unsubscribe")?;
    let url = header
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string();
    Ok((c, e, url))
}

async fn headers(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let (c, _, url) = enrolled(&t).await?;
    let m = &t.smtp.to(&c.email)[0];
    assert_eq!(
        m.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(url.starts_with("http://127.0.0.1/u/"), "{url}");
    let token = url.rsplit('/').next().unwrap_or("");
    assert!(token.len() >= 32, "an unguessable token: {token}");
    assert_eq!(
        find_url(&body_text(m), "/u/").as_deref(),
        Some(url.as_str()),
        "the body carries the same link"
    );
    t.advance_and_tick(Duration::days(1)).await?;
    let follow_up = t.smtp.wait_for(&c.email, 2).await?;
    assert!(follow_up
        .iter()
        .all(|m| m.header("List-Unsubscribe").is_some()));
    Ok(())
}

async fn by_page(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let (c, e, url) = enrolled(&t).await?;
    let local = t.local_url(&url)?;
    for _ in 0..2 {
        let page = t.http.get(&local).send().await?;
        assert_eq!(page.status().as_u16(), 200);
        assert!(page.headers().get("content-security-policy").is_some());
        assert_eq!(
            page.headers()
                .get("referrer-policy")
                .and_then(|v| v.to_str().ok()),
            Some("no-referrer")
        );
        let html = page.text().await?;
        assert!(
            html.contains("ana@globex.example") && html.contains("<form method=post"),
            "{html}"
        );
    }
    assert_eq!(
        t.enrollment(e.id).await?.state,
        EnrollmentState::Active,
        "GET never unsubscribes"
    );

    let done = t
        .http
        .post(&local)
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await?;
    assert_eq!(done.status().as_u16(), 200);
    assert!(done.text().await?.contains("unsubscribed"));
    let v = t.enrollment(e.id).await?;
    assert_eq!(
        (v.state, v.unenroll_reason),
        (
            EnrollmentState::Unenrolled,
            Some(UnenrollReason::Unsubscribed)
        )
    );
    let by = v.ended_by.context("actor")?;
    assert_eq!(
        (by.kind, by.name.as_deref()),
        (ActorKind::Rule, Some("unsubscribe_link"))
    );
    let token_id = v
        .evidence
        .as_ref()
        .and_then(|e| e.unsubscribe_token_id.clone())
        .context("token id in evidence")?;
    assert!(
        !url.contains(&token_id),
        "the evidence names the token without revealing it"
    );

    let again = t
        .http
        .post(&local)
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await?;
    assert_eq!(again.status().as_u16(), 200);
    assert!(again.text().await?.contains("already unsubscribed"));
    let perf: PerformanceView = t
        .get(&format!("/sequences/{}/performance", v.sequence.id))
        .await?
        .json()?;
    assert_eq!(
        (perf.unsubscribes, perf.unenrolled, perf.emails_sent),
        (1, 1, 1),
        "idempotent: counted once"
    );
    let contact: ContactView = t.get(&format!("/contacts/{}", c.id)).await?.json()?;
    assert!(contact.unsubscribed);
    t.advance_and_tick(Duration::days(3)).await?;
    assert_eq!(
        t.smtp.to(&c.email).len(),
        1,
        "nothing sent after unsubscribing"
    );
    Ok(())
}

async fn one_click(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let (c, e, url) = enrolled(&t).await?;
    // RFC 8058: the mail client POSTs the body `List-Unsubscribe=One-Click` to the header's URL.
    let r = t
        .http
        .post(t.local_url(&url)?)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        t.enrollment(e.id).await?.unenroll_reason,
        Some(UnenrollReason::Unsubscribed)
    );
    let other = t.email_sequence("Later", &[]).await?;
    let r = t.enroll(other.id, &[c.id]).await?;
    assert_eq!(
        r.results[0].error.as_ref().map(|e| e.code),
        Some(ErrorCode::ContactUnsubscribed)
    );
    let record: ContactRecordView = t.get(&format!("/contacts/{}/record", c.id)).await?.json()?;
    let kinds: Vec<&str> = record.timeline.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(&kinds[..2], &["unenrolled", "unsubscribed"]);
    Ok(())
}

async fn bad_links(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let (_, e, url) = enrolled(&t).await?;
    let local = t.local_url(&url)?;
    let (payload, sig) = local.rsplit_once('.').context("token")?;
    let flipped = format!(
        "{payload}.{}{}",
        if sig.starts_with('0') { '1' } else { '0' },
        &sig[1..]
    );
    let other_enrollment =
        local.replacen(&format!("/u/{}.", e.id), &format!("/u/{}.", e.id + 1), 1);
    let well_signed_missing = format!(
        "{}/u/{}",
        t.base,
        t.app
            .unsubscribe_token(sequencer_server::domain::EnrollmentId(987_654))
    );
    let cases = [
        (flipped.clone(), 400),
        (other_enrollment, 400),
        (format!("{}/u/garbage", t.base), 400),
        (format!("{}/u/{}.{}", t.base, e.id, "0".repeat(32)), 400),
        (well_signed_missing, 404),
    ];
    for (u, status) in cases {
        for method in [reqwest::Method::GET, reqwest::Method::POST] {
            let r = t.http.request(method.clone(), &u).send().await?;
            assert_eq!(r.status().as_u16(), status, "{method} {u}");
            assert!(r
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .starts_with("text/html"));
            assert!(r.text().await?.contains("link"), "a clear page");
        }
    }
    assert_eq!(
        t.enrollment(e.id).await?.state,
        EnrollmentState::Active,
        "no bad link changed anything"
    );
    Ok(())
}
