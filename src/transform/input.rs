//! Transform's input: every org of a complete bronze snapshot, read through
//! [`crate::bronze::read`] (each byte checked) and parsed into records, orgs in parallel.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};

use super::TransformError;
use crate::bronze::{self, RepoResponses};
use crate::config::RunSettings;
use crate::domain::{Forge, OrgLogin, RepoEndpoint, SnapshotDate};
use crate::forge::{ListingOrg, RepoRecord};
use crate::formats::build::OrgBuild;
use crate::formats::requests::{sum_requests, EndpointRequests};
use crate::lake::{self, Lake};

/// A complete bronze snapshot, parsed.
pub struct BronzeSnapshot {
    /// In the snapshot's org order.
    pub(super) listings: Vec<ListingOrg>,
    /// In org order, then page order.
    pub(super) repos: Vec<RepoRecord>,
    pub(super) builds: Vec<OrgBuild>,
    /// The per-repository answers the snapshot uses.
    pub(super) answers: Answers,
    /// Requests the runs that completed the orgs made, by endpoint.
    pub(super) requests: BTreeMap<String, EndpointRequests>,
    /// Per-repository endpoints some org skipped, with why.
    pub(super) skipped: BTreeMap<String, String>,
    /// Time spent parsing pages, summed over orgs (they are parsed in parallel).
    pub(super) parse_time: Duration,
}

/// Each forge's answers of each per-repository endpoint, its orgs' files in org order. Where
/// the answers add detail to a listing, `None` unless every org of the forge has them:
/// statistics over some orgs but not others would mislead, so a partial endpoint is left
/// out whole, loudly. Where they complete it (GitLab's), each org's are used when it has them.
pub type Answers = BTreeMap<(Forge, RepoEndpoint), Option<Vec<RepoResponses>>>;

/// One org's bronze, read and parsed.
struct OrgBronze {
    listing: ListingOrg,
    repos: Vec<RepoRecord>,
    build: OrgBuild,
    licences: Option<RepoResponses>,
    languages: Option<RepoResponses>,
    requests: BTreeMap<String, EndpointRequests>,
    skipped: BTreeMap<String, String>,
    parse_time: Duration,
}

/// The orgs of snapshot `date` (its members, in login order), once every one of them and of
/// `required` is complete; otherwise the error names the incomplete ones.
async fn snapshot_members(
    lake: &Lake,
    date: SnapshotDate,
    required: &[OrgLogin],
) -> Result<Vec<OrgLogin>, TransformError> {
    let orgs = bronze::snapshot_orgs(lake, date).await?;
    let incomplete = orgs.incomplete(bronze::keys(required));
    if !incomplete.is_empty() {
        return Err(TransformError::Incomplete {
            date,
            orgs: incomplete,
        });
    }
    orgs.members
        .iter()
        .map(|key| {
            OrgLogin::from_key(key).map_err(|message| TransformError::Corrupt {
                key: lake::bronze::snapshot(forge_of_key(key), date),
                message: format!("org folder or marker {key:?}: {message}"),
            })
        })
        .collect()
}

/// Every org's listing, repositories and per-repository answers in the complete bronze
/// snapshot `date`.
///
/// Orgs are read [`ORGS_IN_FLIGHT`] at a time and parsed on blocking threads, so reading,
/// checksumming and parsing overlap on all cores; memory holds the bronze bytes of those orgs
/// only, however large the snapshot.
pub async fn read_bronze(
    settings: &RunSettings,
    lake: &Lake,
    date: SnapshotDate,
    required: &[OrgLogin],
) -> Result<BronzeSnapshot, TransformError> {
    let orgs = snapshot_members(lake, date, required).await?;
    let read = futures::stream::iter(orgs)
        .map(|org| read_org(settings, lake, date, org))
        .buffered(ORGS_IN_FLIGHT);
    let mut read = std::pin::pin!(read);
    let mut snapshot = BronzeSnapshot {
        listings: Vec::new(),
        repos: Vec::new(),
        builds: Vec::new(),
        answers: Answers::new(),
        requests: BTreeMap::new(),
        skipped: BTreeMap::new(),
        parse_time: Duration::ZERO,
    };
    while let Some(org) = read.try_next().await? {
        snapshot.parse_time += org.parse_time;
        let forge = org.listing.login.forge();
        snapshot.listings.push(org.listing);
        snapshot.repos.extend(org.repos);
        snapshot.builds.push(org.build);
        snapshot.requests = sum_requests([&snapshot.requests, &org.requests]);
        for (endpoint, why) in org.skipped {
            snapshot.skipped.entry(endpoint).or_insert(why);
        }
        let per_org = forge.adapter().answers_complete_listing();
        for (endpoint, file) in [
            (RepoEndpoint::License, org.licences),
            (RepoEndpoint::Languages, org.languages),
        ] {
            let all = snapshot
                .answers
                .entry((forge, endpoint))
                .or_insert_with(|| Some(Vec::new()));
            match (all.as_mut(), file) {
                (Some(files), Some(file)) => files.push(file),
                (Some(_), None) if per_org => {}
                _ => *all = None,
            }
        }
    }
    Ok(snapshot)
}

/// Orgs whose bronze is being read or parsed at once.
const ORGS_IN_FLIGHT: usize = 8;

/// Parses one org's pages, in page order.
fn parse_pages(
    listing: &ListingOrg,
    pages: &[(u32, Bytes)],
    languages: &BTreeMap<String, String>,
) -> Result<Vec<RepoRecord>, TransformError> {
    let adapter = listing.login.forge().adapter();
    let mut repos = Vec::new();
    for (number, body) in pages {
        let page = adapter
            .parse_page(listing, body, languages)
            .map_err(|message| TransformError::InvalidPage {
                org: listing.login.clone(),
                page: *number,
                message,
            })?;
        repos.extend(page);
    }
    Ok(repos)
}

/// One org's complete bronze: its pages (checked against the manifest) parsed off the async
/// runtime, and its per-repository answers (checked against theirs).
async fn read_org(
    settings: &RunSettings,
    lake: &Lake,
    date: SnapshotDate,
    org: OrgLogin,
) -> Result<OrgBronze, TransformError> {
    let Some(manifest) = bronze::read::org_manifest(lake, date, &org).await? else {
        return Err(TransformError::Incomplete {
            date,
            orgs: vec![org.key()],
        });
    };
    // The configured spelling, else the one the org was first extracted with: never the
    // spelling of whichever run extracted it last.
    let first = bronze::read::member(lake, date, &org).await?;
    let spelled = match settings.configured(&org) {
        Some(configured) => configured.login.clone(),
        None => first
            .and_then(|m| m.org.parse::<OrgLogin>().ok())
            .filter(|m| *m == org)
            .unwrap_or(org),
    };
    let listing = ListingOrg {
        login: spelled,
        canonical_login: manifest.canonical_login.clone(),
        web_url: manifest.web_url.clone(),
    };
    let read = bronze::read::pages(lake, date, &listing.login, &manifest).await?;
    let mut pages = Vec::new();
    let mut etags = Vec::new();
    for (number, (body, sidecar)) in (1..).zip(read) {
        pages.push((number, body));
        etags.push(sidecar.etag);
    }
    let build = OrgBuild {
        org: listing.login.to_string(),
        pages: manifest.pages,
        repos: manifest.unique_repos,
        etags,
        observed_on: manifest.observed_on,
    };
    let answers =
        |endpoint| bronze::read::repo_responses(lake, date, &listing.login, &manifest, endpoint);
    let (licences, languages) = (
        answers(RepoEndpoint::License).await?,
        answers(RepoEndpoint::Languages).await?,
    );
    let rename = settings.config.languages.clone();
    let repos = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        parse_pages(&listing, &pages, &rename).map(|repos| (listing, repos, started.elapsed()))
    })
    .await
    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    let (listing, repos, parse_time) = repos?;
    Ok(OrgBronze {
        listing,
        repos,
        build,
        licences,
        languages,
        requests: manifest.requests,
        skipped: manifest.skipped,
        parse_time,
    })
}

/// The forge a lake key names: a GitLab group's key holds the `+` that stands for its `/`.
fn forge_of_key(key: &str) -> Forge {
    if key.contains('+') {
        Forge::Gitlab
    } else {
        Forge::Github
    }
}
