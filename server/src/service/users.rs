//! Admin user management (list, create, change seat/role/status); account trust settings are in
//! `trust.rs`.
//! Losing a seat ends the live enrollments in sequences the user created (`creator_downgraded`);
//! deactivation or deletion ends them with `creator_deleted`.

use shared::{
    CreateUserRequest, UpdateUserRequest, UserListResponse, UserUpdateResponse, UserView,
};

use super::login::hash_password;
use super::views::user_view;
use super::*;
use crate::domain::{Actor, Evidence};

/// Longer passwords are refused before hashing (Argon2 over megabytes is a cheap way to burn CPU).
const PASSWORD_MAX: usize = 1024;

impl App {
    pub async fn list_users(&self, caller: &Caller) -> Result<UserListResponse> {
        caller.allow(super::permissions::Action::ManageUsers, None)?;
        Ok(UserListResponse {
            users: self
                .store
                .users(caller.account.id)
                .await?
                .iter()
                .map(user_view)
                .collect(),
        })
    }

    pub async fn create_user(&self, caller: &Caller, req: &CreateUserRequest) -> Result<UserView> {
        caller.allow(super::permissions::Action::ManageUsers, None)?;
        Ok(user_view(
            &self.create_user_in(caller.account.id, req).await?,
        ))
    }

    /// Creates a user in `account` (admin API, `sequencer create-user`): the one place a user's
    /// address and display name are parsed, since both become the `From` of sequence emails.
    pub async fn create_user_in(
        &self,
        account: AccountId,
        req: &CreateUserRequest,
    ) -> Result<User> {
        let email = EmailAddress::parse(&req.email)?;
        let name = HeaderText::parse("name", &req.name, text::NAME_MAX)?;
        if name.is_empty()
            || matches!(req.role, Role::Unknown)
            || matches!(req.seat, Some(Seat::Unknown))
        {
            return Err(ServiceError::Validation(
                "give a name, a role (admin or user) and a known seat or none".into(),
            ));
        }
        if req.password.as_deref().is_some_and(|p| p.len() < 12) {
            return Err(ServiceError::Validation(
                "passwords have at least 12 characters".into(),
            ));
        }
        if req
            .password
            .as_deref()
            .is_some_and(|p| p.len() > PASSWORD_MAX)
        {
            return Err(TextError::TooLong {
                field: "password".into(),
                max: PASSWORD_MAX,
            }
            .into());
        }
        let hash = req.password.as_deref().map(hash_password);
        Ok(self
            .store
            .create_user(
                account,
                &email,
                name.as_str(),
                req.role,
                req.seat,
                hash.as_deref(),
                self.now(),
            )
            .await?)
    }

    pub async fn update_user(
        &self,
        caller: &Caller,
        id: UserId,
        req: &UpdateUserRequest,
    ) -> Result<UserUpdateResponse> {
        caller.allow(super::permissions::Action::ManageUsers, None)?;
        let before = self
            .store
            .user(caller.account.id, id)
            .await?
            .ok_or(ServiceError::NotFound("user"))?;
        if id == caller.user.id
            && (req.status.is_some_and(|s| s != UserStatus::Active)
                || req.role.is_some_and(|r| r != Role::Admin))
        {
            return Err(ServiceError::Validation(
                "an admin cannot demote, deactivate or delete themselves".into(),
            ));
        }
        let name = req
            .name
            .as_deref()
            .map(|n| HeaderText::parse("name", n, text::NAME_MAX))
            .transpose()?;
        let mut user = before.clone();
        if let Some(name) = name.filter(|n| !n.is_empty()) {
            user.name = name.into_string();
        }
        if let Some(role) = req.role.filter(|r| *r != Role::Unknown) {
            user.role = role;
        }
        if let Some(seat) = req.seat {
            user.seat = seat.filter(|s| *s != Seat::Unknown);
        }
        if let Some(status) = req.status.filter(|s| *s != UserStatus::Unknown) {
            user.status = status;
        }
        if before.status == UserStatus::Deleted && user.status != UserStatus::Deleted {
            return Err(ServiceError::Validation(
                "a deleted user cannot be restored".into(),
            ));
        }
        self.store.update_user_seat_status(&user).await?;
        if user.status != UserStatus::Active {
            // Signed out everywhere (issue 19): a reactivated user signs in again.
            self.end_sessions_of_inactive(&user).await?;
        }
        let reason = if before.status == UserStatus::Active && user.status != UserStatus::Active {
            Some((
                UnenrollReason::CreatorDeleted,
                format!("{} was {}", user.email, user.status),
            ))
        } else if before.seat.is_some() && user.seat.is_none() {
            Some((
                UnenrollReason::CreatorDowngraded,
                format!("{} lost their seat", user.email),
            ))
        } else {
            None
        };
        let mut unenrolled = 0;
        if let Some((reason, note)) = reason {
            let live = self
                .store
                .live_enrollment_ids(caller.account.id, None, None, Some(id))
                .await?;
            let evidence = Evidence {
                note: Some(note),
                ..Default::default()
            };
            unenrolled = self
                .end(
                    caller.account.id,
                    &live,
                    reason,
                    Actor::user(caller.user.id),
                    evidence,
                    false,
                )
                .await?
                .len() as u64;
        }
        Ok(UserUpdateResponse {
            user: user_view(&user),
            unenrolled,
        })
    }

    /// Deleting is a status: the user's history stays attributable.
    pub async fn delete_user(&self, caller: &Caller, id: UserId) -> Result<UserUpdateResponse> {
        self.update_user(
            caller,
            id,
            &UpdateUserRequest {
                status: Some(UserStatus::Deleted),
                ..Default::default()
            },
        )
        .await
    }
}
