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
    inbound_lookups_find_exactly_the_live_peers_and_filters => inbound_lookups;
}

struct Fixture {
    t: TestApp,
    seq: Sequence,
}

async fn fixture(db: Db) -> Result<Fixture> {
    let t = spawn_app(db).await?;
    let seq = new_sequence(&t.app.store, t.account.id, t.user.id, "S", false).await?;
    Ok(Fixture { t, seq })
}

async fn new_sequence(
    store: &Store,
    account: AccountId,
    creator: UserId,
    name: &str,
    unenroll_same_company: bool,
) -> Result<Sequence> {
    let step = Step {
        number: 1,
        kind: StepKind::AutomatedEmail,
        delay_days: 0,
        business_days: false,
        subject: "s".into(),
        body: "b".into(),
    };
    let f = SequenceFields {
        name: name.into(),
        steps: vec![step],
        window: SendWindow {
            time_zone: chrono_tz_utc(),
            start_hour: 0,
            end_hour: 24,
            weekdays_only: false,
        },
        unenroll_same_company,
        ooo_policy: OooPolicy::PauseUntilReturn,
    };
    Ok(store.create_sequence(account, creator, &f, T0).await?)
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
    contact_at(store, account, email, secondary, None).await
}

async fn contact_at(
    store: &Store,
    account: AccountId,
    email: &str,
    secondary: &[&str],
    company_id: Option<CompanyId>,
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
        company_id,
        owner_id: None,
    };
    Ok(store.create_contact(account, &f, T0).await?)
}

async fn enroll(fx: &Fixture, contact: ContactId) -> Result<EnrollmentId, StoreError> {
    enroll_in(&fx.t.app.store, &fx.t.user, contact, fx.seq.id).await
}

async fn enroll_in(
    store: &Store,
    by: &User,
    contact: ContactId,
    seq: SequenceId,
) -> Result<EnrollmentId, StoreError> {
    let mut tx = store.begin_write().await?;
    let id = store
        .insert_enrollment(&mut tx, by.account_id, contact, seq, by, 1, T0)
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

/// The per-message reads of inbound mail (`company_peers`, `live_enrollment_ids`,
/// `is_own_address`) answer exactly the live enrollments their filters name, on both backends.
async fn inbound_lookups(db: Db) -> Result<()> {
    let fx = fixture(db).await?;
    let store = &fx.t.app.store;
    let account = fx.t.account.id;
    let rep = &fx.t.user;
    let off = fx.seq.id;
    let on = new_sequence(store, account, rep.id, "Team", true).await?.id;
    let colleague = store
        .create_user(
            account,
            &EmailAddress::parse("colleague@seller.example")?,
            "Colleague",
            Role::User,
            Some(Seat::SalesPro),
            None,
            T0,
        )
        .await?;
    let on2 = new_sequence(store, account, colleague.id, "Team 2", true)
        .await?
        .id;
    let co = store
        .create_company(account, "Initech", &["initech.example".into()], T0)
        .await?
        .id;
    let at = |email: &'static str, company: Option<CompanyId>| async move {
        contact_at(store, account, email, &[], company).await
    };
    let bob = at("bob@initech.example", Some(co)).await?;
    let e_bob = enroll_in(store, rep, bob.id, on).await?;
    let carol = at("carol@initech.example", None).await?;
    let e_carol = enroll_in(store, rep, carol.id, on).await?;
    let gina = at("gina@initech-labs.example", Some(co)).await?;
    let e_gina = enroll_in(store, &colleague, gina.id, on2).await?;
    // Not peers: the setting is off, another domain, ended, deleted.
    let dave = at("dave@initech.example", Some(co)).await?;
    let e_dave = enroll_in(store, rep, dave.id, off).await?;
    let sub = at("sub@mail.initech.example", None).await?;
    enroll_in(store, rep, sub.id, on).await?;
    let ended = at("ended@initech.example", Some(co)).await?;
    let e_ended = enroll_in(store, rep, ended.id, on).await?;
    let gone = at("gone@initech.example", Some(co)).await?;
    enroll_in(store, rep, gone.id, on).await?;
    let mut tx = store.begin_write().await?;
    store
        .end_enrollments(
            &mut tx,
            account,
            &[e_ended],
            &end_req(EnrollmentState::Unenrolled, Some(UnenrollReason::Manual)),
        )
        .await?;
    store
        .mark_contact_deleted(&mut tx, account, gone.id, T0)
        .await?;
    tx.commit().await?;
    // Another account, same domain, its own same-company sequence.
    let other = store.create_account("Other", Tier::Enterprise, T0).await?;
    let other_rep = store
        .create_user(
            other.id,
            &EmailAddress::parse("rep@other.example")?,
            "Rep",
            Role::Admin,
            Some(Seat::SalesPro),
            None,
            T0,
        )
        .await?;
    let other_on = new_sequence(store, other.id, other_rep.id, "Theirs", true)
        .await?
        .id;
    let stranger = contact_at(store, other.id, "zoe@initech.example", &[], None).await?;
    let e_stranger = enroll_in(store, &other_rep, stranger.id, other_on).await?;

    let peers = |company: Option<CompanyId>, domain: Option<&'static str>| async move {
        Ok::<_, anyhow::Error>(
            store
                .company_peers(account, company, domain)
                .await?
                .into_iter()
                .map(|p| (p.enrollment_id, p.contact_id, p.email, p.company_id))
                .collect::<Vec<_>>(),
        )
    };
    let row = |e: EnrollmentId, c: &Contact| (e, c.id, c.email.to_string(), c.company_id);
    assert_eq!(
        peers(Some(co), Some("initech.example")).await?,
        vec![row(e_bob, &bob), row(e_carol, &carol), row(e_gina, &gina)],
        "by company or domain, each once, in enrollment order"
    );
    assert_eq!(
        peers(Some(co), None).await?,
        vec![row(e_bob, &bob), row(e_gina, &gina)],
        "free-mail sender: the company record only"
    );
    assert_eq!(
        peers(None, Some("initech.example")).await?,
        vec![row(e_bob, &bob), row(e_carol, &carol)],
        "no company: the domain only"
    );
    assert!(peers(None, None).await?.is_empty());
    assert_eq!(
        store
            .company_peers(other.id, None, Some("initech.example"))
            .await?
            .into_iter()
            .map(|p| p.enrollment_id)
            .collect::<Vec<_>>(),
        vec![e_stranger],
        "each account sees its own contacts only"
    );

    let live = |seq: Option<SequenceId>, contact: Option<ContactId>, creator: Option<UserId>| async move {
        Ok::<_, anyhow::Error>(
            store
                .live_enrollment_ids(account, seq, contact, creator)
                .await?,
        )
    };
    assert_eq!(live(None, Some(bob.id), None).await?, vec![e_bob]);
    assert_eq!(live(None, Some(ended.id), None).await?, vec![]);
    assert_eq!(live(Some(off), None, None).await?, vec![e_dave]);
    assert_eq!(live(None, None, Some(colleague.id)).await?, vec![e_gina]);
    assert_eq!(
        live(Some(on2), Some(gina.id), Some(colleague.id)).await?,
        vec![e_gina]
    );
    assert_eq!(live(Some(on), Some(gina.id), None).await?, vec![]);
    assert_eq!(live(None, Some(gina.id), Some(rep.id)).await?, vec![]);
    assert_eq!(
        live(None, None, None).await?.len(),
        6,
        "bob, carol, gina, dave, sub, and gone (deleting a contact does not end it here)"
    );
    assert!(store
        .live_enrollment_ids(account, None, Some(stranger.id), None)
        .await?
        .is_empty());

    assert!(store.is_own_address(account, rep.email.as_str()).await?);
    assert!(
        store
            .is_own_address(account, "colleague@seller.example")
            .await?
    );
    assert!(!store.is_own_address(account, "bob@initech.example").await?);
    assert!(!store.is_own_address(account, "rep@other.example").await?);
    Ok(())
}
