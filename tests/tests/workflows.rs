//! API keys and workflow unenroll (enterprise only), sequence deletion, user downgrade and
//! deletion, contact deletion: each ends enrollments with its reason, actor and evidence, and
//! leaves the figures as they were.

use anyhow::{Context, Result};
use reqwest::Method;
use sequencer_server::domain::{Tier, UserId};
use sequencer_tests::*;
use shared::*;

both_backends! {
    api_keys_are_shown_once_listed_and_revoked_by_admins_only => api_keys;
    workflow_unenroll_works_on_enterprise_and_is_refused_on_professional => workflow;
    deleting_a_sequence_ends_its_enrollments_and_keeps_its_figures => sequence_deleted;
    losing_a_seat_or_being_deleted_ends_the_creators_enrollments => creator;
    deleting_a_contact_unenrolls_it => contact_deleted;
}

async fn workflow_call(t: &TestApp, key: &str, body: &WorkflowUnenrollRequest) -> Result<Answer> {
    t.send_as(key, Method::POST, "/workflow-actions/unenroll", body)
        .await
}

async fn api_keys(db: Db) -> Result<()> {
    let t = spawn_app_with_tier(db, Tier::Enterprise).await?;
    let a = t
        .post(
            "/api-keys",
            &ApiKeyRequest {
                name: "Zapier".into(),
            },
        )
        .await?;
    assert_eq!(a.status, 201, "{}", a.body);
    let created: ApiKeyCreatedResponse = a.json()?;
    assert!(created.key.starts_with(&created.api_key.prefix) && created.key.len() > 60);
    let list: ApiKeyListResponse = t.get("/api-keys").await?.json()?;
    assert_eq!(list.api_keys.len(), 1);
    assert!(
        !list.api_keys[0].prefix.is_empty()
            && !serde_json::to_string(&list)?.contains(&created.key),
        "never shown again"
    );
    let stored: Vec<String> = sqlx::query_scalar::<_, String>("SELECT key_hash FROM api_keys")
        .fetch_all(t.app.store.pool())
        .await?;
    assert!(!stored.contains(&created.key), "stored hashed");

    let viewer = t
        .app
        .store
        .create_user(
            t.account.id,
            &sequencer_server::domain::EmailAddress::parse("seated@seller.example")?,
            "Sam",
            Role::User,
            Some(Seat::SalesPro),
            None,
            T0,
        )
        .await?;
    let vt = t.app.session_token(&viewer).token;
    assert_eq!(t.get_as(&vt, "/api-keys").await?.code(), "requires_admin");
    assert_eq!(
        t.send_as(
            &vt,
            Method::POST,
            "/api-keys",
            &ApiKeyRequest { name: "x".into() }
        )
        .await?
        .status,
        403
    );

    let body = WorkflowUnenrollRequest {
        contact_email: Some("nobody@nowhere.example".into()),
        ..Default::default()
    };
    assert_eq!(
        workflow_call(&t, &created.key, &body).await?.status,
        404,
        "a live key works"
    );
    assert_eq!(
        workflow_call(&t, &t.token(), &body).await?.code(),
        "unauthorized",
        "a session token is not an API key"
    );
    let r = t
        .delete(&format!("/api-keys/{}", created.api_key.id))
        .await?;
    assert_eq!(r.status, 204);
    let a = workflow_call(&t, &created.key, &body).await?;
    assert_eq!(
        (a.status, a.code().as_str()),
        (401, "unauthorized"),
        "revoked"
    );
    let list: ApiKeyListResponse = t.get("/api-keys").await?.json()?;
    assert!(list.api_keys[0].revoked_at.is_some() && list.api_keys[0].last_used_at.is_some());
    Ok(())
}

async fn workflow(db: Db) -> Result<()> {
    let t = spawn_app_with_tier(db, Tier::Enterprise).await?;
    let key: ApiKeyCreatedResponse = t
        .post(
            "/api-keys",
            &ApiKeyRequest {
                name: "HubFlow".into(),
            },
        )
        .await?
        .json()?;
    let a = t.email_sequence("A", &[1]).await?;
    let b = t.email_sequence("B", &[1]).await?;
    let ana = t.contact("ana@globex.example", "Ana", None).await?;
    let ben = t.contact("ben@globex.example", "Ben", None).await?;
    let e_ana = t.enroll(a.id, &[ana.id]).await?.results[0]
        .enrollment
        .clone()
        .context("enrolled")?;
    let e_ben = t.enroll(b.id, &[ben.id]).await?.results[0]
        .enrollment
        .clone()
        .context("enrolled")?;
    let before: PerformanceView = t
        .get(&format!("/sequences/{}/performance", a.id))
        .await?
        .json()?;

    // Only from one sequence: Ben is in B, so asking for A does nothing.
    let only_a = WorkflowUnenrollRequest {
        contact_id: Some(ben.id),
        sequence_id: Some(a.id),
        ..Default::default()
    };
    let r: WorkflowUnenrollResponse = workflow_call(&t, &key.key, &only_a).await?.json()?;
    assert!(r.unenrolled.is_empty());
    assert_eq!(t.enrollment(e_ben.id).await?.state, EnrollmentState::Active);

    let by_email = WorkflowUnenrollRequest {
        contact_email: Some(" ANA@globex.example".into()),
        workflow: Some("Deal closed-won".into()),
        ..Default::default()
    };
    let r: WorkflowUnenrollResponse = workflow_call(&t, &key.key, &by_email).await?.json()?;
    assert_eq!(r.unenrolled.len(), 1);
    let v = t.enrollment(e_ana.id).await?;
    assert_eq!(v.unenroll_reason, Some(UnenrollReason::Workflow));
    let by = v.ended_by.context("actor")?;
    assert_eq!(
        (by.kind, by.name.as_deref()),
        (ActorKind::Workflow, Some("Deal closed-won"))
    );
    assert_eq!(
        v.evidence.and_then(|e| e.workflow).as_deref(),
        Some("Deal closed-won")
    );
    let after: PerformanceView = t
        .get(&format!("/sequences/{}/performance", a.id))
        .await?
        .json()?;
    assert_eq!(
        (after.enrolled, after.emails_sent),
        (before.enrolled, before.emails_sent)
    );
    assert_eq!(
        after.unenrolled_by_reason,
        vec![ReasonCount {
            reason: UnenrollReason::Workflow,
            count: 1
        }]
    );

    let by_id = WorkflowUnenrollRequest {
        contact_id: Some(ben.id),
        ..Default::default()
    };
    assert_eq!(
        workflow_call(&t, &key.key, &by_id)
            .await?
            .json::<WorkflowUnenrollResponse>()?
            .unenrolled
            .len(),
        1
    );
    assert_eq!(
        workflow_call(&t, &key.key, &WorkflowUnenrollRequest::default())
            .await?
            .code(),
        "validation_failed"
    );

    // The same call on a professional account: 403 requires_enterprise, nothing changes.
    let pro = spawn_app(db).await?;
    let key: ApiKeyCreatedResponse = pro
        .post(
            "/api-keys",
            &ApiKeyRequest {
                name: "HubFlow".into(),
            },
        )
        .await?
        .json()?;
    let c = pro.contact("ana@globex.example", "Ana", None).await?;
    let s = pro.email_sequence("A", &[1]).await?;
    let e = pro.enroll(s.id, &[c.id]).await?.results[0]
        .enrollment
        .clone()
        .context("enrolled")?;
    let a = workflow_call(
        &pro,
        &key.key,
        &WorkflowUnenrollRequest {
            contact_id: Some(c.id),
            ..Default::default()
        },
    )
    .await?;
    assert_eq!((a.status, a.code().as_str()), (403, "requires_enterprise"));
    assert_eq!(pro.enrollment(e.id).await?.state, EnrollmentState::Active);
    Ok(())
}

async fn sequence_deleted(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let seq = t.email_sequence("Doomed", &[1, 1]).await?;
    let mut ids = Vec::new();
    for i in 0..3 {
        let c = t.contact(&format!("d{i}@doom.example"), "D", None).await?;
        ids.push(
            t.enroll(seq.id, &[c.id]).await?.results[0]
                .enrollment
                .clone()
                .context("enrolled")?
                .id,
        );
    }
    t.post(
        &format!("/enrollments/{}/unenroll", ids[2]),
        &UnenrollRequest::default(),
    )
    .await?;
    let before: PerformanceView = t
        .get(&format!("/sequences/{}/performance", seq.id))
        .await?
        .json()?;
    assert_eq!(
        t.delete(&format!("/sequences/{}", seq.id)).await?.status,
        204
    );
    for id in &ids[..2] {
        let v = t.enrollment(*id).await?;
        assert_eq!(v.unenroll_reason, Some(UnenrollReason::SequenceDeleted));
        assert_eq!(
            v.ended_by.and_then(|a| a.user).map(|u| u.id),
            Some(t.user.id.0)
        );
    }
    assert_eq!(
        t.enrollment(ids[2]).await?.unenroll_reason,
        Some(UnenrollReason::Manual),
        "already ended: untouched"
    );
    let after: PerformanceView = t
        .get(&format!("/sequences/{}/performance", seq.id))
        .await?
        .json()?;
    assert_eq!(
        (after.enrolled, after.emails_sent),
        (before.enrolled, before.emails_sent),
        "history stays readable"
    );
    assert_eq!(after.unenrolled, 3);
    let list: EnrollmentListResponse = t
        .get(&format!("/sequences/{}/enrollments", seq.id))
        .await?
        .json()?;
    assert_eq!(list.enrollments.len(), 3);
    t.advance_and_tick(chrono::Duration::days(5)).await?;
    assert_eq!(
        t.smtp.messages().len(),
        3,
        "nothing sent after the deletion"
    );
    Ok(())
}

async fn token(t: &TestApp, id: i64) -> Result<String> {
    Ok(t.app
        .session_token(
            &t.app
                .store
                .user(t.account.id, UserId(id))
                .await?
                .context("user")?,
        )
        .token)
}

async fn creator(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mk = |email: &str| CreateUserRequest {
        email: email.into(),
        name: email.into(),
        role: Role::User,
        seat: Some(Seat::SalesPro),
        password: None,
    };
    let dana: UserView = t.post("/users", &mk("dana@seller.example")).await?.json()?;
    let sam: UserView = t.post("/users", &mk("sam@seller.example")).await?.json()?;
    let (dt, st) = (token(&t, dana.id).await?, token(&t, sam.id).await?);
    let seq_body = |name: &str| SequenceRequest {
        name: name.into(),
        steps: vec![
            StepRequest {
                kind: StepKind::AutomatedEmail,
                delay_days: 0,
                business_days: false,
                subject: "Hi".into(),
                body: "Hi".into(),
            },
            StepRequest {
                kind: StepKind::CallTask,
                delay_days: 1,
                business_days: false,
                subject: "Call".into(),
                body: String::new(),
            },
        ],
        send_window: SendWindow::default(),
        unenroll_same_company: false,
        ooo_policy: None,
    };
    let dseq: SequenceView = t
        .send_as(&dt, Method::POST, "/sequences", &seq_body("Dana's"))
        .await?
        .json()?;
    let sseq: SequenceView = t
        .send_as(&st, Method::POST, "/sequences", &seq_body("Sam's"))
        .await?
        .json()?;
    let c1 = t.contact("c1@x.example", "C", None).await?;
    let c2 = t.contact("c2@x.example", "C", None).await?;
    let c3 = t.contact("c3@x.example", "C", None).await?;
    // The admin enrolls c1 in Dana's sequence: the creator decides, not the enroller.
    let e1 = t.enroll(dseq.id, &[c1.id]).await?.results[0]
        .enrollment
        .clone()
        .context("enrolled")?;
    let e2 = t.enroll(sseq.id, &[c2.id]).await?.results[0]
        .enrollment
        .clone()
        .context("enrolled")?;
    let e3 = t.enroll(sseq.id, &[c3.id]).await?.results[0]
        .enrollment
        .clone()
        .context("enrolled")?;

    let r: UserUpdateResponse = t
        .send_as(
            &t.token(),
            Method::PATCH,
            &format!("/users/{}", dana.id),
            &serde_json::json!({"seat": null}),
        )
        .await?
        .json()?;
    assert_eq!((r.user.seat, r.unenrolled), (None, 1));
    let v = t.enrollment(e1.id).await?;
    assert_eq!(v.unenroll_reason, Some(UnenrollReason::CreatorDowngraded));
    assert!(v
        .evidence
        .and_then(|e| e.note)
        .unwrap_or_default()
        .contains("dana@seller.example"));
    assert_eq!(
        t.enrollment(e2.id).await?.state,
        EnrollmentState::Active,
        "other creators' sequences are untouched"
    );
    let a = t
        .send_as(
            &dt,
            Method::POST,
            &format!("/sequences/{}/enrollments", dseq.id),
            &EnrollRequest {
                contact_ids: vec![c1.id],
            },
        )
        .await?;
    assert_eq!(
        a.code(),
        "requires_seat",
        "without a seat Dana can no longer enroll"
    );

    let other_seq = t.email_sequence("Admin's", &[]).await?;
    let before: PerformanceView = t
        .get(&format!("/sequences/{}/performance", sseq.id))
        .await?
        .json()?;
    let r: UserUpdateResponse = t.delete(&format!("/users/{}", sam.id)).await?.json()?;
    assert_eq!((r.user.status, r.unenrolled), (UserStatus::Deleted, 2));
    for e in [&e2, &e3] {
        assert_eq!(
            t.enrollment(e.id).await?.unenroll_reason,
            Some(UnenrollReason::CreatorDeleted)
        );
    }
    let after: PerformanceView = t
        .get(&format!("/sequences/{}/performance", sseq.id))
        .await?
        .json()?;
    assert_eq!(
        (after.enrolled, after.emails_sent, after.tasks_created),
        (before.enrolled, before.emails_sent, before.tasks_created)
    );
    assert_eq!(
        t.get_as(&st, "/me").await?.status,
        401,
        "a deleted user's session ends"
    );
    assert_eq!(
        t.get(&format!("/sequences/{}", other_seq.id)).await?.status,
        200
    );

    // Deactivation counts as deletion; a deleted user cannot come back.
    let a = t
        .send_as(
            &t.token(),
            Method::PATCH,
            &format!("/users/{}", sam.id),
            &UpdateUserRequest {
                status: Some(UserStatus::Active),
                ..Default::default()
            },
        )
        .await?;
    assert_eq!(a.code(), "validation_failed");
    let r: UserUpdateResponse = t
        .send_as(
            &t.token(),
            Method::PATCH,
            &format!("/users/{}", dana.id),
            &UpdateUserRequest {
                status: Some(UserStatus::Deactivated),
                ..Default::default()
            },
        )
        .await?
        .json()?;
    assert_eq!(r.unenrolled, 0, "nothing left to end");
    let users: UserListResponse = t.get("/users").await?.json()?;
    assert_eq!(users.users.len(), 3);
    let me = format!("/users/{}", t.user.id.0);
    let a = t
        .send_as(
            &t.token(),
            Method::PATCH,
            &me,
            &UpdateUserRequest {
                status: Some(UserStatus::Deactivated),
                ..Default::default()
            },
        )
        .await?;
    assert_eq!(
        a.code(),
        "validation_failed",
        "an admin cannot lock themselves out"
    );
    let not_admin = t.get_as(&dt, "/users").await?;
    assert_eq!(not_admin.status, 401, "deactivated");
    Ok(())
}

async fn contact_deleted(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let seq = t.email_sequence("S", &[1]).await?;
    let c = t.contact("gone@x.example", "Gone", None).await?;
    let e = t.enroll(seq.id, &[c.id]).await?.results[0]
        .enrollment
        .clone()
        .context("enrolled")?;
    let before: PerformanceView = t
        .get(&format!("/sequences/{}/performance", seq.id))
        .await?
        .json()?;
    assert_eq!(t.delete(&format!("/contacts/{}", c.id)).await?.status, 204);
    let v = t.enrollment(e.id).await?;
    assert_eq!(v.unenroll_reason, Some(UnenrollReason::ContactDeleted));
    assert_eq!(v.ended_by.map(|a| a.kind), Some(ActorKind::User));
    assert_eq!(t.get(&format!("/contacts/{}", c.id)).await?.status, 404);
    let after: PerformanceView = t
        .get(&format!("/sequences/{}/performance", seq.id))
        .await?
        .json()?;
    assert_eq!(
        (after.enrolled, after.emails_sent, after.unenrolled),
        (before.enrolled, before.emails_sent, 1)
    );
    t.advance_and_tick(chrono::Duration::days(3)).await?;
    assert_eq!(t.smtp.to(&c.email).len(), 1);
    Ok(())
}
