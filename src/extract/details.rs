//! Per-repository requests made after the listings: each kept repository's languages, and
//! its licence where the forge asks for it ([`crate::forge::RepoRef::licence_asked`]); what
//! each forge asks and how it stores the answers is its [`crate::forge::Adapter`]'s.
//!
//! A kept repository is public and not a fork, as in every gold table. Each org's answers of
//! one endpoint are stored as one [`crate::bronze::RepoResponses`] file, before the org's manifest, so a
//! complete org always has them. Requests are conditional on the ETags of the most recent
//! earlier snapshot that has the file; a 304 stores a copy of that snapshot's body.

use std::collections::{BTreeMap, HashMap};

use serde_json::value::RawValue;
use tracing::warn;

use super::client::{ApiClient, ApiResponse};
use super::ExtractError;
use crate::bronze::previous::PreviousAnswer;
use crate::bronze::RepoResponse;
use crate::config::ExtractConfig;
use crate::domain::{Forge, OrgLogin, RepoEndpoint};
use crate::forge::RepoRef;

/// A 200 answer about `repo` at `url` with no body yet, for the caller to fill in.
pub fn answer(repo: &RepoRef, url: &url::Url) -> RepoResponse {
    RepoResponse {
        repo_id: repo.id,
        full_name: repo.full_name.clone(),
        url: crate::redact::url(url.as_str()),
        status: 200,
        etag: None,
        not_modified_from: None,
        replayed_from: None,
        attempts: 1,
        listing_facts: repo.listing_facts.clone(),
        reused_from: None,
        batch: None,
        body: None,
    }
}

/// When earlier answers may stand in for asking: the snapshot being built and the
/// `[extract]` settings.
#[derive(Debug, Clone, Copy)]
pub struct Reuse {
    pub date: crate::domain::SnapshotDate,
    pub max_age_days: u32,
    pub refresh: bool,
}

impl Reuse {
    pub fn new(date: crate::domain::SnapshotDate, config: &ExtractConfig) -> Self {
        Self {
            date,
            max_age_days: config.details_max_age_days,
            refresh: config.refresh_details,
        }
    }

    /// The earlier answer as this snapshot's, when it is about the same repository, the
    /// listing says of it what it said when that answer was asked, the repository last
    /// changed before the day it was asked (the forge recomputes what a push changed a while
    /// after it: an answer asked that day may predate it), and it is young enough
    /// ([`Reuse::max_age`]). An answer that was not one (403: blocked, 451) is asked again.
    pub fn reusable(&self, repo: &RepoRef, earlier: &PreviousAnswer) -> Option<RepoResponse> {
        let facts = repo.listing_facts.as_deref()?;
        let answer = &earlier.response;
        let same = answer.repo_id == repo.id && answer.listing_facts.as_deref() == Some(facts);
        if self.refresh || !same || !matches!(answer.status, 200 | 304 | 404) {
            return None;
        }
        let asked_on = answer.reused_from.unwrap_or(earlier.date);
        if repo
            .changed_at
            .is_some_and(|c| c.date_naive() >= asked_on.date())
        {
            return None;
        }
        let age = (self.date.date() - asked_on.date()).num_days();
        if age > self.max_age(repo.id) {
            return None;
        }
        Some(RepoResponse {
            full_name: repo.full_name.clone(),
            attempts: 0,
            reused_from: Some(asked_on),
            ..answer.clone()
        })
    }

    /// How many days `repo`'s answers may be reused: `max_age_days`, less up to a quarter of
    /// it by repository id, so that a first run's answers are not all asked again on one day.
    fn max_age(&self, repo_id: u64) -> i64 {
        let max = i64::from(self.max_age_days);
        let spread = max / 4 + 1;
        max - i64::try_from(repo_id).unwrap_or(0).rem_euclid(spread)
    }
}

/// The repositories one endpoint asks about, out of an org's kept ones.
pub fn asked<'r>(
    endpoint: RepoEndpoint,
    kept: impl IntoIterator<Item = &'r RepoRef>,
) -> impl Iterator<Item = &'r RepoRef> {
    kept.into_iter()
        .filter(move |r| endpoint == RepoEndpoint::Languages || r.licence_asked)
}

/// Which per-repository endpoints this snapshot asks, and why any configured one is not.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DetailsPlan {
    pub endpoints: Vec<RepoEndpoint>,
    pub skipped: BTreeMap<String, String>,
}

/// Chooses the endpoints to ask of one forge's orgs. Its licence is always asked where the
/// answers complete the listing (GitLab's: without it a project would count as unlicensed);
/// otherwise each endpoint as `[extract]` says. With a token, every such one: conditional
/// requests make reruns cheap and the client waits out the hourly limit. Without one, on a
/// forge with an hourly budget (`unauthenticated_remaining`), each endpoint in turn (licences
/// first: fewer requests) only if all its requests fit in what is left of the hour; the rest
/// are skipped for the whole snapshot, never half asked.
pub fn plan(
    config: &ExtractConfig,
    forge: Forge,
    unauthenticated_remaining: Option<u64>,
    reserve: u64,
    needed: impl Fn(RepoEndpoint) -> u64,
) -> DetailsPlan {
    let mut plan = DetailsPlan::default();
    let mut remaining = unauthenticated_remaining.map(|r| r.saturating_sub(reserve));
    let required = forge.adapter().answers_complete_listing();
    let configured = [
        (RepoEndpoint::License, config.licence_texts || required),
        (RepoEndpoint::Languages, config.languages_by_bytes),
    ];
    for (endpoint, wanted) in configured {
        if !wanted {
            let why = "turned off in pipeline.toml ([extract])".to_string();
            plan.skipped.insert(endpoint.name().to_string(), why);
            continue;
        }
        let requests = needed(endpoint);
        match remaining {
            Some(left) if requests > left && !(required && endpoint == RepoEndpoint::License) => {
                let token = forge.token_var();
                let why = format!(
                    "no {token}: {requests} requests needed, {left} left of the \
                     unauthenticated hourly limit"
                );
                warn!(
                    endpoint = endpoint.name(),
                    requests, left, "skipped for this snapshot: set {token} to collect it"
                );
                plan.skipped.insert(endpoint.name().to_string(), why);
            }
            _ => {
                remaining = remaining.map(|left| left.saturating_sub(requests));
                plan.endpoints.push(endpoint);
            }
        }
    }
    plan
}

/// Where `endpoint` is asked about `repo` of `org` under `api`; an error when the repository
/// cannot be named there.
pub fn answer_url(
    endpoint: RepoEndpoint,
    (api, org): (&url::Url, &OrgLogin),
    repo: &RepoRef,
) -> Result<url::Url, ExtractError> {
    let adapter = org.forge().adapter();
    adapter
        .answer_url(api, repo, endpoint)
        .ok_or_else(|| ExtractError::Unexpected {
            org: org.clone(),
            url: api.to_string(),
            message: format!(
                "repository {} has full_name {:?}, not owner/name",
                repo.id, repo.full_name
            ),
        })
}

/// Asks `endpoint` about one repository, conditionally on `previous`, unless `reuse` lets the
/// earlier answer stand.
pub async fn fetch(
    client: &ApiClient,
    endpoint: RepoEndpoint,
    (api, org): (&url::Url, &OrgLogin),
    repo: &RepoRef,
    previous: &HashMap<String, PreviousAnswer>,
    reuse: &Reuse,
) -> Result<RepoResponse, ExtractError> {
    let url = answer_url(endpoint, (api, org), repo)?;
    let earlier = previous.get(url.as_str());
    if let Some(reused) = earlier.and_then(|e| reuse.reusable(repo, e)) {
        client.stats.count_reused(org, endpoint.name());
        return Ok(reused);
    }
    let etag = earlier.and_then(|p| p.response.etag.as_deref());
    let mut response = answer(repo, &url);
    let answer = match client.get(endpoint.name(), org, &url, etag).await {
        // One repository its forge blocks (disabled, say) is an answer, not a failed org.
        Err(ExtractError::Forbidden { .. }) => {
            response.status = 403;
            return Ok(response);
        }
        answer => answer?,
    };
    match answer {
        ApiResponse::Page {
            body,
            etag,
            attempts,
            ..
        } => {
            response.etag = etag;
            response.attempts = attempts;
            response.body = Some(stored_answer(&body, org, endpoint, &url)?);
        }
        ApiResponse::NotModified { etag, attempts, .. } => {
            let Some(earlier) = earlier else {
                return Err(ExtractError::Unexpected {
                    org: org.clone(),
                    url: crate::redact::url(url.as_str()),
                    message: "304 Not Modified to a request without If-None-Match".into(),
                });
            };
            response.status = 304;
            response.etag = etag.or_else(|| earlier.response.etag.clone());
            response.attempts = attempts;
            response.not_modified_from = Some(earlier.date);
            response.body = earlier.response.body.clone();
        }
        ApiResponse::Missing { status, attempts } => {
            response.status = status;
            response.attempts = attempts;
        }
    }
    Ok(response)
}

/// The answer as stored: verbatim, or the part of it its forge keeps.
pub fn stored_answer(
    body: &[u8],
    org: &OrgLogin,
    endpoint: RepoEndpoint,
    url: &url::Url,
) -> Result<Box<RawValue>, ExtractError> {
    let text = String::from_utf8_lossy(body);
    match org.forge().adapter().stored_answer(endpoint, &text) {
        Ok(None) => raw_json(body, org, url),
        Ok(Some(kept)) => raw_json(kept.as_bytes(), org, url),
        Err(message) => Err(ExtractError::Unexpected {
            org: org.clone(),
            url: crate::redact::url(url.as_str()),
            message,
        }),
    }
}

/// A body kept verbatim, once known to be JSON (the client checked it parses).
pub fn raw_json(
    body: &[u8],
    org: &OrgLogin,
    url: &url::Url,
) -> Result<Box<RawValue>, ExtractError> {
    let text = std::str::from_utf8(body).map_err(|e| ExtractError::Unexpected {
        org: org.clone(),
        url: crate::redact::url(url.as_str()),
        message: format!("body is not UTF-8: {e}"),
    })?;
    RawValue::from_string(text.trim().to_string()).map_err(|e| ExtractError::Unexpected {
        org: org.clone(),
        url: crate::redact::url(url.as_str()),
        message: format!("body is not JSON: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needs(licences: u64, languages: u64) -> impl Fn(RepoEndpoint) -> u64 {
        move |e| match e {
            RepoEndpoint::License => licences,
            RepoEndpoint::Languages => languages,
        }
    }

    #[test]
    fn with_a_token_every_configured_endpoint_is_asked() {
        let plan = plan(
            &ExtractConfig::default(),
            Forge::Github,
            None,
            4,
            needs(500, 90_000),
        );
        assert_eq!(
            plan.endpoints,
            [RepoEndpoint::License, RepoEndpoint::Languages]
        );
        assert!(plan.skipped.is_empty());
    }

    #[test]
    fn without_a_token_what_does_not_fit_the_hour_is_skipped_whole() {
        let both = plan(
            &ExtractConfig::default(),
            Forge::Github,
            Some(40),
            4,
            needs(10, 30),
        );
        assert_eq!(both.endpoints, [RepoEndpoint::License]);
        let why = &both.skipped["languages"];
        assert!(why.contains("30 requests needed, 26 left"), "{why}");
        let config = ExtractConfig {
            licence_texts: false,
            languages_by_bytes: true,
            ..ExtractConfig::default()
        };
        let languages_only = plan(&config, Forge::Github, Some(40), 4, needs(10, 30));
        assert_eq!(languages_only.endpoints, [RepoEndpoint::Languages]);
        assert!(languages_only.skipped["license"].contains("turned off"));
    }

    #[test]
    fn only_kept_repositories_are_asked_and_licences_only_when_unnamed() {
        let github = Forge::Github.adapter();
        let facts = |json: &str| github.listing_item(json).unwrap().kept;
        let other = r#"{"id": 1, "full_name": "o/a", "license": {"spdx_id": "NOASSERTION"}}"#;
        let mit = r#"{"id": 2, "full_name": "o/b", "license": {"spdx_id": "MIT"}}"#;
        let kept: Vec<RepoRef> = [other, mit].iter().filter_map(|j| facts(j)).collect();
        assert!(facts(r#"{"id": 3, "full_name": "o/c", "fork": true}"#).is_none());
        assert!(facts(r#"{"id": 4, "full_name": "o/d", "private": true}"#).is_none());
        let ids = |e| asked(e, &kept).map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(RepoEndpoint::License), [1]);
        assert_eq!(ids(RepoEndpoint::Languages), [1, 2]);
    }

    #[test]
    fn a_listing_the_answers_complete_always_asks_its_licence() {
        let config = ExtractConfig {
            licence_texts: false,
            languages_by_bytes: false,
            ..ExtractConfig::default()
        };
        let gitlab = plan(&config, Forge::Gitlab, Some(0), 4, needs(10, 30));
        assert_eq!(gitlab.endpoints, [RepoEndpoint::License]);
        assert!(gitlab.skipped["languages"].contains("turned off"));
        let project = r#"{"id": 5, "path_with_namespace": "g/p", "visibility": "public"}"#;
        let item = Forge::Gitlab.adapter().listing_item(project).unwrap();
        assert!(item.public && item.kept.unwrap().licence_asked);
    }

    #[test]
    fn an_answer_is_reused_while_the_listing_says_the_same_and_it_is_young_enough() {
        let date = |d: &str| d.parse::<crate::domain::SnapshotDate>().unwrap();
        // Id 8: its answers may be reused the whole 30 days (8 % (30 / 4 + 1) = 0).
        let repo = |facts: &str| RepoRef {
            id: 8,
            full_name: "o/a".into(),
            licence_asked: false,
            node_id: None,
            listing_facts: Some(facts.into()),
            changed_at: "2021-02-27T10:00:00Z".parse().ok(),
        };
        let asked = |on: &str, facts: &str, status: u16| PreviousAnswer {
            date: date(on),
            response: RepoResponse {
                status,
                ..answer(
                    &repo(facts),
                    &url::Url::parse("https://api.example/x").unwrap(),
                )
            },
        };
        let config = ExtractConfig {
            details_max_age_days: 30,
            ..ExtractConfig::default()
        };
        let reuse = Reuse::new(date("2021-03-31"), &config);
        let earlier = asked("2021-03-01", "pushed_at=1", 200);
        let reused = reuse.reusable(&repo("pushed_at=1"), &earlier).unwrap();
        assert_eq!(
            (reused.reused_from, reused.attempts),
            (Some(date("2021-03-01")), 0)
        );
        // Reused again the next day, it still names the day it was asked: then it is too old.
        let again = PreviousAnswer {
            date: date("2021-03-31"),
            response: reused,
        };
        let next_day = Reuse::new(date("2021-04-01"), &config);
        assert!(
            next_day.reusable(&repo("pushed_at=1"), &again).is_none(),
            "31 days old"
        );
        assert!(
            reuse.reusable(&repo("pushed_at=2"), &earlier).is_none(),
            "pushed since"
        );
        let pushed_that_day = RepoRef {
            changed_at: "2021-03-01T00:30:00Z".parse().ok(),
            ..repo("pushed_at=1")
        };
        assert!(
            reuse.reusable(&pushed_that_day, &earlier).is_none(),
            "asked the day it was pushed"
        );
        let another = RepoRef {
            id: 9,
            ..repo("pushed_at=1")
        };
        assert!(
            reuse.reusable(&another, &earlier).is_none(),
            "another repository at that URL"
        );
        // Others are asked again up to a quarter earlier, by id: 9 after 29 days.
        assert!(
            reuse
                .reusable(
                    &RepoRef {
                        id: 9,
                        ..repo("pushed_at=1")
                    },
                    &PreviousAnswer {
                        date: date("2021-03-02"),
                        response: RepoResponse {
                            repo_id: 9,
                            ..earlier.response.clone()
                        },
                    }
                )
                .is_some(),
            "29 days"
        );
        let later = PreviousAnswer {
            date: date("2021-03-01"),
            response: RepoResponse {
                repo_id: 9,
                ..earlier.response.clone()
            },
        };
        assert!(
            reuse.reusable(&another, &later).is_none(),
            "30 days is past 9's 29"
        );
        assert!(reuse
            .reusable(
                &repo("pushed_at=1"),
                &asked("2021-03-01", "pushed_at=1", 403)
            )
            .is_none());
        let no_facts = RepoRef {
            listing_facts: None,
            ..repo("")
        };
        assert!(
            reuse.reusable(&no_facts, &earlier).is_none(),
            "nothing to compare"
        );
        let refresh = ExtractConfig {
            refresh_details: true,
            ..config
        };
        let forced = Reuse::new(date("2021-03-31"), &refresh);
        assert!(
            forced.reusable(&repo("pushed_at=1"), &earlier).is_none(),
            "--refresh-details"
        );
        let not_found = reuse.reusable(
            &repo("pushed_at=1"),
            &asked("2021-03-01", "pushed_at=1", 404),
        );
        assert_eq!(
            not_found.map(|r| r.status),
            Some(404),
            "no licence file is an answer too"
        );
    }
}
