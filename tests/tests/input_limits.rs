//! Length limits per field (issue 19, finding 12): every free-text field of the API has a limit
//! in characters (not bytes: the values here are multi-byte), every list field a limit in
//! entries; a value at the limit is stored as given, one past it answers 400 `field_too_long`
//! and changes nothing.

use anyhow::{Context, Result};
use reqwest::Method;
use sequencer_server::domain::Tier;
use sequencer_tests::*;
use serde_json::{json, Value};
use shared::*;

both_backends! {
    every_field_accepts_its_limit_and_refuses_one_more_changing_nothing => limits;
    free_text_fields_outside_email_headers_refuse_nul_and_control_characters => controls;
}

/// How a field's size is counted.
#[derive(Debug, Clone, Copy)]
enum Size {
    /// Characters of text (filled with a two-byte character).
    Chars(usize),
    /// Bytes of an email address.
    EmailBytes(usize),
    /// Entries of a list of addresses or domains.
    Entries(usize),
    /// Bytes of a password.
    PasswordBytes(usize),
}

struct Limit {
    method: &'static str,
    /// `{user}`, `{contact}`, `{company}`, `{sequence}`: existing ids.
    path: &'static str,
    pointer: &'static str,
    size: Size,
}

const fn l(method: &'static str, path: &'static str, pointer: &'static str, size: Size) -> Limit {
    Limit {
        method,
        path,
        pointer,
        size,
    }
}

const LIMITS: &[Limit] = &[
    l("post", "/users", "/name", Size::Chars(200)),
    l("post", "/users", "/email", Size::EmailBytes(254)),
    l("post", "/users", "/password", Size::PasswordBytes(1024)),
    l("patch", "/users/{user}", "/name", Size::Chars(200)),
    l("post", "/contacts", "/email", Size::EmailBytes(254)),
    l("post", "/contacts", "/first_name", Size::Chars(200)),
    l("post", "/contacts", "/last_name", Size::Chars(200)),
    l("post", "/contacts", "/title", Size::Chars(200)),
    l("post", "/contacts", "/secondary_emails", Size::Entries(50)),
    l(
        "put",
        "/contacts/{contact}",
        "/first_name",
        Size::Chars(200),
    ),
    l("put", "/contacts/{contact}", "/last_name", Size::Chars(200)),
    l("put", "/contacts/{contact}", "/title", Size::Chars(200)),
    l(
        "put",
        "/contacts/{contact}",
        "/email",
        Size::EmailBytes(254),
    ),
    l(
        "put",
        "/contacts/{contact}",
        "/secondary_emails",
        Size::Entries(50),
    ),
    l("post", "/companies", "/name", Size::Chars(200)),
    l("post", "/companies", "/domains", Size::Entries(50)),
    l("put", "/companies/{company}", "/name", Size::Chars(200)),
    l("post", "/sequences", "/name", Size::Chars(200)),
    l("post", "/sequences", "/steps/0/subject", Size::Chars(500)),
    l("post", "/sequences", "/steps/0/body", Size::Chars(100_000)),
    l("put", "/sequences/{sequence}", "/name", Size::Chars(200)),
    l(
        "put",
        "/sequences/{sequence}",
        "/steps/0/subject",
        Size::Chars(500),
    ),
    l(
        "put",
        "/sequences/{sequence}",
        "/steps/0/body",
        Size::Chars(100_000),
    ),
];

/// A valid body; `n` keeps addresses unique between accepted creates.
fn valid_body(method: &str, path: &str, n: usize) -> Value {
    match (method, path.split('/').nth(1).unwrap_or("")) {
        ("post", "users") => {
            json!({ "email": format!("user{n}@seller.example"), "name": "New User", "role": "user" })
        }
        ("patch", "users") => json!({ "name": "Sam Seller" }),
        (_, "contacts") => json!({
            "email": format!("cleo{n}@globex.example"),
            "first_name": "Cleo",
            "last_name": "Buyer",
            "title": "CTO"
        }),
        (_, "companies") => json!({ "name": "Globex", "domains": ["globex.example"] }),
        (_, "api-keys") => json!({ "name": "zapier" }),
        (_, "sequences") => json!({
            "name": "Intro",
            "steps": [{ "kind": "automated_email", "subject": "Hi", "body": "Hello" }],
            "send_window": { "time_zone": "UTC", "start_hour": 0, "end_hour": 24, "weekdays_only": false }
        }),
        other => panic!("no valid body for {other:?}"),
    }
}

/// An address of exactly `len` bytes (a short local part, DNS labels of at most 63).
fn address_of_len(len: usize, n: usize) -> String {
    let local = format!("u{n}");
    let mut domain_len = len - local.len() - 1;
    let mut labels = Vec::new();
    while domain_len > 0 {
        let take = domain_len.min(63);
        // Leave room for a dot and at least one more character.
        let take = if domain_len > take && domain_len - take < 2 {
            take - 2
        } else {
            take
        };
        labels.push("d".repeat(take));
        domain_len -= take;
        // The dot before the next label.
        domain_len = domain_len.saturating_sub(1);
    }
    format!("{local}@{}", labels.join("."))
}

/// The value of `size` at `len` (the limit or one past it) and what the API stores for it.
fn value_of(size: Size, len: usize, n: usize) -> Value {
    match size {
        Size::Chars(_) => Value::String("é".repeat(len)),
        Size::EmailBytes(_) => Value::String(address_of_len(len, n)),
        Size::PasswordBytes(_) => Value::String("p".repeat(len)),
        Size::Entries(_) => Value::Array(
            (0..len)
                .map(|i| Value::String(format!("d{i}-{n}.example")))
                .collect(),
        ),
    }
}

async fn snapshot(t: &TestApp, ids: &[(String, i64)]) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    let mut paths: Vec<String> = [
        "/users",
        "/contacts",
        "/companies",
        "/sequences",
        "/api-keys",
    ]
    .iter()
    .map(|p| p.to_string())
    .collect();
    paths.extend(
        ids.iter()
            .filter(|(k, _)| k != "user")
            .map(|(k, id)| format!("/{}/{id}", plural(k))),
    );
    for path in paths {
        let a = t.get(&path).await?;
        anyhow::ensure!(a.status == 200, "GET {path}: {}", a.status);
        out.push(a.body);
    }
    Ok(out)
}

fn plural(k: &str) -> &'static str {
    match k {
        "contact" => "contacts",
        "company" => "companies",
        _ => "sequences",
    }
}

async fn limits(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let sam: UserView = t
        .post(
            "/users",
            &json!({ "email": "sam@seller.example", "name": "Sam", "role": "user" }),
        )
        .await?
        .json()?;
    let company: CompanyView = t
        .post("/companies", &json!({ "name": "Initech", "domains": [] }))
        .await?
        .json()?;
    let contact = t.contact("ana@initech.example", "Ana", None).await?;
    let sequence = t.email_sequence("Existing", &[]).await?;
    let ids = vec![
        ("user".to_string(), sam.id),
        ("contact".to_string(), contact.id),
        ("company".to_string(), company.id),
        ("sequence".to_string(), sequence.id),
    ];
    let mut n = 0;
    for limit in LIMITS {
        let mut path = limit.path.to_string();
        for (k, id) in &ids {
            path = path.replace(&format!("{{{k}}}"), &id.to_string());
        }
        let max = match limit.size {
            Size::Chars(m) | Size::EmailBytes(m) | Size::Entries(m) | Size::PasswordBytes(m) => m,
        };
        let m = Method::from_bytes(limit.method.to_uppercase().as_bytes())?;
        // One past the limit: refused, and nothing changes.
        n += 1;
        let before = snapshot(&t, &ids).await?;
        let mut body = valid_body(limit.method, limit.path, n);
        let mut over = value_of(limit.size, max + 1, n);
        if let (Size::Entries(_), "/secondary_emails") = (limit.size, limit.pointer) {
            over = emails(max + 1, n);
        }
        set(&mut body, limit.pointer, over)?;
        let a = t.send_as(&t.token(), m.clone(), &path, &body).await?;
        assert_eq!(
            (a.status, a.code().as_str()),
            (400, "field_too_long"),
            "{} {} {} at {}: {}",
            limit.method,
            limit.path,
            limit.pointer,
            max + 1,
            a.body
        );
        assert_eq!(
            snapshot(&t, &ids).await?,
            before,
            "{} {} {}: a refused request changed something",
            limit.method,
            limit.path,
            limit.pointer
        );
        // At the limit: accepted and stored as given.
        n += 1;
        let mut body = valid_body(limit.method, limit.path, n);
        let mut at = value_of(limit.size, max, n);
        if let (Size::Entries(_), "/secondary_emails") = (limit.size, limit.pointer) {
            at = emails(max, n);
        }
        set(&mut body, limit.pointer, at.clone())?;
        let a = t.send_as(&t.token(), m, &path, &body).await?;
        assert!(
            a.status == 200 || a.status == 201,
            "{} {} {} at {max}: {} {}",
            limit.method,
            limit.path,
            limit.pointer,
            a.status,
            a.body
        );
        if !matches!(limit.size, Size::PasswordBytes(_)) {
            // PATCH /users answers `{ user, unenrolled }`, POST /api-keys `{ key, api_key }`.
            let answered = a
                .body
                .get("user")
                .or(a.body.get("api_key"))
                .unwrap_or(&a.body);
            let stored = answered.pointer(limit.pointer).with_context(|| {
                format!("{} answers no {}: {}", limit.path, limit.pointer, a.body)
            })?;
            let expected = match &at {
                Value::String(s) if matches!(limit.size, Size::EmailBytes(_)) => {
                    Value::String(s.to_lowercase())
                }
                other => other.clone(),
            };
            assert_eq!(
                sorted(stored.clone()),
                sorted(expected),
                "{} {} {}",
                limit.method,
                limit.path,
                limit.pointer
            );
        }
    }
    Ok(())
}

/// `count` distinct secondary addresses.
fn emails(count: usize, n: usize) -> Value {
    Value::Array(
        (0..count)
            .map(|i| Value::String(format!("alt{i}.{n}@globex.example")))
            .collect(),
    )
}

/// Sets the field at `pointer`, adding it when the valid body leaves it out.
fn set(body: &mut Value, pointer: &str, value: Value) -> Result<()> {
    let (parent, key) = pointer.rsplit_once('/').context("a JSON pointer")?;
    let parent = if parent.is_empty() {
        Some(&mut *body)
    } else {
        body.pointer_mut(parent)
    };
    match parent.context("the parent exists")? {
        Value::Object(map) => {
            map.insert(key.to_string(), value);
        }
        Value::Array(items) => {
            let slot = items
                .get_mut(key.parse::<usize>()?)
                .context("the item exists")?;
            *slot = value;
        }
        other => anyhow::bail!("cannot set {pointer} in {other}"),
    }
    Ok(())
}

/// Lists compare as sets (the API may order them).
fn sorted(v: Value) -> Value {
    match v {
        Value::Array(mut items) => {
            items.sort_by_key(|i| i.to_string());
            Value::Array(items)
        }
        other => other,
    }
}

/// Texts that never reach a header still refuse NUL (PostgreSQL's text type cannot store it: it
/// was a 500 there) and other C0 controls, with the same code; bodies keep tabs and line breaks.
async fn controls(db: Db) -> Result<()> {
    let t = spawn_app_with_tier(db, Tier::Enterprise).await?;
    let c = t.contact("ana@globex.example", "Ana", None).await?;
    let seq = t.email_sequence("Intro", &[]).await?;
    let key: ApiKeyCreatedResponse = t
        .post("/api-keys", &json!({ "name": "zapier" }))
        .await?
        .json()?;
    let keys_before = t.get("/api-keys").await?.body;
    let seq_before = t.get(&format!("/sequences/{}", seq.id)).await?.body;
    let record_before = t.get(&format!("/contacts/{}/record", c.id)).await?.body;
    let body = |text: &str| {
        json!({
            "name": "Intro",
            "steps": [{ "kind": "automated_email", "subject": "Hi", "body": text }],
            "send_window": { "time_zone": "UTC", "start_hour": 0, "end_hour": 24, "weekdays_only": false }
        })
    };
    for (what, bad) in [("NUL", "a\0b"), ("ESC", "a\u{1b}b"), ("BEL", "a\u{7}b")] {
        let cases: Vec<(Method, String, Value, &str)> = vec![
            (
                Method::POST,
                "/api-keys".into(),
                json!({ "name": bad }),
                "api key name",
            ),
            (
                Method::POST,
                "/meetings".into(),
                json!({ "source": "contact_record", "contact_ids": [c.id], "starts_at": "2026-11-30T10:00:00Z", "title": bad }),
                "meeting title",
            ),
            (
                Method::PUT,
                format!("/sequences/{}", seq.id),
                body(bad),
                "step body",
            ),
        ];
        for (m, path, req, field) in cases {
            let a = t.send_as(&t.token(), m, &path, &req).await?;
            assert_eq!(
                (a.status, a.code().as_str()),
                (400, "invalid_characters"),
                "{field} with {what}: {}",
                a.body
            );
        }
        let a = t
            .send_as(
                &key.key,
                Method::POST,
                "/workflow-actions/unenroll",
                &json!({ "contact_id": c.id, "workflow": bad }),
            )
            .await?;
        assert_eq!(
            (a.status, a.code().as_str()),
            (400, "invalid_characters"),
            "workflow name with {what}: {}",
            a.body
        );
    }
    let names = |v: &Value| {
        v["api_keys"]
            .as_array()
            .map(|k| k.iter().map(|k| k["name"].clone()).collect::<Vec<_>>())
    };
    assert_eq!(
        names(&t.get("/api-keys").await?.body),
        names(&keys_before),
        "no key created (using the key only stamps last_used_at)"
    );
    assert_eq!(
        t.get(&format!("/sequences/{}", seq.id)).await?.body,
        seq_before
    );
    assert_eq!(
        t.get(&format!("/contacts/{}/record", c.id)).await?.body,
        record_before,
        "no meeting logged, no unenrollment"
    );
    let ok = t
        .send_as(
            &t.token(),
            Method::PUT,
            &format!("/sequences/{}", seq.id),
            &body("Hi,\r\n\tthanks!\n"),
        )
        .await?;
    assert_eq!(ok.status, 200, "{}", ok.body);
    Ok(())
}
