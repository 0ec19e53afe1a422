//! How money, durations and sizes are written in reasons and on screen. Ranking and the
//! reporters share these so a number reads the same in a reason and in its column.

/// Costs closer than this are a tie: sub-cent-hundredth noise in what agents report
/// should not decide a race.
const COST_RESOLUTION: f64 = 1e-4;

/// A cost as a whole number of [`COST_RESOLUTION`] units, for comparing.
pub fn cost_units(usd: f64) -> i64 {
    (usd / COST_RESOLUTION).round() as i64
}

/// `$0.12`; small amounts keep four decimals so `$0.0042` does not read as `$0.00`.
pub fn usd(amount: f64) -> String {
    if amount != 0.0 && amount.abs() < 0.01 {
        format!("${amount:.4}")
    } else {
        format!("${amount:.2}")
    }
}

/// Two costs written so that they differ on screen whenever they differ in ranking.
pub fn usd_pair(a: f64, b: f64) -> (String, String) {
    let (sa, sb) = (usd(a), usd(b));
    if sa == sb {
        (format!("${a:.4}"), format!("${b:.4}"))
    } else {
        (sa, sb)
    }
}

/// A duration for people: `0.4s`, `12.3s`, `1m 05s`, `1h 02m`.
pub fn duration_ms(ms: u64) -> String {
    if ms < 60_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else if ms < 3_600_000 {
        let secs = ms / 1000;
        format!("{}m {:02}s", secs / 60, secs % 60)
    } else {
        let mins = ms / 60_000;
        format!("{}h {:02}m", mins / 60, mins % 60)
    }
}

/// A recorded time (RFC 3339, as records keep it) for people: `2026-12-03 12:57 UTC`.
/// Text that is not such a time is shown as it is rather than hidden.
pub fn timestamp(rfc3339: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => t
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%d %H:%M UTC")
            .to_string(),
        Err(_) => rfc3339.to_string(),
    }
}

/// A clock reading for a live line: `01:23`, or `1:02:03` past an hour.
pub fn clock_ms(ms: u64) -> String {
    let secs = ms / 1000;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

/// A token count in the `1.2k` style: exact below a thousand, one decimal below 100k.
/// The thresholds sit where rounding would otherwise print `100.0k` or `1000k`.
pub fn tokens(n: u64) -> String {
    let f = n as f64;
    if n < 1_000 {
        n.to_string()
    } else if n < 99_950 {
        format!("{:.1}k", f / 1e3)
    } else if n < 999_500 {
        format!("{:.0}k", f / 1e3)
    } else if n < 99_950_000 {
        format!("{:.1}M", f / 1e6)
    } else {
        format!("{:.0}M", f / 1e6)
    }
}

/// `1 assertion`, `3 assertions`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money() {
        let cases: &[(f64, &str)] = &[
            (0.0, "$0.00"),
            (0.12, "$0.12"),
            (0.125, "$0.12"),
            (1.5, "$1.50"),
            (0.0042, "$0.0042"),
            (12.345, "$12.35"),
        ];
        for (amount, want) in cases {
            assert_eq!(usd(*amount), *want, "{amount}");
        }
        assert_eq!(usd_pair(0.12, 0.31), ("$0.12".into(), "$0.31".into()));
        assert_eq!(usd_pair(0.1201, 0.1203), ("$0.1201".into(), "$0.1203".into()));
        assert_eq!(cost_units(0.12), cost_units(0.120_000_01));
        assert!(cost_units(0.12) < cost_units(0.1201));
    }

    #[test]
    fn timestamps() {
        assert_eq!(
            timestamp("2026-12-03T12:57:41.123456789+00:00"),
            "2026-12-03 12:57 UTC"
        );
        assert_eq!(timestamp("2026-12-03T13:57:41+01:00"), "2026-12-03 12:57 UTC");
        assert_eq!(timestamp("yesterday"), "yesterday");
    }

    #[test]
    fn durations() {
        let cases: &[(u64, &str, &str)] = &[
            (0, "0.0s", "00:00"),
            (400, "0.4s", "00:00"),
            (12_345, "12.3s", "00:12"),
            (65_000, "1m 05s", "01:05"),
            (3_599_000, "59m 59s", "59:59"),
            (3_723_000, "1h 02m", "1:02:03"),
        ];
        for (ms, human, clock) in cases {
            assert_eq!(duration_ms(*ms), *human, "{ms}");
            assert_eq!(clock_ms(*ms), *clock, "{ms}");
        }
    }

    #[test]
    fn token_counts() {
        let cases: &[(u64, &str)] = &[
            (0, "0"),
            (999, "999"),
            (1_000, "1.0k"),
            (1_234, "1.2k"),
            (99_949, "99.9k"),
            (99_950, "100k"),
            (123_456, "123k"),
            (999_499, "999k"),
            (999_500, "1.0M"),
            (12_345_678, "12.3M"),
            (123_456_789, "123M"),
        ];
        for (n, want) in cases {
            assert_eq!(tokens(*n), *want, "{n}");
        }
    }
}
