//! The REST client of both forges: headers, pacing, retries, rate limits and conditional
//! requests. GitHub and GitLab differ here only in how the token is sent and in the names of
//! the rate-limit headers (`x-ratelimit-*`, `ratelimit-*`), so one client serves both.
//!
//! Our code decides only which responses are retryable and how long the forge asks us to wait;
//! `backon` runs the retries (exponential backoff with jitter, bounded by `max_retries`) and
//! `governor` paces requests. For 403/429 it follows GitHub's documented order, which GitLab's
//! 429 fits too: `retry-after`, else a spent budget until its reset, else the secondary-limit
//! wait, doubling. A wait beyond `max_wait_secs` fails at once, saying when to retry.

mod attempt;
mod budget;
mod stats;

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use bytes::Bytes;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::StatusCode;
use tracing::warn;
use tracing_indicatif::span_ext::IndicatifSpanExt;
use url::Url;

use super::ExtractError;
use crate::bronze::RateLimit;
use crate::config::{ApiToken, GithubConfig};
use crate::domain::{Forge, OrgLogin};

pub use stats::RequestStats;

/// A successful answer: a page, or "not modified since the ETag you sent".
pub enum ApiResponse {
    Page {
        body: Bytes,
        etag: Option<String>,
        link: Option<String>,
        rate_limit: Option<RateLimit>,
        attempts: u32,
    },
    NotModified {
        etag: Option<String>,
        rate_limit: Option<RateLimit>,
        attempts: u32,
    },
    /// 404 Not Found, or 451 Unavailable For Legal Reasons: nothing to fetch there.
    Missing { status: u16, attempts: u32 },
}

/// Why one attempt failed, and whether another may succeed.
#[derive(Debug)]
enum Failure {
    /// Worth another attempt; `wait` is what the forge asked for, if it did.
    Retry {
        reason: String,
        wait: Option<Duration>,
        kind: RetryKind,
    },
    Fatal(ExtractError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RetryKind {
    /// 5xx, connection reset, timeout or truncated body.
    Transient,
    /// A 200 whose body is not JSON (a proxy's error page, say).
    InvalidJson,
    /// A primary or secondary rate limit.
    RateLimited,
    /// A secondary limit without `retry-after`: wait `secondary_limit_wait_secs`, doubling.
    Secondary,
    /// `retry-after` asked for a wait: after it, retry whatever the budget said.
    RetryAfter,
}

/// What one request asks: a GET, conditional on an ETag, or a POST of a JSON body.
#[derive(Debug, Clone, Copy)]
enum Ask<'a> {
    Get { etag: Option<&'a str> },
    PostJson { body: &'a Bytes },
}

/// Talks to one forge's REST API: GitHub's, or one GitLab instance's.
pub struct ApiClient {
    http: reqwest::Client,
    forge: Forge,
    /// The client discipline (`[github]`'s retries, pacing and waits, which GitLab shares),
    /// with `api` the API this client talks to.
    config: GithubConfig,
    has_token: bool,
    pacing: DefaultDirectRateLimiter,
    /// The most recent remaining budget and reset seen (`x-ratelimit-*`, `ratelimit-*`); tasks pausing
    /// for the budget wake when a newer answer renews it.
    budget: tokio::sync::watch::Sender<Option<(u64, i64)>>,
    /// Scheme, host and port of the API base: the only origin the token is sent to.
    api_origin: url::Origin,
    pub stats: RequestStats,
}

impl ApiClient {
    /// A client of `forge`'s API at `api`, with `[github]`'s client discipline (retries,
    /// pacing, waits), which every forge shares.
    pub fn new(
        forge: Forge,
        config: &GithubConfig,
        api: &Url,
        token: Option<&ApiToken>,
    ) -> Result<Self, ExtractError> {
        let headers = forge
            .adapter()
            .headers(config, token)
            .map_err(ExtractError::Setup)?;
        let config = GithubConfig {
            api: api.clone(),
            ..config.clone()
        };
        let http = reqwest::Client::builder()
            .user_agent(format!(
                "{}/{}",
                config.user_agent,
                env!("CARGO_PKG_VERSION")
            ))
            .redirect(same_origin_redirects())
            .default_headers(headers)
            .timeout(Duration::from_secs(config.timeout_secs))
            .build()
            .map_err(|e| ExtractError::Client(e.to_string()))?;
        let per_second = NonZeroU32::new(config.requests_per_second).unwrap_or(NonZeroU32::MIN);
        Ok(Self {
            http,
            forge,
            api_origin: config.api.origin(),
            config,
            has_token: token.is_some(),
            pacing: RateLimiter::direct(Quota::per_second(per_second)),
            budget: tokio::sync::watch::Sender::new(None),
            stats: RequestStats::default(),
        })
    }

    pub fn forge(&self) -> Forge {
        self.forge
    }

    /// The API this client talks to.
    pub fn api(&self) -> &Url {
        &self.config.api
    }

    fn unauthorized(&self, url: String) -> ExtractError {
        ExtractError::Unauthorized {
            url,
            forge: self.forge,
            with_token: self.has_token,
        }
    }

    /// Whether requests carry a token.
    pub fn has_token(&self) -> bool {
        self.has_token
    }

    /// How long a secondary rate limit is waited out when its answer does not say.
    pub fn secondary_wait(&self) -> Duration {
        Duration::from_secs(self.config.secondary_limit_wait_secs)
    }

    /// The primary rate limit left, as last reported.
    pub fn remaining(&self) -> Option<u64> {
        self.budget.borrow().map(|(remaining, _)| remaining)
    }

    /// The forge's budget answer (GitHub's `GET /rate_limit`, free: it counts against no
    /// limit): whether the forge accepts the token and the budget left, as (remaining,
    /// limit); both `None` when the forge has no such answer.
    pub async fn rate_limit(&self) -> Result<(Option<u64>, Option<u64>), ExtractError> {
        let adapter = self.forge.adapter();
        let Some(url) = adapter.budget_url(&self.config.api) else {
            return Ok((None, None));
        };
        let shown = crate::redact::url(url.as_str());
        let failed = |message: String| ExtractError::Client(format!("GET {shown}: {message}"));
        let response = self
            .http
            .get(url.clone())
            .send()
            .await
            .map_err(|e| failed(describe(&e)))?;
        match response.status() {
            StatusCode::OK => {}
            StatusCode::UNAUTHORIZED => return Err(self.unauthorized(shown)),
            // GitHub Enterprise Server with rate limiting off has no such endpoint.
            StatusCode::NOT_FOUND => return Ok((None, None)),
            StatusCode::FORBIDDEN => {
                return Err(ExtractError::Setup(format!(
                    "GET {shown}: 403 Forbidden: the token is blocked or lacks access"
                )))
            }
            status => return Err(failed(format!("HTTP {status}"))),
        }
        let body = response.bytes().await.map_err(|e| failed(describe(&e)))?;
        adapter.budget(&body).map_err(failed)
    }

    /// Whether the forge knows `org`, asked at `url` (`GET /orgs/{org}`, `GET /groups/:id`).
    pub async fn org_exists(&self, org: &OrgLogin, url: &Url) -> Result<bool, ExtractError> {
        match self.get("orgs", org, url, None).await? {
            ApiResponse::Missing { status: 404, .. } => Ok(false),
            _ => Ok(true),
        }
    }

    /// Refuses, before any request, a URL whose scheme, host or port is not the API base's:
    /// a `Link` from a response or a stored sidecar must not take the token elsewhere.
    fn check_origin(&self, org: &OrgLogin, url: &Url) -> Result<(), ExtractError> {
        if url.origin() == self.api_origin {
            return Ok(());
        }
        Err(ExtractError::ForeignOrigin {
            org: org.clone(),
            what: "URL",
            url: crate::redact::url(url.as_str()),
            api: self.api_origin.ascii_serialization(),
        })
    }

    /// GETs `url`, conditionally on `etag`, retrying what is worth retrying. `endpoint`
    /// names the kind of request in the counts of [`RequestStats`].
    pub async fn get(
        &self,
        endpoint: &'static str,
        org: &OrgLogin,
        url: &Url,
        etag: Option<&str>,
    ) -> Result<ApiResponse, ExtractError> {
        self.send(endpoint, org, url, Ask::Get { etag }).await
    }

    /// POSTs the JSON `body` to `url` (a GraphQL query), retrying what is worth retrying, as
    /// [`ApiClient::get`] does.
    pub async fn post_json(
        &self,
        endpoint: &'static str,
        org: &OrgLogin,
        url: &Url,
        body: &Bytes,
    ) -> Result<ApiResponse, ExtractError> {
        self.send(endpoint, org, url, Ask::PostJson { body }).await
    }

    async fn send(
        &self,
        endpoint: &'static str,
        org: &OrgLogin,
        url: &Url,
        ask: Ask<'_>,
    ) -> Result<ApiResponse, ExtractError> {
        self.check_origin(org, url)?;
        let started = Instant::now();
        let attempts = AtomicU32::new(0);
        let secondary_hits = AtomicU32::new(0);
        // GitHub's order: after waiting what `retry-after` asked, retry at once, whatever
        // budget an earlier answer left; the retry's answer tells the budget.
        let after_retry_after = AtomicBool::new(false);
        let backoff = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(self.config.retry_initial_delay_ms))
            .with_max_delay(Duration::from_secs(self.config.max_wait_secs))
            .with_max_times(self.config.max_retries as usize)
            .with_jitter();
        let attempt = || async {
            let n = attempts.fetch_add(1, Ordering::Relaxed) + 1;
            let check_budget = !after_retry_after.swap(false, Ordering::Relaxed);
            self.attempt(endpoint, org, url, ask, n, check_budget).await
        };
        let result = attempt
            .retry(backoff)
            .when(|f: &Failure| matches!(f, Failure::Retry { .. }))
            .adjust(|f, next| self.next_wait(f, next?, started, &secondary_hits))
            .notify(|f, wait| {
                self.stats.retries.fetch_add(1, Ordering::Relaxed);
                if let Failure::Retry { reason, kind, .. } = f {
                    after_retry_after.store(*kind == RetryKind::RetryAfter, Ordering::Relaxed);
                    warn!(org = %org, url = %crate::redact::url(url.as_str()), wait_secs = wait.as_secs_f64(), reason = %reason, "retrying after a wait");
                    let progress = format!("waiting {:.0}s to retry: {reason}", wait.as_secs_f64());
                    tracing::Span::current().pb_set_message(&progress);
                }
            })
            .await;
        result.map_err(|f| match f {
            Failure::Fatal(e) => e,
            Failure::Retry { reason, kind, .. } => {
                let attempts = attempts.load(Ordering::Relaxed);
                let (org, url) = (org.clone(), crate::redact::url(url.as_str()));
                if kind == RetryKind::InvalidJson {
                    ExtractError::InvalidResponse {
                        org,
                        url,
                        reason,
                        attempts,
                    }
                } else {
                    ExtractError::Exhausted {
                        org,
                        url,
                        reason,
                        attempts,
                    }
                }
            }
        })
    }
}

/// Follows a redirect only within the origin of the request that got it (GitHub moves a
/// renamed repository's API URL that way); any other is returned as is, and refused.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if same_origin && attempt.previous().len() < 10 {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

/// reqwest's own message repeats the URL; the innermost cause says what went wrong.
fn describe(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let kind = if e.is_timeout() { "timed out: " } else { "" };
    format!("{kind}{cause}")
}

#[cfg(test)]
mod tests;
