//! Header injection, per kind (issue 19, finding 2): every API field whose value can reach an
//! email header (From name and address, To, Subject directly or through a personalization token)
//! refuses line breaks, NUL and other controls, bidirectional controls and invisible format
//! characters with 400 `invalid_characters`, addresses the mail library would refuse with 400
//! `invalid_email`, and over-long values with 400 `field_too_long`; and a refused request
//! changes nothing. Unusual but valid values (non-ASCII names, `o'brien@...`) still arrive.

use anyhow::{Context, Result};
use base64::Engine;
use reqwest::Method;
use sequencer_server::domain::UserId;
use sequencer_tests::*;
use serde_json::{json, Value};
use shared::*;

both_backends! {
    every_field_that_reaches_a_header_refuses_every_unsafe_value_and_changes_nothing => every_field;
    the_create_user_command_refuses_the_same_names_and_addresses => cli;
    unusual_but_valid_names_and_addresses_arrive_at_the_smtp_sink => unusual_values_arrive;
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    /// One line of text with this many characters at most.
    Text(usize),
    /// An email address.
    Email,
}

/// One API field whose value can end up in a header of a sequence email.
#[derive(Debug)]
struct Field {
    method: &'static str,
    /// `{user}`, `{contact}`, `{company}`, `{sequence}` are replaced by existing ids.
    path: &'static str,
    /// JSON pointer of the field inside the request body.
    pointer: &'static str,
    kind: Kind,
    /// Which header it reaches.
    reaches: &'static str,
}

const fn f(
    method: &'static str,
    path: &'static str,
    pointer: &'static str,
    kind: Kind,
    reaches: &'static str,
) -> Field {
    Field {
        method,
        path,
        pointer,
        kind,
        reaches,
    }
}

/// Traced from `mail::build` back to the API: From = the enrolling user's name and address, To =
/// the contact's address, Subject = the step's subject rendered with the contact's names, title
/// and address, the company's name and the sender's name (Message-ID's domain is the sender's).
const FIELDS: &[Field] = &[
    f("post", "/users", "/name", Kind::Text(200), "From"),
    f("post", "/users", "/email", Kind::Email, "From, Message-ID"),
    f("patch", "/users/{user}", "/name", Kind::Text(200), "From"),
    f("post", "/contacts", "/email", Kind::Email, "To"),
    f(
        "post",
        "/contacts",
        "/secondary_emails/0",
        Kind::Email,
        "To (inbound aliases)",
    ),
    f(
        "post",
        "/contacts",
        "/first_name",
        Kind::Text(200),
        "Subject",
    ),
    f(
        "post",
        "/contacts",
        "/last_name",
        Kind::Text(200),
        "Subject",
    ),
    f("post", "/contacts", "/title", Kind::Text(200), "Subject"),
    f("put", "/contacts/{contact}", "/email", Kind::Email, "To"),
    f(
        "put",
        "/contacts/{contact}",
        "/secondary_emails/0",
        Kind::Email,
        "To (inbound aliases)",
    ),
    f(
        "put",
        "/contacts/{contact}",
        "/first_name",
        Kind::Text(200),
        "Subject",
    ),
    f(
        "put",
        "/contacts/{contact}",
        "/last_name",
        Kind::Text(200),
        "Subject",
    ),
    f(
        "put",
        "/contacts/{contact}",
        "/title",
        Kind::Text(200),
        "Subject",
    ),
    f("post", "/companies", "/name", Kind::Text(200), "Subject"),
    f(
        "post",
        "/companies",
        "/domains/0",
        Kind::Text(253),
        "company matching",
    ),
    f(
        "put",
        "/companies/{company}",
        "/name",
        Kind::Text(200),
        "Subject",
    ),
    f(
        "put",
        "/companies/{company}",
        "/domains/0",
        Kind::Text(253),
        "company matching",
    ),
    f(
        "post",
        "/sequences",
        "/name",
        Kind::Text(200),
        "event summaries",
    ),
    f(
        "post",
        "/sequences",
        "/steps/0/subject",
        Kind::Text(500),
        "Subject",
    ),
    f(
        "post",
        "/sequences",
        "/steps/1/subject",
        Kind::Text(500),
        "Subject",
    ),
    f(
        "put",
        "/sequences/{sequence}",
        "/name",
        Kind::Text(200),
        "event summaries",
    ),
    f(
        "put",
        "/sequences/{sequence}",
        "/steps/0/subject",
        Kind::Text(500),
        "Subject",
    ),
    f(
        "put",
        "/sequences/{sequence}",
        "/steps/1/subject",
        Kind::Text(500),
        "Subject",
    ),
];

/// Unsafe one-line values: each must answer `invalid_characters`.
const BAD_TEXT: &[(&str, &str)] = &[
    ("CR", "Ana\rBcc: victim@evil.example"),
    ("LF", "Ana\nBcc: victim@evil.example"),
    ("CRLF", "Ana\r\nBcc: victim@evil.example"),
    ("trailing CRLF", "Ana\r\n"),
    ("leading LF", "\nAna"),
    ("NUL", "A\0na"),
    ("ESC", "A\u{1b}[31mna"),
    ("TAB", "A\tna"),
    ("DEL", "A\u{7f}na"),
    ("NEL", "A\u{85}na"),
    ("line separator", "A\u{2028}na"),
    ("paragraph separator", "A\u{2029}na"),
    ("right-to-left override", "A\u{202E}na"),
    ("left-to-right embedding", "A\u{202A}na"),
    ("right-to-left isolate", "A\u{2067}na"),
    ("left-to-right isolate", "A\u{2066}na"),
    ("pop directional isolate", "A\u{2069}na"),
    ("right-to-left mark", "A\u{200F}na"),
    ("byte order mark", "A\u{FEFF}na"),
    ("word joiner", "A\u{2060}na"),
];

/// Addresses the mail library refuses or that would smuggle a header: `invalid_email`.
const BAD_EMAIL: &[(&str, &str)] = &[
    ("backslash", "a\\b@globex.example"),
    ("CRLF + Bcc", "a@globex.example\r\nBcc: victim@evil.example"),
    ("LF in the local part", "a\n@globex.example"),
    ("CR", "a\r@globex.example"),
    ("NUL", "a\0@globex.example"),
    ("right-to-left override", "\u{202E}a@globex.example"),
    ("left-to-right isolate", "a\u{2066}@globex.example"),
    ("quoted local part", "\"a b\"@globex.example"),
    ("two addresses", "a@globex.example, b@globex.example"),
    (
        "angle brackets",
        "a@globex.example>\r\nBcc: <v@evil.example",
    ),
    ("comment", "a(x)@globex.example"),
    ("no domain dot", "a@localhost"),
];

/// Ids of existing resources the `{...}` paths point at.
struct Ids {
    user: i64,
    contact: i64,
    company: i64,
    sequence: i64,
}

fn valid_body(method: &str, path: &str) -> Value {
    match (method, path.split('/').nth(1).unwrap_or("")) {
        ("post", "users") => {
            json!({ "email": "new.user@seller.example", "name": "New User", "role": "user" })
        }
        ("patch", "users") => json!({ "name": "Sam Seller" }),
        (_, "contacts") => json!({
            "email": "cleo@globex.example",
            "secondary_emails": ["cleo.alt@globex.example"],
            "first_name": "Cleo",
            "last_name": "Buyer",
            "title": "CTO"
        }),
        (_, "companies") => json!({ "name": "Globex", "domains": ["globex.example"] }),
        (_, "sequences") => json!({
            "name": "Intro",
            "steps": [
                { "kind": "automated_email", "subject": "Hi {{contact.first_name}}", "body": "Hello" },
                { "kind": "automated_email", "delay_days": 1, "subject": "", "body": "Again" }
            ],
            "send_window": { "time_zone": "UTC", "start_hour": 0, "end_hour": 24, "weekdays_only": false }
        }),
        other => panic!("no valid body for {other:?}"),
    }
}

/// Everything the API can show about the account, to prove a refused request changed nothing.
async fn snapshot(t: &TestApp, ids: &Ids) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    for path in [
        "/users".to_string(),
        "/contacts".to_string(),
        "/companies".to_string(),
        "/sequences".to_string(),
        format!("/sequences/{}", ids.sequence),
        format!("/contacts/{}", ids.contact),
        format!("/companies/{}", ids.company),
    ] {
        let a = t.get(&path).await?;
        anyhow::ensure!(a.status == 200, "GET {path}: {} {}", a.status, a.body);
        out.push(a.body);
    }
    Ok(out)
}

async fn setup(t: &TestApp) -> Result<Ids> {
    let sam: UserView = t
        .post(
            "/users",
            &json!({ "email": "sam@seller.example", "name": "Sam Seller", "role": "user", "seat": "sales_pro" }),
        )
        .await?
        .json()?;
    let company: CompanyView = t
        .post(
            "/companies",
            &json!({ "name": "Initech", "domains": ["initech.example"] }),
        )
        .await?
        .json()?;
    let contact = t
        .contact("ana@initech.example", "Ana", Some(company.id))
        .await?;
    let sequence = t.email_sequence("Existing", &[1]).await?;
    Ok(Ids {
        user: sam.id,
        contact: contact.id,
        company: company.id,
        sequence: sequence.id,
    })
}

async fn every_field(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let ids = setup(&t).await?;
    let before = snapshot(&t, &ids).await?;
    let mut checked = 0;
    for field in FIELDS {
        let path = field
            .path
            .replace("{user}", &ids.user.to_string())
            .replace("{contact}", &ids.contact.to_string())
            .replace("{company}", &ids.company.to_string())
            .replace("{sequence}", &ids.sequence.to_string());
        let cases: Vec<(String, String, &str)> = match field.kind {
            Kind::Text(max) => BAD_TEXT
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string(), "invalid_characters"))
                .chain([(
                    format!("{} characters", max + 1),
                    "é".repeat(max + 1),
                    "field_too_long",
                )])
                .collect(),
            Kind::Email => BAD_EMAIL
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string(), "invalid_email"))
                .chain([(
                    "255 characters".to_string(),
                    format!(
                        "{}@globex.example",
                        "a".repeat(255 - "@globex.example".len())
                    ),
                    "field_too_long",
                )])
                .collect(),
        };
        for (name, value, code) in cases {
            let mut body = valid_body(field.method, field.path);
            *body
                .pointer_mut(field.pointer)
                .with_context(|| format!("{} has no {}", field.path, field.pointer))? =
                Value::String(value.clone());
            let m = Method::from_bytes(field.method.to_uppercase().as_bytes())?;
            let a = t.send_as(&t.token(), m, &path, &body).await?;
            assert_eq!(
                (a.status, a.code().as_str()),
                (400, code),
                "{} {} {} (reaches {}) with {name} {value:?}: {}",
                field.method,
                field.path,
                field.pointer,
                field.reaches,
                a.body
            );
            let message = a.body["message"].as_str().unwrap_or("");
            assert!(!message.is_empty(), "a clear message: {}", a.body);
            checked += 1;
        }
        assert_eq!(
            snapshot(&t, &ids).await?,
            before,
            "{} {} {}: a refused request changed something",
            field.method,
            field.path,
            field.pointer
        );
    }
    assert!(checked > FIELDS.len() * 10, "{checked} cases");
    // The valid bodies themselves are accepted: the refusals above are about the one field.
    for (method, path) in [
        ("post", "/contacts"),
        ("post", "/companies"),
        ("post", "/sequences"),
        ("post", "/users"),
    ] {
        let m = Method::from_bytes(method.to_uppercase().as_bytes())?;
        let a = t
            .send_as(&t.token(), m, path, &valid_body(method, path))
            .await?;
        assert_eq!(a.status, 201, "{method} {path}: {}", a.body);
    }
    Ok(())
}

/// `sequencer create-user` goes through `App::create_user_in`, the same parsing as the API.
async fn cli(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let users_before = t.get("/users").await?.body;
    let req = |email: &str, name: &str| CreateUserRequest {
        email: email.into(),
        name: name.into(),
        role: Role::User,
        seat: Some(Seat::SalesPro),
        password: None,
    };
    for (what, value) in BAD_TEXT {
        let err = t
            .app
            .create_user_in(t.account.id, &req("cli@seller.example", value))
            .await
            .err()
            .with_context(|| format!("name with {what} was accepted"))?;
        assert_eq!(err.code(), ErrorCode::InvalidCharacters, "{what}: {err}");
    }
    for (what, value) in BAD_EMAIL {
        let err = t
            .app
            .create_user_in(t.account.id, &req(value, "Cli User"))
            .await
            .err()
            .with_context(|| format!("address with {what} was accepted"))?;
        assert_eq!(err.code(), ErrorCode::InvalidEmail, "{what}: {err}");
    }
    let long = t
        .app
        .create_user_in(t.account.id, &req("cli@seller.example", &"x".repeat(201)))
        .await
        .err()
        .context("a 201-character name was accepted")?;
    assert_eq!(long.code(), ErrorCode::FieldTooLong);
    assert_eq!(t.get("/users").await?.body, users_before);
    Ok(())
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?...?=`, `=?utf-8?q?...?=`) in a header value;
/// the space between two adjacent encoded words is dropped, as the RFC says.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut last_was_word = false;
    for (i, token) in value.split(' ').enumerate() {
        let word = token
            .strip_prefix("=?")
            .and_then(|t| t.strip_suffix("?="))
            .map(|t| t.splitn(3, '?').collect::<Vec<_>>())
            .filter(|p| p.len() == 3);
        if i > 0 && !(last_was_word && word.is_some()) {
            out.push(' ');
        }
        let Some(parts) = word else {
            out.push_str(token);
            last_was_word = false;
            continue;
        };
        let text = parts[2];
        let bytes = if parts[1].eq_ignore_ascii_case("b") {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .unwrap_or_default()
        } else {
            let b = text.as_bytes();
            let mut v = Vec::new();
            let mut j = 0;
            while j < b.len() {
                match b[j] {
                    b'_' => v.push(b' '),
                    b'=' if j + 2 < b.len() => {
                        v.push(u8::from_str_radix(&text[j + 1..j + 3], 16).unwrap_or(b'?'));
                        j += 2;
                    }
                    c => v.push(c),
                }
                j += 1;
            }
            v
        };
        out.push_str(&String::from_utf8_lossy(&bytes));
        last_was_word = true;
    }
    out
}

async fn unusual_values_arrive(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let ase: UserView = t
        .post(
            "/users",
            &json!({ "email": "ase@seller.example", "name": "  Åse Ødegård  ", "role": "admin", "seat": "sales_pro" }),
        )
        .await?
        .json()?;
    assert_eq!(ase.name, "Åse Ødegård", "trimmed, not otherwise changed");
    let ase_user = t
        .app
        .store
        .user(t.account.id, UserId(ase.id))
        .await?
        .context("Åse")?;
    let token = t.app.session_token(&ase_user).token;
    let company: CompanyView = t
        .send_as(
            &token,
            Method::POST,
            "/companies",
            &json!({ "name": "Müller & Söhne GmbH", "domains": ["example.com"] }),
        )
        .await?
        .json()?;
    let contact = t
        .send_as(
            &token,
            Method::POST,
            "/contacts",
            &json!({
                "email": "O'Brien@Example.com",
                "first_name": "Seán",
                "last_name": "Ó Briain",
                "title": "Directeur général",
                "company_id": company.id
            }),
        )
        .await?;
    assert_eq!(contact.status, 201, "{}", contact.body);
    let contact: ContactView = contact.json()?;
    assert_eq!(contact.email, "o'brien@example.com");
    let seq = t
        .send_as(
            &token,
            Method::POST,
            "/sequences",
            &json!({
                "name": "Grüße",
                "steps": [{
                    "kind": "automated_email",
                    "subject": "Hallo {{contact.first_name}} – {{company.name}} (von {{sender.name}})",
                    "body": "Hej {{contact.name}},\r\n\tvi ses!"
                }],
                "send_window": { "time_zone": "UTC", "start_hour": 0, "end_hour": 24, "weekdays_only": false }
            }),
        )
        .await?;
    assert_eq!(seq.status, 201, "{}", seq.body);
    let seq: SequenceView = seq.json()?;
    let r = t.enroll_as(&token, seq.id, &[contact.id]).await?;
    assert!(r.results[0].error.is_none(), "{:?}", r.results[0].error);
    let m = &t.smtp.wait_for("o'brien@example.com", 1).await?[0];
    let from = decode_words(&m.header("From").context("From")?);
    assert!(
        from.contains("Åse Ødegård") && from.contains("<ase@seller.example>"),
        "From: {from}"
    );
    assert_eq!(
        decode_words(&m.header("Subject").context("Subject")?),
        "Hallo Seán – Müller & Söhne GmbH (von Åse Ødegård)"
    );
    assert!(m
        .header("To")
        .is_some_and(|to| to.contains("o'brien@example.com")));
    assert!(m.header("Bcc").is_none());
    Ok(())
}

#[test]
fn encoded_words_are_decoded_for_the_assertions() {
    assert_eq!(decode_words("=?utf-8?b?w4VzZQ==?= <a@b.c>"), "Åse <a@b.c>");
    assert_eq!(decode_words("=?utf-8?q?=C3=85se_x?="), "Åse x");
    assert_eq!(decode_words("=?utf-8?b?w4U=?= =?utf-8?b?c2U=?="), "Åse");
    assert_eq!(decode_words("plain"), "plain");
}
