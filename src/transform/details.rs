//! The per-repository answers in bronze → licence detections and silver `repo_languages`.
//!
//! A snapshot uses an endpoint's answers only when every org of it has them: statistics over
//! some orgs but not others would mislead, so a partial endpoint is left out whole, loudly.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::licence_text::{self, Detection};
use super::repos::RepoRecord;
use super::silver::RepoLanguage;
use super::TransformError;
use crate::bronze::{RepoEndpoint, RepoResponses};
use crate::domain::SnapshotDate;
use crate::lake::{self, LakeKey};

/// Identifies the licence text of every answered repository. Identical texts (a template
/// used across an org) are identified once.
pub fn detect_licences(
    date: SnapshotDate,
    files: &[RepoResponses],
) -> Result<HashMap<u64, Detection>, TransformError> {
    let mut by_text: HashMap<Vec<u8>, Detection> = HashMap::new();
    let mut detections = HashMap::new();
    for file in files {
        for response in &file.responses {
            let Some(body) = &response.body else {
                continue;
            };
            let text = licence_text::licence_file_bytes(body.get()).map_err(|message| {
                corrupt(
                    RepoEndpoint::License,
                    date,
                    file,
                    &response.full_name,
                    message,
                )
            })?;
            let detection = by_text
                .entry(text)
                .or_insert_with_key(|text| licence_text::detect_text(text))
                .clone();
            detections.insert(response.repo_id, detection);
        }
    }
    Ok(detections)
}

/// Silver `repo_languages` for the repositories in silver, sorted by repo_id then language.
pub fn repo_languages(
    date: SnapshotDate,
    files: &[RepoResponses],
    repos: &[RepoRecord],
    rename: &BTreeMap<String, String>,
) -> Result<Vec<RepoLanguage>, TransformError> {
    let in_silver: HashSet<u64> = repos.iter().map(|r| r.repo_id.0).collect();
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    for file in files {
        for response in &file.responses {
            let Some(body) = &response.body else {
                continue;
            };
            if !in_silver.contains(&response.repo_id) || !seen.insert(response.repo_id) {
                continue;
            }
            let invalid = |message| {
                corrupt(
                    RepoEndpoint::Languages,
                    date,
                    file,
                    &response.full_name,
                    message,
                )
            };
            let bytes: BTreeMap<String, u64> = serde_json::from_str(body.get())
                .map_err(|e| invalid(format!("not an object of language byte counts: {e}")))?;
            for (language, count) in bytes {
                let fits =
                    |field, value| super::repos::fits_signed_column(field, value).map_err(invalid);
                rows.push(RepoLanguage {
                    repo_id: fits("repo_id", response.repo_id)?,
                    bytes: fits("bytes", count)?,
                    language_normalised: rename.get(&language).unwrap_or(&language).clone(),
                    language,
                });
            }
        }
    }
    rows.sort_by(|a, b| (a.repo_id, &a.language).cmp(&(b.repo_id, &b.language)));
    Ok(rows)
}

/// Sets each repository's detected licence from `detections`.
pub fn apply_licences(repos: &mut [RepoRecord], detections: &HashMap<u64, Detection>) {
    for repo in repos {
        if let Some(found) = detections.get(&repo.repo_id.0) {
            repo.license_detected_spdx_id = found.spdx_id.clone();
            repo.license_detection_confidence = found.confidence;
        }
    }
}

fn corrupt(
    endpoint: RepoEndpoint,
    date: SnapshotDate,
    file: &RepoResponses,
    repo: &str,
    message: String,
) -> TransformError {
    let key: LakeKey = match file.org.parse() {
        Ok(org) => lake::bronze::repo_responses(endpoint, date, &org),
        Err(_) => lake::bronze::snapshot(date),
    };
    TransformError::Corrupt {
        key,
        message: format!("repository {repo}: {message}"),
    }
}
