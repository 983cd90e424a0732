//! The send path under faults (issue 19, findings 2, 3 and 10): a relay that stops answering
//! never blocks API writes or other sends, and its send is held, not repeated; a send whose
//! outcome is unknown is never retried; permanent failures are not retried and temporary ones
//! only up to the limit; one poisoned enrollment is held with its error while the rest of the
//! pass is sent; the scheduler is restarted after a panic and readiness says when it is down.
//!
//! The relay is `tests/src/relay.rs`, its behaviour chosen per recipient. Mail deadlines are
//! short ([`quick`]) so a hanging step resolves within seconds.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use sequencer_server::clock::Clock;
use sequencer_server::domain::{EnrollmentId, Millis, Tier};
use sequencer_server::mail::{MailTimeouts, Mailer};
use sequencer_server::service::App;
use sequencer_server::worker::{self, WorkerConfig};
use sequencer_tests::relay::{Behavior, Relay};
use sequencer_tests::*;
use shared::*;

both_backends! {
    a_relay_that_never_answers_blocks_no_api_write_and_no_other_account_and_its_send_is_held_not_resent => stuck_relay;
    an_unenroll_during_a_hanging_send_answers_after_its_outcome_is_recorded_and_nothing_follows => unenroll_during_hang;
    every_kind_of_unknown_outcome_after_data_is_held_for_review_and_never_sent_again => unknown_outcomes;
    every_kind_of_permanent_failure_ends_or_holds_the_enrollment_without_a_retry => permanent_failures;
    a_temporary_failure_is_retried_with_growing_delays_and_held_at_the_attempt_limit => temporary_failures;
    every_kind_of_poisoned_row_is_held_with_its_error_while_another_account_is_sent => poisoned_rows;
    the_scheduler_restarts_after_a_panic_and_readiness_reports_when_it_is_down => supervisor;
    every_kind_of_relay_outage_holds_the_queue_without_charging_any_contact => relay_outage;
}

/// Deadlines used by these tests: a hanging DATA resolves after 6 s.
fn quick() -> MailTimeouts {
    MailTimeouts {
        connect: Duration::from_secs(1),
        command: Duration::from_secs(1),
        data: Duration::from_secs(6),
    }
}

/// What an API write may take while the relay hangs (less than the DATA deadline, so a write
/// waiting for the send would fail it).
const WRITE_BOUND: Duration = Duration::from_secs(4);

async fn with_relay(db: Db) -> Result<(TestApp, Relay)> {
    let relay = Relay::start().await?;
    let url = relay.url();
    let t = spawn_app_configured(db, Tier::Professional, move |app| App {
        mailer: Arc::new(Mailer::from_url_with(&url, quick()).expect("a relay URL")),
        ..app
    })
    .await?;
    Ok((t, relay))
}

async fn enroll_one(t: &TestApp, seq: i64, contact: i64) -> Result<i64> {
    Ok(t.enroll(seq, &[contact]).await?.results[0]
        .enrollment
        .clone()
        .context("enrolled")?
        .id)
}

async fn sql(t: &TestApp, statement: &str, text: &str, id: i64) -> Result<()> {
    sqlx::query(statement)
        .bind(text)
        .bind(id)
        .execute(t.app.store.pool())
        .await?;
    Ok(())
}

/// States of the enrollment's messages, oldest first.
async fn message_states(t: &TestApp, id: i64) -> Result<Vec<String>> {
    Ok(t.app
        .store
        .sent_messages(EnrollmentId(id))
        .await?
        .into_iter()
        .map(|m| m.2)
        .collect())
}

/// A contact, an email sequence and an enrollment in another account, through the API as
/// that account's admin; step 1 is sent at once.
async fn other_account_enrollment(t: &TestApp, email: &str) -> Result<i64> {
    let token = t.other_account_token().await?;
    let c = t
        .send_as(
            &token,
            reqwest::Method::POST,
            "/contacts",
            &ContactRequest {
                email: email.into(),
                secondary_emails: vec![],
                first_name: "Cal".into(),
                last_name: "Other".into(),
                title: String::new(),
                company_id: None,
                owner_id: None,
            },
        )
        .await?;
    ensure!(c.status == 201, "{} {}", c.status, c.body);
    let steps = (0..2)
        .map(|i| StepRequest {
            kind: StepKind::AutomatedEmail,
            delay_days: if i == 0 { 0 } else { 1 },
            business_days: false,
            subject: if i == 0 {
                "Hello".into()
            } else {
                String::new()
            },
            body: "Hi".into(),
        })
        .collect();
    let s = t
        .send_as(
            &token,
            reqwest::Method::POST,
            "/sequences",
            &SequenceRequest {
                name: "Other".into(),
                steps,
                send_window: SendWindow::default(),
                unenroll_same_company: false,
                ooo_policy: None,
            },
        )
        .await?;
    ensure!(s.status == 201, "{} {}", s.status, s.body);
    let seq: SequenceView = s.json()?;
    let contact: ContactView = c.json()?;
    let e = t
        .send_as(
            &token,
            reqwest::Method::POST,
            &format!("/sequences/{}/enrollments", seq.id),
            &EnrollRequest {
                contact_ids: vec![contact.id],
            },
        )
        .await?;
    ensure!(e.status == 200, "{} {}", e.status, e.body);
    let e: EnrollResponse = e.json()?;
    Ok(e.results[0].enrollment.clone().context("enrolled")?.id)
}

async fn stuck_relay(db: Db) -> Result<()> {
    let (t, relay) = with_relay(db).await?;
    let seq = t.email_sequence("Stuck", &[1]).await?;
    let later = t.email_sequence("Later", &[9]).await?;
    let stuck = t.contact("stuck@hang.example", "Sam", None).await?;
    let idle = t.contact("idle@wait.example", "Ida", None).await?;
    let stuck_id = enroll_one(&t, seq.id, stuck.id).await?;
    let idle_id = enroll_one(&t, later.id, idle.id).await?;
    // Another account's step 2 comes due in the same pass as the stuck one.
    let calm_id = other_account_enrollment(&t, "calm@other.example").await?;
    assert_eq!(relay.accepted_to("calm@other.example"), 1);
    relay.rule("stuck@", Behavior::SilentAfterData);
    t.clock.advance(chrono::Duration::days(1));
    let started = Instant::now();
    let ticker = {
        let app = t.app.clone();
        tokio::spawn(async move { app.tick(app.now(), 100).await })
    };
    relay.wait_for_payloads("stuck@hang.example", 2).await?;
    // The relay now holds step 2 and will never answer. Writes go through meanwhile.
    let w = Instant::now();
    t.contact("new@during.example", "Nia", None).await?;
    assert!(
        w.elapsed() < WRITE_BOUND,
        "creating a contact took {:?} while the relay hung",
        w.elapsed()
    );
    let w = Instant::now();
    let a = t
        .post(
            &format!("/enrollments/{idle_id}/unenroll"),
            &UnenrollRequest::default(),
        )
        .await?;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(
        w.elapsed() < WRITE_BOUND,
        "unenrolling took {:?} while the relay hung",
        w.elapsed()
    );
    let report = tokio::time::timeout(Duration::from_secs(30), ticker)
        .await
        .context("the pass never finished")???;
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the pass took {:?}",
        started.elapsed()
    );
    assert_eq!(
        (report.unknown_outcome, report.emails_sent),
        (1, 1),
        "{report:?}"
    );
    assert_eq!(
        relay.accepted_to("calm@other.example"),
        2,
        "the other account's step 2 was sent in the same pass"
    );
    assert_eq!(
        message_states(&t, calm_id).await?,
        vec!["sent".to_string(), "sent".to_string()]
    );
    let v = t.enrollment(stuck_id).await?;
    assert_eq!(
        (v.state, v.pause_reason),
        (EnrollmentState::Paused, Some(PauseReason::HeldForReview))
    );
    let note = v.evidence.and_then(|e| e.note).unwrap_or_default();
    assert!(note.contains("may or may not"), "{note}");
    assert_eq!(
        message_states(&t, stuck_id).await?,
        vec!["sent".to_string(), "unknown".to_string()]
    );
    let record: ContactRecordView = t
        .get(&format!("/contacts/{}/record", stuck.id))
        .await?
        .json()?;
    assert_eq!(record.timeline[0].kind, "send_outcome_unknown");
    // The relay answers again: nothing is re-sent to the held contact.
    relay.rule("stuck@", Behavior::Accept);
    t.advance_and_tick(chrono::Duration::days(3)).await?;
    t.advance_and_tick(chrono::Duration::days(3)).await?;
    assert_eq!(relay.payloads_to("stuck@hang.example").len(), 2);
    Ok(())
}

async fn unenroll_during_hang(db: Db) -> Result<()> {
    let (t, relay) = with_relay(db).await?;
    let seq = t.email_sequence("Hang", &[1, 1]).await?;
    let c = t.contact("hang@wait.example", "Hal", None).await?;
    let id = enroll_one(&t, seq.id, c.id).await?;
    relay.rule("hang@", Behavior::SilentAfterData);
    t.clock.advance(chrono::Duration::days(1));
    let ticker = {
        let app = t.app.clone();
        tokio::spawn(async move { app.tick(app.now(), 100).await })
    };
    relay.wait_for_payloads("hang@wait.example", 2).await?;
    let a = tokio::time::timeout(
        Duration::from_secs(30),
        t.post(
            &format!("/enrollments/{id}/unenroll"),
            &UnenrollRequest::default(),
        ),
    )
    .await
    .context("the unenroll never answered")??;
    assert_eq!(a.status, 200, "{}", a.body);
    // The answer came once the hanging send's outcome was recorded, not before.
    assert_eq!(
        message_states(&t, id).await?,
        vec!["sent".to_string(), "unknown".to_string()],
        "the unenroll answered while the email was still with the relay"
    );
    let report = tokio::time::timeout(Duration::from_secs(30), ticker)
        .await
        .context("the pass never finished")???;
    assert_eq!(report.unknown_outcome, 1, "{report:?}");
    let v = t.enrollment(id).await?;
    assert_eq!(
        (v.state, v.unenroll_reason),
        (EnrollmentState::Unenrolled, Some(UnenrollReason::Manual))
    );
    relay.rule("hang@", Behavior::Accept);
    t.advance_and_tick(chrono::Duration::days(2)).await?;
    t.advance_and_tick(chrono::Duration::days(2)).await?;
    assert_eq!(
        relay.payloads_to("hang@wait.example").len(),
        2,
        "nothing reached the relay after the unenroll answered"
    );
    Ok(())
}

async fn unknown_outcomes(db: Db) -> Result<()> {
    let (t, relay) = with_relay(db).await?;
    let seq = t.email_sequence("Unknown", &[1, 1]).await?;
    let kinds = [
        ("drop@kind.example", Behavior::DropAfterData),
        ("silent@kind.example", Behavior::SilentAfterData),
        (
            "garbage@kind.example",
            Behavior::RefuseData("this is not an SMTP reply".into()),
        ),
    ];
    let mut ids = Vec::new();
    for (email, _) in &kinds {
        let c = t.contact(email, "U", None).await?;
        ids.push((c.id, enroll_one(&t, seq.id, c.id).await?));
    }
    for (email, behavior) in &kinds {
        relay.rule(email, behavior.clone());
    }
    let r = t.advance_and_tick(chrono::Duration::days(1)).await?;
    assert_eq!(
        (r.unknown_outcome, r.emails_sent, r.failed),
        (3, 0, 0),
        "{r:?}"
    );
    for ((email, _), (contact, id)) in kinds.iter().zip(&ids) {
        let v = t.enrollment(*id).await?;
        assert_eq!(
            (v.state, v.pause_reason),
            (EnrollmentState::Paused, Some(PauseReason::HeldForReview)),
            "{email}"
        );
        assert_eq!(
            message_states(&t, *id).await?,
            vec!["sent".to_string(), "unknown".to_string()],
            "{email}"
        );
        let record: ContactRecordView = t
            .get(&format!("/contacts/{contact}/record"))
            .await?
            .json()?;
        assert_eq!(record.timeline[0].kind, "send_outcome_unknown", "{email}");
    }
    // Much later, with a healthy relay: nothing more reaches any of them.
    for (email, _) in &kinds {
        relay.rule(email, Behavior::Accept);
    }
    t.advance_and_tick(chrono::Duration::days(2)).await?;
    t.advance_and_tick(chrono::Duration::days(30)).await?;
    for (email, _) in &kinds {
        assert_eq!(
            relay.payloads_to(email).len(),
            2,
            "{email} got a blind retry"
        );
    }
    Ok(())
}

async fn permanent_failures(db: Db) -> Result<()> {
    let (t, relay) = with_relay(db).await?;
    let seq = t.email_sequence("Permanent", &[1, 1]).await?;
    // (address, relay behaviour or None for an address the mail library refuses, expected
    // state, unenroll reason, address marked bounced)
    type Kind = (
        &'static str,
        Option<Behavior>,
        EnrollmentState,
        Option<UnenrollReason>,
        bool,
    );
    let kinds: Vec<Kind> = vec![
        (
            "gone@perm.example",
            Some(Behavior::RefuseRcpt(
                "550 5.1.1 <gone@perm.example>: Recipient address rejected: User unknown in virtual mailbox table".into(),
            )),
            EnrollmentState::Unenrolled,
            Some(UnenrollReason::Bounced),
            true,
        ),
        (
            "policy@perm.example",
            Some(Behavior::RefuseRcpt("554 5.7.1 <policy@perm.example>: Relay access denied".into())),
            EnrollmentState::Unenrolled,
            Some(UnenrollReason::Bounced),
            false,
        ),
        (
            "content@perm.example",
            Some(Behavior::RefuseData("554 5.7.1 Message rejected as spam by Content Filtering".into())),
            EnrollmentState::Unenrolled,
            Some(UnenrollReason::Bounced),
            false,
        ),
        ("unbuildable@perm.example", None, EnrollmentState::Paused, None, false),
    ];
    let mut ids = Vec::new();
    for (email, _, _, _, _) in &kinds {
        let c = t.contact(email, "P", None).await?;
        ids.push((c.id, enroll_one(&t, seq.id, c.id).await?));
    }
    for ((email, behavior, ..), (contact, _)) in kinds.iter().zip(&ids) {
        match behavior {
            Some(b) => relay.rule(email, b.clone()),
            // Stored behind the edge's validation: an address lettre refuses.
            None => {
                sql(
                    &t,
                    "UPDATE contacts SET email = $1 WHERE id = $2",
                    "unbuild\\able@perm.example",
                    *contact,
                )
                .await?
            }
        }
    }
    let r = t.advance_and_tick(chrono::Duration::days(1)).await?;
    assert_eq!(
        (r.emails_sent, r.failed, r.bounced, r.held),
        (0, 0, 3, 1),
        "{r:?}"
    );
    for ((email, _, state, reason, marked), (contact, id)) in kinds.iter().zip(&ids) {
        let v = t.enrollment(*id).await?;
        assert_eq!((v.state, v.unenroll_reason), (*state, *reason), "{email}");
        if *state == EnrollmentState::Paused {
            assert_eq!(v.pause_reason, Some(PauseReason::HeldForReview), "{email}");
            let note = v.evidence.and_then(|e| e.note).unwrap_or_default();
            assert!(note.contains("invalid address"), "{email}: {note}");
        }
        let cv: ContactView = t.get(&format!("/contacts/{contact}")).await?.json()?;
        assert_eq!(
            cv.email_status == EmailStatus::Bounced,
            *marked,
            "{email}: address marking"
        );
    }
    let attempts: Vec<usize> = kinds.iter().map(|k| relay.rcpt_attempts(k.0)).collect();
    for _ in 0..3 {
        t.advance_and_tick(chrono::Duration::days(2)).await?;
    }
    for ((email, ..), before) in kinds.iter().zip(attempts) {
        assert_eq!(relay.rcpt_attempts(email), before, "{email} was retried");
    }
    assert_eq!(
        relay.rcpt_attempts("able@perm.example"),
        1,
        "only step 1 went out"
    );
    Ok(())
}

async fn temporary_failures(db: Db) -> Result<()> {
    let (t, relay) = with_relay(db).await?;
    let seq = t.email_sequence("Temporary", &[1]).await?;
    let c = t.contact("later@temp.example", "T", None).await?;
    let id = enroll_one(&t, seq.id, c.id).await?;
    relay.rule(
        "later@",
        Behavior::RefuseRcpt("451 4.3.0 <later@temp.example>: Temporary lookup failure".into()),
    );
    // Step 2 (after step 1's accepted RCPT): attempts 1..=5 with 5, 10, 20, 40 minutes between.
    t.advance_and_tick(chrono::Duration::days(1)).await?;
    assert_eq!(relay.rcpt_attempts("later@"), 2);
    t.advance_and_tick(chrono::Duration::minutes(4)).await?;
    assert_eq!(relay.rcpt_attempts("later@"), 2, "retried before its delay");
    for (wait, attempts) in [(1, 3), (10, 4), (20, 5), (40, 6)] {
        t.advance_and_tick(chrono::Duration::minutes(wait)).await?;
        assert_eq!(
            relay.rcpt_attempts("later@"),
            attempts,
            "after {wait} more minutes"
        );
        let v = t.enrollment(id).await?;
        let want = if attempts < 6 {
            EnrollmentState::Active
        } else {
            EnrollmentState::Paused
        };
        assert_eq!(v.state, want, "after attempt {}", attempts - 1);
    }
    let v = t.enrollment(id).await?;
    assert_eq!(v.pause_reason, Some(PauseReason::HeldForReview));
    let note = v.evidence.and_then(|e| e.note).unwrap_or_default();
    assert!(
        note.contains("451"),
        "the hold carries the last error: {note}"
    );
    for _ in 0..3 {
        t.advance_and_tick(chrono::Duration::days(1)).await?;
    }
    assert_eq!(relay.rcpt_attempts("later@"), 6, "no retry after the limit");
    Ok(())
}

async fn poisoned_rows(db: Db) -> Result<()> {
    let (t, relay) = with_relay(db).await?;
    let seq = t.email_sequence("Poison", &[1]).await?;
    type Poison = (&'static str, &'static str, &'static str);
    // (contact, statement, value): each written straight into the database, as data from before
    // the edge's validation or from another writer would be. `$2` is the enrollment id, or the
    // contact id for contact columns.
    let poisons: [Poison; 5] = [
        (
            "name@poison.example",
            "UPDATE enrollments SET sender_name = $1 WHERE id = $2",
            "Rita\r\nBcc: spy@evil.example",
        ),
        (
            "subject@poison.example",
            "UPDATE contacts SET first_name = $1 WHERE id = $2",
            "Ann\r\nBcc: spy@evil.example",
        ),
        (
            "from@poison.example",
            "UPDATE enrollments SET sender_email = $1 WHERE id = $2",
            "rep@seller.example\r\nBcc: spy@evil.example",
        ),
        (
            "corrupt@poison.example",
            "UPDATE enrollments SET thread_refs = $1 WHERE id = $2",
            "not json",
        ),
        ("panic@poison.example", "", ""),
    ];
    let mut ids = Vec::new();
    for (email, statement, value) in &poisons {
        let c = t.contact(email, "P", None).await?;
        let id = enroll_one(&t, seq.id, c.id).await?;
        if statement.contains("contacts") {
            sql(&t, statement, value, c.id).await?;
        } else if !statement.is_empty() {
            sql(&t, statement, value, id).await?;
        } else {
            t.app.worker.inject_step_panic(id);
        }
        ids.push(id);
    }
    let calm_id = other_account_enrollment(&t, "calm@other.example").await?;
    let r = t.advance_and_tick(chrono::Duration::days(1)).await?;
    assert_eq!(r.emails_sent, 1, "the other account's step was sent: {r:?}");
    assert_eq!(relay.accepted_to("calm@other.example"), 2);
    assert_eq!(
        message_states(&t, calm_id).await?,
        vec!["sent".to_string(), "sent".to_string()]
    );
    for ((email, ..), id) in poisons.iter().zip(&ids) {
        let row =
            sqlx::query("SELECT state, pause_reason, evidence FROM enrollments WHERE id = $1")
                .bind(*id)
                .fetch_one(t.app.store.pool())
                .await?;
        use sqlx::Row;
        let state: String = row.try_get("state")?;
        let reason: Option<String> = row.try_get("pause_reason")?;
        let evidence: Option<String> = row.try_get("evidence")?;
        assert_eq!(
            (state.as_str(), reason.as_deref()),
            ("paused", Some("held_for_review")),
            "{email}"
        );
        let evidence = evidence.unwrap_or_default();
        assert!(
            evidence.contains("note"),
            "{email}: the error is kept: {evidence}"
        );
        assert_eq!(
            relay.payloads_to(email).len(),
            1,
            "{email}: only step 1 went out"
        );
    }
    assert!(
        relay
            .payloads_to("")
            .iter()
            .all(|p| !p.raw.contains("spy@evil.example")
                && p.recipients.iter().all(|r| !r.contains("evil"))),
        "no header was injected"
    );
    let m = t.get("/metrics").await?;
    assert!(
        m.body["worker"]["isolated_failures"].as_u64() >= Some(1),
        "{}",
        m.body
    );
    // Later passes leave them held.
    t.advance_and_tick(chrono::Duration::days(3)).await?;
    for (email, ..) in &poisons {
        assert_eq!(relay.payloads_to(email).len(), 1, "{email}");
    }
    Ok(())
}

/// The app clock, panicking while `panicking` is set (the scheduler reads it first thing in
/// every pass).
struct PanickyClock {
    inner: Arc<dyn Clock>,
    panicking: Arc<AtomicBool>,
}

impl Clock for PanickyClock {
    fn now(&self) -> Millis {
        if self.panicking.load(Ordering::SeqCst) {
            panic!("injected clock fault");
        }
        self.inner.now()
    }
}

/// An unauthenticated GET (signing a session token reads the app clock, which may be panicking).
async fn open_get(t: &TestApp, path: &str) -> Result<(u16, serde_json::Value)> {
    let resp = t.http.get(t.url(path)).send().await?;
    let status = resp.status().as_u16();
    Ok((status, resp.json().await.unwrap_or(serde_json::Value::Null)))
}

async fn poll<T>(
    what: &str,
    mut check: impl FnMut() -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Option<T>>> + Send>,
    >,
) -> Result<T> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = check().await? {
            return Ok(v);
        }
        ensure!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn supervisor(db: Db) -> Result<()> {
    let relay = Relay::start().await?;
    let url = relay.url();
    let panicking = Arc::new(AtomicBool::new(false));
    let flag = panicking.clone();
    let t = Arc::new(
        spawn_app_configured(db, Tier::Professional, move |app| App {
            mailer: Arc::new(Mailer::from_url_with(&url, quick()).expect("a relay URL")),
            clock: Arc::new(PanickyClock {
                inner: app.clock.clone(),
                panicking: flag,
            }),
            ..app
        })
        .await?,
    );
    // No scheduler in this process yet: ready.
    let (status, body) = open_get(&t, "/ready").await?;
    assert_eq!(status, 200, "{body}");
    let seq = t.email_sequence("Supervised", &[1]).await?;
    let c = t.contact("sup@visor.example", "S", None).await?;
    enroll_one(&t, seq.id, c.id).await?;
    let _worker = worker::spawn(
        t.app.clone(),
        WorkerConfig {
            every: Duration::from_millis(50),
            batch: 100,
            stall_after: Duration::from_millis(1500),
            restart_after: Duration::from_millis(100),
        },
    );
    let metrics =
        |t: Arc<TestApp>| async move { Ok::<_, anyhow::Error>(open_get(&t, "/metrics").await?.1) };
    poll("a first pass", || {
        let t = t.clone();
        Box::pin(async move {
            let m = metrics(t.clone()).await?;
            Ok((m["worker"]["passes"].as_u64() >= Some(1)).then_some(()))
        })
    })
    .await?;
    assert_eq!(open_get(&t, "/ready").await?.0, 200);
    // Every pass now panics: the loop is restarted each time and readiness fails.
    panicking.store(true, Ordering::SeqCst);
    poll("restarts", || {
        let t = t.clone();
        Box::pin(async move {
            let m = metrics(t.clone()).await?;
            Ok((m["worker"]["restarts"].as_u64() >= Some(3)).then_some(()))
        })
    })
    .await?;
    let down = poll("readiness to fail", || {
        let t = t.clone();
        Box::pin(async move {
            let r = open_get(&t, "/ready").await?;
            Ok((r.0 == 503).then_some(r.1))
        })
    })
    .await?;
    assert_eq!(down["code"], "worker_unavailable", "{down}");
    assert_eq!(
        open_get(&t, "/health").await?.0,
        200,
        "liveness is unaffected"
    );
    // The fault clears: the restarted loop runs passes again and sends what is due.
    panicking.store(false, Ordering::SeqCst);
    t.clock.advance(chrono::Duration::days(1));
    poll("readiness to recover", || {
        let t = t.clone();
        Box::pin(async move { Ok((open_get(&t, "/ready").await?.0 == 200).then_some(())) })
    })
    .await?;
    poll("step 2 sent by the restarted scheduler", || {
        let n = relay.accepted_to("sup@visor.example");
        Box::pin(async move { Ok((n >= 2).then_some(())) })
    })
    .await?;
    Ok(())
}

async fn relay_outage(db: Db) -> Result<()> {
    // A relay that accepts connections and never answers, then recovers.
    let (t, relay) = with_relay(db).await?;
    let seq = t.email_sequence("Outage", &[1]).await?;
    let mut ids = Vec::new();
    for email in ["a@out.example", "b@out.example"] {
        let c = t.contact(email, "O", None).await?;
        ids.push(enroll_one(&t, seq.id, c.id).await?);
    }
    relay.mute(true);
    let r = t.advance_and_tick(chrono::Duration::days(1)).await?;
    assert_eq!(
        (r.deferred, r.failed, r.held, r.emails_sent),
        (2, 0, 0, 0),
        "{r:?}"
    );
    // Four hours of outage: far past the retry budget of a temporary failure.
    for _ in 0..8 {
        t.advance_and_tick(chrono::Duration::minutes(30)).await?;
    }
    for id in &ids {
        let v = t.enrollment(*id).await?;
        assert_eq!(
            v.state,
            EnrollmentState::Active,
            "the outage was charged to {id}"
        );
        let states = message_states(&t, *id).await?;
        assert!(states[1..].iter().all(|s| s == "deferred"), "{states:?}");
    }
    let m = t.get("/metrics").await?;
    assert!(
        m.body["worker"]["deferred_sends"].as_u64() >= Some(2),
        "{}",
        m.body
    );
    relay.mute(false);
    let r = t.advance_and_tick(chrono::Duration::minutes(30)).await?;
    assert_eq!(r.emails_sent, 2, "{r:?}");
    assert_eq!(relay.accepted_to("a@out.example"), 2);
    assert_eq!(relay.accepted_to("b@out.example"), 2);

    // Nothing listens on the relay's port at all.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?;
    let url = format!("smtp://{}", closed.local_addr()?);
    drop(closed);
    let t = spawn_app_configured(db, Tier::Professional, move |app| App {
        mailer: Arc::new(Mailer::from_url_with(&url, quick()).expect("a relay URL")),
        ..app
    })
    .await?;
    let seq = t.email_sequence("Refused", &[1]).await?;
    let c = t.contact("c@out.example", "O", None).await?;
    let id = enroll_one(&t, seq.id, c.id).await?;
    for _ in 0..8 {
        t.advance_and_tick(chrono::Duration::minutes(30)).await?;
    }
    let v = t.enrollment(id).await?;
    assert_eq!((v.state, v.current_step), (EnrollmentState::Active, 1));
    let states = message_states(&t, id).await?;
    assert!(
        states.len() >= 2 && states.iter().all(|s| s == "deferred"),
        "{states:?}"
    );
    let record: ContactRecordView = t.get(&format!("/contacts/{}/record", c.id)).await?.json()?;
    assert!(
        record.timeline.iter().all(|e| e.kind != "send_failed"),
        "an outage is not a failure of the contact's"
    );
    Ok(())
}
