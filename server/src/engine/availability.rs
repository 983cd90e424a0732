//! Free meeting slots from a weekly availability (local to a time zone) minus busy intervals.

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};

use crate::domain::Millis;

/// One weekly window in local time: minutes after midnight, `start < end <= 1440`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub weekday: Weekday,
    pub start_min: u32,
    pub end_min: u32,
}

/// A user's weekly availability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Availability {
    pub time_zone: chrono_tz::Tz,
    pub slot_minutes: u32,
    pub windows: Vec<Window>,
}

/// Slot starts from `from` (exclusive of slots starting before it) for `days` local days, at most
/// `limit`, skipping any slot that overlaps a busy `(start, end)` interval.
pub fn free_slots(
    av: &Availability,
    busy: &[(Millis, Millis)],
    from: Millis,
    days: u32,
    limit: usize,
) -> Vec<Millis> {
    let slot_ms = i64::from(av.slot_minutes.max(5)) * 60_000;
    let tz = av.time_zone;
    let start_day = DateTime::<Utc>::from_timestamp_millis(from)
        .unwrap_or_default()
        .with_timezone(&tz)
        .date_naive();
    let mut out = Vec::new();
    for d in 0..i64::from(days) {
        let day = start_day + Duration::days(d);
        let mut windows: Vec<&Window> = av
            .windows
            .iter()
            .filter(|w| w.weekday == day.weekday())
            .collect();
        windows.sort_by_key(|w| w.start_min);
        for w in windows {
            let mut m = w.start_min;
            while m + av.slot_minutes.max(5) <= w.end_min.min(24 * 60) {
                let Some(t) = NaiveTime::from_hms_opt(m / 60, m % 60, 0) else {
                    break;
                };
                m += av.slot_minutes.max(5);
                // A local time inside a DST gap does not exist: skip it.
                let Some(local) = tz.from_local_datetime(&day.and_time(t)).earliest() else {
                    continue;
                };
                let s = local.with_timezone(&Utc).timestamp_millis();
                let e = s + slot_ms;
                if s < from || busy.iter().any(|(bs, be)| s < *be && *bs < e) || out.contains(&s) {
                    continue;
                }
                out.push(s);
                if out.len() >= limit {
                    return out;
                }
            }
        }
    }
    out
}

/// Whether `at` is a free slot start (what a booking must satisfy).
pub fn is_free_slot(
    av: &Availability,
    busy: &[(Millis, Millis)],
    now: Millis,
    at: Millis,
    days: u32,
) -> bool {
    free_slots(av, busy, now, days, 10_000).contains(&at)
}

/// `mon`..`sun`.
pub fn parse_weekday(s: &str) -> Option<Weekday> {
    s.trim().to_lowercase().get(..3)?.parse().ok()
}

/// `HH:MM` -> minutes after midnight (`24:00` allowed as an end).
pub fn parse_hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> Millis {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    fn show(v: &[Millis]) -> Vec<String> {
        v.iter()
            .map(|m| {
                DateTime::<Utc>::from_timestamp_millis(*m)
                    .unwrap()
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            })
            .collect()
    }

    #[test]
    fn slots_follow_the_local_week_and_skip_busy_times() {
        let av = Availability {
            time_zone: "Europe/Berlin".parse().unwrap(),
            slot_minutes: 30,
            windows: vec![Window {
                weekday: Weekday::Mon,
                start_min: 9 * 60,
                end_min: 10 * 60 + 30,
            }],
        };
        // Friday 2026-11-27 09:00 UTC; Monday 09:00 Berlin is 08:00 UTC.
        let busy = [(ms("2026-11-30T08:30:00Z"), ms("2026-11-30T08:45:00Z"))];
        let slots = free_slots(&av, &busy, ms("2026-11-27T09:00:00Z"), 7, 10);
        assert_eq!(
            show(&slots),
            vec!["2026-11-30T08:00:00Z", "2026-11-30T09:00:00Z"]
        );
        assert!(is_free_slot(
            &av,
            &busy,
            ms("2026-11-27T09:00:00Z"),
            slots[0],
            7
        ));
        assert!(!is_free_slot(
            &av,
            &busy,
            ms("2026-11-27T09:00:00Z"),
            ms("2026-11-30T08:30:00Z"),
            7
        ));
        assert_eq!(
            (
                parse_weekday("Monday"),
                parse_hhmm("24:00"),
                parse_hhmm("9:75")
            ),
            (Some(Weekday::Mon), Some(1440), None)
        );
    }
}
