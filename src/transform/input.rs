//! Transform's input: every org of a complete bronze snapshot, read through
//! [`crate::bronze::read`] (each byte checked) and parsed into records, orgs in parallel.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use rayon::prelude::*;
use tokio::sync::Semaphore;

use super::answers::OrgAnswers;
use super::cores::on_cores;
use super::TransformError;
use crate::bronze::read::Unchecked;
use crate::bronze::{self, OrgManifest};
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
    /// Time spent checking and parsing pages, summed over the threads that did it.
    pub(super) parse_time: Duration,
}

/// Each forge's answers of each per-repository endpoint, its orgs' files in org order. Where
/// the answers add detail to a listing, `None` unless every org of the forge has them:
/// statistics over some orgs but not others would mislead, so a partial endpoint is left
/// out whole, loudly. Where they complete it (GitLab's), each org's are used when it has them.
pub type Answers = BTreeMap<(Forge, RepoEndpoint), Option<Vec<OrgAnswers>>>;

/// One org's bronze, read and parsed.
struct OrgBronze {
    listing: ListingOrg,
    repos: Vec<RepoRecord>,
    build: OrgBuild,
    licences: Option<OrgAnswers>,
    languages: Option<OrgAnswers>,
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
/// Orgs are read [`ORGS_IN_FLIGHT`] at a time, each in chunks of [`PAGES_PER_CHUNK`] pages
/// checked and parsed page by page on every core, so reading, checksumming and parsing overlap
/// on all cores however the repositories spread over orgs; memory holds [`FILES_IN_FLIGHT`]
/// chunks' or answers files' bronze bytes at most, however large the snapshot or an org.
pub async fn read_bronze(
    settings: &RunSettings,
    lake: &Lake,
    date: SnapshotDate,
    required: &[OrgLogin],
) -> Result<BronzeSnapshot, TransformError> {
    let orgs = snapshot_members(lake, date, required).await?;
    let files = Semaphore::new(FILES_IN_FLIGHT);
    let read = futures::stream::iter(orgs)
        .map(|org| read_org(settings, lake, date, org, &files))
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

/// Orgs whose bronze is being read or parsed at once: many, as most of an org's reads are
/// small (manifest, marker, sidecars) and wait on storage, not on the cores.
const ORGS_IN_FLIGHT: usize = 32;

/// Pages of an org read together, then checked and parsed page by page on every core, so one
/// large org keeps both cores busy and memory holds a few chunks' bytes, not an org's.
const PAGES_PER_CHUNK: u32 = 8;

/// Chunks of pages (or answers files) read or parsed at once, over all orgs: enough that the
/// cores never wait for storage, few enough that memory holds tens of MB of bronze.
const FILES_IN_FLIGHT: usize = 6;

/// One org's complete bronze: its pages (checked against the manifest) and its per-repository
/// answers (checked against theirs), each file checked and parsed on the cores.
async fn read_org(
    settings: &RunSettings,
    lake: &Lake,
    date: SnapshotDate,
    org: OrgLogin,
    files: &Semaphore,
) -> Result<OrgBronze, TransformError> {
    let Some(manifest) = bronze::read::org_manifest(lake, date, &org).await? else {
        return Err(TransformError::Incomplete {
            date,
            orgs: vec![org.key()],
        });
    };
    let listing = Arc::new(listing_org(settings, lake, date, org, &manifest).await?);
    let sidecars = bronze::read::page_sidecars(lake, date, &listing.login, &manifest).await?;
    let build = OrgBuild {
        org: listing.login.to_string(),
        pages: manifest.pages,
        repos: manifest.unique_repos,
        etags: sidecars
            .iter()
            .map(|sidecar| sidecar.etag.clone())
            .collect(),
        observed_on: manifest.observed_on,
    };
    let rename = Arc::new(settings.config.languages.clone());
    let chunks = (1..=manifest.pages)
        .step_by(PAGES_PER_CHUNK as usize)
        .map(|first| first..=manifest.pages.min(first + PAGES_PER_CHUNK - 1));
    let parsed: Vec<Parsed> = futures::stream::iter(chunks)
        .map(|numbers| {
            let (listing, rename, sidecars) =
                (Arc::clone(&listing), Arc::clone(&rename), &sidecars);
            async move {
                let _permit = files
                    .acquire()
                    .await
                    .expect("the semaphore is never closed");
                let first = *numbers.start();
                let read =
                    bronze::read::unchecked_pages(lake, date, &listing.login, sidecars, numbers);
                let pages = read.await?;
                on_cores(move || parse_pages(&listing, first, pages, &rename)).await
            }
        })
        // As many of one org's chunks as there are permits, so a large org can use them all.
        .buffered(FILES_IN_FLIGHT)
        .try_collect()
        .await?;
    let (licences, languages) = futures::try_join!(
        read_answers(
            lake,
            date,
            &listing,
            &manifest,
            RepoEndpoint::License,
            files,
            &rename
        ),
        read_answers(
            lake,
            date,
            &listing,
            &manifest,
            RepoEndpoint::Languages,
            files,
            &rename
        )
    )?;
    let listing = Arc::try_unwrap(listing).unwrap_or_else(|shared| (*shared).clone());
    let parse_time = parsed.iter().map(|chunk| chunk.time).sum();
    Ok(OrgBronze {
        listing,
        repos: parsed.into_iter().flat_map(|chunk| chunk.repos).collect(),
        build,
        licences,
        languages,
        requests: manifest.requests,
        skipped: manifest.skipped,
        parse_time,
    })
}

/// The org's answers of `endpoint`, if its manifest lists them, checked, parsed and read on
/// the cores ([`OrgAnswers::read`]); `rename` is the exact-match language map.
async fn read_answers(
    lake: &Lake,
    date: SnapshotDate,
    org: &ListingOrg,
    manifest: &OrgManifest,
    endpoint: RepoEndpoint,
    files: &Semaphore,
    rename: &Arc<BTreeMap<String, String>>,
) -> Result<Option<OrgAnswers>, TransformError> {
    let _permit = files
        .acquire()
        .await
        .expect("the semaphore is never closed");
    let login = &org.login;
    let file = bronze::read::unchecked_repo_responses(lake, date, login, manifest, endpoint);
    let Some(file) = file.await? else {
        return Ok(None);
    };
    let (forge, rename) = (login.forge(), Arc::clone(rename));
    let read = move || {
        let key = file.key.clone();
        let bytes = file.check()?;
        Ok(OrgAnswers::parse(&key, &bytes, forge, endpoint, &rename)?)
    };
    on_cores(read).await.map(Some)
}

/// The org as its listing names it: the configured spelling, else the one it was first
/// extracted with, never the spelling of whichever run extracted it last.
async fn listing_org(
    settings: &RunSettings,
    lake: &Lake,
    date: SnapshotDate,
    org: OrgLogin,
    manifest: &OrgManifest,
) -> Result<ListingOrg, TransformError> {
    let first = bronze::read::member(lake, date, &org).await?;
    let spelled = match settings.configured(&org) {
        Some(configured) => configured.login.clone(),
        None => first
            .and_then(|m| m.org.parse::<OrgLogin>().ok())
            .filter(|m| *m == org)
            .unwrap_or(org),
    };
    Ok(ListingOrg {
        login: spelled,
        canonical_login: manifest.canonical_login.clone(),
        web_url: manifest.web_url.clone(),
    })
}

/// Records of a run of pages, and the time checking and parsing them took (summed over the
/// threads that did it).
struct Parsed {
    repos: Vec<RepoRecord>,
    time: Duration,
}

/// Checks and parses pages `first`, `first + 1`, ... of one org, page by page on every core;
/// the records stay in page order.
fn parse_pages(
    listing: &ListingOrg,
    first: u32,
    pages: Vec<Unchecked>,
    rename: &BTreeMap<String, String>,
) -> Result<Parsed, TransformError> {
    let adapter = listing.login.forge().adapter();
    let parsed: Vec<(Vec<RepoRecord>, Duration)> = (first..)
        .zip(pages)
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|(number, page)| {
            let started = Instant::now();
            let body = page.check()?;
            let repos = adapter
                .parse_page(listing, &body, rename)
                .map_err(|message| TransformError::InvalidPage {
                    org: listing.login.clone(),
                    page: number,
                    message,
                })?;
            Ok((repos, started.elapsed()))
        })
        .collect::<Result<_, TransformError>>()?;
    let time = parsed.iter().map(|(_, time)| *time).sum();
    let repos = parsed.into_iter().flat_map(|(repos, _)| repos).collect();
    Ok(Parsed { repos, time })
}

/// The forge a lake key names: a GitLab group's key holds the `+` that stands for its `/`.
fn forge_of_key(key: &str) -> Forge {
    if key.contains('+') {
        Forge::Gitlab
    } else {
        Forge::Github
    }
}
