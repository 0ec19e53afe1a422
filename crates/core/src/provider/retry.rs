//! When to try again: the wait a provider asks for (`retry-after-ms`, `retry-after` in
//! seconds or as an HTTP date, Gemini's `RetryInfo`), and otherwise exponential backoff
//! with jitter from a seeded generator. Sleeping and the clock are injected so tests
//! neither wait nor depend on the time of day.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

/// Waits; tests inject one that records instead.
pub trait Sleeper: Send + Sync {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// Sleeps on the tokio timer.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// The wall clock, for `retry-after` HTTP dates.
pub trait Clock: Send + Sync {
    fn now(&self) -> SystemTime;
}

/// The system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// The wait the response's headers ask for: `retry-after-ms` first (OpenAI and
/// Anthropic send it, finer than seconds), then `retry-after`.
pub(crate) fn header_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let ms = text("retry-after-ms")
        .and_then(|v| v.parse::<f64>().ok())
        .and_then(|ms| Duration::try_from_secs_f64(ms / 1000.0).ok());
    ms.or_else(|| text("retry-after").and_then(|v| parse_retry_after(v, now)))
}

/// A `retry-after` value: delay seconds (integer or decimal) or an HTTP date. A date
/// in the past means now.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A protobuf JSON duration as Gemini's `RetryInfo.retryDelay` writes it (`"7s"`,
/// `"0.250s"`).
pub(crate) fn parse_proto_duration(value: &str) -> Option<Duration> {
    let secs = value.trim().strip_suffix('s')?.parse::<f64>().ok()?;
    Duration::try_from_secs_f64(secs).ok()
}

/// SplitMix64: a tiny seeded generator. Hand-written rather than `rand` because jitter
/// needs nothing more, and a fixed algorithm keeps a seed's sequence the same across
/// dependency upgrades (`rand` does not promise that for its default generators).
#[derive(Clone, Debug)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float in `[0, 1)`.
    pub fn next_unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Exponential backoff with "equal jitter": retry `n` waits half of `base · 2ⁿ⁻¹`
/// (capped at `max`) plus a random share of the other half, so waits grow but
/// concurrent lanes do not retry in lockstep.
#[derive(Clone, Debug)]
pub(crate) struct Backoff {
    base: Duration,
    max: Duration,
    rng: SplitMix64,
}

impl Backoff {
    pub fn new(base: Duration, max: Duration, seed: u64) -> Backoff {
        Backoff {
            base,
            max,
            rng: SplitMix64::new(seed),
        }
    }

    /// The wait before retry `n` (1 = the first retry).
    pub fn delay(&mut self, n: u32) -> Duration {
        let factor = 2u32.saturating_pow(n.saturating_sub(1).min(31));
        let full = self.base.saturating_mul(factor).min(self.max);
        let half = full / 2;
        half + half.mul_f64(self.rng.next_unit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn retry_after_values() {
        // 1994-11-06 08:49:37 UTC is 784111777.
        let now = at(784_111_777);
        let cases: &[(&str, Option<Duration>)] = &[
            ("5", Some(Duration::from_secs(5))),
            (" 0 ", Some(Duration::ZERO)),
            ("1.5", Some(Duration::from_millis(1500))),
            ("Sun, 06 Nov 1994 08:49:57 GMT", Some(Duration::from_secs(20))),
            ("Sun, 06 Nov 1994 08:49:00 GMT", Some(Duration::ZERO)),
            ("-3", None),
            ("soon", None),
            ("", None),
        ];
        for (value, want) in cases {
            assert_eq!(parse_retry_after(value, now), *want, "{value:?}");
        }
    }

    #[test]
    fn header_precedence() {
        let mut headers = HeaderMap::new();
        assert_eq!(header_wait(&headers, at(0)), None);
        headers.insert("retry-after", HeaderValue::from_static("3"));
        assert_eq!(header_wait(&headers, at(0)), Some(Duration::from_secs(3)));
        headers.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(header_wait(&headers, at(0)), Some(Duration::from_millis(250)));
        headers.insert("retry-after-ms", HeaderValue::from_static("nonsense"));
        assert_eq!(header_wait(&headers, at(0)), Some(Duration::from_secs(3)));
    }

    #[test]
    fn proto_durations() {
        let cases: &[(&str, Option<Duration>)] = &[
            ("7s", Some(Duration::from_secs(7))),
            ("0.250s", Some(Duration::from_millis(250))),
            ("31s", Some(Duration::from_secs(31))),
            ("7", None),
            ("xs", None),
        ];
        for (value, want) in cases {
            assert_eq!(parse_proto_duration(value), *want, "{value}");
        }
    }

    #[test]
    fn backoff_is_deterministic_bounded_and_growing() {
        let base = Duration::from_millis(500);
        let max = Duration::from_secs(8);
        let run = |seed| {
            let mut b = Backoff::new(base, max, seed);
            (1..=8).map(|n| b.delay(n)).collect::<Vec<_>>()
        };
        let a = run(42);
        assert_eq!(a, run(42));
        assert_ne!(a, run(43));
        for (i, d) in a.iter().enumerate() {
            let full = base.saturating_mul(1 << i).min(max);
            assert!(
                *d >= full / 2 && *d <= full,
                "retry {}: {d:?} outside {full:?}",
                i + 1
            );
        }
        // The exact sequence for seed 42 is fixed by the algorithm.
        let ms: Vec<u128> = a.iter().map(|d| d.as_millis()).collect();
        assert_eq!(ms, [435, 579, 1278, 2688, 4152, 7472, 4873, 7202]);
        assert!(Backoff::new(base, max, 1).delay(u32::MAX) <= max);
    }
}
