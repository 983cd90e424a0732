//! Security suites over the route table (`sequencer_server::http::ROUTES`), so a new route cannot
//! escape them: every `/api/v1` route is called with another account's credentials and the first
//! account's ids, and must answer 404 (or leak nothing); HTML pages carry the security headers.

use anyhow::{Context, Result};
use reqwest::Method;
use sequencer_server::domain::{EmailAddress, Role, Seat, Tier};
use sequencer_server::http::ROUTES;
use sequencer_tests::*;
use serde_json::{json, Value};
use shared::*;

both_backends! {
    every_route_answers_not_found_for_another_accounts_ids => cross_account;
    html_pages_carry_security_headers_and_only_addin_pages_allow_outlook_frames => headers;
}

/// What account A owns; names carry a marker that must never show up in B's answers.
struct Owned {
    contact: i64,
    company: i64,
    sequence: i64,
    enrollment: i64,
    api_key: i64,
    user: i64,
    mailbox: i64,
}

const MARKER: &str = "zebra-marker";

async fn account_a(t: &TestApp) -> Result<Owned> {
    let company: CompanyView = t
        .post(
            "/companies",
            &CompanyRequest {
                name: format!("Globex {MARKER}"),
                domains: vec!["globex.example".into()],
            },
        )
        .await?
        .json()?;
    let c = t
        .contact("ana@globex.example", MARKER, Some(company.id))
        .await?;
    let seq = t.email_sequence(&format!("Mine {MARKER}"), &[1]).await?;
    let e = t.enroll(seq.id, &[c.id]).await?.results[0]
        .enrollment
        .clone()
        .context("enrolled")?;
    let key: ApiKeyCreatedResponse = t
        .post(
            "/api-keys",
            &ApiKeyRequest {
                name: format!("key {MARKER}"),
            },
        )
        .await?
        .json()?;
    let user: UserView = t
        .post(
            "/users",
            &CreateUserRequest {
                email: format!("{MARKER}@seller.example"),
                name: MARKER.into(),
                role: Role::User,
                seat: Some(Seat::SalesPro),
                password: None,
            },
        )
        .await?
        .json()?;
    let mailbox: MailboxView = t
        .post(
            "/mailboxes",
            &MailboxRequest {
                address: format!("{MARKER}@seller.example"),
                user_id: None,
                imap: None,
            },
        )
        .await?
        .json()?;
    // A tenant A trusts (its id carries the marker): B can neither see nor release it.
    t.app
        .store
        .claim_trust(&sequencer_server::store::NewTrust {
            account: t.account.id,
            provider: "microsoft",
            external_id: &format!("{MARKER}-tenant"),
            proof: "microsoft_admin_token",
            proven_by: Some(t.user.id),
            now: T0,
        })
        .await?;
    Ok(Owned {
        mailbox: mailbox.id,
        contact: c.id,
        company: company.id,
        sequence: seq.id,
        enrollment: e.id,
        api_key: key.api_key.id,
        user: user.id,
    })
}

enum Expect {
    /// 404 `not_found`.
    NotFound,
    /// Any answer, as long as it names nothing of account A.
    NoLeak,
    /// Not account-scoped (health, sign-in).
    Public,
}

/// How each route is probed. An `{id}` route gets A's id of the resource its first segment names.
fn probe(method: &str, path: &str, a: &Owned) -> (String, Value, Expect) {
    let segment = path.trim_start_matches('/').split('/').next().unwrap_or("");
    if path == "/account/trusted-identities/{provider}/{id}" {
        return (
            format!("/account/trusted-identities/microsoft/{MARKER}-tenant"),
            json!({}),
            Expect::NotFound,
        );
    }
    if path.contains("{id}") {
        let id = match segment {
            "contacts" => a.contact,
            "companies" => a.company,
            "sequences" => a.sequence,
            "enrollments" => a.enrollment,
            "api-keys" => a.api_key,
            "users" => a.user,
            "mailboxes" => a.mailbox,
            other => panic!("route {method} {path}: tell the cross-account suite which of account A's ids '/{other}/{{id}}' takes"),
        };
        let body = match (method, path) {
            ("post", "/sequences/{id}/enrollments") => json!({ "contact_ids": [a.contact] }),
            ("put", "/contacts/{id}") => json!({ "email": "x@y.example" }),
            ("put", "/companies/{id}") => json!({ "name": "X" }),
            ("put", "/sequences/{id}") => {
                json!({ "name": "X", "steps": [{ "kind": "call_task" }] })
            }
            ("patch", "/users/{id}") => json!({ "seat": null }),
            ("put", "/mailboxes/{id}") => json!({ "address": "bob@rival.example" }),
            _ => json!({}),
        };
        return (
            path.replace("{id}", &id.to_string()),
            body,
            Expect::NotFound,
        );
    }
    match (method, path) {
        ("get", "/health")
        | ("post", "/auth/login")
        | ("post", "/auth/exchange")
        | ("post", "/auth/code")
        | ("post", "/auth/refresh") => (path.into(), json!({}), Expect::Public),
        // Authenticated by the mailbox's webhook signature, not a session (see tests/tests/inbound*).
        ("post", "/inbound") => (path.into(), json!({}), Expect::Public),
        ("post", "/mailboxes") => (
            path.into(),
            json!({ "address": "bob@rival.example" }),
            Expect::NoLeak,
        ),
        ("post", "/meetings") => (
            path.into(),
            json!({ "source": "contact_record", "contact_ids": [a.contact], "starts_at": "2026-11-30T10:00:00Z" }),
            Expect::NotFound,
        ),
        ("post", "/enrollments/unenroll-by-email") => (
            path.into(),
            json!({ "email": "ana@globex.example" }),
            Expect::NotFound,
        ),
        ("post", "/workflow-actions/unenroll") => (
            path.into(),
            json!({ "contact_id": a.contact }),
            Expect::NotFound,
        ),
        ("get", "/recipients") => (
            "/recipients?email=ana@globex.example".into(),
            json!({}),
            Expect::NoLeak,
        ),
        ("post", "/enrollments/unenroll") => (
            path.into(),
            json!({ "enrollment_ids": [a.enrollment] }),
            Expect::NoLeak,
        ),
        ("post", "/contacts") => (
            path.into(),
            json!({ "email": "new@rival.example", "company_id": a.company }),
            Expect::NotFound,
        ),
        ("post", "/companies") => (path.into(), json!({ "name": "Rival Co" }), Expect::NoLeak),
        ("post", "/auth/logout") => (path.into(), json!({}), Expect::NoLeak),
        ("post", "/sequences") => (
            path.into(),
            json!({ "name": "Theirs", "steps": [{ "kind": "call_task" }] }),
            Expect::NoLeak,
        ),
        ("put", "/me/availability") => (
            path.into(),
            json!({ "time_zone": "UTC", "slot_minutes": 30, "windows": [] }),
            Expect::NoLeak,
        ),
        ("post", "/api-keys") => (path.into(), json!({ "name": "theirs" }), Expect::NoLeak),
        ("post", "/users") => (
            path.into(),
            json!({ "email": "new@rival.example", "name": "New", "role": "user" }),
            Expect::NoLeak,
        ),
        ("post", "/account/trusted-identities/claim") => (
            path.into(),
            json!({ "provider": "microsoft", "token": "garbage" }),
            Expect::NoLeak,
        ),
        ("put", "/account/settings") => (
            path.into(),
            json!({ "trusted_tenant_ids": [] }),
            Expect::NoLeak,
        ),
        ("get", _) => (path.into(), json!({}), Expect::NoLeak),
        _ => panic!("route {method} {path}: add it to the cross-account suite's probe table"),
    }
}

async fn cross_account(db: Db) -> Result<()> {
    let t = spawn_app_with_tier(db, Tier::Enterprise).await?;
    let a = account_a(&t).await?;
    let b = t
        .app
        .store
        .create_account("Rival", Tier::Enterprise, T0)
        .await?;
    let bob = t
        .app
        .store
        .create_user(
            b.id,
            &EmailAddress::parse("bob@rival.example")?,
            "Bob",
            Role::Admin,
            Some(Seat::SalesEnterprise),
            None,
            T0,
        )
        .await?;
    let b_session = t.app.session_token(&bob).token;
    let b_key = t
        .app
        .create_api_key(
            &sequencer_server::service::Caller {
                user: bob.clone(),
                account: b.clone(),
            },
            "b",
        )
        .await?
        .key;
    assert!(ROUTES.len() >= 40, "the table lists every route");
    for (method, path) in ROUTES {
        let (url, body, expect) = probe(method, path, &a);
        let token = if path.starts_with("/workflow-actions") {
            &b_key
        } else {
            &b_session
        };
        let m = Method::from_bytes(method.to_uppercase().as_bytes())?;
        let answer = t.send_as(token, m, &url, &body).await?;
        match expect {
            Expect::NotFound => assert_eq!(
                (answer.status, answer.code().as_str()),
                (404, "not_found"),
                "{method} {path}: {}",
                answer.body
            ),
            Expect::NoLeak => {
                assert!(answer.status < 500, "{method} {path}: {}", answer.body);
                let text = answer.body.to_string();
                assert!(
                    !text.contains(MARKER) && !text.contains("rep@seller.example"),
                    "{method} {path} leaked: {text}"
                );
            }
            Expect::Public => {}
        }
    }
    // Nothing B did touched A.
    assert_eq!(
        t.enrollment(a.enrollment).await?.state,
        EnrollmentState::Active
    );
    assert_eq!(
        t.get(&format!("/contacts/{}", a.contact)).await?.status,
        200
    );
    assert!(
        !t.get(&format!("/sequences/{}", a.sequence))
            .await?
            .json::<SequenceView>()?
            .deleted
    );
    let keys: ApiKeyListResponse = t.get("/api-keys").await?.json()?;
    assert!(keys.api_keys.iter().all(|k| k.revoked_at.is_none()));
    let boxes: MailboxListResponse = t.get("/mailboxes").await?.json()?;
    assert!(boxes
        .mailboxes
        .iter()
        .any(|m| m.id == a.mailbox && m.address.starts_with(MARKER)));
    let users: UserListResponse = t.get("/users").await?.json()?;
    assert!(users
        .users
        .iter()
        .all(|u| u.status == UserStatus::Active && (u.id != a.user || u.seat.is_some())));
    Ok(())
}

async fn headers(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let book = format!("/book/{}", t.app.meeting_token(t.user.id, None));
    let pages = [
        "/app/",
        "/app/contacts/1",
        "/addin/",
        "/addin/panel",
        "/u/not-a-token",
        "/u/1.00000000000000000000000000000000",
        book.as_str(),
        "/book/bad",
    ];
    for path in pages {
        let r = t.http.get(format!("{}{path}", t.base)).send().await?;
        let h = |name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        assert!(
            h("content-type").starts_with("text/html"),
            "{path}: {}",
            h("content-type")
        );
        assert_eq!(h("x-content-type-options"), "nosniff", "{path}");
        assert!(!h("referrer-policy").is_empty(), "{path}");
        let csp = h("content-security-policy");
        let ancestors = csp
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("frame-ancestors"))
            .with_context(|| format!("{path}: no frame-ancestors in {csp:?}"))?
            .to_string();
        if path.starts_with("/addin") {
            assert!(
                ancestors.contains("https://outlook.office.com")
                    && ancestors.contains("https://outlook.office365.com"),
                "{path}: {ancestors}"
            );
        } else {
            assert!(
                !ancestors.contains("outlook"),
                "{path}: only add-in pages may be framed by Outlook: {ancestors}"
            );
        }
        assert!(
            csp.contains("object-src 'none'") || csp.contains("default-src 'none'"),
            "{path}: {csp}"
        );
    }
    Ok(())
}
