//! Per-repository requests made after the listings: on GitHub the licence file of each kept
//! repository GitHub calls "Other" (`NOASSERTION`) and each kept repository's bytes per
//! language; on GitLab, whose listing names no licence, each kept project's licence
//! (`GET /projects/:id?license=true`) and its languages' shares.
//!
//! A kept repository is public and not a fork, as in every gold table. Each org's answers of
//! one endpoint are stored as one [`RepoResponses`] file, before the org's manifest, so a
//! complete org always has them. Requests are conditional on the ETags of the most recent
//! earlier snapshot that has the file; a 304 stores a copy of that snapshot's body.

use std::collections::{BTreeMap, HashMap};

use serde_json::value::RawValue;
use tracing::warn;

use super::client::{ApiClient, ApiResponse};
use super::ExtractError;
use super::{github, gitlab};
use crate::bronze::github::RepoFacts;
use crate::bronze::gitlab::ProjectFacts;
use crate::bronze::previous::PreviousAnswer;
use crate::bronze::{RepoEndpoint, RepoResponse};
use crate::config::ExtractConfig;
use crate::domain::{Forge, OrgLogin};

/// The fields of `GET /orgs/{org}` that are stored in `org.json`: the organisation's public
/// profile. Everything else (`billing_email`, `plan`, private repository counts, member
/// settings, which an owner's token shows) is dropped before storing.
pub const ORG_PUBLIC_FIELDS: [&str; 27] = [
    "login",
    "id",
    "node_id",
    "url",
    "repos_url",
    "events_url",
    "hooks_url",
    "issues_url",
    "members_url",
    "public_members_url",
    "avatar_url",
    "description",
    "name",
    "company",
    "blog",
    "location",
    "email",
    "twitter_username",
    "is_verified",
    "has_organization_projects",
    "has_repository_projects",
    "public_repos",
    "public_gists",
    "followers",
    "following",
    "html_url",
    "created_at",
];

/// `object` (a JSON object) with only the `keep` fields, or without the `drop` ones; keys
/// in sorted order, so the same answer is always stored as the same bytes.
pub fn filter_object(
    object: &str,
    keep: Option<&[&str]>,
    drop: &[&str],
) -> Result<String, serde_json::Error> {
    let mut map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(object)?;
    map.retain(|key, _| {
        keep.is_none_or(|k| k.contains(&key.as_str())) && !drop.contains(&key.as_str())
    });
    serde_json::to_string(&map)
}

/// A repository of an org's listing that the per-repository endpoints may ask about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoRef {
    pub id: u64,
    pub full_name: String,
    /// Whether the licence endpoint asks about it: on GitHub when it found a licence file
    /// but could not name it (`spdx_id` "NOASSERTION"); on GitLab always.
    pub licence_asked: bool,
}

impl RepoRef {
    /// A 200 answer at `url` with no body yet, for the caller to fill in.
    pub fn answer(&self, url: &url::Url) -> RepoResponse {
        RepoResponse {
            repo_id: self.id,
            full_name: self.full_name.clone(),
            url: crate::redact::url(url.as_str()),
            status: 200,
            etag: None,
            not_modified_from: None,
            replayed_from: None,
            attempts: 1,
            body: None,
        }
    }
}

/// The repository as the per-repository endpoints see it, if it is kept.
pub fn kept(repo: &RepoFacts) -> Option<RepoRef> {
    if !repo.is_kept() {
        return None;
    }
    Some(RepoRef {
        id: repo.id.0,
        full_name: repo.full_name.clone()?,
        licence_asked: repo.licence_unnamed(),
    })
}

/// The project as the per-project endpoints see it, if it is kept.
pub fn kept_project(project: &ProjectFacts) -> Option<RepoRef> {
    if !project.is_kept() {
        return None;
    }
    Some(RepoRef {
        id: project.id.0,
        full_name: project.path_with_namespace.clone()?,
        licence_asked: true,
    })
}

/// Where `endpoint` is asked about `repo` of `org`, under `api`; `None` for a GitHub
/// repository whose `full_name` is not `owner/name`.
pub fn endpoint_url(
    org: &OrgLogin,
    api: &url::Url,
    repo: &RepoRef,
    endpoint: RepoEndpoint,
) -> Option<url::Url> {
    match (org.forge(), endpoint) {
        (Forge::Github, _) => github::repo_url(api, &repo.full_name, endpoint.name()),
        (Forge::Gitlab, RepoEndpoint::License) => Some(gitlab::licence_url(api, repo.id)),
        (Forge::Gitlab, RepoEndpoint::Languages) => Some(gitlab::languages_url(api, repo.id)),
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

/// Chooses the endpoints to ask. With a token, every configured one: conditional requests
/// make reruns cheap and the client waits out the hourly limit. Without one, each endpoint
/// in turn (licences first: fewer requests) only if all its requests fit in what is left of
/// the hour's budget; the rest are skipped for the whole snapshot, never half asked.
pub fn plan(
    config: &ExtractConfig,
    unauthenticated_remaining: Option<u64>,
    reserve: u64,
    needed: impl Fn(RepoEndpoint) -> u64,
) -> DetailsPlan {
    let mut plan = DetailsPlan::default();
    let mut remaining = unauthenticated_remaining.map(|r| r.saturating_sub(reserve));
    let configured = [
        (RepoEndpoint::License, config.licence_texts),
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
            Some(left) if requests > left => {
                let why = format!(
                    "no GITHUB_TOKEN: {requests} requests needed, {left} left of the \
                     unauthenticated hourly limit"
                );
                warn!(
                    endpoint = endpoint.name(),
                    requests, left, "skipped for this snapshot: set GITHUB_TOKEN to collect it"
                );
                plan.skipped.insert(endpoint.name().to_string(), why);
            }
            _ => {
                remaining = remaining.map(|left| left - requests);
                plan.endpoints.push(endpoint);
            }
        }
    }
    plan
}

/// The endpoints asked for a GitLab group, and why any is not: its licence always (the
/// listing names none, so without it a project would count as unlicensed); its languages as
/// `[extract] languages_by_bytes` says. GitLab's limits are its own, so GitHub's
/// unauthenticated budget does not apply.
pub fn gitlab_plan(config: &ExtractConfig) -> DetailsPlan {
    let mut plan = DetailsPlan {
        endpoints: vec![RepoEndpoint::License],
        skipped: BTreeMap::new(),
    };
    if config.languages_by_bytes {
        plan.endpoints.push(RepoEndpoint::Languages);
    } else {
        let why = "turned off in pipeline.toml ([extract])".to_string();
        plan.skipped
            .insert(RepoEndpoint::Languages.name().to_string(), why);
    }
    plan
}

/// Asks `endpoint` about one repository, conditionally on `previous`.
pub async fn fetch(
    client: &ApiClient,
    endpoint: RepoEndpoint,
    api: &url::Url,
    org: &OrgLogin,
    repo: &RepoRef,
    previous: &HashMap<String, PreviousAnswer>,
) -> Result<RepoResponse, ExtractError> {
    let url = endpoint_url(org, api, repo, endpoint).ok_or_else(|| ExtractError::Unexpected {
        org: org.clone(),
        url: api.to_string(),
        message: format!(
            "repository {} has full_name {:?}, not owner/name",
            repo.id, repo.full_name
        ),
    })?;
    let earlier = previous.get(url.as_str());
    let etag = earlier.and_then(|p| p.response.etag.as_deref());
    let mut response = repo.answer(&url);
    let answer = match client.get(endpoint.name(), org, &url, etag).await {
        // One repository GitHub blocks (disabled, say) is an answer, not a failed org.
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

/// The answer as stored: verbatim, but for GitLab's licence answer, which is the whole
/// project and is cut to [`gitlab::LICENCE_FIELDS`].
pub fn stored_answer(
    body: &[u8],
    org: &OrgLogin,
    endpoint: RepoEndpoint,
    url: &url::Url,
) -> Result<Box<RawValue>, ExtractError> {
    if (org.forge(), endpoint) != (Forge::Gitlab, RepoEndpoint::License) {
        return raw_json(body, org, url);
    }
    let text = String::from_utf8_lossy(body);
    let kept = filter_object(&text, Some(&gitlab::LICENCE_FIELDS), &[]).map_err(|e| {
        ExtractError::Unexpected {
            org: org.clone(),
            url: crate::redact::url(url.as_str()),
            message: format!("not a project object: {e}"),
        }
    })?;
    raw_json(kept.as_bytes(), org, url)
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
        let plan = plan(&ExtractConfig::default(), None, 4, needs(500, 90_000));
        assert_eq!(
            plan.endpoints,
            [RepoEndpoint::License, RepoEndpoint::Languages]
        );
        assert!(plan.skipped.is_empty());
    }

    #[test]
    fn without_a_token_what_does_not_fit_the_hour_is_skipped_whole() {
        let both = plan(&ExtractConfig::default(), Some(40), 4, needs(10, 30));
        assert_eq!(both.endpoints, [RepoEndpoint::License]);
        let why = &both.skipped["languages"];
        assert!(why.contains("30 requests needed, 26 left"), "{why}");
        let config = ExtractConfig {
            licence_texts: false,
            languages_by_bytes: true,
        };
        let languages_only = plan(&config, Some(40), 4, needs(10, 30));
        assert_eq!(languages_only.endpoints, [RepoEndpoint::Languages]);
        assert!(languages_only.skipped["license"].contains("turned off"));
    }

    #[test]
    fn only_kept_repositories_are_asked_and_licences_only_when_unnamed() {
        let facts = |json: &str| kept(&serde_json::from_str::<RepoFacts>(json).unwrap());
        let other = r#"{"id": 1, "full_name": "o/a", "license": {"spdx_id": "NOASSERTION"}}"#;
        let mit = r#"{"id": 2, "full_name": "o/b", "license": {"spdx_id": "MIT"}}"#;
        let kept: Vec<RepoRef> = [other, mit].iter().filter_map(|j| facts(j)).collect();
        assert!(facts(r#"{"id": 3, "full_name": "o/c", "fork": true}"#).is_none());
        assert!(facts(r#"{"id": 4, "full_name": "o/d", "private": true}"#).is_none());
        let ids = |e| asked(e, &kept).map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(RepoEndpoint::License), [1]);
        assert_eq!(ids(RepoEndpoint::Languages), [1, 2]);
    }
}
