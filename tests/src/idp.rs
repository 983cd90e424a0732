//! A local identity provider on loopback for the sign-in tests: serves a JWKS over HTTP (port 0)
//! and signs RS256 tokens with a `kid` header and the claims Microsoft's and Google's tokens
//! carry. The key pair is a fixed test key in `tests/data` (never used anywhere else). The server
//! under test is configured with this JWKS URL exactly as it would be with the real one: there
//! is no bypass.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use anyhow::Result;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sequencer_server::identity::IdentityConfig;
use serde_json::{json, Value};

pub const MS_CLIENT_ID: &str = "6f1a7c2e-0b4d-4e8a-9c3f-2d5e8b7a1c90";
pub const MS_SCOPE: &str = "access_as_user";
pub const GOOGLE_CLIENT_ID: &str = "1234567890-sequencer-test.apps.googleusercontent.com";
pub const KID: &str = "test-key-1";
pub const PRIVATE_PEM: &str = include_str!("../data/idp_test_key.pem");
pub const PUBLIC_PEM: &str = include_str!("../data/idp_test_pub.pem");
const JWKS: &str = include_str!("../data/idp_test_jwks.json");

pub struct LocalIdp {
    pub jwks_url: String,
    fetches: Arc<AtomicUsize>,
    failing: Arc<AtomicBool>,
    key: EncodingKey,
    _server: actix_web::dev::ServerHandle,
}

impl LocalIdp {
    pub async fn start() -> Result<LocalIdp> {
        let fetches = Arc::new(AtomicUsize::new(0));
        let failing = Arc::new(AtomicBool::new(false));
        let (counter, fail) = (fetches.clone(), failing.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let jwks_url = format!("http://{}/discovery/v2.0/keys", listener.local_addr()?);
        let server = actix_web::HttpServer::new(move || {
            let (counter, fail) = (counter.clone(), fail.clone());
            actix_web::App::new().route(
                "/discovery/v2.0/keys",
                actix_web::web::get().to(move || {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let down = fail.load(Ordering::SeqCst);
                    async move {
                        if down {
                            actix_web::HttpResponse::ServiceUnavailable().finish()
                        } else {
                            actix_web::HttpResponse::Ok()
                                .content_type("application/json")
                                .body(JWKS)
                        }
                    }
                }),
            )
        })
        .workers(1)
        .listen(listener)?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(LocalIdp {
            jwks_url,
            fetches,
            failing,
            key: EncodingKey::from_rsa_pem(PRIVATE_PEM.as_bytes())?,
            _server: handle,
        })
    }

    /// How many times the JWKS was fetched.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// Makes the JWKS endpoint answer 503 (a provider outage) until set back.
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// The server configuration pointing both providers at this IdP.
    pub fn config(&self) -> IdentityConfig {
        IdentityConfig {
            ms_client_id: Some(MS_CLIENT_ID.into()),
            ms_scope: MS_SCOPE.into(),
            ms_jwks_url: self.jwks_url.clone(),
            google_client_id: Some(GOOGLE_CLIENT_ID.into()),
            google_jwks_url: self.jwks_url.clone(),
            ..Default::default()
        }
    }

    /// An RS256 token with this `kid`.
    pub fn sign(&self, kid: &str, claims: &Value) -> Result<String> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.to_string());
        header.typ = Some("JWT".into());
        Ok(jsonwebtoken::encode(&header, claims, &self.key)?)
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
