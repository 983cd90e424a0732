//! Which meetings unenroll a contact: a pure decision over the meeting's facts and one enrollment.
//!
//! Rules (product spec, "Meetings"), in order:
//! 1. Only a live enrollment can end.
//! 2. A meeting only on an associated record (the contact's company) never unenrolls: it must be
//!    associated with the contact itself.
//! 3. What counts is when the meeting was *logged*: logged while enrolled counts even if it took
//!    place earlier; logged before the enrollment does not.
//! 4. Booked through a meeting link inside this enrollment's sequence email: unenrolls, whoever
//!    owns the link.
//! 5. Otherwise (contact record, Google/Outlook calendar, a plain meeting link): unenrolls only when
//!    the organizer is the user who enrolled the contact.

use crate::domain::{EnrollmentId, Millis, UserId};
use shared::MeetingSource;

/// The meeting, as far as the rules care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingFacts {
    pub source: MeetingSource,
    pub organizer: UserId,
    /// Associated with the contact itself (not only with its company).
    pub with_contact: bool,
    pub logged_at: Millis,
    /// The enrollment whose email carried the booking link, if booked that way.
    pub link_enrollment: Option<EnrollmentId>,
}

/// The enrollment, as far as the rules care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentFacts {
    pub id: EnrollmentId,
    pub enrolled_by: UserId,
    pub enrolled_at: Millis,
    pub live: bool,
}

/// Why a meeting did not unenroll; the wire names are the `as_str` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    NotEnrolled,
    NotAssociatedWithContact,
    LoggedBeforeEnrollment,
    OrganizerIsNotEnroller,
}

impl Kept {
    pub fn as_str(self) -> &'static str {
        match self {
            Kept::NotEnrolled => "not_enrolled",
            Kept::NotAssociatedWithContact => "not_associated_with_contact",
            Kept::LoggedBeforeEnrollment => "logged_before_enrollment",
            Kept::OrganizerIsNotEnroller => "organizer_is_not_enroller",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetingDecision {
    /// Unenroll with `meeting_booked`.
    Unenroll,
    Keep(Kept),
}

impl MeetingDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            MeetingDecision::Unenroll => "unenrolled",
            MeetingDecision::Keep(k) => k.as_str(),
        }
    }
}

/// Decides what `meeting` does to `enrollment` (see the module docs for the order).
pub fn decide(meeting: &MeetingFacts, enrollment: &EnrollmentFacts) -> MeetingDecision {
    use MeetingDecision::*;
    if !enrollment.live {
        return Keep(Kept::NotEnrolled);
    }
    if !meeting.with_contact {
        return Keep(Kept::NotAssociatedWithContact);
    }
    if meeting.logged_at < enrollment.enrolled_at {
        return Keep(Kept::LoggedBeforeEnrollment);
    }
    if meeting.source == MeetingSource::SequenceEmailLink
        && meeting.link_enrollment == Some(enrollment.id)
    {
        return Unenroll;
    }
    if meeting.organizer == enrollment.enrolled_by {
        Unenroll
    } else {
        Keep(Kept::OrganizerIsNotEnroller)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENROLLED_AT: Millis = 1_000_000;
    const REP: UserId = UserId(1);
    const OTHER: UserId = UserId(2);

    fn enrollment(live: bool) -> EnrollmentFacts {
        EnrollmentFacts {
            id: EnrollmentId(7),
            enrolled_by: REP,
            enrolled_at: ENROLLED_AT,
            live,
        }
    }

    fn meeting(
        source: MeetingSource,
        organizer: UserId,
        with_contact: bool,
        logged_at: Millis,
    ) -> MeetingFacts {
        let link_enrollment =
            (source == MeetingSource::SequenceEmailLink).then_some(EnrollmentId(7));
        MeetingFacts {
            source,
            organizer,
            with_contact,
            logged_at,
            link_enrollment,
        }
    }

    fn check(m: MeetingFacts, e: EnrollmentFacts, expected: &str) {
        assert_eq!(decide(&m, &e).as_str(), expected, "{m:?} / {e:?}");
    }

    #[test]
    fn each_spec_rule_has_a_case() {
        use MeetingSource::*;
        let after = ENROLLED_AT + 1;
        // Through a link in the sequence's email: unenrolls even when the link is another user's.
        check(
            meeting(SequenceEmailLink, OTHER, true, after),
            enrollment(true),
            "unenrolled",
        );
        // A link from another enrollment's email falls back to the organizer rule.
        let mut other_link = meeting(SequenceEmailLink, OTHER, true, after);
        other_link.link_enrollment = Some(EnrollmentId(99));
        check(other_link, enrollment(true), "organizer_is_not_enroller");
        // Contact record and calendars: only when the organizer enrolled the contact.
        for source in [ContactRecord, GoogleCalendar, OutlookCalendar, MeetingLink] {
            check(
                meeting(source, REP, true, after),
                enrollment(true),
                "unenrolled",
            );
            check(
                meeting(source, OTHER, true, after),
                enrollment(true),
                "organizer_is_not_enroller",
            );
        }
        // Logged only on the company: never; also on the contact: yes.
        check(
            meeting(ContactRecord, REP, false, after),
            enrollment(true),
            "not_associated_with_contact",
        );
        // Logged while enrolled counts; logged before the enrollment does not.
        check(
            meeting(OutlookCalendar, REP, true, ENROLLED_AT),
            enrollment(true),
            "unenrolled",
        );
        check(
            meeting(OutlookCalendar, REP, true, ENROLLED_AT - 1),
            enrollment(true),
            "logged_before_enrollment",
        );
        check(
            meeting(SequenceEmailLink, REP, true, after),
            enrollment(false),
            "not_enrolled",
        );
    }

    /// The whole rule table as text: every rule change is a one-line diff for review.
    #[test]
    fn meeting_rule_table() {
        let mut table = String::from(
            "source               organizer  associated   logged   enrollment -> decision\n",
        );
        for source in MeetingSource::ALL {
            for (org_name, organizer) in [("enroller", REP), ("other", OTHER)] {
                for (assoc_name, with_contact) in [("contact", true), ("company", false)] {
                    for (when, logged_at) in
                        [("during", ENROLLED_AT + 5), ("before", ENROLLED_AT - 5)]
                    {
                        for (state, live) in [("live", true), ("ended", false)] {
                            let d = decide(
                                &meeting(*source, organizer, with_contact, logged_at),
                                &enrollment(live),
                            );
                            table.push_str(&format!(
                                "{:<20} {org_name:<10} {assoc_name:<12} {when:<8} {state:<10} -> {}\n",
                                source.as_str(),
                                d.as_str()
                            ));
                        }
                    }
                }
            }
        }
        insta::assert_snapshot!(table);
    }
}
