//! Human wording for wire values and timestamps. Pure functions of their arguments (the time comes
//! in as a [`Clock`]), so they are tested as tables and used freely while rendering.

use shared::{
    ActorKind, ActorView, EnrollmentState, EvidenceView, PauseReason, StepKind, UnenrollReason,
    UnenrollSurface,
};

use crate::clock::Clock;

/// Why a contact left a sequence, as a rep would say it ("Unenrolled 2 days ago: replied").
pub fn unenroll_reason(reason: UnenrollReason) -> &'static str {
    match reason {
        UnenrollReason::Replied => "replied",
        UnenrollReason::EmailedOutsideSequence => "emailed you outside the sequence",
        UnenrollReason::RepliedFromOtherAddress => "replied from another address",
        UnenrollReason::EmailedFromAlias => "emailed you from an alias",
        UnenrollReason::SameCompanyReplied => "someone at the same company replied",
        UnenrollReason::MeetingBooked => "booked a meeting",
        UnenrollReason::Unsubscribed => "unsubscribed",
        UnenrollReason::Bounced => "bounced",
        UnenrollReason::ContactUnreachable => "unreachable (left or mailbox closed)",
        UnenrollReason::Workflow => "unenrolled by a workflow",
        UnenrollReason::SequenceDeleted => "the sequence was deleted",
        UnenrollReason::CreatorDowngraded => "the sequence's creator lost their seat",
        UnenrollReason::CreatorDeleted => "the sequence's creator was removed",
        UnenrollReason::ContactDeleted => "the contact was deleted",
        UnenrollReason::Manual => "manually",
        UnenrollReason::Unknown => "unenrolled",
    }
}

/// Where a manual unenroll was made ("from the Outlook panel").
pub fn surface(surface: UnenrollSurface) -> &'static str {
    match surface {
        UnenrollSurface::ContactRecord => "the contact record",
        UnenrollSurface::SequenceActions => "the sequence's Actions menu",
        UnenrollSurface::ScheduledTab => "the Scheduled tab",
        UnenrollSurface::Bulk => "a bulk action",
        UnenrollSurface::GmailPanel => "the Gmail panel",
        UnenrollSurface::OutlookPanel => "the Outlook panel",
        UnenrollSurface::Api => "the API",
        UnenrollSurface::Unknown => "another place",
    }
}

pub fn step_kind(kind: StepKind) -> &'static str {
    match kind {
        StepKind::AutomatedEmail => "Automated email",
        StepKind::ManualEmailTask => "Manual email task",
        StepKind::CallTask => "Call task",
        StepKind::GenericTask => "Task",
        StepKind::Unknown => "Step",
    }
}

pub fn enrollment_state(state: EnrollmentState) -> &'static str {
    match state {
        EnrollmentState::Active => "Active",
        EnrollmentState::Paused => "Paused",
        EnrollmentState::Finished => "Finished",
        EnrollmentState::Unenrolled => "Unenrolled",
        EnrollmentState::Unknown => "Unknown",
    }
}

/// "Out of office until Tue 3 Dec", "Held for review", "Paused".
pub fn pause(reason: Option<PauseReason>, until: Option<&str>, clock: Clock) -> String {
    let what = match reason {
        Some(PauseReason::OutOfOffice) => "Out of office",
        Some(PauseReason::HeldForReview) => "Held for review",
        _ => "Paused",
    };
    match until.and_then(parse_timestamp) {
        Some(t) => format!("{what} until {}", date(t, clock)),
        None => what.to_string(),
    }
}

/// Who or what made a transition, with the surface for a manual one: "by Ann Lee via the Outlook
/// panel", "automatically".
pub fn actor(actor: Option<&ActorView>, evidence: Option<&EvidenceView>) -> Option<String> {
    let actor = actor?;
    let who = match (actor.kind, &actor.user, &actor.name) {
        (ActorKind::User, Some(u), _) => format!("by {}", u.name),
        (ActorKind::Workflow, _, Some(n)) => format!("by workflow {n}"),
        (ActorKind::Rule, _, _) => "automatically".to_string(),
        (ActorKind::System, _, _) => "by the system".to_string(),
        (_, _, Some(n)) => format!("by {n}"),
        _ => return None,
    };
    match evidence.and_then(|e| e.surface) {
        Some(s) => Some(format!("{who} via {}", surface(s))),
        None => Some(who),
    }
}

/// The evidence a rep can act on: "message from jane@acme.com", "meeting 12".
pub fn evidence(evidence: Option<&EvidenceView>) -> Option<String> {
    let e = evidence?;
    if let Some(from) = &e.from {
        return Some(match &e.subject {
            Some(subject) if !subject.is_empty() => {
                format!("message from {from}: \u{201c}{subject}\u{201d}")
            }
            _ => format!("message from {from}"),
        });
    }
    if let Some(source) = &e.meeting_source {
        return Some(format!("meeting booked via {}", source.replace('_', " ")));
    }
    e.note.clone()
}

// ---------- time ----------

/// Parses an RFC 3339 timestamp (`2026-11-27T09:30:00Z`, fractions and offsets allowed) into Unix
/// seconds.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" | "" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let oh = rest.get(1..3)?.parse::<i64>().ok()?;
            let om = rest.get(4..6)?.parse::<i64>().ok()?;
            sign * (oh * 3600 + om * 60)
        }
    };
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// "Tue 3 Dec" (with the year when it is not the viewer's current year), in the viewer's time zone.
pub fn date(t: i64, clock: Clock) -> String {
    let local = t + i64::from(clock.utc_offset_min) * 60;
    let days = local.div_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let weekday = WEEKDAYS[days.rem_euclid(7) as usize];
    let (now_y, _, _) =
        civil_from_days((clock.now + i64::from(clock.utc_offset_min) * 60).div_euclid(86_400));
    let month = MONTHS[(m - 1) as usize];
    if y == now_y {
        format!("{weekday} {d} {month}")
    } else {
        format!("{weekday} {d} {month} {y}")
    }
}

/// "Tue 3 Dec, 09:30", in the viewer's time zone.
pub fn date_time(t: i64, clock: Clock) -> String {
    let local = (t + i64::from(clock.utc_offset_min) * 60).rem_euclid(86_400);
    format!(
        "{}, {:02}:{:02}",
        date(t, clock),
        local / 3600,
        (local % 3600) / 60
    )
}

/// "just now", "5 minutes ago", "in 2 hours", "3 days ago"; beyond two weeks, the date.
pub fn relative(t: i64, clock: Clock) -> String {
    let delta = t - clock.now;
    let abs = delta.abs();
    let (n, unit) = match abs {
        0..=59 => return "just now".to_string(),
        60..=3599 => (abs / 60, "minute"),
        3600..=86_399 => (abs / 3600, "hour"),
        86_400..=1_209_599 => (abs / 86_400, "day"),
        _ => return format!("on {}", date(t, clock)),
    };
    let plural = if n == 1 { "" } else { "s" };
    if delta < 0 {
        format!("{n} {unit}{plural} ago")
    } else {
        format!("in {n} {unit}{plural}")
    }
}

/// Formats a wire timestamp with `f`, falling back to the raw text when it does not parse.
pub fn ts(s: &str, clock: Clock, f: fn(i64, Clock) -> String) -> String {
    parse_timestamp(s)
        .map(|t| f(t, clock))
        .unwrap_or_else(|| s.to_string())
}

/// Initials for an avatar: "Jane Doe" -> "JD", "jane@acme.com" -> "J".
pub fn initials(name: &str) -> String {
    name.split(|c: char| c.is_whitespace() || c == '@' || c == '.')
        .filter(|w| !w.is_empty())
        .take(2)
        .filter_map(|w| w.chars().next())
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-11-27T09:30:00Z, a Friday.
    const NOW: i64 = 1_795_771_800;

    #[test]
    fn timestamps_parse_to_unix_seconds() {
        let check =
            |s: &str, expected: Option<i64>| assert_eq!(parse_timestamp(s), expected, "{s}");
        check("1970-01-01T00:00:00Z", Some(0));
        check("2026-11-27T09:30:00Z", Some(NOW));
        check("2026-11-27T09:30:00.123456Z", Some(NOW));
        check("2026-11-27T10:30:00+01:00", Some(NOW));
        check("2026-11-27T04:30:00-05:00", Some(NOW));
        check("2026-02-29", None);
        check("yesterday", None);
        check("2026-13-01T00:00:00Z", None);
    }

    #[test]
    fn dates_render_in_the_viewers_zone() {
        let utc = Clock::fixed(NOW, 0);
        assert_eq!(date_time(NOW, utc), "Fri 27 Nov, 09:30");
        assert_eq!(date_time(NOW, Clock::fixed(NOW, 60)), "Fri 27 Nov, 10:30");
        assert_eq!(date_time(NOW, Clock::fixed(NOW, -600)), "Thu 26 Nov, 23:30");
        assert_eq!(date(NOW + 40 * 86_400, utc), "Wed 6 Jan 2027");
        assert_eq!(date(0, utc), "Thu 1 Jan 1970");
    }

    #[test]
    fn relative_times_read_naturally() {
        let clock = Clock::fixed(NOW, 0);
        let table: Vec<String> = [
            -5,
            -60,
            -7200,
            -86_400,
            -2 * 86_400,
            90,
            3 * 3600,
            20 * 86_400,
        ]
        .iter()
        .map(|d| format!("{d:>8} -> {}", relative(NOW + d, clock)))
        .collect();
        insta::assert_snapshot!(table.join("\n"), @r"
              -5 -> just now
             -60 -> 1 minute ago
           -7200 -> 2 hours ago
          -86400 -> 1 day ago
         -172800 -> 2 days ago
              90 -> in 1 minute
           10800 -> in 3 hours
         1728000 -> on Thu 17 Dec
        ");
    }

    #[test]
    fn every_unenroll_reason_has_human_wording() {
        let table: Vec<String> = UnenrollReason::ALL
            .iter()
            .map(|r| format!("{:<28} {}", r.as_str(), unenroll_reason(*r)))
            .collect();
        insta::assert_snapshot!(table.join("\n"));
    }

    #[test]
    fn pauses_say_why_and_until_when() {
        let clock = Clock::fixed(NOW, 0);
        let ooo = pause(
            Some(PauseReason::OutOfOffice),
            Some("2026-12-03T00:00:00Z"),
            clock,
        );
        assert_eq!(ooo, "Out of office until Thu 3 Dec");
        assert_eq!(
            pause(Some(PauseReason::HeldForReview), None, clock),
            "Held for review"
        );
        assert_eq!(pause(None, None, clock), "Paused");
    }

    #[test]
    fn initials_come_from_names_or_addresses() {
        assert_eq!(initials("Jane Doe"), "JD");
        assert_eq!(initials("jane@acme.com"), "JA");
        assert_eq!(initials("Prince"), "P");
        assert_eq!(initials(""), "");
    }
}
