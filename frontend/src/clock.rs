//! The wall clock as a value. Components receive it as a prop (or context) and never read the time
//! themselves, so rendering stays pure and snapshot tests are stable.

/// Now, plus the viewer's UTC offset, captured outside rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Clock {
    /// Seconds since the Unix epoch.
    pub now: i64,
    /// The viewer's offset from UTC in minutes (east positive), for displaying local times.
    pub utc_offset_min: i32,
}

impl Clock {
    pub fn fixed(now: i64, utc_offset_min: i32) -> Self {
        Clock {
            now,
            utc_offset_min,
        }
    }

    /// Reads the browser clock. Call from `start`, effects or callbacks only, never while rendering.
    pub fn read() -> Self {
        let date = js_sys::Date::new_0();
        let now = (date.get_time() / 1000.0).floor() as i64;
        // getTimezoneOffset is UTC minus local, in minutes.
        let utc_offset_min = -(date.get_timezone_offset() as i32);
        Clock {
            now,
            utc_offset_min,
        }
    }
}
