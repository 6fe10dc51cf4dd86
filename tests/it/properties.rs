//! Property test: for random organisations and repositories (ties, nulls, forks, private
//! ones, several created the same day), the site CSV equals a small, obviously-correct
//! reference written here from the rules, independently of `src/transform/site.rs`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, TimeZone, Utc};
use open_health_stats::domain::{Forge, RepoId, SnapshotDate};
use open_health_stats::forge::RepoRecord;
use open_health_stats::normalise::licence_facts;
use open_health_stats::transform::silver::OrgRecord;
use open_health_stats::transform::site;
use proptest::prelude::*;

const LOGINS: [&str; 3] = ["Alpha", "beta", "gamma"];
const LANGUAGES: [Option<&str>; 4] = [None, Some("HTML"), Some("JavaScript"), Some("Python")];
const LICENCES: [Option<&str>; 4] = [
    None,
    Some("Other"),
    Some("MIT License"),
    Some("Apache License 2.0"),
];

#[derive(Debug, Clone)]
struct Repo {
    org: usize,
    day: u32,
    second: u32,
    language: usize,
    licence: usize,
    fork: bool,
    private: bool,
}

fn repo() -> impl Strategy<Value = Repo> {
    (
        0..3usize,
        0..6u32,
        0..86_400u32,
        0..4usize,
        0..4usize,
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.1),
    )
        .prop_map(
            |(org, day, second, language, licence, fork, private)| Repo {
                org,
                day,
                second,
                language,
                licence,
                fork,
                private,
            },
        )
}

fn record(i: usize, r: &Repo) -> RepoRecord {
    let login = LOGINS[r.org];
    let created = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap()
        + chrono::Duration::days(i64::from(r.day))
        + chrono::Duration::seconds(i64::from(r.second));
    let licence = LICENCES[r.licence];
    RepoRecord {
        org_login: login.to_lowercase().into(),
        forge: Forge::Github,
        repo_id: RepoId(i as u64 + 1),
        name: format!("r{i}").into(),
        full_name: format!("{login}/r{i}").into(),
        html_url: "".into(),
        owner_login: login.into(),
        owner_html_url: format!("https://github.com/{login}").into(),
        is_fork: r.fork,
        is_private: r.private,
        is_archived: false,
        visibility: None,
        created_at: created,
        pushed_at: None,
        language: LANGUAGES[r.language].map(Into::into),
        language_normalised: LANGUAGES[r.language].map(Into::into),
        language_type: None,
        license_key: licence.map(|_| "key".into()),
        license_name: licence.map(Into::into),
        license_spdx_id: None,
        licence: licence_facts(licence.is_some(), None),
        license_detected_spdx_id: None,
        license_detection_confidence: None,
        stargazers_count: 0,
        forks_count: 0,
        open_issues_count: 0,
        topics: Box::new([]),
    }
}

/// The most frequent non-null value; ties to the greatest name.
fn mode(values: &[Option<String>]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for v in values.iter().flatten() {
        *counts.entry(v).or_default() += 1;
    }
    let best = counts.values().max().copied();
    counts
        .iter()
        .filter(|(_, n)| Some(**n) == best)
        .map(|(v, _)| v.to_string())
        .max()
        .unwrap_or_default()
}

/// The rules, written out plainly: per org, every creation day of a kept repository up to
/// the snapshot date, and the snapshot date; counts and modes over the kept repositories
/// created by then. Nothing after the snapshot date.
fn reference(repos: &[RepoRecord], snapshot: NaiveDate) -> String {
    let mut rows = Vec::new();
    for login in LOGINS {
        let kept: Vec<&RepoRecord> = repos
            .iter()
            .filter(|r| &*r.owner_login == login && !r.is_fork && !r.is_private)
            .collect();
        let mut days: BTreeSet<NaiveDate> = kept
            .iter()
            .map(|r| r.created_at.date_naive())
            .filter(|day| *day <= snapshot)
            .collect();
        days.insert(snapshot);
        for day in days {
            let upto: Vec<&&RepoRecord> = kept
                .iter()
                .filter(|r| r.created_at.date_naive() <= day)
                .collect();
            let languages: Vec<Option<String>> = upto
                .iter()
                .map(|r| r.language_normalised.as_deref().map(String::from))
                .collect();
            let licences: Vec<Option<String>> = upto
                .iter()
                .map(|r| r.license_name.as_deref().map(String::from))
                .collect();
            rows.push(format!(
                "{login},{day},{},{},{},https://github.com/{login}",
                upto.len(),
                mode(&languages),
                mode(&licences)
            ));
        }
    }
    rows.sort();
    format!(
        "Organisation,Date,Open Repositories,Top Language,Top License,URL\n{}\n",
        rows.join("\n")
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn the_site_csv_matches_the_reference(repos in prop::collection::vec(repo(), 0..40), late in 0..3u32) {
        let records: Vec<RepoRecord> = repos.iter().enumerate().map(|(i, r)| record(i, r)).collect();
        let snapshot = NaiveDate::from_ymd_opt(2020, 1, 4 + late).unwrap();
        let orgs: Vec<OrgRecord> = LOGINS
            .iter()
            .map(|login| OrgRecord {
                org_login: login.to_lowercase(),
                forge: Forge::Github,
                organisation: login.to_string(),
                display_name: login.to_string(),
                url: format!("https://github.com/{login}"),
            })
            .collect();
        let rows = site::org_repos_daily(&orgs, &records, SnapshotDate::new(snapshot));
        let csv = String::from_utf8(site::to_csv(&rows)).unwrap();
        prop_assert_eq!(csv, reference(&records, snapshot));
    }
}
