//! One org's per-repository answers asked in batches (GitHub's GraphQL API, with a token):
//! up to a batch's worth of repositories a request, both endpoints at once, each answer
//! stored as received beside the org's pages and read into the bodies REST would have
//! stored, so transform, checksums and history do not depend on how an answer was fetched.
//!
//! Never silently missing: a batch the forge finds too heavy, or that fails after the
//! client's retries, is split in two and asked again; what a batch cannot answer (one
//! repository, or a whole failing batch of one) is asked of the endpoint itself by REST,
//! whose failure fails the org as any request's does. A refusal every batch would meet
//! sends the rest to REST at once; a rejected token or a budget resetting beyond
//! `max_wait_secs` fails the org, as it would on REST.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use bytes::Bytes;
use chrono::Utc;
use serde_json::value::RawValue;
use tracing::warn;

use super::client::{ApiClient, ApiResponse};
use super::details::{self, Reuse};
use super::ExtractError;
use crate::bronze::previous::{PreviousAnswer, PreviousSnapshots};
use crate::bronze::{self, PageSidecar, RepoResponse};
use crate::domain::{OrgLogin, RepoEndpoint, SnapshotDate};
use crate::forge::{Batch, BatchAnswer, BatchOutcome, RepoRef};
use crate::lake::Lake;

/// What a batched org's answers are asked with.
pub struct Batching<'a> {
    pub batch: &'static dyn Batch,
    /// The client of the batched API (its own budget), and the REST one.
    pub client: &'a ApiClient,
    pub rest: &'a ApiClient,
}

/// Where and for whom: the lake and snapshot, the org and its REST API.
pub struct OrgContext<'a> {
    pub lake: &'a Lake,
    pub date: SnapshotDate,
    pub org: &'a OrgLogin,
    pub api: &'a url::Url,
    pub api_version: String,
}

/// A batch the rate limit refused is asked again this many times (after the client waits
/// for the budget's reset) before its repositories go to REST.
const RATE_LIMITED_TRIES: u32 = 3;

/// Each endpoint's earlier answers, by URL.
type Earlier = BTreeMap<RepoEndpoint, std::collections::HashMap<String, PreviousAnswer>>;
/// The endpoints still to be asked about each repository, by id.
type Needed = BTreeMap<u64, BTreeSet<RepoEndpoint>>;
/// Each endpoint's answers so far.
type Answered = BTreeMap<RepoEndpoint, Vec<RepoResponse>>;

/// Each endpoint's answers about the org's kept repositories, in repository id order.
pub async fn answers(
    with: &Batching<'_>,
    at: &OrgContext<'_>,
    (previous, reuse): (&PreviousSnapshots, &Reuse),
    endpoints: &[RepoEndpoint],
    kept: &BTreeMap<u64, RepoRef>,
) -> Result<Answered, ExtractError> {
    let (mut done, mut needed, earlier) =
        reuse_what_may_be(with, at, (previous, reuse), endpoints, kept).await?;
    let alone = ask_in_batches(with, at, kept, &mut needed, &mut done).await?;
    for id in alone {
        let Some(repo) = kept.get(&id) else { continue };
        for &endpoint in &needed[&id] {
            let earlier = &earlier[&endpoint];
            let response =
                details::fetch(with.rest, endpoint, (at.api, at.org), repo, earlier, reuse);
            done.entry(endpoint).or_default().push(response.await?);
        }
    }
    for responses in done.values_mut() {
        responses.sort_by_key(|r| r.repo_id);
    }
    Ok(done)
}

/// The answers `reuse` lets stand, and what is still to be asked.
async fn reuse_what_may_be(
    with: &Batching<'_>,
    at: &OrgContext<'_>,
    (previous, reuse): (&PreviousSnapshots, &Reuse),
    endpoints: &[RepoEndpoint],
    kept: &BTreeMap<u64, RepoRef>,
) -> Result<(Answered, Needed, Earlier), ExtractError> {
    let (mut done, mut needed, mut earlier) = (Answered::new(), Needed::new(), Earlier::new());
    for &endpoint in endpoints {
        let answers = previous.repo_answers(at.lake, at.org, endpoint).await?;
        let answers_of = done.entry(endpoint).or_default();
        for repo in details::asked(endpoint, kept.values()) {
            let url = details::answer_url(endpoint, (at.api, at.org), repo)?;
            let earlier = answers.get(url.as_str());
            match earlier.and_then(|e| reuse.reusable(repo, e)) {
                Some(reused) => {
                    with.rest.stats.count_reused(at.org, endpoint.name());
                    answers_of.push(reused);
                }
                None => {
                    needed.entry(repo.id).or_default().insert(endpoint);
                }
            }
        }
        earlier.insert(endpoint, answers);
    }
    Ok((done, needed, earlier))
}

/// How one batch went.
enum Asked {
    /// Its answer, stored under this key.
    Answered(BatchOutcome, String),
    /// Failed after the client's retries: a 5xx (a query too heavy ends in a 502 or 504), a
    /// timeout or the network. Fewer repositories may pass.
    Failed,
    /// Refused in a way every batch would meet (no batched API, blocked, a redirect
    /// elsewhere, an answer not in its form): the rest is REST's.
    Refused,
}

/// Asks what is needed of the repositories with a `node_id` in batches, taking what the
/// answers give; returns the repositories left to REST.
async fn ask_in_batches(
    with: &Batching<'_>,
    at: &OrgContext<'_>,
    kept: &BTreeMap<u64, RepoRef>,
    needed: &mut Needed,
    done: &mut Answered,
) -> Result<Vec<u64>, ExtractError> {
    let (batchable, mut alone): (Vec<u64>, Vec<u64>) = needed
        .keys()
        .partition(|id| kept.get(id).is_some_and(|r| r.node_id.is_some()));
    let mut queue: VecDeque<(Vec<u64>, u32)> = batchable
        .chunks(with.batch.max_repos().max(1))
        .map(|chunk| (chunk.to_vec(), 0))
        .collect();
    let mut stored = 0;
    while let Some((chunk, rate_limited)) = queue.pop_front() {
        let repos: Vec<&RepoRef> = chunk.iter().filter_map(|id| kept.get(id)).collect();
        let asked: BTreeSet<RepoEndpoint> = chunk
            .iter()
            .flat_map(|id| needed[id].iter().copied())
            .collect();
        let asked: Vec<RepoEndpoint> = asked.into_iter().collect();
        match ask(with, at, (&repos, &asked), &mut stored).await? {
            Asked::Refused => all_to_rest(&mut alone, chunk, &mut queue),
            Asked::Answered(outcome, _) if outcome.too_heavy && chunk.len() > 1 => {
                split(&mut queue, chunk)
            }
            Asked::Answered(outcome, _) if outcome.rate_limited => {
                // A spent hour is waited out by the client before its next request; a
                // secondary limit (the hour not spent) is waited out here.
                if with.client.remaining() != Some(0) {
                    tokio::time::sleep(with.client.secondary_wait()).await;
                }
                if rate_limited + 1 < RATE_LIMITED_TRIES {
                    queue.push_front((chunk, rate_limited + 1));
                } else {
                    alone.extend(chunk);
                }
            }
            Asked::Answered(outcome, key) => {
                let answered = take_answers(outcome, needed, (kept, at), &key)?;
                for (endpoint, response) in answered {
                    done.entry(endpoint).or_default().push(response);
                }
                alone.extend(chunk.iter().filter(|id| !needed[*id].is_empty()));
            }
            Asked::Failed if chunk.len() > 1 => split(&mut queue, chunk),
            Asked::Failed => alone.extend(chunk),
        }
    }
    Ok(alone)
}

/// One batch asked, its answer stored as received (the `stored`-th of the org).
async fn ask(
    with: &Batching<'_>,
    at: &OrgContext<'_>,
    (repos, asked): (&[&RepoRef], &[RepoEndpoint]),
    stored: &mut u32,
) -> Result<Asked, ExtractError> {
    let url = with.batch.url(at.api);
    let query = Bytes::from(with.batch.query(repos, asked));
    let page = match with.client.post_json("graphql", at.org, &url, &query).await {
        Ok(ApiResponse::Page {
            body,
            rate_limit,
            attempts,
            ..
        }) => (body, rate_limit, attempts),
        // No batched API here (an older GitHub Enterprise Server).
        Ok(ApiResponse::Missing { status: 404, .. }) => return Ok(Asked::Refused),
        Ok(_) | Err(ExtractError::Exhausted { .. } | ExtractError::Status { .. }) => {
            return Ok(Asked::Failed)
        }
        // The token refused, or a budget reset beyond max_wait_secs: fail as REST would.
        Err(e @ (ExtractError::Unauthorized { .. } | ExtractError::RateLimited { .. })) => {
            return Err(e)
        }
        Err(e) => {
            warn!(org = %at.org, error = %e, "GraphQL refused: asking REST instead");
            return Ok(Asked::Refused);
        }
    };
    let (body, rate_limit, attempts) = page;
    *stored += 1;
    let sidecar = sidecar(at, &url, &body, rate_limit, attempts, repos.len());
    let key =
        bronze::write::batch(at.lake, at.date, at.org, *stored, body.clone(), &sidecar).await?;
    match with.batch.answers(&body, repos, asked) {
        Ok(outcome) => {
            let points = outcome.cost.unwrap_or(0);
            with.client.stats.count_points(at.org, "graphql", points);
            Ok(Asked::Answered(outcome, key))
        }
        // Not an answer to this query (another schema, say): every batch alike.
        Err(message) => {
            warn!(org = %at.org, key = %key, "{message}: asking REST instead");
            Ok(Asked::Refused)
        }
    }
}

/// `chunk` and every batch still queued, to be asked of REST.
fn all_to_rest(alone: &mut Vec<u64>, chunk: Vec<u64>, queue: &mut VecDeque<(Vec<u64>, u32)>) {
    alone.extend(chunk);
    alone.extend(queue.drain(..).flat_map(|(chunk, _)| chunk));
}

/// The two halves of `chunk`, asked next.
fn split(queue: &mut VecDeque<(Vec<u64>, u32)>, mut chunk: Vec<u64>) {
    let second = chunk.split_off(chunk.len() / 2);
    queue.push_front((second, 0));
    queue.push_front((chunk, 0));
}

/// The stored answers `outcome` gives for what is still needed, each removed from `needed`;
/// answers the batch left to REST stay needed.
fn take_answers(
    outcome: BatchOutcome,
    needed: &mut BTreeMap<u64, BTreeSet<RepoEndpoint>>,
    (kept, at): (&BTreeMap<u64, RepoRef>, &OrgContext<'_>),
    key: &str,
) -> Result<Vec<(RepoEndpoint, RepoResponse)>, ExtractError> {
    let mut answered = Vec::new();
    for (id, endpoint, answer) in outcome.answers {
        let (Some(repo), Some(wanted)) = (kept.get(&id), needed.get_mut(&id)) else {
            continue;
        };
        if !wanted.contains(&endpoint) || answer == BatchAnswer::AskAlone {
            continue;
        }
        let url = details::answer_url(endpoint, (at.api, at.org), repo)?;
        let mut response = details::answer(repo, &url);
        response.batch = Some(key.to_string());
        match answer {
            BatchAnswer::Body(body) => response.body = Some(raw(&body, at.org, &url)?),
            BatchAnswer::Missing => response.status = 404,
            BatchAnswer::AskAlone => continue,
        }
        wanted.remove(&endpoint);
        answered.push((endpoint, response));
    }
    Ok(answered)
}

fn raw(body: &str, org: &OrgLogin, url: &url::Url) -> Result<Box<RawValue>, ExtractError> {
    RawValue::from_string(body.to_string()).map_err(|e| ExtractError::Unexpected {
        org: org.clone(),
        url: crate::redact::url(url.as_str()),
        message: format!("a batched answer read into a body that is not JSON: {e}"),
    })
}

fn sidecar(
    at: &OrgContext<'_>,
    url: &url::Url,
    body: &[u8],
    rate_limit: Option<bronze::RateLimit>,
    attempts: u32,
    repos: usize,
) -> PageSidecar {
    PageSidecar {
        url: crate::redact::url(url.as_str()),
        status: 200,
        etag: None,
        link: None,
        api_version: at.api_version.clone(),
        fetched_at: Utc::now(),
        not_modified_from: None,
        replayed_from: None,
        rate_limit,
        attempts,
        repos,
        dropped_non_public: 0,
        sha256: crate::formats::sha256_hex(body),
    }
}
