//! Which Microsoft tenants and Google Workspace domains an account trusts for sign-in from the
//! mail clients (issue 19, finding 5). A tenant or domain is trusted by at most one account (a
//! unique index in the store) and only once an admin of this account proved it:
//!
//! * Microsoft: an access token for Sequencer's API (verified like a sign-in token) whose `wids`
//!   claim holds the Global Administrator role template id, or whose `roles` claim holds the
//!   `Sequencer.TenantAdmin` app role (assignable only by the tenant's administrators). Its `tid`
//!   becomes trusted. Entra emits `wids` when the app registration's `groupMembershipClaims` is
//!   `DirectoryRole` or `All`.
//! * Google: the admin's own Google ID token (its verified email is the caller's address and lies
//!   in the token's `hd`). Its `hd` becomes trusted. Google ID tokens do not say who administers a
//!   Workspace, so this proves membership of the domain, not administration of it.
//!
//! Removing an entry (DELETE, or a settings `PUT` without it) needs no proof and frees it for
//! another account; adding one through the settings is `proof_required`.

use base64::Engine;
use shared::{
    AccountSettingsView, IdentityProvider, TrustClaimRequest, TrustedIdentityListResponse,
    TrustedIdentityView,
};

use super::*;
use crate::clock::rfc3339;
use crate::identity::IdentityError;
use crate::store::{Claim, NewTrust, TrustedIdentity, GOOGLE, MICROSOFT};

/// The Entra built-in role template id of Global Administrator (the same in every tenant).
pub const GLOBAL_ADMINISTRATOR_ROLE: &str = "62e90394-69f5-4237-9190-012177145e10";
/// An app role of Sequencer's app registration that the tenant's administrators may assign to
/// whoever may prove the tenant for them.
pub const TENANT_ADMIN_APP_ROLE: &str = "Sequencer.TenantAdmin";

/// How a claim was proven, as stored.
const MICROSOFT_PROOF: &str = "microsoft_admin_token";
const GOOGLE_PROOF: &str = "google_hd_token";

fn clean_list(items: &[String]) -> Vec<String> {
    let mut out: Vec<String> = items
        .iter()
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn provider_of(name: &str) -> IdentityProvider {
    match name {
        MICROSOFT => IdentityProvider::Microsoft,
        GOOGLE => IdentityProvider::Google,
        _ => IdentityProvider::Unknown,
    }
}

fn view(t: TrustedIdentity) -> TrustedIdentityView {
    TrustedIdentityView {
        provider: provider_of(&t.provider),
        proven_by: t.proven_by.map(|u| u.0),
        proven_at: t.proven_by.map(|_| rfc3339(t.created_at)),
        id: t.external_id,
        proof: t.proof,
    }
}

/// The payload of a token whose signature and claims `verify` already accepted.
fn verified_payload(token: &str) -> Result<serde_json::Value> {
    let payload = token.split('.').nth(1).unwrap_or("");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| IdentityError::Malformed("the payload is not base64url".into()))?;
    Ok(serde_json::from_slice(&bytes)
        .map_err(|_| IdentityError::Malformed("the payload is not JSON".into()))?)
}

/// Whether a verified Microsoft token's claims show administration of its tenant.
fn shows_tenant_admin(claims: &serde_json::Value) -> bool {
    let has = |claim: &str, value: &str| {
        claims[claim]
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v.as_str() == Some(value)))
    };
    has("wids", GLOBAL_ADMINISTRATOR_ROLE) || has("roles", TENANT_ADMIN_APP_ROLE)
}

impl App {
    /// The tenant a Microsoft Global Administrator's token proves.
    async fn prove_microsoft_tenant(&self, token: &str) -> Result<String> {
        let id = self.microsoft_identity(token).await?;
        if !shows_tenant_admin(&verified_payload(token)?) {
            return Err(ServiceError::ProofInsufficient(format!(
                "the token does not show administration of tenant {}: it needs the Global \
                 Administrator role (wids {GLOBAL_ADMINISTRATOR_ROLE}) or the \
                 {TENANT_ADMIN_APP_ROLE} app role",
                id.tid.to_lowercase()
            )));
        }
        Ok(id.tid.to_lowercase())
    }

    /// The Workspace domain the caller's own Google ID token proves.
    async fn prove_google_domain(&self, caller: &Caller, token: &str) -> Result<String> {
        let id = self.google_identity(token).await?;
        let insufficient = |why: &str| Err(ServiceError::ProofInsufficient(why.to_string()));
        let Some(hd) = id.hd.as_deref().map(str::to_lowercase) else {
            return insufficient("the Google account belongs to no Workspace domain (no hd)");
        };
        let Ok(email) = EmailAddress::parse(&id.email) else {
            return insufficient("the token's email address is invalid");
        };
        if email.domain() != hd {
            return insufficient("the token's email address is not in its Workspace domain");
        }
        if email != caller.user.email {
            return insufficient("the token is not of your own Google account");
        }
        Ok(hd)
    }

    /// Proves and records a tenant or domain for the caller's account; `true` when it is new.
    pub async fn claim_trust(
        &self,
        caller: &Caller,
        req: &TrustClaimRequest,
    ) -> Result<(bool, TrustedIdentityView)> {
        caller.require_admin()?;
        let (provider, external_id, proof) = match req.provider {
            IdentityProvider::Microsoft => (
                MICROSOFT,
                self.prove_microsoft_tenant(&req.token).await?,
                MICROSOFT_PROOF,
            ),
            IdentityProvider::Google => (
                GOOGLE,
                self.prove_google_domain(caller, &req.token).await?,
                GOOGLE_PROOF,
            ),
            IdentityProvider::Unknown => {
                return Err(ServiceError::Validation(
                    "provider is microsoft or google".into(),
                ))
            }
        };
        let claim = NewTrust {
            account: caller.account.id,
            provider,
            external_id: &external_id,
            proof,
            proven_by: Some(caller.user.id),
            now: self.now(),
        };
        let new = match self.store.claim_trust(&claim).await? {
            Claim::New => true,
            Claim::AlreadyOurs => false,
            Claim::OwnedByAnother => {
                let what = if provider == MICROSOFT {
                    "tenant"
                } else {
                    "domain"
                };
                return Err(ServiceError::TenantClaimed(format!(
                    "the {what} {external_id} is already trusted by another account: it can be \
                     trusted by one account only, once that account removes it"
                )));
            }
        };
        let stored = self
            .store
            .trusted_identities(caller.account.id)
            .await?
            .into_iter()
            .find(|t| t.provider == provider && t.external_id == external_id)
            .ok_or(ServiceError::NotFound("trusted identity"))?;
        Ok((new, view(stored)))
    }

    pub async fn trusted_identities(&self, caller: &Caller) -> Result<TrustedIdentityListResponse> {
        caller.require_admin()?;
        let list = self.store.trusted_identities(caller.account.id).await?;
        Ok(TrustedIdentityListResponse {
            trusted_identities: list.into_iter().map(view).collect(),
        })
    }

    /// Stops trusting a tenant or domain (no proof needed): another account may then prove it.
    pub async fn release_trust(&self, caller: &Caller, provider: &str, id: &str) -> Result<()> {
        caller.require_admin()?;
        let provider = match provider {
            MICROSOFT => MICROSOFT,
            GOOGLE => GOOGLE,
            _ => return Err(ServiceError::NotFound("trusted identity")),
        };
        let id = id.trim().to_lowercase();
        if self
            .store
            .release_trust(caller.account.id, provider, &id)
            .await?
        {
            Ok(())
        } else {
            Err(ServiceError::NotFound("trusted identity"))
        }
    }

    pub async fn account_settings(&self, caller: &Caller) -> Result<AccountSettingsView> {
        caller.require_admin()?;
        let s = self.store.trust_settings(caller.account.id).await?;
        Ok(AccountSettingsView {
            trusted_tenant_ids: s.trusted_tenant_ids,
            google_hosted_domains: s.google_hosted_domains,
        })
    }

    /// Keeps or removes trusted tenants and domains; adding one is refused (`proof_required`)
    /// and then nothing changes.
    pub async fn set_account_settings(
        &self,
        caller: &Caller,
        req: &AccountSettingsView,
    ) -> Result<AccountSettingsView> {
        caller.require_admin()?;
        let current = self.store.trust_settings(caller.account.id).await?;
        let lists = [
            (
                MICROSOFT,
                clean_list(&req.trusted_tenant_ids),
                current.trusted_tenant_ids,
            ),
            (
                GOOGLE,
                clean_list(&req.google_hosted_domains),
                current.google_hosted_domains,
            ),
        ];
        let added: Vec<&str> = lists
            .iter()
            .flat_map(|(_, wanted, have)| wanted.iter().filter(|w| !have.contains(w)))
            .map(String::as_str)
            .collect();
        if !added.is_empty() {
            return Err(ServiceError::ProofRequired(format!(
                "{} cannot be trusted through the settings: an admin of the tenant or domain \
                 proves it with POST /api/v1/account/trusted-identities/claim",
                added.join(", ")
            )));
        }
        for (provider, wanted, have) in &lists {
            for gone in have.iter().filter(|h| !wanted.contains(h)) {
                self.store
                    .release_trust(caller.account.id, provider, gone)
                    .await?;
            }
        }
        self.account_settings(caller).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_global_administrator_role_or_the_app_role_shows_tenant_admin() {
        let cases = [
            (json!({}), false),
            (json!({ "wids": [] }), false),
            // User Administrator and the default member role are not enough.
            (
                json!({ "wids": ["fe930be7-5e62-47db-91af-98c3a49a38b1", "b79fbf4d-3ef9-4689-8143-76b194e85509"] }),
                false,
            ),
            (json!({ "wids": GLOBAL_ADMINISTRATOR_ROLE }), false),
            (json!({ "wids": [GLOBAL_ADMINISTRATOR_ROLE] }), true),
            (json!({ "roles": ["Sequencer.User"] }), false),
            (json!({ "roles": [TENANT_ADMIN_APP_ROLE] }), true),
            (json!({ "scp": TENANT_ADMIN_APP_ROLE }), false),
        ];
        for (claims, expected) in cases {
            assert_eq!(shows_tenant_admin(&claims), expected, "{claims}");
        }
    }
}
