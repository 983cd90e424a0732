//! Error bodies: every HTTP error is `{ "code": "...", "message": "..." }`.

use serde::{Deserialize, Serialize};

/// Stable, machine-matchable error codes. Never rename one: frontends match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    InvalidJson,
    InvalidEmail,
    ValidationFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
    NotFound,
    MethodNotAllowed,
    Unauthorized,
    InvalidToken,
    TokenExpired,
    Forbidden,
    RequiresSeat,
    RequiresEnterprise,
    RequiresAdmin,
    ContactAlreadyEnrolled,
    ContactUnsubscribed,
    ContactBounced,
    EnrollmentNotActive,
    EnrollmentNotPaused,
    SequenceDeleted,
    SequenceHasNoSteps,
    Conflict,
    InvalidSignature,
    StaleTimestamp,
    RateLimited,
    InvalidAlgorithm,
    UnknownKey,
    InvalidIssuer,
    InvalidAudience,
    MissingScope,
    TokenNotYetValid,
    UntrustedTenant,
    EmailNotVerified,
    /// An outbound connection target (IMAP host, JWKS URL) the network policy refuses.
    ForbiddenTarget,
    /// A text field is longer than its limit, or a list field has too many entries.
    FieldTooLong,
    /// A text field holds a line break, NUL, control, bidirectional-control or invisible format
    /// character (refused, never stripped: the message names the field and the character).
    InvalidCharacters,
    /// The contact's address is on the account's suppression list (unsubscribed, hard bounce).
    AddressSuppressed,
    /// A Microsoft tenant or Google Workspace domain is already trusted by another account.
    TenantClaimed,
    /// Trusting a tenant or domain needs a proof (`POST /account/trusted-identities/claim`),
    /// not a settings change.
    ProofRequired,
    /// A valid token that does not prove the tenant or domain (not a tenant admin, no or another
    /// hosted domain, not the admin's own Google account).
    ProofInsufficient,
    /// Readiness: the scheduler is not running or has not completed a pass recently (503).
    WorkerUnavailable,
    Internal,
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// The snake_case wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::InvalidEmail => "invalid_email",
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::RequiresSeat => "requires_seat",
            ErrorCode::RequiresEnterprise => "requires_enterprise",
            ErrorCode::RequiresAdmin => "requires_admin",
            ErrorCode::ContactAlreadyEnrolled => "contact_already_enrolled",
            ErrorCode::ContactUnsubscribed => "contact_unsubscribed",
            ErrorCode::ContactBounced => "contact_bounced",
            ErrorCode::EnrollmentNotActive => "enrollment_not_active",
            ErrorCode::EnrollmentNotPaused => "enrollment_not_paused",
            ErrorCode::SequenceDeleted => "sequence_deleted",
            ErrorCode::SequenceHasNoSteps => "sequence_has_no_steps",
            ErrorCode::Conflict => "conflict",
            ErrorCode::InvalidSignature => "invalid_signature",
            ErrorCode::StaleTimestamp => "stale_timestamp",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::InvalidAlgorithm => "invalid_algorithm",
            ErrorCode::UnknownKey => "unknown_key",
            ErrorCode::InvalidIssuer => "invalid_issuer",
            ErrorCode::InvalidAudience => "invalid_audience",
            ErrorCode::MissingScope => "missing_scope",
            ErrorCode::TokenNotYetValid => "token_not_yet_valid",
            ErrorCode::UntrustedTenant => "untrusted_tenant",
            ErrorCode::EmailNotVerified => "email_not_verified",
            ErrorCode::ForbiddenTarget => "forbidden_target",
            ErrorCode::FieldTooLong => "field_too_long",
            ErrorCode::InvalidCharacters => "invalid_characters",
            ErrorCode::AddressSuppressed => "address_suppressed",
            ErrorCode::TenantClaimed => "tenant_claimed",
            ErrorCode::ProofRequired => "proof_required",
            ErrorCode::ProofInsufficient => "proof_insufficient",
            ErrorCode::WorkerUnavailable => "worker_unavailable",
            ErrorCode::Internal => "internal",
            ErrorCode::Unknown => "unknown",
        }
    }
}

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
}
