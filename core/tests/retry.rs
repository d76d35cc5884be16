//! Retry and fallback decisions, table-driven.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use hermesllm::Api;
use plano_core::error::{ExchangeError, RequestError, RetryType, UpstreamError};
use plano_core::retry::{
    Attempt, Decision, Failure, GiveUpReason, RetryPolicy, backoff_ms, decide, parse_http_date,
    parse_retry_after,
};

/// 2015-10-21T07:28:00Z.
const NOW: u64 = 1_445_412_480_000;

fn at(attempt: u32, sent: bool, fallback: bool, jitter: f64) -> Attempt {
    Attempt {
        attempt,
        client_bytes_sent: sent,
        has_fallback: fallback,
        now_ms: NOW,
        jitter,
    }
}

fn status(status: u16, retry_after: Option<&str>) -> Failure<'_> {
    Failure::Status {
        status,
        retry_after,
    }
}

#[test]
fn decisions() {
    use Decision::{Fallback, GiveUp, RetryAfter};
    use GiveUpReason::{ClientBytesSent, Exhausted, NotRetryable, RetryAfterTooLong};
    let p = RetryPolicy::default();
    #[rustfmt::skip]
    let table: Vec<(&str, Failure<'_>, Attempt, Decision)> = vec![
        // Transient failures: same provider with backoff (jitter 0.5 of the 250 ms ceiling).
        ("connect, first",          Failure::Connect,          at(1, false, true, 0.5), RetryAfter(125)),
        ("connect timeout",         Failure::ConnectTimeout,   at(1, false, false, 0.5), RetryAfter(125)),
        ("500",                     status(500, None),         at(1, false, true, 0.5), RetryAfter(125)),
        ("502",                     status(502, None),         at(1, false, true, 0.0), RetryAfter(0)),
        ("503",                     status(503, None),         at(1, false, true, 0.999), RetryAfter(249)),
        ("504",                     status(504, None),         at(1, false, true, 0.5), RetryAfter(125)),
        ("529",                     status(529, None),         at(1, false, true, 0.5), RetryAfter(125)),
        ("408",                     status(408, None),         at(1, false, true, 0.5), RetryAfter(125)),
        ("429 without retry-after", status(429, None),         at(1, false, true, 0.5), RetryAfter(125)),
        // retry-after replaces the backoff, within the cap.
        ("429 retry-after 3s",      status(429, Some("3")),    at(1, false, true, 0.5), RetryAfter(3_000)),
        ("503 retry-after date",    status(503, Some("Wed, 21 Oct 2015 07:28:07 GMT")), at(1, false, true, 0.5), RetryAfter(7_000)),
        ("retry-after in the past", status(429, Some("Wed, 21 Oct 2015 07:27:00 GMT")), at(1, false, true, 0.5), RetryAfter(0)),
        ("retry-after at the cap",  status(429, Some("10")),   at(1, false, true, 0.5), RetryAfter(10_000)),
        ("retry-after over cap",    status(429, Some("11")),   at(1, false, true, 0.5), Fallback),
        ("over cap, no fallback",   status(429, Some("3600")), at(1, false, false, 0.5), GiveUp(RetryAfterTooLong)),
        ("unreadable retry-after",  status(429, Some("soon")), at(1, false, true, 0.5), RetryAfter(125)),
        // Attempts used up: next candidate, else give up.
        ("connect, exhausted",      Failure::Connect,          at(2, false, true, 0.5), Fallback),
        ("500, exhausted, last",    status(500, None),         at(2, false, false, 0.5), GiveUp(Exhausted)),
        ("429, exhausted",          status(429, Some("1")),    at(2, false, true, 0.5), Fallback),
        // This upstream cannot serve it: fall back, never the same one.
        ("401",                     status(401, None),         at(1, false, true, 0.5), Fallback),
        ("402",                     status(402, None),         at(1, false, true, 0.5), Fallback),
        ("403",                     status(403, None),         at(1, false, true, 0.5), Fallback),
        ("404",                     status(404, None),         at(1, false, true, 0.5), Fallback),
        ("501",                     status(501, None),         at(1, false, true, 0.5), Fallback),
        ("401, no fallback",        status(401, None),         at(1, false, false, 0.5), GiveUp(Exhausted)),
        ("response timeout",        Failure::ResponseTimeout,  at(1, false, true, 0.5), Fallback),
        ("idle timeout",            Failure::IdleTimeout,      at(1, false, true, 0.5), Fallback),
        ("invalid response",        Failure::InvalidResponse,  at(1, false, false, 0.5), GiveUp(Exhausted)),
        // The request itself is at fault.
        ("400",                     status(400, None),         at(1, false, true, 0.5), GiveUp(NotRetryable)),
        ("413",                     status(413, None),         at(1, false, true, 0.5), GiveUp(NotRetryable)),
        ("422",                     status(422, None),         at(1, false, true, 0.5), GiveUp(NotRetryable)),
        ("409",                     status(409, None),         at(1, false, true, 0.5), GiveUp(NotRetryable)),
        ("200 is no failure",       status(200, None),         at(1, false, true, 0.5), GiveUp(NotRetryable)),
        ("fatal",                   Failure::Fatal,            at(1, false, true, 0.5), GiveUp(NotRetryable)),
        // Never after a byte reached the client, whatever the failure.
        ("idle after bytes",        Failure::IdleTimeout,      at(1, true, true, 0.5), GiveUp(ClientBytesSent)),
        ("503 after bytes",         status(503, Some("1")),    at(1, true, true, 0.5), GiveUp(ClientBytesSent)),
        ("connect after bytes",     Failure::Connect,          at(1, true, true, 0.5), GiveUp(ClientBytesSent)),
    ];
    for (name, failure, attempt, expected) in table {
        assert_eq!(decide(&failure, &attempt, &p), expected, "{name}");
    }
}

#[test]
fn more_attempts_back_off_exponentially_up_to_the_cap() {
    let p = RetryPolicy {
        max_attempts: 10,
        ..RetryPolicy::default()
    };
    let delays: Vec<u64> = (1..=8).map(|n| backoff_ms(n, 0.999_999, &p)).collect();
    assert_eq!(delays, [249, 499, 999, 1_999, 3_999, 3_999, 3_999, 3_999]);
    // Jitter outside [0, 1) is clamped; NaN means no wait.
    assert_eq!(backoff_ms(1, 7.0, &p), 250);
    assert_eq!(backoff_ms(1, -1.0, &p), 0);
    assert_eq!(backoff_ms(1, f64::NAN, &p), 0);
    // Huge attempt numbers and policies do not overflow.
    let big = RetryPolicy {
        base_backoff_ms: u64::MAX,
        max_backoff_ms: u64::MAX,
        ..p
    };
    assert!(backoff_ms(u32::MAX, 0.5, &big) > 0);
    assert_eq!(backoff_ms(0, 0.5, &p), 125);
    assert_eq!(
        decide(&Failure::Connect, &at(3, false, true, 0.5), &p),
        Decision::RetryAfter(500)
    );
}

#[test]
fn defaults_are_documented_values() {
    assert_eq!(
        RetryPolicy::default(),
        RetryPolicy {
            max_attempts: 2,
            base_backoff_ms: 250,
            max_backoff_ms: 4_000,
            max_retry_after_ms: 10_000,
        }
    );
}

#[test]
fn retry_after_values() {
    let cases: &[(&str, Option<u64>)] = &[
        ("0", Some(0)),
        ("120", Some(120_000)),
        (" 5 ", Some(5_000)),
        ("99999999999999999999999", Some(u64::MAX)),
        ("Wed, 21 Oct 2015 07:28:30 GMT", Some(30_000)),
        ("Wednesday, 21-Oct-15 07:29:00 GMT", Some(60_000)),
        ("Wed Oct 21 07:28:01 2015", Some(1_000)),
        ("Wed Oct  2 00:00:00 2015", Some(0)),
        ("-1", None),
        ("1.5", None),
        ("", None),
        ("Wed, 21 Oct 2015 07:28:30 UTC", None),
        ("Wed, 32 Oct 2015 07:28:30 GMT", None),
        ("Wed, 21 Foo 2015 07:28:30 GMT", None),
        ("Wed, 21 Oct 2015 24:00:00 GMT", None),
        ("Wed, 21 Oct 2015 07:28 GMT", None),
        ("Wed, 21 Oct 1969 07:28:30 GMT", None),
    ];
    for (value, expected) in cases {
        assert_eq!(parse_retry_after(value, NOW), *expected, "{value:?}");
    }
    assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
    assert_eq!(
        parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
        Some(784_111_777_000)
    );
    assert_eq!(
        parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"),
        Some(784_111_777_000)
    );
    assert_eq!(
        parse_http_date("Sun Nov  6 08:49:37 1994"),
        Some(784_111_777_000)
    );
    assert_eq!(
        parse_http_date("Tue, 29 Feb 2028 12:00:00 GMT"),
        Some(1_835_438_400_000)
    );
}

#[test]
fn failures_of_exchange_errors() {
    let s = ExchangeError::from(UpstreamError::Status {
        api: Api::OpenAiChat,
        status: 503,
        body: Vec::new(),
        retry_after_ms: Some(2_000),
    });
    assert_eq!(
        Failure::of(&s, Some("2")),
        Failure::Status {
            status: 503,
            retry_after: Some("2")
        }
    );
    let cases: Vec<(ExchangeError, Failure<'static>, RetryType)> = vec![
        (
            UpstreamError::Connect {
                reason: String::new(),
            }
            .into(),
            Failure::Connect,
            RetryType::Transient,
        ),
        (
            UpstreamError::ConnectTimeout { after_ms: 1 }.into(),
            Failure::ConnectTimeout,
            RetryType::Transient,
        ),
        (
            UpstreamError::Timeout { after_ms: 1 }.into(),
            Failure::ResponseTimeout,
            RetryType::OtherUpstream,
        ),
        (
            UpstreamError::IdleTimeout { after_ms: 1 }.into(),
            Failure::IdleTimeout,
            RetryType::OtherUpstream,
        ),
        (
            RequestError::BodyTooLarge { limit: 1 }.into(),
            Failure::Fatal,
            RetryType::Never,
        ),
    ];
    for (err, failure, retry) in cases {
        assert_eq!(Failure::of(&err, None), failure, "{err}");
        assert_eq!(failure.retry_type(), retry, "{err}");
        assert_eq!(err.retry_type(), retry, "{err}");
    }
}
