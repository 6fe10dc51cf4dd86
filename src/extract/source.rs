//! The source seam: where extract's responses come from, the live APIs (GitHub's and each
//! GitLab instance's, one client each) or a recording of them, behind one set of calls, so
//! the listing logic never asks which.

use std::collections::BTreeMap;

use bytes::Bytes;
use chrono::{NaiveDate, Utc};
use url::Url;

use super::client::{ApiClient, ApiResponse};
use super::details;
use super::replay::{self, ReplaySource};
use super::ExtractError;
use crate::bronze::previous::{PreviousResponse, PreviousResponses, PreviousSnapshots};
use crate::bronze::{RateLimit, RepoResponse};
use crate::config::{OrgConfig, RunSettings};
use crate::domain::{Forge, OrgLogin, RepoEndpoint, SnapshotDate};
use crate::forge::RepoRef;
use crate::formats::requests::{sum_requests, EndpointRequests};
use crate::formats::sha256_hex;
use crate::lake::Lake;

/// Where responses come from: the APIs, or a recording of them.
pub enum Source {
    Api(Box<Clients>),
    Replay(ReplaySource),
}

/// One client per API the run's orgs are on: GitHub's, and each GitLab instance's.
pub struct Clients {
    pub github: ApiClient,
    /// GitHub's batched API (GraphQL), with a token and `[github] graphql`: its own budget.
    github_batch: Option<ApiClient>,
    gitlab: Vec<ApiClient>,
    /// The index in `gitlab` of each group's client, by org key.
    group_client: BTreeMap<String, usize>,
}

impl Clients {
    pub fn new(settings: &RunSettings, orgs: &[&OrgConfig]) -> Result<Self, ExtractError> {
        let config = &settings.config.github;
        let token = settings.token.as_ref();
        let batch = Forge::Github.adapter().batch().filter(|_| config.graphql);
        let github_batch = match (batch, token) {
            (Some(batch), Some(token)) => Some(ApiClient::new(
                Forge::Github,
                config,
                &batch.url(&config.api),
                Some(token),
            )?),
            _ => None,
        };
        let mut clients = Self {
            github: ApiClient::new(Forge::Github, config, &config.api, token)?,
            github_batch,
            gitlab: Vec::new(),
            group_client: BTreeMap::new(),
        };
        for org in orgs {
            let Some(api) = settings.gitlab_api(org) else {
                continue;
            };
            let index = match clients.gitlab.iter().position(|c| c.api() == api) {
                Some(index) => index,
                None => {
                    let token = settings.gitlab_token.as_ref();
                    clients
                        .gitlab
                        .push(ApiClient::new(Forge::Gitlab, config, api, token)?);
                    clients.gitlab.len() - 1
                }
            };
            clients.group_client.insert(org.login.key(), index);
        }
        Ok(clients)
    }

    /// The client of `org`'s forge and instance.
    pub fn for_org(&self, org: &OrgLogin) -> &ApiClient {
        self.group_client
            .get(&org.key())
            .and_then(|&index| self.gitlab.get(index))
            .unwrap_or(&self.github)
    }

    /// Whether `org`'s forge knows it (one request).
    pub async fn org_exists(
        &self,
        settings: &RunSettings,
        org: &OrgConfig,
    ) -> Result<bool, ExtractError> {
        let client = self.for_org(&org.login);
        let api = settings.gitlab_api(org).unwrap_or(client.api());
        let url = org.login.forge().adapter().org_url(api, org);
        client.org_exists(&org.login, &url).await
    }

    /// What is left of the hourly budget of `forge`'s clients without a token, the least of
    /// them as last reported (0 when none has reported yet); `None` when all have a token.
    pub fn unauthenticated_remaining(&self, forge: Forge) -> Option<u64> {
        self.all()
            .filter(|c| c.forge() == forge && !c.has_token())
            .map(|c| c.remaining().unwrap_or(0))
            .min()
    }

    pub fn all(&self) -> impl Iterator<Item = &ApiClient> {
        std::iter::once(&self.github)
            .chain(&self.github_batch)
            .chain(&self.gitlab)
    }

    /// How `org`'s per-repository answers are asked in batches, when its forge can and the
    /// run may (a token, `[github] graphql`).
    pub fn batching(&self, org: &OrgLogin) -> Option<super::batch::Batching<'_>> {
        let batch = org.forge().adapter().batch()?;
        let client = match org.forge() {
            Forge::Github => self.github_batch.as_ref()?,
            Forge::Gitlab => return None,
        };
        Some(super::batch::Batching {
            batch,
            client,
            rest: self.for_org(org),
        })
    }

    /// Requests made for `org` by endpoint, over its clients.
    pub fn requests_for(&self, org: &OrgLogin) -> BTreeMap<String, EndpointRequests> {
        let of = |client: &ApiClient| client.stats.for_org(org);
        let batch = self.github_batch.iter().map(of);
        let counts: Vec<_> = std::iter::once(of(self.for_org(org)))
            .chain(batch)
            .collect();
        sum_requests(counts.iter())
    }
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
    /// The UTC day the source observes the forges: today live, `None` for a recording.
    pub fn observed_on(&self) -> Option<NaiveDate> {
        match self {
            Self::Api(_) => Some(Utc::now().date_naive()),
            Self::Replay(_) => None,
        }
    }

    /// The live clients, for their request counts and rate-limit budgets.
    pub fn clients(&self) -> Option<&Clients> {
        match self {
            Self::Api(clients) => Some(clients),
            Self::Replay(_) => None,
        }
    }

    /// The API `org` is asked at (a recording answers as if it were there).
    pub fn api<'s>(&'s self, settings: &'s RunSettings, org: &'s OrgConfig) -> &'s Url {
        match self {
            Self::Api(clients) => clients.for_org(&org.login).api(),
            Self::Replay(_) => settings
                .gitlab_api(org)
                .unwrap_or(&settings.config.github.api),
        }
    }

    /// The org's record at `url` (`GET /orgs/{org}`, `GET /groups/:id`); `None` when a recording
    /// has none.
    pub async fn org(
        &self,
        lake: &Lake,
        org: &OrgLogin,
        url: &Url,
        previous: &PreviousResponses,
    ) -> Result<Option<Fetched>, ExtractError> {
        match self {
            Self::Api(clients) => {
                let earlier = previous.get(url.as_str());
                live(clients.for_org(org), lake, "orgs", org, url, earlier)
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
            Self::Api(clients) => {
                let client = clients.for_org(org);
                live(client, lake, "repos", org, url, previous.get(url.as_str())).await
            }
            Self::Replay(replay) => Ok(Fetched::replayed(url, replay.page(org, url).await?)),
        }
    }

    /// The answers of `endpoint` about the org's `asked` repositories (a recording leaves
    /// out those it has none for); live, each earlier answer `reuse` allows stands in.
    pub async fn repo_answers<'r>(
        &self,
        lake: &Lake,
        (previous, reuse): (&PreviousSnapshots, &details::Reuse),
        (api, org): (&Url, &OrgLogin),
        endpoint: RepoEndpoint,
        asked: impl Iterator<Item = &'r RepoRef>,
    ) -> Result<Vec<RepoResponse>, ExtractError> {
        let mut responses = Vec::new();
        match self {
            Self::Api(clients) => {
                let client = clients.for_org(org);
                let previous = previous.repo_answers(lake, org, endpoint).await?;
                for (done, repo) in asked.enumerate() {
                    let progress = format!("{} of repository {}", endpoint.name(), done + 1);
                    tracing_indicatif::span_ext::IndicatifSpanExt::pb_set_message(
                        &tracing::Span::current(),
                        &progress,
                    );
                    let answer =
                        details::fetch(client, endpoint, (api, org), repo, &previous, reuse);
                    responses.push(answer.await?);
                }
            }
            Self::Replay(replay) => {
                for repo in asked {
                    let adapter = org.forge().adapter();
                    let Some(url) = adapter.answer_url(api, repo, endpoint) else {
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
    client: &ApiClient,
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
