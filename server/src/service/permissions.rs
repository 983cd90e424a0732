//! Who may do what: the permission matrix of `docs/permissions.md`, in one place. Every use case
//! that acts for a signed-in user asks [`Caller::allow`] (or [`allowed`]) before it reads or
//! writes anything; nothing else decides a role, seat or ownership question.
//!
//! The rules, in the product spec's terms:
//! * everyone signed in (active, any role, with or without a seat) may **read** the account's
//!   records and set their **own availability**;
//! * a **seat** (`sales_*`, `service_*`) is needed to change records: create, edit or delete
//!   contacts and companies, create sequences, enroll, unenroll, resume and log meetings ("a user
//!   without a seat can read, not enroll or unenroll"); an admin without a seat is no exception;
//! * a sequence is edited or deleted by its **creator** (while seated) or by an **admin** (seat
//!   or not: cleaning up after a rep who left is an admin's job); another seated user may use it
//!   (enroll) but not change it;
//! * **admins** manage mailboxes, users, account settings and API keys; seats play no part.

use super::*;

/// Everything a signed-in user can ask for, as the matrix names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Read,
    SetOwnAvailability,
    CreateContact,
    EditContact,
    DeleteContact,
    CreateCompany,
    EditCompany,
    CreateSequence,
    EditSequence,
    DeleteSequence,
    Enroll,
    Unenroll,
    Resume,
    LogMeeting,
    ManageMailboxes,
    ManageUsers,
    ManageSettings,
    ManageApiKeys,
}

/// Every action, for the matrix test and the docs.
pub const ACTIONS: &[Action] = &[
    Action::Read,
    Action::SetOwnAvailability,
    Action::CreateContact,
    Action::EditContact,
    Action::DeleteContact,
    Action::CreateCompany,
    Action::EditCompany,
    Action::CreateSequence,
    Action::EditSequence,
    Action::DeleteSequence,
    Action::Enroll,
    Action::Unenroll,
    Action::Resume,
    Action::LogMeeting,
    Action::ManageMailboxes,
    Action::ManageUsers,
    Action::ManageSettings,
    Action::ManageApiKeys,
];

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::SetOwnAvailability => "set_own_availability",
            Action::CreateContact => "create_contact",
            Action::EditContact => "edit_contact",
            Action::DeleteContact => "delete_contact",
            Action::CreateCompany => "create_company",
            Action::EditCompany => "edit_company",
            Action::CreateSequence => "create_sequence",
            Action::EditSequence => "edit_sequence",
            Action::DeleteSequence => "delete_sequence",
            Action::Enroll => "enroll",
            Action::Unenroll => "unenroll",
            Action::Resume => "resume",
            Action::LogMeeting => "log_meeting",
            Action::ManageMailboxes => "manage_mailboxes",
            Action::ManageUsers => "manage_users",
            Action::ManageSettings => "manage_settings",
            Action::ManageApiKeys => "manage_api_keys",
        }
    }
}

/// Whether `user` may do `action` on a resource owned (created) by `owner` (`None`: the action
/// has no owner, e.g. creating). `RequiresSeat`, `RequiresAdmin` or `Forbidden` (not the owner).
pub fn allowed(user: &User, action: Action, owner: Option<UserId>) -> Result<()> {
    let admin = user.role == Role::Admin;
    let seated = user.can_use_sequences();
    match action {
        Action::Read | Action::SetOwnAvailability => Ok(()),
        Action::ManageMailboxes
        | Action::ManageUsers
        | Action::ManageSettings
        | Action::ManageApiKeys => {
            if admin {
                Ok(())
            } else {
                Err(ServiceError::RequiresAdmin)
            }
        }
        Action::CreateContact
        | Action::EditContact
        | Action::DeleteContact
        | Action::CreateCompany
        | Action::EditCompany
        | Action::CreateSequence
        | Action::Enroll
        | Action::Unenroll
        | Action::Resume
        | Action::LogMeeting => {
            if seated {
                Ok(())
            } else {
                Err(ServiceError::RequiresSeat)
            }
        }
        Action::EditSequence | Action::DeleteSequence => {
            if admin {
                Ok(())
            } else if !seated {
                Err(ServiceError::RequiresSeat)
            } else if owner == Some(user.id) {
                Ok(())
            } else {
                Err(ServiceError::Forbidden(
                    "only the sequence's creator or an admin can change or delete it".into(),
                ))
            }
        }
    }
}

impl Caller {
    /// [`allowed`] for this caller.
    pub fn allow(&self, action: Action, owner: Option<UserId>) -> Result<()> {
        allowed(&self.user, action, owner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, seat: Option<Seat>) -> User {
        User {
            id: UserId(1),
            account_id: AccountId(1),
            email: EmailAddress::from_trusted("u@x.example".into()),
            name: "U".into(),
            role,
            seat,
            status: UserStatus::Active,
        }
    }

    #[test]
    fn the_matrix_reads_like_the_docs() {
        let mut out = String::new();
        for action in ACTIONS {
            out.push_str(&format!("{:<22}", action.as_str()));
            for (role, seat) in [
                (Role::User, None),
                (Role::User, Some(Seat::SalesPro)),
                (Role::Admin, None),
                (Role::Admin, Some(Seat::ServicePro)),
            ] {
                let u = user(role, seat);
                for owner in [Some(UserId(1)), Some(UserId(2))] {
                    let cell = match allowed(&u, *action, owner) {
                        Ok(()) => "yes",
                        Err(ServiceError::RequiresSeat) => "seat",
                        Err(ServiceError::RequiresAdmin) => "admin",
                        Err(_) => "owner",
                    };
                    out.push_str(&format!(" {cell:<5}"));
                }
            }
            out.push('\n');
        }
        // Columns: (user, no seat), (user, seat), (admin, no seat), (admin, seat); own then other.
        let expected = "\
read                   yes   yes   yes   yes   yes   yes   yes   yes  
set_own_availability   yes   yes   yes   yes   yes   yes   yes   yes  
create_contact         seat  seat  yes   yes   seat  seat  yes   yes  
edit_contact           seat  seat  yes   yes   seat  seat  yes   yes  
delete_contact         seat  seat  yes   yes   seat  seat  yes   yes  
create_company         seat  seat  yes   yes   seat  seat  yes   yes  
edit_company           seat  seat  yes   yes   seat  seat  yes   yes  
create_sequence        seat  seat  yes   yes   seat  seat  yes   yes  
edit_sequence          seat  seat  yes   owner yes   yes   yes   yes  
delete_sequence        seat  seat  yes   owner yes   yes   yes   yes  
enroll                 seat  seat  yes   yes   seat  seat  yes   yes  
unenroll               seat  seat  yes   yes   seat  seat  yes   yes  
resume                 seat  seat  yes   yes   seat  seat  yes   yes  
log_meeting            seat  seat  yes   yes   seat  seat  yes   yes  
manage_mailboxes       admin admin admin admin yes   yes   yes   yes  
manage_users           admin admin admin admin yes   yes   yes   yes  
manage_settings        admin admin admin admin yes   yes   yes   yes  
manage_api_keys        admin admin admin admin yes   yes   yes   yes  
";
        assert_eq!(out, expected, "\n{out}");
    }
}
