//! Extract: GitHub `GET /orgs/{org}/repos` and GitLab
//! `GET /groups/:id/projects?include_subgroups=true` → bronze, every page or a loud failure.
//!
//! Owns the HTTP (or replayed) conversation and writing bronze; it never shapes columns (no
//! polars here). Per org: `GET /orgs/{org}` (canonical login, `public_repos`; for a GitLab
//! group `GET /groups/:id`, its full path and page), then the listing, following
//! `Link: rel="next"` on the API's origin to the end, each response stored with its
//! [`PageSidecar`]. Once every org is listed, the per-repository endpoints ([`details`]) are
//! asked org by org and stored, then the org's membership marker and its [`OrgManifest`].
//! Requests are conditional on the ETags of the most recent earlier snapshot, and a 304
//! stores a copy of that snapshot's bytes. An org without a manifest is incomplete and is
//! fetched again from scratch by the next run; complete ones are kept unless `refetch`.
//! Repositories that are not public are removed before anything is stored.
//!
//! A run extracts the run's orgs (or its [`Shard`] of them) and adds them to the snapshot;
//! it never removes another org, so shards and split runs build one snapshot together.

pub mod client;
mod details;
pub mod github;
pub mod gitlab;
pub mod replay;
mod source;

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::value::RawValue;
use tracing::{info, info_span, warn, Instrument};
use tracing_indicatif::span_ext::IndicatifSpanExt;
use url::Url;

use crate::bronze::github::{RepoFacts, HOLDER_FIELDS};
use crate::bronze::gitlab::{GroupMetadata, ProjectFacts};
use crate::bronze::previous::{self, PreviousSnapshots};
use crate::bronze::{
    self, EndpointRequests, OrgManifest, PageSidecar, RepoEndpoint, RepoResponses,
    RepoResponsesFile,
};
use crate::config::{OrgConfig, RunSettings, Shard};
use crate::domain::{Forge, OrgLogin, SnapshotDate};
use crate::lake::{Lake, LakeError};
use details::{DetailsPlan, RepoRef};
use replay::ReplaySource;
pub use source::Clients;
use source::{Fetched, Source};

/// Why extract failed. Every message names the org and the URL or page.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("extract: http client: {0}")]
    Client(String),
    #[error("extract: {0}")]
    Setup(String),
    #[error("extract: org {org}: GET {url}: {reason} after {attempts} attempts")]
    Exhausted {
        org: OrgLogin,
        url: String,
        reason: String,
        attempts: u32,
    },
    #[error("extract: org {org}: GET {url}: {reason} after {attempts} attempts")]
    InvalidResponse {
        org: OrgLogin,
        url: String,
        reason: String,
        attempts: u32,
    },
    #[error("extract: GET {url}: 401 Unauthorized: {}", if *with_token { format!("{} rejected {} (wrong, expired or revoked): set a valid token", forge.name(), forge.token_var()) } else { format!("{} requires a token: set {}", forge.name(), forge.token_var()) })]
    Unauthorized {
        url: String,
        forge: Forge,
        with_token: bool,
    },
    #[error("extract: org {org}: not found on {} (404 at GET {url}): check the login in the configuration or --orgs", org.forge().name())]
    OrgNotFound { org: OrgLogin, url: String },
    #[error("extract: org {org}: GET {url}: 403 Forbidden without a rate limit ({message}): the token is blocked, or not authorised for the org's SAML single sign-on (authorise it in the token's settings), or lacks access")]
    Forbidden {
        org: OrgLogin,
        url: String,
        message: String,
    },
    #[error("extract: org {org}: {what} {url} is not on the API's origin {api}: not requested, so the token goes nowhere else")]
    ForeignOrigin {
        org: OrgLogin,
        what: &'static str,
        url: String,
        api: String,
    },
    #[error("extract: org {org}: GET {url}: rate limited {} (beyond max_wait_secs = {max_wait_secs}): run again after that time", match retry_at { Some(at) => format!("until {}", at.format("%Y-%m-%dT%H:%M:%SZ")), None => "for longer than any date can say".to_string() })]
    RateLimited {
        org: OrgLogin,
        url: String,
        retry_at: Option<DateTime<Utc>>,
        max_wait_secs: u64,
    },
    #[error("extract: org {org}: GET {url}: HTTP {status}: {message}")]
    Status {
        org: OrgLogin,
        url: String,
        status: u16,
        message: String,
    },
    #[error("extract: org {org}: page {page}: {message}")]
    InvalidPage {
        org: OrgLogin,
        page: u32,
        message: String,
    },
    #[error("extract: org {org}: GET {url}: {message}")]
    Unexpected {
        org: OrgLogin,
        url: String,
        message: String,
    },
    #[error("extract: org {org}: GET {url}: response of {bytes} bytes is over max_response_bytes = {limit}")]
    TooLarge {
        org: OrgLogin,
        url: String,
        bytes: u64,
        limit: u64,
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

impl crate::exit::HasExitCode for ExtractError {
    fn exit_code(&self) -> crate::exit::ExitCode {
        use crate::exit::ExitCode::{Data, Source, Usage};
        match self {
            Self::Lake(e) => crate::exit::HasExitCode::exit_code(e),
            Self::InvalidPage { .. }
            | Self::InvalidResponse { .. }
            | Self::TooLarge { .. }
            | Self::Unexpected { .. } => Data,
            Self::ReplayDir { .. }
            | Self::ReplayMissing { .. }
            | Self::Unauthorized { .. }
            | Self::OrgNotFound { .. }
            | Self::Forbidden { .. }
            | Self::Setup(_) => Usage,
            Self::Client(_)
            | Self::Exhausted { .. }
            | Self::ForeignOrigin { .. }
            | Self::RateLimited { .. }
            | Self::Status { .. }
            | Self::Replay { .. } => Source,
        }
    }
}

/// What one extract did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ExtractSummary {
    pub orgs: usize,
    /// Orgs already complete in the lake and kept.
    pub orgs_reused: usize,
    pub pages_stored: u32,
    pub repos: usize,
    /// HTTP requests made (0 offline).
    pub requests: u64,
    pub not_modified: u64,
    pub retries: u64,
    pub rate_limit_remaining: Option<u64>,
    /// Requests by endpoint: `orgs`, `repos`, `license`, `languages`.
    pub requests_by_endpoint: BTreeMap<String, EndpointRequests>,
    /// Per-repository endpoints skipped for the snapshot, with why.
    pub skipped: BTreeMap<String, String>,
}

/// The orgs a run extracts: the run's orgs, or the shard's share of them.
pub fn selected_orgs(settings: &RunSettings, shard: Option<Shard>) -> Vec<&OrgConfig> {
    settings
        .orgs
        .iter()
        .filter(|org| shard.is_none_or(|s| s.selects(&org.login)))
        .collect()
}

/// Extracts the run's orgs (or `shard` of them) for the snapshot date into bronze.
pub async fn run(
    settings: &RunSettings,
    lake: &Lake,
    refetch: bool,
    shard: Option<Shard>,
) -> Result<ExtractSummary, ExtractError> {
    let date = settings.snapshot_date;
    let orgs = selected_orgs(settings, shard);
    if let Some(shard) = shard {
        info!(%shard, orgs = orgs.len(), of = settings.orgs.len(), "extracting this shard's orgs");
    }
    let source = match &settings.offline {
        Some(dir) => Source::Replay(ReplaySource::new(
            dir,
            settings.config.github.max_response_bytes,
        )?),
        None => Source::Api(Box::new(Clients::new(settings, &orgs)?)),
    };
    let job = OrgJob {
        settings,
        lake,
        source: &source,
        date,
        refetch,
        previous: PreviousSnapshots::list(lake, date).await?,
        observed_on: source.observed_on(),
    };
    warn_if_reconstructed(date, job.observed_on);
    // Every org runs to its end even when another fails, so a rerun resumes from the orgs
    // that completed; the first failure, in configuration order, is the run's error.
    let listed: Vec<Result<OrgListing, ExtractError>> = futures::stream::iter(orgs)
        .map(|org| job.list_org(org))
        .buffered(settings.config.github.concurrency)
        .collect()
        .await;
    let (listings, mut failures) = split_results(listed);
    let plan = job.plan_details(&listings);
    let finished: Vec<Result<(OrgManifest, bool), ExtractError>> = futures::stream::iter(listings)
        .map(|listing| job.finish_org(listing, &plan))
        .buffered(settings.config.github.concurrency)
        .collect()
        .await;
    let (results, more_failures) = split_results(finished);
    failures.extend(more_failures);
    if let Some(first) = failures.into_iter().next() {
        return Err(first);
    }

    let mut summary = ExtractSummary {
        orgs: results.len(),
        ..ExtractSummary::default()
    };
    for (manifest, reused) in &results {
        summary.repos = summary.repos.saturating_add(manifest.unique_repos);
        if *reused {
            summary.orgs_reused += 1;
        } else {
            summary.pages_stored = summary.pages_stored.saturating_add(manifest.pages);
        }
    }
    if let Some(clients) = source.clients() {
        for client in clients.all() {
            let stats = &client.stats;
            summary.requests += stats.requests.load(Ordering::Relaxed);
            summary.not_modified += stats.not_modified.load(Ordering::Relaxed);
            summary.retries += stats.retries.load(Ordering::Relaxed);
            let by_endpoint = stats.by_endpoint();
            summary.requests_by_endpoint =
                bronze::sum_requests([&summary.requests_by_endpoint, &by_endpoint]);
        }
        summary.rate_limit_remaining = clients.github.remaining();
    }
    summary.skipped = plan.skipped;
    report_membership(settings, lake, date).await?;
    info!(
        orgs = summary.orgs,
        orgs_reused = summary.orgs_reused,
        pages = summary.pages_stored,
        repos = summary.repos,
        requests = summary.requests,
        not_modified = summary.not_modified,
        retries = summary.retries,
        rate_limit_remaining = summary.rate_limit_remaining,
        requests_by_endpoint = %requests_by_endpoint(&summary.requests_by_endpoint),
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
    previous: PreviousSnapshots,
    /// The UTC day GitHub is asked; `None` offline.
    observed_on: Option<chrono::NaiveDate>,
}

/// A past snapshot fetched today shows GitHub as it is today: say so.
fn warn_if_reconstructed(date: SnapshotDate, observed_on: Option<chrono::NaiveDate>) {
    if let Some(observed) = observed_on.filter(|d| *d > date.date()) {
        warn!(
            snapshot_date = %date,
            observed_on = %observed,
            "snapshot {date} is reconstructed from GitHub as observed on {observed}: repositories \
             deleted or changed since {date} are as they are now; those created after it are \
             left out of gold and the site"
        );
    }
}

/// Logs which orgs of the snapshot (and of the configuration) are still incomplete: other
/// shards may still be running, and transform waits for them.
async fn report_membership(
    settings: &RunSettings,
    lake: &Lake,
    date: SnapshotDate,
) -> Result<(), ExtractError> {
    let orgs = bronze::snapshot_orgs(lake, date).await?;
    let incomplete = orgs.incomplete(bronze::keys(settings.orgs.iter().map(|o| &o.login)));
    if incomplete.is_empty() {
        info!(snapshot_date = %date, orgs = orgs.members.len(), "snapshot complete in bronze");
    } else {
        info!(
            snapshot_date = %date,
            orgs = orgs.members.len(),
            incomplete = %incomplete.join(","),
            "snapshot not complete yet: transform waits for the orgs still to extract"
        );
    }
    Ok(())
}

/// What `GET /orgs/{org}` (or `GET /groups/:id`) told us.
struct OrgMetadata {
    /// GitHub's spelling of the login; for a GitLab group `<host of its page>/<full path>`.
    login: String,
    public_repos: Option<u64>,
    /// A GitLab group's page.
    web_url: Option<String>,
}

impl OrgMetadata {
    fn parse(org: &OrgLogin, body: &[u8]) -> Result<Self, serde_json::Error> {
        #[derive(Deserialize)]
        struct GithubOrg {
            login: String,
            public_repos: Option<u64>,
        }
        if org.forge() == Forge::Github {
            let parsed: GithubOrg = serde_json::from_slice(body)?;
            return Ok(Self {
                login: parsed.login,
                public_repos: parsed.public_repos,
                web_url: None,
            });
        }
        let group: GroupMetadata = serde_json::from_slice(body)?;
        // The host people see the group at (with its port, if any), which is the API's on
        // any usual instance.
        let host = Url::parse(&group.web_url).ok().and_then(|u| {
            let host = u.host_str()?;
            Some(
                u.port()
                    .map_or(host.to_string(), |port| format!("{host}:{port}")),
            )
        });
        let host =
            host.unwrap_or_else(|| org.as_str().split('/').next().unwrap_or_default().into());
        Ok(Self {
            login: format!("{host}/{}", group.full_path),
            public_repos: None,
            web_url: Some(group.web_url),
        })
    }
}

/// One org after its listing: complete already (`reused`), or listed by this run and still
/// without its manifest.
struct OrgListing<'a> {
    org: &'a OrgConfig,
    manifest: OrgManifest,
    reused: bool,
    /// Kept repositories by id: what the per-repository endpoints ask about.
    kept: BTreeMap<u64, RepoRef>,
}

impl<'a> OrgJob<'a> {
    /// Lists the org's repositories into bronze, or keeps its complete listing.
    async fn list_org(&self, org: &'a OrgConfig) -> Result<OrgListing<'a>, ExtractError> {
        let span = info_span!("org", org = %org.login);
        async {
            let login = &org.login;
            if !self.refetch {
                if let Some(manifest) = self.complete_manifest(login).await? {
                    info!(
                        pages = manifest.pages,
                        repos = manifest.unique_repos,
                        "already complete, kept"
                    );
                    return Ok(OrgListing {
                        org,
                        manifest,
                        reused: true,
                        kept: BTreeMap::new(),
                    });
                }
            }
            bronze::write::clear_org(self.lake, self.date, login).await?;
            let previous = self.previous.responses(self.lake, login).await?;
            let api = self.source.api(self.settings, org);
            let metadata = self.fetch_metadata(org, api, &previous).await?;
            let first_page = match &org.gitlab {
                Some(group) => gitlab::first_page_url(api, &group.path, self.per_page()),
                None => github::first_page_url(api, login, self.per_page()),
            };
            let (mut manifest, kept) = self.fetch_pages(login, first_page, &previous).await?;
            if let Some(metadata) = metadata {
                check_completeness(&manifest, &metadata);
                manifest.canonical_login = Some(metadata.login);
                manifest.public_repos = metadata.public_repos;
                manifest.web_url = metadata.web_url;
            }
            Ok(OrgListing {
                org,
                manifest,
                reused: false,
                kept,
            })
        }
        .instrument(span)
        .await
    }

    fn per_page(&self) -> u32 {
        self.settings.config.github.per_page
    }

    /// Which per-repository endpoints to ask of GitHub, given every org's listing.
    fn plan_details(&self, listings: &[OrgListing]) -> DetailsPlan {
        let unauthenticated_remaining = match self.source.clients() {
            Some(clients) if self.settings.token.is_none() => {
                Some(clients.github.remaining().unwrap_or(0))
            }
            _ => None,
        };
        let needed = |endpoint| {
            listings
                .iter()
                .filter(|l| l.org.login.forge() == Forge::Github)
                .map(|l| details::asked(endpoint, l.kept.values()).count() as u64)
                .sum()
        };
        details::plan(
            &self.settings.config.extract,
            unauthenticated_remaining,
            self.settings.config.github.concurrency as u64,
            needed,
        )
    }

    /// Asks the planned per-repository endpoints and writes the org's manifest, completing it.
    async fn finish_org(
        &self,
        listing: OrgListing<'a>,
        plan: &DetailsPlan,
    ) -> Result<(OrgManifest, bool), ExtractError> {
        let OrgListing {
            org,
            mut manifest,
            reused,
            kept,
        } = listing;
        if reused {
            return Ok((manifest, true));
        }
        let span = info_span!("org", org = %org.login);
        let gitlab_plan;
        let plan = match org.login.forge() {
            Forge::Github => plan,
            Forge::Gitlab => {
                gitlab_plan = details::gitlab_plan(&self.settings.config.extract);
                &gitlab_plan
            }
        };
        async {
            for &endpoint in &plan.endpoints {
                let stored = self.fetch_details(org, endpoint, &kept).await?;
                manifest.set_repo_responses(endpoint, stored);
            }
            manifest.skipped = plan.skipped.clone();
            manifest.observed_on = self.observed_on;
            if let Some(clients) = self.source.clients() {
                manifest.requests = clients.for_org(&org.login).stats.for_org(&org.login);
            }
            bronze::write::complete_org(self.lake, self.date, &org.login, &manifest).await?;
            info!(
                pages = manifest.pages,
                repos = manifest.unique_repos,
                "org complete"
            );
            Ok((manifest, false))
        }
        .instrument(span)
        .await
    }

    /// Asks `endpoint` about the org's kept repositories and stores the answers.
    async fn fetch_details(
        &self,
        org_config: &OrgConfig,
        endpoint: RepoEndpoint,
        kept: &BTreeMap<u64, RepoRef>,
    ) -> Result<RepoResponsesFile, ExtractError> {
        let org = &org_config.login;
        let api = self.source.api(self.settings, org_config);
        let asked = details::asked(endpoint, kept.values());
        let responses = self
            .source
            .repo_answers(self.lake, &self.previous, api, org, endpoint, asked)
            .await?;
        let file = RepoResponses {
            org: org.to_string(),
            snapshot_date: self.date,
            endpoint,
            api_version: self.api_version(org),
            responses,
        };
        Ok(bronze::write::repo_responses(self.lake, self.date, org, &file).await?)
    }

    async fn complete_manifest(&self, org: &OrgLogin) -> Result<Option<OrgManifest>, ExtractError> {
        match bronze::read::org_manifest(self.lake, self.date, org).await {
            Ok(manifest) => Ok(manifest),
            Err(bronze::read::BronzeError::Lake(e)) => Err(e.into()),
            // An unreadable manifest means the org must be fetched again, not a failed run.
            Err(_) => Ok(None),
        }
    }

    /// `GET /orgs/{org}` (a GitLab group: `GET /groups/:id`), stored as `org.json`; offline
    /// only when the recording has one.
    async fn fetch_metadata(
        &self,
        org_config: &OrgConfig,
        api: &Url,
        previous: &previous::PreviousResponses,
    ) -> Result<Option<OrgMetadata>, ExtractError> {
        let org = &org_config.login;
        let (url, public_fields) = match &org_config.gitlab {
            Some(group) => (
                gitlab::group_url(api, &group.path),
                &gitlab::GROUP_PUBLIC_FIELDS[..],
            ),
            None => (github::org_url(api, org), &details::ORG_PUBLIC_FIELDS[..]),
        };
        let fetched = self.source.org(self.lake, org, &url, previous).await?;
        let Some(fetched) = fetched else {
            return Ok(None);
        };
        let unexpected = |e: serde_json::Error| ExtractError::Unexpected {
            org: org.clone(),
            url: crate::redact::url(url.as_str()),
            message: format!("not an organisation object: {e}"),
        };
        let metadata = OrgMetadata::parse(org, &fetched.body).map_err(unexpected)?;
        // Only the org's public profile is stored: an owner's token shows billing and plan.
        let text = std::str::from_utf8(&fetched.body).unwrap_or_default();
        let public = details::filter_object(text, Some(public_fields), &[]).map_err(unexpected)?;
        let sidecar = self.sidecar(org, &fetched, public.as_bytes(), 0, 0);
        bronze::write::org_metadata(self.lake, self.date, org, public.into(), &sidecar).await?;
        Ok(Some(metadata))
    }

    /// The org's listing, page by page into bronze; its manifest (still without the
    /// per-repository answers) and its kept repositories.
    async fn fetch_pages(
        &self,
        org: &OrgLogin,
        mut url: Url,
        previous: &previous::PreviousResponses,
    ) -> Result<(OrgManifest, BTreeMap<u64, RepoRef>), ExtractError> {
        let mut seen_urls = HashSet::new();
        let mut ids = HashSet::new();
        let mut kept = BTreeMap::new();
        let mut checksums = Vec::new();
        let mut repos = 0;
        let mut number = 0;
        loop {
            number += 1;
            seen_urls.insert(url.clone());
            let fetched = self.source.page(self.lake, org, &url, previous).await?;
            let invalid = |message: String| ExtractError::InvalidPage {
                org: org.clone(),
                page: number,
                message,
            };
            let public = keep_public(&fetched.body, org.forge()).map_err(invalid)?;
            ids.extend(public.ids.iter().copied());
            kept.extend(public.kept.into_iter().map(|r| (r.id, r)));
            let sidecar = self.sidecar(
                org,
                &fetched,
                &public.body,
                public.ids.len(),
                public.dropped,
            );
            tracing::debug!(
                page = number,
                repos = sidecar.repos,
                status = sidecar.status,
                "page stored"
            );
            let progress = format!("page {number}, {} repos", repos + sidecar.repos);
            tracing::Span::current().pb_set_message(&progress);
            bronze::write::page(self.lake, self.date, org, number, public.body, &sidecar).await?;
            repos += sidecar.repos;
            checksums.push(sidecar.sha256);
            let Some(next) = fetched.link.as_deref().and_then(github::next_link) else {
                let manifest = OrgManifest {
                    org: org.to_string(),
                    snapshot_date: self.date,
                    canonical_login: None,
                    public_repos: None,
                    web_url: None,
                    pages: number,
                    repos,
                    unique_repos: ids.len(),
                    sha256: bronze::org_checksum(checksums.iter().map(String::as_str)),
                    licences: None,
                    languages: None,
                    observed_on: None,
                    requests: BTreeMap::new(),
                    skipped: BTreeMap::new(),
                };
                return Ok((manifest, kept));
            };
            url = Url::parse(next).map_err(|e| {
                let next = crate::redact::url(next);
                invalid(format!("Link rel=\"next\" {next:?} is not a URL: {e}"))
            })?;
            if seen_urls.contains(&url) {
                let url = crate::redact::url(url.as_str());
                return Err(invalid(format!("Link rel=\"next\" loops back to {url}")));
            }
        }
    }

    /// The API version `org`'s answers follow: GitHub's dated version, or GitLab's `v4`.
    fn api_version(&self, org: &OrgLogin) -> String {
        match org.forge() {
            Forge::Github => self.settings.config.github.api_version.clone(),
            Forge::Gitlab => "v4".to_string(),
        }
    }

    /// The sidecar of `fetched`, stored as `stored` (its public repositories only).
    fn sidecar(
        &self,
        org: &OrgLogin,
        fetched: &Fetched,
        stored: &[u8],
        repos: usize,
        dropped_non_public: usize,
    ) -> PageSidecar {
        PageSidecar {
            url: crate::redact::url(fetched.url.as_str()),
            status: fetched.status,
            etag: fetched.etag.clone(),
            link: fetched.link.clone(),
            api_version: self.api_version(org),
            fetched_at: Utc::now(),
            not_modified_from: fetched.not_modified_from,
            replayed_from: fetched.replayed_from.clone(),
            rate_limit: fetched.rate_limit.clone(),
            attempts: fetched.attempts,
            repos,
            dropped_non_public,
            sha256: crate::formats::sha256_hex(stored),
        }
    }
}

/// The successes and the failures of per-org work, each in org order.
fn split_results<T>(results: Vec<Result<T, ExtractError>>) -> (Vec<T>, Vec<ExtractError>) {
    let mut ok = Vec::new();
    let mut failed = Vec::new();
    for result in results {
        match result {
            Ok(value) => ok.push(value),
            Err(e) => failed.push(e),
        }
    }
    (ok, failed)
}

/// `license: 3 (1 not modified), ...` for the run's log line.
fn requests_by_endpoint(counts: &BTreeMap<String, EndpointRequests>) -> String {
    let parts: Vec<String> = counts
        .iter()
        .map(|(endpoint, c)| {
            format!(
                "{endpoint}: {} ({} not modified)",
                c.requests, c.not_modified
            )
        })
        .collect();
    parts.join(", ")
}

/// Warns when the listing and `public_repos` disagree: a repository created or deleted
/// during paging, or a listing GitHub cut short.
fn check_completeness(manifest: &OrgManifest, metadata: &OrgMetadata) {
    if let Some(expected) = metadata.public_repos {
        if expected != manifest.unique_repos as u64 {
            warn!(
                listed = manifest.unique_repos,
                public_repos = expected,
                "the listing and the org's public_repos differ"
            );
        }
    }
}

/// A page with only its public repositories.
struct PublicPage {
    body: Bytes,
    ids: Vec<u64>,
    /// The public repositories that are not forks.
    kept: Vec<RepoRef>,
    dropped: usize,
}

/// What [`keep_public`] needs of one repository or project.
struct ItemFacts {
    id: u64,
    public: bool,
    holder_fields: bool,
    kept: Option<RepoRef>,
}

impl ItemFacts {
    fn parse(json: &str, forge: Forge) -> Result<Self, serde_json::Error> {
        Ok(match forge {
            Forge::Github => {
                let repo: RepoFacts = serde_json::from_str(json)?;
                Self {
                    id: repo.id.0,
                    public: repo.is_public(),
                    holder_fields: repo.has_holder_fields(),
                    kept: details::kept(&repo),
                }
            }
            Forge::Gitlab => {
                let project: ProjectFacts = serde_json::from_str(json)?;
                Self {
                    id: project.id.0,
                    public: project.is_public(),
                    holder_fields: project.has_holder_fields(),
                    kept: details::kept_project(&project),
                }
            }
        })
    }
}

/// Checks that a page is a JSON array of repository (or project) objects, removes any that
/// is private or not `public`, and removes from the others the fields that describe the
/// token's holder ([`HOLDER_FIELDS`]). The bytes are kept as received unless
/// something was removed; then the untouched objects are re-joined byte for byte.
fn keep_public(body: &Bytes, forge: Forge) -> Result<PublicPage, String> {
    let items: Vec<&RawValue> = serde_json::from_slice(body)
        .map_err(|e| format!("not a JSON array of repository objects: {e}"))?;
    let mut kept: Vec<std::borrow::Cow<str>> = Vec::with_capacity(items.len());
    let mut ids = Vec::with_capacity(items.len());
    let mut kept_repos = Vec::new();
    let mut rewritten = false;
    for (index, item) in items.iter().enumerate() {
        if !item.get().starts_with('{') {
            return Err(format!("item #{} is not a repository object", index + 1));
        }
        let repo =
            ItemFacts::parse(item.get(), forge).map_err(|e| format!("repo #{}: {e}", index + 1))?;
        if !repo.public {
            continue;
        }
        if repo.holder_fields {
            let filtered = details::filter_object(item.get(), None, &HOLDER_FIELDS)
                .map_err(|e| format!("repo #{}: {e}", index + 1))?;
            kept.push(filtered.into());
            rewritten = true;
        } else {
            kept.push(item.get().into());
        }
        ids.push(repo.id);
        kept_repos.extend(repo.kept);
    }
    let dropped = items.len() - kept.len();
    let body = if dropped == 0 && !rewritten {
        body.clone()
    } else {
        Bytes::from(format!("[{}]", kept.join(",")))
    };
    Ok(PublicPage {
        body,
        ids,
        kept: kept_repos,
        dropped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_pages_are_kept_byte_for_byte() {
        let body = Bytes::from_static(br#"[ {"id": 1, "private": false},  {"id": 2} ]"#);
        let page = keep_public(&body, Forge::Github).unwrap();
        assert_eq!(page.body, body);
        assert_eq!((page.ids, page.dropped), (vec![1, 2], 0));
    }

    #[test]
    fn private_and_internal_repos_are_removed_before_storing() {
        let body = Bytes::from_static(
            br#"[{"id": 1, "name": "open"}, {"id": 2, "name": "secret-plan", "private": true},
                {"id": 3, "name": "inner", "private": false, "visibility": "internal"}]"#,
        );
        let page = keep_public(&body, Forge::Github).unwrap();
        assert_eq!(page.body.as_ref(), br#"[{"id": 1, "name": "open"}]"#);
        assert_eq!((page.ids, page.dropped), (vec![1], 2));
    }

    #[test]
    fn fields_of_the_tokens_holder_are_removed_before_storing() {
        let body = Bytes::from_static(
            br#"[{"id": 1, "name": "a", "permissions": {"admin": true}, "role_name": "admin"},
                {"id": 2, "name": "b"}]"#,
        );
        let page = keep_public(&body, Forge::Github).unwrap();
        assert_eq!(
            std::str::from_utf8(&page.body).unwrap(),
            r#"[{"id":1,"name":"a"},{"id": 2, "name": "b"}]"#
        );
    }

    proptest::proptest! {
        #[test]
        fn any_page_body_is_checked_without_panic(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let _ = keep_public(&Bytes::from(body), Forge::Github);
        }

        #[test]
        fn any_array_of_objects_is_checked_without_panic(
            items in proptest::collection::vec(("[a-z_]{1,12}", "-?[0-9]{1,25}|true|null|\"[a-z]{0,8}\"|\\{\\}"), 0..12)
        ) {
            let object: Vec<String> = items.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
            let body = format!("[{{{}}}]", object.join(", "));
            let _ = keep_public(&Bytes::from(body), Forge::Github);
        }
    }

    #[test]
    fn pages_that_are_not_arrays_of_objects_are_rejected() {
        for (body, expected) in [
            (&br#"{"message": "Not Found"}"#[..], "not a JSON array"),
            (br#"[1, 2]"#, "item #1 is not a repository object"),
            (br#"[{"name": "no id"}]"#, "repo #1: missing field `id`"),
            (b"<html>", "not a JSON array"),
        ] {
            let err = keep_public(&Bytes::copy_from_slice(body), Forge::Github)
                .err()
                .unwrap();
            assert!(err.contains(expected), "{err}");
        }
    }
}
