//! `ohs status`: what the lake holds for each snapshot, and what a rerun would do. Reads
//! manifests only; writes nothing.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::bronze::SnapshotManifest;
use crate::domain::SnapshotDate;
use crate::lake::{self, outputs, Lake, LakeError};
use crate::publish::PublishManifest;

/// One snapshot's state across the layers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotStatus {
    pub date: SnapshotDate,
    /// Orgs with a bronze folder, and how many of them are complete.
    pub orgs_started: usize,
    pub orgs_complete: usize,
    /// Repositories, once every org is complete (`_SUCCESS`).
    pub repos: Option<usize>,
    pub staged: bool,
    pub published: bool,
}

impl SnapshotStatus {
    /// What running `ohs run --snapshot-date <date>` again would do.
    pub fn rerun(&self) -> String {
        if self.repos.is_none() {
            let incomplete = self.orgs_started - self.orgs_complete;
            format!(
                "extract {incomplete} incomplete org(s) (and any not started), keep {} complete, then transform and publish",
                self.orgs_complete
            )
        } else if !self.staged {
            "transform and publish".to_string()
        } else if !self.published {
            "publish".to_string()
        } else {
            "nothing new: every published object is already there".to_string()
        }
    }
}

/// Every snapshot found in the lake (bronze, staging) or the publish target, oldest first.
pub async fn snapshots(lake: &Lake, target: &Lake) -> Result<Vec<SnapshotStatus>, LakeError> {
    let mut dates = BTreeSet::new();
    let sources = [
        (lake, lake::bronze::repos_root()),
        (lake, outputs::staging_root()),
        (target, outputs::manifests_root()),
    ];
    for (store, prefix) in &sources {
        for partition in store.partitions(prefix, "snapshot_date").await? {
            if let Ok(date) = partition.parse::<SnapshotDate>() {
                dates.insert(date);
            }
        }
    }
    let mut statuses = Vec::new();
    for date in dates {
        statuses.push(snapshot(lake, target, date).await?);
    }
    Ok(statuses)
}

async fn snapshot(
    lake: &Lake,
    target: &Lake,
    date: SnapshotDate,
) -> Result<SnapshotStatus, LakeError> {
    let orgs = lake
        .partitions(&lake::bronze::snapshot(date), "org")
        .await?;
    let mut orgs_complete = 0;
    for org in &orgs {
        let Ok(login) = org.parse() else { continue };
        if lake
            .exists(&lake::bronze::org_manifest(date, &login))
            .await?
        {
            orgs_complete += 1;
        }
    }
    let success = lake.get(&lake::bronze::snapshot_success(date)).await?;
    let repos = success
        .and_then(|bytes| serde_json::from_slice::<SnapshotManifest>(&bytes).ok())
        .map(|m| m.repos);
    Ok(SnapshotStatus {
        date,
        orgs_started: orgs.len(),
        orgs_complete,
        repos,
        staged: lake.exists(&outputs::build_record(date)).await?,
        published: target.exists(&outputs::snapshot_manifest(date)).await?,
    })
}

/// The snapshot `site/` shows, from its manifest.
pub async fn site_snapshot(target: &Lake) -> Result<Option<String>, LakeError> {
    let Some(bytes) = target.get(&outputs::site_manifest()).await? else {
        return Ok(None);
    };
    // An unreadable manifest shows nothing, as publish treats it.
    let manifest = serde_json::from_slice::<PublishManifest>(&bytes).ok();
    Ok(manifest.map(|m| m.snapshot_date.to_string()))
}

/// The status as a plain table.
pub fn render(statuses: &[SnapshotStatus], site: Option<&str>) -> String {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let mut out = String::from(
        "snapshot    bronze                  repos  staged  published  a rerun would\n",
    );
    for s in statuses {
        let bronze = if s.repos.is_some() {
            format!("complete ({} orgs)", s.orgs_complete)
        } else {
            format!("incomplete ({}/{} orgs)", s.orgs_complete, s.orgs_started)
        };
        let repos = s.repos.map_or("-".to_string(), |r| r.to_string());
        let _ = writeln!(
            out,
            "{}  {bronze:<22}  {repos:>5}  {:<6}  {:<9}  {}",
            s.date,
            yes_no(s.staged),
            yes_no(s.published),
            s.rerun()
        );
    }
    if statuses.is_empty() {
        out.push_str("(no snapshots yet)\n");
    }
    let _ = writeln!(out, "site/ shows: {}", site.unwrap_or("nothing yet"));
    out
}
