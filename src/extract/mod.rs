//! Extract: GitHub `GET /orgs/{org}/repos` → bronze, every page or a loud failure.
//!
//! Owns the HTTP (or replayed) conversation and writing bronze bytes untouched; it never
//! shapes columns (no polars here). Per org it follows `Link: rel="next"` to the end, stores
//! each page with its [`PageSidecar`], then the org's [`OrgManifest`]; once every org is
//! complete it writes the snapshot's `_SUCCESS`. An org without a manifest is incomplete and
//! is fetched again from scratch by the next run; complete ones are kept unless `refetch`.

pub mod github;
pub mod replay;

use std::collections::HashSet;
use std::path::PathBuf;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use tracing::{info, info_span, Instrument};
use url::Url;

use crate::bronze::{self, OrgManifest, PageSidecar, SnapshotManifest};
use crate::config::{OrgConfig, RunSettings};
use crate::domain::{OrgLogin, SnapshotDate};
use crate::lake::{self, Lake, LakeError};
use github::GithubClient;
use replay::ReplaySource;

/// Why extract failed. Every message names the org and the URL or page.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("extract: http client: {0}")]
    Client(String),
    #[error("extract: org {org}: GET {url}: {message}")]
    Http {
        org: OrgLogin,
        url: String,
        message: String,
    },
    #[error("extract: org {org}: GET {url}: HTTP {status}")]
    Status {
        org: OrgLogin,
        url: String,
        status: u16,
    },
    #[error("extract: org {org}: page {page}: {message}")]
    InvalidPage {
        org: OrgLogin,
        page: u32,
        message: String,
    },
    #[error("extract: offline directory {dir}: {message}")]
    ReplayDir { dir: PathBuf, message: String },
    #[error("extract: org {org}: no recorded pages in {dir}")]
    ReplayMissing { org: OrgLogin, dir: PathBuf },
    #[error("extract: org {org}: {path}: {message}")]
    Replay {
        org: OrgLogin,
        path: PathBuf,
        message: String,
    },
    #[error("extract: {0}")]
    Lake(#[from] LakeError),
}

/// One response as the source gave it.
pub struct FetchedPage {
    pub url: String,
    pub status: u16,
    pub etag: Option<String>,
    pub link: Option<String>,
    pub body: Bytes,
    pub replayed_from: Option<String>,
}

/// Where pages come from: the API, or a recording of it.
enum Source {
    Api(GithubClient),
    Replay(ReplaySource),
}

impl Source {
    async fn fetch(&self, org: &OrgLogin, url: &Url) -> Result<FetchedPage, ExtractError> {
        match self {
            Source::Api(client) => client.fetch(org, url).await,
            Source::Replay(replay) => replay.fetch(org, url).await,
        }
    }
}

/// What one extract did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ExtractSummary {
    pub orgs: usize,
    /// Orgs already complete in the lake and kept.
    pub orgs_reused: usize,
    pub pages_fetched: u32,
    pub repos: usize,
}

/// Extracts every configured org for the snapshot date into bronze.
pub async fn run(
    settings: &RunSettings,
    lake: &Lake,
    refetch: bool,
) -> Result<ExtractSummary, ExtractError> {
    let date = settings.snapshot_date;
    let source = match &settings.offline {
        Some(dir) => Source::Replay(ReplaySource::new(dir)?),
        None => Source::Api(GithubClient::new(
            &settings.config.github,
            settings.token.as_ref(),
        )?),
    };
    let job = OrgJob {
        settings,
        lake,
        source: &source,
        date,
        refetch,
    };
    let results: Vec<(OrgManifest, bool)> = futures::stream::iter(&settings.config.orgs)
        .map(|org| job.extract_org(org))
        .buffered(settings.config.github.concurrency)
        .try_collect()
        .await?;

    let mut summary = ExtractSummary {
        orgs: results.len(),
        ..ExtractSummary::default()
    };
    for (manifest, reused) in &results {
        summary.repos += manifest.repos;
        if *reused {
            summary.orgs_reused += 1;
        } else {
            summary.pages_fetched += manifest.pages;
        }
    }
    let success = SnapshotManifest {
        snapshot_date: date,
        orgs: settings
            .config
            .orgs
            .iter()
            .map(|o| o.login.to_string())
            .collect(),
        repos: summary.repos,
    };
    lake.put(
        &lake::bronze::snapshot_success(date),
        bronze::to_json_bytes(&success),
    )
    .await?;
    info!(
        snapshot_date = %date,
        orgs = summary.orgs,
        orgs_reused = summary.orgs_reused,
        pages = summary.pages_fetched,
        repos = summary.repos,
        "extract complete"
    );
    Ok(summary)
}

struct OrgJob<'a> {
    settings: &'a RunSettings,
    lake: &'a Lake,
    source: &'a Source,
    date: SnapshotDate,
    refetch: bool,
}

impl OrgJob<'_> {
    /// Returns the org's manifest and whether it was already complete in the lake.
    async fn extract_org(&self, org: &OrgConfig) -> Result<(OrgManifest, bool), ExtractError> {
        let span = info_span!("org", org = %org.login);
        async {
            let manifest_key = lake::bronze::org_manifest(self.date, &org.login);
            if !self.refetch {
                if let Some(manifest) = self.complete_manifest(&manifest_key).await? {
                    info!(
                        pages = manifest.pages,
                        repos = manifest.repos,
                        "already complete, kept"
                    );
                    return Ok((manifest, true));
                }
            }
            self.lake
                .delete_prefix(&lake::bronze::org(self.date, &org.login))
                .await?;
            let manifest = self.fetch_pages(&org.login).await?;
            self.lake
                .put(&manifest_key, bronze::to_json_bytes(&manifest))
                .await?;
            info!(
                pages = manifest.pages,
                repos = manifest.repos,
                "org complete"
            );
            Ok((manifest, false))
        }
        .instrument(span)
        .await
    }

    async fn complete_manifest(
        &self,
        key: &lake::LakeKey,
    ) -> Result<Option<OrgManifest>, ExtractError> {
        let Some(bytes) = self.lake.get(key).await? else {
            return Ok(None);
        };
        // An unreadable manifest means the org must be fetched again, not a failed run.
        Ok(serde_json::from_slice(&bytes).ok())
    }

    async fn fetch_pages(&self, org: &OrgLogin) -> Result<OrgManifest, ExtractError> {
        let github = &self.settings.config.github;
        let mut url = github::first_page_url(&github.api, org, github.per_page);
        let mut seen = HashSet::new();
        let mut checksums = Vec::new();
        let mut repos = 0;
        let mut number = 0;
        loop {
            number += 1;
            seen.insert(url.clone());
            let page = self.source.fetch(org, &url).await?;
            let invalid = |message: String| ExtractError::InvalidPage {
                org: org.clone(),
                page: number,
                message,
            };
            let count = count_repos(&page.body).map_err(invalid)?;
            let sidecar = PageSidecar {
                url: page.url.clone(),
                status: page.status,
                etag: page.etag.clone(),
                link: page.link.clone(),
                api_version: github.api_version.clone(),
                fetched_at: chrono::Utc::now(),
                replayed_from: page.replayed_from.clone(),
                repos: count,
                sha256: bronze::sha256_hex(&page.body),
            };
            tracing::debug!(
                page = number,
                repos = count,
                status = page.status,
                "page stored"
            );
            self.lake
                .put(&lake::bronze::page(self.date, org, number), page.body)
                .await?;
            self.lake
                .put(
                    &lake::bronze::page_sidecar(self.date, org, number),
                    bronze::to_json_bytes(&sidecar),
                )
                .await?;
            repos += count;
            checksums.push(sidecar.sha256);
            let Some(next) = page.link.as_deref().and_then(github::next_link) else {
                return Ok(OrgManifest {
                    org: org.to_string(),
                    snapshot_date: self.date,
                    pages: number,
                    repos,
                    sha256: bronze::org_checksum(checksums.iter().map(String::as_str)),
                });
            };
            url = Url::parse(next)
                .map_err(|e| invalid(format!("Link rel=\"next\" {next:?} is not a URL: {e}")))?;
            if seen.contains(&url) {
                return Err(invalid(format!("Link rel=\"next\" loops back to {url}")));
            }
        }
    }
}

/// Counts the repositories of a page, which must be a JSON array of objects.
fn count_repos(body: &[u8]) -> Result<usize, String> {
    let items: Vec<serde_json::Map<String, serde_json::Value>> = serde_json::from_slice(body)
        .map_err(|e| format!("not a JSON array of repository objects: {e}"))?;
    Ok(items.len())
}
