//! Time conditions, evaluated on the wall clock of the condition's time zone (chrono-tz), so a
//! DST change moves nothing: "Monday 9:00–17:00 in Europe/Rome" means Rome's 9:00 all year.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;

/// A zone by IANA name; `None` when the name is unknown.
pub fn zone(name: &str) -> Option<Tz> {
    name.trim().parse::<Tz>().ok()
}

/// `H:MM` / `HH:MM` (and `24:00`) → minutes since midnight.
fn minutes(v: &str) -> Option<u32> {
    let (h, m) = v.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (0..=23, 0..=59) | (24, 0) => Some(h * 60 + m),
        _ => None,
    }
}

/// WEEKTIME rows: weekday `1`–`7` (Monday = 1), from `H:MM` (inclusive), to `H:MM`
/// (exclusive). True when `now`, read in `tz`, falls inside any row. Malformed rows never match.
pub fn weektime(rows: &[[String; 4]], tz: Tz, now: DateTime<Utc>) -> bool {
    let local = now.with_timezone(&tz);
    let day = local.weekday().number_from_monday();
    let minute = local.hour() * 60 + local.minute();
    rows.iter().any(|r| {
        let (Ok(d), Some(from), Some(to)) =
            (r[0].trim().parse::<u32>(), minutes(&r[1]), minutes(&r[2]))
        else {
            return false;
        };
        d == day && from <= minute && minute < to
    })
}

/// A DATE bound: `YYYY-MM-DD` or `YYYY-MM-DD HH:MM[:SS]`. A bare date starts its day as a
/// start bound and includes its whole day as an end bound.
fn bound(v: &str, end: bool) -> Option<NaiveDateTime> {
    let v = v.trim();
    for fmt in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(v, fmt) {
            return Some(t);
        }
    }
    let d = NaiveDate::parse_from_str(v, "%Y-%m-%d").ok()?;
    if end {
        d.succ_opt().map(|n| n.and_time(NaiveTime::MIN))
    } else {
        Some(d.and_time(NaiveTime::MIN))
    }
}

/// DATE rows: from (param1) inclusive, to (param2) exclusive (a bare end date includes its
/// day), on the wall clock of `tz`. A row without an end holds for its start day alone.
pub fn date(rows: &[[String; 4]], tz: Tz, now: DateTime<Utc>) -> bool {
    let local = now.with_timezone(&tz).naive_local();
    rows.iter().any(|r| {
        let Some(from) = bound(&r[0], false) else {
            return false;
        };
        let to = if r[1].trim().is_empty() {
            bound(&r[0], true)
        } else {
            bound(&r[1], true)
        };
        matches!(to, Some(to) if from <= local && local < to)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn row(a: &str, b: &str, c: &str) -> [String; 4] {
        [a.into(), b.into(), c.into(), String::new()]
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn weektime_boundaries_in_two_zones() {
        // Monday 9:00–17:00.
        let rows = [row("1", "9:00", "17:00")];
        let rome = zone("Europe/Rome").unwrap();
        let ny = zone("America/New_York").unwrap();
        // 2026-01-05 is a Monday; Rome is UTC+1 in winter, New York UTC-5.
        assert!(!weektime(&rows, rome, utc(2026, 1, 5, 7, 59)));
        assert!(weektime(&rows, rome, utc(2026, 1, 5, 8, 0)));
        assert!(weektime(&rows, rome, utc(2026, 1, 5, 15, 59)));
        assert!(!weektime(&rows, rome, utc(2026, 1, 5, 16, 0)));
        assert!(!weektime(&rows, ny, utc(2026, 1, 5, 13, 59)));
        assert!(weektime(&rows, ny, utc(2026, 1, 5, 14, 0)));
        assert!(!weektime(&rows, ny, utc(2026, 1, 5, 22, 0)));
        // Sunday evening in New York is Monday morning in Rome (and not the reverse).
        assert!(weektime(&rows, rome, utc(2026, 1, 5, 9, 0)));
        assert!(!weektime(&rows, ny, utc(2026, 1, 5, 9, 0)));
    }

    #[test]
    fn weektime_across_dst() {
        // Europe moves to summer time on Sunday 2026-03-29 (02:00 → 03:00); Monday 30 Rome is
        // UTC+2, so 9:00 local is 07:00 UTC (it was 08:00 UTC the Monday before).
        let rows = [row("1", "9:00", "17:00")];
        let rome = zone("Europe/Rome").unwrap();
        assert!(!weektime(&rows, rome, utc(2026, 3, 23, 7, 59)));
        assert!(weektime(&rows, rome, utc(2026, 3, 23, 8, 0)));
        assert!(!weektime(&rows, rome, utc(2026, 3, 30, 6, 59)));
        assert!(weektime(&rows, rome, utc(2026, 3, 30, 7, 0)));
        assert!(weektime(&rows, rome, utc(2026, 3, 30, 14, 59)));
        assert!(!weektime(&rows, rome, utc(2026, 3, 30, 15, 0)));
        // Sunday of the change, 01:00–04:00 local: 00:00 UTC is 01:00, 01:00 UTC is 03:00.
        let night = [row("7", "1:00", "4:00")];
        assert!(!weektime(&night, rome, utc(2026, 3, 28, 23, 59)));
        assert!(weektime(&night, rome, utc(2026, 3, 29, 0, 0)));
        assert!(weektime(&night, rome, utc(2026, 3, 29, 1, 59)));
        assert!(!weektime(&night, rome, utc(2026, 3, 29, 2, 0)));
    }

    #[test]
    fn weektime_ignores_malformed_rows_and_allows_24_00() {
        let utc0 = zone("UTC").unwrap();
        let rows = [row("x", "9:00", "17:00"), row("1", "25:00", "26:00")];
        assert!(!weektime(&rows, utc0, utc(2026, 1, 5, 10, 0)));
        let late = [row("1", "22:00", "24:00")];
        assert!(weektime(&late, utc0, utc(2026, 1, 5, 23, 59)));
        assert!(!weektime(&late, utc0, utc(2026, 1, 6, 0, 0)));
    }

    #[test]
    fn date_ranges() {
        let rome = zone("Europe/Rome").unwrap();
        let xmas = [row("2026-12-25", "2026-12-26", "")];
        // 2026-12-24 23:00 UTC is 00:00 on the 25th in Rome.
        assert!(!date(&xmas, rome, utc(2026, 12, 24, 22, 59)));
        assert!(date(&xmas, rome, utc(2026, 12, 24, 23, 0)));
        assert!(date(&xmas, rome, utc(2026, 12, 26, 22, 59)));
        assert!(!date(&xmas, rome, utc(2026, 12, 26, 23, 0)));
        let one_day = [row("2026-08-15", "", "")];
        assert!(date(&one_day, rome, utc(2026, 8, 15, 12, 0)));
        assert!(!date(&one_day, rome, utc(2026, 8, 15, 22, 0)));
        let hours = [row("2026-08-15 09:30", "2026-08-15 12:00", "")];
        assert!(!date(&hours, rome, utc(2026, 8, 15, 7, 29)));
        assert!(date(&hours, rome, utc(2026, 8, 15, 7, 30)));
        assert!(!date(&hours, rome, utc(2026, 8, 15, 10, 0)));
        assert!(!date(&[row("junk", "", "")], rome, utc(2026, 8, 15, 10, 0)));
    }

    #[test]
    fn zones() {
        assert!(zone("Europe/Rome").is_some());
        assert!(zone("Mars/Olympus").is_none());
    }
}
