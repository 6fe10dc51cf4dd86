//! The per-repository answers in bronze → each repository's licence (as its forge named it,
//! or identified from its licence file's text), its primary language where the listing names
//! none, and silver `repo_languages`.
//!
//! What an answer says is its forge's to read ([`crate::forge::Adapter`]); this applies it.
//! Which answers a snapshot uses is decided in [`super::input`]: where answers add detail,
//! only when every org of the forge has them. GitHub's and GitLab's ids are separate series:
//! answers only ever meet the records of their own forge.

use std::collections::{BTreeMap, HashMap, HashSet};

use tracing::warn;

use super::answers::{OrgAnswers, Said};
use super::input::Answers;
use super::licence_text::{self, Detection, LicenceText};
use super::silver::{self, RepoLanguage};
use super::TransformError;
use crate::domain::{Forge, RepoEndpoint, SnapshotDate};
use crate::forge::{NamedLicence, RepoRecord, SharedStrings};
use crate::formats::parquet;
use crate::lake::{self, Lake, LakeKey};
use crate::normalise::{language_type, licence_facts};

/// What the answers add to silver.
#[derive(Debug, Default)]
pub struct Details {
    /// Silver `repo_languages`: each repository's rows as its answer gave them (a snapshot
    /// of a million repositories has millions, not moved or copied again), repositories
    /// sorted by forge and repo_id, each one's rows by language.
    pub languages: Vec<Vec<RepoLanguage>>,
    /// Each distinct licence file text, sorted by SHA-256.
    pub licence_texts: Vec<LicenceText>,
}

/// Applies every used answer to `repos` and returns what they add to silver. A licence text
/// identified before (`known`, by SHA-256) is not identified again; an endpoint some org
/// lacks is noted in `skipped`. `rename` is the exact-match language map.
pub fn apply_answers(
    date: SnapshotDate,
    answers: Answers,
    repos: &mut [RepoRecord],
    known: &HashMap<String, Detection>,
    rename: &BTreeMap<String, String>,
    skipped: &mut BTreeMap<String, String>,
) -> Result<Details, TransformError> {
    for (&(_, endpoint), files) in &answers {
        if files.is_none() {
            left_out(date, endpoint, skipped);
        }
    }
    let has_answers =
        |files: &Option<Vec<OrgAnswers>>| files.iter().flatten().any(|f| !f.answers.is_empty());
    if !answers.values().any(has_answers) {
        // Listings only: nothing to apply, so no index of every repository to build.
        return Ok(Details::default());
    }
    let index: HashMap<(Forge, u64), usize> = (0..repos.len())
        .map(|at| ((repos[at].forge, repos[at].repo_id.0), at))
        .collect();
    let mut texts = LicenceTexts::new(known);
    let mut strings = SharedStrings::default();
    let mut languages = Vec::new();
    for ((forge, endpoint), files) in answers {
        let Some(files) = files else {
            continue;
        };
        // Each repository's first answer only (an org listed twice answers twice), and only
        // for repositories in silver.
        let mut seen = HashSet::new();
        for file in files {
            for answer in file.answers {
                let repo_id = answer.repo_id;
                if !index.contains_key(&(forge, repo_id)) || !seen.insert(repo_id) {
                    continue;
                }
                let said = answer
                    .said
                    .map_err(|message| corrupt(endpoint, date, &file.org, message))?;
                let repo = &mut repos[index[&(forge, repo_id)]];
                apply(repo, said, &mut texts, &mut strings, rename, &mut languages);
            }
        }
    }
    // A repository's rows all have its forge and id, and it has rows from one answer only.
    languages.sort_by_key(|rows| (rows[0].forge, rows[0].repo_id));
    for rows in &mut languages {
        rows.sort_by(|a, b| a.language.cmp(&b.language));
    }
    Ok(Details {
        languages,
        licence_texts: texts.finish(date),
    })
}

/// Applies what one repository's answer says to its record, its language rows to `languages`.
fn apply(
    repo: &mut RepoRecord,
    said: Said,
    texts: &mut LicenceTexts,
    strings: &mut SharedStrings,
    rename: &BTreeMap<String, String>,
    languages: &mut Vec<Vec<RepoLanguage>>,
) {
    match said {
        Said::LicenceText { sha256, text } => {
            let found = texts.identify(&sha256, &text);
            repo.license_detected_spdx_id = found.spdx_id.as_deref().map(Into::into);
            repo.license_detection_confidence = found.confidence;
        }
        Said::NamedLicence(Some(licence)) => set_licence(repo, &licence, strings),
        Said::NamedLicence(None) => {}
        Said::Languages { primary, rows } => {
            if let Some(primary) = &primary {
                set_language(repo, primary, rename, strings);
            }
            if !rows.is_empty() {
                languages.push(rows);
            }
        }
    }
}

/// Notes in `skipped` that the snapshot leaves `endpoint` out, unless extract said why.
fn left_out(date: SnapshotDate, endpoint: RepoEndpoint, skipped: &mut BTreeMap<String, String>) {
    if !skipped.contains_key(endpoint.name()) {
        let why = "not collected for every org of the snapshot".to_string();
        warn!(snapshot_date = %date, endpoint = endpoint.name(), "{why}: left out");
        skipped.insert(endpoint.name().to_string(), why);
    }
}

/// The licence the forge named, with its SPDX facts.
fn set_licence(repo: &mut RepoRecord, licence: &NamedLicence, strings: &mut SharedStrings) {
    repo.license_key = Some(strings.get(&licence.key));
    repo.license_name = Some(strings.get(&licence.name));
    repo.license_spdx_id = Some(strings.get(&licence.spdx_id));
    repo.licence = licence_facts(true, Some(&licence.spdx_id));
}

/// The primary language from the answer, where the listing names none.
fn set_language(
    repo: &mut RepoRecord,
    language: &str,
    rename: &BTreeMap<String, String>,
    strings: &mut SharedStrings,
) {
    let normalised = rename.get(language).map_or(language, String::as_str);
    repo.language_type = language_type(language);
    repo.language = Some(strings.get(language));
    repo.language_normalised = Some(strings.get(normalised));
}

/// The distinct licence file texts of a snapshot, each identified once.
struct LicenceTexts<'k> {
    known: &'k HashMap<String, Detection>,
    by_text: BTreeMap<String, LicenceText>,
    identified: usize,
}

impl<'k> LicenceTexts<'k> {
    fn new(known: &'k HashMap<String, Detection>) -> Self {
        Self {
            known,
            by_text: BTreeMap::new(),
            identified: 0,
        }
    }

    /// What `text` (of SHA-256 `sha256`) says: from `known`, from a repository with the same
    /// text, or identified.
    fn identify(&mut self, sha256: &str, text: &[u8]) -> Detection {
        let entry = self
            .by_text
            .entry(sha256.to_string())
            .or_insert_with_key(|sha256| {
                let detection = self.known.get(sha256).cloned().unwrap_or_else(|| {
                    self.identified += 1;
                    licence_text::detect_text(text)
                });
                LicenceText {
                    detection,
                    sha256: sha256.clone(),
                    repositories: 0,
                }
            });
        entry.repositories += 1;
        entry.detection.clone()
    }

    fn finish(self, date: SnapshotDate) -> Vec<LicenceText> {
        let texts = self.by_text.len();
        tracing::debug!(
            snapshot_date = %date,
            texts,
            identified = self.identified,
            reused = texts - self.identified,
            "licence texts: identified, or reused from silver licence_texts"
        );
        self.by_text.into_values().collect()
    }
}

/// An answer that could not be read, named by the org's answers file.
fn corrupt(
    endpoint: RepoEndpoint,
    date: SnapshotDate,
    org: &str,
    message: String,
) -> TransformError {
    let key: LakeKey = match org.parse() {
        Ok(org) => lake::bronze::repo_responses(endpoint, date, &org),
        Err(_) => lake::bronze::listings_root(Forge::Github),
    };
    TransformError::Corrupt { key, message }
}

/// What the newest silver `licence_texts` on or before `date` identified, so that texts seen
/// before are not identified again. Unreadable, it only costs the time to identify them.
pub async fn known_licence_texts(lake: &Lake, date: SnapshotDate) -> HashMap<String, Detection> {
    let root = lake::silver::licence_texts_root();
    let newest = match lake.partitions(&root, "snapshot_date").await {
        Ok(dates) => dates
            .iter()
            .filter_map(|d| d.parse::<SnapshotDate>().ok())
            .filter(|d| *d <= date)
            .max(),
        Err(e) => {
            warn!("{e}: identifying every licence text afresh");
            None
        }
    };
    let Some(newest) = newest else {
        return HashMap::new();
    };
    let key = lake::silver::licence_texts(newest);
    let read = match lake.get(&key).await {
        Ok(Some(bytes)) => parquet::from_parquet_bytes(&bytes)
            .and_then(|df| silver::known_licence_texts(&df))
            .map_err(|e| e.to_string()),
        Ok(None) => Ok(HashMap::new()),
        Err(e) => Err(e.to_string()),
    };
    read.unwrap_or_else(|message| {
        warn!(key = %key, "{message}: identifying every licence text afresh");
        HashMap::new()
    })
}

#[cfg(test)]
mod tests;
