//! Transform: bronze → silver → gold and the site CSV, for one snapshot. No network I/O.
//!
//! Reads a complete bronze snapshot (its `_SUCCESS`, each org's manifest, every page checked
//! against its checksum), parses repositories, drops anything not public, de-duplicates by
//! repository id, writes silver, then stages the gold tables and site files for publish.
//! It can be re-run on any past snapshot; the same bronze gives byte-identical outputs.

pub mod gold;
pub mod normalise;
pub mod parquet;
pub mod repos;
pub mod silver;
pub mod site;

use std::collections::{BTreeMap, HashMap, HashSet};

use bytes::Bytes;
use polars::prelude::{DataFrame, PolarsError};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::bronze::{self, OrgManifest, PageSidecar, SnapshotManifest};
use crate::config::RunSettings;
use crate::domain::{OrgLogin, SnapshotDate};
use crate::lake::outputs::{ORG_REPOS_DAILY, SITE_CSV};
use crate::lake::{self, Lake, LakeError, LakeKey, Output};
use repos::{ListingOrg, RepoRecord};
use silver::OrgRecord;

/// Why transform failed. Messages name the snapshot, lake key or org, page and repo.
#[derive(Debug, thiserror::Error)]
pub enum TransformError {
    #[error("transform: snapshot {date} is not complete in bronze (no {key}): run `ohs extract --snapshot-date {date}` first")]
    Incomplete { date: SnapshotDate, key: LakeKey },
    #[error("transform: {key}: {message}")]
    Corrupt { key: LakeKey, message: String },
    #[error("transform: org {org} page {page}: {message}")]
    InvalidPage {
        org: OrgLogin,
        page: u32,
        message: String,
    },
    #[error("transform: {file}: {source}")]
    Model {
        file: &'static str,
        source: PolarsError,
    },
    #[error("transform: {what}: {source}")]
    Polars {
        what: &'static str,
        source: PolarsError,
    },
    #[error("transform: {0}")]
    Lake(#[from] LakeError),
}

/// What one transform produced.
#[derive(Debug, PartialEq, Eq)]
pub struct TransformSummary {
    pub snapshot_date: SnapshotDate,
    pub orgs: usize,
    /// Public repositories in silver.
    pub repos: usize,
    /// Repositories seen on more than one page (kept once).
    pub duplicates: usize,
    /// Non-public repositories dropped.
    pub non_public: usize,
    /// Rows of each staged gold table, by table.
    pub gold_rows: BTreeMap<String, usize>,
}

/// What transform leaves beside the staged outputs for publish to record
/// (`staging/snapshot_date=S/_build.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildRecord {
    pub snapshot_date: SnapshotDate,
    /// The `ohs` version that built the outputs.
    pub version: String,
    /// The SPDX licence list behind the licence columns.
    pub spdx_license_list_version: String,
    /// What extract stored for each org: the provenance of every number.
    pub orgs: Vec<OrgBuild>,
    /// Public repositories in silver.
    pub repos: usize,
    pub gold_rows: BTreeMap<String, usize>,
}

/// One org's bronze listing, as the build used it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgBuild {
    pub org: String,
    pub pages: u32,
    /// Distinct repositories in the listing (before non-public ones were dropped).
    pub repos: usize,
    /// Each page's ETag, in page order.
    pub etags: Vec<Option<String>>,
}

/// Rebuilds every snapshot that is complete in bronze, oldest first.
pub async fn run_all(
    settings: &RunSettings,
    lake: &Lake,
) -> Result<Vec<TransformSummary>, TransformError> {
    let mut summaries = Vec::new();
    for date in complete_snapshots(lake).await? {
        summaries.push(run_snapshot(settings, lake, date).await?);
    }
    Ok(summaries)
}

/// The snapshot dates with a `_SUCCESS` in bronze, sorted.
pub async fn complete_snapshots(lake: &Lake) -> Result<Vec<SnapshotDate>, TransformError> {
    let mut dates = Vec::new();
    for partition in lake
        .partitions(&lake::bronze::repos_root(), "snapshot_date")
        .await?
    {
        let Ok(date) = partition.parse::<SnapshotDate>() else {
            continue;
        };
        if lake.exists(&lake::bronze::snapshot_success(date)).await? {
            dates.push(date);
        }
    }
    Ok(dates)
}

/// Builds silver and stages gold and site outputs for the run's snapshot date.
pub async fn run(settings: &RunSettings, lake: &Lake) -> Result<TransformSummary, TransformError> {
    run_snapshot(settings, lake, settings.snapshot_date).await
}

async fn run_snapshot(
    settings: &RunSettings,
    lake: &Lake,
    date: SnapshotDate,
) -> Result<TransformSummary, TransformError> {
    let (listings, mut repos, org_builds) = read_bronze(settings, lake, date).await?;
    let total = repos.len();
    repos.retain(RepoRecord::is_public);
    let non_public = total - repos.len();
    let mut seen = HashSet::new();
    repos.retain(|r| seen.insert(r.repo_id));
    let duplicates = total - non_public - repos.len();
    if duplicates > 0 {
        warn!(
            duplicates,
            "repositories listed more than once; kept the first"
        );
    }
    repos.sort_by(|a, b| (&a.org_login, a.repo_id).cmp(&(&b.org_login, b.repo_id)));
    let orgs = org_records(settings, &listings, &repos);

    let polars_err = |what| move |source| TransformError::Polars { what, source };
    let silver_repos = silver::repos_frame(&repos, date).map_err(polars_err("silver repos"))?;
    let silver_orgs = silver::orgs_frame(&orgs, date).map_err(polars_err("silver orgs"))?;
    put_parquet(
        lake,
        lake::silver::repos(date),
        silver_repos.clone(),
        "silver repos",
    )
    .await?;
    put_parquet(
        lake,
        lake::silver::orgs(date),
        silver_orgs.clone(),
        "silver orgs",
    )
    .await?;

    let mut gold_rows = BTreeMap::new();
    let rows = site::org_repos_daily(&orgs, &repos, date);
    let daily = site::gold_frame(&rows).map_err(polars_err("gold org_repos_daily"))?;
    gold_rows.insert("org_repos_daily".to_string(), daily.height());
    let staged = |output| lake::outputs::staged(date, &output);
    put_parquet(lake, staged(ORG_REPOS_DAILY), daily, "gold org_repos_daily").await?;
    let mut ctx = gold::silver_context(&silver_repos, &silver_orgs);
    for model in &gold::MODELS {
        let table = model
            .build(&mut ctx)
            .map_err(|source| TransformError::Model {
                file: model.file,
                source,
            })?;
        gold_rows.insert(model.table.to_string(), table.height());
        put_parquet(
            lake,
            staged(Output::GoldTable(model.table)),
            table,
            model.file,
        )
        .await?;
    }
    lake.put(&staged(SITE_CSV), site::to_csv(&rows)).await?;

    let summary = TransformSummary {
        snapshot_date: date,
        orgs: orgs.len(),
        repos: repos.len(),
        duplicates,
        non_public,
        gold_rows,
    };
    let build = BuildRecord {
        snapshot_date: date,
        version: env!("CARGO_PKG_VERSION").to_string(),
        spdx_license_list_version: normalise::spdx_list_version().to_string(),
        orgs: org_builds,
        repos: summary.repos,
        gold_rows: summary.gold_rows.clone(),
    };
    lake.put(
        &lake::outputs::build_record(date),
        bronze::to_json_bytes(&build),
    )
    .await?;
    info!(
        snapshot_date = %date,
        orgs = summary.orgs,
        repos = summary.repos,
        site_rows = rows.len(),
        duplicates,
        non_public,
        "transform complete"
    );
    Ok(summary)
}

/// Every org's listing and repositories in the complete bronze snapshot `date`.
async fn read_bronze(
    settings: &RunSettings,
    lake: &Lake,
    date: SnapshotDate,
) -> Result<(Vec<ListingOrg>, Vec<RepoRecord>, Vec<OrgBuild>), TransformError> {
    let snapshot = read_snapshot_manifest(lake, date).await?;
    let mut listings = Vec::new();
    let mut repos = Vec::new();
    let mut builds = Vec::new();
    let mut batch = PageBatch::default();
    for login in &snapshot.orgs {
        let org: OrgLogin = login.parse().map_err(|message| TransformError::Corrupt {
            key: lake::bronze::snapshot_success(date),
            message,
        })?;
        let (listing, pages, build) = read_org(lake, date, org).await?;
        listings.push(listing);
        builds.push(build);
        for (number, body) in pages {
            batch.push(listings.len() - 1, number, body);
        }
        if batch.bytes >= PARSE_BATCH_BYTES {
            repos.extend(batch.parse(&listings, settings)?);
        }
    }
    repos.extend(batch.parse(&listings, settings)?);
    Ok((listings, repos, builds))
}

/// Bronze bytes held at once: pages are read org by org and parsed in parallel batches of
/// about this size, so memory stays bounded however large the snapshot.
const PARSE_BATCH_BYTES: usize = 64 * 1024 * 1024;

/// Pages read but not parsed yet: (index of their org in the listings, page number, bytes).
#[derive(Default)]
struct PageBatch {
    pages: Vec<(usize, u32, Bytes)>,
    bytes: usize,
}

impl PageBatch {
    fn push(&mut self, org: usize, number: u32, body: Bytes) {
        self.bytes += body.len();
        self.pages.push((org, number, body));
    }

    /// Parses every page on all cores, in page order, and empties the batch.
    fn parse(
        &mut self,
        listings: &[ListingOrg],
        settings: &RunSettings,
    ) -> Result<Vec<RepoRecord>, TransformError> {
        let pages = std::mem::take(&mut self.pages);
        self.bytes = 0;
        let parsed: Vec<Result<Vec<RepoRecord>, TransformError>> = pages
            .par_iter()
            .map(|(org, number, body)| {
                let listing = &listings[*org];
                repos::parse_page(listing, body, &settings.config.languages).map_err(|message| {
                    TransformError::InvalidPage {
                        org: listing.login.clone(),
                        page: *number,
                        message,
                    }
                })
            })
            .collect();
        let mut repos = Vec::new();
        for page in parsed {
            repos.extend(page?);
        }
        Ok(repos)
    }
}

/// Silver `orgs`: each org's GitHub spelling comes from its repositories' owner, else from
/// `GET /orgs/{org}`, else from the configuration; sorted by org_login.
fn org_records(
    settings: &RunSettings,
    listings: &[ListingOrg],
    repos: &[RepoRecord],
) -> Vec<OrgRecord> {
    // The first repository of each org (they are sorted by org, then id) names its owner.
    let mut owners: HashMap<&str, &RepoRecord> = HashMap::new();
    for repo in repos {
        owners.entry(repo.org_login.as_str()).or_insert(repo);
    }
    let mut orgs: Vec<OrgRecord> = listings
        .iter()
        .map(|listing| {
            let login = listing.login.to_string();
            let owner = owners.get(login.as_str());
            let (organisation, url) = match owner {
                Some(r) => (r.owner_login.clone(), r.owner_html_url.clone()),
                None => {
                    let spelling = listing.github_spelling();
                    (
                        spelling.to_string(),
                        format!("https://github.com/{spelling}"),
                    )
                }
            };
            OrgRecord {
                display_name: settings.display_name(&listing.login),
                org_login: login,
                organisation,
                url,
            }
        })
        .collect();
    orgs.sort_by(|a, b| a.org_login.cmp(&b.org_login));
    orgs
}

async fn put_parquet(
    lake: &Lake,
    key: LakeKey,
    mut df: DataFrame,
    what: &'static str,
) -> Result<(), TransformError> {
    let bytes = parquet::to_parquet_bytes(&mut df)
        .map_err(|source| TransformError::Polars { what, source })?;
    lake.put(&key, bytes).await?;
    Ok(())
}

async fn read_snapshot_manifest(
    lake: &Lake,
    date: SnapshotDate,
) -> Result<SnapshotManifest, TransformError> {
    let key = lake::bronze::snapshot_success(date);
    let bytes = lake
        .get(&key)
        .await?
        .ok_or_else(|| TransformError::Incomplete {
            date,
            key: key.clone(),
        })?;
    parse_json(&key, &bytes)
}

/// Every repository of one org's complete bronze listing, pages in order.
/// One org's complete listing: its pages' bytes, checked against the manifest.
async fn read_org(
    lake: &Lake,
    date: SnapshotDate,
    org: OrgLogin,
) -> Result<(ListingOrg, Vec<(u32, Bytes)>, OrgBuild), TransformError> {
    let manifest_key = lake::bronze::org_manifest(date, &org);
    let manifest: OrgManifest = match lake.get(&manifest_key).await? {
        Some(bytes) => parse_json(&manifest_key, &bytes)?,
        None => {
            return Err(TransformError::Incomplete {
                date,
                key: manifest_key,
            })
        }
    };
    let listing = ListingOrg {
        login: org,
        canonical_login: manifest.canonical_login.clone(),
    };
    let mut pages = Vec::new();
    let mut checksums = Vec::new();
    let mut etags = Vec::new();
    for number in 1..=manifest.pages {
        let (body, sidecar) = read_page(lake, date, &listing.login, number).await?;
        pages.push((number, body));
        checksums.push(sidecar.sha256);
        etags.push(sidecar.etag);
    }
    if bronze::org_checksum(checksums.iter().map(String::as_str)) != manifest.sha256 {
        return Err(TransformError::Corrupt {
            key: manifest_key,
            message: "pages do not match the manifest's checksum".into(),
        });
    }
    let build = OrgBuild {
        org: listing.login.to_string(),
        pages: manifest.pages,
        repos: manifest.unique_repos,
        etags,
    };
    Ok((listing, pages, build))
}

async fn read_page(
    lake: &Lake,
    date: SnapshotDate,
    org: &OrgLogin,
    number: u32,
) -> Result<(Bytes, PageSidecar), TransformError> {
    let missing = |key: &LakeKey| TransformError::Corrupt {
        key: key.clone(),
        message: "missing, though the org manifest lists it".into(),
    };
    let sidecar_key = lake::bronze::page_sidecar(date, org, number);
    let sidecar_bytes = lake
        .get(&sidecar_key)
        .await?
        .ok_or_else(|| missing(&sidecar_key))?;
    let sidecar: PageSidecar = parse_json(&sidecar_key, &sidecar_bytes)?;
    let page_key = lake::bronze::page(date, org, number);
    let body = lake
        .get(&page_key)
        .await?
        .ok_or_else(|| missing(&page_key))?;
    if bronze::sha256_hex(&body) != sidecar.sha256 {
        return Err(TransformError::Corrupt {
            key: page_key,
            message: "bytes do not match the sidecar's checksum".into(),
        });
    }
    Ok((body, sidecar))
}

fn parse_json<T: serde::de::DeserializeOwned>(
    key: &LakeKey,
    bytes: &[u8],
) -> Result<T, TransformError> {
    serde_json::from_slice(bytes).map_err(|e| TransformError::Corrupt {
        key: key.clone(),
        message: format!("invalid JSON: {e}"),
    })
}
