//! The REST client of both forges: headers, pacing, retries, rate limits and conditional
//! requests. GitHub and GitLab differ here only in how the token is sent and in the names of
//! the rate-limit headers (`x-ratelimit-*`, `ratelimit-*`), so one client serves both.
//!
//! Our code decides only which responses are retryable and how long the forge asks us to wait;
//! `backon` runs the retries (exponential backoff with jitter, bounded by `max_retries`) and
//! `governor` paces requests. For 403/429 it follows GitHub's documented order, which GitLab's
//! 429 fits too: `retry-after`, else a spent budget until its reset, else the secondary-limit
//! wait, doubling. A wait beyond `max_wait_secs` fails at once, saying when to retry.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, ETAG, IF_NONE_MATCH, LINK};
use reqwest::{Response, StatusCode};
use serde::Deserialize;
use tracing::{debug, warn};
use tracing_indicatif::span_ext::IndicatifSpanExt;
use url::Url;

use super::ExtractError;
use crate::bronze::{EndpointRequests, RateLimit};
use crate::config::{ApiToken, GithubConfig};
use crate::domain::{Forge, OrgLogin};

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

/// Requests made, 304s received and retries, over the whole run.
#[derive(Debug, Default)]
pub struct RequestStats {
    pub requests: AtomicU64,
    pub not_modified: AtomicU64,
    pub retries: AtomicU64,
    /// Requests and 304s by org (lower-case login), then by endpoint (`orgs`, `repos`,
    /// `license`, `languages`): each org's manifest records its own.
    by_org: Mutex<BTreeMap<String, BTreeMap<String, EndpointRequests>>>,
}

impl RequestStats {
    fn count(&self, org: &OrgLogin, endpoint: &'static str, not_modified: bool) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if not_modified {
            self.not_modified.fetch_add(1, Ordering::Relaxed);
        }
        if let Ok(mut by_org) = self.by_org.lock() {
            let by_endpoint = by_org.entry(org.key()).or_default();
            let counts = by_endpoint.entry(endpoint.to_string()).or_default();
            counts.requests += 1;
            counts.not_modified += u64::from(not_modified);
        }
    }

    /// Requests by endpoint so far, over every org.
    pub fn by_endpoint(&self) -> BTreeMap<String, EndpointRequests> {
        let Ok(by_org) = self.by_org.lock() else {
            return BTreeMap::new();
        };
        crate::bronze::sum_requests(by_org.values())
    }

    /// Requests by endpoint so far for `org`.
    pub fn for_org(&self, org: &OrgLogin) -> BTreeMap<String, EndpointRequests> {
        let Ok(by_org) = self.by_org.lock() else {
            return BTreeMap::new();
        };
        by_org.get(&org.key()).cloned().unwrap_or_default()
    }
}

/// Why one attempt failed, and whether another may succeed.
#[derive(Debug)]
enum Failure {
    /// Worth another attempt; `wait` is what GitHub asked for, if it did.
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
    /// A secondary limit without `retry-after`: wait `secondary_limit_wait`, doubling.
    Secondary,
    /// `retry-after` asked for a wait: after it, retry whatever the budget said.
    RetryAfter,
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
    /// The most recent `x-ratelimit-remaining` and `x-ratelimit-reset` seen; tasks pausing
    /// for the budget wake when a newer answer renews it.
    budget: tokio::sync::watch::Sender<Option<(u64, i64)>>,
    /// Scheme, host and port of the API base: the only origin the token is sent to.
    api_origin: url::Origin,
    pub stats: RequestStats,
}

impl ApiClient {
    /// A client of GitHub's API (`config.api`).
    pub fn github(config: &GithubConfig, token: Option<&ApiToken>) -> Result<Self, ExtractError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("application/vnd.github+json"),
        );
        let version = HeaderValue::from_str(&config.api_version).map_err(|_| {
            ExtractError::Setup(format!(
                "github.api_version {:?} is not a valid header value",
                config.api_version
            ))
        })?;
        headers.insert("x-github-api-version", version);
        if let Some(token) = token {
            let value = secret_header(token, &format!("Bearer {}", token.expose()))?;
            headers.insert(AUTHORIZATION, value);
        }
        Self::new(Forge::Github, config.clone(), headers, token)
    }

    /// A client of the GitLab instance at `api`, with `[github]`'s client discipline.
    pub fn gitlab(
        config: &GithubConfig,
        api: &Url,
        token: Option<&ApiToken>,
    ) -> Result<Self, ExtractError> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(token) = token {
            headers.insert("private-token", secret_header(token, token.expose())?);
        }
        let config = GithubConfig {
            api: api.clone(),
            ..config.clone()
        };
        Self::new(Forge::Gitlab, config, headers, token)
    }

    fn new(
        forge: Forge,
        config: GithubConfig,
        headers: HeaderMap,
        token: Option<&ApiToken>,
    ) -> Result<Self, ExtractError> {
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

    /// The primary rate limit left, as last reported.
    pub fn remaining(&self) -> Option<u64> {
        self.budget.borrow().map(|(remaining, _)| remaining)
    }

    /// `GET /rate_limit` (free: it counts against no limit): whether GitHub accepts the token
    /// and the core budget left, as (remaining, limit).
    pub async fn rate_limit(&self) -> Result<(Option<u64>, Option<u64>), ExtractError> {
        #[derive(Deserialize)]
        struct Core {
            remaining: Option<u64>,
            limit: Option<u64>,
        }
        #[derive(Deserialize)]
        struct Resources {
            core: Core,
        }
        #[derive(Deserialize)]
        struct RateLimitBody {
            resources: Resources,
        }
        let mut url = self.config.api.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().push("rate_limit");
        }
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
        let parsed: RateLimitBody = serde_json::from_slice(&body)
            .map_err(|e| failed(format!("not a rate limit answer: {e}")))?;
        Ok((parsed.resources.core.remaining, parsed.resources.core.limit))
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
            self.attempt(endpoint, org, url, etag, n, check_budget)
                .await
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

    /// How long to wait before the next attempt, or `None` to give up.
    fn next_wait(
        &self,
        failure: &Failure,
        backoff: Duration,
        started: Instant,
        secondary_hits: &AtomicU32,
    ) -> Option<Duration> {
        let Failure::Retry { wait, kind, .. } = failure else {
            return None;
        };
        let wait = match (kind, wait) {
            (_, Some(asked)) => *asked,
            (RetryKind::Secondary, None) => {
                let hits = secondary_hits.fetch_add(1, Ordering::Relaxed).min(16);
                let base = Duration::from_secs(self.config.secondary_limit_wait_secs);
                base.checked_mul(2u32.pow(hits)).unwrap_or(Duration::MAX)
            }
            _ => backoff,
        };
        let deadline = Duration::from_secs(self.config.retry_deadline_secs);
        let within_limits = wait <= Duration::from_secs(self.config.max_wait_secs)
            && started.elapsed().saturating_add(wait) <= deadline;
        within_limits.then_some(wait)
    }

    async fn attempt(
        &self,
        endpoint: &'static str,
        org: &OrgLogin,
        url: &Url,
        etag: Option<&str>,
        attempt: u32,
        check_budget: bool,
    ) -> Result<ApiResponse, Failure> {
        if check_budget {
            self.wait_for_budget(org, url).await?;
        }
        self.pacing.until_ready().await;
        let mut request = self.http.get(url.clone());
        // An ETag no header can carry (a tampered sidecar) only costs a full request.
        if let Some(etag) = etag.and_then(|e| HeaderValue::from_str(e).ok()) {
            request = request.header(IF_NONE_MATCH, etag);
        }
        let response = request.send().await.map_err(|e| {
            self.stats.count(org, endpoint, false);
            Failure::Retry {
                reason: describe(&e),
                wait: None,
                kind: RetryKind::Transient,
            }
        })?;
        let status = response.status();
        self.stats
            .count(org, endpoint, status == StatusCode::NOT_MODIFIED);
        let rate_limit = rate_limit_headers(response.headers());
        // A `retry-after` answer's budget is not what the retry will find (GitHub: it wins).
        if !response
            .headers()
            .contains_key(reqwest::header::RETRY_AFTER)
        {
            self.record_budget(rate_limit.as_ref());
        }
        debug!(org = %org, url = %crate::redact::url(url.as_str()), status = status.as_u16(), attempt, "response");
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let etag = header(ETAG);
        match status {
            StatusCode::OK => {
                let limit = self.config.max_response_bytes;
                let too_large = |bytes| {
                    Failure::Fatal(ExtractError::TooLarge {
                        org: org.clone(),
                        url: crate::redact::url(url.as_str()),
                        bytes,
                        limit,
                    })
                };
                if let Some(length) = response.content_length().filter(|l| *l > limit) {
                    return Err(too_large(length));
                }
                let link = header(LINK);
                let body = response.bytes().await.map_err(|e| Failure::Retry {
                    reason: format!("body: {}", describe(&e)),
                    wait: None,
                    kind: RetryKind::Transient,
                })?;
                if body.len() as u64 > limit {
                    return Err(too_large(body.len() as u64));
                }
                if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&body) {
                    return Err(Failure::Retry {
                        reason: format!("200 with a body that is not JSON: {e}"),
                        wait: None,
                        kind: RetryKind::InvalidJson,
                    });
                }
                Ok(ApiResponse::Page {
                    body,
                    etag,
                    link,
                    rate_limit,
                    attempts: attempt,
                })
            }
            StatusCode::NOT_MODIFIED => Ok(ApiResponse::NotModified {
                etag,
                rate_limit,
                attempts: attempt,
            }),
            StatusCode::NOT_FOUND | StatusCode::UNAVAILABLE_FOR_LEGAL_REASONS => {
                Ok(ApiResponse::Missing {
                    status: status.as_u16(),
                    attempts: attempt,
                })
            }
            status if status.is_redirection() => {
                let to = header(reqwest::header::LOCATION).unwrap_or_default();
                Err(Failure::Fatal(ExtractError::ForeignOrigin {
                    org: org.clone(),
                    what: "redirect to",
                    url: crate::redact::url(&to),
                    api: self.api_origin.ascii_serialization(),
                }))
            }
            _ => Err(self.classify_error(org, url, response, rate_limit).await),
        }
    }

    /// Turns a non-2xx/304 response into a retry (with GitHub's wait) or a fatal error.
    async fn classify_error(
        &self,
        org: &OrgLogin,
        url: &Url,
        response: Response,
        rate_limit: Option<RateLimit>,
    ) -> Failure {
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        // Error bodies are small JSON objects with a "message" (GitLab: or an "error"); never
        // echo more.
        let body = response.bytes().await.unwrap_or_default();
        let message = error_message(&body);
        let (org, url_text) = (org.clone(), crate::redact::url(url.as_str()));
        let exhausted_primary = rate_limit.as_ref().is_some_and(|r| r.remaining == Some(0));
        let rate_limited = status == StatusCode::TOO_MANY_REQUESTS
            || (status == StatusCode::FORBIDDEN
                && (retry_after.is_some()
                    || exhausted_primary
                    || message.to_ascii_lowercase().contains("rate limit")));
        match status.as_u16() {
            _ if rate_limited => {
                let reset = rate_limit.as_ref().and_then(|r| r.reset);
                let max_wait = Duration::from_secs(self.config.max_wait_secs);
                match asked_wait(retry_after, exhausted_primary, reset, Utc::now(), max_wait) {
                    AskedWait::TooLong { retry_at } => Failure::Fatal(ExtractError::RateLimited {
                        org,
                        url: url_text,
                        retry_at,
                        max_wait_secs: self.config.max_wait_secs,
                    }),
                    AskedWait::For(wait, kind) => Failure::Retry {
                        reason: format!("{status}: {message}"),
                        wait,
                        kind,
                    },
                }
            }
            403 => Failure::Fatal(ExtractError::Forbidden {
                org,
                url: url_text,
                message,
            }),
            401 => Failure::Fatal(self.unauthorized(url_text)),
            500..=599 => Failure::Retry {
                reason: format!("{status}"),
                wait: None,
                kind: RetryKind::Transient,
            },
            code => Failure::Fatal(ExtractError::Status {
                org,
                url: url_text,
                status: code,
                message,
            }),
        }
    }

    /// Pauses until the window resets when the primary budget is about to run out, or until
    /// a newer answer renews the budget, whichever comes first.
    async fn wait_for_budget(&self, org: &OrgLogin, url: &Url) -> Result<(), Failure> {
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

    fn record_budget(&self, rate_limit: Option<&RateLimit>) {
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

/// What GitHub asked of a rate-limited request, in its documented order: `retry-after`,
/// else a spent primary budget until `x-ratelimit-reset`, else the secondary-limit wait.
#[derive(Debug, Clone, PartialEq, Eq)]
enum AskedWait {
    /// Retry after this long (`None`: the secondary-limit wait, doubling).
    For(Option<Duration>, RetryKind),
    /// Longer than `max_wait`: fail now, saying when to retry (`None`: a time no date holds).
    TooLong { retry_at: Option<DateTime<Utc>> },
}

fn asked_wait(
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

/// `value` as the header that carries `token`, marked sensitive so that no debug output of
/// the header map shows it.
fn secret_header(token: &ApiToken, value: &str) -> Result<HeaderValue, ExtractError> {
    let mut header = HeaderValue::from_str(value).map_err(|_| {
        ExtractError::Setup(format!("{} is not a valid header value", token.env_var))
    })?;
    header.set_sensitive(true);
    Ok(header)
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

/// The rate-limit headers of a response, if it had any: GitHub's `x-ratelimit-*`, else
/// GitLab's `ratelimit-*` (its `observed` is GitHub's `used`).
fn rate_limit_headers(headers: &HeaderMap) -> Option<RateLimit> {
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
fn until(reset: i64, now: DateTime<Utc>) -> Duration {
    let secs = reset.saturating_sub(now.timestamp());
    u64::try_from(secs).map_or(Duration::ZERO, |secs| {
        Duration::from_secs(secs.saturating_add(1))
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

/// The forge's `message` (or GitLab's `error`) from an error body, or a note that there was none.
fn error_message(body: &[u8]) -> String {
    let parsed = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body);
    let message = parsed.ok().and_then(|mut object| {
        match object
            .remove("message")
            .or_else(|| object.remove("error"))?
        {
            serde_json::Value::String(text) => Some(text),
            other => Some(other.to_string()),
        }
    });
    message.map_or_else(
        || "no error message".into(),
        |text| text.chars().take(200).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
            let _ = super::super::github::next_link(&link);
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
}
