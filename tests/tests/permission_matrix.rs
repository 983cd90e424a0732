//! The permission matrix (issue 19, finding 8; `docs/permissions.md`): every cell of role (admin,
//! user) x seat (none and each of the four) x owner (the caller's own resource or a colleague's)
//! x action is driven through the HTTP API. The expected outcome is computed here from the
//! written rules, independently of `service::permissions`; the actions come from its `ACTIONS`
//! table (an exhaustive `match` below, so a new action cannot go untested). A refused cell must
//! answer 403 with the right code and change nothing; an allowed one must take effect.

use anyhow::{Context, Result};
use reqwest::Method;
use sequencer_server::domain::{
    AccountId, ContactId, EmailAddress, EnrollmentId, Role, Seat, SequenceId, User,
};
use sequencer_server::service::permissions::{Action, ACTIONS};
use sequencer_server::service::Caller;
use sequencer_tests::*;
use shared::*;

both_backends! {
    every_cell_of_the_permission_matrix_answers_as_documented => matrix;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    /// The acting user created / owns the resource.
    Own,
    /// A colleague (the account's main admin) does.
    Other,
    /// The action has no owned resource (creating, account administration).
    None,
}

const SEATS: [Option<Seat>; 5] = [
    None,
    Some(Seat::SalesPro),
    Some(Seat::SalesEnterprise),
    Some(Seat::ServicePro),
    Some(Seat::ServiceEnterprise),
];

/// The written rules (docs/permissions.md): `None` when allowed, else the refusal's code.
fn expected(role: Role, seat: Option<Seat>, action: Action, owner: Owner) -> Option<&'static str> {
    let admin = role == Role::Admin;
    let seated = seat.is_some();
    match action {
        Action::Read | Action::SetOwnAvailability => None,
        Action::ManageMailboxes
        | Action::ManageUsers
        | Action::ManageSettings
        | Action::ManageApiKeys => (!admin).then_some("requires_admin"),
        Action::EditSequence | Action::DeleteSequence => {
            if admin || (seated && owner == Owner::Own) {
                None
            } else if !seated {
                Some("requires_seat")
            } else {
                Some("forbidden")
            }
        }
        Action::CreateContact
        | Action::EditContact
        | Action::DeleteContact
        | Action::CreateCompany
        | Action::EditCompany
        | Action::CreateSequence
        | Action::Enroll
        | Action::Unenroll
        | Action::Resume
        | Action::LogMeeting => (!seated).then_some("requires_seat"),
    }
}

/// Which owners a cell exists for.
fn owners(action: Action) -> &'static [Owner] {
    match action {
        Action::Read
        | Action::EditContact
        | Action::DeleteContact
        | Action::EditSequence
        | Action::DeleteSequence
        | Action::Enroll
        | Action::Unenroll
        | Action::Resume => &[Owner::Own, Owner::Other],
        Action::SetOwnAvailability
        | Action::CreateContact
        | Action::CreateCompany
        | Action::EditCompany
        | Action::CreateSequence
        | Action::LogMeeting
        | Action::ManageMailboxes
        | Action::ManageUsers
        | Action::ManageSettings
        | Action::ManageApiKeys => &[Owner::None],
    }
}

/// What one cell did: the answer, and whether its effect is visible in the store afterwards.
struct Outcome {
    answer: Answer,
    took_effect: bool,
}

struct Matrix<'a> {
    t: &'a TestApp,
    /// A sequence of the main admin, to enroll into.
    rita_seq: SequenceId,
    n: std::cell::Cell<usize>,
}

impl Matrix<'_> {
    fn unique(&self, what: &str) -> String {
        let n = self.n.get() + 1;
        self.n.set(n);
        format!("{what}{n}")
    }

    fn account(&self) -> AccountId {
        self.t.account.id
    }

    /// `user` with a seat, to create fixtures in their name whatever their real seat.
    fn as_seated(&self, user: &User) -> Caller {
        let mut u = user.clone();
        u.seat = Some(Seat::SalesPro);
        Caller {
            user: u,
            account: self.t.account.clone(),
        }
    }

    async fn contact_of(&self, owner: &User) -> Result<ContactId> {
        let req = ContactRequest {
            email: format!("{}@buyer.example", self.unique("c")),
            secondary_emails: vec![],
            first_name: "Ana".into(),
            last_name: "Buyer".into(),
            title: "Buyer".into(),
            company_id: None,
            owner_id: Some(owner.id.0),
        };
        let c = self
            .t
            .app
            .create_contact(&self.as_seated(owner), &req)
            .await?;
        Ok(ContactId(c.id))
    }

    async fn sequence_of(&self, creator: &User) -> Result<SequenceId> {
        let s = self
            .t
            .app
            .create_sequence(
                &self.as_seated(creator),
                &sequence_request(&self.unique("S")),
            )
            .await?;
        Ok(SequenceId(s.id))
    }

    /// A live enrollment made by `by` into the main admin's sequence.
    async fn enrollment_by(&self, by: &User) -> Result<EnrollmentId> {
        let c = self.contact_of(by).await?;
        let r = self
            .t
            .app
            .enroll(&self.as_seated(by), self.rita_seq, &[c])
            .await?;
        let e = r
            .results
            .first()
            .and_then(|r| r.enrollment.as_ref())
            .context("enrolled")?;
        Ok(EnrollmentId(e.id))
    }

    async fn send(&self, token: &str, method: Method, path: &str) -> Result<Answer> {
        self.t
            .send_as(token, method, path, &serde_json::json!({}))
            .await
    }

    /// Runs one cell as `user` (token `token`); the owner of the resource is `user` or the
    /// account's main admin.
    async fn run(&self, user: &User, token: &str, action: Action, owner: Owner) -> Result<Outcome> {
        let t = self.t;
        let rita = &t.user;
        let owner_user = if owner == Owner::Own { user } else { rita };
        let store = &t.app.store;
        let account = self.account();
        Ok(match action {
            Action::Read => {
                let c = self.contact_of(owner_user).await?;
                let s = self.sequence_of(owner_user).await?;
                let mut last = None;
                for path in [
                    format!("/contacts/{}", c.0),
                    format!("/contacts/{}/record", c.0),
                    "/contacts".to_string(),
                    format!("/sequences/{}", s.0),
                    format!("/sequences/{}/performance", s.0),
                    format!("/sequences/{}/enrollments", s.0),
                    "/sequences".to_string(),
                ] {
                    let a = t.get_as(token, &path).await?;
                    if a.status != 200 {
                        last = Some(a);
                        break;
                    }
                }
                let took_effect = last.is_none();
                let answer = match last {
                    Some(a) => a,
                    None => t.get_as(token, "/me").await?,
                };
                Outcome {
                    answer,
                    took_effect,
                }
            }
            Action::SetOwnAvailability => {
                let req = AvailabilityRequest {
                    time_zone: "Europe/Paris".into(),
                    slot_minutes: 45,
                    windows: vec![],
                };
                let answer = t
                    .send_as(token, Method::PUT, "/me/availability", &req)
                    .await?;
                let now = t.get_as(token, "/me/availability").await?;
                Outcome {
                    took_effect: now.body["slot_minutes"] == 45,
                    answer,
                }
            }
            Action::CreateContact => {
                let email = format!("{}@new.example", self.unique("n"));
                let req = ContactRequest {
                    email: email.clone(),
                    secondary_emails: vec![],
                    first_name: "New".into(),
                    last_name: "Contact".into(),
                    title: String::new(),
                    company_id: None,
                    owner_id: None,
                };
                let answer = t.send_as(token, Method::POST, "/contacts", &req).await?;
                let found = store
                    .contact_by_email(account, &EmailAddress::parse(&email)?)
                    .await?;
                Outcome {
                    answer,
                    took_effect: found.is_some(),
                }
            }
            Action::EditContact => {
                let c = self.contact_of(owner_user).await?;
                let email = format!("{}@moved.example", self.unique("m"));
                let req = ContactRequest {
                    email: email.clone(),
                    secondary_emails: vec![],
                    first_name: "Ana".into(),
                    last_name: "Buyer".into(),
                    title: "Buyer".into(),
                    company_id: None,
                    owner_id: Some(owner_user.id.0),
                };
                let answer = t
                    .send_as(token, Method::PUT, &format!("/contacts/{}", c.0), &req)
                    .await?;
                let now = store.contact(account, c).await?.context("contact")?;
                Outcome {
                    answer,
                    took_effect: now.email.as_str() == email,
                }
            }
            Action::DeleteContact => {
                let c = self.contact_of(owner_user).await?;
                let answer = self
                    .send(token, Method::DELETE, &format!("/contacts/{}", c.0))
                    .await?;
                let now = store.contact(account, c).await?.context("contact")?;
                Outcome {
                    answer,
                    took_effect: now.deleted,
                }
            }
            Action::CreateCompany => {
                let name = self.unique("Company ");
                let req = CompanyRequest {
                    name: name.clone(),
                    domains: vec![],
                };
                let answer = t.send_as(token, Method::POST, "/companies", &req).await?;
                let all = store.companies(account).await?;
                Outcome {
                    answer,
                    took_effect: all.iter().any(|c| c.name == name),
                }
            }
            Action::EditCompany => {
                let co = t
                    .app
                    .create_company(
                        &self.as_seated(rita),
                        &CompanyRequest {
                            name: self.unique("Globex "),
                            domains: vec![],
                        },
                    )
                    .await?;
                let name = self.unique("Renamed ");
                let req = CompanyRequest {
                    name: name.clone(),
                    domains: vec![],
                };
                let answer = t
                    .send_as(token, Method::PUT, &format!("/companies/{}", co.id), &req)
                    .await?;
                let now = store
                    .company(account, sequencer_server::domain::CompanyId(co.id))
                    .await?
                    .context("company")?;
                Outcome {
                    answer,
                    took_effect: now.name == name,
                }
            }
            Action::CreateSequence => {
                let name = self.unique("New sequence ");
                let answer = t
                    .send_as(token, Method::POST, "/sequences", &sequence_request(&name))
                    .await?;
                let all = store.sequences(account).await?;
                Outcome {
                    answer,
                    took_effect: all.iter().any(|s| s.name == name),
                }
            }
            Action::EditSequence => {
                let s = self.sequence_of(owner_user).await?;
                let name = self.unique("Edited ");
                let answer = t
                    .send_as(
                        token,
                        Method::PUT,
                        &format!("/sequences/{}", s.0),
                        &sequence_request(&name),
                    )
                    .await?;
                let now = store.sequence(account, s).await?.context("sequence")?;
                Outcome {
                    answer,
                    took_effect: now.name == name,
                }
            }
            Action::DeleteSequence => {
                let s = self.sequence_of(owner_user).await?;
                let answer = self
                    .send(token, Method::DELETE, &format!("/sequences/{}", s.0))
                    .await?;
                let now = store.sequence(account, s).await?.context("sequence")?;
                Outcome {
                    answer,
                    took_effect: now.deleted,
                }
            }
            Action::Enroll => {
                let s = self.sequence_of(owner_user).await?;
                let c = self.contact_of(rita).await?;
                let answer = t
                    .send_as(
                        token,
                        Method::POST,
                        &format!("/sequences/{}/enrollments", s.0),
                        &EnrollRequest {
                            contact_ids: vec![c.0],
                        },
                    )
                    .await?;
                let live = store
                    .live_enrollment_ids(account, Some(s), Some(c), None)
                    .await?;
                Outcome {
                    answer,
                    took_effect: !live.is_empty(),
                }
            }
            Action::Unenroll => {
                let e = self.enrollment_by(owner_user).await?;
                let answer = self
                    .send(
                        token,
                        Method::POST,
                        &format!("/enrollments/{}/unenroll", e.0),
                    )
                    .await?;
                let now = store.enrollment(account, e).await?.context("enrollment")?;
                Outcome {
                    answer,
                    took_effect: now.enrollment.state == EnrollmentState::Unenrolled,
                }
            }
            Action::Resume => {
                // An active enrollment: a caller the matrix lets through reaches the state check
                // (409 enrollment_not_paused); a refused one is stopped before it.
                let e = self.enrollment_by(owner_user).await?;
                let answer = self
                    .send(token, Method::POST, &format!("/enrollments/{}/resume", e.0))
                    .await?;
                Outcome {
                    took_effect: answer.code() == "enrollment_not_paused",
                    answer,
                }
            }
            Action::LogMeeting => {
                let c = self.contact_of(rita).await?;
                let req = MeetingRequest {
                    source: MeetingSource::ContactRecord,
                    organizer_id: None,
                    contact_ids: vec![c.0],
                    company_ids: vec![],
                    starts_at: "2026-11-30T10:00:00Z".into(),
                    ends_at: None,
                    title: "Call".into(),
                };
                let before = store.busy(user.id, 0, i64::MAX).await?.len();
                let answer = t.send_as(token, Method::POST, "/meetings", &req).await?;
                Outcome {
                    took_effect: store.busy(user.id, 0, i64::MAX).await?.len() > before,
                    answer,
                }
            }
            Action::ManageMailboxes => {
                let before = store.mailboxes(account).await?.len();
                let req = MailboxRequest {
                    address: format!("{}@seller.example", self.unique("box")),
                    user_id: None,
                    imap: None,
                };
                let answer = t.send_as(token, Method::POST, "/mailboxes", &req).await?;
                Outcome {
                    answer,
                    took_effect: store.mailboxes(account).await?.len() > before,
                }
            }
            Action::ManageUsers => {
                let before = store.users(account).await?.len();
                let req = CreateUserRequest {
                    email: format!("{}@seller.example", self.unique("hire")),
                    name: "New Hire".into(),
                    role: Role::User,
                    seat: None,
                    password: None,
                };
                let answer = t.send_as(token, Method::POST, "/users", &req).await?;
                Outcome {
                    answer,
                    took_effect: store.users(account).await?.len() > before,
                }
            }
            Action::ManageSettings => {
                let answer = t.get_as(token, "/account/settings").await?;
                Outcome {
                    took_effect: answer.status == 200,
                    answer,
                }
            }
            Action::ManageApiKeys => {
                let before = store.api_keys(account).await?.len();
                let answer = t
                    .send_as(
                        token,
                        Method::POST,
                        "/api-keys",
                        &ApiKeyRequest {
                            name: self.unique("key"),
                        },
                    )
                    .await?;
                Outcome {
                    answer,
                    took_effect: store.api_keys(account).await?.len() > before,
                }
            }
        })
    }
}

fn sequence_request(name: &str) -> SequenceRequest {
    SequenceRequest {
        name: name.into(),
        // Two steps, so an enrollment stays live after its first email.
        steps: vec![
            StepRequest {
                kind: StepKind::AutomatedEmail,
                delay_days: 0,
                business_days: false,
                subject: "Hello {{contact.first_name}}".into(),
                body: "Hi {{contact.first_name}}".into(),
            },
            StepRequest {
                kind: StepKind::AutomatedEmail,
                delay_days: 3,
                business_days: false,
                subject: String::new(),
                body: "Following up".into(),
            },
        ],
        send_window: SendWindow::default(),
        unenroll_same_company: false,
        ooo_policy: None,
    }
}

async fn matrix(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let rita_seq = SequenceId(t.email_sequence("Rita's", &[3]).await?.id);
    let m = Matrix {
        t: &t,
        rita_seq,
        n: std::cell::Cell::new(0),
    };
    let mut wrong = Vec::new();
    let mut cells = 0;
    for role in [Role::User, Role::Admin] {
        for seat in SEATS {
            let user = t
                .app
                .store
                .create_user(
                    t.account.id,
                    &EmailAddress::parse(&format!("{}@seller.example", m.unique("u")))?,
                    "Matrix User",
                    role,
                    seat,
                    None,
                    T0,
                )
                .await?;
            let token = t.app.session_token(&user).token;
            for action in ACTIONS {
                for owner in owners(*action) {
                    cells += 1;
                    let out = m.run(&user, &token, *action, *owner).await?;
                    let want = expected(role, seat, *action, *owner);
                    let a = &out.answer;
                    let ok = match want {
                        None => a.status < 400 || a.code() == "enrollment_not_paused",
                        Some(code) => a.status == 403 && a.code() == code,
                    };
                    let effect_ok = out.took_effect == want.is_none();
                    if !ok || !effect_ok {
                        wrong.push(format!(
                            "{:?} {:?} {} {:?}: want {}, got {} {} (took effect: {})",
                            role,
                            seat,
                            action.as_str(),
                            owner,
                            want.unwrap_or("allowed"),
                            a.status,
                            a.body,
                            out.took_effect
                        ));
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {cells} cells wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(cells >= 250, "every cell ran ({cells})");
    Ok(())
}
