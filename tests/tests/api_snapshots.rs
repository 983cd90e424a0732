//! Snapshots of what the API returns (issue 15): the views the web app and the Outlook / Gmail
//! panel read, and the error bodies they act on, as insta JSON snapshots in `snapshots/`. A change
//! to a response shows up as a reviewed diff of a `.snap` file instead of a surprise for a panel
//! still cached in Outlook.
//!
//! One scenario (a company, three contacts enrolled in one sequence: one still active, one who
//! replied, one who unsubscribed; a webhook mailbox; a second, seatless user) is built on the
//! manual clock, then each row of the `rows` tables in `views` and `errors` is one request and one
//! snapshot of `{status, body}`. Values that differ between runs or backends (ids, times, secrets,
//! links with tokens, Message-IDs) are replaced by placeholders by key (`REDACT`); presence, shape,
//! `null`s and every other value stay. A millisecond time or a hex token left in a snapshot fails
//! it (a new key to redact). Both backends check the same snapshot files: what the API answers
//! must not depend on the store.
//!
//! Updating: run with `INSTA_UPDATE=always` (or `cargo insta review` where installed), then read
//! the diff. Without it a mismatch fails (and writes a `.snap.new` next to the file outside CI;
//! with `CI=true` insta writes nothing).

use anyhow::{Context, Result};
use reqwest::Method;
use sequencer_server::domain::{EmailAddress, Role};
use sequencer_tests::inbound::*;
use sequencer_tests::*;
use serde_json::{json, Value};
use shared::*;

both_backends! {
    the_main_views_answer_as_their_snapshots => views;
    error_bodies_answer_as_their_snapshots => errors;
}

/// Keys whose values are replaced, first match wins; `*_x` matches any key ending in `_x`. A
/// `null` stays `null` (absence is part of the contract); arrays are replaced element by element.
const REDACT: &[(&str, &str)] = &[
    ("message_id", "[message-id]"),
    ("unsubscribe_token_id", "[token-hash]"),
    ("token", "[secret]"),
    ("refresh_token", "[secret]"),
    ("webhook_secret", "[secret]"),
    ("password", "[secret]"),
    ("oauth_token", "[secret]"),
    ("meeting_link", "[link with token]"),
    ("id", "[id]"),
    ("*_id", "[id]"),
    ("*_ids", "[id]"),
    ("at", "[time]"),
    ("*_at", "[time]"),
    ("paused_until", "[time]"),
];

/// The placeholder for a value under `key`, if it is redacted.
fn placeholder(key: &str) -> Option<&'static str> {
    REDACT.iter().find_map(|(pattern, with)| {
        let hit = match pattern.strip_prefix('*') {
            Some(suffix) => key.ends_with(suffix),
            None => key == *pattern,
        };
        hit.then_some(*with)
    })
}

fn redact(value: &mut Value, with: Option<&'static str>) {
    match value {
        Value::Null => {}
        Value::Array(items) => items.iter_mut().for_each(|v| redact(v, with)),
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                redact(v, placeholder(k));
            }
        }
        other => {
            if let Some(p) = with {
                *other = Value::String(p.into());
            }
        }
    }
}

/// Fails on anything a redaction missed: a number that looks like a millisecond time, or a string
/// holding a long hex run (a token, a signature, a hash).
fn assert_nothing_unredacted(name: &str, value: &Value) {
    match value {
        Value::Number(n) => assert!(
            n.as_i64().is_none_or(|n| n.abs() < 1_000_000_000_000),
            "snapshot {name}: {n} looks like a timestamp; add its key to REDACT"
        ),
        Value::String(text) => {
            let longest_hex = text
                .split(|c: char| !c.is_ascii_hexdigit())
                .map(str::len)
                .max()
                .unwrap_or(0);
            assert!(
                longest_hex < 16,
                "snapshot {name}: {text:?} looks like it holds a token; add its key to REDACT"
            );
        }
        Value::Array(items) => items
            .iter()
            .for_each(|v| assert_nothing_unredacted(name, v)),
        Value::Object(map) => map
            .values()
            .for_each(|v| assert_nothing_unredacted(name, v)),
        Value::Null | Value::Bool(_) => {}
    }
}

/// Snapshots one answer as `{status, body}`, redacted.
fn check(name: &str, a: &Answer) {
    let mut v = json!({ "status": a.status, "body": a.body });
    redact(&mut v, None);
    assert_nothing_unredacted(name, &v);
    insta::assert_json_snapshot!(name, v);
}

/// The scenario every snapshot reads.
struct Scene {
    t: TestApp,
    seatless: String,
    company: i64,
    sequence: i64,
    /// Enrolled, step 1 sent, step 2 due.
    ana: (i64, i64),
    /// Replied to step 1: unenrolled `replied` with the reply as evidence.
    ben: (i64, i64),
    /// Unsubscribed through the link in step 1: unenrolled, address suppressed.
    cy: (i64, i64),
}

async fn scene(db: Db) -> Result<Scene> {
    let t = spawn_app(db).await?;
    let a = t
        .post(
            "/companies",
            &CompanyRequest {
                name: "Globex".into(),
                domains: vec!["globex.example".into()],
            },
        )
        .await?;
    anyhow::ensure!(a.status == 201, "create company: {} {}", a.status, a.body);
    let company: CompanyView = a.json()?;
    let seq = t.email_sequence("Intro", &[1, 2]).await?;
    let mb = t.mailbox().await?;
    let mut enrolled = Vec::new();
    for (email, company) in [
        ("ana@globex.example", Some(company.id)),
        ("ben@initech.example", None),
        ("cy@hooli.example", None),
    ] {
        let (c, e) = t.enrolled(email, &[], company, seq.id).await?;
        enrolled.push((c.id, e.id));
    }
    let [ana, ben, cy] = enrolled[..] else {
        anyhow::bail!("three enrollments")
    };

    let reply = template(
        "reply.eml",
        &[
            ("FROM", "ben@initech.example"),
            ("FROM_NAME", "Ben"),
            ("SUBJECT", "Re: Intro: hello Pat"),
            ("ID", "reply-1@initech.example"),
            ("PARENT", &t.last_sent_id(ben.1).await?),
        ],
    )?;
    t.deliver(&mb, &reply).await?;

    let m = t.smtp.wait_for("cy@hooli.example", 1).await?;
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

    let sam = t
        .app
        .store
        .create_user(
            t.account.id,
            &EmailAddress::parse("sam@seller.example")?,
            "Sam Seatless",
            Role::User,
            None,
            None,
            T0,
        )
        .await?;
    let seatless = t.app.session_token(&sam).token;
    Ok(Scene {
        t,
        seatless,
        company: company.id,
        sequence: seq.id,
        ana,
        ben,
        cy,
    })
}

async fn views(db: Db) -> Result<()> {
    let s = scene(db).await?;
    let (seq, company) = (s.sequence, s.company);
    let rows: Vec<(&str, String)> = vec![
        ("me", "/me".into()),
        ("me_availability", "/me/availability".into()),
        ("contacts", "/contacts".into()),
        ("contact", format!("/contacts/{}", s.ana.0)),
        (
            "contact_record_active",
            format!("/contacts/{}/record", s.ana.0),
        ),
        (
            "contact_record_replied",
            format!("/contacts/{}/record", s.ben.0),
        ),
        (
            "contact_record_unsubscribed",
            format!("/contacts/{}/record", s.cy.0),
        ),
        ("companies", "/companies".into()),
        ("company", format!("/companies/{company}")),
        ("sequences", "/sequences".into()),
        ("sequence", format!("/sequences/{seq}")),
        (
            "sequence_enrollments",
            format!("/sequences/{seq}/enrollments"),
        ),
        (
            "sequence_enrollments_unenrolled",
            format!("/sequences/{seq}/enrollments?state=unenrolled"),
        ),
        ("sequence_scheduled", format!("/sequences/{seq}/scheduled")),
        (
            "sequence_performance",
            format!("/sequences/{seq}/performance"),
        ),
        ("enrollment_active", format!("/enrollments/{}", s.ana.1)),
        ("enrollment_replied", format!("/enrollments/{}", s.ben.1)),
        (
            "enrollment_unsubscribed",
            format!("/enrollments/{}", s.cy.1),
        ),
        (
            "recipients",
            "/recipients?email=ana@globex.example&email=BEN@initech.example\
             &email=cy@hooli.example&email=nobody@nowhere.example&email=not-an-email"
                .into(),
        ),
        ("users", "/users".into()),
        ("mailboxes", "/mailboxes".into()),
        ("suppressions", "/suppressions".into()),
        ("account_settings", "/account/settings".into()),
    ];
    for (name, path) in rows {
        check(name, &s.t.get(&path).await?);
    }
    Ok(())
}

async fn errors(db: Db) -> Result<()> {
    let s = scene(db).await?;
    let t = &s.t;
    let admin = t.token();
    let contact = |email: &str| ContactRequest {
        email: email.into(),
        secondary_emails: vec![],
        first_name: "Dee".into(),
        last_name: "Tester".into(),
        title: String::new(),
        company_id: None,
        owner_id: None,
    };
    let unenroll = UnenrollRequest::default();
    // The unsubscribed contact and one that does not exist: refused per contact.
    let enroll_refused = EnrollRequest {
        contact_ids: vec![s.cy.0, 999_999],
    };
    // (snapshot, caller, method, path, body)
    let rows: Vec<(&str, &str, Method, String, Value)> = vec![
        (
            "error_401_signed_out",
            "",
            Method::GET,
            "/me".into(),
            Value::Null,
        ),
        (
            "error_404_contact",
            &admin,
            Method::GET,
            "/contacts/999999".into(),
            Value::Null,
        ),
        (
            "error_404_enrollment",
            &admin,
            Method::GET,
            "/enrollments/999999".into(),
            Value::Null,
        ),
        (
            "error_400_invalid_email",
            &admin,
            Method::POST,
            "/contacts".into(),
            serde_json::to_value(contact("not-an-email"))?,
        ),
        (
            "error_400_unknown_state",
            &admin,
            Method::GET,
            format!("/sequences/{}/enrollments?state=sleeping", s.sequence),
            Value::Null,
        ),
        (
            "error_403_no_seat",
            &s.seatless,
            Method::POST,
            "/contacts".into(),
            serde_json::to_value(contact("dee@initech.example"))?,
        ),
        (
            "error_403_not_admin",
            &s.seatless,
            Method::GET,
            "/users".into(),
            Value::Null,
        ),
        (
            "error_409_not_active",
            &admin,
            Method::POST,
            format!("/enrollments/{}/unenroll", s.ben.1),
            serde_json::to_value(&unenroll)?,
        ),
        (
            "enroll_refused_per_contact",
            &admin,
            Method::POST,
            format!("/sequences/{}/enrollments", s.sequence),
            serde_json::to_value(&enroll_refused)?,
        ),
    ];
    for (name, token, method, path, body) in rows {
        let mut req = t.http.request(method, t.url(&path));
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        if !body.is_null() {
            req = req.json(&body);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let text = resp.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        check(name, &Answer { status, body });
    }
    Ok(())
}

/// The redaction itself: ids, times and secrets are hidden by key, `null` and everything else stay.
#[test]
fn redaction_hides_ids_times_and_secrets_by_key_and_keeps_the_rest() {
    let mut v = json!({
        "id": 7,
        "contact_ids": [1, 2],
        "enrolled_at": 1_795_770_000_000_i64,
        "ended_at": null,
        "evidence": {"message_id": "a@b.example", "from": "ana@globex.example"},
        "refresh_token": "sqr_secret",
        "current_step": 2,
        "name": "Intro",
    });
    redact(&mut v, None);
    assert_eq!(
        v,
        json!({
            "id": "[id]",
            "contact_ids": ["[id]", "[id]"],
            "enrolled_at": "[time]",
            "ended_at": null,
            "evidence": {"message_id": "[message-id]", "from": "ana@globex.example"},
            "refresh_token": "[secret]",
            "current_step": 2,
            "name": "Intro",
        })
    );
}

/// A time under a key `REDACT` does not know fails the snapshot instead of being pinned.
#[test]
#[should_panic(expected = "looks like a timestamp; add its key to REDACT")]
fn an_unredacted_time_fails_the_snapshot() {
    let mut v = json!({"body": {"decided_on": 1_795_770_000_000_i64}});
    redact(&mut v, None);
    assert_nothing_unredacted("example", &v);
}

/// So does a token under a key `REDACT` does not know.
#[test]
#[should_panic(expected = "looks like it holds a token; add its key to REDACT")]
fn an_unredacted_token_fails_the_snapshot() {
    let mut v = json!({"body": {"link": "http://127.0.0.1/u/1.04f213b192fe16ebb210a1f0e1a7b2b7"}});
    redact(&mut v, None);
    assert_nothing_unredacted("example", &v);
}
