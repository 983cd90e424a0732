//! A local identity provider on loopback for the sign-in tests: serves a JWKS over HTTP (port 0)
//! and signs RS256 tokens with a `kid` header and the claims Microsoft's and Google's tokens
//! carry. The key pair is a fixed test key in `tests/data` (never used anywhere else). The server
//! under test is configured with this JWKS URL exactly as it would be with the real one: there
//! is no bypass.
//!
//! It also stands in for Google's OAuth 2.0 authorization endpoint (`GET /o/oauth2/v2/auth`) as
//! the Gmail extension uses it (the implicit `id_token` flow of `chrome.identity`): it checks the
//! request as Google does and answers like Google for the [`GoogleSession`] a test sets, with a
//! 302 to `{redirect_uri}#id_token=...` (or `#error=...`), or with a page of its own where Google
//! shows one (unknown client, unregistered redirect URI, sign-in needed).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use actix_web::{web, HttpResponse};
use anyhow::Result;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sequencer_server::clock::{Clock, SystemClock};
use sequencer_server::identity::IdentityConfig;
use serde_json::{json, Value};

pub const MS_CLIENT_ID: &str = "6f1a7c2e-0b4d-4e8a-9c3f-2d5e8b7a1c90";
pub const MS_SCOPE: &str = "access_as_user";
pub const GOOGLE_CLIENT_ID: &str = "1234567890-sequencer-test.apps.googleusercontent.com";
pub const KID: &str = "test-key-1";
pub const PRIVATE_PEM: &str = include_str!("../data/idp_test_key.pem");
pub const PUBLIC_PEM: &str = include_str!("../data/idp_test_pub.pem");
const JWKS: &str = include_str!("../data/idp_test_jwks.json");
/// The path of Google's authorization endpoint.
pub const GOOGLE_AUTH_PATH: &str = "/o/oauth2/v2/auth";

/// A Google account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoogleUser {
    pub sub: String,
    pub email: String,
    /// The Workspace domain (`hd`), none for a consumer account.
    pub hd: Option<String>,
}

/// What the loopback Google knows of the browser asking it, i.e. how its authorization endpoint
/// answers a well-formed request.
#[derive(Debug, Clone)]
pub enum GoogleSession {
    /// Nobody is signed in: the sign-in page (no redirect, so a silent flow gives up), or
    /// `error=login_required` for `prompt=none`.
    SignedOut,
    /// This user is signed in and has consented: an ID token for them at once.
    User(GoogleUser),
    /// The user declined, or their administrator blocks the app: `error=access_denied`.
    Denied,
    /// A valid ID token for this user, but minted for another sign-in (another nonce): what a
    /// token injected into the redirect looks like.
    Replayed(GoogleUser),
}

/// The authorization endpoint's state.
struct Google {
    session: GoogleSession,
    /// Registered for [`GOOGLE_CLIENT_ID`] (Google compares exactly).
    redirect_uris: Vec<String>,
    /// The identity provider's time, for `iat`/`exp`: share the app's clock in tests.
    clock: Arc<dyn Clock>,
    /// Every request's query, in order.
    requests: Vec<BTreeMap<String, String>>,
}

struct Shared {
    fetches: AtomicUsize,
    failing: AtomicBool,
    key: EncodingKey,
    google: Mutex<Google>,
}

pub struct LocalIdp {
    pub jwks_url: String,
    /// `http://127.0.0.1:PORT/o/oauth2/v2/auth`.
    pub google_auth_url: String,
    shared: Arc<Shared>,
    _server: actix_web::dev::ServerHandle,
}

impl LocalIdp {
    pub async fn start() -> Result<LocalIdp> {
        let shared = Arc::new(Shared {
            fetches: AtomicUsize::new(0),
            failing: AtomicBool::new(false),
            key: EncodingKey::from_rsa_pem(PRIVATE_PEM.as_bytes())?,
            google: Mutex::new(Google {
                session: GoogleSession::SignedOut,
                redirect_uris: Vec::new(),
                clock: Arc::new(SystemClock),
                requests: Vec::new(),
            }),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let origin = format!("http://{}", listener.local_addr()?);
        let data = web::Data::from(shared.clone());
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(data.clone())
                .route("/discovery/v2.0/keys", web::get().to(jwks))
                .route(GOOGLE_AUTH_PATH, web::get().to(google_authorize))
        })
        .workers(1)
        .listen(listener)?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(LocalIdp {
            jwks_url: format!("{origin}/discovery/v2.0/keys"),
            google_auth_url: format!("{origin}{GOOGLE_AUTH_PATH}"),
            shared,
            _server: handle,
        })
    }

    /// How many times the JWKS was fetched.
    pub fn fetches(&self) -> usize {
        self.shared.fetches.load(Ordering::SeqCst)
    }

    /// Makes the JWKS endpoint answer 503 (a provider outage) until set back.
    pub fn set_failing(&self, failing: bool) {
        self.shared.failing.store(failing, Ordering::SeqCst);
    }

    fn google(&self) -> MutexGuard<'_, Google> {
        self.shared
            .google
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Who the authorization endpoint sees signed in from now on (initially nobody).
    pub fn set_google_session(&self, session: GoogleSession) {
        self.google().session = session;
    }

    /// Registers a redirect URI for [`GOOGLE_CLIENT_ID`], e.g. an extension's
    /// `https://<extension id>.chromiumapp.org/`.
    pub fn register_redirect_uri(&self, uri: &str) {
        self.google().redirect_uris.push(uri.to_string());
    }

    /// The clock ID tokens are minted with (initially the system clock).
    pub fn set_clock(&self, clock: Arc<dyn Clock>) {
        self.google().clock = clock;
    }

    /// The query of every request the authorization endpoint received, in order.
    pub fn google_requests(&self) -> Vec<BTreeMap<String, String>> {
        self.google().requests.clone()
    }

    /// The server configuration pointing both providers at this IdP.
    pub fn config(&self) -> IdentityConfig {
        IdentityConfig {
            ms_client_id: Some(MS_CLIENT_ID.into()),
            ms_scope: MS_SCOPE.into(),
            ms_jwks_url: self.jwks_url.clone(),
            google_client_id: Some(GOOGLE_CLIENT_ID.into()),
            google_jwks_url: self.jwks_url.clone(),
            google_auth_url: self.google_auth_url.clone(),
            // The IdP runs on loopback over plain http.
            network: sequencer_server::net::NetworkPolicy::Development,
            ..Default::default()
        }
    }

    /// An RS256 token with this `kid`.
    pub fn sign(&self, kid: &str, claims: &Value) -> Result<String> {
        sign(&self.shared.key, kid, claims)
    }
}

fn sign(key: &EncodingKey, kid: &str, claims: &Value) -> Result<String> {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_string());
    header.typ = Some("JWT".into());
    Ok(jsonwebtoken::encode(&header, claims, key)?)
}

async fn jwks(shared: web::Data<Shared>) -> HttpResponse {
    shared.fetches.fetch_add(1, Ordering::SeqCst);
    if shared.failing.load(Ordering::SeqCst) {
        HttpResponse::ServiceUnavailable().finish()
    } else {
        HttpResponse::Ok()
            .content_type("application/json")
            .body(JWKS)
    }
}

async fn google_authorize(
    shared: web::Data<Shared>,
    query: web::Query<BTreeMap<String, String>>,
) -> HttpResponse {
    let query = query.into_inner();
    let mut google = shared
        .google
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    google.requests.push(query.clone());
    match authorize(&google, &query) {
        Authorization::Page(status, title) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(format!(
                "<!doctype html><title>{title}</title><h1>{title}</h1>"
            )),
        Authorization::Redirect(uri, answer) => {
            let answer = match answer {
                Answer::Error(code) => vec![("error", code.to_string())],
                Answer::IdToken { user, nonce } => {
                    let now = google.clock.now();
                    let mut claims = google_claims(&user.sub, &user.email, user.hd.as_deref(), now);
                    claims["nonce"] = json!(nonce);
                    match sign(&shared.key, KID, &claims) {
                        Ok(token) => vec![("id_token", token), ("authuser", "0".into())],
                        Err(e) => return HttpResponse::InternalServerError().body(e.to_string()),
                    }
                }
            };
            let mut fragment = reqwest::Url::parse("http://fragment.invalid/").expect("a URL");
            fragment.query_pairs_mut().extend_pairs(answer);
            if let Some(state) = query.get("state") {
                fragment.query_pairs_mut().append_pair("state", state);
            }
            HttpResponse::Found()
                .insert_header((
                    actix_web::http::header::LOCATION,
                    format!("{uri}#{}", fragment.query().unwrap_or_default()),
                ))
                .finish()
        }
    }
}

/// What Google's authorization endpoint does with a request.
#[derive(Debug, PartialEq)]
enum Authorization {
    /// Google's own page, no redirect: the request cannot go back to its redirect URI.
    Page(actix_web::http::StatusCode, &'static str),
    /// A 302 to the redirect URI with the answer in the fragment (the implicit flow).
    Redirect(String, Answer),
}

#[derive(Debug, PartialEq)]
enum Answer {
    Error(&'static str),
    IdToken { user: GoogleUser, nonce: String },
}

/// Google's checks, in its order: the client and its redirect URI first (until both are known
/// good the answer cannot be sent back), then the request itself, then the session.
fn authorize(google: &Google, q: &BTreeMap<String, String>) -> Authorization {
    use actix_web::http::StatusCode;
    let param = |name: &str| q.get(name).map(String::as_str).unwrap_or_default();
    if param("client_id") != GOOGLE_CLIENT_ID {
        return Authorization::Page(StatusCode::UNAUTHORIZED, "Error 401: invalid_client");
    }
    let redirect = param("redirect_uri");
    if !google.redirect_uris.iter().any(|r| r == redirect) {
        return Authorization::Page(StatusCode::BAD_REQUEST, "Error 400: redirect_uri_mismatch");
    }
    let back = |answer| Authorization::Redirect(redirect.to_string(), answer);
    if param("response_type") != "id_token" {
        return back(Answer::Error("unsupported_response_type"));
    }
    if !param("scope").split(' ').any(|s| s == "openid") || param("nonce").is_empty() {
        return Authorization::Page(StatusCode::BAD_REQUEST, "Error 400: invalid_request");
    }
    let token_for = |user: &GoogleUser, nonce: &str| {
        back(Answer::IdToken {
            user: user.clone(),
            nonce: nonce.to_string(),
        })
    };
    match &google.session {
        GoogleSession::SignedOut if param("prompt") == "none" => {
            back(Answer::Error("login_required"))
        }
        GoogleSession::SignedOut => {
            Authorization::Page(StatusCode::OK, "Sign in - Google Accounts")
        }
        GoogleSession::Denied => back(Answer::Error("access_denied")),
        GoogleSession::User(user) => token_for(user, param("nonce")),
        GoogleSession::Replayed(user) => token_for(user, "a-nonce-from-another-sign-in"),
    }
}

/// Claims of a Microsoft identity platform v2.0 access token for Sequencer's API.
pub fn ms_claims(tid: &str, oid: &str, email: &str, now_ms: i64) -> Value {
    let now = now_ms / 1000;
    json!({
        "aud": MS_CLIENT_ID,
        "iss": format!("https://login.microsoftonline.com/{tid}/v2.0"),
        "iat": now - 60, "nbf": now - 60, "exp": now + 3600,
        "tid": tid, "oid": oid, "sub": format!("sub-{oid}"),
        "scp": format!("{MS_SCOPE} User.Read"),
        "preferred_username": email, "name": "Test User", "ver": "2.0", "azp": "panel-client-id",
    })
}

/// The Entra built-in role template id of Global Administrator, as `wids` carries it.
pub const GLOBAL_ADMIN_ROLE: &str = "62e90394-69f5-4237-9190-012177145e10";
/// The Entra built-in role template id every member has ("User"), not an admin role.
pub const MEMBER_ROLE: &str = "b79fbf4d-3ef9-4689-8143-76b194e85509";

/// Claims of an access token of a Global Administrator of tenant `tid` (its `wids` names the
/// role, as Entra emits it when the app's `groupMembershipClaims` asks for directory roles).
pub fn ms_admin_claims(tid: &str, oid: &str, email: &str, now_ms: i64) -> Value {
    let mut c = ms_claims(tid, oid, email, now_ms);
    c["wids"] = json!([GLOBAL_ADMIN_ROLE, MEMBER_ROLE]);
    c
}

impl LocalIdp {
    /// `POST /account/trusted-identities/claim` as the holder of `session` with this token.
    pub async fn claim(
        &self,
        t: &crate::TestApp,
        session: &str,
        provider: shared::IdentityProvider,
        token: &str,
    ) -> Result<crate::Answer> {
        t.send_as(
            session,
            reqwest::Method::POST,
            "/account/trusted-identities/claim",
            &shared::TrustClaimRequest {
                provider,
                token: token.into(),
            },
        )
        .await
    }

    /// Proves tenant `tid` for the account of `session` with a Global Administrator's token.
    pub async fn prove_tenant(
        &self,
        t: &crate::TestApp,
        session: &str,
        tid: &str,
    ) -> Result<crate::Answer> {
        let token = self.sign(
            KID,
            &ms_admin_claims(tid, "oid-tenant-admin", "admin@tenant.example", t.app.now()),
        )?;
        self.claim(t, session, shared::IdentityProvider::Microsoft, &token)
            .await
    }

    /// Proves Workspace domain `hd` for the account of `session` with the Google ID token of
    /// `email` (the session's own address, in `hd`).
    pub async fn prove_domain(
        &self,
        t: &crate::TestApp,
        session: &str,
        email: &str,
        hd: &str,
    ) -> Result<crate::Answer> {
        let token = self.sign(
            KID,
            &google_claims(&format!("g-admin-{email}"), email, Some(hd), t.app.now()),
        )?;
        self.claim(t, session, shared::IdentityProvider::Google, &token)
            .await
    }
}

/// Claims of a Google ID token for the Gmail extension.
pub fn google_claims(sub: &str, email: &str, hd: Option<&str>, now_ms: i64) -> Value {
    let now = now_ms / 1000;
    let mut c = json!({
        "iss": "https://accounts.google.com", "azp": GOOGLE_CLIENT_ID, "aud": GOOGLE_CLIENT_ID,
        "sub": sub, "email": email, "email_verified": true, "iat": now - 60, "exp": now + 3600,
    });
    if let Some(hd) = hd {
        c["hd"] = json!(hd);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(session: GoogleSession, query: &[(&str, &str)], expected: &str) {
        let google = Google {
            session,
            redirect_uris: vec!["https://ext.chromiumapp.org/".into()],
            clock: Arc::new(SystemClock),
            requests: Vec::new(),
        };
        let q = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let got = match authorize(&google, &q) {
            Authorization::Page(status, title) => format!("{} page {title}", status.as_u16()),
            Authorization::Redirect(uri, Answer::Error(e)) => format!("302 {uri}#error={e}"),
            Authorization::Redirect(uri, Answer::IdToken { user, nonce }) => {
                format!("302 {uri}#id_token(sub={}, nonce={nonce})", user.sub)
            }
        };
        assert_eq!(got, expected, "{query:?}");
    }

    const OK: &[(&str, &str)] = &[
        ("client_id", GOOGLE_CLIENT_ID),
        ("redirect_uri", "https://ext.chromiumapp.org/"),
        ("response_type", "id_token"),
        ("scope", "openid email profile"),
        ("nonce", "n-1"),
    ];

    fn with(changes: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut q: Vec<_> = OK
            .iter()
            .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
            .copied()
            .collect();
        q.extend(changes.iter().filter(|(_, v)| !v.is_empty()));
        q
    }

    #[test]
    fn the_authorization_endpoint_answers_like_google() {
        let ana = GoogleUser {
            sub: "g-ana".into(),
            email: "ana@seller.example".into(),
            hd: None,
        };
        let user = || GoogleSession::User(ana.clone());
        check(
            user(),
            OK,
            "302 https://ext.chromiumapp.org/#id_token(sub=g-ana, nonce=n-1)",
        );
        check(
            GoogleSession::Replayed(ana.clone()),
            OK,
            "302 https://ext.chromiumapp.org/#id_token(sub=g-ana, nonce=a-nonce-from-another-sign-in)",
        );
        check(
            GoogleSession::Denied,
            OK,
            "302 https://ext.chromiumapp.org/#error=access_denied",
        );
        check(
            GoogleSession::SignedOut,
            OK,
            "200 page Sign in - Google Accounts",
        );
        check(
            GoogleSession::SignedOut,
            &with(&[("prompt", "none")]),
            "302 https://ext.chromiumapp.org/#error=login_required",
        );
        check(
            user(),
            &with(&[("client_id", "other")]),
            "401 page Error 401: invalid_client",
        );
        check(
            user(),
            &with(&[("redirect_uri", "https://evil.example/")]),
            "400 page Error 400: redirect_uri_mismatch",
        );
        check(
            user(),
            &with(&[("response_type", "token")]),
            "302 https://ext.chromiumapp.org/#error=unsupported_response_type",
        );
        check(
            user(),
            &with(&[("nonce", "")]),
            "400 page Error 400: invalid_request",
        );
        check(
            user(),
            &with(&[("scope", "email")]),
            "400 page Error 400: invalid_request",
        );
    }
}
