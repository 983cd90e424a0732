//! Sessions and sign-in links (issue 19, finding 12): one-time codes instead of tokens in URLs,
//! one-hour access tokens with rotating refresh tokens, logout, and revocation by an admin or by
//! deactivation. Every case runs on SQLite and PostgreSQL.
//!
//! On the code as it was at 0590e31 these fail: `/auth/code`, `/auth/refresh`, `/auth/logout`
//! and `/users/{id}/sessions/revoke` did not exist (404), sign-in answered a 7-day token without a
//! refresh token, and a token stayed valid after its user was revoked or reactivated.

use std::time::{Duration, Instant};

use anyhow::Result;
use chrono::Duration as Span;
use sequencer_server::domain::{EmailAddress, Role, Seat, User};
use sequencer_server::service::login::hash_password;
use sequencer_tests::*;
use serde_json::{json, Value};
use shared::TokenResponse;

both_backends! {
    a_sign_in_code_works_once_then_is_refused => code_once;
    an_expired_or_foreign_code_is_refused => code_refusals;
    racing_redemptions_of_one_code_sign_in_once => code_race;
    a_token_is_no_way_into_a_sign_in_link => no_token_links;
    password_sign_in_opens_a_one_hour_session_with_a_refresh_token => password_session;
    logout_revokes_the_access_and_refresh_tokens_of_that_session_only => logout;
    refresh_rotates_and_a_reused_refresh_token_signs_the_session_out => rotation;
    racing_refreshes_with_one_token_leave_at_most_one_winner => refresh_race;
    refresh_tokens_lapse_after_thirty_idle_days => refresh_lapse;
    an_admin_revokes_a_users_sessions_and_deactivation_does_too => revocation;
    only_an_admin_of_the_same_account_revokes_sessions => revocation_permissions;
    app_pages_run_only_their_own_and_nonced_scripts => app_page_csp;
}

async fn post(t: &TestApp, path: &str, body: Value) -> Result<Answer> {
    t.post_signed_out(path, &body).await
}

async fn redeem(t: &TestApp, code: &str) -> Result<Answer> {
    post(t, "/auth/code", json!({ "code": code })).await
}

async fn refresh(t: &TestApp, token: &str) -> Result<Answer> {
    post(t, "/auth/refresh", json!({ "refresh_token": token })).await
}

/// `POST /auth/logout` with `token`: ends the session it names.
async fn sign_out(t: &TestApp, token: &str) -> Result<Answer> {
    t.send_as(token, reqwest::Method::POST, "/auth/logout", &json!({}))
        .await
}

/// A fresh session for the main test user, through a one-time code.
async fn session(t: &TestApp) -> Result<TokenResponse> {
    let a = redeem(t, &t.sign_in_code().await?).await?;
    anyhow::ensure!(a.status == 200, "redeem: {} {}", a.status, a.body);
    a.json()
}

fn refresh_token(s: &TokenResponse) -> String {
    s.refresh_token.clone().unwrap_or_default()
}

async fn me_status(t: &TestApp, token: &str) -> Result<(u16, String)> {
    let a = t.get_as(token, "/me").await?;
    Ok((a.status, a.code()))
}

async fn second_user(t: &TestApp, email: &str, role: Role, password: Option<&str>) -> Result<User> {
    Ok(t.app
        .store
        .create_user(
            t.account.id,
            &EmailAddress::parse(email)?,
            "Second",
            role,
            Some(Seat::SalesPro),
            password.map(hash_password).as_deref(),
            T0,
        )
        .await?)
}

async fn code_once(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let code = t.sign_in_code().await?;
    assert!(code.starts_with("sqc_"), "{code}");
    let first = redeem(&t, &code).await?;
    assert_eq!(first.status, 200, "{}", first.body);
    let s: TokenResponse = first.json()?;
    assert_eq!(s.user.id, t.user.id.0);
    assert!(refresh_token(&s).starts_with("sqr_"));
    assert_eq!(me_status(&t, &s.token).await?.0, 200);
    // Once only, also after the session it opened ended.
    let again = redeem(&t, &code).await?;
    assert_eq!((again.status, again.code()), (401, "invalid_token".into()));
    let out = sign_out(&t, &s.token).await?;
    assert_eq!(out.status, 204);
    assert_eq!(redeem(&t, &code).await?.status, 401);
    Ok(())
}

async fn code_refusals(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    // Just inside the 5 minutes it works; just past them it does not.
    let inside = t.sign_in_code().await?;
    let lapsed = t.sign_in_code().await?;
    t.clock.advance(Span::milliseconds(5 * 60 * 1000 - 1));
    assert_eq!(redeem(&t, &inside).await?.status, 200);
    t.clock.advance(Span::milliseconds(1));
    let a = redeem(&t, &lapsed).await?;
    assert_eq!(
        (a.status, a.code()),
        (401, "invalid_token".into()),
        "{}",
        a.body
    );
    // Nothing but a live code of this server opens a session.
    let other = spawn_app(db).await?;
    let foreign = other.sign_in_code().await?;
    let s = session(&t).await?;
    let cases: Vec<(&str, String)> = vec![
        ("another server's code", foreign),
        ("a session token", s.token.clone()),
        ("a CLI token", t.token()),
        ("a refresh token", refresh_token(&s)),
        ("a guessed code", format!("sqc_{}", "A".repeat(43))),
        ("the prefix alone", "sqc_".into()),
        ("empty", String::new()),
        ("very long", format!("sqc_{}", "a".repeat(10_000))),
        ("a NUL", "sqc_\0".into()),
    ];
    for (name, code) in cases {
        let a = redeem(&t, &code).await?;
        assert_eq!(
            (a.status, a.code()),
            (401, "invalid_token".into()),
            "{name}: {}",
            a.body
        );
    }
    // Malformed bodies are a clear 400, not a session.
    for body in [json!({}), json!({ "code": 5 }), json!([])] {
        let a = post(&t, "/auth/code", body.clone()).await?;
        assert_eq!(a.status, 400, "{body}: {}", a.body);
    }
    // A deactivated user's code opens nothing.
    let u = second_user(&t, "later@seller.example", Role::User, None).await?;
    let code = t.app.sign_in_code(&u).await?;
    let a = t
        .send_as(
            &t.token(),
            reqwest::Method::PATCH,
            &format!("/users/{}", u.id.0),
            &json!({ "status": "deactivated" }),
        )
        .await?;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(redeem(&t, &code).await?.status, 401);
    Ok(())
}

async fn code_race(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let code = t.sign_in_code().await?;
    let answers = futures_util::future::join_all((0..12).map(|_| redeem(&t, &code))).await;
    let mut ok = 0;
    for a in answers {
        let a = a?;
        match a.status {
            200 => ok += 1,
            401 => assert_eq!(a.code(), "invalid_token"),
            s => panic!("unexpected {s}: {}", a.body),
        }
    }
    assert_eq!(ok, 1, "exactly one of the racing redemptions signs in");
    Ok(())
}

async fn no_token_links(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    // The links the demo and the CLI print carry a one-time code, never a token.
    for path in ["/app/", "/addin/"] {
        let url = t.app.sign_in_url(&t.user, path).await?;
        let (page, query) = url.split_once('?').unwrap_or((&url, ""));
        assert!(page.ends_with(path), "{url}");
        let code = query.strip_prefix("code=").unwrap_or("");
        assert!(code.starts_with("sqc_") && !code.contains('.'), "{url}");
        assert!(!url.contains("token="), "{url}");
        assert_eq!(redeem(&t, code).await?.status, 200);
    }
    // A valid token given where a code is expected signs nobody in (the page posts what it finds
    // after `code=`, and the app no longer reads `token=` at all: frontend/src/session.rs).
    let a = redeem(&t, &t.token()).await?;
    assert_eq!(a.status, 401);
    Ok(())
}

async fn password_session(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    second_user(
        &t,
        "pat@seller.example",
        Role::User,
        Some("a long password 1"),
    )
    .await?;
    let a = post(
        &t,
        "/auth/login",
        json!({ "email": "pat@seller.example", "password": "a long password 1" }),
    )
    .await?;
    assert_eq!(a.status, 200, "{}", a.body);
    let s: TokenResponse = a.json()?;
    assert!(refresh_token(&s).starts_with("sqr_"));
    let expires = chrono::DateTime::parse_from_rfc3339(&s.expires_at)?.timestamp_millis();
    assert_eq!(expires, T0 + 3_600_000, "one hour");
    // The access token lapses after an hour; the refresh token gets a new one.
    t.clock.advance(Span::minutes(60));
    assert_eq!(
        me_status(&t, &s.token).await?,
        (401, "token_expired".into())
    );
    let r = refresh(&t, &refresh_token(&s)).await?;
    assert_eq!(r.status, 200, "{}", r.body);
    let next: TokenResponse = r.json()?;
    assert_eq!(me_status(&t, &next.token).await?.0, 200);
    // Logging out the password session works like any other.
    let out = sign_out(&t, &next.token).await?;
    assert_eq!(out.status, 204);
    assert_eq!(me_status(&t, &next.token).await?.0, 401);
    Ok(())
}

async fn logout(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mine = session(&t).await?;
    let other_tab = session(&t).await?;
    // A token refreshed before logout names the same session: it ends too.
    let r = refresh(&t, &refresh_token(&mine)).await?;
    let refreshed: TokenResponse = r.json()?;
    let out = sign_out(&t, &mine.token).await?;
    assert_eq!(out.status, 204, "{}", out.body);
    for (name, token) in [
        ("access", &mine.token),
        ("refreshed access", &refreshed.token),
    ] {
        assert_eq!(
            me_status(&t, token).await?,
            (401, "invalid_token".into()),
            "{name}"
        );
    }
    let again = refresh(&t, &refresh_token(&refreshed)).await?;
    assert_eq!(again.status, 401, "{}", again.body);
    // The user's other session is untouched, and signing in again works.
    assert_eq!(me_status(&t, &other_tab.token).await?.0, 200);
    assert_eq!(me_status(&t, &session(&t).await?.token).await?.0, 200);
    // Logging out twice, or without a token, changes nothing and leaks nothing.
    let twice = sign_out(&t, &mine.token).await?;
    assert_eq!(twice.status, 401);
    let anonymous = post(&t, "/auth/logout", json!({})).await?;
    assert_eq!(anonymous.status, 401);
    Ok(())
}

async fn rotation(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let s = session(&t).await?;
    let first = refresh(&t, &refresh_token(&s)).await?;
    assert_eq!(first.status, 200, "{}", first.body);
    let next: TokenResponse = first.json()?;
    assert_ne!(refresh_token(&next), refresh_token(&s), "rotated");
    assert_eq!(me_status(&t, &next.token).await?.0, 200);
    // The old refresh token again: someone kept a copy. The whole session ends.
    let reuse = refresh(&t, &refresh_token(&s)).await?;
    assert_eq!((reuse.status, reuse.code()), (401, "invalid_token".into()));
    assert_eq!(refresh(&t, &refresh_token(&next)).await?.status, 401);
    for token in [&s.token, &next.token] {
        assert_eq!(me_status(&t, token).await?, (401, "invalid_token".into()));
    }
    // Other sessions of the user are not affected; garbage refresh tokens are plain refusals.
    let other = session(&t).await?;
    for bad in ["", "sqr_", "sqr_AAAA", "not-a-token", &other.token] {
        let a = refresh(&t, bad).await?;
        assert_eq!((a.status, a.code()), (401, "invalid_token".into()), "{bad}");
    }
    assert_eq!(me_status(&t, &other.token).await?.0, 200);
    assert_eq!(refresh(&t, &refresh_token(&other)).await?.status, 200);
    Ok(())
}

async fn refresh_race(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let s = session(&t).await?;
    let token = refresh_token(&s);
    let answers = futures_util::future::join_all((0..8).map(|_| refresh(&t, &token))).await;
    let mut ok = 0;
    for a in answers {
        let a = a?;
        match a.status {
            200 => ok += 1,
            401 => {}
            s => panic!("unexpected {s}: {}", a.body),
        }
    }
    assert!(ok <= 1, "{ok} racing refreshes won");
    // The losers presented a used token: the session is over for everyone.
    assert_eq!(me_status(&t, &s.token).await?.0, 401);
    Ok(())
}

async fn refresh_lapse(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let s = session(&t).await?;
    // Used within 30 days, the session lives on (the window restarts at each refresh).
    t.clock.advance(Span::days(29));
    let r = refresh(&t, &refresh_token(&s)).await?;
    assert_eq!(r.status, 200, "{}", r.body);
    let next: TokenResponse = r.json()?;
    t.clock.advance(Span::days(29));
    let r = refresh(&t, &refresh_token(&next)).await?;
    assert_eq!(r.status, 200, "{}", r.body);
    let last: TokenResponse = r.json()?;
    t.clock.advance(Span::days(30));
    let a = refresh(&t, &refresh_token(&last)).await?;
    assert_eq!(
        (a.status, a.code()),
        (401, "token_expired".into()),
        "{}",
        a.body
    );
    // The lapsed session is deleted when the user next signs in: sessions do not pile up.
    let sessions = || t.app.store.user_sessions(t.account.id, t.user.id);
    assert_eq!(sessions().await?.len(), 1);
    let fresh = session(&t).await?;
    let left = sessions().await?;
    assert_eq!(left.len(), 1);
    assert!(left[0].revoked_at.is_none() && left[0].created_at == t.app.now());
    assert_eq!(refresh(&t, &refresh_token(&last)).await?.status, 401);
    assert_eq!(me_status(&t, &fresh.token).await?.0, 200);
    Ok(())
}

/// Polls until `token` is refused, within the caller cache's 2 s (plus slack for a slow machine).
async fn refused_soon(t: &TestApp, token: &str, what: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (status, code) = me_status(t, token).await?;
        if status == 401 {
            assert_eq!(code, "invalid_token", "{what}");
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{what}: still accepted after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn revocation(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let u = second_user(&t, "sam@seller.example", Role::User, None).await?;
    let open = |u: User| {
        let t = &t;
        async move {
            let a = redeem(t, &t.app.sign_in_code(&u).await?).await?;
            anyhow::ensure!(a.status == 200, "{}", a.body);
            a.json::<TokenResponse>()
        }
    };
    let phone = open(u.clone()).await?;
    let laptop = open(u.clone()).await?;
    let cli = t.app.session_token(&u).token;
    // Warm the caches, so the revocation must clear them.
    for token in [&phone.token, &laptop.token, &cli] {
        assert_eq!(me_status(&t, token).await?.0, 200);
    }
    t.clock.advance(Span::milliseconds(1));
    let a = t
        .post(&format!("/users/{}/sessions/revoke", u.id.0), &json!({}))
        .await?;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["revoked"], 2);
    for (what, token) in [
        ("phone", &phone.token),
        ("laptop", &laptop.token),
        ("CLI token", &cli),
    ] {
        refused_soon(&t, token, what).await?;
    }
    for s in [&phone, &laptop] {
        assert_eq!(refresh(&t, &refresh_token(s)).await?.status, 401);
    }
    // The user signs in again afterwards; the admin's own session was never touched.
    let fresh = open(u.clone()).await?;
    assert_eq!(me_status(&t, &fresh.token).await?.0, 200);
    assert_eq!(me_status(&t, &t.token()).await?.0, 200);

    // Deactivation signs out too, and reactivation does not bring old sessions back.
    let patch = |status: &'static str| {
        let t = &t;
        let id = u.id.0;
        async move {
            t.send_as(
                &t.token(),
                reqwest::Method::PATCH,
                &format!("/users/{id}"),
                &json!({ "status": status }),
            )
            .await
        }
    };
    assert_eq!(patch("deactivated").await?.status, 200);
    refused_soon(&t, &fresh.token, "deactivated").await?;
    assert_eq!(refresh(&t, &refresh_token(&fresh)).await?.status, 401);
    assert_eq!(patch("active").await?.status, 200);
    assert_eq!(
        me_status(&t, &fresh.token).await?,
        (401, "invalid_token".into()),
        "reactivated: the old session stays ended"
    );
    assert_eq!(refresh(&t, &refresh_token(&fresh)).await?.status, 401);
    assert_eq!(me_status(&t, &open(u.clone()).await?.token).await?.0, 200);
    Ok(())
}

async fn revocation_permissions(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let plain = second_user(&t, "usr@seller.example", Role::User, None).await?;
    let plain_token = t.app.session_token(&plain).token;
    let target = session(&t).await?;
    let path = format!("/users/{}/sessions/revoke", t.user.id.0);
    let a = t
        .send_as(&plain_token, reqwest::Method::POST, &path, &json!({}))
        .await?;
    assert_eq!((a.status, a.code()), (403, "requires_admin".into()));
    let a = t
        .send_as(
            &t.other_account_token().await?,
            reqwest::Method::POST,
            &path,
            &json!({}),
        )
        .await?;
    assert_eq!(a.status, 404, "{}", a.body);
    let a = t.post("/users/999999/sessions/revoke", &json!({})).await?;
    assert_eq!(a.status, 404, "{}", a.body);
    assert_eq!(
        me_status(&t, &target.token).await?.0,
        200,
        "nothing was revoked"
    );
    Ok(())
}

/// The `script-src` of a CSP header, as its sources.
fn script_sources(csp: &str) -> Vec<String> {
    csp.split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix("script-src "))
        .map(|d| d.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

async fn app_page_csp(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let office = "https://appsforoffice.microsoft.com";
    let pages = [
        ("/app/", false),
        ("/app/sequences", false),
        ("/addin/", false),
        ("/addin/?to=a@b.example", false),
        ("/addin/?host=outlook", true),
    ];
    for (page, outlook) in pages {
        let mut nonces = vec![];
        for _ in 0..2 {
            let resp = t.http.get(format!("{}{page}", t.base)).send().await?;
            assert_eq!(resp.status(), 200, "{page}");
            let csp = resp
                .headers()
                .get("content-security-policy")
                .and_then(|h| h.to_str().ok())
                .unwrap_or("")
                .to_string();
            let html = resp.text().await?;
            let sources = script_sources(&csp);
            assert!(sources.contains(&"'self'".to_string()), "{page}: {csp}");
            assert!(
                sources.contains(&"'wasm-unsafe-eval'".to_string()),
                "{page}: {csp}"
            );
            for forbidden in [
                "'unsafe-inline'",
                "'unsafe-eval'",
                "*",
                "data:",
                "https:",
                "http:",
                "blob:",
            ] {
                assert!(
                    !sources.iter().any(|s| s == forbidden),
                    "{page} allows {forbidden}: {csp}"
                );
            }
            assert!(csp.contains("script-src-attr 'none'"), "{page}: {csp}");
            assert!(csp.contains("object-src 'none'"), "{page}: {csp}");
            assert_eq!(
                sources.iter().any(|s| s == office),
                outlook,
                "{page}: {csp}"
            );
            let nonce: Vec<&String> = sources
                .iter()
                .filter(|s| s.starts_with("'nonce-"))
                .collect();
            assert_eq!(nonce.len(), 1, "{page}: {csp}");
            let nonce = nonce[0]
                .trim_start_matches("'nonce-")
                .trim_end_matches('\'')
                .to_string();
            assert!(nonce.len() >= 22, "{page}: a 128-bit nonce: {nonce}");
            // Every script tag of the page carries this response's nonce (Trunk's inline module
            // script when the frontend is built, Office.js's tag on the Outlook page).
            let tags = html.matches("<script").count();
            let nonced = html.matches(&format!("<script nonce=\"{nonce}\"")).count();
            assert_eq!(tags, nonced, "{page}: {html}");
            if outlook {
                assert!(nonced >= 1, "{page}: the Office.js tag is there");
            }
            nonces.push(nonce);
        }
        assert_ne!(nonces[0], nonces[1], "{page}: a fresh nonce per response");
    }
    Ok(())
}
