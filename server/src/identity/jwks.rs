//! A provider's JSON Web Key Set, fetched with reqwest and cached by `kid`. An unknown `kid`
//! refetches the set at most once per cooldown (measured with the app clock), so a flood of
//! tokens with random kids cannot turn into a flood of requests to the provider.

use std::collections::HashMap;

use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::DecodingKey;
use tokio::sync::Mutex;

use super::IdentityError;
use crate::domain::Millis;

/// After a failed fetch, the next attempt waits this long.
const FAILURE_BACKOFF_MS: Millis = 10_000;

#[derive(Default)]
struct State {
    keys: HashMap<String, DecodingKey>,
    fetched_at: Option<Millis>,
}

pub struct JwksCache {
    url: String,
    cooldown_ms: Millis,
    http: reqwest::Client,
    state: Mutex<State>,
}

impl std::fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksCache")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl JwksCache {
    pub fn new(url: String, cooldown_ms: Millis) -> JwksCache {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        JwksCache {
            url,
            cooldown_ms,
            http,
            state: Mutex::new(State::default()),
        }
    }

    /// The RSA key with this `kid`, fetching the set when it is unknown and the cooldown allows.
    pub async fn key(&self, kid: &str, now: Millis) -> Result<DecodingKey, IdentityError> {
        let mut state = self.state.lock().await;
        if let Some(k) = state.keys.get(kid) {
            return Ok(k.clone());
        }
        if state.fetched_at.is_some_and(|t| now - t < self.cooldown_ms) {
            return Err(IdentityError::UnknownKey);
        }
        match self.fetch().await {
            Ok(keys) => {
                state.fetched_at = Some(now);
                state.keys = keys;
            }
            Err(e) => {
                // Keep the keys we had; try again after a short backoff, not a full cooldown, so a
                // provider hiccup at start-up does not lock sign-in out for minutes.
                state.fetched_at =
                    Some(now - self.cooldown_ms + FAILURE_BACKOFF_MS.min(self.cooldown_ms));
                return Err(e);
            }
        }
        state
            .keys
            .get(kid)
            .cloned()
            .ok_or(IdentityError::UnknownKey)
    }

    async fn fetch(&self) -> Result<HashMap<String, DecodingKey>, IdentityError> {
        let unavailable = |e: reqwest::Error| IdentityError::KeysUnavailable(e.to_string());
        let set: JwkSet = self
            .http
            .get(&self.url)
            .send()
            .await
            .map_err(unavailable)?
            .error_for_status()
            .map_err(unavailable)?
            .json()
            .await
            .map_err(unavailable)?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let (Some(kid), AlgorithmParameters::RSA(rsa)) = (&jwk.common.key_id, &jwk.algorithm)
            else {
                continue;
            };
            if let Ok(key) = DecodingKey::from_rsa_components(&rsa.n, &rsa.e) {
                keys.insert(kid.clone(), key);
            }
        }
        tracing::info!(url = %self.url, keys = keys.len(), "fetched signing keys");
        Ok(keys)
    }
}
