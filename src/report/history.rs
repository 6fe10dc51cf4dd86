//! The page's trends: each organisation's numbers at every snapshot up to the page's, from
//! gold `org_latest` as each snapshot published it (true history: never reconstructed from
//! creation dates), and the snapshot's own staged table.

use futures::{StreamExt, TryStreamExt};
use polars::prelude::*;

use super::{ints, strings, ReportError};
use crate::domain::SnapshotDate;
use crate::formats::manifest::PublishManifest;
use crate::formats::parquet::from_parquet_bytes;
use crate::lake::{outputs, Lake, LakeKey, Output};

/// The gold table the trends read.
const TABLE_NAME: &str = "org_latest";

/// One organisation's numbers at one snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgAtSnapshot {
    pub date: String,
    pub org_login: String,
    pub display_name: String,
    pub open_repositories: i64,
    pub stars: i64,
    pub forks: i64,
    pub open_issues: i64,
}

/// What each trend chart plots, and what its series mean.
pub const METRICS: [(&str, &str, &str); 4] = [
    (
        "open_repositories",
        "Open repositories",
        "Kept repositories (public, not forks; archived ones count) on each snapshot day.",
    ),
    (
        "stars",
        "Stars",
        "Stars summed over the kept repositories, as the forge counted them that day.",
    ),
    (
        "forks",
        "Forks",
        "Forks of the kept repositories, summed: others' copies of them, not the forks an organisation keeps.",
    ),
    (
        "open_issues",
        "Open issues",
        "Open issues summed over the kept repositories (GitHub counts open pull requests among them).",
    ),
];

impl OrgAtSnapshot {
    pub fn value(&self, metric: &str) -> i64 {
        match metric {
            "stars" => self.stars,
            "forks" => self.forks,
            "open_issues" => self.open_issues,
            _ => self.open_repositories,
        }
    }
}

/// Every snapshot's `org_latest` rows before `date` as published on `target`, then `current`
/// (the snapshot's own staged table), in date order.
pub async fn read(
    target: &Lake,
    date: SnapshotDate,
    current: &DataFrame,
) -> Result<Vec<OrgAtSnapshot>, ReportError> {
    const TABLE: Output = Output::GoldTable(TABLE_NAME);
    let root = LakeKey::from_parts(["gold", "org_latest"]);
    let earlier: Vec<SnapshotDate> = target
        .partitions(&root, "snapshot_date")
        .await?
        .iter()
        .filter_map(|p| p.parse().ok())
        .filter(|d| *d < date)
        .collect();
    let read_one = |day: SnapshotDate| async move {
        let Some(key) = published_file(target, day).await? else {
            return Ok(Vec::new());
        };
        let Some(bytes) = target.get(&key).await? else {
            return Ok(Vec::new());
        };
        let df = from_parquet_bytes(&bytes).map_err(|source| ReportError::Table {
            key: key.clone(),
            source,
        })?;
        rows(&df, day).map_err(|source| ReportError::Table { key, source })
    };
    let mut all: Vec<OrgAtSnapshot> = futures::stream::iter(earlier)
        .map(read_one)
        .buffered(8)
        .try_collect::<Vec<_>>()
        .await?
        .into_iter()
        .flatten()
        .collect();
    let key = outputs::staged(date, &TABLE);
    all.extend(rows(current, date).map_err(|source| ReportError::Table { key, source })?);
    Ok(all)
}

/// The `org_latest` data file that snapshot `day`'s manifest names as current (a reader
/// that follows the manifest never sees a file a republish is replacing).
async fn published_file(target: &Lake, day: SnapshotDate) -> Result<Option<LakeKey>, ReportError> {
    let Some(bytes) = target.get(&outputs::snapshot_manifest(day)).await? else {
        return Ok(None);
    };
    let Ok(manifest) = serde_json::from_slice::<PublishManifest>(&bytes) else {
        return Ok(None);
    };
    let folder = format!("{}/", outputs::gold_partition(TABLE_NAME, day));
    let current = manifest.current.iter().find(|o| o.key.starts_with(&folder));
    Ok(current.map(|o| LakeKey::from_parts(o.key.split('/'))))
}

fn rows(df: &DataFrame, date: SnapshotDate) -> PolarsResult<Vec<OrgAtSnapshot>> {
    let (login, display) = (strings(df, "org_login")?, strings(df, "display_name")?);
    let (open, stars) = (ints(df, "open_repositories")?, ints(df, "stars")?);
    let (forks, issues) = (ints(df, "forks")?, ints(df, "open_issues")?);
    Ok((0..df.height())
        .map(|i| OrgAtSnapshot {
            date: date.to_string(),
            org_login: login[i].clone().unwrap_or_default(),
            display_name: display[i].clone().unwrap_or_default(),
            open_repositories: open[i],
            stars: stars[i],
            forks: forks[i],
            open_issues: issues[i],
        })
        .collect())
}
