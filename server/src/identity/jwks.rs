//! A provider's JSON Web Key Set, fetched with reqwest and cached by `kid`. An unknown `kid`
//! refetches the set at most once per cooldown (measured with the app clock), so a flood of
//! tokens with random kids cannot turn into a flood of requests to the provider.
//!
//! Every fetch follows the outbound policy (`crate::net`): the URL is checked first (production:
//! `https` and a public address), the client resolves names through [`CheckedResolver`] (every
//! address checked, the connection made to a checked one) and follows no redirects.

use std::collections::HashMap;
use std::sync::Arc;

use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::DecodingKey;
use tokio::sync::Mutex;

use super::IdentityError;
use crate::domain::Millis;
use crate::net::NetworkPolicy;

/// reqwest's resolver, through the outbound policy: a name whose addresses are not all allowed
/// fails to resolve, so no connection is made to it.
struct CheckedResolver(NetworkPolicy);

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs = crate::net::resolve(policy, &host, 0).await?;
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

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
    network: NetworkPolicy,
    http: Option<reqwest::Client>,
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
    pub fn new(url: String, cooldown_ms: Millis, network: NetworkPolicy) -> JwksCache {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .connect_timeout(crate::net::CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(CheckedResolver(network)))
            .build()
            // Without the policy's resolver there is no client: every fetch then fails closed.
            .map_err(|e| tracing::error!(error = %e, "cannot build the JWKS client"))
            .ok();
        JwksCache {
            url,
            cooldown_ms,
            network,
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
        // IP literals never reach the resolver: the URL itself is checked first.
        crate::net::check_url(self.network, &self.url)
            .await
            .map_err(|e| IdentityError::KeysUnavailable(e.to_string()))?;
        let http = self
            .http
            .as_ref()
            .ok_or_else(|| IdentityError::KeysUnavailable("no HTTP client".into()))?;
        let set: JwkSet = http
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
