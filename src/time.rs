//! One rule for time: every stored time is UTC (CDRs as imported with the node's `--tz`,
//! queue_log and IVR logs from their epochs). A tenant's reports read `start`/`end` and print
//! times in the tenant's `TIMEZONE` setting (an IANA name, default `UTC`); an admin without a
//! tenant gets the global value of that setting.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike};
use chrono_tz::Tz;

/// An IANA zone by name (`UTC`, `Europe/Rome`).
pub fn zone(name: &str) -> Option<Tz> {
    name.trim().parse().ok()
}

/// A wall-clock time in `tz` as UTC. A time that happens twice (autumn) is the first of the
/// two; a time that never happens (the spring gap) is read with the offset before the gap,
/// which lands just after it (02:30 in Rome on the last Sunday of March is 03:30 CEST).
pub fn to_utc(local: NaiveDateTime, tz: Tz) -> NaiveDateTime {
    match tz.from_local_datetime(&local).earliest() {
        Some(t) => t.naive_utc(),
        None => {
            let before = tz
                .offset_from_utc_datetime(&(local - Duration::hours(24)))
                .fix();
            local - Duration::seconds(i64::from(before.local_minus_utc()))
        }
    }
}

/// A stored (UTC) time as wall-clock time in `tz`.
pub fn from_utc(utc: NaiveDateTime, tz: Tz) -> NaiveDateTime {
    tz.from_utc_datetime(&utc).naive_local()
}

/// A cell of `YYYY-MM-DD HH:MM:SS` UTC text (as [`timestamp_text`] writes it) in
/// `tz`; anything else is left as it is.
pub fn localize_cell(cell: &mut Option<String>, tz: Tz) {
    if tz == Tz::UTC {
        return;
    }
    if let Some(t) = cell.as_deref().and_then(parse_timestamp) {
        *cell = Some(timestamp_text(from_utc(t, tz)));
    }
}

/// `YYYY-MM-DD HH:MM:SS` (chrono's `%Y-%m-%d %H:%M:%S` without parsing that format string
/// for every cell: it was a tenth of a PostgreSQL CDR export's CPU).
pub fn timestamp_text(d: chrono::NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        d.year(),
        d.month(),
        d.day(),
        d.hour(),
        d.minute(),
        d.second()
    )
}

/// `YYYY-MM-DD HH:MM:SS` without a format string (this runs for every cell of an export).
fn parse_timestamp(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    if b.len() != 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
    NaiveDate::from_ymd_opt(n(0..4)? as i32, n(5..7)?, n(8..10)?)?
        .and_hms_opt(n(11..13)?, n(14..16)?, n(17..19)?)
        .filter(|t| t.year() > 0 && t.second() < 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn rome_across_both_dst_changes() {
        let rome = zone("Europe/Rome").unwrap();
        // Winter (CET, +1), summer (CEST, +2).
        assert_eq!(
            to_utc(at("2026-01-10 12:00:00"), rome),
            at("2026-01-10 11:00:00")
        );
        assert_eq!(
            to_utc(at("2026-07-10 12:00:00"), rome),
            at("2026-07-10 10:00:00")
        );
        // 29 March 2026, 02:00 → 03:00: the gap reads as just after it.
        assert_eq!(
            to_utc(at("2026-03-29 01:59:59"), rome),
            at("2026-03-29 00:59:59")
        );
        assert_eq!(
            to_utc(at("2026-03-29 02:30:00"), rome),
            at("2026-03-29 01:30:00")
        );
        assert_eq!(
            to_utc(at("2026-03-29 03:00:00"), rome),
            at("2026-03-29 01:00:00")
        );
        // 25 October 2026, 03:00 → 02:00: 02:30 happens twice, the first is taken.
        assert_eq!(
            to_utc(at("2026-10-25 02:30:00"), rome),
            at("2026-10-25 00:30:00")
        );
        assert_eq!(
            from_utc(at("2026-10-25 00:30:00"), rome),
            at("2026-10-25 02:30:00")
        );
        assert_eq!(
            from_utc(at("2026-10-25 01:30:00"), rome),
            at("2026-10-25 02:30:00")
        );
        let mut cell = Some("2026-03-29 01:30:00".to_string());
        localize_cell(&mut cell, rome);
        assert_eq!(cell.as_deref(), Some("2026-03-29 03:30:00"));
        let mut other = Some("n1-1.1".to_string());
        localize_cell(&mut other, rome);
        assert_eq!(other.as_deref(), Some("n1-1.1"));
        assert!(zone("Europe/../x").is_none());
    }
}
