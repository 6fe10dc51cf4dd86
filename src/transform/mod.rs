//! Transform: bronze → silver → gold and the site CSV, for one snapshot. No network I/O.
//!
//! Reads a complete bronze snapshot (its `_SUCCESS`, each org's manifest, every page checked
//! against its checksum), parses repositories, drops anything not public, de-duplicates by
//! repository id, writes silver, then stages the gold tables and site files for publish.
//! It can be re-run on any past snapshot; the same bronze gives byte-identical outputs.

pub mod parquet;
pub mod repos;
pub mod silver;
pub mod site;

use std::collections::HashSet;

use bytes::Bytes;
use polars::prelude::PolarsError;
use tracing::{info, warn};

use crate::bronze::{self, OrgManifest, PageSidecar, SnapshotManifest};
use crate::config::RunSettings;
use crate::domain::{OrgLogin, SnapshotDate};
use crate::lake::outputs::{ORG_REPOS_DAILY, SITE_CSV};
use crate::lake::{self, Lake, LakeError, LakeKey};
use repos::{ListingOrg, RepoRecord};

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
    pub orgs: usize,
    /// Public repositories in silver.
    pub repos: usize,
    pub site_rows: usize,
    /// Repositories seen on more than one page (kept once).
    pub duplicates: usize,
    /// Non-public repositories dropped.
    pub non_public: usize,
}

/// Builds silver and stages gold and site outputs for the run's snapshot date.
pub async fn run(settings: &RunSettings, lake: &Lake) -> Result<TransformSummary, TransformError> {
    let date = settings.snapshot_date;
    let snapshot = read_snapshot_manifest(lake, date).await?;
    let mut orgs = Vec::new();
    let mut all = Vec::new();
    for login in &snapshot.orgs {
        let org: OrgLogin = login.parse().map_err(|message| TransformError::Corrupt {
            key: lake::bronze::snapshot_success(date),
            message,
        })?;
        let (listing, repos) = read_org(lake, date, org, settings).await?;
        all.extend(repos);
        orgs.push(listing);
    }
    let total = all.len();
    all.retain(RepoRecord::is_public);
    let non_public = total - all.len();
    let mut seen = HashSet::new();
    all.retain(|r| seen.insert(r.repo_id));
    let duplicates = total - non_public - all.len();
    if duplicates > 0 {
        warn!(
            duplicates,
            "repositories listed more than once; kept the first"
        );
    }
    all.sort_by(|a, b| (&a.org_login, a.repo_id).cmp(&(&b.org_login, b.repo_id)));

    let polars_err = |what| move |source| TransformError::Polars { what, source };
    let mut silver = silver::repos_frame(&all, date).map_err(polars_err("silver repos"))?;
    let silver_bytes =
        parquet::to_parquet_bytes(&mut silver).map_err(polars_err("silver repos"))?;
    lake.put(&lake::silver::repos(date), silver_bytes).await?;

    let rows = site::org_repos_daily(&orgs, &all, date);
    let mut daily = site::gold_frame(&rows).map_err(polars_err("gold org_repos_daily"))?;
    let daily_bytes =
        parquet::to_parquet_bytes(&mut daily).map_err(polars_err("gold org_repos_daily"))?;
    lake.put(&lake::outputs::staged(date, &ORG_REPOS_DAILY), daily_bytes)
        .await?;
    lake.put(&lake::outputs::staged(date, &SITE_CSV), site::to_csv(&rows))
        .await?;

    let summary = TransformSummary {
        orgs: orgs.len(),
        repos: all.len(),
        site_rows: rows.len(),
        duplicates,
        non_public,
    };
    info!(
        snapshot_date = %date,
        orgs = summary.orgs,
        repos = summary.repos,
        site_rows = summary.site_rows,
        duplicates,
        non_public,
        "transform complete"
    );
    Ok(summary)
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
async fn read_org(
    lake: &Lake,
    date: SnapshotDate,
    org: OrgLogin,
    settings: &RunSettings,
) -> Result<(ListingOrg, Vec<RepoRecord>), TransformError> {
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
    let mut repos = Vec::new();
    let mut checksums = Vec::new();
    for number in 1..=manifest.pages {
        let (body, sidecar) = read_page(lake, date, &listing.login, number).await?;
        let page_repos =
            repos::parse_page(&listing, &body, &settings.config.languages).map_err(|message| {
                TransformError::InvalidPage {
                    org: listing.login.clone(),
                    page: number,
                    message,
                }
            })?;
        repos.extend(page_repos);
        checksums.push(sidecar.sha256);
    }
    if bronze::org_checksum(checksums.iter().map(String::as_str)) != manifest.sha256 {
        return Err(TransformError::Corrupt {
            key: manifest_key,
            message: "pages do not match the manifest's checksum".into(),
        });
    }
    Ok((listing, repos))
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
