//! The publish manifests: `gold/_manifests/snapshot_date=S/_manifest.json` and
//! `site/_manifest.json`, which readers follow.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::build::BuildRecord;
use crate::domain::SnapshotDate;

/// One published object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PublishedObject {
    pub key: String,
    pub size: usize,
    pub sha256: String,
}

/// `gold/_manifests/snapshot_date=S/_manifest.json` and `site/_manifest.json`: the run that
/// published the objects, what built them, and each object's size and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PublishManifest {
    pub snapshot_date: SnapshotDate,
    pub run_id: String,
    /// The `ohs` version that published it.
    pub version: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub config_sha256: String,
    /// What built the outputs: version, SPDX licence list, orgs with their ETags, row counts.
    pub build: BuildRecord,
    /// The build's own copies, never overwritten: what a reader of this manifest fetches.
    pub objects: Vec<PublishedObject>,
    /// The same files at the keys readers find without a manifest (the gold tables' Hive
    /// partitions, `site/index.html`, `site/org_repos_agg.csv`), replaced in place.
    #[serde(default)]
    pub current: Vec<PublishedObject>,
}

/// The JSON Schema of [`PublishManifest`] (published as `manifest.schema.json`), generated
/// from the type, so it cannot drift from what publish writes.
pub fn json_schema() -> Vec<u8> {
    super::schema_bytes(schemars::schema_for!(PublishManifest))
}

/// The snapshot a site manifest shows, read from that field alone, so a manifest of any
/// version of `ohs` (with other fields) still says which snapshot it shows.
pub fn shown_snapshot(manifest: &[u8]) -> Option<SnapshotDate> {
    #[derive(Deserialize)]
    struct Shown {
        snapshot_date: SnapshotDate,
    }
    serde_json::from_slice::<Shown>(manifest)
        .ok()
        .map(|s| s.snapshot_date)
}
