//! Extract: each org's listing of public repositories on its forge → bronze, every page or a
//! loud failure. What to ask each forge, and what of its answers to keep, is its
//! [`crate::forge::Adapter`]'s; this owns the conversation and writing bronze.
//!
//! It never shapes columns (no polars here). Per org: the org's own record (canonical login,
//! repository count, page), then the listing, following `Link: rel="next"` on the API's
//! origin to the end, each response stored with its [`bronze::PageSidecar`]. Once every org
//! is listed, the per-repository endpoints ([`details`]) are asked org by org and stored,
//! then the org's membership marker and its [`OrgManifest`].
//! Requests are conditional on the ETags of the most recent earlier snapshot, and a 304
//! stores a copy of that snapshot's bytes. An org without a manifest is incomplete and is
//! fetched again from scratch by the next run; complete ones are kept unless `refetch`.
//! Repositories that are not public are removed before anything is stored.
//!
//! A run extracts the run's orgs (or its [`Shard`] of them) and adds them to the snapshot;
//! it never removes another org, so shards and split runs build one snapshot together.

mod batch;
pub mod client;
mod details;
mod error;
mod listing;
mod org;
pub mod replay;
mod source;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use futures::StreamExt;
use tracing::{info, warn};

use crate::bronze::previous::PreviousSnapshots;
use crate::bronze::{self, OrgManifest};
use crate::config::{OrgConfig, RunSettings, Shard};
use crate::domain::SnapshotDate;
use crate::formats::requests::{sum_requests, EndpointRequests};
use crate::lake::Lake;
pub use error::ExtractError;
use org::{OrgJob, OrgListing};
use replay::ReplaySource;
pub use source::Clients;
use source::Source;

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
        reuse: details::Reuse::new(date, &settings.config.extract),
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
    let plans = job.plan_details(&listings);
    let finished: Vec<Result<(OrgManifest, bool), ExtractError>> = futures::stream::iter(listings)
        .map(|listing| job.finish_org(listing, &plans))
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
                sum_requests([&summary.requests_by_endpoint, &by_endpoint]);
        }
        summary.rate_limit_remaining = clients.github.remaining();
    }
    for plan in plans.into_values() {
        for (endpoint, why) in plan.skipped {
            summary.skipped.entry(endpoint).or_insert(why);
        }
    }
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

/// A past snapshot fetched today shows the forges as they are today: say so.
fn warn_if_reconstructed(date: SnapshotDate, observed_on: Option<chrono::NaiveDate>) {
    if let Some(observed) = observed_on.filter(|d| *d > date.date()) {
        warn!(
            snapshot_date = %date,
            observed_on = %observed,
            "snapshot {date} is reconstructed from the forges as observed on {observed}: repositories \
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
            let reused = match c.reused {
                0 => String::new(),
                n => format!(", {n} reused"),
            };
            let reused = match c.points {
                0 => reused,
                n => format!("{reused}, {n} points"),
            };
            format!(
                "{endpoint}: {} ({} not modified{reused})",
                c.requests, c.not_modified
            )
        })
        .collect();
    parts.join(", ")
}
