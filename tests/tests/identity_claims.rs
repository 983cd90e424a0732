//! Issue 19, finding 5: a Microsoft tenant or Google Workspace domain is trusted by at most one
//! account, only once one of its admins proved it, and sign-in binds only within that account.
//! Against the local IdP on loopback (real JWKS, real RS256 signatures). Every test here failed
//! before the fix: any admin could list any tenant or domain through `PUT /account/settings`, and
//! sign-in picked the user with the token's email across every account that listed it.

use anyhow::Result;
use reqwest::Method;
use sequencer_server::domain::{Account, EmailAddress, Role, Seat, Tier, User};
use sequencer_tests::idp::{
    self, google_claims, ms_admin_claims, ms_claims, LocalIdp, GLOBAL_ADMIN_ROLE, MEMBER_ROLE,
};
use sequencer_tests::*;
use serde_json::{json, Value};
use shared::*;

both_backends! {
    another_account_can_neither_list_a_proven_tenant_nor_capture_its_users => attack;
    trusting_a_tenant_or_domain_needs_a_proof_from_an_admin_of_it => proof_required;
    a_tenant_or_domain_has_one_owner_and_is_free_again_once_released => one_owner;
    parallel_claims_of_one_tenant_by_several_accounts_leave_exactly_one_owner => parallel_claims;
    lists_from_before_proofs_are_kept_only_where_one_account_named_the_value => legacy;
}

const TID_A: &str = "aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa";
const TID_B: &str = "bbbbbbbb-2222-4222-8222-bbbbbbbbbbbb";

/// Account A (the test account: rep@seller.example, admin) with the IdP configured, and a second
/// account B ("Rival") with an admin of its own.
async fn setup(db: Db) -> Result<(TestApp, LocalIdp, Account, User)> {
    let idp = LocalIdp::start().await?;
    let config = idp.config();
    let t =
        spawn_app_configured(db, Tier::Professional, move |app| app.with_identity(config)).await?;
    let (b, bob) = account(&t, "Rival", "bob@rival.example", Role::Admin).await?;
    Ok((t, idp, b, bob))
}

async fn account(t: &TestApp, name: &str, admin: &str, role: Role) -> Result<(Account, User)> {
    let a = t
        .app
        .store
        .create_account(name, Tier::Professional, T0)
        .await?;
    let u = user_in(t, &a, admin, role).await?;
    Ok((a, u))
}

async fn user_in(t: &TestApp, a: &Account, email: &str, role: Role) -> Result<User> {
    Ok(t.app
        .store
        .create_user(
            a.id,
            &EmailAddress::parse(email)?,
            "Someone",
            role,
            Some(Seat::SalesPro),
            None,
            T0,
        )
        .await?)
}

/// Where a Microsoft token of `tid` for `email` signs in: `Ok((account, user))` or the error code.
async fn ms_sign_in(
    t: &TestApp,
    idp: &LocalIdp,
    tid: &str,
    oid: &str,
    email: &str,
) -> Result<std::result::Result<(i64, i64), String>> {
    let token = idp.sign(idp::KID, &ms_claims(tid, oid, email, t.app.now()))?;
    signed_in(t, t.exchange(IdentityProvider::Microsoft, &token).await?).await
}

async fn google_sign_in(
    t: &TestApp,
    idp: &LocalIdp,
    sub: &str,
    email: &str,
    hd: Option<&str>,
) -> Result<std::result::Result<(i64, i64), String>> {
    let token = idp.sign(idp::KID, &google_claims(sub, email, hd, t.app.now()))?;
    signed_in(t, t.exchange(IdentityProvider::Google, &token).await?).await
}

async fn signed_in(t: &TestApp, a: Answer) -> Result<std::result::Result<(i64, i64), String>> {
    if a.status != 200 {
        assert_eq!(a.status, 401, "{}", a.body);
        return Ok(Err(a.code()));
    }
    let session: TokenResponse = a.json()?;
    let me: MeResponse = t.get_as(&session.token, "/me").await?.json()?;
    Ok(Ok((me.account.id, me.user.id)))
}

async fn settings(t: &TestApp, session: &str) -> Result<AccountSettingsView> {
    t.get_as(session, "/account/settings").await?.json()
}

/// The reported attack: B lists A's tenant and domain to capture A's user and a new hire.
async fn attack(db: Db) -> Result<()> {
    let (t, idp, b, bob) = setup(db).await?;
    let a = t.account.id.0;
    let rita = t.user.id.0;
    let b_session = t.app.session_token(&bob).token;
    assert_eq!(idp.prove_tenant(&t, &t.token(), TID_A).await?.status, 201);
    let proven = idp
        .prove_domain(&t, &t.token(), "rep@seller.example", "seller.example")
        .await?;
    assert_eq!(proven.status, 201, "{}", proven.body);

    // B lists A's tenant and domain the old way: refused, and nothing changes.
    let listed = AccountSettingsView {
        trusted_tenant_ids: vec![TID_A.into()],
        google_hosted_domains: vec!["seller.example".into()],
    };
    let put = t
        .send_as(&b_session, Method::PUT, "/account/settings", &listed)
        .await?;
    assert_eq!(
        (put.status, put.code().as_str()),
        (400, "proof_required"),
        "{}",
        put.body
    );
    assert_eq!(
        settings(&t, &b_session).await?,
        AccountSettingsView::default()
    );
    // B's admin is a plain member of tenant A: not a proof.
    let member = idp.sign(
        idp::KID,
        &ms_claims(TID_A, "oid-bob", "bob@seller.example", t.app.now()),
    )?;
    let claim = idp
        .claim(&t, &b_session, IdentityProvider::Microsoft, &member)
        .await?;
    assert_eq!(
        (claim.status, claim.code().as_str()),
        (403, "proof_insufficient"),
        "{}",
        claim.body
    );

    // B prepares the capture: a copy of A's user and the new hire A has not added yet.
    for email in ["rep@seller.example", "newhire@seller.example"] {
        user_in(&t, &b, email, Role::User).await?;
    }
    // A link B made before the fix (when it could list tenant A) no longer counts either.
    let captured = user_in(&t, &b, "linked@seller.example", Role::User).await?;
    let linked = user_in(&t, &t.account, "linked@seller.example", Role::User).await?;
    t.app
        .store
        .link_external_identity("microsoft", &format!("{TID_A}:oid-linked"), &captured, T0)
        .await?;

    assert_eq!(
        ms_sign_in(&t, &idp, TID_A, "oid-rita", "rep@seller.example").await?,
        Ok((a, rita)),
        "A's real user still signs in to A"
    );
    assert_eq!(
        google_sign_in(
            &t,
            &idp,
            "g-rita",
            "rep@seller.example",
            Some("seller.example")
        )
        .await?,
        Ok((a, rita)),
        "also with Google"
    );
    assert_eq!(
        ms_sign_in(&t, &idp, TID_A, "oid-linked", "linked@seller.example").await?,
        Ok((a, linked.id.0)),
        "a link into B made before the proof is replaced by one within the owner"
    );
    for (provider, sign_in) in [
        (
            "microsoft",
            ms_sign_in(&t, &idp, TID_A, "oid-newhire", "newhire@seller.example").await?,
        ),
        (
            "google",
            google_sign_in(
                &t,
                &idp,
                "g-newhire",
                "newhire@seller.example",
                Some("seller.example"),
            )
            .await?,
        ),
    ] {
        assert_eq!(
            sign_in,
            Err("untrusted_tenant".to_string()),
            "{provider}: the new hire is not captured by B"
        );
    }
    // Once A adds the new hire, they sign in to A.
    let hire = user_in(&t, &t.account, "newhire@seller.example", Role::User).await?;
    assert_eq!(
        ms_sign_in(&t, &idp, TID_A, "oid-newhire", "newhire@seller.example").await?,
        Ok((a, hire.id.0))
    );
    assert_eq!(
        google_sign_in(
            &t,
            &idp,
            "g-newhire",
            "newhire@seller.example",
            Some("seller.example")
        )
        .await?,
        Ok((a, hire.id.0))
    );
    // And B's own users never sign in with tenant A's tokens.
    assert_eq!(
        ms_sign_in(&t, &idp, TID_A, "oid-bob", "bob@rival.example").await?,
        Err("untrusted_tenant".to_string())
    );
    Ok(())
}

/// Every way a claim can fail to prove a tenant or domain, each with its answer; none of them
/// trusts anything.
async fn proof_required(db: Db) -> Result<()> {
    let (t, idp, _, _) = setup(db).await?;
    let now = t.app.now();
    let admin = ms_admin_claims(TID_A, "oid-admin", "admin@seller.example", now);
    let ms_with = |k: &str, v: Value| {
        let mut c = admin.clone();
        c[k] = v;
        c
    };
    let g = google_claims("g-rita", "rep@seller.example", Some("seller.example"), now);
    let g_with = |k: &str, v: Value| {
        let mut c = g.clone();
        c[k] = v;
        c
    };
    let sign = |c: &Value| idp.sign(idp::KID, c);
    let ms = IdentityProvider::Microsoft;
    let google = IdentityProvider::Google;
    let cases: Vec<(&str, IdentityProvider, String, u16, &str)> = vec![
        (
            "a member's token (no admin role)",
            ms,
            sign(&ms_claims(TID_A, "oid-x", "x@seller.example", now))?,
            403,
            "proof_insufficient",
        ),
        (
            "a token whose roles are not Global Administrator",
            ms,
            sign(&ms_with(
                "wids",
                json!([MEMBER_ROLE, "fe930be7-5e62-47db-91af-98c3a49a38b1"]),
            ))?,
            403,
            "proof_insufficient",
        ),
        (
            "wids as a string rather than a list",
            ms,
            sign(&ms_with("wids", json!(GLOBAL_ADMIN_ROLE)))?,
            403,
            "proof_insufficient",
        ),
        (
            "an admin token issued by another tenant",
            ms,
            sign(&ms_with(
                "iss",
                json!(format!("https://login.microsoftonline.com/{TID_B}/v2.0")),
            ))?,
            401,
            "invalid_issuer",
        ),
        (
            "an admin token for another application",
            ms,
            sign(&ms_with(
                "aud",
                json!("00000003-0000-0000-c000-000000000000"),
            ))?,
            401,
            "invalid_audience",
        ),
        (
            "an expired admin token",
            ms,
            sign(&ms_with("exp", json!(now / 1000 - 3600)))?,
            401,
            "token_expired",
        ),
        (
            "an admin token signed by an unknown key",
            ms,
            idp.sign("another-key", &admin)?,
            401,
            "unknown_key",
        ),
        ("not a token", ms, "garbage".into(), 401, "invalid_token"),
        (
            "google: a consumer account (no hd)",
            google,
            sign(&google_claims("g-rita", "rep@seller.example", None, now))?,
            403,
            "proof_insufficient",
        ),
        (
            "google: another hosted domain than the email's",
            google,
            sign(&g_with("hd", json!("rival.example")))?,
            403,
            "proof_insufficient",
        ),
        (
            "google: another member of the domain, not the admin",
            google,
            sign(&g_with("email", json!("ana@seller.example")))?,
            403,
            "proof_insufficient",
        ),
        (
            "google: email not verified",
            google,
            sign(&g_with("email_verified", json!(false)))?,
            401,
            "email_not_verified",
        ),
        (
            "google: a Microsoft admin token",
            google,
            sign(&admin)?,
            401,
            "invalid_issuer",
        ),
    ];
    for (name, provider, token, status, code) in cases {
        let a = idp.claim(&t, &t.token(), provider, &token).await?;
        assert_eq!(
            (a.status, a.code().as_str()),
            (status, code),
            "{name}: {}",
            a.body
        );
    }
    // Only admins of this account may claim, even with a good proof.
    let pat = user_in(&t, &t.account, "pat@seller.example", Role::User).await?;
    let a = idp
        .claim(&t, &t.app.session_token(&pat).token, ms, &sign(&admin)?)
        .await?;
    assert_eq!((a.status, a.code().as_str()), (403, "requires_admin"));
    let unknown = t
        .post(
            "/account/trusted-identities/claim",
            &json!({ "provider": "okta", "token": sign(&admin)? }),
        )
        .await?;
    assert_eq!(
        (unknown.status, unknown.code().as_str()),
        (400, "validation_failed")
    );
    let list: TrustedIdentityListResponse = t.get("/account/trusted-identities").await?.json()?;
    assert!(list.trusted_identities.is_empty(), "{list:?}");
    assert_eq!(
        ms_sign_in(&t, &idp, TID_A, "oid-rita", "rep@seller.example").await?,
        Err("untrusted_tenant".to_string()),
        "nothing was trusted"
    );

    // The good proofs, for contrast: the tenant and domain they name become trusted.
    let a = idp.claim(&t, &t.token(), ms, &sign(&admin)?).await?;
    assert_eq!(a.status, 201, "{}", a.body);
    let view: TrustedIdentityView = a.json()?;
    assert_eq!(
        (view.provider, view.id.as_str(), view.proof.as_str()),
        (ms, TID_A, "microsoft_admin_token")
    );
    assert_eq!(view.proven_by, Some(t.user.id.0));
    // The Sequencer.TenantAdmin app role (assigned by the tenant's admins) proves it as well.
    let mut role = ms_claims(TID_B, "oid-admin", "admin@rival.example", now);
    role["roles"] = json!(["Sequencer.TenantAdmin"]);
    let a = idp.claim(&t, &t.token(), ms, &sign(&role)?).await?;
    assert_eq!(a.status, 201, "the app role also proves: {}", a.body);
    let a = idp.claim(&t, &t.token(), google, &sign(&g)?).await?;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(
        settings(&t, &t.token()).await?,
        AccountSettingsView {
            trusted_tenant_ids: vec![TID_A.into(), TID_B.into()],
            google_hosted_domains: vec!["seller.example".into()],
        }
    );
    Ok(())
}

async fn one_owner(db: Db) -> Result<()> {
    let (t, idp, b, bob) = setup(db).await?;
    let b_session = t.app.session_token(&bob).token;
    // B's second admin has an address in seller.example, so B can present a real proof too.
    let boss = user_in(&t, &b, "boss@seller.example", Role::Admin).await?;
    let boss_session = t.app.session_token(&boss).token;

    assert_eq!(idp.prove_tenant(&t, &t.token(), TID_A).await?.status, 201);
    assert_eq!(
        idp.prove_tenant(&t, &t.token(), TID_A).await?.status,
        200,
        "proving again is harmless"
    );
    let proven = idp
        .prove_domain(&t, &t.token(), "rep@seller.example", "seller.example")
        .await?;
    assert_eq!(proven.status, 201, "{}", proven.body);

    // Another account with a genuine proof still cannot take them over.
    for (what, answer) in [
        ("tenant", idp.prove_tenant(&t, &b_session, TID_A).await?),
        (
            "domain",
            idp.prove_domain(&t, &boss_session, "boss@seller.example", "seller.example")
                .await?,
        ),
    ] {
        assert_eq!(
            (answer.status, answer.code().as_str()),
            (409, "tenant_claimed"),
            "{what}: {}",
            answer.body
        );
    }
    // Nor release them.
    for path in [
        format!("/account/trusted-identities/microsoft/{TID_A}"),
        "/account/trusted-identities/google/seller.example".to_string(),
    ] {
        let d = t.send_as(&b_session, Method::DELETE, &path, &()).await?;
        assert_eq!((d.status, d.code().as_str()), (404, "not_found"), "{path}");
    }
    assert_eq!(
        ms_sign_in(&t, &idp, TID_A, "oid-rita", "rep@seller.example").await?,
        Ok((t.account.id.0, t.user.id.0))
    );

    // A releases the tenant (DELETE) and the domain (a settings PUT without it).
    let d = t
        .delete(&format!("/account/trusted-identities/microsoft/{TID_A}"))
        .await?;
    assert_eq!(d.status, 204, "{}", d.body);
    let d = t
        .delete(&format!("/account/trusted-identities/microsoft/{TID_A}"))
        .await?;
    assert_eq!(d.status, 404, "already released");
    let put = t
        .send_as(
            &t.token(),
            Method::PUT,
            "/account/settings",
            &AccountSettingsView::default(),
        )
        .await?;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(
        put.json::<AccountSettingsView>()?,
        AccountSettingsView::default()
    );
    assert_eq!(
        ms_sign_in(&t, &idp, TID_A, "oid-rita", "rep@seller.example").await?,
        Err("untrusted_tenant".to_string()),
        "A's link stops working once A no longer trusts the tenant"
    );

    // Now B may prove them, and B's users sign in to B, never to A.
    assert_eq!(idp.prove_tenant(&t, &b_session, TID_A).await?.status, 201);
    let proven = idp
        .prove_domain(&t, &boss_session, "boss@seller.example", "seller.example")
        .await?;
    assert_eq!(proven.status, 201, "{}", proven.body);
    assert_eq!(
        ms_sign_in(&t, &idp, TID_A, "oid-boss", "boss@seller.example").await?,
        Ok((b.id.0, boss.id.0))
    );
    assert_eq!(
        ms_sign_in(&t, &idp, TID_A, "oid-rita", "rep@seller.example").await?,
        Err("untrusted_tenant".to_string()),
        "A's user, linked to A before, is not moved into B"
    );
    assert_eq!(
        google_sign_in(
            &t,
            &idp,
            "g-rita",
            "rep@seller.example",
            Some("seller.example")
        )
        .await?,
        Err("untrusted_tenant".to_string())
    );
    let list: TrustedIdentityListResponse = t
        .get_as(&b_session, "/account/trusted-identities")
        .await?
        .json()?;
    let owned: Vec<(IdentityProvider, String)> = list
        .trusted_identities
        .into_iter()
        .map(|v| (v.provider, v.id))
        .collect();
    assert_eq!(
        owned,
        vec![
            (IdentityProvider::Google, "seller.example".to_string()),
            (IdentityProvider::Microsoft, TID_A.to_string()),
        ]
    );
    Ok(())
}

/// Concurrency on the ownership rule: several accounts claim one tenant at once, each several
/// times; the unique index lets exactly one account own it, with exactly one 201.
async fn parallel_claims(db: Db) -> Result<()> {
    let (t, idp, _, bob) = setup(db).await?;
    let mut sessions = vec![t.token(), t.app.session_token(&bob).token];
    for i in 0..2 {
        let (_, admin) = account(
            &t,
            &format!("Third {i}"),
            &format!("admin{i}@third.example"),
            Role::Admin,
        )
        .await?;
        sessions.push(t.app.session_token(&admin).token);
    }
    let token = idp.sign(
        idp::KID,
        &ms_admin_claims(TID_A, "oid-admin", "admin@seller.example", t.app.now()),
    )?;
    // Fetch the keys once first, so every parallel claim is decided by the store alone.
    let member = idp.sign(
        idp::KID,
        &ms_claims(TID_A, "oid-x", "x@seller.example", t.app.now()),
    )?;
    let warm = idp
        .claim(&t, &t.token(), IdentityProvider::Microsoft, &member)
        .await?;
    assert_eq!(warm.status, 403, "{}", warm.body);
    let attempts = sessions
        .iter()
        .flat_map(|s| std::iter::repeat_n(s.clone(), 4))
        .map(|session| {
            let (t, idp, token) = (&t, &idp, token.clone());
            async move {
                let a = idp
                    .claim(t, &session, IdentityProvider::Microsoft, &token)
                    .await?;
                Ok::<_, anyhow::Error>((session, a.status, a.code()))
            }
        });
    let answers = futures_util::future::try_join_all(attempts).await?;
    let created: Vec<&String> = answers
        .iter()
        .filter(|(_, status, _)| *status == 201)
        .map(|(s, _, _)| s)
        .collect();
    assert_eq!(created.len(), 1, "{answers:?}");
    let owner = created[0];
    for (session, status, code) in &answers {
        let expected = if session == owner {
            vec![200, 201]
        } else {
            vec![409]
        };
        assert!(expected.contains(status), "{status} {code}");
        if *status == 409 {
            assert_eq!(code, "tenant_claimed");
        }
    }
    let mut owners = 0;
    for s in &sessions {
        owners += settings(&t, s).await?.trusted_tenant_ids.len();
    }
    assert_eq!(owners, 1, "one account trusts the tenant");
    Ok(())
}

/// The URL of the test app's database, to connect a second store to it.
async fn database_url(t: &TestApp) -> Result<String> {
    use sqlx::Row;
    Ok(match t.db {
        Db::Sqlite => {
            let row = sqlx::query("PRAGMA database_list")
                .fetch_one(t.app.store.pool())
                .await?;
            format!("sqlite://{}", row.try_get::<String, _>("file")?)
        }
        Db::Postgres => {
            let name: String = sqlx::query("SELECT CAST(current_database() AS TEXT) AS name")
                .fetch_one(t.app.store.pool())
                .await?
                .try_get("name")?;
            let admin = std::env::var("SEQUENCER_TEST_PG_URL")?;
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            format!("{base}/{name}")
        }
    })
}

/// Migration 008 moves the old, unproven lists: a value one account listed stays trusted by it
/// (`legacy`), a value several accounts listed is trusted by none of them and recorded.
async fn legacy(db: Db) -> Result<()> {
    let (t, _idp, b, _) = setup(db).await?;
    let (c, _) = account(&t, "Third", "admin@third.example", Role::Admin).await?;
    let pool = t.app.store.pool();
    for sql in [
        "DROP TABLE trusted_identities",
        "DROP TABLE trusted_identity_conflicts",
        "DROP TABLE login_limits",
        "DELETE FROM schema_migrations WHERE name = '008_trusted_identities'",
    ] {
        sqlx::query(sql).execute(pool).await?;
    }
    let lists = [
        (
            t.account.id.0,
            r#"["aaaa-only-a", "shared-tenant"]"#,
            r#"["a.example"]"#,
        ),
        (
            b.id.0,
            r#"["shared-tenant"]"#,
            r#"["b.example", "shared.example"]"#,
        ),
        (c.id.0, "[]", r#"["shared.example"]"#),
    ];
    for (account, tids, domains) in lists {
        sqlx::query("INSERT INTO account_settings (account_id, trusted_tenant_ids, google_hosted_domains) VALUES ($1, $2, $3)")
            .bind(account)
            .bind(tids)
            .bind(domains)
            .execute(pool)
            .await?;
    }
    let store = sequencer_server::store::Store::connect(&database_url(&t).await?).await?;
    let trusted = |tids: &[&str], domains: &[&str]| sequencer_server::store::TrustSettings {
        trusted_tenant_ids: tids.iter().map(|s| s.to_string()).collect(),
        google_hosted_domains: domains.iter().map(|s| s.to_string()).collect(),
    };
    assert_eq!(
        store.trust_settings(t.account.id).await?,
        trusted(&["aaaa-only-a"], &["a.example"])
    );
    assert_eq!(
        store.trust_settings(b.id).await?,
        trusted(&[], &["b.example"])
    );
    assert_eq!(store.trust_settings(c.id).await?, trusted(&[], &[]));
    let proofs: Vec<String> = store
        .trusted_identities(t.account.id)
        .await?
        .into_iter()
        .map(|t| t.proof)
        .collect();
    assert_eq!(proofs, ["legacy", "legacy"]);
    let conflicts: Vec<(String, String, i64)> = store
        .trust_conflicts()
        .await?
        .into_iter()
        .map(|(p, v, a)| (p, v, a.0))
        .collect();
    assert_eq!(
        conflicts,
        vec![
            ("google".into(), "shared.example".into(), b.id.0),
            ("google".into(), "shared.example".into(), c.id.0),
            ("microsoft".into(), "shared-tenant".into(), t.account.id.0),
            ("microsoft".into(), "shared-tenant".into(), b.id.0),
        ]
    );
    store.close().await;
    Ok(())
}
