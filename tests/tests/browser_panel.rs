//! The panel (`/addin/`, standalone host) in real headless Chromium against the real server:
//! recipient lookups, the enrolled banner, and Unenroll from sequence with its server evidence.
//! Screenshots: `target/artifacts/screenshots/panel-*.png`.

use anyhow::{Context, Result};
use sequencer_tests::browser::{card, enrolled_ana, spawn_app_with_frontend, testid, Browser};
use sequencer_tests::*;
use shared::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_an_enrolled_recipient_shows_the_banner_and_unenroll_records_the_user() -> Result<()>
{
    let t = spawn_app_with_frontend(Db::Sqlite).await?;
    let e = enrolled_ana(&t).await?;
    let b = Browser::launch("panel-unenroll").await?;
    b.goto(&format!(
        "{}/addin/?code={}",
        t.base,
        t.sign_in_code().await?
    ))
    .await?;
    b.wait_for(&testid("panel-empty")).await?;

    b.type_into(&testid("recipients-to"), "ana@globex.example")
        .await?;
    let banner = b
        .wait_for(&card("ana@globex.example", "enrollment-banner"))
        .await?;
    assert!(banner
        .text()
        .await?
        .contains("This contact is currently enrolled in a sequence"));
    assert_eq!(
        banner.attr("data-enrollment-id").await?,
        Some(e.id.to_string())
    );
    assert_eq!(
        b.text(&card("ana@globex.example", "banner-sequence"))
            .await?,
        "Q4 outbound"
    );
    assert!(b
        .text(&card("ana@globex.example", "banner-enrolled"))
        .await?
        .contains("Rita Rep"));
    b.screenshot("panel-1-enrolled-banner").await?;

    b.click(&card("ana@globex.example", "unenroll-button"))
        .await?;
    let question = b
        .text(&card("ana@globex.example", "unenroll-confirmation"))
        .await?;
    assert!(
        question.contains("Unenroll Ana Tester from Q4 outbound?"),
        "{question}"
    );
    b.screenshot("panel-2-confirmation").await?;
    b.click(&card("ana@globex.example", "unenroll-confirm"))
        .await?;

    b.wait_for_attr(
        &card("ana@globex.example", ""),
        "data-status",
        "recently_unenrolled",
    )
    .await?;
    b.wait_for_text(
        &testid("announcer"),
        "Ana Tester was unenrolled from Q4 outbound.",
    )
    .await?;
    let line = b
        .wait_for(&card("ana@globex.example", "unenrolled-line"))
        .await?;
    assert_eq!(line.attr("data-reason").await?.as_deref(), Some("manual"));
    b.wait_for_absent(&testid("enrollment-banner")).await?;
    b.screenshot("panel-3-unenrolled").await?;

    let v = t.enrollment(e.id).await?;
    assert_eq!(v.state, EnrollmentState::Unenrolled);
    assert_eq!(v.unenroll_reason, Some(UnenrollReason::Manual));
    let by = v.ended_by.context("no actor")?;
    assert_eq!(by.kind, ActorKind::User);
    assert_eq!(
        by.user.map(|u| u.email).as_deref(),
        Some("rep@seller.example")
    );
    assert_eq!(
        v.evidence.and_then(|x| x.surface),
        Some(UnenrollSurface::Api),
        "the standalone host's surface"
    );
    b.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_recipient_is_not_in_the_crm_and_changing_recipients_updates_the_card(
) -> Result<()> {
    let t = spawn_app_with_frontend(Db::Sqlite).await?;
    let e = enrolled_ana(&t).await?;
    t.contact("bo@initech.example", "Bo", None).await?;
    let b = Browser::launch("panel-recipients").await?;
    b.goto(&format!(
        "{}/addin/?code={}",
        t.base,
        t.sign_in_code().await?
    ))
    .await?;

    b.type_into(&testid("recipients-to"), "ghost@nowhere.example")
        .await?;
    b.wait_for_attr(
        &card("ghost@nowhere.example", ""),
        "data-status",
        "not_in_crm",
    )
    .await?;
    b.wait_for(&card("ghost@nowhere.example", "status-not-in-crm"))
        .await?;
    b.screenshot("panel-4-not-in-crm").await?;

    b.replace_text(&testid("recipients-to"), "bo@initech.example")
        .await?;
    b.wait_for_attr(
        &card("bo@initech.example", ""),
        "data-status",
        "not_enrolled",
    )
    .await?;
    b.wait_for_absent(&card("ghost@nowhere.example", ""))
        .await?;
    b.wait_for(&card("bo@initech.example", "status-not-enrolled"))
        .await?;

    b.replace_text(&testid("recipients-to"), "ana@globex.example")
        .await?;
    b.wait_for_attr(
        &card("ana@globex.example", "enrollment-banner"),
        "data-enrollment-id",
        &e.id.to_string(),
    )
    .await?;
    b.wait_for_absent(&card("bo@initech.example", "")).await?;
    b.screenshot("panel-5-recipient-changed").await?;

    b.replace_text(
        &testid("recipients-to"),
        "ana@globex.example, bo@initech.example; ghost@nowhere.example",
    )
    .await?;
    b.wait_for_text(
        &testid("panel-summary"),
        "3 recipients · 1 enrolled in a sequence",
    )
    .await?;
    let cards = b
        .client()
        .find_all(fantoccini::Locator::Css(&testid("recipient-card")))
        .await?;
    let mut seen = Vec::new();
    for c in cards {
        seen.push((
            c.attr("data-email").await?.unwrap_or_default(),
            c.attr("data-status").await?.unwrap_or_default(),
        ));
    }
    let expected = [
        ("ana@globex.example", "enrolled"),
        ("bo@initech.example", "not_enrolled"),
        ("ghost@nowhere.example", "not_in_crm"),
    ];
    assert_eq!(
        seen,
        expected.map(|(a, b)| (a.to_string(), b.to_string())),
        "cards in To order"
    );
    b.screenshot("panel-6-three-recipients").await?;

    assert_eq!(
        t.enrollment(e.id).await?.state,
        EnrollmentState::Active,
        "looking up changes nothing"
    );
    b.close().await
}
