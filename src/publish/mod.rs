//! Publish: makes a staged snapshot visible to readers, complete or not at all.
//!
//! Computes nothing: it copies what transform staged in the working lake to the target (the
//! lake itself, or `[publish] target`), after checking that every staged output is the one
//! the build record names and that the page is of that build. Order is the guarantee: the
//! build's own copies of every output (`gold/_builds/…`, `site/snapshot_date=S/build=B/…`,
//! new keys never overwritten) first, then the gold tables at their Hive keys, then the
//! snapshot's manifest listing each with its size and SHA-256, then the current site files,
//! then `site/_manifest.json`, which names the build. A reader that follows a manifest never
//! sees a partial snapshot or files of two builds. A failure anywhere leaves everything already published as it was, or as
//! complete as the manifest that lists it. An object whose SHA-256 the previous manifest
//! already records is not written again, and `site/` never moves back to an older snapshot
//! than it shows.

use std::collections::BTreeMap;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use tracing::info;

use crate::domain::SnapshotDate;
use crate::formats::build::{build_marker, BuildRecord};
use crate::formats::manifest::{shown_snapshot, PublishManifest, PublishedObject};
use crate::formats::staged::{self, StagedError};
use crate::formats::{sha256_hex, to_json_bytes};
use crate::lake::outputs::INDEX_HTML;
use crate::lake::{outputs, Lake, LakeError, LakeKey, Output};

mod gold;

/// Why publish failed. Nothing already published is changed by a failed publish.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("publish: {0}")]
    Staged(#[from] StagedError),
    #[error("publish: snapshot {date}: staged {key} is not of build {build_id}: run `ohs transform --snapshot-date {date}` again")]
    Stale {
        date: SnapshotDate,
        key: LakeKey,
        build_id: String,
    },
    #[error("publish: {0}")]
    Lake(#[from] LakeError),
    #[error("publish: {0}")]
    Delta(#[from] crate::delta::DeltaError),
}

impl crate::exit::HasExitCode for PublishError {
    fn exit_code(&self) -> crate::exit::ExitCode {
        use crate::exit::ExitCode::Usage;
        match self {
            Self::Lake(e) => crate::exit::HasExitCode::exit_code(e),
            Self::Staged(e) => crate::exit::HasExitCode::exit_code(e),
            Self::Delta(e) => crate::exit::HasExitCode::exit_code(e),
            Self::Stale { .. } => Usage,
        }
    }
}

/// Who is publishing: set once per run by the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunInfo {
    pub run_id: String,
    pub started_at: DateTime<Utc>,
    /// SHA-256 of the configuration file's bytes.
    pub config_sha256: String,
}

/// What one publish did.
#[derive(Debug, PartialEq, Eq)]
pub struct PublishSummary {
    pub objects: usize,
    /// Objects (and manifests) written because their bytes were new.
    pub written: usize,
    /// Whether `site/` shows this snapshot.
    pub site_updated: bool,
}

/// Publishes the outputs `source` staged for `date` into `target`.
pub async fn run(
    source: &Lake,
    target: &Lake,
    date: SnapshotDate,
    run: &RunInfo,
) -> Result<PublishSummary, PublishError> {
    run_all(source, target, &[date], run).await
}

/// One snapshot's staged outputs, each checked against the build record.
struct Staged {
    build: BuildRecord,
    /// The build's own copies (gold, then site), never overwritten.
    copies: Vec<(LakeKey, Bytes)>,
    /// Each gold table's bytes, committed to its Delta table.
    gold: Vec<(&'static str, Bytes)>,
    /// The site files at the keys readers find without a manifest.
    site: Vec<(LakeKey, Bytes)>,
    site_copies: Vec<(LakeKey, Bytes)>,
}

async fn read_staged(source: &Lake, date: SnapshotDate) -> Result<Staged, PublishError> {
    let build = staged::build_record(source, date).await?;
    let (mut gold_copies, mut site_copies) = (Vec::new(), Vec::new());
    let (mut gold, mut site) = (Vec::new(), Vec::new());
    // Every output of the build, then the organisation pages report staged beside them.
    let pages = staged_org_pages(source, date).await?;
    for output in outputs::ALL.iter().chain(&pages) {
        let key = outputs::staged(date, output);
        let bytes = staged::get(source, date, &key).await?;
        check_of_build(&build, &key, output, &bytes)?;
        // The page's own copy has its links from two folders deeper.
        let copy_bytes = if *output == INDEX_HTML {
            let key = outputs::staged(date, &outputs::INDEX_HTML_OF_BUILD);
            let bytes = staged::get(source, date, &key).await?;
            check_of_build(&build, &key, &INDEX_HTML, &bytes)?;
            bytes
        } else {
            bytes.clone()
        };
        let copy = (
            outputs::build_copy(date, &build.build_id, output),
            copy_bytes,
        );
        match output {
            Output::GoldTable(table) => {
                gold_copies.push(copy);
                gold.push((*table, bytes));
            }
            Output::SiteFile(_) | Output::RootFile(_) | Output::OrgPage(_) => {
                site_copies.push(copy);
                site.push((outputs::published(output), bytes));
            }
        }
    }
    let copies = gold_copies.into_iter().chain(site_copies.clone()).collect();
    Ok(Staged {
        build,
        copies,
        gold,
        site,
        site_copies,
    })
}

/// The organisation pages report staged for `date`, in key order. They link only within
/// `site/`, so the build's copy is the same bytes.
async fn staged_org_pages(source: &Lake, date: SnapshotDate) -> Result<Vec<Output>, PublishError> {
    let folder = outputs::staged_org_pages(date);
    let keys = source.list(&folder).await?;
    Ok((keys.iter())
        .filter_map(|key| {
            let relative = key.as_str().strip_prefix(folder.as_str())?;
            let slug = relative.trim_start_matches('/').strip_suffix(".html")?;
            Some(Output::OrgPage(slug.to_string()))
        })
        .collect())
}

/// Publishes the staged outputs of each of `dates` (ascending): every build's copies, then
/// one Delta commit per gold table for all of them, then each snapshot's manifest, then the
/// site of the newest, unless `site/` shows a newer one.
pub async fn run_all(
    source: &Lake,
    target: &Lake,
    dates: &[SnapshotDate],
    run: &RunInfo,
) -> Result<PublishSummary, PublishError> {
    let mut snapshots = Vec::new();
    for date in dates {
        snapshots.push(read_staged(source, *date).await?);
    }
    let mut written = 0;
    for snapshot in &snapshots {
        let manifest_key = outputs::snapshot_manifest(snapshot.build.snapshot_date);
        let recorded = published_checksums(target, &manifest_key).await?;
        written += put_new(target, &recorded, &snapshot.copies).await?;
    }
    written += gold::commit(target, &snapshots, run).await?;
    let mut published = BTreeMap::new();
    for snapshot in &snapshots {
        let (manifest_written, current) = gold::write_manifest(target, snapshot, run).await?;
        written += manifest_written;
        published = current;
    }
    let Some(newest) = snapshots.last() else {
        return Ok(PublishSummary {
            objects: 0,
            written,
            site_updated: false,
        });
    };
    let date = newest.build.snapshot_date;
    let site_updated = site_shows_older_or_same(target, date).await?;
    if site_updated {
        let manifest = |objects, current| manifest_of(newest, run, objects, current);
        let site_manifest = outputs::site_manifest();
        let (site_written, _) = put_all(
            target,
            &site_manifest,
            &newest.site_copies,
            &newest.site,
            &published,
            manifest,
        )
        .await?;
        written += site_written;
        remove_left_pages(target, &newest.site).await?;
    } else {
        info!(snapshot_date = %date, "site/ shows a newer snapshot: left as it is");
    }
    let objects = snapshots
        .iter()
        .map(|s| s.copies.len() + s.gold.len() + s.site.len())
        .sum();
    let summary = PublishSummary {
        objects,
        written,
        site_updated,
    };
    info!(
        snapshots = snapshots.len(),
        target = target.root(),
        objects = summary.objects,
        written,
        site_updated,
        "publish complete"
    );
    Ok(summary)
}

/// Deletes the pages under `site/orgs/` of organisations the site no longer shows, once the
/// site manifest no longer lists them: a page not of the current build is not left live.
/// Each build's own copy keeps its pages.
async fn remove_left_pages(target: &Lake, site: &[(LakeKey, Bytes)]) -> Result<(), PublishError> {
    let current: std::collections::BTreeSet<&LakeKey> = site.iter().map(|(key, _)| key).collect();
    for key in target.list(&outputs::published_org_pages()).await? {
        if !current.contains(&key) {
            target.delete(&key).await?;
        }
    }
    Ok(())
}

fn manifest_of(
    snapshot: &Staged,
    run: &RunInfo,
    objects: Vec<PublishedObject>,
    current: Vec<PublishedObject>,
) -> PublishManifest {
    PublishManifest {
        snapshot_date: snapshot.build.snapshot_date,
        run_id: run.run_id.clone(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        started_at: run.started_at,
        finished_at: Utc::now(),
        config_sha256: run.config_sha256.clone(),
        build: snapshot.build.clone(),
        objects,
        current,
    }
}

/// Puts each of `objects` unless `recorded` (a manifest's checksums) already has its bytes
/// there. Returns how many were written.
async fn put_new(
    target: &Lake,
    recorded: &BTreeMap<String, String>,
    objects: &[(LakeKey, Bytes)],
) -> Result<usize, PublishError> {
    let mut written = 0;
    for (key, bytes) in objects {
        let unchanged =
            recorded.get(key.as_str()) == Some(&sha256_hex(bytes)) && target.exists(key).await?;
        if !unchanged {
            target.put(key, bytes.clone()).await?;
            written += 1;
        }
    }
    Ok(written)
}

fn listed(objects: &[(LakeKey, Bytes)]) -> Vec<PublishedObject> {
    objects
        .iter()
        .map(|(key, bytes)| PublishedObject {
            key: key.to_string(),
            size: bytes.len(),
            sha256: sha256_hex(bytes),
        })
        .collect()
}

/// Puts the build's immutable copies, then the current objects readers find at fixed keys,
/// each unless the manifest at `manifest_key` (or `known`, just published) already records
/// its bytes, then (if anything was new) that manifest. Returns how many objects were
/// written, and the checksums of every object now published.
async fn put_all(
    target: &Lake,
    manifest_key: &LakeKey,
    copies: &[(LakeKey, Bytes)],
    current: &[(LakeKey, Bytes)],
    known: &BTreeMap<String, String>,
    manifest: impl Fn(Vec<PublishedObject>, Vec<PublishedObject>) -> PublishManifest,
) -> Result<(usize, BTreeMap<String, String>), PublishError> {
    let recorded = published_checksums(target, manifest_key).await?;
    let first_manifest = recorded.is_empty();
    let mut previous = recorded;
    previous.extend(known.iter().map(|(k, v)| (k.clone(), v.clone())));
    let mut written = put_new(target, &previous, copies).await?;
    written += put_new(target, &previous, current).await?;
    let (objects, current) = (listed(copies), listed(current));
    let published = objects
        .iter()
        .chain(&current)
        .map(|o| (o.key.clone(), o.sha256.clone()))
        .collect();
    if written > 0 || first_manifest {
        target
            .put(manifest_key, to_json_bytes(&manifest(objects, current)))
            .await?;
        written += 1;
    }
    Ok((written, published))
}

/// Key → SHA-256 of what the manifest at `key` lists; empty when there is none (or it is
/// unreadable, which makes publish write everything again).
async fn published_checksums(
    target: &Lake,
    key: &LakeKey,
) -> Result<BTreeMap<String, String>, PublishError> {
    let Some(bytes) = target.get(key).await? else {
        return Ok(BTreeMap::new());
    };
    let Ok(manifest) = serde_json::from_slice::<PublishManifest>(&bytes) else {
        return Ok(BTreeMap::new());
    };
    Ok(manifest
        .objects
        .into_iter()
        .chain(manifest.current)
        .map(|o| (o.key, o.sha256))
        .collect())
}

/// Staged outputs are those the build record lists, and the page names the build: never a
/// page or table of another build (a transform that stopped half way, say).
fn check_of_build(
    build: &BuildRecord,
    key: &LakeKey,
    output: &Output,
    bytes: &[u8],
) -> Result<(), PublishError> {
    let id_matches = build.build_id == BuildRecord::id_of(&build.staged);
    let of_build = id_matches
        && match build.staged.get(key.as_str()) {
            Some(sha256) => *sha256 == sha256_hex(bytes),
            None if outputs::staged_by_report(output) => {
                let marker = build_marker(&build.build_id);
                bytes.windows(marker.len()).any(|w| w == marker.as_bytes())
            }
            None => false,
        };
    if of_build {
        return Ok(());
    }
    Err(PublishError::Stale {
        date: build.snapshot_date,
        key: key.clone(),
        build_id: build.build_id.clone(),
    })
}

/// True unless `site/` already shows a snapshot newer than `date`.
async fn site_shows_older_or_same(target: &Lake, date: SnapshotDate) -> Result<bool, PublishError> {
    let Some(bytes) = target.get(&outputs::site_manifest()).await? else {
        return Ok(true);
    };
    // An unreadable site manifest is replaced rather than trusted.
    Ok(shown_snapshot(&bytes).is_none_or(|shown| shown <= date))
}
