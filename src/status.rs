//! `ohs status`: what the lake holds for each snapshot, and what a rerun would do. Reads
//! manifests only; writes nothing.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::bronze;
use crate::delta::{DeltaError, TableStatus};
use crate::domain::SnapshotDate;
use crate::formats::build::BuildRecord;
use crate::formats::manifest::{shown_snapshot, PublishManifest};
use crate::lake::{outputs, Lake, LakeError};

/// One snapshot's state across the layers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SnapshotStatus {
    pub date: SnapshotDate,
    /// Orgs of the snapshot (members, or with a bronze folder), and how many are complete.
    pub orgs_started: usize,
    pub orgs_complete: usize,
    /// Repositories, once every org is complete.
    pub repos: Option<usize>,
    /// The latest day the forges were asked, when later than the snapshot date.
    pub reconstructed_from: Option<chrono::NaiveDate>,
    pub staged: bool,
    pub published: bool,
}

/// `ohs status --json`: what the site shows, every snapshot, each with what a rerun does,
/// and each gold table's Delta version.
pub fn to_json(statuses: &[SnapshotStatus], site: Option<&str>, tables: &[TableStatus]) -> String {
    let snapshots: Vec<serde_json::Value> = statuses
        .iter()
        .map(|s| {
            let mut value = serde_json::to_value(s).unwrap_or_default();
            value["rerun"] = s.rerun().into();
            value
        })
        .collect();
    serde_json::json!({"site_shows": site, "snapshots": snapshots, "gold_tables": tables})
        .to_string()
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
    dates.extend(bronze::snapshot_dates(lake).await?);
    let sources = [
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
    let orgs = bronze::snapshot_orgs(lake, date).await?;
    let started = bronze::started_orgs(lake, date).await?;
    let mut all = orgs.members.clone();
    all.extend(started);
    let mut repos: usize = 0;
    let mut observed = None;
    for login in &orgs.complete {
        let Ok(org) = login.parse() else { continue };
        // An unreadable manifest counts nothing here; transform would name it.
        let manifest = match bronze::read::org_manifest(lake, date, &org).await {
            Err(bronze::read::BronzeError::Lake(e)) => return Err(e),
            read => read.ok().flatten(),
        };
        if let Some(m) = manifest {
            repos = repos.saturating_add(m.unique_repos);
            observed = observed.max(m.observed_on);
        }
    }
    let complete = !orgs.members.is_empty() && orgs.incomplete([]).is_empty();
    let staged = lake.get(&outputs::build_record(date)).await?;
    let build = staged.and_then(|b| serde_json::from_slice::<BuildRecord>(&b).ok());
    Ok(SnapshotStatus {
        date,
        orgs_started: all.len(),
        orgs_complete: orgs.complete.len(),
        repos: complete.then_some(repos),
        reconstructed_from: build
            .as_ref()
            .and_then(|b| b.reconstructed_from)
            .or(observed.filter(|d| *d > date.date())),
        published: published_build(target, date)
            .await?
            .is_some_and(|published| {
                build
                    .as_ref()
                    .is_none_or(|staged| staged.build_id == published)
            }),
        staged: build.is_some(),
    })
}

/// The build published for `date`, from its manifest (an empty id for older manifests).
async fn published_build(target: &Lake, date: SnapshotDate) -> Result<Option<String>, LakeError> {
    let Some(bytes) = target.get(&outputs::snapshot_manifest(date)).await? else {
        return Ok(None);
    };
    let manifest = serde_json::from_slice::<PublishManifest>(&bytes).ok();
    Ok(Some(manifest.map(|m| m.build.build_id).unwrap_or_default()))
}

/// The snapshot `site/` shows, from its manifest.
pub async fn site_snapshot(target: &Lake) -> Result<Option<String>, LakeError> {
    let Some(bytes) = target.get(&outputs::site_manifest()).await? else {
        return Ok(None);
    };
    // An unreadable manifest shows nothing, as publish treats it.
    Ok(shown_snapshot(&bytes).map(|d| d.to_string()))
}

/// Each gold table that is a Delta table on `target`, in table order.
pub async fn gold_tables(target: &Lake) -> Result<Vec<TableStatus>, DeltaError> {
    let mut tables = Vec::new();
    for table in outputs::GOLD_TABLES {
        tables.extend(crate::delta::table_status(target, table).await?);
    }
    Ok(tables)
}

/// The status as a plain table.
pub fn render(statuses: &[SnapshotStatus], site: Option<&str>, tables: &[TableStatus]) -> String {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let mut out = String::from(
        "snapshot    bronze                  repos  staged  published  a rerun would\n",
    );
    let mut notes = String::new();
    for s in statuses {
        let bronze = if s.repos.is_some() {
            format!("complete ({} orgs)", s.orgs_complete)
        } else {
            format!("incomplete ({}/{} orgs)", s.orgs_complete, s.orgs_started)
        };
        if let Some(observed) = s.reconstructed_from {
            let _ = writeln!(
                notes,
                "{}: reconstructed from the forges as observed on {observed} (repositories created since are left out; deleted or changed ones are as they were then)",
                s.date
            );
        }
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
    out.push_str(&notes);
    let _ = writeln!(out, "site/ shows: {}", site.unwrap_or("nothing yet"));
    render_tables(&mut out, tables);
    out
}

/// One line per gold Delta table: version, when and what its last commit published.
fn render_tables(out: &mut String, tables: &[TableStatus]) {
    if tables.is_empty() {
        out.push_str("gold/: no Delta tables yet\n");
        return;
    }
    out.push_str("gold table           version  last commit (UTC)    what it published\n");
    for t in tables {
        let at = t.committed_at.map_or("-".to_string(), |at| {
            at.format("%Y-%m-%d %H:%M:%S").to_string()
        });
        let what = t
            .published
            .as_deref()
            .or(t.operation.as_deref())
            .unwrap_or("-");
        let _ = writeln!(out, "{:<20} {:>7}  {at:<19}  {what}", t.table, t.version);
    }
}
