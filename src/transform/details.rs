//! The per-repository answers in bronze → each repository's licence (as its forge named it,
//! or identified from its licence file's text), its primary language where the listing names
//! none, and silver `repo_languages`.
//!
//! What an answer says is its forge's to read ([`crate::forge::Adapter`]); this applies it.
//! Which answers a snapshot uses is decided in [`super::input`]: where answers add detail,
//! only when every org of the forge has them. GitHub's and GitLab's ids are separate series:
//! answers only ever meet the records of their own forge.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use polars::prelude::PlHashMap;
use rayon::prelude::*;

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
#[derive(Debug)]
pub struct Details<'k> {
    /// Silver `repo_languages`: each repository's rows as its answer gave them (a snapshot
    /// of a million repositories has millions, not moved or copied again), repositories
    /// sorted by forge and repo_id, each one's rows by language.
    pub languages: Vec<Vec<RepoLanguage>>,
    /// The repositories' licence file texts, to identify once every answer is applied.
    pub licence_texts: LicenceTexts<'k>,
}

/// Applies every used answer to `repos` and returns what they add to silver; the licence
/// texts are identified apart ([`LicenceTexts::identify`]). A licence text identified before
/// (`known`, by SHA-256) is not identified again; an endpoint some org lacks is noted in
/// `skipped`. `rename` is the exact-match language map.
pub fn apply_answers<'k>(
    date: SnapshotDate,
    answers: Answers,
    repos: &mut [RepoRecord],
    known: &'k HashMap<String, Detection>,
    rename: &BTreeMap<String, String>,
    skipped: &mut BTreeMap<String, String>,
) -> Result<Details<'k>, TransformError> {
    for (&(_, endpoint), files) in &answers {
        if files.is_none() {
            left_out(date, endpoint, skipped);
        }
    }
    let has_answers =
        |files: &Option<Vec<OrgAnswers>>| files.iter().flatten().any(|f| !f.answers.is_empty());
    if !answers.values().any(has_answers) {
        // Listings only: nothing to apply, so no index of every repository to build.
        return Ok(Details {
            languages: Vec::new(),
            licence_texts: LicenceTexts::new(known),
        });
    }
    let mut texts = LicenceTexts::new(known);
    let mut strings = SharedStrings::default();
    let mut languages = Vec::new();
    // The answers come forge by forge: one forge's index at a time, the last freed first.
    let mut index: (Option<Forge>, PlHashMap<u64, usize>) = (None, PlHashMap::default());
    for ((forge, endpoint), files) in answers {
        let Some(files) = files else {
            continue;
        };
        if index.0 != Some(forge) {
            drop(std::mem::take(&mut index.1));
            index = (Some(forge), places(repos, forge));
        }
        // Each repository's first answer only (an org listed twice answers twice), and only
        // for repositories in silver.
        let mut seen = vec![false; repos.len()];
        for file in files {
            for answer in file.answers {
                let Some(&at) = index.1.get(&answer.repo_id) else {
                    continue;
                };
                if std::mem::replace(&mut seen[at], true) {
                    continue;
                }
                let said = answer
                    .said
                    .map_err(|message| corrupt(endpoint, date, &file.org, message))?;
                apply(
                    repos,
                    at,
                    said,
                    &mut texts,
                    &mut strings,
                    rename,
                    &mut languages,
                );
            }
        }
    }
    drop(index);
    // A repository's rows all have its forge and id, and it has rows from one answer only.
    languages.sort_by_key(|rows| (rows[0].forge, rows[0].repo_id));
    for rows in &mut languages {
        rows.sort_by(|a, b| a.language.cmp(&b.language));
    }
    Ok(Details {
        languages,
        licence_texts: texts,
    })
}

/// Where each of `forge`'s repositories is in `repos`, by id. Keyed by id alone, a million
/// repositories' index takes 36 MiB (by forge and id it took 52); a million answers look it
/// up, so it hashes by polars' quick hasher, not SipHash.
fn places(repos: &[RepoRecord], forge: Forge) -> PlHashMap<u64, usize> {
    (repos.iter().enumerate())
        .filter(|(_, repo)| repo.forge == forge)
        .map(|(at, repo)| (repo.repo_id.0, at))
        .collect()
}

/// Applies what the answer of the repository at `at` says to its record, its language rows
/// to `languages`, its licence text to `texts`.
fn apply(
    repos: &mut [RepoRecord],
    at: usize,
    said: Said,
    texts: &mut LicenceTexts,
    strings: &mut SharedStrings,
    rename: &BTreeMap<String, String>,
    languages: &mut Vec<Vec<RepoLanguage>>,
) {
    let repo = &mut repos[at];
    match said {
        Said::LicenceText { sha256, text } => texts.add(at, sha256, text),
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

/// The licence file texts of a snapshot's repositories. Each distinct text is identified
/// once, after every answer is applied, and only if `known` does not say what it is.
#[derive(Debug)]
pub struct LicenceTexts<'k> {
    known: &'k HashMap<String, Detection>,
    /// Each distinct text by SHA-256.
    by_text: BTreeMap<Arc<str>, TextRepos>,
}

/// One copy of a licence file text, and where its repositories are in the records.
#[derive(Debug)]
struct TextRepos {
    text: Arc<[u8]>,
    at: Vec<usize>,
}

impl<'k> LicenceTexts<'k> {
    fn new(known: &'k HashMap<String, Detection>) -> Self {
        Self {
            known,
            by_text: BTreeMap::new(),
        }
    }

    /// Notes that the repository at `at` has the licence file `text`, of SHA-256 `sha256`.
    fn add(&mut self, at: usize, sha256: Arc<str>, text: Arc<[u8]>) {
        let entry = (self.by_text.entry(sha256)).or_insert(TextRepos {
            text,
            at: Vec::new(),
        });
        entry.at.push(at);
    }

    /// Identifies the new texts, on every core, and sets what each repository's text says on
    /// `repos` (the records the answers were applied to); returns each distinct text, sorted
    /// by SHA-256.
    pub fn identify(self, date: SnapshotDate, repos: &mut [RepoRecord]) -> Vec<LicenceText> {
        let new: Vec<(&Arc<str>, &Arc<[u8]>)> = (self.by_text.iter())
            .filter(|(sha256, _)| !self.known.contains_key(&***sha256))
            .map(|(sha256, repos)| (sha256, &repos.text))
            .collect();
        let mut identified: HashMap<Arc<str>, Detection> = (new.par_iter())
            .map(|(sha256, text)| (Arc::clone(sha256), licence_text::detect(text)))
            .collect();
        tracing::debug!(
            snapshot_date = %date,
            texts = self.by_text.len(),
            identified = identified.len(),
            reused = self.by_text.len() - identified.len(),
            "licence texts: identified, or reused from silver licence_texts"
        );
        let known = self.known;
        (self.by_text.into_iter())
            .map(|(sha256, TextRepos { at, .. })| {
                let detection = (identified.remove(&sha256))
                    .or_else(|| known.get(&*sha256).cloned())
                    .expect("every text is known or identified");
                for &at in &at {
                    repos[at].license_detected_spdx_id =
                        detection.spdx_id.as_deref().map(Into::into);
                    repos[at].license_detection_confidence = detection.confidence;
                }
                LicenceText {
                    sha256: sha256.to_string(),
                    detection,
                    repositories: i64::try_from(at.len()).unwrap_or(i64::MAX),
                }
            })
            .collect()
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
