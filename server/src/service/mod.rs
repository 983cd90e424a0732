//! Use cases: enroll, unenroll, execute steps, read views. Orchestrates the store, the pure engine
//! and the mailer; knows nothing of HTTP. Every use case is scoped to the caller's account.

mod contacts;
mod enroll;
mod execute;
pub mod login;
mod recipients;
mod sequences;
pub mod sessions;
mod unenroll;
pub mod views;
// Inbound mail: correlation, rules, mailboxes (issue 3).
mod correlate;
pub mod inbound;
pub mod mailboxes;
// The public surface (issue 19): webhook header checks, a shared rate limiter.
pub mod ratelimit;
pub mod webhook;
// Who may do what (issue 19): the permission matrix.
pub mod permissions;
// Meetings, unsubscribe, workflows, user management, external sign-in (issue 4).
mod identity;
pub mod links;
mod meetings;
pub mod trust;
mod unsubscribe;
// The suppression list: checked at enrollment and at the send gate (issue 19).
mod suppression;
mod users;
mod workflows;

pub use meetings::{BookingOutcome, BookingPage, BookingResult, PendingView};
pub use unsubscribe::UnsubscribeOutcome;
pub use workflows::KeyCaller;

pub use execute::TickReport;
pub use inbound::InboundOutcome;

use std::sync::Arc;

use shared::ErrorCode;

use crate::clock::Clock;
use crate::domain::*;
use crate::mail::{MailError, Mailer};
use crate::store::{Store, StoreError};

/// Deployment settings the use cases need.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Public base URL, e.g. `https://sales.example.com` (links in emails, manifests).
    pub public_url: String,
    /// Secret for signing session tokens and links.
    pub secret: Vec<u8>,
    /// External identity providers (Microsoft, Google) and their key caches.
    pub identity: Arc<crate::identity::Verifier>,
    /// Seals stored mailbox credentials; derived from `secret` with its own label.
    pub credentials: crate::crypto::CredentialKey,
    /// The CAs IMAP servers' certificates are checked against (webpki's roots by default).
    pub imap_trust: crate::mail::imap_trust::ImapTrust,
    /// Which hosts outbound connections (IMAP, JWKS) may reach: production by default.
    pub network: crate::net::NetworkPolicy,
}

impl Settings {
    pub fn new(public_url: &str, secret: Vec<u8>) -> Settings {
        Settings {
            public_url: public_url.trim_end_matches('/').to_string(),
            credentials: crate::crypto::CredentialKey::derive(&secret),
            secret,
            identity: crate::identity::Verifier::new(crate::identity::IdentityConfig::default()),
            imap_trust: Default::default(),
            network: Default::default(),
        }
    }
}

/// The application: everything a use case may touch.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub mailer: Arc<Mailer>,
    pub settings: Arc<Settings>,
    /// Tells this process's IMAP watchers that the mailboxes table changed.
    pub mailbox_changes: mailboxes::MailboxChanges,
    /// This process's scheduler health (readiness, metrics, isolated step failures).
    pub worker: crate::worker::WorkerHealth,
}

/// The authenticated user and their account.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub account: Account,
}

impl Caller {
    /// Enrolling and unenrolling need an active user with a seat.
    /// The matrix's seated row (`permissions`); prefer `allow` with the precise action.
    pub fn require_seat(&self) -> Result<()> {
        self.allow(permissions::Action::Enroll, None)
    }

    /// The matrix's admin-only row (`permissions`); prefer `allow` with the precise action.
    pub fn require_admin(&self) -> Result<()> {
        self.allow(permissions::Action::ManageSettings, None)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(transparent)]
    InvalidEmail(#[from] EmailError),
    #[error(transparent)]
    InvalidText(#[from] TextError),
    #[error("{0} is on this account's suppression list ({1}) and cannot be enrolled")]
    AddressSuppressed(EmailAddress, String),
    #[error("{0}")]
    Validation(String),
    #[error("this action needs a Sales or Service seat")]
    RequiresSeat,
    #[error("this feature is available on the enterprise tier only")]
    RequiresEnterprise,
    #[error("this action needs an admin")]
    RequiresAdmin,
    /// The permission matrix refuses it for another reason than seat or role (not the owner).
    #[error("{0}")]
    Forbidden(String),
    #[error("the contact is already in an active or paused enrollment")]
    ContactAlreadyEnrolled,
    #[error("the contact unsubscribed from sales email and cannot be enrolled")]
    ContactUnsubscribed,
    #[error("the contact's email address bounced and cannot be enrolled")]
    ContactBounced,
    #[error("the enrollment is {0}, not active or paused")]
    EnrollmentNotActive(EnrollmentState),
    #[error("the enrollment is {0}, not paused")]
    EnrollmentNotPaused(EnrollmentState),
    #[error("the sequence was deleted")]
    SequenceDeleted,
    #[error("the sequence has no steps")]
    SequenceHasNoSteps,
    #[error("{0}")]
    Conflict(String),
    #[error("invalid credentials or token: {0}")]
    Unauthorized(String),
    #[error("too many failed sign-in attempts; try again later")]
    RateLimited,
    /// The outbound-connection policy refuses the target (`crate::net`).
    #[error("{0}")]
    ForbiddenTarget(String),
    /// The tenant or domain is already trusted by another account.
    #[error("{0}")]
    TenantClaimed(String),
    /// A trusted tenant or domain was added without a proof.
    #[error("{0}")]
    ProofRequired(String),
    /// The token is valid but does not prove the tenant or domain.
    #[error("{0}")]
    ProofInsufficient(String),
    #[error(transparent)]
    Identity(#[from] crate::identity::IdentityError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mail(#[from] MailError),
}

impl ServiceError {
    /// The stable wire code.
    pub fn code(&self) -> ErrorCode {
        match self {
            ServiceError::NotFound(_) => ErrorCode::NotFound,
            ServiceError::InvalidEmail(EmailError::TooLong { .. }) => ErrorCode::FieldTooLong,
            ServiceError::InvalidEmail(_) => ErrorCode::InvalidEmail,
            ServiceError::InvalidText(TextError::InvalidCharacters { .. }) => {
                ErrorCode::InvalidCharacters
            }
            ServiceError::InvalidText(_) => ErrorCode::FieldTooLong,
            ServiceError::AddressSuppressed(..) => ErrorCode::AddressSuppressed,
            ServiceError::Validation(_) => ErrorCode::ValidationFailed,
            ServiceError::RequiresSeat => ErrorCode::RequiresSeat,
            ServiceError::RequiresEnterprise => ErrorCode::RequiresEnterprise,
            ServiceError::RequiresAdmin => ErrorCode::RequiresAdmin,
            ServiceError::Forbidden(_) => ErrorCode::Forbidden,
            ServiceError::ContactAlreadyEnrolled => ErrorCode::ContactAlreadyEnrolled,
            ServiceError::ContactUnsubscribed => ErrorCode::ContactUnsubscribed,
            ServiceError::ContactBounced => ErrorCode::ContactBounced,
            ServiceError::EnrollmentNotActive(_) => ErrorCode::EnrollmentNotActive,
            ServiceError::EnrollmentNotPaused(_) => ErrorCode::EnrollmentNotPaused,
            ServiceError::SequenceDeleted => ErrorCode::SequenceDeleted,
            ServiceError::SequenceHasNoSteps => ErrorCode::SequenceHasNoSteps,
            ServiceError::Conflict(_) => ErrorCode::Conflict,
            ServiceError::Unauthorized(_) => ErrorCode::Unauthorized,
            ServiceError::RateLimited => ErrorCode::RateLimited,
            ServiceError::ForbiddenTarget(_) => ErrorCode::ForbiddenTarget,
            ServiceError::TenantClaimed(_) => ErrorCode::TenantClaimed,
            ServiceError::ProofRequired(_) => ErrorCode::ProofRequired,
            ServiceError::ProofInsufficient(_) => ErrorCode::ProofInsufficient,
            ServiceError::Identity(e) => e.code(),
            ServiceError::Store(StoreError::Duplicate(_)) => ErrorCode::Conflict,
            ServiceError::Store(_) | ServiceError::Mail(_) => ErrorCode::Internal,
        }
    }

    /// The wire body (5xx messages are opaque).
    pub fn body(&self) -> shared::ErrorBody {
        let code = self.code();
        let message = if code == ErrorCode::Internal {
            "internal error".to_string()
        } else {
            self.to_string()
        };
        shared::ErrorBody { code, message }
    }
}

pub type Result<T> = std::result::Result<T, ServiceError>;

impl App {
    pub fn now(&self) -> Millis {
        self.clock.now()
    }
}
