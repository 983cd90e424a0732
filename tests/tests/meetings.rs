//! Meetings: the public booking page (through a sequence email's link, or a user's own link) and
//! meetings logged through the API, each checked against the unenroll rules.

use anyhow::{Context, Result};
use reqwest::Method;
use sequencer_server::domain::{EnrollmentId, UserId};
use sequencer_tests::links::{body_text, find_url};
use sequencer_tests::*;
use shared::*;

both_backends! {
    booking_through_a_sequence_email_link_unenrolls_even_with_another_users_link => booking;
    meetings_api_unenrolls_only_as_the_rules_say => meetings_api;
    two_visitors_racing_for_one_slot_cannot_both_book_it => slot_race;
}

/// A second seated user of the main account, with a session token.
async fn colleague(t: &TestApp, email: &str) -> Result<(UserView, String)> {
    let req = CreateUserRequest {
        email: email.into(),
        name: "Colin Colleague".into(),
        role: Role::User,
        seat: Some(Seat::SalesPro),
        password: None,
    };
    let a = t.post("/users", &req).await?;
    anyhow::ensure!(a.status == 201, "{} {}", a.status, a.body);
    let v: UserView = a.json()?;
    let user = t
        .app
        .store
        .user(t.account.id, UserId(v.id))
        .await?
        .context("user")?;
    Ok((v, t.app.session_token(&user).token))
}

fn first_slot(html: &str) -> Result<i64> {
    let at = html
        .find("name=slot value=")
        .context("no slot on the page")?
        + "name=slot value=".len();
    Ok(html[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()?)
}

async fn book(t: &TestApp, url: &str, email: &str) -> Result<(u16, String)> {
    let page = t.http.get(url).send().await?;
    anyhow::ensure!(
        page.status().as_u16() == 200,
        "booking page {}",
        page.status()
    );
    let slot = first_slot(&page.text().await?)?;
    let r = t
        .http
        .post(url)
        .form(&[("slot", slot.to_string()), ("email", email.to_string())])
        .send()
        .await?;
    Ok((r.status().as_u16(), r.text().await?))
}

/// The booking confirmation link emailed to `to`, as a URL of the test server.
async fn confirmation_link(t: &TestApp, to: &str) -> Result<String> {
    for _ in 0..400 {
        if let Some(link) = t
            .smtp
            .to(to)
            .iter()
            .find_map(|m| find_url(&body_text(m), "/book/confirm/"))
        {
            return t.local_url(&link);
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    anyhow::bail!("no confirmation link reached {to}")
}

async fn booking(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mine: AvailabilityView = t
        .send_as(
            &t.token(),
            Method::PUT,
            "/me/availability",
            &working_week("Europe/Berlin"),
        )
        .await?
        .json()?;
    assert!(mine.meeting_link.contains("/book/"));
    let (colin, colin_token) = colleague(&t, "colin@seller.example").await?;
    t.send_as(
        &colin_token,
        Method::PUT,
        "/me/availability",
        &working_week("America/New_York"),
    )
    .await?;

    let seq = t.meeting_sequence().await?;
    let ana = t.contact("ana@globex.example", "Ana", None).await?;
    let ben = t.contact("ben@globex.example", "Ben", None).await?;
    let cy = t.contact("cy@globex.example", "Cy", None).await?;
    let e_ana = t.enroll(seq.id, &[ana.id]).await?.results[0]
        .enrollment
        .clone()
        .context("enrolled")?;
    let e_ben = t.enroll(seq.id, &[ben.id]).await?.results[0]
        .enrollment
        .clone()
        .context("enrolled")?;
    let e_cy = t.enroll(seq.id, &[cy.id]).await?.results[0]
        .enrollment
        .clone()
        .context("enrolled")?;

    // Ana books through the {{meeting_link}} rendered in her email.
    let mail = t.smtp.wait_for(&ana.email, 1).await?;
    let link = find_url(&body_text(&mail[0]), "/book/").context("meeting link in the email")?;
    let (status, html) = book(&t, &t.local_url(&link)?, &ana.email).await?;
    assert_eq!(status, 200, "{html}");
    let v = t.enrollment(e_ana.id).await?;
    assert_eq!(v.unenroll_reason, Some(UnenrollReason::MeetingBooked));
    assert_eq!(
        v.evidence.and_then(|e| e.meeting_source).as_deref(),
        Some("sequence_email_link")
    );

    // Ben's email carried a colleague's link (tracked to his enrollment): it still unenrolls.
    let colin_link = format!(
        "{}/book/{}",
        t.base,
        t.app
            .meeting_token(UserId(colin.id), Some(EnrollmentId(e_ben.id)))
    );
    assert_eq!(book(&t, &colin_link, &ben.email).await?.0, 200);
    assert_eq!(
        t.enrollment(e_ben.id).await?.unenroll_reason,
        Some(UnenrollReason::MeetingBooked)
    );

    // Cy books through Colin's own page (not from a sequence email): the address is proven by
    // the emailed confirmation link (booking_abuse.rs), and Colin did not enroll Cy.
    let colin_page = format!(
        "{}/book/{}",
        t.base,
        t.app.meeting_token(UserId(colin.id), None)
    );
    assert_eq!(book(&t, &colin_page, &cy.email).await?.0, 202);
    let confirm = confirmation_link(&t, &cy.email).await?;
    assert_eq!(t.http.post(&confirm).send().await?.status().as_u16(), 200);
    assert_eq!(t.enrollment(e_cy.id).await?.state, EnrollmentState::Active);

    // A taken slot is refused; a tampered link gets a clear page.
    let page = t.http.get(&colin_page).send().await?.text().await?;
    let taken = first_slot(&page)? - 30 * 60_000;
    let r = t
        .http
        .post(&colin_page)
        .form(&[("slot", taken.to_string()), ("email", "x@y.example".into())])
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 409);
    assert_eq!(
        t.http
            .get(format!("{}x", colin_page))
            .send()
            .await?
            .status()
            .as_u16(),
        400
    );

    let perf: PerformanceView = t
        .get(&format!("/sequences/{}/performance", seq.id))
        .await?
        .json()?;
    assert_eq!(
        (
            perf.meetings,
            perf.unenrolled,
            perf.emails_sent,
            perf.enrolled
        ),
        (2, 2, 3, 3)
    );
    Ok(())
}

fn meeting(
    source: MeetingSource,
    organizer: i64,
    contacts: &[i64],
    companies: &[i64],
    starts_at: &str,
) -> MeetingRequest {
    MeetingRequest {
        source,
        organizer_id: Some(organizer),
        contact_ids: contacts.to_vec(),
        company_ids: companies.to_vec(),
        starts_at: starts_at.into(),
        ends_at: None,
        title: "Call".into(),
    }
}

async fn log(t: &TestApp, req: &MeetingRequest) -> Result<Vec<String>> {
    let a = t.post("/meetings", req).await?;
    anyhow::ensure!(a.status == 201, "{} {}", a.status, a.body);
    let v: MeetingView = a.json()?;
    Ok(v.outcomes.into_iter().map(|o| o.outcome).collect())
}

async fn meetings_api(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let rep = t.user.id.0;
    let (colin, _) = colleague(&t, "colin@seller.example").await?;
    let company: CompanyView = t
        .post(
            "/companies",
            &CompanyRequest {
                name: "Globex".into(),
                domains: vec![],
            },
        )
        .await?
        .json()?;
    let ana = t
        .contact("ana@globex.example", "Ana", Some(company.id))
        .await?;
    let dev = t.contact("dev@initech.example", "Dev", None).await?;
    let seq = t.email_sequence("Calls", &[2]).await?;

    // Logged before the enrollment: it does not count later.
    assert_eq!(
        log(
            &t,
            &meeting(
                MeetingSource::ContactRecord,
                rep,
                &[dev.id],
                &[],
                "2026-11-27T08:00:00Z"
            )
        )
        .await?,
        vec!["not_enrolled"]
    );
    t.clock.advance(chrono::Duration::minutes(5));
    let e_dev = t.enroll(seq.id, &[dev.id]).await?.results[0]
        .enrollment
        .clone()
        .context("enrolled")?;
    let e_ana = t.enroll(seq.id, &[ana.id]).await?.results[0]
        .enrollment
        .clone()
        .context("enrolled")?;
    assert_eq!(t.enrollment(e_dev.id).await?.state, EnrollmentState::Active);

    // Organizer is not the user who enrolled the contact.
    for source in [
        MeetingSource::OutlookCalendar,
        MeetingSource::GoogleCalendar,
        MeetingSource::ContactRecord,
    ] {
        assert_eq!(
            log(
                &t,
                &meeting(source, colin.id, &[ana.id], &[], "2026-11-30T10:00:00Z")
            )
            .await?,
            vec!["organizer_is_not_enroller"]
        );
    }
    // On the company only: not associated with the contact.
    assert_eq!(
        log(
            &t,
            &meeting(
                MeetingSource::OutlookCalendar,
                rep,
                &[],
                &[company.id],
                "2026-11-30T11:00:00Z"
            )
        )
        .await?,
        vec!["not_associated_with_contact"]
    );
    assert_eq!(t.enrollment(e_ana.id).await?.state, EnrollmentState::Active);

    let before: PerformanceView = t
        .get(&format!("/sequences/{}/performance", seq.id))
        .await?
        .json()?;
    // On the company and the contact, by the enroller, and it took place before the enrollment:
    // logged while enrolled, so it counts.
    assert_eq!(
        log(
            &t,
            &meeting(
                MeetingSource::GoogleCalendar,
                rep,
                &[ana.id],
                &[company.id],
                "2026-11-20T09:00:00Z"
            )
        )
        .await?,
        vec!["unenrolled"]
    );
    let v = t.enrollment(e_ana.id).await?;
    assert_eq!(v.unenroll_reason, Some(UnenrollReason::MeetingBooked));
    let ev = v.evidence.context("evidence")?;
    assert!(ev.meeting_id.is_some());
    assert_eq!(ev.meeting_source.as_deref(), Some("google_calendar"));
    assert_eq!(v.ended_by.and_then(|a| a.user).map(|u| u.id), Some(rep));
    assert_eq!(
        log(
            &t,
            &meeting(
                MeetingSource::OutlookCalendar,
                rep,
                &[dev.id],
                &[],
                "2026-11-30T12:00:00Z"
            )
        )
        .await?,
        vec!["unenrolled"]
    );

    let after: PerformanceView = t
        .get(&format!("/sequences/{}/performance", seq.id))
        .await?
        .json()?;
    assert_eq!(
        (after.enrolled, after.emails_sent, after.replies),
        (before.enrolled, before.emails_sent, before.replies),
        "figures unchanged"
    );
    assert_eq!((after.meetings, after.unenrolled), (2, 2));

    // The API logs contact-record and calendar meetings only (sequence links book through the
    // booking page), and times must be RFC 3339.
    for (source, at) in [
        (MeetingSource::SequenceEmailLink, "2026-11-30T12:00:00Z"),
        (MeetingSource::ContactRecord, "next tuesday"),
    ] {
        let bad = t
            .post("/meetings", &meeting(source, rep, &[ana.id], &[], at))
            .await?;
        assert_eq!(
            (bad.status, bad.code().as_str()),
            (400, "validation_failed"),
            "{source:?} at {at}"
        );
    }
    let other = t.other_account_token().await?;
    let a = t
        .send_as(
            &other,
            Method::POST,
            "/meetings",
            &meeting(
                MeetingSource::ContactRecord,
                rep,
                &[ana.id],
                &[],
                "2026-11-30T12:00:00Z",
            ),
        )
        .await?;
    assert_eq!((a.status, a.code().as_str()), (404, "not_found"));
    Ok(())
}

async fn slot_race(db: Db) -> Result<()> {
    let t = std::sync::Arc::new(spawn_app(db).await?);
    let mine: AvailabilityView = t
        .send_as(
            &t.token(),
            Method::PUT,
            "/me/availability",
            &working_week("UTC"),
        )
        .await?
        .json()?;
    let token = mine
        .meeting_link
        .rsplit("/book/")
        .next()
        .unwrap_or_default();
    let link = format!("{}/book/{}", t.base, token);
    let page = t.http.get(&link).send().await?.text().await?;
    // A slot a few hours out, still free after the clock moves a minute.
    let slot = first_slot(&page)? + 4 * 3600 * 1000;
    assert!(page.contains(&format!("value={slot}")), "{page}");
    // Eight visitors ask for the same slot on the rep's page (a minute apart: the page allows
    // five a minute per client); each confirms through the link emailed to them, all at once.
    let mut confirms = Vec::new();
    for i in 0..8 {
        if i == 5 {
            t.clock.advance(chrono::Duration::minutes(1));
        }
        let email = format!("v{i}@visitors.example");
        let r = t
            .http
            .post(&link)
            .form(&[("slot", slot.to_string()), ("email", email.clone())])
            .send()
            .await?;
        assert_eq!(r.status().as_u16(), 202, "{}", r.text().await?);
        confirms.push(confirmation_link(&t, &email).await?);
    }
    let mut racers = Vec::new();
    for url in confirms {
        let t = t.clone();
        racers.push(tokio::spawn(async move {
            let r = t.http.post(&url).send().await?;
            Ok::<u16, anyhow::Error>(r.status().as_u16())
        }));
    }
    let mut statuses = Vec::new();
    for r in racers {
        statuses.push(r.await??);
    }
    statuses.sort_unstable();
    assert_eq!(
        statuses.iter().filter(|s| **s < 300).count(),
        1,
        "exactly one booking wins: {statuses:?}"
    );
    assert!(
        statuses.iter().filter(|s| **s >= 300).all(|s| *s == 409),
        "the others are told the slot is taken: {statuses:?}"
    );
    Ok(())
}
