//! One request's attempts: each response classified as done, worth retrying (with the wait
//! the forge asked for) or fatal, and retried by `backon` until done or out of attempts.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::header::{HeaderValue, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LINK};
use reqwest::{Response, StatusCode};
use tracing::debug;
use url::Url;

use super::budget::{asked_wait, rate_limit_headers, AskedWait};
use super::{describe, ApiClient, ApiResponse, Ask, Failure, RetryKind};
use crate::bronze::RateLimit;
use crate::domain::OrgLogin;
use crate::extract::ExtractError;

impl ApiClient {
    /// How long to wait before the next attempt, or `None` to give up.
    pub(super) fn next_wait(
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

    pub(super) async fn attempt(
        &self,
        endpoint: &'static str,
        org: &OrgLogin,
        url: &Url,
        ask: Ask<'_>,
        attempt: u32,
        check_budget: bool,
    ) -> Result<ApiResponse, Failure> {
        if check_budget {
            self.wait_for_budget(org, url).await?;
        }
        self.pacing.until_ready().await;
        let request = match ask {
            Ask::Get { etag } => {
                let request = self.http.get(url.clone());
                // An ETag no header can carry (a tampered sidecar) only costs a full request.
                match etag.and_then(|e| HeaderValue::from_str(e).ok()) {
                    Some(etag) => request.header(IF_NONE_MATCH, etag),
                    None => request,
                }
            }
            Ask::PostJson { body } => self
                .http
                .post(url.clone())
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone()),
        };
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

    /// Turns a non-2xx/304 response into a retry (with the wait the forge asked for) or a fatal
    /// error.
    pub(super) async fn classify_error(
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
}

/// The forge's `message` (or GitLab's `error`) from an error body, or a note that there was none.
pub(super) fn error_message(body: &[u8]) -> String {
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
