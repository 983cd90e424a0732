//! Enrolling runs step 1 at once; later steps run when due; the last step finishes the enrollment.

use anyhow::Result;
use chrono::Duration;
use sequencer_tests::*;
use shared::*;

both_backends! {
    step_one_is_sent_at_enrollment_and_follow_ups_thread_when_due => step_one_then_follow_ups;
    enrolling_twice_is_refused_with_contact_already_enrolled => enrolling_twice;
    task_steps_create_tasks_and_the_last_step_finishes => tasks_and_completion;
}

async fn step_one_then_follow_ups(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let c = t.contact("ana@globex.example", "Ana", None).await?;
    let seq = t.email_sequence("Intro", &[2, 3]).await?;
    let res = t.enroll(seq.id, &[c.id]).await?;
    let e = res.results[0].enrollment.clone().expect("enrolled");
    assert_eq!(e.state, EnrollmentState::Active);
    assert_eq!(e.current_step, 2, "step 1 already ran");

    let first = t.smtp.wait_for(&c.email, 1).await?;
    assert_eq!(
        first[0].header("Subject").as_deref(),
        Some("Intro: hello Ana")
    );
    assert!(first[0]
        .header("From")
        .unwrap_or_default()
        .contains("rep@seller.example"));
    let first_id = first[0].header("Message-ID").expect("message id");
    let stored = t
        .app
        .store
        .sent_messages(sequencer_server::domain::EnrollmentId(e.id))
        .await?;
    assert_eq!(
        format!("<{}>", stored[0].1),
        first_id,
        "the Message-ID was stored before sending"
    );

    // Not yet due: one minute early.
    t.advance_and_tick(Duration::days(2) - Duration::minutes(1))
        .await?;
    assert_eq!(t.smtp.to(&c.email).len(), 1);
    let r = t.advance_and_tick(Duration::minutes(1)).await?;
    assert_eq!(r.emails_sent, 1);
    let msgs = t.smtp.wait_for(&c.email, 2).await?;
    let second = msgs
        .iter()
        .find(|m| m.header("Message-ID") != Some(first_id.clone()))
        .expect("second");
    assert_eq!(second.header("In-Reply-To"), Some(first_id.clone()));
    assert_eq!(
        second.header("Subject").as_deref(),
        Some("Re: Intro: hello Ana")
    );

    t.advance_and_tick(Duration::days(3)).await?;
    t.smtp.wait_for(&c.email, 3).await?;
    let done = t.enrollment(e.id).await?;
    assert_eq!(done.state, EnrollmentState::Finished);
    assert_eq!(
        done.unenroll_reason, None,
        "completion is not an unenrollment"
    );
    let events = t
        .app
        .store
        .timeline(
            t.account.id,
            sequencer_server::domain::ContactId(c.id),
            true,
            50,
        )
        .await?;
    let finished = events
        .iter()
        .find(|e| e.kind == "finished")
        .expect("a finished event");
    assert_eq!(finished.reason.as_deref(), Some("completed"));

    t.advance_and_tick(Duration::days(30)).await?;
    assert_eq!(
        t.smtp.to(&c.email).len(),
        3,
        "nothing is sent after the last step"
    );
    Ok(())
}

async fn enrolling_twice(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let c = t.contact("ben@globex.example", "Ben", None).await?;
    let a = t.email_sequence("A", &[1]).await?;
    let b = t.email_sequence("B", &[1]).await?;
    t.enroll(a.id, &[c.id]).await?;
    let again = t.enroll(b.id, &[c.id]).await?;
    let err = again.results[0].error.clone().expect("refused");
    assert_eq!(err.code, ErrorCode::ContactAlreadyEnrolled);
    assert_eq!(t.smtp.wait_for(&c.email, 1).await?.len(), 1);
    Ok(())
}

async fn tasks_and_completion(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let c = t.contact("carla@initech.example", "Carla", None).await?;
    let req = SequenceRequest {
        name: "Call then email".into(),
        steps: vec![
            StepRequest {
                kind: StepKind::CallTask,
                delay_days: 0,
                business_days: false,
                subject: "Call {{contact.first_name}}".into(),
                body: String::new(),
            },
            StepRequest {
                kind: StepKind::AutomatedEmail,
                delay_days: 1,
                business_days: false,
                subject: "After our call".into(),
                body: "Hi {{contact.first_name}}".into(),
            },
        ],
        send_window: SendWindow::default(),
        unenroll_same_company: false,
        ooo_policy: None,
    };
    let seq: SequenceView = t.post("/sequences", &req).await?.json()?;
    let e = t.enroll(seq.id, &[c.id]).await?.results[0]
        .enrollment
        .clone()
        .expect("enrolled");
    assert!(t.smtp.to(&c.email).is_empty(), "a call task sends no email");
    let recorded = t
        .app
        .store
        .sent_messages(sequencer_server::domain::EnrollmentId(e.id))
        .await?;
    assert!(
        recorded.is_empty(),
        "a task step records no email: {recorded:?}"
    );
    let record: ContactRecordView = t.get(&format!("/contacts/{}/record", c.id)).await?.json()?;
    assert!(record
        .timeline
        .iter()
        .any(|ev| ev.kind == "task_created" && ev.summary.contains("Call Carla")));
    t.advance_and_tick(Duration::days(1)).await?;
    t.smtp.wait_for(&c.email, 1).await?;
    assert_eq!(t.enrollment(e.id).await?.state, EnrollmentState::Finished);
    let perf: PerformanceView = t
        .get(&format!("/sequences/{}/performance", seq.id))
        .await?
        .json()?;
    assert_eq!(
        (
            perf.enrolled,
            perf.emails_sent,
            perf.tasks_created,
            perf.finished,
            perf.unenrolled
        ),
        (1, 1, 1, 1, 0)
    );
    Ok(())
}
