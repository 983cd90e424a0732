//! Calendar arithmetic for dates written without all their parts: the year of a day and month
//! read from a reply, the next weekday after a date. Pure, no vocabulary: `returndate_words`
//! uses it to turn a mention into a date, and imports nothing else from `returndate`.

use chrono::{Datelike, Duration, NaiveDate};

/// Year for a day/month written without one: the occurrence not long before `base`.
pub(crate) fn with_year(
    base: NaiveDate,
    month: u32,
    day: u32,
    year: Option<i32>,
) -> Option<NaiveDate> {
    if let Some(y) = year {
        let y = if y < 100 { 2000 + y } else { y };
        return NaiveDate::from_ymd_opt(y, month, day);
    }
    let d = NaiveDate::from_ymd_opt(base.year(), month, day)
        .or_else(|| NaiveDate::from_ymd_opt(base.year() + 1, month, day))?;
    if d < base - Duration::days(60) {
        NaiveDate::from_ymd_opt(base.year() + 1, month, day)
    } else {
        Some(d)
    }
}

/// The next `weekday` (0 = Monday) strictly after `base`.
pub(crate) fn next_weekday(base: NaiveDate, weekday: u32) -> NaiveDate {
    let today = base.weekday().num_days_from_monday();
    let mut ahead = (weekday + 7 - today) % 7;
    if ahead == 0 {
        ahead = 7;
    }
    base + Duration::days(ahead as i64)
}
