//! When a step runs: delays (calendar or business days) fitted into the sequence's send window.

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};

use crate::domain::{Millis, SendWindow};

fn is_weekend(d: Weekday) -> bool {
    matches!(d, Weekday::Sat | Weekday::Sun)
}

fn to_utc(ms: Millis) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// The due time of a step that follows a step run at `prev`: `delay_days` later (skipping weekends
/// when `business_days`), then moved to the first allowed instant of the send window.
pub fn next_due(prev: Millis, delay_days: u32, business_days: bool, window: &SendWindow) -> Millis {
    let tz = window.time_zone;
    let mut local = to_utc(prev).with_timezone(&tz);
    if business_days {
        let mut left = delay_days;
        while left > 0 {
            local += Duration::days(1);
            if !is_weekend(local.weekday()) {
                left -= 1;
            }
        }
    } else {
        local += Duration::days(i64::from(delay_days));
    }
    fit_window(local.with_timezone(&Utc).timestamp_millis(), window)
}

/// When a paused enrollment's next step runs once it resumes (the pause ended, or a rep resumed
/// it): at its due time if that is still ahead, else now; either way inside the send window.
pub fn resume_at(next_run_at: Option<Millis>, now: Millis, window: &SendWindow) -> Millis {
    fit_window(next_run_at.unwrap_or(now).max(now), window)
}

/// The first instant at or after `at` inside the send window.
pub fn fit_window(at: Millis, window: &SendWindow) -> Millis {
    let tz = window.time_zone;
    let start = window.start_hour.min(23);
    let end = window.end_hour.clamp(start + 1, 24);
    let mut local = to_utc(at).with_timezone(&tz);
    for _ in 0..14 {
        let day_ok = !(window.weekdays_only && is_weekend(local.weekday()));
        let hour = local
            .time()
            .format("%H")
            .to_string()
            .parse::<u32>()
            .unwrap_or(0);
        if day_ok && hour >= start && hour < end {
            return local.with_timezone(&Utc).timestamp_millis();
        }
        let date = if day_ok && hour < start {
            local.date_naive()
        } else {
            local.date_naive() + Duration::days(1)
        };
        let opening = date.and_time(NaiveTime::from_hms_opt(start, 0, 0).unwrap_or_default());
        local = match tz.from_local_datetime(&opening).earliest() {
            Some(t) => t,
            // A DST gap swallowed the opening hour: an hour later exists.
            None => match tz
                .from_local_datetime(&(opening + Duration::hours(1)))
                .earliest()
            {
                Some(t) => t,
                None => return at,
            },
        };
    }
    local.with_timezone(&Utc).timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(tz: &str, start: u32, end: u32, weekdays_only: bool) -> SendWindow {
        SendWindow {
            time_zone: tz.parse().unwrap(),
            start_hour: start,
            end_hour: end,
            weekdays_only,
        }
    }

    fn ms(s: &str) -> Millis {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    fn show(m: Millis) -> String {
        to_utc(m).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    fn check(prev: &str, delay: u32, business: bool, w: &SendWindow, expected: &str) {
        assert_eq!(
            show(next_due(ms(prev), delay, business, w)),
            expected,
            "{prev} +{delay}d business={business}"
        );
    }

    #[test]
    fn a_resumed_step_keeps_a_due_time_ahead_and_runs_an_overdue_one_at_the_next_window() {
        let office = window("UTC", 9, 17, true);
        let now = ms("2026-11-27T18:00:00Z"); // Friday, after hours
        let ahead = ms("2026-12-01T10:00:00Z");
        assert_eq!(
            show(resume_at(Some(ahead), now, &office)),
            "2026-12-01T10:00:00Z"
        );
        let overdue = ms("2026-11-25T10:00:00Z");
        assert_eq!(
            show(resume_at(Some(overdue), now, &office)),
            "2026-11-30T09:00:00Z"
        );
        assert_eq!(show(resume_at(None, now, &office)), "2026-11-30T09:00:00Z");
    }

    #[test]
    fn delays_land_inside_the_send_window() {
        let any = window("UTC", 0, 24, false);
        let office = window("UTC", 9, 17, true);
        let berlin = window("Europe/Berlin", 9, 17, true);
        // Friday 2026-11-27 10:00 UTC.
        check(
            "2026-11-27T10:00:00Z",
            1,
            false,
            &any,
            "2026-11-28T10:00:00Z",
        );
        check(
            "2026-11-27T10:00:00Z",
            1,
            false,
            &office,
            "2026-11-30T09:00:00Z",
        );
        check(
            "2026-11-27T10:00:00Z",
            1,
            true,
            &office,
            "2026-11-30T10:00:00Z",
        );
        check(
            "2026-11-27T10:00:00Z",
            3,
            true,
            &any,
            "2026-12-02T10:00:00Z",
        );
        check(
            "2026-11-27T18:30:00Z",
            0,
            false,
            &office,
            "2026-11-30T09:00:00Z",
        );
        check(
            "2026-11-26T06:00:00Z",
            0,
            false,
            &office,
            "2026-11-26T09:00:00Z",
        );
        // 16:30 UTC is 17:30 in Berlin: past the window, so Monday 09:00 Berlin = 08:00 UTC.
        check(
            "2026-11-27T16:30:00Z",
            0,
            false,
            &berlin,
            "2026-11-30T08:00:00Z",
        );
    }
}
