//! One instance of every issue-4 DTO, serialized: a rename or a changed shape shows up in review
//! as a snapshot diff. Also: old clients survive new enum values, and `"seat": null` is not
//! the same as no `seat` at all.

use serde_json::{json, Value};
use shared::*;

fn user_ref() -> UserRef {
    UserRef {
        id: 1,
        name: "Rita Rep".into(),
        email: "rep@seller.example".into(),
    }
}

#[test]
fn identity_dtos_serialize_as_documented() {
    let window = AvailabilityWindow {
        weekday: "mon".into(),
        start: "09:00".into(),
        end: "17:00".into(),
    };
    let key = ApiKeyView {
        id: 3,
        name: "Zapier".into(),
        prefix: "sqk_0a1b2c".into(),
        created_at: "2026-11-27T09:00:00Z".into(),
        revoked_at: None,
        last_used_at: None,
    };
    let user = UserView {
        id: 2,
        email: "sam@seller.example".into(),
        name: "Sam".into(),
        role: Role::User,
        seat: None,
        status: UserStatus::Active,
    };
    let all: Vec<(&str, Value)> = vec![
        (
            "MeetingRequest",
            serde_json::to_value(MeetingRequest {
                source: MeetingSource::OutlookCalendar,
                organizer_id: Some(1),
                contact_ids: vec![7],
                company_ids: vec![4],
                starts_at: "2026-11-30T10:00:00Z".into(),
                ends_at: None,
                title: "Intro".into(),
            })
            .unwrap(),
        ),
        (
            "MeetingView",
            serde_json::to_value(MeetingView {
                id: 9,
                source: MeetingSource::ContactRecord,
                organizer: user_ref(),
                contact_ids: vec![7],
                company_ids: vec![],
                starts_at: "2026-11-30T10:00:00Z".into(),
                ends_at: "2026-11-30T10:30:00Z".into(),
                logged_at: "2026-11-27T09:00:00Z".into(),
                outcomes: vec![MeetingOutcomeView {
                    contact_id: 7,
                    enrollment_id: Some(5),
                    outcome: "unenrolled".into(),
                }],
            })
            .unwrap(),
        ),
        (
            "AvailabilityRequest",
            serde_json::to_value(AvailabilityRequest {
                time_zone: "Europe/Berlin".into(),
                slot_minutes: 30,
                windows: vec![window.clone()],
            })
            .unwrap(),
        ),
        (
            "AvailabilityView",
            serde_json::to_value(AvailabilityView {
                time_zone: "Europe/Berlin".into(),
                slot_minutes: 30,
                windows: vec![window],
                meeting_link: "https://sales.example/book/1.abc".into(),
            })
            .unwrap(),
        ),
        (
            "ApiKeyRequest",
            serde_json::to_value(ApiKeyRequest {
                name: "Zapier".into(),
            })
            .unwrap(),
        ),
        (
            "ApiKeyCreatedResponse",
            serde_json::to_value(ApiKeyCreatedResponse {
                key: "sqk_0a1b2c...".into(),
                api_key: key.clone(),
            })
            .unwrap(),
        ),
        (
            "ApiKeyListResponse",
            serde_json::to_value(ApiKeyListResponse {
                api_keys: vec![key],
            })
            .unwrap(),
        ),
        (
            "WorkflowUnenrollRequest",
            serde_json::to_value(WorkflowUnenrollRequest {
                contact_email: Some("ana@globex.example".into()),
                contact_id: None,
                sequence_id: Some(2),
                workflow: Some("Deal won".into()),
            })
            .unwrap(),
        ),
        (
            "WorkflowUnenrollResponse",
            serde_json::to_value(WorkflowUnenrollResponse { unenrolled: vec![] }).unwrap(),
        ),
        (
            "CreateUserRequest",
            serde_json::to_value(CreateUserRequest {
                email: "sam@seller.example".into(),
                name: "Sam".into(),
                role: Role::User,
                seat: Some(Seat::SalesPro),
                password: None,
            })
            .unwrap(),
        ),
        (
            "UpdateUserRequest",
            serde_json::to_value(UpdateUserRequest {
                seat: Some(None),
                ..Default::default()
            })
            .unwrap(),
        ),
        (
            "UserListResponse",
            serde_json::to_value(UserListResponse {
                users: vec![user.clone()],
            })
            .unwrap(),
        ),
        (
            "UserUpdateResponse",
            serde_json::to_value(UserUpdateResponse {
                user,
                unenrolled: 2,
            })
            .unwrap(),
        ),
        (
            "AccountSettingsView",
            serde_json::to_value(AccountSettingsView {
                trusted_tenant_ids: vec!["aaaa-1111".into()],
                google_hosted_domains: vec!["seller.example".into()],
            })
            .unwrap(),
        ),
        (
            "TrustClaimRequest",
            serde_json::to_value(TrustClaimRequest {
                provider: IdentityProvider::Microsoft,
                token: "eyJ...".into(),
            })
            .unwrap(),
        ),
        (
            "TrustedIdentityListResponse",
            serde_json::to_value(TrustedIdentityListResponse {
                trusted_identities: vec![
                    TrustedIdentityView {
                        provider: IdentityProvider::Microsoft,
                        id: "aaaa-1111".into(),
                        proof: "microsoft_admin_token".into(),
                        proven_by: Some(1),
                        proven_at: Some("2026-11-27T09:00:00Z".into()),
                    },
                    TrustedIdentityView {
                        provider: IdentityProvider::Google,
                        id: "seller.example".into(),
                        proof: "legacy".into(),
                        proven_by: None,
                        proven_at: None,
                    },
                ],
            })
            .unwrap(),
        ),
        (
            "ExchangeRequest",
            serde_json::to_value(ExchangeRequest {
                provider: IdentityProvider::Microsoft,
                token: "eyJ...".into(),
            })
            .unwrap(),
        ),
    ];
    let map: serde_json::Map<String, Value> =
        all.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    insta::assert_json_snapshot!(Value::Object(map));
}

#[test]
fn seat_null_removes_and_absent_keeps() {
    let remove: UpdateUserRequest = serde_json::from_value(json!({ "seat": null })).unwrap();
    let keep: UpdateUserRequest = serde_json::from_value(json!({ "role": "admin" })).unwrap();
    let unknown: MeetingSource = serde_json::from_value(json!("zoom")).unwrap();
    assert_eq!(
        (remove.seat, keep.seat, keep.role),
        (Some(None), None, Some(Role::Admin))
    );
    assert_eq!(unknown, MeetingSource::Unknown);
}
