//! The rate-limit budget: the headers that report it, pausing before it runs out, and the
//! wait a rate-limited answer asks for.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use tracing::warn;
use tracing_indicatif::span_ext::IndicatifSpanExt;
use url::Url;

use super::{ApiClient, Failure, RetryKind};
use crate::bronze::RateLimit;
use crate::domain::OrgLogin;
use crate::extract::ExtractError;

impl ApiClient {
    /// Pauses until the window resets when the primary budget is about to run out, or until
    /// a newer answer renews the budget, whichever comes first.
    pub(super) async fn wait_for_budget(&self, org: &OrgLogin, url: &Url) -> Result<(), Failure> {
        let mut budget = self.budget.subscribe();
        loop {
            let Some((remaining, reset)) = *budget.borrow_and_update() else {
                return Ok(());
            };
            // Every org task in flight may spend one request before it sees the new budget.
            if remaining > self.config.concurrency as u64 {
                return Ok(());
            }
            let wait = until(reset, Utc::now());
            if wait.is_zero() {
                return Ok(());
            }
            if wait > Duration::from_secs(self.config.max_wait_secs) {
                return Err(Failure::Fatal(ExtractError::RateLimited {
                    org: org.clone(),
                    url: crate::redact::url(url.as_str()),
                    retry_at: DateTime::from_timestamp(reset, 0),
                    max_wait_secs: self.config.max_wait_secs,
                }));
            }
            warn!(org = %org, remaining, wait_secs = wait.as_secs(), "rate limit nearly spent: pausing until it resets");
            let progress = format!("waiting {}s for the rate limit to reset", wait.as_secs());
            tracing::Span::current().pb_set_message(&progress);
            tokio::select! {
                () = tokio::time::sleep(wait) => return Ok(()),
                changed = budget.changed() => {
                    if changed.is_err() {
                        return Ok(());
                    }
                }
            }
        }
    }

    pub(super) fn record_budget(&self, rate_limit: Option<&RateLimit>) {
        let Some(RateLimit {
            remaining: Some(remaining),
            reset: Some(reset),
            ..
        }) = rate_limit
        else {
            return;
        };
        self.budget.send_replace(Some((*remaining, *reset)));
    }
}

/// What the forge asked of a rate-limited request, in GitHub's documented order (GitLab's 429
/// fits it): `retry-after`, else a spent primary budget until its reset, else the
/// secondary-limit wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum AskedWait {
    /// Retry after this long (`None`: the secondary-limit wait, doubling).
    For(Option<Duration>, RetryKind),
    /// Longer than `max_wait`: fail now, saying when to retry (`None`: a time no date holds).
    TooLong { retry_at: Option<DateTime<Utc>> },
}

pub(super) fn asked_wait(
    retry_after: Option<u64>,
    exhausted_primary: bool,
    reset: Option<i64>,
    now: DateTime<Utc>,
    max_wait: Duration,
) -> AskedWait {
    let (wait, kind) = match (retry_after, exhausted_primary, reset) {
        (Some(secs), _, _) => (Duration::from_secs(secs), RetryKind::RetryAfter),
        (None, true, Some(reset)) => (until(reset, now), RetryKind::RateLimited),
        _ => return AskedWait::For(None, RetryKind::Secondary),
    };
    if wait <= max_wait {
        return AskedWait::For(Some(wait), kind);
    }
    let retry_at = chrono::Duration::from_std(wait)
        .ok()
        .and_then(|wait| now.checked_add_signed(wait));
    AskedWait::TooLong { retry_at }
}

/// The rate-limit headers of a response, if it had any: GitHub's `x-ratelimit-*`, else
/// GitLab's `ratelimit-*` (its `observed` is GitHub's `used`).
pub(super) fn rate_limit_headers(headers: &HeaderMap) -> Option<RateLimit> {
    let text = |name: &str| {
        let value = headers
            .get(format!("x-ratelimit-{name}"))
            .or_else(|| headers.get(format!("ratelimit-{name}")))?;
        value.to_str().ok().map(str::to_string)
    };
    let number = |name: &str| text(name)?.trim().parse().ok();
    let limit = RateLimit {
        limit: number("limit"),
        remaining: number("remaining"),
        used: number("used").or_else(|| number("observed")),
        reset: text("reset").and_then(|t| t.trim().parse().ok()),
        resource: text("resource"),
    };
    (limit != RateLimit::default()).then_some(limit)
}

/// From `now` until `reset` (UTC epoch seconds), plus a second for clock skew; zero if
/// past. Any `reset`, however hostile, gives a duration.
pub(super) fn until(reset: i64, now: DateTime<Utc>) -> Duration {
    let secs = reset.saturating_sub(now.timestamp());
    u64::try_from(secs).map_or(Duration::ZERO, |secs| {
        Duration::from_secs(secs.saturating_add(1))
    })
}
