//! Manual unenroll (one, bulk, by email): evidence, no email afterwards, figures unchanged.

use anyhow::Result;
use chrono::Duration;
use sequencer_tests::*;
use shared::*;

both_backends! {
    unenrolling_one_records_the_user_and_surface_and_stops_sending => unenroll_one;
    bulk_unenroll_answers_per_item => bulk;
    unenroll_by_email_matches_secondary_addresses => by_email;
    performance_figures_are_identical_before_and_after_unenrolling => figures_unchanged;
}

async fn unenroll_one(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let c = t.contact("ana@globex.example", "Ana", None).await?;
    let seq = t.email_sequence("Intro", &[1, 1]).await?;
    let e = t.enroll(seq.id, &[c.id]).await?.results[0]
        .enrollment
        .clone()
        .expect("enrolled");
    t.smtp.wait_for(&c.email, 1).await?;

    let a = t
        .post(
            &format!("/enrollments/{}/unenroll", e.id),
            &UnenrollRequest {
                surface: Some(UnenrollSurface::ContactRecord),
            },
        )
        .await?;
    assert_eq!(a.status, 200, "{}", a.body);
    let v: EnrollmentView = a.json()?;
    assert_eq!(v.state, EnrollmentState::Unenrolled);
    assert_eq!(v.unenroll_reason, Some(UnenrollReason::Manual));
    let by = v.ended_by.expect("actor");
    assert_eq!(by.kind, ActorKind::User);
    assert_eq!(
        by.user.map(|u| u.email),
        Some("rep@seller.example".to_string())
    );
    assert_eq!(
        v.evidence.and_then(|e| e.surface),
        Some(UnenrollSurface::ContactRecord)
    );

    let again = t
        .post(
            &format!("/enrollments/{}/unenroll", e.id),
            &UnenrollRequest::default(),
        )
        .await?;
    assert_eq!(
        (again.status, again.code().as_str()),
        (409, "enrollment_not_active")
    );

    t.advance_and_tick(Duration::days(10)).await?;
    assert_eq!(t.smtp.to(&c.email).len(), 1, "no email after the unenroll");

    let record: ContactRecordView = t.get(&format!("/contacts/{}/record", c.id)).await?.json()?;
    assert!(record.current_enrollment.is_none());
    assert_eq!(record.past_enrollments.len(), 1);
    let kinds: Vec<&str> = record.timeline.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, vec!["unenrolled", "email_sent", "enrolled"]);
    Ok(())
}

async fn bulk(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let seq = t.email_sequence("Bulk", &[1]).await?;
    let mut ids = Vec::new();
    for i in 0..3 {
        let c = t.contact(&format!("p{i}@bulk.example"), "P", None).await?;
        ids.push(
            t.enroll(seq.id, &[c.id]).await?.results[0]
                .enrollment
                .clone()
                .expect("enrolled")
                .id,
        );
    }
    let first = t
        .post(
            "/enrollments/unenroll",
            &BulkUnenrollRequest {
                enrollment_ids: vec![ids[0]],
                surface: None,
            },
        )
        .await?;
    assert_eq!(first.status, 200);
    let req = BulkUnenrollRequest {
        enrollment_ids: vec![ids[0], ids[1], ids[2], 999_999],
        surface: Some(UnenrollSurface::Bulk),
    };
    let r: BulkUnenrollResponse = t.post("/enrollments/unenroll", &req).await?.json()?;
    assert_eq!(r.unenrolled, 2);
    let codes: Vec<Option<ErrorCode>> = r
        .results
        .iter()
        .map(|i| i.error.as_ref().map(|e| e.code))
        .collect();
    assert_eq!(
        codes,
        vec![
            Some(ErrorCode::EnrollmentNotActive),
            None,
            None,
            Some(ErrorCode::NotFound)
        ]
    );
    let list: EnrollmentListResponse = t
        .get(&format!(
            "/sequences/{}/enrollments?state=unenrolled",
            seq.id
        ))
        .await?
        .json()?;
    assert_eq!(list.enrollments.len(), 3);
    assert!(list
        .enrollments
        .iter()
        .all(|e| e.evidence.as_ref().and_then(|x| x.surface) == Some(UnenrollSurface::Bulk)));
    let scheduled: ScheduledResponse = t
        .get(&format!("/sequences/{}/scheduled", seq.id))
        .await?
        .json()?;
    assert!(scheduled.scheduled.is_empty());
    Ok(())
}

async fn by_email(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let req = ContactRequest {
        email: "dev@initech.example".into(),
        secondary_emails: vec!["Dev.Patel@Gmail.com".into()],
        first_name: "Dev".into(),
        last_name: "Patel".into(),
        title: String::new(),
        company_id: None,
        owner_id: None,
    };
    let c: ContactView = t.post("/contacts", &req).await?.json()?;
    assert_eq!(c.secondary_emails, vec!["dev.patel@gmail.com"]);
    let seq = t.email_sequence("Mail", &[1]).await?;
    t.enroll(seq.id, &[c.id]).await?;
    let r: RecipientsResponse = t
        .get(
            "/recipients?email=DEV.PATEL@gmail.com&email=nobody@nowhere.example&email=not-an-email",
        )
        .await?
        .json()?;
    assert_eq!(
        r.recipients[0].contact.as_ref().map(|c| c.email.as_str()),
        Some("dev@initech.example")
    );
    let banner = r.recipients[0].enrollment.clone().expect("enrolled");
    assert_eq!(
        (
            banner.sequence_name.as_str(),
            banner.step_number,
            banner.total_steps
        ),
        ("Mail", 2, 2)
    );
    assert!(r.recipients[1].contact.is_none() && r.recipients[1].error.is_none());
    assert_eq!(
        r.recipients[2].error.as_ref().map(|e| e.code),
        Some(ErrorCode::InvalidEmail)
    );

    let req = UnenrollByEmailRequest {
        email: " dev.patel@GMAIL.com ".into(),
        surface: Some(UnenrollSurface::GmailPanel),
    };
    let out: UnenrollByEmailResponse = t
        .post("/enrollments/unenroll-by-email", &req)
        .await?
        .json()?;
    assert_eq!(out.unenrolled.len(), 1);
    assert_eq!(
        out.unenrolled[0].evidence.as_ref().and_then(|e| e.surface),
        Some(UnenrollSurface::GmailPanel)
    );
    let r: RecipientsResponse = t
        .get("/recipients?email=dev@initech.example")
        .await?
        .json()?;
    assert!(r.recipients[0].enrollment.is_none());
    assert_eq!(
        r.recipients[0].recent_unenrollments[0].reason,
        UnenrollReason::Manual
    );
    let missing = t
        .post(
            "/enrollments/unenroll-by-email",
            &UnenrollByEmailRequest {
                email: "ghost@nowhere.example".into(),
                surface: None,
            },
        )
        .await?;
    assert_eq!(
        (missing.status, missing.code().as_str()),
        (404, "not_found")
    );
    Ok(())
}

async fn figures_unchanged(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let seq = t.email_sequence("Figures", &[1, 1]).await?;
    let mut ids = Vec::new();
    for i in 0..4 {
        let c = t.contact(&format!("f{i}@fig.example"), "F", None).await?;
        ids.push(
            t.enroll(seq.id, &[c.id]).await?.results[0]
                .enrollment
                .clone()
                .expect("enrolled")
                .id,
        );
    }
    t.advance_and_tick(Duration::days(1)).await?;
    let before: PerformanceView = t
        .get(&format!("/sequences/{}/performance", seq.id))
        .await?
        .json()?;
    assert_eq!((before.enrolled, before.emails_sent), (4, 8));
    t.post(
        "/enrollments/unenroll",
        &BulkUnenrollRequest {
            enrollment_ids: ids[..2].to_vec(),
            surface: None,
        },
    )
    .await?;
    let after: PerformanceView = t
        .get(&format!("/sequences/{}/performance", seq.id))
        .await?
        .json()?;
    assert_eq!(
        (
            after.enrolled,
            after.emails_sent,
            after.replies,
            after.meetings,
            after.bounces,
            after.finished
        ),
        (
            before.enrolled,
            before.emails_sent,
            before.replies,
            before.meetings,
            before.bounces,
            before.finished
        )
    );
    assert_eq!(after.unenrolled, 2);
    assert_eq!(
        after.unenrolled_by_reason,
        vec![ReasonCount {
            reason: UnenrollReason::Manual,
            count: 2
        }]
    );
    Ok(())
}
