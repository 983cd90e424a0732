//! Bad input gets a clear JSON error with a stable code; other accounts' ids answer 404.

use anyhow::Result;
use chrono::Duration;
use reqwest::Method;
use sequencer_server::domain::{EmailAddress, Role};
use sequencer_tests::*;
use shared::*;

both_backends! {
    bad_input_gets_clear_errors => bad_input;
    another_accounts_ids_answer_not_found => isolation;
}

async fn raw(
    t: &TestApp,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Result<(u16, String)> {
    let mut req = t
        .http
        .request(method, t.url(path))
        .bearer_auth(t.token())
        .body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let resp = req.send().await?;
    let status = resp.status().as_u16();
    let v: serde_json::Value = resp.json().await?;
    Ok((status, v["code"].as_str().unwrap_or("").to_string()))
}

async fn bad_input(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let check = |got: (u16, String), want: (u16, &str)| assert_eq!((got.0, got.1.as_str()), want);
    let noauth = t.http.get(t.url("/me")).send().await?;
    assert_eq!(noauth.status().as_u16(), 401);
    let a = t.get_as("not-a-token", "/me").await?;
    check((a.status, a.code()), (401, "invalid_token"));
    check(
        raw(
            &t,
            Method::POST,
            "/contacts",
            Some("application/json"),
            b"{not json".to_vec(),
        )
        .await?,
        (400, "invalid_json"),
    );
    check(
        raw(
            &t,
            Method::POST,
            "/contacts",
            Some("application/json"),
            br#"{"email": 42}"#.to_vec(),
        )
        .await?,
        (400, "validation_failed"),
    );
    check(
        raw(
            &t,
            Method::POST,
            "/contacts",
            Some("text/plain"),
            br#"{"email":"a@b.example"}"#.to_vec(),
        )
        .await?,
        (415, "unsupported_media_type"),
    );
    check(
        raw(
            &t,
            Method::POST,
            "/contacts",
            Some("application/json"),
            vec![b' '; 2 * 1024 * 1024],
        )
        .await?,
        (413, "payload_too_large"),
    );
    let a = t
        .post("/contacts", &serde_json::json!({"email": "not an email"}))
        .await?;
    check((a.status, a.code()), (400, "invalid_email"));
    let a = t.get("/contacts/424242").await?;
    check((a.status, a.code()), (404, "not_found"));
    let a = t.get("/contacts/abc").await?;
    check((a.status, a.code()), (404, "not_found"));
    let a = t.get("/no/such/route").await?;
    check((a.status, a.code()), (404, "not_found"));
    let a = t.get("/sequences/1/enrollments?state=sleeping").await?;
    check((a.status, a.code()), (400, "bad_request"));

    let c = t.contact("ana@globex.example", "Ana", None).await?;
    let dup = t
        .post(
            "/contacts",
            &serde_json::json!({"email": "ANA@globex.example"}),
        )
        .await?;
    check((dup.status, dup.code()), (409, "conflict"));
    let bad_seq = serde_json::json!({"name": "X", "steps": [{"kind": "automated_email", "subject": "Hi {{contact.shoe_size}}", "body": "b"}]});
    let a = t.post("/sequences", &bad_seq).await?;
    check((a.status, a.code()), (400, "validation_failed"));
    assert!(a.body["message"]
        .as_str()
        .unwrap_or("")
        .contains("contact.shoe_size"));

    let seq = t.email_sequence("S", &[1]).await?;
    t.app
        .store
        .set_contact_flags(
            t.account.id,
            sequencer_server::domain::ContactId(c.id),
            EmailStatus::Valid,
            true,
        )
        .await?;
    let r = t.enroll(seq.id, &[c.id, 999_999]).await?;
    let codes: Vec<_> = r
        .results
        .iter()
        .map(|x| x.error.as_ref().map(|e| e.code))
        .collect();
    assert_eq!(
        codes,
        vec![
            Some(ErrorCode::ContactUnsubscribed),
            Some(ErrorCode::NotFound)
        ]
    );

    let viewer = t
        .app
        .store
        .create_user(
            t.account.id,
            &EmailAddress::parse("viewer@seller.example")?,
            "Vi",
            Role::User,
            None,
            None,
            T0,
        )
        .await?;
    let vt = t.app.session_token(&viewer).token;
    let a = t
        .send_as(
            &vt,
            Method::POST,
            &format!("/sequences/{}/enrollments", seq.id),
            &EnrollRequest {
                contact_ids: vec![c.id],
            },
        )
        .await?;
    check((a.status, a.code()), (403, "requires_seat"));
    assert_eq!(
        t.get_as(&vt, "/sequences").await?.status,
        200,
        "a user without a seat can read"
    );

    let old = t.token();
    t.clock.advance(Duration::days(8));
    let a = t.get_as(&old, "/me").await?;
    check((a.status, a.code()), (401, "token_expired"));
    Ok(())
}

async fn isolation(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let company: CompanyView = t
        .post(
            "/companies",
            &CompanyRequest {
                name: "Globex".into(),
                domains: vec!["globex.example".into()],
            },
        )
        .await?
        .json()?;
    let c = t
        .contact("ana@globex.example", "Ana", Some(company.id))
        .await?;
    let seq = t.email_sequence("Mine", &[1]).await?;
    let e = t.enroll(seq.id, &[c.id]).await?.results[0]
        .enrollment
        .clone()
        .expect("enrolled");
    let other = t.other_account_token().await?;
    let gets = [
        format!("/contacts/{}", c.id),
        format!("/contacts/{}/record", c.id),
        format!("/companies/{}", company.id),
        format!("/sequences/{}", seq.id),
        format!("/sequences/{}/enrollments", seq.id),
        format!("/sequences/{}/scheduled", seq.id),
        format!("/sequences/{}/performance", seq.id),
        format!("/enrollments/{}", e.id),
    ];
    for path in gets {
        let a = t.get_as(&other, &path).await?;
        assert_eq!(
            (a.status, a.code().as_str()),
            (404, "not_found"),
            "GET {path}"
        );
    }
    let writes = [
        (
            Method::POST,
            format!("/enrollments/{}/unenroll", e.id),
            serde_json::json!({}),
        ),
        (
            Method::POST,
            format!("/sequences/{}/enrollments", seq.id),
            serde_json::json!({"contact_ids": [c.id]}),
        ),
        (
            Method::PUT,
            format!("/contacts/{}", c.id),
            serde_json::json!({"email": "x@y.example"}),
        ),
        (
            Method::PUT,
            format!("/sequences/{}", seq.id),
            serde_json::json!({"name": "X", "steps": [{"kind": "call_task"}]}),
        ),
        (
            Method::PUT,
            format!("/companies/{}", company.id),
            serde_json::json!({"name": "X"}),
        ),
        (
            Method::DELETE,
            format!("/contacts/{}", c.id),
            serde_json::json!({}),
        ),
        (
            Method::DELETE,
            format!("/sequences/{}", seq.id),
            serde_json::json!({}),
        ),
    ];
    for (method, path, body) in writes {
        let a = t.send_as(&other, method.clone(), &path, &body).await?;
        assert_eq!(
            (a.status, a.code().as_str()),
            (404, "not_found"),
            "{method} {path}"
        );
    }
    let bulk: BulkUnenrollResponse = t
        .send_as(
            &other,
            Method::POST,
            "/enrollments/unenroll",
            &BulkUnenrollRequest {
                enrollment_ids: vec![e.id],
                surface: None,
            },
        )
        .await?
        .json()?;
    assert_eq!(
        bulk.results[0].error.as_ref().map(|e| e.code),
        Some(ErrorCode::NotFound)
    );
    let r: RecipientsResponse = t
        .get_as(&other, "/recipients?email=ana@globex.example")
        .await?
        .json()?;
    assert!(r.recipients[0].contact.is_none());
    assert_eq!(
        t.enrollment(e.id).await?.state,
        EnrollmentState::Active,
        "nothing the other account did touched it"
    );
    Ok(())
}
