//! Typed client for Sequencer's HTTP API, over the `shared` wire types. Every call sends
//! `Authorization: Bearer <token>`; errors come back as [`ApiError`] carrying the server's stable
//! `ErrorCode`. Must not depend on `views/`, `components/` or `host/`.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::*;

use crate::email::EmailAddress;

#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The request never got an answer (offline, CORS, server down).
    Network(String),
    /// A 4xx/5xx with the server's error body.
    Server { status: u16, body: ErrorBody },
    /// The answer was not the expected JSON.
    Decode(String),
}

impl ApiError {
    /// The token is missing, wrong or expired: sign in again.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, ApiError::Server { status: 401, .. })
            || matches!(self, ApiError::Server { body, .. }
                if matches!(body.code, ErrorCode::Unauthorized | ErrorCode::InvalidToken | ErrorCode::TokenExpired))
    }

    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ApiError::Server { body, .. } => Some(body.code),
            _ => None,
        }
    }

    /// A sentence for the user.
    pub fn message(&self) -> String {
        match self {
            ApiError::Network(_) => "Sequencer could not be reached. Check your connection.".into(),
            ApiError::Server { body, .. } => match body.code {
                ErrorCode::RequiresSeat => {
                    "You need a Sales or Service seat to change enrollments.".into()
                }
                ErrorCode::EnrollmentNotActive => "This enrollment has already ended.".into(),
                ErrorCode::EnrollmentNotPaused => "This enrollment is not paused.".into(),
                ErrorCode::Unauthorized | ErrorCode::InvalidToken | ErrorCode::TokenExpired => {
                    "Your session has expired. Please sign in again.".into()
                }
                _ if body.message.is_empty() => format!("Request failed ({}).", body.code.as_str()),
                _ => body.message.clone(),
            },
            ApiError::Decode(_) => "Sequencer sent an unexpected answer.".into(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

/// Percent-encodes a query component (RFC 3986 unreserved characters pass through).
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The path and query of the panel's hot-path lookup.
pub fn recipients_path(emails: &[EmailAddress]) -> String {
    let query: Vec<String> = emails
        .iter()
        .map(|e| format!("email={}", encode_component(e.as_str())))
        .collect();
    format!("{API_PREFIX}/recipients?{}", query.join("&"))
}

/// Clones share the token, so a refresh made through one is used by all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Api {
    base: String,
    token: Rc<RefCell<String>>,
    /// On a `token_expired` answer, refresh the session (`session::refresh_session`) and retry
    /// once. For the web app, whose session keeps a refresh token.
    refreshes: bool,
}

fn network(e: impl std::fmt::Display) -> ApiError {
    ApiError::Network(e.to_string())
}

impl Api {
    /// `base` is the API origin ("" for the page's own), `token` the bearer token.
    pub fn new(base: impl Into<String>, token: impl Into<String>) -> Self {
        Api {
            base: base.into(),
            token: Rc::new(RefCell::new(token.into())),
            refreshes: false,
        }
    }

    /// Refreshes the session transparently when the access token has expired.
    pub fn refreshing(mut self) -> Self {
        self.refreshes = true;
        self
    }

    /// The bearer token in use (the latest, after a refresh).
    pub fn token(&self) -> String {
        self.token.borrow().clone()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn auth_with(req: RequestBuilder, token: &str) -> RequestBuilder {
        req.header("Authorization", &format!("Bearer {token}"))
            .header("Accept", "application/json")
    }

    /// Sends the request `make` builds for a token; after a `token_expired` answer, refreshes
    /// (when enabled) and sends it once more with the new token.
    async fn exec(
        &self,
        make: &dyn Fn(&str) -> Result<Request, ApiError>,
    ) -> Result<Response, ApiError> {
        let token = self.token();
        let resp = make(&token)?.send().await.map_err(network)?;
        if resp.status() != 401 || !self.refreshes {
            return Ok(resp);
        }
        let status = resp.status();
        let text = resp.text().await.map_err(network)?;
        let body = error_body(status, &text);
        if body.code == ErrorCode::TokenExpired {
            if let Some(fresh) = crate::session::refresh_session(&self.base, &token).await {
                *self.token.borrow_mut() = fresh.clone();
                return make(&fresh)?.send().await.map_err(network);
            }
        }
        Err(ApiError::Server { status, body })
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        let url = self.url(path);
        let make = |token: &str| {
            Self::auth_with(Request::get(&url), token)
                .build()
                .map_err(network)
        };
        decode(self.exec(&make).await?).await
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        self.send_json("POST", path, body).await
    }

    async fn put<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        self.send_json("PUT", path, body).await
    }

    /// Sends `body` as JSON with the session token and decodes the answer.
    async fn send_json<B: Serialize, T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        let url = self.url(path);
        let make = |token: &str| {
            let req = match method {
                "PUT" => Request::put(&url),
                _ => Request::post(&url),
            };
            Self::auth_with(req, token)
                .json(body)
                .map_err(|e| ApiError::Decode(e.to_string()))
        };
        decode(self.exec(&make).await?).await
    }

    /// Signs in with a password; needs no token.
    pub async fn login(base: &str, request: &LoginRequest) -> Result<TokenResponse, ApiError> {
        let req = Request::post(&format!("{base}{API_PREFIX}/auth/login"))
            .json(request)
            .map_err(|e| ApiError::Decode(e.to_string()))?;
        decode(
            req.send()
                .await
                .map_err(|e| ApiError::Network(e.to_string()))?,
        )
        .await
    }

    pub async fn me(&self) -> Result<MeResponse, ApiError> {
        self.get(&format!("{API_PREFIX}/me")).await
    }

    pub async fn recipients(
        &self,
        emails: &[EmailAddress],
    ) -> Result<RecipientsResponse, ApiError> {
        self.get(&recipients_path(emails)).await
    }

    pub async fn sequences(&self) -> Result<Vec<SequenceView>, ApiError> {
        self.get(&format!("{API_PREFIX}/sequences")).await
    }

    pub async fn sequence(&self, id: i64) -> Result<SequenceView, ApiError> {
        self.get(&format!("{API_PREFIX}/sequences/{id}")).await
    }

    pub async fn enrollments(
        &self,
        sequence_id: i64,
        state: Option<EnrollmentState>,
    ) -> Result<EnrollmentListResponse, ApiError> {
        let filter = state
            .map(|s| format!("?state={}", s.as_str()))
            .unwrap_or_default();
        self.get(&format!(
            "{API_PREFIX}/sequences/{sequence_id}/enrollments{filter}"
        ))
        .await
    }

    pub async fn scheduled(&self, sequence_id: i64) -> Result<ScheduledResponse, ApiError> {
        self.get(&format!("{API_PREFIX}/sequences/{sequence_id}/scheduled"))
            .await
    }

    pub async fn performance(&self, sequence_id: i64) -> Result<PerformanceView, ApiError> {
        self.get(&format!("{API_PREFIX}/sequences/{sequence_id}/performance"))
            .await
    }

    pub async fn contacts(&self) -> Result<Vec<ContactView>, ApiError> {
        self.get(&format!("{API_PREFIX}/contacts")).await
    }

    pub async fn contact_record(&self, contact_id: i64) -> Result<ContactRecordView, ApiError> {
        self.get(&format!("{API_PREFIX}/contacts/{contact_id}/record"))
            .await
    }

    pub async fn mailboxes(&self) -> Result<MailboxListResponse, ApiError> {
        self.get(&format!("{API_PREFIX}/mailboxes")).await
    }

    /// Connects a mailbox; the answer carries the webhook secret (shown this once).
    pub async fn create_mailbox(&self, req: &MailboxRequest) -> Result<MailboxView, ApiError> {
        self.post(&format!("{API_PREFIX}/mailboxes"), req).await
    }

    /// Changes a mailbox's address and IMAP settings (the webhook secret stays). Without a new
    /// password or token the server keeps the stored ones, but only for the same server and user.
    pub async fn update_mailbox(
        &self,
        id: i64,
        req: &MailboxRequest,
    ) -> Result<MailboxView, ApiError> {
        self.put(&format!("{API_PREFIX}/mailboxes/{id}"), req).await
    }

    /// Disconnects a mailbox (204, no body).
    pub async fn delete_mailbox(&self, id: i64) -> Result<(), ApiError> {
        let url = self.url(&format!("{API_PREFIX}/mailboxes/{id}"));
        let make = |token: &str| {
            Self::auth_with(Request::delete(&url), token)
                .build()
                .map_err(network)
        };
        let resp = self.exec(&make).await?;
        if resp.ok() {
            return Ok(());
        }
        decode::<serde_json::Value>(resp).await.map(drop)
    }

    /// Resumes a paused enrollment (one held for review, say).
    pub async fn resume(&self, enrollment_id: i64) -> Result<EnrollmentView, ApiError> {
        self.post(
            &format!("{API_PREFIX}/enrollments/{enrollment_id}/resume"),
            &serde_json::json!({}),
        )
        .await
    }

    pub async fn unenroll(
        &self,
        enrollment_id: i64,
        surface: UnenrollSurface,
    ) -> Result<EnrollmentView, ApiError> {
        let body = UnenrollRequest {
            surface: Some(surface),
        };
        self.post(
            &format!("{API_PREFIX}/enrollments/{enrollment_id}/unenroll"),
            &body,
        )
        .await
    }

    pub async fn bulk_unenroll(
        &self,
        enrollment_ids: Vec<i64>,
        surface: UnenrollSurface,
    ) -> Result<BulkUnenrollResponse, ApiError> {
        let body = BulkUnenrollRequest {
            enrollment_ids,
            surface: Some(surface),
        };
        self.post(&format!("{API_PREFIX}/enrollments/unenroll"), &body)
            .await
    }

    pub async fn unenroll_by_email(
        &self,
        email: &EmailAddress,
        surface: UnenrollSurface,
    ) -> Result<UnenrollByEmailResponse, ApiError> {
        let body = UnenrollByEmailRequest {
            email: email.to_string(),
            surface: Some(surface),
        };
        self.post(
            &format!("{API_PREFIX}/enrollments/unenroll-by-email"),
            &body,
        )
        .await
    }
}

async fn decode<T: DeserializeOwned>(resp: Response) -> Result<T, ApiError> {
    let status = resp.status();
    let text = resp
        .text()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    if resp.ok() {
        return serde_json::from_str(&text).map_err(|e| ApiError::Decode(e.to_string()));
    }
    Err(ApiError::Server {
        status,
        body: error_body(status, &text),
    })
}

/// The server's error body, or one made from the status.
fn error_body(status: u16, text: &str) -> ErrorBody {
    serde_json::from_str::<ErrorBody>(text).unwrap_or(ErrorBody {
        code: match status {
            401 => ErrorCode::Unauthorized,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            _ => ErrorCode::Internal,
        },
        message: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipient_lookups_encode_each_address() {
        let emails: Vec<EmailAddress> = ["jane+promo@acme.com", "bob@x.io"]
            .iter()
            .filter_map(|e| EmailAddress::parse(e))
            .collect();
        assert_eq!(
            recipients_path(&emails),
            "/api/v1/recipients?email=jane%2Bpromo%40acme.com&email=bob%40x.io"
        );
    }

    #[test]
    fn expired_sessions_are_recognised_by_code_or_status() {
        let err = |status, code| ApiError::Server {
            status,
            body: ErrorBody {
                code,
                message: String::new(),
            },
        };
        assert!(err(401, ErrorCode::Unknown).is_unauthorized());
        assert!(err(400, ErrorCode::TokenExpired).is_unauthorized());
        assert!(!err(403, ErrorCode::RequiresSeat).is_unauthorized());
        assert_eq!(
            err(403, ErrorCode::RequiresSeat).message(),
            "You need a Sales or Service seat to change enrollments."
        );
    }
}
