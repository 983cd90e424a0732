//! `sequencer demo`: seeds an account with users, companies, contacts, sequences and enrollments in
//! every state, through the same use cases the API calls. Idempotent: a second run reuses the data.

use shared::*;

use crate::domain::{self, AccountId, ContactId, EmailAddress, SequenceId};
use crate::service::login::hash_password;
use crate::service::{App, Caller};

pub const DEMO_EMAIL: &str = "dana@acme.example";
pub const DEMO_PASSWORD: &str = "demo-password";

/// Why seeding the demo data stopped.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Email(#[from] crate::domain::EmailError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Service(#[from] crate::service::ServiceError),
    #[error("the demo user exists but its account {0:?} is missing")]
    AccountMissing(AccountId),
}

/// Seeds the demo account (once) and returns the signed-in demo rep.
pub async fn seed(app: &App) -> Result<Caller, DemoError> {
    let email = EmailAddress::parse(DEMO_EMAIL)?;
    if let Some((user, _)) = app.store.users_by_email(&email).await?.into_iter().next() {
        let account = app
            .store
            .account(user.account_id)
            .await?
            .ok_or(DemoError::AccountMissing(user.account_id))?;
        return Ok(Caller { user, account });
    }
    let now = app.now();
    let account = app
        .store
        .create_account("Acme Sales (demo)", Tier::Enterprise, now)
        .await?;
    let hash = hash_password(DEMO_PASSWORD);
    let dana = app
        .store
        .create_user(
            account.id,
            &email,
            "Dana Reyes",
            Role::Admin,
            Some(Seat::SalesEnterprise),
            Some(&hash),
            now,
        )
        .await?;
    let sam = app
        .store
        .create_user(
            account.id,
            &EmailAddress::parse("sam@acme.example")?,
            "Sam Okafor",
            Role::User,
            Some(Seat::SalesPro),
            Some(&hash),
            now,
        )
        .await?;
    app.store
        .create_user(
            account.id,
            &EmailAddress::parse("viewer@acme.example")?,
            "Vic Viewer",
            Role::User,
            None,
            Some(&hash),
            now,
        )
        .await?;
    let dana = Caller {
        user: dana,
        account: account.clone(),
    };
    let sam = Caller { user: sam, account };
    seed_availability(app, &dana).await?;
    seed_crm(app, &dana, &sam).await?;
    Ok(dana)
}

/// Weekday office hours in New York, so the demo rep's booking page has slots.
async fn seed_availability(app: &App, dana: &Caller) -> Result<(), DemoError> {
    let windows = ["mon", "tue", "wed", "thu", "fri"]
        .iter()
        .map(|d| AvailabilityWindow {
            weekday: d.to_string(),
            start: "09:00".into(),
            end: "17:00".into(),
        })
        .collect();
    app.set_availability(
        dana,
        &AvailabilityRequest {
            time_zone: "America/New_York".into(),
            slot_minutes: 30,
            windows,
        },
    )
    .await?;
    Ok(())
}

async fn seed_crm(app: &App, dana: &Caller, sam: &Caller) -> Result<(), DemoError> {
    let globex = app
        .create_company(
            dana,
            &CompanyRequest {
                name: "Globex".into(),
                domains: vec!["globex.example".into()],
            },
        )
        .await?;
    let initech = app
        .create_company(
            dana,
            &CompanyRequest {
                name: "Initech".into(),
                domains: vec!["initech.example".into()],
            },
        )
        .await?;
    let people = [
        (
            "ana@globex.example",
            "Ana",
            "Lopez",
            "VP Sales",
            Some(globex.id),
        ),
        (
            "ben@globex.example",
            "Ben",
            "Nakamura",
            "Sales Ops",
            Some(globex.id),
        ),
        (
            "carla@initech.example",
            "Carla",
            "Rossi",
            "CTO",
            Some(initech.id),
        ),
        (
            "dev@initech.example",
            "Dev",
            "Patel",
            "Engineering Manager",
            Some(initech.id),
        ),
        ("erin@umbrella.example", "Erin", "Walsh", "Head of IT", None),
        (
            "farid@hooli.example",
            "Farid",
            "Haddad",
            "Procurement",
            None,
        ),
        ("gia@vandelay.example", "Gia", "Moretti", "Founder", None),
        ("hugo@stark.example", "Hugo", "Lindqvist", "Director", None),
    ];
    let mut ids = Vec::new();
    for (email, first, last, title, company) in people {
        let req = ContactRequest {
            email: email.into(),
            secondary_emails: if first == "Ana" {
                vec!["ana.lopez@gmail.com".into()]
            } else {
                vec![]
            },
            first_name: first.into(),
            last_name: last.into(),
            title: title.into(),
            company_id: company,
            owner_id: Some(dana.user.id.0),
        };
        ids.push(ContactId(app.create_contact(dana, &req).await?.id));
    }
    let outbound = app
        .create_sequence(dana, &sequence("Q4 outbound", true))
        .await?;
    let renewal = app
        .create_sequence(sam, &sequence("Renewal check-in", false))
        .await?;
    let one_touch = app
        .create_sequence(
            dana,
            &SequenceRequest {
                name: "One-touch intro".into(),
                steps: vec![email_step(
                    0,
                    "Quick intro, {{contact.first_name}}",
                    "Hi {{contact.first_name}},\n\nA quick hello from {{sender.name}}.",
                )],
                send_window: SendWindow::default(),
                unenroll_same_company: false,
                ooo_policy: None,
            },
        )
        .await?;
    let (out, ren, one) = (
        SequenceId(outbound.id),
        SequenceId(renewal.id),
        SequenceId(one_touch.id),
    );
    app.enroll(dana, out, &ids[0..4]).await?;
    app.enroll(sam, ren, &ids[4..6]).await?;
    app.enroll(dana, one, &ids[6..7]).await?;
    app.enroll(dana, out, &ids[7..8]).await?;
    // One unenrolled by hand, one paused for an out-of-office reply.
    let live = app
        .store
        .live_enrollment_ids(dana.account.id, Some(out), Some(ids[1]), None)
        .await?;
    app.unenroll_many(dana, &live, UnenrollSurface::ContactRecord)
        .await?;
    pause_ooo(app, dana.account.id, ids[3]).await?;
    Ok(())
}

async fn pause_ooo(app: &App, account: AccountId, contact: ContactId) -> Result<(), DemoError> {
    let live = app
        .store
        .live_enrollment_ids(account, None, Some(contact), None)
        .await?;
    let until = app.now() + 5 * 24 * 3600 * 1000;
    let evidence = domain::Evidence {
        class: Some("ooo".into()),
        subject: Some("Out of office until next week".into()),
        ..Default::default()
    };
    let mut tx = app.store.begin_write().await?;
    for id in live {
        app.store
            .pause(
                &mut tx,
                id,
                PauseReason::OutOfOffice,
                Some(until),
                &domain::Actor::rule("inbound.ooo"),
                &evidence,
            )
            .await?;
    }
    tx.commit().await.map_err(crate::store::StoreError::from)?;
    Ok(())
}

fn email_step(delay: u32, subject: &str, body: &str) -> StepRequest {
    StepRequest {
        kind: StepKind::AutomatedEmail,
        delay_days: delay,
        business_days: true,
        subject: subject.into(),
        body: body.into(),
    }
}

fn sequence(name: &str, same_company: bool) -> SequenceRequest {
    SequenceRequest {
        name: name.into(),
        steps: vec![
            email_step(0, "{{company.name}} and Acme", "Hi {{contact.first_name}},\n\nI noticed {{company.name}} is growing fast. Worth a chat?\n\n{{sender.name}}"),
            StepRequest { kind: StepKind::CallTask, delay_days: 2, business_days: true, subject: "Call {{contact.name}}".into(), body: "Follow up on the intro email.".into() },
            email_step(3, "", "Hi {{contact.first_name}}, just bumping this up. Grab a time here: {{meeting_link}}\n\n{{sender.name}}"),
        ],
        send_window: SendWindow { time_zone: "America/New_York".into(), start_hour: 8, end_hour: 18, weekdays_only: true },
        unenroll_same_company: same_company,
        ooo_policy: Some(OooPolicy::PauseUntilReturn),
    }
}
