//! Nouns with invariants: addresses, ids, accounts, users, contacts, sequences, enrollments.
//!
//! Pure data and rules; must not depend on serde, sqlx or actix. Vocabulary enums (states, reasons,
//! seats...) are the canonical names from `shared`, re-exported here so every layer speaks one language.

mod email;
mod enrollment;
pub mod text;

pub use email::{EmailAddress, EmailError};
pub use enrollment::{check_transition, is_live, Actor, Enrollment, Evidence, TransitionError};
pub use shared::{
    ActorKind, EmailStatus, EnrollmentState, OooPolicy, PauseReason, Role, Seat, StepKind, Tier,
    UnenrollReason, UnenrollSurface, UserStatus,
};
pub use text::{HeaderText, TextError};

macro_rules! id_type {
    ($($(#[$m:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);
    )+};
}

id_type!(
    /// A customer portal; every query is scoped by one.
    AccountId,
    UserId,
    CompanyId,
    ContactId,
    SequenceId,
    EnrollmentId
);

/// Unix milliseconds, UTC: the one time representation below the HTTP layer.
pub type Millis = i64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    pub tier: Tier,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub account_id: AccountId,
    pub email: EmailAddress,
    pub name: String,
    pub role: Role,
    pub seat: Option<Seat>,
    pub status: UserStatus,
}

impl User {
    /// Sequences are for active users with a Sales or Service seat.
    pub fn can_use_sequences(&self) -> bool {
        self.seat.is_some() && self.status == UserStatus::Active
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    pub id: CompanyId,
    pub account_id: AccountId,
    pub name: String,
    pub domains: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub id: ContactId,
    pub account_id: AccountId,
    pub email: EmailAddress,
    pub secondary_emails: Vec<EmailAddress>,
    pub first_name: String,
    pub last_name: String,
    pub title: String,
    pub company_id: Option<CompanyId>,
    pub owner_id: Option<UserId>,
    pub email_status: EmailStatus,
    pub unsubscribed: bool,
    pub deleted: bool,
}

impl Contact {
    /// "First Last", or the address when the contact has no name.
    pub fn display_name(&self) -> String {
        display_name(&self.first_name, &self.last_name, self.email.as_str())
    }
}

/// "First Last", or `fallback` when both are empty.
pub fn display_name(first: &str, last: &str, fallback: &str) -> String {
    let name = format!("{} {}", first.trim(), last.trim())
        .trim()
        .to_string();
    if name.is_empty() {
        fallback.to_string()
    } else {
        name
    }
}

/// Why an address is on an account's suppression list: no sequence email reaches it again,
/// whichever contact carries it (changing a contact's email or adding a new contact with the
/// old address does not escape it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SuppressionReason {
    /// The contact unsubscribed through a sequence's link.
    Unsubscribed,
    /// A hard bounce marked the address as not existing.
    HardBounce,
}

impl SuppressionReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionReason::Unsubscribed => "unsubscribed",
            SuppressionReason::HardBounce => "hard_bounce",
        }
    }

    pub fn parse(s: &str) -> Option<SuppressionReason> {
        match s {
            "unsubscribed" => Some(SuppressionReason::Unsubscribed),
            "hard_bounce" => Some(SuppressionReason::HardBounce),
            _ => None,
        }
    }

    /// The reason an enrollment stopped at the send gate for this suppression ends with.
    pub fn unenroll_reason(self) -> UnenrollReason {
        match self {
            SuppressionReason::Unsubscribed => UnenrollReason::Unsubscribed,
            SuppressionReason::HardBounce => UnenrollReason::Bounced,
        }
    }
}

/// When steps may run, in the sequence's local time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendWindow {
    pub time_zone: chrono_tz::Tz,
    pub start_hour: u32,
    pub end_hour: u32,
    pub weekdays_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub number: u32,
    pub kind: StepKind,
    pub delay_days: u32,
    pub business_days: bool,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequence {
    pub id: SequenceId,
    pub account_id: AccountId,
    pub creator_id: UserId,
    pub name: String,
    pub steps: Vec<Step>,
    pub window: SendWindow,
    pub unenroll_same_company: bool,
    pub ooo_policy: OooPolicy,
    pub deleted: bool,
    pub created_at: Millis,
}

impl Sequence {
    /// The step with this 1-based number.
    pub fn step(&self, number: u32) -> Option<&Step> {
        self.steps.iter().find(|s| s.number == number)
    }
}
