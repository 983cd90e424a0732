//! Meetings: weekly availability, the public booking page's use cases, and meetings logged
//! through the API. Whether a meeting unenrolls is decided by `engine::meetings`.

use shared::{
    AvailabilityRequest, AvailabilityView, AvailabilityWindow, MeetingOutcomeView, MeetingRequest,
    MeetingSource, MeetingView,
};

use super::ratelimit::{Limit, BOOKING_PER_CLIENT, BOOKING_PER_EMAIL, BOOKING_PER_PAGE};
use super::views::user_ref;
use super::*;
use crate::clock::rfc3339;
use crate::domain::{Actor, Evidence};
use crate::engine::availability::{self, Availability, Window};
use crate::engine::meetings::{decide, EnrollmentFacts, MeetingDecision, MeetingFacts};
use crate::mail::OutgoingEmail;
use crate::store::{
    AvailabilityRow, EndRequest, NewEvent, NewMeeting, NewPendingBooking, PendingBooking,
    StoreError, WindowRow,
};

/// How far ahead the booking page offers slots.
pub const BOOKING_DAYS: u32 = 14;
const DAY_MS: Millis = 24 * 3600 * 1000;

/// What the booking page shows.
#[derive(Debug, Clone)]
pub struct BookingPage {
    pub organizer_name: String,
    pub time_zone: chrono_tz::Tz,
    pub slot_minutes: u32,
    pub slots: Vec<Millis>,
}

/// A booking that went through.
#[derive(Debug, Clone)]
pub struct BookingOutcome {
    pub meeting_id: i64,
    pub organizer_name: String,
    pub starts_at: Millis,
    pub time_zone: chrono_tz::Tz,
    pub unenrolled: bool,
}

/// What a booking on a page did.
#[derive(Debug, Clone)]
pub enum BookingResult {
    /// Through a sequence email's own link: booked at once, the rules applied.
    Booked(BookingOutcome),
    /// Through a user's own page: nothing is booked until the booker opens the link emailed to
    /// `email` (issue 19: an anonymous visitor typing a contact's address must not end the
    /// contact's sequence).
    ConfirmationSent(PendingView),
}

/// A booking waiting for its confirmation, as its pages show it.
#[derive(Debug, Clone)]
pub struct PendingView {
    pub email: String,
    pub organizer_name: String,
    pub starts_at: Millis,
    pub time_zone: chrono_tz::Tz,
    /// Already confirmed (the link works once).
    pub confirmed: bool,
}

/// How long a confirmation link stays valid.
pub const CONFIRM_TTL_MS: Millis = 24 * 3600 * 1000;

/// The rate limits of one booking (issue 19): per page and client address, per page, and per
/// page and address mailed. `page` is the booking link's payload (organizer and enrollment).
fn booking_limits(page: &str, client: &str) -> [(Limit, String); 2] {
    [
        (BOOKING_PER_CLIENT, format!("{page}|{client}")),
        (BOOKING_PER_PAGE, page.to_string()),
    ]
}

fn to_engine(row: &AvailabilityRow) -> Result<Availability> {
    let bad = |m: String| ServiceError::Validation(m);
    let time_zone = row
        .time_zone
        .parse()
        .map_err(|_| bad(format!("unknown time zone '{}'", row.time_zone)))?;
    if !(5..=480).contains(&row.slot_minutes) {
        return Err(bad("slot_minutes must be between 5 and 480".into()));
    }
    let mut windows = Vec::new();
    for w in &row.windows {
        let weekday = availability::parse_weekday(&w.weekday)
            .ok_or_else(|| bad(format!("unknown weekday '{}'", w.weekday)))?;
        let (start_min, end_min) = match (
            availability::parse_hhmm(&w.start),
            availability::parse_hhmm(&w.end),
        ) {
            (Some(s), Some(e)) if s < e => (s, e),
            _ => {
                return Err(bad(format!(
                    "window {} {}-{} is not HH:MM-HH:MM",
                    w.weekday, w.start, w.end
                )))
            }
        };
        windows.push(Window {
            weekday,
            start_min,
            end_min,
        });
    }
    Ok(Availability {
        time_zone,
        slot_minutes: row.slot_minutes,
        windows,
    })
}

fn parse_time(s: &str) -> Result<Millis> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_millis())
        .map_err(|_| ServiceError::Validation(format!("'{s}' is not an RFC 3339 time")))
}

impl App {
    pub async fn set_availability(
        &self,
        caller: &Caller,
        req: &AvailabilityRequest,
    ) -> Result<AvailabilityView> {
        let row = AvailabilityRow {
            time_zone: req.time_zone.clone(),
            slot_minutes: req.slot_minutes,
            windows: req
                .windows
                .iter()
                .map(|w| WindowRow {
                    weekday: w.weekday.clone(),
                    start: w.start.clone(),
                    end: w.end.clone(),
                })
                .collect(),
        };
        to_engine(&row)?;
        self.store
            .set_availability(caller.account.id, caller.user.id, &row)
            .await?;
        self.availability(caller).await
    }

    pub async fn availability(&self, caller: &Caller) -> Result<AvailabilityView> {
        let row = self
            .store
            .availability(caller.user.id)
            .await?
            .unwrap_or(AvailabilityRow {
                time_zone: "UTC".into(),
                slot_minutes: 30,
                windows: vec![],
            });
        Ok(AvailabilityView {
            time_zone: row.time_zone,
            slot_minutes: row.slot_minutes,
            windows: row
                .windows
                .into_iter()
                .map(|w| AvailabilityWindow {
                    weekday: w.weekday,
                    start: w.start,
                    end: w.end,
                })
                .collect(),
            meeting_link: self.meeting_url(caller.user.id, None),
        })
    }

    /// The organizer (active, with availability) behind a booking token.
    async fn booking_target(
        &self,
        token: &str,
    ) -> Result<(User, Option<EnrollmentId>, Availability)> {
        let (uid, eid) = self
            .parse_meeting_token(token)
            .map_err(|e| ServiceError::Validation(e.to_string()))?;
        let user = self
            .store
            .user_for_link(uid)
            .await?
            .filter(|u| u.status == UserStatus::Active)
            .ok_or(ServiceError::NotFound("meeting link"))?;
        let row = self
            .store
            .availability(uid)
            .await?
            .ok_or(ServiceError::NotFound("availability"))?;
        Ok((user, eid, to_engine(&row)?))
    }

    pub async fn booking_page(&self, token: &str) -> Result<BookingPage> {
        let (user, _, av) = self.booking_target(token).await?;
        let now = self.now();
        let busy = self
            .store
            .busy(user.id, now, now + i64::from(BOOKING_DAYS + 1) * DAY_MS)
            .await?;
        let slots = availability::free_slots(&av, &busy, now, BOOKING_DAYS, 60);
        Ok(BookingPage {
            organizer_name: user.name,
            time_zone: av.time_zone,
            slot_minutes: av.slot_minutes,
            slots,
        })
    }

    /// A visitor asks for `slot` through a booking link, from `client` (the socket's address).
    /// Rate limited per page and client and per page (`rate_limited`). Through a link inside a
    /// sequence email the slot is booked at once and the enrollment it came from is remembered:
    /// the rules unenroll whoever owns the link. Through a user's own page the address is not
    /// proven, so nothing is booked yet: a one-use confirmation link goes to that address
    /// (limited per page and address too), and [`App::confirm_booking`] books.
    pub async fn book(
        &self,
        token: &str,
        slot: Millis,
        visitor_email: &str,
        client: &str,
    ) -> Result<BookingResult> {
        // The signature first: a forged link costs no database work and counts nothing.
        self.parse_meeting_token(token)
            .map_err(|e| ServiceError::Validation(e.to_string()))?;
        let page = token.rsplit_once('.').map_or(token, |(p, _)| p);
        for (limit, key) in booking_limits(page, client) {
            self.rate_limit(&limit, &key).await?;
        }
        let (user, link_enrollment, av) = self.booking_target(token).await?;
        let email = EmailAddress::parse(visitor_email)?;
        let now = self.now();
        self.check_free(&user, &av, slot).await?;
        if link_enrollment.is_some() {
            return self
                .book_now(&user, &av, &email, slot, link_enrollment, None)
                .await
                .map(BookingResult::Booked);
        }
        self.rate_limit(&BOOKING_PER_EMAIL, &format!("{page}|{email}"))
            .await?;
        let id = self
            .store
            .insert_pending_booking(&NewPendingBooking {
                account_id: user.account_id,
                organizer_id: user.id,
                email: email.to_string(),
                starts_at: slot,
                created_at: now,
                expires_at: now.saturating_add(CONFIRM_TTL_MS),
            })
            .await?;
        let view = PendingView {
            email: email.to_string(),
            organizer_name: user.name.clone(),
            starts_at: slot,
            time_zone: av.time_zone,
            confirmed: false,
        };
        self.mailer
            .send(&self.confirmation_email(&user, &view, id))
            .await?;
        Ok(BookingResult::ConfirmationSent(view))
    }

    /// The email that proves a booker's address: a one-use link to confirm the booking.
    fn confirmation_email(&self, organizer: &User, v: &PendingView, id: i64) -> OutgoingEmail {
        let when = chrono::DateTime::from_timestamp_millis(v.starts_at)
            .unwrap_or_default()
            .with_timezone(&v.time_zone)
            .format("%A %e %B at %H:%M")
            .to_string();
        let domain = organizer
            .email
            .as_str()
            .rsplit_once('@')
            .map_or("sequencer.local", |(_, d)| d)
            .to_string();
        OutgoingEmail {
            from_name: organizer.name.clone(),
            from_email: organizer.email.to_string(),
            to: v.email.clone(),
            subject: format!("Confirm your meeting with {}", organizer.name),
            body: format!(
                "Someone asked to meet {} on {when} ({}) with this email address.\n\n\
                 To book it, open this link and confirm:\n{}\n\n\
                 If it was not you, ignore this email: nothing is booked without it.\n",
                organizer.name,
                v.time_zone.name(),
                self.booking_confirm_url(id),
            ),
            message_id: format!("book.{id}.{:016x}@{domain}", rand::random::<u64>()),
            in_reply_to: None,
            references: vec![],
            headers: vec![],
        }
    }

    /// The pending booking behind a confirmation link, for its page (GET changes nothing).
    pub async fn booking_confirmation(&self, token: &str) -> Result<PendingView> {
        let (pending, user, av) = self.pending_target(token).await?;
        Ok(PendingView {
            email: pending.email,
            organizer_name: user.name,
            starts_at: pending.starts_at,
            time_zone: av.time_zone,
            confirmed: pending.confirmed_at.is_some(),
        })
    }

    /// The booker opened the emailed link and confirmed: the address is proven, the slot is
    /// booked (if still free) and the meeting rules applied, in one transaction that also uses
    /// up the link. A second confirmation answers the same meeting without booking again.
    pub async fn confirm_booking(&self, token: &str) -> Result<BookingOutcome> {
        let (pending, user, av) = self.pending_target(token).await?;
        if let Some(meeting_id) = pending.meeting_id {
            return Ok(BookingOutcome {
                meeting_id,
                organizer_name: user.name,
                starts_at: pending.starts_at,
                time_zone: av.time_zone,
                unenrolled: false,
            });
        }
        if pending.expires_at < self.now() {
            return Err(ServiceError::NotFound("booking request"));
        }
        let email = EmailAddress::parse(&pending.email)?;
        self.check_free(&user, &av, pending.starts_at).await?;
        self.book_now(
            &user,
            &av,
            &email,
            pending.starts_at,
            None,
            Some(pending.id),
        )
        .await
    }

    /// The pending booking, its organizer (still active) and their availability.
    async fn pending_target(&self, token: &str) -> Result<(PendingBooking, User, Availability)> {
        let id = self
            .parse_booking_confirm_token(token)
            .map_err(|e| ServiceError::Validation(e.to_string()))?;
        let pending = self
            .store
            .pending_booking(id)
            .await?
            .ok_or(ServiceError::NotFound("booking request"))?;
        let user = self
            .store
            .user_for_link(pending.organizer_id)
            .await?
            .filter(|u| u.status == UserStatus::Active)
            .ok_or(ServiceError::NotFound("meeting link"))?;
        let row = self
            .store
            .availability(user.id)
            .await?
            .ok_or(ServiceError::NotFound("availability"))?;
        Ok((pending, user, to_engine(&row)?))
    }

    /// `Conflict` unless `slot` is one of the organizer's free slots now.
    async fn check_free(&self, user: &User, av: &Availability, slot: Millis) -> Result<()> {
        let now = self.now();
        let busy = self
            .store
            .busy(user.id, now, now + i64::from(BOOKING_DAYS + 1) * DAY_MS)
            .await?;
        if availability::is_free_slot(av, &busy, now, slot, BOOKING_DAYS) {
            Ok(())
        } else {
            Err(ServiceError::Conflict(
                "this time is no longer available".into(),
            ))
        }
    }

    /// Books `slot` for a booker whose address is proven (a sequence email's own link, or a
    /// confirmed pending booking) and applies the meeting rules.
    async fn book_now(
        &self,
        user: &User,
        av: &Availability,
        email: &EmailAddress,
        slot: Millis,
        link_enrollment: Option<EnrollmentId>,
        pending: Option<i64>,
    ) -> Result<BookingOutcome> {
        let now = self.now();
        let contact = self
            .store
            .contact_by_email(user.account_id, email)
            .await?
            .map(|m| m.contact);
        let source = if link_enrollment.is_some() {
            MeetingSource::SequenceEmailLink
        } else {
            MeetingSource::MeetingLink
        };
        let meeting = NewMeeting {
            account_id: user.account_id,
            organizer_id: user.id,
            source,
            title: format!("Meeting with {}", user.name),
            contact_ids: contact.iter().map(|c| c.id).collect(),
            company_ids: vec![],
            booked_email: Some(email.to_string()),
            link_enrollment_id: link_enrollment,
            starts_at: slot,
            ends_at: slot + i64::from(av.slot_minutes) * 60_000,
            logged_at: now,
        };
        let targets: Vec<(ContactId, bool)> = contact.iter().map(|c| (c.id, true)).collect();
        let (meeting_id, outcomes) = self
            .record_meeting(
                &meeting,
                &targets,
                Actor::rule("meeting_link"),
                true,
                pending,
            )
            .await?;
        let unenrolled = outcomes.iter().any(|o| o.outcome == "unenrolled");
        Ok(BookingOutcome {
            meeting_id,
            organizer_name: user.name.clone(),
            starts_at: slot,
            time_zone: av.time_zone,
            unenrolled,
        })
    }

    /// `POST /api/v1/meetings`: a meeting from the contact record or an integrated calendar.
    pub async fn log_meeting(&self, caller: &Caller, req: &MeetingRequest) -> Result<MeetingView> {
        caller.allow(super::permissions::Action::LogMeeting, None)?;
        if !matches!(
            req.source,
            MeetingSource::ContactRecord
                | MeetingSource::GoogleCalendar
                | MeetingSource::OutlookCalendar
        ) {
            return Err(ServiceError::Validation(
                "source is contact_record, google_calendar or outlook_calendar".into(),
            ));
        }
        let account = caller.account.id;
        let organizer = match req.organizer_id {
            Some(id) => self
                .store
                .user(account, UserId(id))
                .await?
                .ok_or(ServiceError::NotFound("organizer"))?,
            None => caller.user.clone(),
        };
        let starts_at = parse_time(&req.starts_at)?;
        let ends_at = req
            .ends_at
            .as_deref()
            .map(parse_time)
            .transpose()?
            .unwrap_or(starts_at + 30 * 60_000);
        let mut targets: Vec<(ContactId, bool)> = Vec::new();
        for id in &req.contact_ids {
            self.store
                .contact(account, ContactId(*id))
                .await?
                .filter(|c| !c.deleted)
                .ok_or(ServiceError::NotFound("contact"))?;
            targets.push((ContactId(*id), true));
        }
        for id in &req.company_ids {
            self.store
                .company(account, CompanyId(*id))
                .await?
                .ok_or(ServiceError::NotFound("company"))?;
            for c in self
                .store
                .contacts_of_company(account, CompanyId(*id))
                .await?
            {
                if !targets.iter().any(|(t, _)| *t == c) {
                    targets.push((c, false));
                }
            }
        }
        let meeting = NewMeeting {
            account_id: account,
            organizer_id: organizer.id,
            source: req.source,
            title: HeaderText::parse("title", &req.title, text::NAME_MAX)?.into_string(),
            contact_ids: req.contact_ids.iter().map(|i| ContactId(*i)).collect(),
            company_ids: req.company_ids.iter().map(|i| CompanyId(*i)).collect(),
            booked_email: None,
            link_enrollment_id: None,
            starts_at,
            ends_at,
            logged_at: self.now(),
        };
        let (id, outcomes) = self
            .record_meeting(&meeting, &targets, Actor::user(caller.user.id), false, None)
            .await?;
        Ok(MeetingView {
            id,
            source: req.source,
            organizer: user_ref(organizer.id.0, &organizer.name, organizer.email.as_str()),
            contact_ids: req.contact_ids.clone(),
            company_ids: req.company_ids.clone(),
            starts_at: rfc3339(starts_at),
            ends_at: rfc3339(ends_at),
            logged_at: rfc3339(meeting.logged_at),
            outcomes,
        })
    }

    /// Stores the meeting and applies the rules to each target `(contact, associated with it)`,
    /// all in one transaction (everything is read before it opens). `pending`: the confirmed
    /// pending booking this meeting uses up, in the same transaction.
    async fn record_meeting(
        &self,
        m: &NewMeeting,
        targets: &[(ContactId, bool)],
        actor: Actor,
        booked: bool,
        pending: Option<i64>,
    ) -> Result<(i64, Vec<MeetingOutcomeView>)> {
        let mut decisions = Vec::new();
        for (contact, with_contact) in targets {
            let live = self
                .store
                .live_enrollment_ids(m.account_id, None, Some(*contact), None)
                .await?;
            let mut enrollment = None;
            if let Some(id) = live.first() {
                enrollment = self
                    .store
                    .enrollment(m.account_id, *id)
                    .await?
                    .map(|r| r.enrollment);
            }
            let facts = MeetingFacts {
                source: m.source,
                organizer: m.organizer_id,
                with_contact: *with_contact,
                logged_at: m.logged_at,
                link_enrollment: m.link_enrollment_id,
            };
            let decision = match &enrollment {
                Some(e) => decide(
                    &facts,
                    &EnrollmentFacts {
                        id: e.id,
                        enrolled_by: e.enrolled_by,
                        enrolled_at: e.enrolled_at,
                        live: e.is_live(),
                    },
                ),
                None => MeetingDecision::Keep(crate::engine::meetings::Kept::NotEnrolled),
            };
            decisions.push((*contact, *with_contact, enrollment, decision));
        }
        let mut tx = self.store.begin_write().await?;
        let id = match self.store.insert_meeting(&mut tx, m).await {
            // Another visitor took the slot between the availability check and this insert.
            Err(crate::store::StoreError::Duplicate(_)) => {
                return Err(ServiceError::Conflict(
                    "this time is no longer available".into(),
                ))
            }
            other => other?,
        };
        if let Some(p) = pending {
            if !self
                .store
                .confirm_pending_booking(&mut tx, p, id, m.logged_at)
                .await?
            {
                return Err(ServiceError::Conflict(
                    "this booking was already confirmed".into(),
                ));
            }
        }
        let evidence = Evidence {
            meeting_id: Some(id),
            meeting_source: Some(m.source.as_str().to_string()),
            from: m.booked_email.clone(),
            ..Default::default()
        };
        let mut events = Vec::new();
        let mut outcomes = Vec::new();
        for (contact, with_contact, enrollment, decision) in &decisions {
            let unenroll = *decision == MeetingDecision::Unenroll;
            if let (true, Some(e)) = (unenroll, enrollment) {
                let req = EndRequest {
                    state: EnrollmentState::Unenrolled,
                    reason: Some(UnenrollReason::MeetingBooked),
                    actor: actor.clone(),
                    evidence: evidence.clone(),
                    now: m.logged_at,
                    hidden: false,
                };
                self.store
                    .end_enrollments(&mut tx, m.account_id, &[e.id], &req)
                    .await?;
            }
            if *with_contact {
                let verb = if booked {
                    "Meeting booked"
                } else {
                    "Meeting logged"
                };
                events.push(NewEvent {
                    account_id: m.account_id,
                    contact_id: *contact,
                    // Counted as the sequence's meeting only when it ended the enrollment.
                    sequence_id: enrollment
                        .as_ref()
                        .filter(|_| unenroll)
                        .map(|e| e.sequence_id),
                    enrollment_id: enrollment.as_ref().filter(|_| unenroll).map(|e| e.id),
                    kind: "meeting_booked".into(),
                    at: m.logged_at,
                    hidden: false,
                    reason: None,
                    actor: Some(actor.clone()),
                    evidence: Some(evidence.clone()),
                    summary: format!(
                        "{verb} ({}) for {}",
                        m.source.as_str().replace('_', " "),
                        rfc3339(m.starts_at)
                    ),
                });
            }
            outcomes.push(MeetingOutcomeView {
                contact_id: contact.0,
                enrollment_id: enrollment.as_ref().map(|e| e.id.0),
                outcome: decision.as_str().to_string(),
            });
        }
        self.store.insert_events(&mut tx, &events).await?;
        if booked
            && self
                .store
                .slot_taken_except(&mut tx, m.organizer_id, m.starts_at, m.ends_at, id)
                .await?
        {
            return Err(ServiceError::Conflict(
                "this time is no longer available".into(),
            ));
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok((id, outcomes))
    }
}
