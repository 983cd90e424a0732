//! Sign-in from the mail clients against a local identity provider on loopback (real JWKS over
//! HTTP, real RS256 signatures): valid Microsoft and Google tokens are exchanged for a session,
//! and every forged, misdirected or stale token is refused with 401 and its own code. Also: the
//! JWKS refetch cooldown and password sign-in rate limiting.

use anyhow::{Context, Result};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use sequencer_server::domain::{EmailAddress, Role, Seat, Tier};
use sequencer_tests::idp::{self, google_claims, ms_claims, LocalIdp};
use sequencer_tests::*;
use serde_json::{json, Value};
use shared::*;

both_backends! {
    valid_tokens_are_exchanged_for_a_session_of_the_linked_user => valid;
    forged_misdirected_and_stale_tokens_get_401_with_a_clear_code => rejected;
    an_unknown_kid_refetches_the_keys_at_most_once_per_cooldown => cooldown;
    a_provider_outage_is_retried_after_a_short_backoff_not_a_cooldown => outage;
    repeated_failed_logins_are_rate_limited_per_email_and_address => rate_limit;
}

const TID_A: &str = "aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa";
const TID_B: &str = "bbbbbbbb-2222-4222-8222-bbbbbbbbbbbb";

fn b64(v: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(v).unwrap_or_default())
}

/// The test app trusting tenant A and the `seller.example` Workspace domain, plus a second
/// account (B) trusting tenant B, with user bob@rival.example. Each account proves what it
/// trusts (`POST /account/trusted-identities/claim`, issue 19): a Global Administrator's token
/// for a tenant, the admin's own Google ID token for a domain.
async fn setup(db: Db) -> Result<(TestApp, LocalIdp)> {
    setup_with(db, Proofs::Claimed).await
}

/// How [`setup_with`] establishes trust.
#[derive(PartialEq)]
enum Proofs {
    /// Through the claim route, which fetches the IdP's keys.
    Claimed,
    /// Recorded in the store as proven earlier, so the keys are not fetched yet (for the tests
    /// that count fetches).
    Recorded,
}

async fn setup_with(db: Db, proofs: Proofs) -> Result<(TestApp, LocalIdp)> {
    let idp = LocalIdp::start().await?;
    let config = idp.config();
    let t =
        spawn_app_configured(db, Tier::Professional, move |app| app.with_identity(config)).await?;
    let record = |account, provider, id: &'static str| {
        let store = t.app.store.clone();
        async move {
            store
                .claim_trust(&sequencer_server::store::NewTrust {
                    account,
                    provider,
                    external_id: id,
                    proof: "recorded_by_test",
                    proven_by: None,
                    now: T0,
                })
                .await
        }
    };
    if proofs == Proofs::Claimed {
        let proven = idp
            .prove_tenant(&t, &t.token(), &TID_A.to_uppercase())
            .await?;
        assert_eq!(proven.status, 201, "{}", proven.body);
        let proven = idp
            .prove_domain(&t, &t.token(), "rep@seller.example", "seller.example")
            .await?;
        assert_eq!(proven.status, 201, "{}", proven.body);
    } else {
        record(t.account.id, "microsoft", TID_A).await?;
        record(t.account.id, "google", "seller.example").await?;
    }
    let a = t.get("/account/settings").await?;
    assert_eq!(
        a.json::<AccountSettingsView>()?.trusted_tenant_ids,
        vec![TID_A.to_string()],
        "normalized"
    );
    let b = t
        .app
        .store
        .create_account("Rival", Tier::Professional, T0)
        .await?;
    let bob = t
        .app
        .store
        .create_user(
            b.id,
            &EmailAddress::parse("bob@rival.example")?,
            "Bob",
            Role::Admin,
            Some(Seat::SalesPro),
            None,
            T0,
        )
        .await?;
    if proofs == Proofs::Claimed {
        let proven = idp
            .prove_tenant(&t, &t.app.session_token(&bob).token, TID_B)
            .await?;
        assert_eq!(proven.status, 201, "{}", proven.body);
    } else {
        record(b.id, "microsoft", TID_B).await?;
    }
    Ok((t, idp))
}

async fn valid(db: Db) -> Result<()> {
    let (t, idp) = setup(db).await?;
    let now = t.app.now();
    let ms = idp.sign(
        idp::KID,
        &ms_claims(TID_A, "oid-rita", "Rep@Seller.example", now),
    )?;
    let a = t.exchange(IdentityProvider::Microsoft, &ms).await?;
    assert_eq!(a.status, 200, "{}", a.body);
    let session: TokenResponse = a.json()?;
    assert_eq!(session.user.email, "rep@seller.example");
    let me: MeResponse = t.get_as(&session.token, "/me").await?.json()?;
    assert_eq!(me.account.id, t.account.id.0);
    // Linked by tid + oid: a later token with another username still maps to the same user.
    let renamed = idp.sign(
        idp::KID,
        &ms_claims(TID_A, "oid-rita", "rita.renamed@seller.example", now),
    )?;
    assert_eq!(
        t.exchange(IdentityProvider::Microsoft, &renamed)
            .await?
            .json::<TokenResponse>()?
            .user
            .id,
        t.user.id.0
    );

    let g = idp.sign(
        idp::KID,
        &google_claims("g-123", "rep@seller.example", Some("seller.example"), now),
    )?;
    let a = t.exchange(IdentityProvider::Google, &g).await?;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json::<TokenResponse>()?.user.id, t.user.id.0);

    // The exchanged session is short-lived (measured with the app clock).
    t.clock.advance(chrono::Duration::minutes(61));
    assert_eq!(
        t.get_as(&session.token, "/me").await?.code(),
        "token_expired"
    );
    // When the account stops trusting the tenant, the linked identity stops working.
    let none = AccountSettingsView {
        trusted_tenant_ids: vec![],
        google_hosted_domains: vec!["seller.example".into()],
    };
    t.send_as(&t.token(), Method::PUT, "/account/settings", &none)
        .await?;
    let again = idp.sign(
        idp::KID,
        &ms_claims(TID_A, "oid-rita", "rep@seller.example", t.app.now()),
    )?;
    assert_eq!(
        t.exchange(IdentityProvider::Microsoft, &again)
            .await?
            .code(),
        "untrusted_tenant"
    );
    Ok(())
}

async fn rejected(db: Db) -> Result<()> {
    let (t, idp) = setup(db).await?;
    let now = t.app.now();
    let good = ms_claims(TID_A, "oid-rita", "rep@seller.example", now);
    let with = |k: &str, v: Value| {
        let mut c = good.clone();
        c[k] = v;
        c
    };
    let sign = |c: &Value| idp.sign(idp::KID, c);
    let valid = sign(&good)?;
    let parts: Vec<&str> = valid.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(&with("oid", json!("oid-someone-else"))),
        parts[2]
    );
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&good)
    );
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some(idp::KID.into());
    let hs256 = jsonwebtoken::encode(
        &hs,
        &good,
        &EncodingKey::from_secret(idp::PUBLIC_PEM.as_bytes()),
    )?;
    let mut no_scp = good.clone();
    no_scp.as_object_mut().context("object")?.remove("scp");
    let ms = IdentityProvider::Microsoft;
    let google = IdentityProvider::Google;
    let g = google_claims("g-1", "rep@seller.example", Some("seller.example"), now);
    let g_with = |k: &str, v: Value| {
        let mut c = g.clone();
        c[k] = v;
        c
    };
    let cases: Vec<(&str, IdentityProvider, String, &str)> = vec![
        ("alg none", ms, none, "invalid_algorithm"),
        (
            "HS256 keyed with the RSA public key",
            ms,
            hs256,
            "invalid_algorithm",
        ),
        (
            "issuer of another tenant",
            ms,
            sign(&with(
                "iss",
                json!(format!("https://login.microsoftonline.com/{TID_B}/v2.0")),
            ))?,
            "invalid_issuer",
        ),
        (
            "v1 issuer",
            ms,
            sign(&with(
                "iss",
                json!(format!("https://sts.windows.net/{TID_A}/")),
            ))?,
            "invalid_issuer",
        ),
        (
            "wrong audience",
            ms,
            sign(&with("aud", json!("00000003-0000-0000-c000-000000000000")))?,
            "invalid_audience",
        ),
        (
            "scope missing from scp",
            ms,
            sign(&with("scp", json!("User.Read Mail.Read")))?,
            "missing_scope",
        ),
        ("no scp at all", ms, sign(&no_scp)?, "missing_scope"),
        (
            "expired",
            ms,
            sign(&with("exp", json!(now / 1000 - 3600)))?,
            "token_expired",
        ),
        (
            "not yet valid",
            ms,
            sign(&with("nbf", json!(now / 1000 + 3600)))?,
            "token_not_yet_valid",
        ),
        (
            "unknown kid",
            ms,
            idp.sign("rotated-away", &good)?,
            "unknown_key",
        ),
        ("tampered payload", ms, tampered, "invalid_signature"),
        (
            "exp as a string",
            ms,
            sign(&with("exp", json!((now / 1000 + 3600).to_string())))?,
            "invalid_token",
        ),
        (
            "tenant A's token for a user of account B",
            ms,
            sign(&ms_claims(TID_A, "oid-bob", "bob@rival.example", now))?,
            "untrusted_tenant",
        ),
        (
            "tenant B's token for a user of account A",
            ms,
            sign(&ms_claims(TID_B, "oid-x", "rep@seller.example", now))?,
            "untrusted_tenant",
        ),
        ("not a JWT", ms, "garbage".into(), "invalid_token"),
        (
            "google: wrong issuer",
            google,
            idp.sign(idp::KID, &g_with("iss", json!("https://evil.example")))?,
            "invalid_issuer",
        ),
        (
            "google: wrong audience",
            google,
            idp.sign(
                idp::KID,
                &g_with("aud", json!("someone-else.apps.googleusercontent.com")),
            )?,
            "invalid_audience",
        ),
        (
            "google: email not verified",
            google,
            idp.sign(idp::KID, &g_with("email_verified", json!(false)))?,
            "email_not_verified",
        ),
        (
            "google: consumer account, no hosted domain",
            google,
            idp.sign(
                idp::KID,
                &google_claims("g-2", "rep@seller.example", None, now),
            )?,
            "untrusted_tenant",
        ),
        (
            "google: expired",
            google,
            idp.sign(idp::KID, &g_with("exp", json!(now / 1000 - 600)))?,
            "token_expired",
        ),
        (
            "a Microsoft token sent as Google",
            google,
            valid.clone(),
            "invalid_issuer",
        ),
    ];
    for (name, provider, token, code) in cases {
        let a = t.exchange(provider, &token).await?;
        assert_eq!(
            (a.status, a.code().as_str()),
            (401, code),
            "{name}: {}",
            a.body
        );
        // The same token is never accepted as a session on the API either.
        assert_eq!(
            t.get_as(&token, "/me").await?.status,
            401,
            "{name} as a bearer token"
        );
    }
    assert_eq!(
        t.exchange(ms, &valid).await?.status,
        200,
        "the untampered token is fine"
    );
    Ok(())
}

async fn cooldown(db: Db) -> Result<()> {
    let (t, idp) = setup_with(db, Proofs::Recorded).await?;
    let claims = ms_claims(TID_A, "oid-rita", "rep@seller.example", t.app.now());
    assert_eq!(
        t.exchange(IdentityProvider::Microsoft, &idp.sign(idp::KID, &claims)?)
            .await?
            .status,
        200
    );
    assert_eq!(idp.fetches(), 1);
    for _ in 0..5 {
        assert_eq!(
            t.exchange(
                IdentityProvider::Microsoft,
                &idp.sign("random-kid", &claims)?
            )
            .await?
            .code(),
            "unknown_key"
        );
    }
    assert_eq!(
        idp.fetches(),
        1,
        "within the cooldown an unknown kid does not refetch"
    );
    t.clock.advance(chrono::Duration::minutes(6));
    let claims = ms_claims(TID_A, "oid-rita", "rep@seller.example", t.app.now());
    for _ in 0..5 {
        t.exchange(
            IdentityProvider::Microsoft,
            &idp.sign("random-kid", &claims)?,
        )
        .await?;
    }
    assert_eq!(idp.fetches(), 2, "one refetch per cooldown");
    assert_eq!(
        t.exchange(IdentityProvider::Microsoft, &idp.sign(idp::KID, &claims)?)
            .await?
            .status,
        200,
        "known keys stay cached"
    );
    assert_eq!(idp.fetches(), 2);
    Ok(())
}

async fn outage(db: Db) -> Result<()> {
    let (t, idp) = setup_with(db, Proofs::Recorded).await?;
    idp.set_failing(true);
    let token = |t: &TestApp| {
        idp.sign(
            idp::KID,
            &ms_claims(TID_A, "oid-rita", "rep@seller.example", t.app.now()),
        )
    };
    let a = t.exchange(IdentityProvider::Microsoft, &token(&t)?).await?;
    assert_eq!(
        (a.status, a.code().as_str()),
        (401, "invalid_token"),
        "{}",
        a.body
    );
    assert!(a.body["message"]
        .as_str()
        .unwrap_or("")
        .contains("could not be fetched"));
    idp.set_failing(false);
    assert_eq!(
        t.exchange(IdentityProvider::Microsoft, &token(&t)?)
            .await?
            .code(),
        "unknown_key",
        "within the backoff"
    );
    assert_eq!(idp.fetches(), 1);
    t.clock.advance(chrono::Duration::seconds(11));
    assert_eq!(
        t.exchange(IdentityProvider::Microsoft, &token(&t)?)
            .await?
            .status,
        200,
        "retried after 10 s, not 5 min"
    );
    assert_eq!(idp.fetches(), 2);
    Ok(())
}

async fn rate_limit(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let req = CreateUserRequest {
        email: "pat@seller.example".into(),
        name: "Pat".into(),
        role: Role::User,
        seat: None,
        password: Some("correct horse battery".into()),
    };
    assert_eq!(t.post("/users", &req).await?.status, 201);
    let login = |password: &'static str, email: &'static str| {
        let t = &t;
        async move {
            let a = t.login(email, password).await?;
            Ok::<_, anyhow::Error>((a.status, a.code()))
        }
    };
    assert_eq!(
        login("correct horse battery", "pat@seller.example")
            .await?
            .0,
        200
    );
    for _ in 0..5 {
        assert_eq!(
            login("wrong", "pat@seller.example").await?,
            (401, "unauthorized".to_string())
        );
    }
    assert_eq!(
        login("correct horse battery", "Pat@Seller.example").await?,
        (429, "rate_limited".to_string()),
        "even the right password waits"
    );
    assert_eq!(
        login("wrong", "rep@seller.example").await?.0,
        401,
        "per email: others are not locked out"
    );
    t.clock.advance(chrono::Duration::minutes(16));
    assert_eq!(
        login("correct horse battery", "pat@seller.example")
            .await?
            .0,
        200,
        "the window passed (app clock)"
    );
    Ok(())
}
