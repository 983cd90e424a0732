//! One storage conformance suite, run against SQLite and PostgreSQL: the guarantees the services
//! rely on, checked at the store level.

use anyhow::Result;
use sequencer_server::domain::*;
use sequencer_server::store::{ContactFields, EndRequest, SequenceFields, Store, StoreError};
use sequencer_tests::*;

both_backends! {
    a_contact_has_at_most_one_live_enrollment => one_live_enrollment;
    concurrent_claims_never_claim_the_same_step_twice => claims_are_exclusive;
    ending_touches_only_live_enrollments_of_the_account => ending_is_scoped;
    addresses_resolve_to_contacts_by_primary_or_secondary => address_lookup;
}

struct Fixture {
    t: TestApp,
    seq: Sequence,
}

async fn fixture(db: Db) -> Result<Fixture> {
    let t = spawn_app(db).await?;
    let step = Step {
        number: 1,
        kind: StepKind::AutomatedEmail,
        delay_days: 0,
        business_days: false,
        subject: "s".into(),
        body: "b".into(),
    };
    let f = SequenceFields {
        name: "S".into(),
        steps: vec![step],
        window: SendWindow {
            time_zone: chrono_tz_utc(),
            start_hour: 0,
            end_hour: 24,
            weekdays_only: false,
        },
        unenroll_same_company: false,
        ooo_policy: OooPolicy::PauseUntilReturn,
    };
    let seq = t
        .app
        .store
        .create_sequence(t.account.id, t.user.id, &f, T0)
        .await?;
    Ok(Fixture { t, seq })
}

fn chrono_tz_utc() -> chrono_tz::Tz {
    chrono_tz::UTC
}

async fn new_contact(
    store: &Store,
    account: AccountId,
    email: &str,
    secondary: &[&str],
) -> Result<Contact> {
    let f = ContactFields {
        email: EmailAddress::parse(email)?,
        secondary_emails: secondary
            .iter()
            .map(|s| EmailAddress::parse(s))
            .collect::<Result<_, _>>()?,
        first_name: "F".into(),
        last_name: "L".into(),
        title: String::new(),
        company_id: None,
        owner_id: None,
    };
    Ok(store.create_contact(account, &f, T0).await?)
}

async fn enroll(fx: &Fixture, contact: ContactId) -> Result<EnrollmentId, StoreError> {
    let store = &fx.t.app.store;
    let mut tx = store.begin_write().await?;
    let id = store
        .insert_enrollment(
            &mut tx,
            fx.t.account.id,
            contact,
            fx.seq.id,
            &fx.t.user,
            1,
            T0,
        )
        .await?;
    tx.commit().await?;
    Ok(id)
}

fn end_req(state: EnrollmentState, reason: Option<UnenrollReason>) -> EndRequest {
    EndRequest {
        state,
        reason,
        actor: Actor::system("test"),
        evidence: Evidence::default(),
        now: T0,
        hidden: false,
    }
}

async fn one_live_enrollment(db: Db) -> Result<()> {
    let fx = fixture(db).await?;
    let store = &fx.t.app.store;
    let c = new_contact(store, fx.t.account.id, "one@x.example", &[]).await?;
    let first = enroll(&fx, c.id).await?;
    assert!(matches!(
        enroll(&fx, c.id).await,
        Err(StoreError::Duplicate(_))
    ));
    let mut tx = store.begin_write().await?;
    store
        .end_enrollments(
            &mut tx,
            fx.t.account.id,
            &[first],
            &end_req(EnrollmentState::Unenrolled, Some(UnenrollReason::Manual)),
        )
        .await?;
    tx.commit().await?;
    assert!(
        enroll(&fx, c.id).await.is_ok(),
        "a new enrollment is allowed once the old one ended"
    );
    Ok(())
}

async fn claims_are_exclusive(db: Db) -> Result<()> {
    let fx = fixture(db).await?;
    let store = fx.t.app.store.clone();
    for i in 0..40 {
        let c = new_contact(&store, fx.t.account.id, &format!("c{i}@x.example"), &[]).await?;
        enroll(&fx, c.id).await?;
    }
    let mut tasks = Vec::new();
    for w in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = store
                    .claim_due(T0, 3, None, &|e: &Enrollment| {
                        Some(format!("w{w}.{}@t.example", e.id.0))
                    })
                    .await?;
                if got.is_empty() {
                    return Ok::<_, StoreError>(mine);
                }
                mine.extend(got.into_iter().map(|c| c.enrollment_id));
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        (all.len(), unique.len()),
        (40, 40),
        "every due step claimed exactly once"
    );
    Ok(())
}

async fn ending_is_scoped(db: Db) -> Result<()> {
    let fx = fixture(db).await?;
    let store = &fx.t.app.store;
    let a = new_contact(store, fx.t.account.id, "a@x.example", &[]).await?;
    let b = new_contact(store, fx.t.account.id, "b@x.example", &[]).await?;
    let ea = enroll(&fx, a.id).await?;
    let eb = enroll(&fx, b.id).await?;
    let other = store
        .create_account("Other", Tier::Professional, T0)
        .await?;
    let mut tx = store.begin_write().await?;
    let none = store
        .end_enrollments(
            &mut tx,
            other.id,
            &[ea, eb],
            &end_req(EnrollmentState::Unenrolled, Some(UnenrollReason::Manual)),
        )
        .await?;
    let fin = store
        .end_enrollments(
            &mut tx,
            fx.t.account.id,
            &[ea],
            &end_req(EnrollmentState::Finished, None),
        )
        .await?;
    let again = store
        .end_enrollments(
            &mut tx,
            fx.t.account.id,
            &[ea, eb],
            &end_req(EnrollmentState::Unenrolled, Some(UnenrollReason::Manual)),
        )
        .await?;
    tx.commit().await?;
    assert!(none.is_empty(), "another account cannot end them");
    assert_eq!(fin.len(), 1);
    assert_eq!(
        again.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![eb],
        "a finished enrollment stays finished"
    );
    assert!(store.contact(other.id, a.id).await?.is_none());
    assert!(store.enrollment(other.id, ea).await?.is_none());
    Ok(())
}

async fn address_lookup(db: Db) -> Result<()> {
    let fx = fixture(db).await?;
    let store = &fx.t.app.store;
    let c = new_contact(
        store,
        fx.t.account.id,
        "main@x.example",
        &["alias@y.example"],
    )
    .await?;
    let by_primary = store
        .contact_by_email(fx.t.account.id, &EmailAddress::parse("MAIN@x.example")?)
        .await?
        .expect("found");
    let by_alias = store
        .contact_by_email(fx.t.account.id, &EmailAddress::parse("alias@y.example")?)
        .await?
        .expect("found");
    assert_eq!((by_primary.contact.id, by_primary.primary), (c.id, true));
    assert_eq!((by_alias.contact.id, by_alias.primary), (c.id, false));
    let other = store
        .create_account("Other", Tier::Professional, T0)
        .await?;
    assert!(store
        .contact_by_email(other.id, &EmailAddress::parse("main@x.example")?)
        .await?
        .is_none());
    Ok(())
}
