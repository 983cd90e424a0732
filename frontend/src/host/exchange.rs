//! Turns a mail client's identity token (Microsoft through nested app authentication, Google for
//! the Chrome user) into a Sequencer session token: `POST /api/v1/auth/exchange`. Shared by the
//! Outlook and Gmail hosts; the session token is kept like a signed-in page's (`session`).

use gloo_net::http::Request;
use shared::{ExchangeRequest, IdentityProvider, TokenResponse};

use super::HostError;

pub async fn exchange(
    api_base: &str,
    provider: IdentityProvider,
    token: String,
) -> Result<String, HostError> {
    let request = ExchangeRequest { provider, token };
    let response = Request::post(&format!("{api_base}/api/v1/auth/exchange"))
        .json(&request)
        .map_err(|e| HostError::Unavailable(e.to_string()))?
        .send()
        .await
        .map_err(|e| HostError::Unavailable(e.to_string()))?;
    match response.status() {
        200 => {
            let body: TokenResponse = response
                .json()
                .await
                .map_err(|e| HostError::Unavailable(e.to_string()))?;
            crate::session::store_token(&body.token);
            Ok(body.token)
        }
        400 | 401 | 403 => Err(HostError::NotSignedIn),
        status => Err(HostError::Unavailable(format!(
            "sign-in failed (HTTP {status})"
        ))),
    }
}
