//! The build record: what transform staged for a snapshot, which publish records in its
//! manifests, and how the page names the build it belongs to.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::requests::EndpointRequests;
use crate::domain::SnapshotDate;

/// What transform leaves beside the staged outputs for publish to record
/// (`staging/snapshot_date=S/_build.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BuildRecord {
    /// Names this build: derived from the staged outputs' bytes and the `ohs` version, so
    /// the same bronze always gives the same id, and changed outputs a new one.
    #[serde(default)]
    pub build_id: String,
    pub snapshot_date: SnapshotDate,
    /// The `ohs` version that built the outputs.
    pub version: String,
    /// The SPDX licence list behind the licence columns.
    pub spdx_license_list_version: String,
    /// What extract stored for each org: the provenance of every number.
    pub orgs: Vec<OrgBuild>,
    /// Public repositories in silver.
    pub repos: usize,
    pub gold_rows: BTreeMap<String, usize>,
    /// Requests of the extract run that completed the snapshot, by endpoint.
    #[serde(default)]
    pub requests: BTreeMap<String, EndpointRequests>,
    /// Per-repository endpoints whose answers this build left out, with why.
    #[serde(default)]
    pub skipped: BTreeMap<String, String>,
    /// The latest UTC day the forges were asked for this snapshot, when later than the snapshot
    /// date: the snapshot is reconstructed from that observation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconstructed_from: Option<chrono::NaiveDate>,
    /// Public repositories created after the snapshot day: in silver, flagged, and left out
    /// of gold and the site.
    #[serde(default)]
    pub created_after_snapshot: usize,
    /// Each staged output's key and SHA-256 (the page excepted: it names the build).
    #[serde(default)]
    pub staged: BTreeMap<String, String>,
}

/// The JSON Schema of [`BuildRecord`] (published as `build.schema.json`).
pub fn json_schema() -> Vec<u8> {
    super::schema_bytes(schemars::schema_for!(BuildRecord))
}

impl BuildRecord {
    /// The id of a build whose staged outputs have these checksums: 16 hex digits of the
    /// SHA-256 over the `ohs` version (which renders the page) and `key sha256` lines in key
    /// order.
    pub fn id_of(staged: &BTreeMap<String, String>) -> String {
        let version = format!("ohs {}", env!("CARGO_PKG_VERSION"));
        let lines: Vec<String> = std::iter::once(version)
            .chain(staged.iter().map(|(k, v)| format!("{k} {v}")))
            .collect();
        super::sha256_hex(lines.join("\n").as_bytes())[..16].to_string()
    }
}

/// One org's bronze listing, as the build used it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OrgBuild {
    pub org: String,
    pub pages: u32,
    /// Distinct repositories in the listing (before non-public ones were dropped).
    pub repos: usize,
    /// Each page's ETag, in page order.
    pub etags: Vec<Option<String>>,
    /// The UTC day the forge was asked; absent for replayed recordings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_on: Option<chrono::NaiveDate>,
}

/// How the page names its build: `<meta name="ohs-build" content="BUILD_ID">`.
pub fn build_marker(build_id: &str) -> String {
    // Build ids are hex digits; anything else in a tampered record never reaches the page.
    let id: String = build_id.chars().filter(char::is_ascii_hexdigit).collect();
    format!("<meta name=\"ohs-build\" content=\"{id}\">")
}
