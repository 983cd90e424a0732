//! Wire types for meetings and availability, API keys and workflow actions, user management,
//! account settings and the external-token exchange.

use serde::{Deserialize, Deserializer, Serialize};

use crate::enums::*;
use crate::views::{EnrollmentView, Timestamp, UserRef, UserView};

// ---------- meetings ----------

/// `POST /api/v1/meetings`: a meeting logged from the contact record or an integrated calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingRequest {
    pub source: MeetingSource,
    /// Defaults to the caller.
    #[serde(default)]
    pub organizer_id: Option<i64>,
    /// Contacts the meeting is associated with.
    #[serde(default)]
    pub contact_ids: Vec<i64>,
    /// Associated records (companies); alone they never unenroll.
    #[serde(default)]
    pub company_ids: Vec<i64>,
    pub starts_at: Timestamp,
    #[serde(default)]
    pub ends_at: Option<Timestamp>,
    #[serde(default)]
    pub title: String,
}

/// What a meeting did to one contact's enrollment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingOutcomeView {
    pub contact_id: i64,
    pub enrollment_id: Option<i64>,
    /// `unenrolled`, or why not (e.g. `organizer_is_not_enroller`).
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingView {
    pub id: i64,
    pub source: MeetingSource,
    pub organizer: UserRef,
    pub contact_ids: Vec<i64>,
    pub company_ids: Vec<i64>,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub logged_at: Timestamp,
    pub outcomes: Vec<MeetingOutcomeView>,
}

/// One weekly window, local to the availability's time zone: `weekday` is `mon`..`sun`,
/// `start`/`end` are `HH:MM`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailabilityWindow {
    pub weekday: String,
    pub start: String,
    pub end: String,
}

/// `PUT /api/v1/me/availability`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailabilityRequest {
    pub time_zone: String,
    pub slot_minutes: u32,
    pub windows: Vec<AvailabilityWindow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailabilityView {
    pub time_zone: String,
    pub slot_minutes: u32,
    pub windows: Vec<AvailabilityWindow>,
    /// The user's public booking page.
    pub meeting_link: String,
}

// ---------- API keys and workflows ----------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRequest {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: i64,
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

/// The key itself is in this response only; it is stored hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyCreatedResponse {
    pub key: String,
    pub api_key: ApiKeyView,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyListResponse {
    pub api_keys: Vec<ApiKeyView>,
}

/// `POST /api/v1/workflow-actions/unenroll` (API key): by contact email or id, optionally one sequence.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowUnenrollRequest {
    #[serde(default)]
    pub contact_email: Option<String>,
    #[serde(default)]
    pub contact_id: Option<i64>,
    #[serde(default)]
    pub sequence_id: Option<i64>,
    /// The workflow's name, recorded in the evidence.
    #[serde(default)]
    pub workflow: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowUnenrollResponse {
    pub unenrolled: Vec<EnrollmentView>,
}

// ---------- user management and account settings ----------

/// `POST /users` (and `sequencer create-user`). The address and the name become the `From` of
/// the user's sequence emails: the address must be one the mail library accepts, the name one
/// line of at most 200 characters (`invalid_characters`, `field_too_long`); a password has 12 to
/// 1024 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateUserRequest {
    pub email: String,
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub seat: Option<Seat>,
    #[serde(default)]
    pub password: Option<String>,
}

/// Absent fields stay as they are; `"seat": null` removes the seat.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateUserRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub seat: Option<Option<Seat>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<UserStatus>,
}

/// A field that is present (even as `null`) becomes `Some(..)`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserListResponse {
    pub users: Vec<UserView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserUpdateResponse {
    pub user: UserView,
    /// Enrollments ended because the user lost their seat or was deactivated/deleted.
    pub unenrolled: u64,
}

/// Which external identities an account trusts (admin only). Read-only for additions: a `PUT`
/// may keep or remove entries, and adding one is `proof_required` (see [`TrustClaimRequest`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSettingsView {
    /// Microsoft Entra tenant ids (`tid`) whose users may sign in from Outlook.
    #[serde(default)]
    pub trusted_tenant_ids: Vec<String>,
    /// Google Workspace hosted domains (`hd`) whose users may sign in from Gmail.
    #[serde(default)]
    pub google_hosted_domains: Vec<String>,
}

/// `POST /api/v1/account/trusted-identities/claim` (admin): proves that this account may trust a
/// Microsoft tenant (an access token of one of the tenant's Global Administrators: its `tid`
/// becomes trusted) or a Google Workspace domain (the admin's own Google ID token: its `hd`
/// becomes trusted). A tenant or domain is trusted by at most one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustClaimRequest {
    pub provider: IdentityProvider,
    pub token: String,
}

/// A tenant or domain this account trusts, and how it was proven.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedIdentityView {
    pub provider: IdentityProvider,
    /// The tenant id (`tid`) or hosted domain (`hd`), lower-cased.
    pub id: String,
    /// `microsoft_admin_token`, `google_hd_token`, or `legacy` (listed before proofs existed).
    pub proof: String,
    /// The admin who proved it (none for `legacy`).
    #[serde(default)]
    pub proven_by: Option<i64>,
    #[serde(default)]
    pub proven_at: Option<Timestamp>,
}

/// `GET /api/v1/account/trusted-identities`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedIdentityListResponse {
    pub trusted_identities: Vec<TrustedIdentityView>,
}

/// `POST /api/v1/auth/exchange`: an external token for a Sequencer session (`TokenResponse`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeRequest {
    pub provider: IdentityProvider,
    pub token: String,
}
