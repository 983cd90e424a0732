//! Domain and store rows -> `shared` view models. Pure mapping, no IO.

use shared::*;

use crate::clock::rfc3339;
use crate::domain::{self, Contact, Enrollment, User};
use crate::store::{EnrollmentRow, EventRow};

pub fn user_ref(id: i64, name: &str, email: &str) -> UserRef {
    UserRef {
        id,
        name: name.to_string(),
        email: email.to_string(),
    }
}

pub fn user_view(u: &User) -> UserView {
    UserView {
        id: u.id.0,
        email: u.email.to_string(),
        name: u.name.clone(),
        role: u.role,
        seat: u.seat,
        status: u.status,
    }
}

pub fn actor_view(actor: &domain::Actor, user: Option<&(String, String)>) -> ActorView {
    ActorView {
        kind: actor.kind,
        user: actor
            .user_id
            .zip(user)
            .map(|(id, (name, email))| user_ref(id.0, name, email)),
        name: actor.name.clone(),
    }
}

pub fn enrollment_view(row: &EnrollmentRow) -> EnrollmentView {
    let e: &Enrollment = &row.enrollment;
    EnrollmentView {
        id: e.id.0,
        contact: ContactRef {
            id: e.contact_id.0,
            name: row.contact_name.clone(),
            email: row.contact_email.clone(),
        },
        sequence: SequenceRef {
            id: e.sequence_id.0,
            name: row.sequence_name.clone(),
        },
        state: e.state,
        pause_reason: e.pause_reason,
        paused_until: e.paused_until.map(rfc3339),
        unenroll_reason: e.unenroll_reason,
        current_step: e.current_step,
        total_steps: e.total_steps,
        next_step_at: if e.state == EnrollmentState::Active {
            e.next_run_at.map(rfc3339)
        } else {
            None
        },
        enrolled_by: user_ref(
            e.enrolled_by.0,
            &row.enrolled_by_name,
            &row.enrolled_by_email,
        ),
        enrolled_at: rfc3339(e.enrolled_at),
        ended_at: e.ended_at.map(rfc3339),
        ended_by: e
            .actor
            .as_ref()
            .map(|a| actor_view(a, row.actor_user.as_ref())),
        evidence: e.evidence.clone(),
    }
}

pub fn event_view(ev: &EventRow) -> TimelineEventView {
    TimelineEventView {
        id: ev.id,
        kind: ev.kind.clone(),
        at: rfc3339(ev.at),
        summary: ev.summary.clone(),
        sequence: ev.sequence.as_ref().map(|(id, name)| SequenceRef {
            id: id.0,
            name: name.clone(),
        }),
        enrollment_id: ev.enrollment_id.map(|e| e.0),
        actor: ev
            .actor
            .as_ref()
            .map(|a| actor_view(a, ev.actor_user.as_ref())),
        evidence: ev.evidence.clone(),
    }
}

pub fn contact_view(
    c: &Contact,
    company: Option<&domain::Company>,
    owner: Option<&User>,
) -> ContactView {
    ContactView {
        id: c.id.0,
        email: c.email.to_string(),
        secondary_emails: c.secondary_emails.iter().map(|e| e.to_string()).collect(),
        first_name: c.first_name.clone(),
        last_name: c.last_name.clone(),
        name: c.display_name(),
        title: c.title.clone(),
        company: company.map(|co| CompanyRef {
            id: co.id.0,
            name: co.name.clone(),
        }),
        owner: owner.map(|u| user_ref(u.id.0, &u.name, u.email.as_str())),
        email_status: c.email_status,
        unsubscribed: c.unsubscribed,
    }
}

pub fn company_view(c: &domain::Company) -> CompanyView {
    CompanyView {
        id: c.id.0,
        name: c.name.clone(),
        domains: c.domains.clone(),
    }
}

pub fn sequence_view(s: &domain::Sequence, creator: &User, live: u64) -> SequenceView {
    SequenceView {
        id: s.id.0,
        name: s.name.clone(),
        creator: user_ref(creator.id.0, &creator.name, creator.email.as_str()),
        steps: s
            .steps
            .iter()
            .map(|st| StepView {
                number: st.number,
                kind: st.kind,
                delay_days: st.delay_days,
                business_days: st.business_days,
                subject: st.subject.clone(),
                body: st.body.clone(),
            })
            .collect(),
        send_window: shared::SendWindow {
            time_zone: s.window.time_zone.name().to_string(),
            start_hour: s.window.start_hour,
            end_hour: s.window.end_hour,
            weekdays_only: s.window.weekdays_only,
        },
        unenroll_same_company: s.unenroll_same_company,
        ooo_policy: s.ooo_policy,
        created_at: rfc3339(s.created_at),
        deleted: s.deleted,
        active_enrollments: live,
    }
}
