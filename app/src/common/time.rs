//! Times on the command line (北京时间): `--now` and every time argument are read in Beijing
//! time.

use anyhow::{Result, bail};

use gridloop_core::domain::calendar::Millis;

/// Parses `YYYY-MM-DD HH:MM` (or `YYYY-MM-DDTHH:MM[:SS]`, or a bare date) in Beijing time.
pub fn parse_time(s: &str) -> Result<Millis> {
    let tz = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    let s = s.trim().replace('T', " ");
    for fmt in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(&s, fmt) {
            return Ok(t
                .and_local_timezone(tz)
                .single()
                .expect("fixed offset")
                .timestamp_millis());
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
        let t = d.and_hms_opt(0, 0, 0).expect("midnight");
        return Ok(t
            .and_local_timezone(tz)
            .single()
            .expect("fixed offset")
            .timestamp_millis());
    }
    bail!("bad time `{s}`: expected `YYYY-MM-DD HH:MM` (Beijing time) or `YYYY-MM-DD`")
}

/// The time to act at: `--now` if given, else the clock.
pub fn now(cli_now: Option<&str>) -> Result<Millis> {
    match cli_now {
        Some(s) => parse_time(s),
        None => Ok(clock()),
    }
}

/// The wall clock now (ms since the Unix epoch).
pub fn clock() -> Millis {
    chrono::Utc::now().timestamp_millis()
}
