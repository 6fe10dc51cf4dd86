//! Publish: makes a staged snapshot visible to readers, complete or not at all.
//!
//! Computes nothing. Order is the guarantee: the gold objects first, then the snapshot's
//! manifest listing each with its size and SHA-256 (readers follow manifests, so they never
//! see a partial snapshot), then the site files, then `site/_manifest.json`. An object whose
//! bytes are already published is not written again, and `site/` never moves back to an
//! older snapshot than the one it shows.

use serde::{Deserialize, Serialize};
use tracing::info;

use crate::bronze::{sha256_hex, to_json_bytes};
use crate::domain::SnapshotDate;
use crate::lake::{outputs, Lake, LakeError, LakeKey, Output};
use crate::transform::BuildRecord;

/// Why publish failed. Nothing already published is changed by a failed publish.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("publish: snapshot {date} has no staged {key}: run `ohs transform --snapshot-date {date}` first")]
    NotStaged { date: SnapshotDate, key: LakeKey },
    #[error("publish: {key}: {message}")]
    Corrupt { key: LakeKey, message: String },
    #[error("publish: {0}")]
    Lake(#[from] LakeError),
}

/// One published object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedObject {
    pub key: String,
    pub size: usize,
    pub sha256: String,
}

/// `gold/_manifests/snapshot_date=S/_manifest.json` and `site/_manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishManifest {
    pub snapshot_date: SnapshotDate,
    /// The `ohs` version that published it.
    pub version: String,
    /// What built the outputs: version, SPDX licence list, row counts.
    pub build: BuildRecord,
    pub objects: Vec<PublishedObject>,
}

/// What one publish did.
#[derive(Debug, PartialEq, Eq)]
pub struct PublishSummary {
    pub objects: usize,
    /// Objects whose bytes differed from what was published and were written.
    pub written: usize,
    /// Whether `site/` now shows this snapshot.
    pub site_updated: bool,
}

/// Publishes the staged outputs of `date`.
pub async fn run(lake: &Lake, date: SnapshotDate) -> Result<PublishSummary, PublishError> {
    let build_key = outputs::build_record(date);
    let build: BuildRecord = match lake.get(&build_key).await? {
        Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| PublishError::Corrupt {
            key: build_key,
            message: e.to_string(),
        })?,
        None => {
            return Err(PublishError::NotStaged {
                date,
                key: build_key,
            })
        }
    };
    let mut staged = Vec::new();
    for output in &outputs::ALL {
        let key = outputs::staged(date, output);
        let bytes = lake
            .get(&key)
            .await?
            .ok_or(PublishError::NotStaged { date, key })?;
        staged.push((output, bytes));
    }
    let (gold, site): (Vec<_>, Vec<_>) = staged
        .into_iter()
        .partition(|(output, _)| matches!(output, Output::GoldTable(_)));

    let mut written = 0;
    let mut gold_objects = Vec::new();
    for (output, bytes) in &gold {
        let (object, changed) =
            put_if_changed(lake, outputs::published(date, output), bytes).await?;
        written += usize::from(changed);
        gold_objects.push(object);
    }
    let manifest = PublishManifest {
        snapshot_date: date,
        version: env!("CARGO_PKG_VERSION").to_string(),
        build,
        objects: gold_objects,
    };
    let (_, changed) = put_if_changed(
        lake,
        outputs::snapshot_manifest(date),
        &to_json_bytes(&manifest),
    )
    .await?;
    written += usize::from(changed);

    let site_updated = site_shows_older_than(lake, date).await?;
    if site_updated {
        let mut site_objects = Vec::new();
        for (output, bytes) in &site {
            let (object, changed) =
                put_if_changed(lake, outputs::published(date, output), bytes).await?;
            written += usize::from(changed);
            site_objects.push(object);
        }
        let site_manifest = PublishManifest {
            objects: site_objects,
            ..manifest
        };
        let (_, changed) = put_if_changed(
            lake,
            outputs::site_manifest(),
            &to_json_bytes(&site_manifest),
        )
        .await?;
        written += usize::from(changed);
    } else {
        info!(snapshot_date = %date, "site/ shows a newer snapshot; left as it is");
    }
    let summary = PublishSummary {
        objects: gold.len() + site.len(),
        written,
        site_updated,
    };
    info!(snapshot_date = %date, objects = summary.objects, written, site_updated, "publish complete");
    Ok(summary)
}

/// Puts `bytes` at `key` unless the same bytes are already there.
async fn put_if_changed(
    lake: &Lake,
    key: LakeKey,
    bytes: &[u8],
) -> Result<(PublishedObject, bool), PublishError> {
    let sha256 = sha256_hex(bytes);
    let current = lake.get(&key).await?;
    let changed = current.is_none_or(|c| sha256_hex(&c) != sha256);
    if changed {
        lake.put(&key, bytes.to_vec()).await?;
    }
    let object = PublishedObject {
        key: key.to_string(),
        size: bytes.len(),
        sha256,
    };
    Ok((object, changed))
}

/// True unless `site/` already shows a snapshot newer than `date`.
async fn site_shows_older_than(lake: &Lake, date: SnapshotDate) -> Result<bool, PublishError> {
    let Some(bytes) = lake.get(&outputs::site_manifest()).await? else {
        return Ok(true);
    };
    // An unreadable site manifest is replaced rather than trusted.
    let shown = serde_json::from_slice::<PublishManifest>(&bytes).ok();
    Ok(shown.is_none_or(|m| m.snapshot_date <= date))
}
