//! The source seam: where extract's responses come from, the live API or a recording of it,
//! behind one set of calls, so the listing logic never asks which (and a second forge is one
//! more variant).

use bytes::Bytes;
use chrono::{NaiveDate, Utc};
use url::Url;

use super::details::{self, RepoRef};
use super::github::{self, ApiResponse, GithubClient};
use super::replay::{self, ReplaySource};
use super::ExtractError;
use crate::bronze::previous::{PreviousResponse, PreviousResponses, PreviousSnapshots};
use crate::bronze::{RateLimit, RepoEndpoint, RepoResponse};
use crate::domain::{OrgLogin, SnapshotDate};
use crate::formats::sha256_hex;
use crate::lake::Lake;

/// Where responses come from: the API, or a recording of it.
pub enum Source {
    Api(Box<GithubClient>),
    Replay(ReplaySource),
}

/// A response ready to be stored.
pub struct Fetched {
    pub url: Url,
    pub status: u16,
    pub body: Bytes,
    pub etag: Option<String>,
    pub link: Option<String>,
    pub not_modified_from: Option<SnapshotDate>,
    pub replayed_from: Option<String>,
    pub rate_limit: Option<RateLimit>,
    pub attempts: u32,
}

impl Fetched {
    fn replayed(url: &Url, recorded: replay::Recorded) -> Self {
        Self {
            url: url.clone(),
            status: 200,
            body: recorded.body.into(),
            etag: None,
            link: recorded.link,
            not_modified_from: None,
            replayed_from: Some(recorded.path.display().to_string()),
            rate_limit: None,
            attempts: 1,
        }
    }
}

impl Source {
    /// The UTC day the source observes GitHub: today live, `None` for a recording.
    pub fn observed_on(&self) -> Option<NaiveDate> {
        match self {
            Self::Api(_) => Some(Utc::now().date_naive()),
            Self::Replay(_) => None,
        }
    }

    /// The live client, for its request counts and rate-limit budget.
    pub fn client(&self) -> Option<&GithubClient> {
        match self {
            Self::Api(client) => Some(client),
            Self::Replay(_) => None,
        }
    }

    /// `GET /orgs/{org}` at `url`; `None` when a recording has none.
    pub async fn org(
        &self,
        lake: &Lake,
        org: &OrgLogin,
        url: &Url,
        previous: &PreviousResponses,
    ) -> Result<Option<Fetched>, ExtractError> {
        match self {
            Self::Api(client) => {
                let earlier = previous.get(url.as_str());
                live(client, lake, "orgs", org, url, earlier)
                    .await
                    .map(Some)
            }
            Self::Replay(replay) => Ok(replay
                .org(org)
                .await?
                .map(|recorded| Fetched::replayed(url, recorded))),
        }
    }

    /// The listing page at `url`.
    pub async fn page(
        &self,
        lake: &Lake,
        org: &OrgLogin,
        url: &Url,
        previous: &PreviousResponses,
    ) -> Result<Fetched, ExtractError> {
        match self {
            Self::Api(client) => {
                live(client, lake, "repos", org, url, previous.get(url.as_str())).await
            }
            Self::Replay(replay) => Ok(Fetched::replayed(url, replay.page(org, url).await?)),
        }
    }

    /// The answers of `endpoint` about the org's `asked` repositories (a recording leaves
    /// out those it has none for).
    pub async fn repo_answers<'r>(
        &self,
        lake: &Lake,
        previous: &PreviousSnapshots,
        api: &Url,
        org: &OrgLogin,
        endpoint: RepoEndpoint,
        asked: impl Iterator<Item = &'r RepoRef>,
    ) -> Result<Vec<RepoResponse>, ExtractError> {
        let mut responses = Vec::new();
        match self {
            Self::Api(client) => {
                let previous = previous.repo_answers(lake, org, endpoint).await?;
                for (done, repo) in asked.enumerate() {
                    let progress = format!("{} of repository {}", endpoint.name(), done + 1);
                    tracing_indicatif::span_ext::IndicatifSpanExt::pb_set_message(
                        &tracing::Span::current(),
                        &progress,
                    );
                    responses
                        .push(details::fetch(client, endpoint, api, org, repo, &previous).await?);
                }
            }
            Self::Replay(replay) => {
                for repo in asked {
                    let Some(url) = github::repo_url(api, &repo.full_name, endpoint.name()) else {
                        continue;
                    };
                    if let Some(response) = replay.repo(org, endpoint, repo, &url).await? {
                        responses.push(response);
                    }
                }
            }
        }
        Ok(responses)
    }
}

/// One live response; a 304 becomes a copy of the earlier snapshot's stored response.
async fn live(
    client: &GithubClient,
    lake: &Lake,
    endpoint: &'static str,
    org: &OrgLogin,
    url: &Url,
    previous: Option<&PreviousResponse>,
) -> Result<Fetched, ExtractError> {
    let etag = previous.and_then(|p| p.etag.as_deref());
    match client.get(endpoint, org, url, etag).await? {
        ApiResponse::Page {
            body,
            etag,
            link,
            rate_limit,
            attempts,
        } => Ok(Fetched {
            url: url.clone(),
            status: 200,
            body,
            etag,
            link,
            not_modified_from: None,
            replayed_from: None,
            rate_limit,
            attempts,
        }),
        ApiResponse::NotModified {
            etag,
            rate_limit,
            attempts,
        } => {
            // A 304 only answers an If-None-Match we sent, so `previous` exists.
            let Some(previous) = previous else {
                return Err(ExtractError::Unexpected {
                    org: org.clone(),
                    url: crate::redact::url(url.as_str()),
                    message: "304 Not Modified to a request without If-None-Match".into(),
                });
            };
            // The stored copy must be what its sidecar vouches for; if it is gone or
            // altered, ask again without the ETag.
            let stored = lake.get(&previous.body_key).await?;
            let Some(body) = stored.filter(|b| sha256_hex(b) == previous.sha256) else {
                tracing::warn!(org = %org, key = %previous.body_key, "the earlier copy a 304 points at is missing or altered: asking again in full");
                return Box::pin(live(client, lake, endpoint, org, url, None)).await;
            };
            Ok(Fetched {
                url: url.clone(),
                status: 304,
                body,
                etag: etag.or_else(|| previous.etag.clone()),
                link: previous.link.clone(),
                not_modified_from: Some(previous.date),
                replayed_from: None,
                rate_limit,
                attempts,
            })
        }
        ApiResponse::Missing { status: 404, .. } => Err(ExtractError::OrgNotFound {
            org: org.clone(),
            url: crate::redact::url(url.as_str()),
        }),
        ApiResponse::Missing { status, .. } => Err(ExtractError::Status {
            org: org.clone(),
            url: crate::redact::url(url.as_str()),
            status,
            message: "unavailable".into(),
        }),
    }
}
