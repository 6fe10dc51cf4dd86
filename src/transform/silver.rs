//! The silver tables, typed and checked against their declared schemas:
//!
//! - `repos`: one row per public repository per snapshot, key (snapshot_date, forge,
//!   repo_id) (GitHub's and GitLab's ids are separate series), sorted by org_login then repo_id;
//! - `orgs`: one row per organisation of the snapshot, key (snapshot_date, org_login), with
//!   its forge (`github`, `gitlab`), the login as the forge spells it and the display name
//!   from the configuration;
//! - `repo_languages`: each language of each repository in `repos` whose breakdown was
//!   fetched, with its bytes (GitHub; null for GitLab, which gives percentages) and its share
//!   of the repository, key (snapshot_date, forge, repo_id, language), sorted so.
//!
//! Ids and counts are `Int64` (GitHub's never approach 2^63), which every warehouse reads.

use std::collections::HashMap;
use std::sync::Arc;

use polars::prelude::*;

use super::licence_text::{self, Detection, LicenceText};
use crate::domain::{Forge, SnapshotDate};
use crate::forge::RepoRecord;

/// One organisation of a snapshot, as silver `orgs` holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRecord {
    /// The login as configured.
    pub org_login: String,
    pub forge: Forge,
    /// The login as GitHub spells it (`NHSDigital`); a GitLab group's `<host>/<full path>`.
    pub organisation: String,
    pub display_name: String,
    /// The organisation's page on its forge.
    pub url: String,
}

/// Milliseconds since the epoch in UTC: every timestamp column.
pub fn utc() -> DataType {
    DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
}

/// A schema from (name, type) pairs, in order.
pub fn schema(fields: &[(&str, DataType)]) -> Schema {
    fields
        .iter()
        .map(|(name, dtype)| Field::new((*name).into(), dtype.clone()))
        .collect()
}

/// A repository's licence as its forge names it, with its SPDX facts: columns of silver
/// `repos` and of gold `licence_counts`.
pub fn licence_schema() -> Schema {
    use DataType::*;
    schema(&[
        ("license_key", String),
        ("license_name", String),
        ("license_spdx_id", String),
        ("license_spdx_current", String),
        ("license_family", String),
        ("license_osi_approved", Boolean),
    ])
}

/// The silver `repos` schema.
pub fn repos_schema() -> Schema {
    use DataType::*;
    let mut columns = schema(&[
        ("org_login", String),
        ("forge", String),
        ("repo_id", Int64),
        ("name", String),
        ("full_name", String),
        ("html_url", String),
        ("owner_login", String),
        ("owner_html_url", String),
        ("is_fork", Boolean),
        ("is_private", Boolean),
        ("is_archived", Boolean),
        ("visibility", String),
        ("created_at", utc()),
        ("created_after_snapshot", Boolean),
        ("pushed_at", utc()),
        ("language", String),
        ("language_normalised", String),
        ("language_type", String),
    ]);
    columns.merge(licence_schema());
    columns.merge(schema(&[
        ("license_fsf_libre", Boolean),
        ("license_detected_spdx_id", String),
        ("license_detection_confidence", Float64),
        ("stargazers_count", Int64),
        ("forks_count", Int64),
        ("open_issues_count", Int64),
        ("topics", List(Box::new(String))),
        ("snapshot_date", Date),
    ]));
    columns
}

/// One language of one repository, as silver `repo_languages` holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct RepoLanguage {
    pub forge: Forge,
    pub repo_id: i64,
    /// As the forge names it.
    pub language: Arc<str>,
    /// Through the configured exact-match map, as `repos.language_normalised`.
    pub language_normalised: Arc<str>,
    /// Bytes of it (GitHub); unknown for GitLab, which gives shares only.
    pub bytes: Option<i64>,
    /// Its fraction of the repository: GitHub's bytes over the repository's, GitLab's
    /// percentage over 100.
    pub share: Option<f64>,
}

/// The silver `repo_languages` schema.
pub fn repo_languages_schema() -> Schema {
    use DataType::*;
    schema(&[
        ("snapshot_date", Date),
        ("forge", String),
        ("repo_id", Int64),
        ("language", String),
        ("language_normalised", String),
        ("bytes", Int64),
        ("share", Float64),
    ])
}

/// The silver `licence_texts` schema: each distinct licence file text and what it was
/// identified as (its SPDX id when the best match scored at least the threshold).
pub fn licence_texts_schema() -> Schema {
    use DataType::*;
    schema(&[
        ("snapshot_date", Date),
        ("text_sha256", String),
        ("license_detected_spdx_id", String),
        ("license_detection_confidence", Float64),
        ("detector", String),
        ("repositories", Int64),
    ])
}

/// Builds silver `licence_texts`; `texts` sorted by SHA-256.
pub fn licence_texts_frame(texts: &[LicenceText], date: SnapshotDate) -> PolarsResult<DataFrame> {
    let detector = licence_text::detector_name();
    let columns = vec![
        date_column("snapshot_date", date, texts.len()),
        Column::new(
            "text_sha256".into(),
            texts.iter().map(|t| t.sha256.as_str()).collect::<Vec<_>>(),
        ),
        Column::new(
            "license_detected_spdx_id".into(),
            texts
                .iter()
                .map(|t| t.detection.spdx_id.as_deref())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "license_detection_confidence".into(),
            texts
                .iter()
                .map(|t| t.detection.confidence)
                .collect::<Vec<_>>(),
        ),
        Column::new("detector".into(), vec![detector.as_str(); texts.len()]),
        Column::new(
            "repositories".into(),
            texts.iter().map(|t| t.repositories).collect::<Vec<_>>(),
        ),
    ];
    let df = DataFrame::new(texts.len(), columns)?;
    check_schema(&df, &licence_texts_schema(), "silver licence_texts")?;
    Ok(df)
}

/// The detections a silver `licence_texts` frame holds, by text SHA-256: only those of the
/// current detector, so a newer licence list identifies every text afresh.
pub fn known_licence_texts(df: &DataFrame) -> PolarsResult<HashMap<String, Detection>> {
    check_schema(df, &licence_texts_schema(), "silver licence_texts")?;
    let detector = licence_text::detector_name();
    let sha256 = df.column("text_sha256")?.str()?;
    let spdx_id = df.column("license_detected_spdx_id")?.str()?;
    let confidence = df.column("license_detection_confidence")?.f64()?;
    let made_by = df.column("detector")?.str()?;
    let mut known = HashMap::new();
    for row in 0..df.height() {
        if made_by.get(row) != Some(detector.as_str()) {
            continue;
        }
        if let Some(sha256) = sha256.get(row) {
            let detection = Detection {
                spdx_id: spdx_id.get(row).map(str::to_string),
                confidence: confidence.get(row),
            };
            known.insert(sha256.to_string(), detection);
        }
    }
    Ok(known)
}

/// Repositories whose language rows are framed at a time: their rows are freed as soon as
/// their columns are built, so a million repositories' rows (80 bytes each, two or three a
/// repository) and the whole frame are never held together.
const LANGUAGE_PART_REPOS: usize = 65_536;

/// Builds silver `repo_languages` from each repository's rows, consuming them a part at a
/// time; `repos` must already be sorted by forge and repo_id, each one's rows by language.
pub fn repo_languages_frame(
    repos: Vec<Vec<RepoLanguage>>,
    date: SnapshotDate,
) -> PolarsResult<DataFrame> {
    let mut frame = repo_languages_part(&[], date)?;
    let mut repos = repos.into_iter();
    loop {
        let part: Vec<_> = repos.by_ref().take(LANGUAGE_PART_REPOS).collect();
        if part.is_empty() {
            return Ok(frame);
        }
        // The parts stay separate chunks: the Parquet writer cuts the same row groups.
        frame.vstack_mut_owned(repo_languages_part(&part, date)?)?;
        drop(part);
        // The columns' buffers are mapped apart from the heap the rows were freed into.
        crate::memory::release_freed();
    }
}

/// One part of silver `repo_languages`.
fn repo_languages_part(repos: &[Vec<RepoLanguage>], date: SnapshotDate) -> PolarsResult<DataFrame> {
    let rows = || repos.iter().flatten();
    let text = |name: &str, f: fn(&RepoLanguage) -> &str| -> Column {
        Column::new(name.into(), rows().map(f).collect::<Vec<_>>())
    };
    let int = |name: &str, f: fn(&RepoLanguage) -> i64| -> Column {
        Column::new(name.into(), rows().map(f).collect::<Vec<_>>())
    };
    let height = repos.iter().map(Vec::len).sum();
    // Two halves of the columns, one per core.
    let (mut columns, rest) = rayon::join(
        || {
            vec![
                date_column("snapshot_date", date, height),
                text("forge", |r| r.forge.as_str()),
                int("repo_id", |r| r.repo_id),
                text("language", |r| &r.language),
            ]
        },
        || {
            let bytes: Vec<Option<i64>> = rows().map(|r| r.bytes).collect();
            let share: Vec<Option<f64>> = rows().map(|r| r.share).collect();
            vec![
                text("language_normalised", |r| &r.language_normalised),
                Column::new("bytes".into(), bytes),
                Column::new("share".into(), share),
            ]
        },
    );
    columns.extend(rest);
    let df = DataFrame::new(height, columns)?;
    check_schema(&df, &repo_languages_schema(), "silver repo_languages")?;
    Ok(df)
}

/// The silver `orgs` schema.
pub fn orgs_schema() -> Schema {
    use DataType::*;
    schema(&[
        ("snapshot_date", Date),
        ("org_login", String),
        ("forge", String),
        ("organisation", String),
        ("display_name", String),
        ("url", String),
    ])
}

/// Builds silver `repos`; `repos` must already be sorted and de-duplicated.
pub fn repos_frame(repos: &[RepoRecord], date: SnapshotDate) -> PolarsResult<DataFrame> {
    let text = |name: &str, f: fn(&RepoRecord) -> Option<&str>| -> Column {
        Column::new(name.into(), repos.iter().map(f).collect::<Vec<_>>())
    };
    let flag = |name: &str, f: fn(&RepoRecord) -> Option<bool>| -> Column {
        Column::new(name.into(), repos.iter().map(f).collect::<Vec<_>>())
    };
    // Parsing refused ids and counts of 2^63 or more (`forge::fits_signed_column`), so the
    // casts cannot wrap.
    let int = |name: &str, f: fn(&RepoRecord) -> u64| -> Column {
        Column::new(
            name.into(),
            repos.iter().map(|r| f(r) as i64).collect::<Vec<_>>(),
        )
    };
    let timestamp = |name: &str, values: Vec<Option<i64>>| -> Column {
        Int64Chunked::new(name.into(), values)
            .into_datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
            .into_column()
    };
    let topics = || {
        let mut topics = ListStringChunkedBuilder::new("topics".into(), repos.len(), repos.len());
        for repo in repos {
            topics.append_values_iter(repo.topics.iter().map(|topic| &**topic));
        }
        topics.finish().into_column()
    };
    // Two halves of the columns, one per core.
    let (mut columns, rest) = rayon::join(
        || {
            vec![
                text("org_login", |r| Some(&r.org_login)),
                text("forge", |r| Some(r.forge.as_str())),
                int("repo_id", |r| r.repo_id.0),
                text("name", |r| Some(&r.name)),
                text("full_name", |r| Some(&r.full_name)),
                text("html_url", |r| Some(&r.html_url)),
                text("owner_login", |r| Some(&r.owner_login)),
                text("owner_html_url", |r| Some(&r.owner_html_url)),
                flag("is_fork", |r| Some(r.is_fork)),
                flag("is_private", |r| Some(r.is_private)),
                flag("is_archived", |r| Some(r.is_archived)),
                text("visibility", |r| r.visibility.as_deref()),
                timestamp(
                    "created_at",
                    repos
                        .iter()
                        .map(|r| Some(r.created_at.timestamp_millis()))
                        .collect(),
                ),
                Column::new(
                    "created_after_snapshot".into(),
                    repos
                        .iter()
                        .map(|r| r.created_after(date))
                        .collect::<Vec<_>>(),
                ),
                timestamp(
                    "pushed_at",
                    repos
                        .iter()
                        .map(|r| r.pushed_at.map(|t| t.timestamp_millis()))
                        .collect(),
                ),
            ]
        },
        || {
            vec![
                text("language", |r| r.language.as_deref()),
                text("language_normalised", |r| r.language_normalised.as_deref()),
                text("language_type", |r| r.language_type),
                text("license_key", |r| r.license_key.as_deref()),
                text("license_name", |r| r.license_name.as_deref()),
                text("license_spdx_id", |r| r.license_spdx_id.as_deref()),
                text("license_spdx_current", |r| {
                    r.licence.spdx_current.as_deref()
                }),
                text("license_family", |r| Some(r.licence.family.as_str())),
                flag("license_osi_approved", |r| r.licence.osi_approved),
                flag("license_fsf_libre", |r| r.licence.fsf_libre),
                text("license_detected_spdx_id", |r| {
                    r.license_detected_spdx_id.as_deref()
                }),
                Column::new(
                    "license_detection_confidence".into(),
                    repos
                        .iter()
                        .map(|r| r.license_detection_confidence)
                        .collect::<Vec<_>>(),
                ),
                int("stargazers_count", |r| r.stargazers_count),
                int("forks_count", |r| r.forks_count),
                int("open_issues_count", |r| r.open_issues_count),
                topics(),
                date_column("snapshot_date", date, repos.len()),
            ]
        },
    );
    columns.extend(rest);
    let df = DataFrame::new(repos.len(), columns)?;
    check_schema(&df, &repos_schema(), "silver repos")?;
    Ok(df)
}

/// Builds silver `orgs`; `orgs` must already be sorted by org_login.
pub fn orgs_frame(orgs: &[OrgRecord], date: SnapshotDate) -> PolarsResult<DataFrame> {
    let text = |name: &str, f: fn(&OrgRecord) -> &str| -> Column {
        Column::new(name.into(), orgs.iter().map(f).collect::<Vec<_>>())
    };
    let columns = vec![
        date_column("snapshot_date", date, orgs.len()),
        text("org_login", |o| &o.org_login),
        text("forge", |o| o.forge.as_str()),
        text("organisation", |o| &o.organisation),
        text("display_name", |o| &o.display_name),
        text("url", |o| &o.url),
    ];
    let df = DataFrame::new(orgs.len(), columns)?;
    check_schema(&df, &orgs_schema(), "silver orgs")?;
    Ok(df)
}

fn date_column(name: &str, date: SnapshotDate, rows: usize) -> Column {
    Int32Chunked::new(name.into(), vec![days_since_epoch(date.date()); rows])
        .into_date()
        .into_column()
}

/// Days since 1970-01-01 (`NaiveDate`'s default), Arrow's `Date` representation.
pub fn days_since_epoch(date: chrono::NaiveDate) -> i32 {
    (date - chrono::NaiveDate::default()).num_days() as i32
}

/// Fails unless `df` has exactly `expected`'s columns, in order, with its types.
pub fn check_schema(df: &DataFrame, expected: &Schema, table: &str) -> PolarsResult<()> {
    let actual = df.schema();
    if actual.as_ref() != expected {
        polars_bail!(SchemaMismatch: "{table}: schema {:?} differs from the declared {:?}", actual, expected);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn licence_texts_are_read_back_only_from_the_same_detector() {
        let text = |sha256: &str, spdx_id: Option<&str>| LicenceText {
            sha256: sha256.into(),
            detection: Detection {
                spdx_id: spdx_id.map(str::to_string),
                confidence: Some(0.5),
            },
            repositories: 1,
        };
        let date = "2021-03-04".parse().unwrap();
        let texts = [text("aa", Some("MIT")), text("bb", None)];
        let mut df = licence_texts_frame(&texts, date).unwrap();
        let known = known_licence_texts(&df).unwrap();
        assert_eq!(known.len(), 2);
        assert_eq!(known["aa"], texts[0].detection);
        assert_eq!(known["bb"], texts[1].detection);
        let older = vec!["SPDX License List 0.1, score >= 0.9"; 2];
        df.replace("detector", Column::new("detector".into(), older))
            .unwrap();
        assert!(known_licence_texts(&df).unwrap().is_empty());
    }

    #[test]
    fn languages_framed_in_parts_are_the_rows_framed_at_once() {
        let date = "2021-03-04".parse().unwrap();
        let (python, c): (Arc<str>, Arc<str>) = ("Python".into(), "C".into());
        let repos: Vec<Vec<RepoLanguage>> = (0..LANGUAGE_PART_REPOS as i64 * 2 + 5)
            .map(|repo_id| {
                let row = |language: &Arc<str>, bytes| RepoLanguage {
                    forge: Forge::Github,
                    repo_id,
                    language: Arc::clone(language),
                    language_normalised: Arc::clone(language),
                    bytes: Some(bytes),
                    share: Some(0.5),
                };
                vec![row(&c, repo_id), row(&python, 7)]
            })
            .collect();
        let at_once = repo_languages_part(&repos, date).unwrap();
        let in_parts = repo_languages_frame(repos, date).unwrap();
        assert_eq!(in_parts.first_col_n_chunks(), 3, "three parts");
        assert!(in_parts.equals_missing(&at_once));
        let parquet = crate::formats::parquet::to_parquet_bytes;
        assert_eq!(parquet(&in_parts).unwrap(), parquet(&at_once).unwrap());
    }
}
