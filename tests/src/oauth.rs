//! An OAuth 2.0 provider's token-info endpoint on loopback, for the IMAP XOAUTH2 tests: the
//! IMAP server (Dovecot's `oauth2` passdb) asks it whether a bearer token is live and whose it
//! is, exactly as it would ask Google's or an on-premises provider's. It answers in RFC 7662's
//! terms: a live token gets 200 with `active: true`, the owner's `email`, scope and lifetime; a
//! revoked one 200 with only `active: false`; a token it never issued 401 `invalid_token`.
//! Every token it is asked about is recorded, so a test can tell the token really reached it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use actix_web::{web, HttpResponse};
use anyhow::Result;
use serde_json::json;

/// The path Dovecot appends the token to (`tokeninfo_url`).
pub const TOKENINFO_PATH: &str = "/oauth2/tokeninfo";

#[derive(Default)]
struct State {
    /// token -> (owner's email, still live)
    tokens: HashMap<String, (String, bool)>,
    /// Every token asked about, in order.
    asked: Vec<String>,
}

pub struct TokenInfo {
    /// `http://127.0.0.1:PORT/oauth2/tokeninfo?access_token=`: the token is appended.
    pub url: String,
    state: Arc<Mutex<State>>,
    _server: actix_web::dev::ServerHandle,
}

impl TokenInfo {
    pub async fn start() -> Result<TokenInfo> {
        let state = Arc::new(Mutex::new(State::default()));
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let url = format!(
            "http://{}{TOKENINFO_PATH}?access_token=",
            listener.local_addr()?
        );
        let data = web::Data::from(state.clone());
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(data.clone())
                .route(TOKENINFO_PATH, web::get().to(tokeninfo))
        })
        .workers(1)
        .listen(listener)?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(TokenInfo {
            url,
            state,
            _server: handle,
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Issues a fresh access token for `email`.
    pub fn issue(&self, email: &str) -> String {
        let token = format!("ya29.test-{:032x}", rand_u128());
        self.state()
            .tokens
            .insert(token.clone(), (email.to_string(), true));
        token
    }

    /// Revokes a token: from now on it is reported inactive.
    pub fn revoke(&self, token: &str) {
        if let Some((_, live)) = self.state().tokens.get_mut(token) {
            *live = false;
        }
    }

    /// Every token the endpoint was asked about, in order.
    pub fn asked(&self) -> Vec<String> {
        self.state().asked.clone()
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn rand_u128() -> u128 {
    use std::hash::{BuildHasher, Hasher};
    let word = || {
        std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish()
    };
    (u128::from(word()) << 64) | u128::from(word())
}

async fn tokeninfo(
    state: web::Data<Mutex<State>>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let token = query.get("access_token").cloned().unwrap_or_default();
    let mut state = lock(&state);
    state.asked.push(token.clone());
    match state.tokens.get(&token) {
        Some((email, true)) => HttpResponse::Ok().json(json!({
            "active": true,
            "email": email,
            "email_verified": true,
            "scope": "https://mail.google.com/",
            "token_type": "Bearer",
            "expires_in": 3599,
        })),
        Some((_, false)) => HttpResponse::Ok().json(json!({ "active": false })),
        None => HttpResponse::Unauthorized()
            .insert_header(("WWW-Authenticate", "Bearer error=\"invalid_token\""))
            .json(json!({
                "error": "invalid_token",
                "error_description": "The access token is not known",
            })),
    }
}
