//! Account API keys for automation tools (shown once, stored as SHA-256: they are 256-bit random,
//! so a slow hash adds nothing) and the workflow actions they authorize.

use sha2::{Digest, Sha256};
use shared::{
    ApiKeyCreatedResponse, ApiKeyListResponse, ApiKeyView, WorkflowUnenrollRequest,
    WorkflowUnenrollResponse,
};

use super::views::enrollment_view;
use super::*;
use crate::clock::rfc3339;
use crate::domain::{Actor, Evidence};
use crate::store::ApiKeyRow;

const KEY_PREFIX: &str = "sqk_";

fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn key_view(k: &ApiKeyRow) -> ApiKeyView {
    ApiKeyView {
        id: k.id,
        name: k.name.clone(),
        prefix: k.prefix.clone(),
        created_at: rfc3339(k.created_at),
        revoked_at: k.revoked_at.map(rfc3339),
        last_used_at: k.last_used_at.map(rfc3339),
    }
}

/// The account an API key acts for.
#[derive(Debug, Clone)]
pub struct KeyCaller {
    pub account: Account,
    pub key: ApiKeyRow,
}

impl App {
    pub async fn create_api_key(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<ApiKeyCreatedResponse> {
        caller.allow(super::permissions::Action::ManageApiKeys, None)?;
        let name = HeaderText::parse("name", name, 100)?;
        let name = name.as_str();
        if name.is_empty() {
            return Err(ServiceError::Validation(
                "name the key (1 to 100 characters)".into(),
            ));
        }
        let key = format!("{KEY_PREFIX}{}", hex::encode(rand::random::<[u8; 32]>()));
        let prefix: String = key.chars().take(KEY_PREFIX.len() + 6).collect();
        let row = self
            .store
            .insert_api_key(
                caller.account.id,
                name,
                &prefix,
                &hash_key(&key),
                caller.user.id,
                self.now(),
            )
            .await?;
        Ok(ApiKeyCreatedResponse {
            key,
            api_key: key_view(&row),
        })
    }

    pub async fn api_keys(&self, caller: &Caller) -> Result<ApiKeyListResponse> {
        caller.allow(super::permissions::Action::ManageApiKeys, None)?;
        Ok(ApiKeyListResponse {
            api_keys: self
                .store
                .api_keys(caller.account.id)
                .await?
                .iter()
                .map(key_view)
                .collect(),
        })
    }

    pub async fn revoke_api_key(&self, caller: &Caller, id: i64) -> Result<()> {
        caller.allow(super::permissions::Action::ManageApiKeys, None)?;
        if !self
            .store
            .revoke_api_key(caller.account.id, id, self.now())
            .await?
        {
            return Err(ServiceError::NotFound("api key"));
        }
        Ok(())
    }

    /// A live key -> its account. One generic error for every failure.
    pub async fn authenticate_api_key(&self, key: &str) -> Result<KeyCaller> {
        let denied = || ServiceError::Unauthorized("unknown or revoked API key".into());
        if !key.starts_with(KEY_PREFIX) {
            return Err(denied());
        }
        let row = self
            .store
            .use_api_key(&hash_key(key), self.now())
            .await?
            .ok_or_else(denied)?;
        let account = self
            .store
            .account(row.account_id)
            .await?
            .ok_or_else(denied)?;
        Ok(KeyCaller { account, key: row })
    }

    /// Unenrolls a contact (by id or email; optionally only from one sequence) with `workflow`.
    /// Enterprise only.
    pub async fn workflow_unenroll(
        &self,
        caller: &KeyCaller,
        req: &WorkflowUnenrollRequest,
    ) -> Result<WorkflowUnenrollResponse> {
        if caller.account.tier != Tier::Enterprise {
            return Err(ServiceError::RequiresEnterprise);
        }
        let account = caller.account.id;
        let contact = match (req.contact_id, req.contact_email.as_deref()) {
            (Some(id), _) => self
                .store
                .contact(account, ContactId(id))
                .await?
                .filter(|c| !c.deleted),
            (None, Some(email)) => self
                .store
                .contact_by_email(account, &EmailAddress::parse(email)?)
                .await?
                .map(|m| m.contact),
            (None, None) => {
                return Err(ServiceError::Validation(
                    "give contact_id or contact_email".into(),
                ))
            }
        }
        .ok_or(ServiceError::NotFound("contact"))?;
        let sequence = req.sequence_id.map(SequenceId);
        if let Some(id) = sequence {
            self.store
                .sequence(account, id)
                .await?
                .ok_or(ServiceError::NotFound("sequence"))?;
        }
        let live = self
            .store
            .live_enrollment_ids(account, sequence, Some(contact.id), None)
            .await?;
        let workflow = req
            .workflow
            .as_deref()
            .map(|w| HeaderText::parse("workflow", w, text::NAME_MAX))
            .transpose()?
            .filter(|w| !w.is_empty())
            .map_or_else(|| caller.key.name.clone(), HeaderText::into_string);
        let evidence = Evidence {
            workflow: Some(workflow.clone()),
            note: Some(format!(
                "API key {} ({})",
                caller.key.name, caller.key.prefix
            )),
            ..Default::default()
        };
        let ended = self
            .end(
                account,
                &live,
                UnenrollReason::Workflow,
                Actor::workflow(&workflow),
                evidence,
                false,
            )
            .await?;
        let mut unenrolled = Vec::new();
        for e in ended {
            if let Some(row) = self.store.enrollment(account, e.id).await? {
                unenrolled.push(enrollment_view(&row));
            }
        }
        Ok(WorkflowUnenrollResponse { unenrolled })
    }
}
