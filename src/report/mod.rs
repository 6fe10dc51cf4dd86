//! Report: the statistics site as one HTML page, read from gold only.
//!
//! Not built yet: until it is, `ohs report` says so and writes nothing, and the published
//! outputs are the gold tables and `site/org_repos_agg.csv`.

use tracing::warn;

use crate::domain::SnapshotDate;

/// Says that the HTML report is not built yet; writes nothing.
pub fn run(date: SnapshotDate) {
    warn!(snapshot_date = %date, "report: the HTML page is not built yet; nothing written");
}
