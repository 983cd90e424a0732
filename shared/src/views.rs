//! Requests (`XRequest`), responses (`XResponse`) and view models (`XView`).

use serde::{Deserialize, Serialize};

use crate::enums::*;
use crate::error::ErrorBody;

/// RFC 3339 UTC timestamp, e.g. `2026-11-27T09:30:00Z`.
pub type Timestamp = String;

// ---------- people and accounts ----------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub id: i64,
    pub name: String,
    pub tier: Tier,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRef {
    pub id: i64,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub seat: Option<Seat>,
    pub status: UserStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeResponse {
    pub user: UserView,
    pub account: AccountView,
}

// ---------- companies and contacts ----------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyRequest {
    /// Required; one line of at most 200 characters (it can reach a subject via
    /// `{{company.name}}`, so line breaks, controls and bidirectional controls answer 400
    /// `invalid_characters`, longer values `field_too_long`).
    pub name: String,
    /// At most 50 domains of at most 253 characters each.
    #[serde(default)]
    pub domains: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyView {
    pub id: i64,
    pub name: String,
    pub domains: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyRef {
    pub id: i64,
    pub name: String,
}

/// Create or replace a contact. Addresses are normalized by the server (trimmed, lower-cased)
/// and must be ones the mail library accepts (`invalid_email`; over 254 bytes `field_too_long`).
/// Names and title are one line of at most 200 characters each: they can reach a subject through
/// personalization tokens, so line breaks, NUL and other controls, bidirectional controls and
/// invisible format characters answer 400 `invalid_characters` (refused, never stripped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRequest {
    pub email: String,
    /// At most 50.
    #[serde(default)]
    pub secondary_emails: Vec<String>,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub company_id: Option<i64>,
    #[serde(default)]
    pub owner_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactView {
    pub id: i64,
    pub email: String,
    pub secondary_emails: Vec<String>,
    pub first_name: String,
    pub last_name: String,
    /// Display name: "First Last", or the address when both are empty.
    pub name: String,
    pub title: String,
    pub company: Option<CompanyRef>,
    pub owner: Option<UserRef>,
    pub email_status: EmailStatus,
    pub unsubscribed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRef {
    pub id: i64,
    pub name: String,
    pub email: String,
}

// ---------- sequences ----------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendWindow {
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub time_zone: String,
    /// First hour (0-23) at which steps may run, local time.
    pub start_hour: u32,
    /// Hour (1-24) from which steps no longer run, local time.
    pub end_hour: u32,
    pub weekdays_only: bool,
}

impl Default for SendWindow {
    fn default() -> Self {
        SendWindow {
            time_zone: "UTC".into(),
            start_hour: 0,
            end_hour: 24,
            weekdays_only: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRequest {
    pub kind: StepKind,
    /// Delay after the previous step, in days (ignored for step 1).
    #[serde(default)]
    pub delay_days: u32,
    /// Count only Monday-Friday when applying the delay.
    #[serde(default)]
    pub business_days: bool,
    /// Email subject template (emails) or task title (tasks): one header-safe line of at most
    /// 500 characters (`invalid_characters`, `field_too_long`).
    #[serde(default)]
    pub subject: String,
    /// Email body template (emails) or task notes (tasks): at most 100,000 characters; line
    /// breaks and tabs are kept, NUL and other controls answer `invalid_characters`.
    #[serde(default)]
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequenceRequest {
    /// Required; one line of at most 200 characters.
    pub name: String,
    pub steps: Vec<StepRequest>,
    #[serde(default)]
    pub send_window: SendWindow,
    #[serde(default)]
    pub unenroll_same_company: bool,
    #[serde(default)]
    pub ooo_policy: Option<OooPolicy>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    /// 1-based position.
    pub number: u32,
    pub kind: StepKind,
    pub delay_days: u32,
    pub business_days: bool,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequenceView {
    pub id: i64,
    pub name: String,
    pub creator: UserRef,
    pub steps: Vec<StepView>,
    pub send_window: SendWindow,
    pub unenroll_same_company: bool,
    pub ooo_policy: OooPolicy,
    pub created_at: Timestamp,
    pub deleted: bool,
    /// Active + paused enrollments right now.
    pub active_enrollments: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequenceRef {
    pub id: i64,
    pub name: String,
}

// ---------- enrollments ----------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    pub contact_ids: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollItemResult {
    pub contact_id: i64,
    pub enrollment: Option<EnrollmentView>,
    pub error: Option<ErrorBody>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    pub results: Vec<EnrollItemResult>,
}

/// Who or what caused a transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorView {
    pub kind: ActorKind,
    /// The user, when `kind` is `user`.
    pub user: Option<UserRef>,
    /// Rule, workflow or system component name, e.g. `inbound.reply`.
    pub name: Option<String>,
}

/// The evidence stored with a transition. Every field is optional: each cause fills its own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceView {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surface: Option<UnenrollSurface>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsubscribe_token_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentView {
    pub id: i64,
    pub contact: ContactRef,
    pub sequence: SequenceRef,
    pub state: EnrollmentState,
    pub pause_reason: Option<PauseReason>,
    pub paused_until: Option<Timestamp>,
    pub unenroll_reason: Option<UnenrollReason>,
    /// 1-based number of the next step to run (or the last one run, once final).
    pub current_step: u32,
    pub total_steps: u32,
    pub next_step_at: Option<Timestamp>,
    pub enrolled_by: UserRef,
    pub enrolled_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    /// Who or what ended or paused it, with the evidence.
    pub ended_by: Option<ActorView>,
    pub evidence: Option<EvidenceView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentListResponse {
    pub enrollments: Vec<EnrollmentView>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnenrollRequest {
    /// Where the user clicked; defaults to `api`.
    #[serde(default)]
    pub surface: Option<UnenrollSurface>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkUnenrollRequest {
    pub enrollment_ids: Vec<i64>,
    #[serde(default)]
    pub surface: Option<UnenrollSurface>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkUnenrollItem {
    pub enrollment_id: i64,
    pub enrollment: Option<EnrollmentView>,
    pub error: Option<ErrorBody>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkUnenrollResponse {
    pub unenrolled: u64,
    pub results: Vec<BulkUnenrollItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnenrollByEmailRequest {
    pub email: String,
    #[serde(default)]
    pub surface: Option<UnenrollSurface>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnenrollByEmailResponse {
    pub unenrolled: Vec<EnrollmentView>,
}

/// One upcoming step, for a sequence's Scheduled tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledStepView {
    pub enrollment_id: i64,
    pub contact: ContactRef,
    pub step_number: u32,
    pub total_steps: u32,
    pub kind: StepKind,
    pub subject: String,
    pub due_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledResponse {
    pub scheduled: Vec<ScheduledStepView>,
}

// ---------- timeline, record, performance ----------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEventView {
    pub id: i64,
    /// `enrolled`, `step_executed`, `email_sent`, `task_created`, `paused`, `resumed`, `finished`,
    /// `unenrolled`, `reply_received`, `ooo_received`, ...
    pub kind: String,
    pub at: Timestamp,
    pub summary: String,
    pub sequence: Option<SequenceRef>,
    pub enrollment_id: Option<i64>,
    pub actor: Option<ActorView>,
    pub evidence: Option<EvidenceView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRecordView {
    pub contact: ContactView,
    pub current_enrollment: Option<EnrollmentView>,
    pub past_enrollments: Vec<EnrollmentView>,
    /// Newest first; events hidden from the timeline are excluded.
    pub timeline: Vec<TimelineEventView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonCount {
    pub reason: UnenrollReason,
    pub count: u64,
}

/// Figures derived from immutable events: unenrolling never lowers them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerformanceView {
    pub sequence_id: i64,
    pub enrolled: u64,
    pub emails_sent: u64,
    pub tasks_created: u64,
    pub replies: u64,
    pub meetings: u64,
    pub bounces: u64,
    pub unsubscribes: u64,
    pub finished: u64,
    pub unenrolled: u64,
    pub unenrolled_by_reason: Vec<ReasonCount>,
}

// ---------- the panel's hot path ----------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactSummary {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub title: String,
    pub company: Option<String>,
    pub owner: Option<String>,
    pub email_status: EmailStatus,
    pub unsubscribed: bool,
}

/// The contact's active or paused enrollment, as the panel's banner shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveEnrollmentView {
    pub enrollment_id: i64,
    pub sequence_id: i64,
    pub sequence_name: String,
    pub state: EnrollmentState,
    pub pause_reason: Option<PauseReason>,
    pub paused_until: Option<Timestamp>,
    pub step_number: u32,
    pub total_steps: u32,
    pub next_step_kind: Option<StepKind>,
    pub next_step_at: Option<Timestamp>,
    pub enrolled_by: UserRef,
    pub enrolled_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentUnenrollmentView {
    pub enrollment_id: i64,
    pub sequence_name: String,
    pub reason: UnenrollReason,
    pub at: Timestamp,
    pub actor: Option<ActorView>,
    pub evidence: Option<EvidenceView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientView {
    /// The address as normalized by the server.
    pub email: String,
    /// `None`: the address is not in the CRM.
    pub contact: Option<ContactSummary>,
    pub enrollment: Option<ActiveEnrollmentView>,
    pub recent_unenrollments: Vec<RecentUnenrollmentView>,
    /// Recent out-of-office replies, so reps still see them.
    #[serde(default)]
    pub recent_auto_replies: Vec<TimelineEventView>,
    /// Set when the address could not be parsed; the other fields are empty then.
    #[serde(default)]
    pub error: Option<ErrorBody>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientsResponse {
    pub recipients: Vec<RecipientView>,
}

// ---------- sign-in ----------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub token: String,
    pub expires_at: Timestamp,
    pub user: UserView,
    /// Opaque, single-use: `POST /auth/refresh` returns a new access token and a new refresh
    /// token. Absent for tokens outside a session (the operator's CLI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// `POST /api/v1/auth/code`: a one-time sign-in code (from a `?code=` link) for a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRequest {
    pub code: String,
}

/// `POST /api/v1/auth/refresh`: a refresh token for a new `TokenResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// `POST /api/v1/users/{id}/sessions/revoke`: how many live sessions were ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeSessionsResponse {
    pub revoked: u64,
}

// ---------- suppression list (issue 19) ----------

/// One address no sequence email may reach again in this account, whichever contact carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuppressionView {
    /// Normalized (lower-case).
    pub email: String,
    /// `unsubscribed` or `hard_bounce`.
    pub reason: String,
    /// The contact that carried the address when it was suppressed.
    #[serde(default)]
    pub contact_id: Option<i64>,
    #[serde(default)]
    pub evidence: Option<EvidenceView>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuppressionListResponse {
    pub suppressions: Vec<SuppressionView>,
}
