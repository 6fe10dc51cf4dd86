use super::attempt::error_message;
use super::budget::{asked_wait, rate_limit_headers, until, AskedWait};
use super::*;
use chrono::DateTime;
use reqwest::header::{HeaderMap, HeaderValue};

#[test]
fn rate_limit_headers_are_read() {
    let mut headers = HeaderMap::new();
    headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
    headers.insert("x-ratelimit-reset", HeaderValue::from_static("1700000000"));
    let limit = rate_limit_headers(&headers).unwrap();
    assert_eq!(
        (limit.remaining, limit.reset),
        (Some(0), Some(1_700_000_000))
    );
    assert_eq!(rate_limit_headers(&HeaderMap::new()), None);
    let mut gitlab = HeaderMap::new();
    gitlab.insert("ratelimit-remaining", HeaderValue::from_static("7"));
    gitlab.insert("ratelimit-observed", HeaderValue::from_static("3"));
    gitlab.insert("ratelimit-reset", HeaderValue::from_static("1700000060"));
    let limit = rate_limit_headers(&gitlab).unwrap();
    assert_eq!(
        (limit.remaining, limit.used, limit.reset),
        (Some(7), Some(3), Some(1_700_000_060))
    );
}

#[test]
fn githubs_wait_order_and_hostile_values() {
    let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let max = Duration::from_secs(30);
    // retry-after wins over a spent budget an hour away.
    assert_eq!(
        asked_wait(Some(1), true, Some(1_700_003_600), now, max),
        AskedWait::For(Some(Duration::from_secs(1)), RetryKind::RetryAfter)
    );
    assert_eq!(
        asked_wait(None, true, Some(1_700_000_009), now, max),
        AskedWait::For(Some(Duration::from_secs(10)), RetryKind::RateLimited)
    );
    assert_eq!(
        asked_wait(Some(100_000_000_000_000), false, None, now, max),
        AskedWait::TooLong { retry_at: None }
    );
    assert_eq!(
        asked_wait(None, true, Some(i64::MAX), now, max),
        AskedWait::TooLong { retry_at: None }
    );
    assert_eq!(until(i64::MIN, now), Duration::ZERO);
}

proptest::proptest! {
    #[test]
    fn waits_never_panic_and_never_exceed_the_maximum(
        retry_after in proptest::option::of(proptest::prelude::any::<u64>()),
        exhausted in proptest::prelude::any::<bool>(),
        reset in proptest::option::of(proptest::prelude::any::<i64>()),
        now in -100_000_000_000i64..100_000_000_000,
        max in 0u64..86_400,
    ) {
        let now = DateTime::from_timestamp(now, 0).unwrap();
        let max = Duration::from_secs(max);
        match asked_wait(retry_after, exhausted, reset, now, max) {
            AskedWait::For(Some(wait), _) => proptest::prop_assert!(wait <= max),
            AskedWait::For(None, kind) => proptest::prop_assert_eq!(kind, RetryKind::Secondary),
            AskedWait::TooLong { retry_at } => {
                proptest::prop_assert!(retry_at.is_none_or(|at| at > now));
            }
        }
    }

    #[test]
    fn any_header_values_parse_without_panic(
        values in proptest::collection::vec("[ -~]{0,30}", 5),
        link in "\\PC{0,200}",
    ) {
        let mut headers = HeaderMap::new();
        let names = ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-used",
            "x-ratelimit-reset", "x-ratelimit-resource"];
        for (name, value) in names.iter().zip(&values) {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(*name, value);
            }
        }
        let _ = rate_limit_headers(&headers);
        let _ = super::super::listing::next_link(&link);
        let _ = error_message(link.as_bytes());
    }
}

#[test]
fn error_bodies_give_only_the_forges_message() {
    assert_eq!(
        error_message(br#"{"message": "Bad credentials", "x": 1}"#),
        "Bad credentials"
    );
    assert_eq!(
        error_message(br#"{"message": {"name": ["is invalid"]}}"#),
        r#"{"name":["is invalid"]}"#
    );
    assert_eq!(
        error_message(br#"{"error": "insufficient_scope"}"#),
        "insufficient_scope"
    );
    assert_eq!(error_message(b"<html>"), "no error message");
}
