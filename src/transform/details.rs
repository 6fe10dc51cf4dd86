//! The per-repository answers in bronze → licence detections, GitLab's licences and primary
//! languages, and silver `repo_languages`.
//!
//! A snapshot uses a GitHub endpoint's answers only when every GitHub org of it has them:
//! statistics over some orgs but not others would mislead, so a partial endpoint is left out
//! whole, loudly. A GitLab group's answers are its listing's licences and languages, so each
//! group's are used whenever it has them. GitHub's and GitLab's ids are separate series:
//! answers only ever meet the records of their own forge.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::gitlab;
use super::licence_text::{self, Detection, LicenceText};
use super::repos::RepoRecord;
use super::silver::RepoLanguage;
use super::TransformError;
use crate::bronze::{RepoEndpoint, RepoResponse, RepoResponses};
use crate::domain::{Forge, OrgLogin, SnapshotDate};
use crate::lake::{self, LakeKey};

/// Identifies the licence in the stored `/license` answer of each repository in silver, by
/// repository id; each distinct text once, and not at all when `known` (an earlier silver
/// `licence_texts`) already names it. Also returns every distinct text, for this snapshot's
/// `licence_texts`.
pub fn detect_licences(
    date: SnapshotDate,
    files: &[RepoResponses],
    repos: &[RepoRecord],
    known: &HashMap<String, Detection>,
) -> Result<(HashMap<u64, Detection>, Vec<LicenceText>), TransformError> {
    let mut by_text: BTreeMap<String, LicenceText> = BTreeMap::new();
    let mut detections = HashMap::new();
    let mut identified = 0;
    for (file, response, body) in answers_in_silver(files, repos, Forge::Github) {
        let text = licence_text::licence_file_bytes(body).map_err(|message| {
            corrupt(
                RepoEndpoint::License,
                date,
                file,
                &response.full_name,
                message,
            )
        })?;
        let sha256 = crate::formats::sha256_hex(&text);
        let entry = by_text
            .entry(sha256)
            .or_insert_with_key(|sha256| LicenceText {
                detection: known.get(sha256).cloned().unwrap_or_else(|| {
                    identified += 1;
                    licence_text::detect_text(&text)
                }),
                sha256: sha256.clone(),
                repositories: 0,
            });
        entry.repositories += 1;
        detections.insert(response.repo_id, entry.detection.clone());
    }
    tracing::debug!(
        snapshot_date = %date,
        texts = by_text.len(),
        identified,
        reused = by_text.len() - identified,
        "licence texts: identified, or reused from silver licence_texts"
    );
    Ok((detections, by_text.into_values().collect()))
}

/// Silver `repo_languages` for the repositories in silver, sorted by forge, repo_id, language.
pub fn repo_languages(
    date: SnapshotDate,
    files: &[RepoResponses],
    repos: &[RepoRecord],
    rename: &BTreeMap<String, String>,
) -> Result<Vec<RepoLanguage>, TransformError> {
    let mut rows = Vec::new();
    for (file, response, body) in answers_in_silver(files, repos, Forge::Gitlab) {
        let invalid = |message| {
            let repo = &response.full_name;
            corrupt(RepoEndpoint::Languages, date, file, repo, message)
        };
        let shares = gitlab::language_shares(body).map_err(invalid)?;
        let repo_id =
            super::repos::fits_signed_column("repo_id", response.repo_id).map_err(invalid)?;
        rows.extend(gitlab::language_rows(repo_id, shares, rename));
    }
    for (file, response, body) in answers_in_silver(files, repos, Forge::Github) {
        let invalid = |message| {
            corrupt(
                RepoEndpoint::Languages,
                date,
                file,
                &response.full_name,
                message,
            )
        };
        let bytes: BTreeMap<String, u64> = serde_json::from_str(body)
            .map_err(|e| invalid(format!("not an object of language byte counts: {e}")))?;
        let total: u64 = bytes.values().fold(0, |sum, b| sum.saturating_add(*b));
        for (language, count) in bytes {
            let fits =
                |field, value| super::repos::fits_signed_column(field, value).map_err(invalid);
            rows.push(RepoLanguage {
                forge: Forge::Github,
                repo_id: fits("repo_id", response.repo_id)?,
                bytes: Some(fits("bytes", count)?),
                share: (total > 0).then(|| count as f64 / total as f64),
                language_normalised: rename.get(&language).unwrap_or(&language).clone(),
                language,
            });
        }
    }
    rows.sort_by(|a, b| (a.forge, a.repo_id, &a.language).cmp(&(b.forge, b.repo_id, &b.language)));
    Ok(rows)
}

/// Sets each GitLab project's licence and primary language from its group's answers.
pub fn apply_gitlab_answers(
    date: SnapshotDate,
    (licences, languages): (&[RepoResponses], &[RepoResponses]),
    repos: &mut [RepoRecord],
    rename: &BTreeMap<String, String>,
) -> Result<(), TransformError> {
    let mut answers: HashMap<u64, gitlab::ProjectAnswers> = HashMap::new();
    let mut files_by_id: HashMap<u64, (&RepoResponses, &str)> = HashMap::new();
    for (file, response, body) in answers_in_silver(licences, repos, Forge::Gitlab) {
        answers.entry(response.repo_id).or_default().licence = Some(body);
        files_by_id.insert(response.repo_id, (file, &response.full_name));
    }
    for (file, response, body) in answers_in_silver(languages, repos, Forge::Gitlab) {
        answers.entry(response.repo_id).or_default().languages = Some(body);
        files_by_id
            .entry(response.repo_id)
            .or_insert((file, &response.full_name));
    }
    gitlab::apply_answers(repos, &answers, rename).map_err(|(id, message)| {
        match files_by_id.get(&id) {
            Some((file, repo)) => corrupt(file.endpoint, date, file, repo, message),
            None => TransformError::Corrupt {
                key: lake::bronze::listings_root(Forge::Gitlab),
                message: format!("project {id}: {message}"),
            },
        }
    })
}

/// The answers with a body of `forge`'s repositories in silver, each repository's first
/// only (an org listed twice answers twice), with the file that holds each.
fn answers_in_silver<'a>(
    files: &'a [RepoResponses],
    repos: &[RepoRecord],
    forge: Forge,
) -> impl Iterator<Item = (&'a RepoResponses, &'a RepoResponse, &'a str)> {
    let in_silver: HashSet<u64> = repos
        .iter()
        .filter(|r| r.forge == forge)
        .map(|r| r.repo_id.0)
        .collect();
    let mut seen = HashSet::new();
    let of_forge = move |file: &&RepoResponses| forge_of(file) == forge;
    let answers = files.iter().filter(of_forge).flat_map(|file| {
        let with_body = |response: &'a RepoResponse| Some((response, response.body.as_ref()?));
        file.responses
            .iter()
            .filter_map(with_body)
            .map(move |(response, body)| (file, response, body.get()))
    });
    answers.filter(move |(_, response, _)| {
        in_silver.contains(&response.repo_id) && seen.insert(response.repo_id)
    })
}

/// The forge of the org whose answers `file` holds.
fn forge_of(file: &RepoResponses) -> Forge {
    file.org
        .parse::<OrgLogin>()
        .map_or(Forge::Github, |org| org.forge())
}

/// Sets each GitHub repository's detected licence from `detections`.
pub fn apply_licences(repos: &mut [RepoRecord], detections: &HashMap<u64, Detection>) {
    for repo in repos.iter_mut().filter(|r| r.forge == Forge::Github) {
        if let Some(found) = detections.get(&repo.repo_id.0) {
            repo.license_detected_spdx_id = found.spdx_id.as_deref().map(Into::into);
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
        Err(_) => lake::bronze::listings_root(crate::domain::Forge::Github),
    };
    TransformError::Corrupt {
        key,
        message: format!("repository {repo}: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(texts: &[(u64, &str)]) -> RepoResponses {
        use base64::Engine;
        let responses = texts
            .iter()
            .map(|(id, text)| {
                let content = base64::engine::general_purpose::STANDARD.encode(text);
                let body = serde_json::json!({"content": content, "encoding": "base64"});
                RepoResponse {
                    repo_id: *id,
                    full_name: format!("nhsx/r{id}"),
                    url: format!("https://api.github.com/repos/nhsx/r{id}/license"),
                    status: 200,
                    etag: None,
                    not_modified_from: None,
                    replayed_from: None,
                    attempts: 1,
                    body: Some(serde_json::value::to_raw_value(&body).unwrap()),
                }
            })
            .collect();
        RepoResponses {
            org: "nhsx".into(),
            snapshot_date: "2021-03-04".parse().unwrap(),
            endpoint: RepoEndpoint::License,
            api_version: "2022-11-28".into(),
            responses,
        }
    }

    fn repo(id: u64) -> RepoRecord {
        let org = super::super::repos::ListingOrg {
            login: "nhsx".parse().unwrap(),
            canonical_login: None,
            web_url: None,
        };
        let page = format!(
            r#"[{{"id": {id}, "name": "r{id}", "full_name": "nhsx/r{id}",
                "html_url": "https://github.com/nhsx/r{id}",
                "owner": {{"login": "nhsx", "html_url": "https://github.com/nhsx"}},
                "fork": false, "private": false, "created_at": "2020-01-02T03:04:05Z",
                "stargazers_count": 0, "forks_count": 0, "open_issues_count": 0}}]"#
        );
        let rename = BTreeMap::new();
        super::super::repos::parse_page(&org, page.as_bytes(), &rename)
            .unwrap()
            .remove(0)
    }

    #[test]
    fn each_text_is_identified_once_and_known_texts_not_at_all() {
        let mit = include_str!("../../tests/fixtures/licences/MIT.txt");
        let prose = "Slides and notes of our quarterly review; ask before reusing them.";
        // Repository 4 is not in silver (not public, say): its answer counts for nothing.
        let files = [answers(&[(1, mit), (2, prose), (3, mit), (4, mit)])];
        // A stored answer for the prose, unlike what identifying it would give: it is used.
        let stored = Detection {
            spdx_id: Some("Stored-1.0".into()),
            confidence: Some(0.95),
        };
        let known = HashMap::from([(crate::formats::sha256_hex(prose.as_bytes()), stored.clone())]);
        let date = "2021-03-04".parse().unwrap();
        let repos: Vec<RepoRecord> = [1, 2, 3].map(repo).into();
        let (detections, texts) = detect_licences(date, &files, &repos, &known).unwrap();
        assert_eq!(detections[&2], stored);
        assert_eq!(detections[&1].spdx_id.as_deref(), Some("MIT"));
        assert_eq!(detections[&1], detections[&3]);
        assert!(!detections.contains_key(&4));
        let counts: Vec<(&str, i64)> = texts
            .iter()
            .map(|t| (t.detection.spdx_id.as_deref().unwrap_or(""), t.repositories))
            .collect();
        let mut expected = vec![("MIT", 2), ("Stored-1.0", 1)];
        expected.sort_by_key(|(id, _)| {
            let text = if *id == "MIT" { mit } else { prose };
            crate::formats::sha256_hex(text.as_bytes())
        });
        assert_eq!(counts, expected, "one row per text, sorted by SHA-256");
    }
}
