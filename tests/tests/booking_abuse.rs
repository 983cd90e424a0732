//! The public booking page (issue 19, finding 6): an anonymous visitor typing a contact's address
//! on a user's own booking page neither books nor ends the contact's sequence until the address
//! is proven by the link emailed to it; the signed link inside a sequence email still books and
//! unenrolls at once; and bookings are rate limited per page and client, per page, and per page
//! and address, atomically under concurrency.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use anyhow::{Context, Result};
use reqwest::Method;
use sequencer_server::domain::{EnrollmentId, UserId};
use sequencer_tests::links::{body_text, find_url};
use sequencer_tests::*;
use shared::*;

both_backends! {
    an_anonymous_booking_with_a_contacts_address_unenrolls_only_after_the_emailed_link_is_confirmed => proven_address;
    the_signed_link_in_a_sequence_email_still_books_and_unenrolls_at_once => sequence_link;
    concurrent_bookings_are_bounded_by_every_limit_and_the_rest_get_429 => limits;
}

/// The rep's own booking page (not from a sequence email).
async fn own_page(t: &TestApp) -> Result<String> {
    let mine: AvailabilityView = t
        .send_as(
            &t.token(),
            Method::PUT,
            "/me/availability",
            &working_week("UTC"),
        )
        .await?
        .json()?;
    t.local_url(&mine.meeting_link)
}

fn slots(html: &str) -> Vec<i64> {
    html.split("name=slot value=")
        .skip(1)
        .filter_map(|s| {
            s.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .ok()
        })
        .collect()
}

async fn first_slot(t: &TestApp, page: &str) -> Result<i64> {
    let html = t.http.get(page).send().await?.text().await?;
    slots(&html).first().copied().context("no slot on the page")
}

async fn post_booking(
    http: &reqwest::Client,
    page: &str,
    slot: i64,
    email: &str,
) -> Result<(u16, String)> {
    let r = http
        .post(page)
        .form(&[("slot", slot.to_string()), ("email", email.to_string())])
        .send()
        .await?;
    Ok((r.status().as_u16(), r.text().await?))
}

/// Enrolls a new contact in a one-email sequence (the rep enrolls, so the rep's own page would
/// unenroll once the address is proven).
async fn enrolled(t: &TestApp, email: &str, seq: i64) -> Result<(ContactView, i64)> {
    let c = t.contact(email, "Ana", None).await?;
    let e = t.enroll(seq, &[c.id]).await?.results[0]
        .enrollment
        .clone()
        .context("enrolled")?;
    Ok((c, e.id))
}

/// A confirmation link emailed to `to` (once `to` has `n` emails), as a URL of the test server.
async fn confirmation_link(t: &TestApp, to: &str, n: usize) -> Result<String> {
    let mails = t.smtp.wait_for(to, n).await?;
    let link = mails
        .iter()
        .find_map(|m| find_url(&body_text(m), "/book/confirm/"))
        .with_context(|| {
            format!(
                "no confirmation link in {:?}",
                mails.iter().map(body_text).collect::<Vec<_>>()
            )
        })?;
    t.local_url(&link)
}

async fn proven_address(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let page = own_page(&t).await?;
    let seq = t.email_sequence("Outreach", &[3]).await?;
    let (ana, e_ana) = enrolled(&t, "ana@globex.example", seq.id).await?;
    t.smtp.wait_for(&ana.email, 1).await?;
    let slot = first_slot(&t, &page).await?;

    // The attack, in every spelling of the address: nothing is booked, nothing ends.
    for spelled in [
        "ana@globex.example",
        "ANA@Globex.Example",
        "  ana@globex.example ",
    ] {
        let (status, html) = post_booking(&t.http, &page, slot, spelled).await?;
        assert_eq!(status, 202, "{spelled}: {html}");
        assert!(html.contains("Check your email"), "{html}");
        let v = t.enrollment(e_ana).await?;
        assert_eq!(v.state, EnrollmentState::Active, "{spelled}");
        assert_eq!(
            first_slot(&t, &page).await?,
            slot,
            "an unconfirmed booking holds no slot"
        );
    }
    // Each went as a confirmation email to the address itself (1 sequence email + 3).
    let link = confirmation_link(&t, &ana.email, 4).await?;

    // Opening the link (as a mail scanner would) changes nothing.
    let r = t.http.get(&link).send().await?;
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await?;
    assert!(html.contains("Confirm your meeting"), "{html}");
    assert_eq!(t.enrollment(e_ana).await?.state, EnrollmentState::Active);

    // A forged or re-purposed link is refused: a meeting-page token is not a confirmation.
    let token = link.rsplit('/').next().unwrap_or_default();
    for bad in [
        format!("{}/book/confirm/{}0", t.base, token),
        format!(
            "{}/book/confirm/{}",
            t.base,
            t.app.meeting_token(t.user.id, None)
        ),
    ] {
        let r = t.http.post(&bad).send().await?;
        assert_eq!(r.status().as_u16(), 400, "{bad}");
    }
    assert_eq!(t.enrollment(e_ana).await?.state, EnrollmentState::Active);

    // Confirming proves the address: booked, and the rules apply (the rep enrolled Ana).
    let r = t.http.post(&link).send().await?;
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await?.contains("You are booked"));
    let v = t.enrollment(e_ana).await?;
    assert_eq!(v.unenroll_reason, Some(UnenrollReason::MeetingBooked));
    assert_eq!(
        v.evidence.and_then(|e| e.meeting_source).as_deref(),
        Some("meeting_link")
    );
    assert_ne!(first_slot(&t, &page).await?, slot, "the slot is taken now");
    // The link works once: again, it shows the same booking and books nothing more.
    let r = t.http.post(&link).send().await?;
    assert_eq!(r.status().as_u16(), 200);
    let perf: PerformanceView = t
        .get(&format!("/sequences/{}/performance", seq.id))
        .await?
        .json()?;
    assert_eq!((perf.meetings, perf.unenrolled), (1, 1));

    // Another pending booking for the same slot cannot be confirmed now: the slot is taken.
    let (ben, e_ben) = enrolled(&t, "ben@globex.example", seq.id).await?;
    t.smtp.wait_for(&ben.email, 1).await?;
    let later = first_slot(&t, &page).await?;
    assert_eq!(
        post_booking(&t.http, &page, later, &ben.email).await?.0,
        202
    );
    let ben_link = confirmation_link(&t, &ben.email, 2).await?;
    // A link expires after a day.
    t.clock.advance(chrono::Duration::hours(25));
    let r = t.http.post(&ben_link).send().await?;
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(t.enrollment(e_ben).await?.state, EnrollmentState::Active);
    Ok(())
}

async fn sequence_link(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    own_page(&t).await?;
    let seq = t.meeting_sequence().await?;
    let (ana, e_ana) = enrolled(&t, "ana@globex.example", seq.id).await?;
    let mail = t.smtp.wait_for(&ana.email, 1).await?;
    let link = t.local_url(
        &find_url(&body_text(&mail[0]), "/book/").context("meeting link in the email")?,
    )?;
    let slot = first_slot(&t, &link).await?;
    let (status, html) = post_booking(&t.http, &link, slot, &ana.email).await?;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("You are booked"), "{html}");
    let v = t.enrollment(e_ana).await?;
    assert_eq!(v.unenroll_reason, Some(UnenrollReason::MeetingBooked));
    assert_eq!(
        v.evidence.and_then(|e| e.meeting_source).as_deref(),
        Some("sequence_email_link")
    );
    // No confirmation email: the link itself came from the contact's mailbox.
    assert_eq!(t.smtp.to(&ana.email).len(), 1);
    Ok(())
}

/// A client whose requests come from `127.0.0.<n>` (all of 127/8 is loopback on Linux).
fn client_from(n: u8) -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)))
        .build()?)
}

async fn limits(db: Db) -> Result<()> {
    let t = Arc::new(spawn_app(db).await?);
    let page = own_page(&t).await?;
    let (colin, colin_token) = {
        let a = t
            .post(
                "/users",
                &CreateUserRequest {
                    email: "colin@seller.example".into(),
                    name: "Colin".into(),
                    role: Role::User,
                    seat: Some(Seat::SalesPro),
                    password: None,
                },
            )
            .await?;
        anyhow::ensure!(a.status == 201, "{} {}", a.status, a.body);
        let v: UserView = a.json()?;
        let u = t
            .app
            .store
            .user(t.account.id, UserId(v.id))
            .await?
            .context("user")?;
        (v, t.app.session_token(&u).token)
    };
    t.send_as(
        &colin_token,
        Method::PUT,
        "/me/availability",
        &working_week("UTC"),
    )
    .await?;
    let colin_page = format!(
        "{}/book/{}",
        t.base,
        t.app.meeting_token(UserId(colin.id), None)
    );

    struct Case {
        name: &'static str,
        page: String,
        /// `(client address, email)` per concurrent booking.
        requests: Vec<(u8, String)>,
        allowed: usize,
    }
    let cases = vec![
        Case {
            name: "one client, 40 addresses: 5 a minute per page and client",
            page: page.clone(),
            requests: (0..40)
                .map(|i| (1, format!("v{i}@visitors.example")))
                .collect(),
            allowed: 5,
        },
        Case {
            name: "40 clients, 40 addresses: 20 an hour per page",
            page: colin_page.clone(),
            requests: (0..40)
                .map(|i| (10 + i as u8, format!("w{i}@visitors.example")))
                .collect(),
            allowed: 20,
        },
        Case {
            name: "10 clients, one address: 3 an hour per page and address",
            page: page.clone(),
            requests: (0..10)
                .map(|i| (100 + i as u8, "victim@target.example".to_string()))
                .collect(),
            allowed: 3,
        },
    ];
    for case in cases {
        // A fresh window for every case.
        t.clock.advance(chrono::Duration::hours(2));
        let slot = first_slot(&t, &case.page).await?;
        let mut tasks = Vec::new();
        for (n, email) in &case.requests {
            let http = client_from(*n)?;
            let (page, email) = (case.page.clone(), email.clone());
            tasks.push(tokio::spawn(async move {
                post_booking(&http, &page, slot, &email).await
            }));
        }
        let mut accepted = Vec::new();
        let mut limited = 0;
        for (task, (_, email)) in tasks.into_iter().zip(&case.requests) {
            let (status, body) = task.await??;
            match status {
                202 => accepted.push(email.clone()),
                429 => {
                    let v: serde_json::Value = serde_json::from_str(&body)?;
                    assert_eq!(v["code"], "rate_limited", "{}: {body}", case.name);
                    limited += 1;
                }
                other => panic!("{}: unexpected {other}: {body}", case.name),
            }
        }
        assert_eq!(accepted.len(), case.allowed, "{}", case.name);
        assert_eq!(limited, case.requests.len() - case.allowed, "{}", case.name);
        // Exactly the accepted bookings sent a confirmation email.
        let mut expected = std::collections::HashMap::new();
        for e in &accepted {
            *expected.entry(e.clone()).or_insert(0usize) += 1;
        }
        for (email, n) in &expected {
            t.smtp.wait_for(email, *n).await?;
        }
        for (_, email) in &case.requests {
            assert_eq!(
                t.smtp.to(email).len(),
                expected.get(email).copied().unwrap_or(0),
                "{}: {email}",
                case.name
            );
        }
    }
    // A signed sequence-email link is limited too (per page and client).
    let link = format!(
        "{}/book/{}",
        t.base,
        t.app.meeting_token(t.user.id, Some(EnrollmentId(999_999)))
    );
    t.clock.advance(chrono::Duration::hours(2));
    let html = t.http.get(&link).send().await?.text().await?;
    let free = slots(&html);
    let http = client_from(200)?;
    let mut statuses = Vec::new();
    for (i, slot) in free.iter().take(7).enumerate() {
        statuses.push(
            post_booking(&http, &link, *slot, &format!("s{i}@visitors.example"))
                .await?
                .0,
        );
    }
    assert_eq!(statuses, vec![200, 200, 200, 200, 200, 429, 429]);
    Ok(())
}
