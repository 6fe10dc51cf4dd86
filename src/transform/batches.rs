//! `ohs transform --all-snapshots`: every complete snapshot rebuilt, a few at once.

use std::sync::Arc;

use tracing::{warn, Instrument};

use super::{bronze_snapshots, run_snapshot, TransformError, TransformSummary};
use crate::bronze;
use crate::config::RunSettings;
use crate::domain::SnapshotDate;
use crate::lake::Lake;

/// Rebuilds every snapshot whose orgs are all complete in bronze, oldest first; the others
/// are named in a warning and left as they are. Small snapshots are built two at a time
/// ([`at_once`]), so steps that use one core (writing Parquet, the site series) overlap; a
/// large one is built alone, as it uses every core itself and memory holds one snapshot.
/// Each batch finishes before the next starts or an error is returned, so nothing writes
/// after it.
pub async fn run_all(
    settings: &RunSettings,
    lake: &Lake,
) -> Result<Vec<TransformSummary>, TransformError> {
    let mut complete = Vec::new();
    for date in bronze_snapshots(lake).await? {
        let orgs = bronze::snapshot_orgs(lake, date).await?;
        let incomplete = orgs.incomplete([]);
        if orgs.members.is_empty() || !incomplete.is_empty() {
            warn!(snapshot_date = %date, incomplete = %incomplete.join(","), "not complete in bronze: skipped");
            continue;
        }
        complete.push((date, orgs.pages));
    }
    let settings = Arc::new(settings.clone());
    let mut summaries = Vec::new();
    for dates in at_once(&complete) {
        let builds: Vec<_> = dates
            .iter()
            .map(|&date| build_on_own_thread(Arc::clone(&settings), lake.clone(), date))
            .collect();
        // Every build of the batch ends before an error is returned.
        for result in futures::future::join_all(builds).await {
            summaries.push(result?);
        }
    }
    Ok(summaries)
}

/// Snapshots (with their listing pages) grouped into the batches built at once, in order:
/// up to [`SNAPSHOTS_AT_ONCE`] consecutive snapshots of at most [`PAGES_AT_ONCE`] pages in all.
fn at_once(snapshots: &[(SnapshotDate, usize)]) -> Vec<Vec<SnapshotDate>> {
    let mut batches: Vec<(Vec<SnapshotDate>, usize)> = Vec::new();
    for &(date, pages) in snapshots {
        match batches.last_mut() {
            Some((dates, total))
                if dates.len() < SNAPSHOTS_AT_ONCE && *total + pages <= PAGES_AT_ONCE =>
            {
                dates.push(date);
                *total += pages;
            }
            _ => batches.push((vec![date], pages)),
        }
    }
    batches.into_iter().map(|(dates, _)| dates).collect()
}

/// Snapshots `--all-snapshots` builds at once, at most.
const SNAPSHOTS_AT_ONCE: usize = 2;

/// Listing pages (up to 100 repositories each) built at once, at most, unless one snapshot
/// has more. Two snapshots of 100,000 repositories over 2,000 orgs (2,500 pages each) are
/// built together; one of 1,000,000 repositories is built alone.
const PAGES_AT_ONCE: usize = 10_000;

/// Builds one snapshot on a blocking thread, so its long computations never hold the
/// runtime's workers (which renew the run's leases).
async fn build_on_own_thread(
    settings: Arc<RunSettings>,
    lake: Lake,
    date: SnapshotDate,
) -> Result<TransformSummary, TransformError> {
    let runtime = tokio::runtime::Handle::current();
    let span = tracing::info_span!("snapshot", snapshot_date = %date);
    let build = move || {
        let built = runtime.block_on(run_snapshot(&settings, &lake, date, &[]).instrument(span));
        // Its page is drawn from the lake after every snapshot is built, so its gold frames
        // are dropped here; what the snapshot freed goes back to the system, so the next one
        // starts from what it needs.
        let built = built.map(|transformed| transformed.summary);
        crate::memory::release_freed();
        built
    };
    tokio::task::spawn_blocking(build)
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_snapshots_are_built_two_at_once_and_large_ones_alone() {
        let date = |d: &str| d.parse::<SnapshotDate>().unwrap();
        let (a, b, c, d, e) = (
            date("2024-01-01"),
            date("2024-01-02"),
            date("2024-01-03"),
            date("2024-01-04"),
            date("2024-01-05"),
        );
        let snapshots = [(a, 2_500), (b, 2_600), (c, 12_000), (d, 6_000), (e, 5_000)];
        assert_eq!(at_once(&snapshots), [vec![a, b], vec![c], vec![d], vec![e]]);
        assert_eq!(at_once(&[(a, 1), (b, 1), (c, 1)]), [vec![a, b], vec![c]]);
        assert!(at_once(&[]).is_empty());
    }
}
