//! When is an absent person back: Apple's machine-readable `X-Apple-Criteria endDate`, else
//! dates written in the reply (absolute, numeric, CJK, weekdays, "tomorrow") in 15 languages,
//! each read together with the cue before or after it. Convention (corpus labels): the result is
//! the FIRST DAY BACK. "back on X" gives X; "until X", "through X", "July 10-31" give the day
//! after X. A date with no cue ("out of the office Friday") gives nothing. Relative forms are
//! resolved against the local date of the `Date:` header; weekdays mean the next such day
//! strictly after it. Numeric `a/b` dates are day/month unless only month/day is valid or the
//! cue is English (then month/day).
//!
//! Dependencies run one way: `returndate` -> `returndate_words` (the vocabulary) ->
//! `calendar` (date arithmetic); neither of those imports this module.

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};

use crate::doc::Doc;
use crate::returndate_words::{self as words, Cue};

pub(crate) struct ReturnDate {
    pub date: Option<NaiveDate>,
    pub at: Option<DateTime<Utc>>,
    pub signal: Option<String>,
}

/// Finds the first day back, from the Apple header or the text.
pub(crate) fn find(doc: &Doc, body: &str) -> ReturnDate {
    if let Some(at) = apple_end(doc) {
        return ReturnDate {
            date: Some(first_day_after_end(at)),
            at: Some(at),
            signal: Some("header:x-apple-criteria=enddate".into()),
        };
    }
    let none = ReturnDate {
        date: None,
        at: None,
        signal: None,
    };
    let Some(sent) = doc.date else {
        return none;
    };
    let base = sent.date_naive();
    let body_l = body.to_lowercase();
    let subj_l = doc.subject.to_lowercase();
    let mut best: Option<(Cue, NaiveDate)> = None;
    for t in [&body_l, &subj_l] {
        for (cue, d) in words::mentions(t, base) {
            if d < base || d > base + Duration::days(400) {
                continue;
            }
            let better = match &best {
                None => true,
                Some((bc, _)) => cue == Cue::Back && *bc == Cue::Until,
            };
            if better {
                best = Some((cue, d));
            }
        }
    }
    match best {
        Some((cue, d)) => ReturnDate {
            date: Some(d),
            at: None,
            signal: Some(format!(
                "body:return-date-{}",
                if cue == Cue::Back { "back" } else { "until" }
            )),
        },
        None => none,
    }
}

fn apple_end(doc: &Doc) -> Option<DateTime<Utc>> {
    let v = doc.header("x-apple-criteria")?;
    let i = v.find("endDate=")?;
    let rest = &v[i + "endDate=".len()..];
    let end = rest.find([',', '}', ' ']).unwrap_or(rest.len());
    DateTime::parse_from_rfc3339(rest[..end].trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// Apple writes the end as the last second of a local day (`14:59:59Z` = 23:59:59 at +09:00):
/// infer that offset, so the first day back is the next local day.
fn first_day_after_end(end: DateTime<Utc>) -> NaiveDate {
    let next = end + Duration::seconds(1);
    if end.minute() == 59 && end.second() == 59 {
        let offset_h = (24 - (end.hour() as i64 + 1)).rem_euclid(24);
        let local_end = end + Duration::hours(offset_h);
        return local_end.date_naive() + Duration::days(1);
    }
    next.date_naive()
}
