//! Transform's gold tables: hand-checked numbers on the bundled sample, top-N ties and
//! nulls, true history over three snapshots, byte-identical rebuilds, and DuckDB (an
//! independent reader) finding the same schema and numbers, and rebuilding the same rows
//! from the same SQL model files.

use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde_json::Value;

use crate::common::{assert_success, duckdb_report, run_sample, RepoJson as R, Workdir};

fn gold(lake: &Path, table: &str, date: &str) -> DataFrame {
    let path = crate::common::partition_file(lake, &format!("gold/{table}"), date);
    crate::common::read_parquet(&path)
}

/// The row of `df` whose `column` equals `value`, as (column name → value text).
fn row(df: &DataFrame, column: &str, value: &str) -> Vec<(String, String)> {
    let index = df
        .column(column)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .position(|v| v == Some(value))
        .unwrap_or_else(|| panic!("no {column} = {value}"));
    df.columns()
        .iter()
        .map(|c| {
            let v = c.get(index).unwrap();
            let text = match v {
                AnyValue::String(s) => s.to_string(),
                AnyValue::StringOwned(s) => s.to_string(),
                AnyValue::Float64(f) => format!("{f:?}"),
                AnyValue::Null => "null".to_string(),
                other => other.to_string(),
            };
            (c.name().to_string(), text)
        })
        .collect()
}

fn field<'a>(row: &'a [(String, String)], name: &str) -> &'a str {
    &row.iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .1
}

#[test]
fn sample_gold_tables_hold_hand_checked_numbers() {
    let work = Workdir::new();
    run_sample(&work);
    let lake = work.lake();
    let latest = gold(&lake, "org_latest", "2021-03-04");
    assert_eq!(latest.height(), 7);
    // Counted by hand from data/sample/nhsx/page-1.json: 42 repositories, 4 forks.
    let nhsx = row(&latest, "org_login", "nhsx");
    let expected = [
        ("organisation", "nhsx"),
        ("display_name", "NHSX"),
        ("url", "https://github.com/nhsx"),
        ("open_repositories", "38"),
        ("archived_repositories", "6"),
        ("forks_excluded", "4"),
        ("top_language", "Python"),
        ("top_license", "MIT License"),
        ("stars", "2374"),
        ("forks", "528"),
        ("open_issues", "82"),
    ];
    for (name, value) in expected {
        assert_eq!(field(&nhsx, name), value, "nhsx {name}");
    }
    assert!((field(&nhsx, "pct_licensed").parse::<f64>().unwrap() - 3600.0 / 38.0).abs() < 1e-9);
    // And from data/sample/nhsengland/page-1.json: 23 repositories, 3 forks, 10 licensed.
    let england = row(&latest, "org_login", "nhsengland");
    for (name, value) in [
        ("open_repositories", "20"),
        ("archived_repositories", "1"),
        ("forks_excluded", "3"),
        ("top_language", "Python"),
        ("top_license", "MIT License"),
        ("stars", "13"),
        ("open_issues", "79"),
        ("pct_licensed", "50.0"),
    ] {
        assert_eq!(field(&england, name), value, "nhsengland {name}");
    }
    // The GitLab group, by hand from data/sample/gitlab.com+ohs-sample: five projects, of
    // which one internal (never stored) and one fork; one archived; licences and languages
    // from the per-project answers (CSS renamed HTML).
    let group = row(&latest, "org_login", "gitlab.com/ohs-sample");
    for (name, value) in [
        ("forge", "gitlab"),
        ("organisation", "gitlab.com/ohs-sample"),
        ("url", "https://gitlab.com/groups/ohs-sample"),
        ("open_repositories", "3"),
        ("archived_repositories", "1"),
        ("forks_excluded", "1"),
        ("top_language", "Python"),
        ("top_license", "MIT License"),
        ("stars", "20"),
        ("forks", "6"),
        ("open_issues", "8"),
    ] {
        assert_eq!(field(&group, name), value, "gitlab.com/ohs-sample {name}");
    }
    assert_eq!(field(&nhsx, "forge"), "github");
    // NHS Digital: configured as nhsdigital, spelled NHSDigital by GitHub.
    let digital = row(&latest, "org_login", "nhsdigital");
    assert_eq!(field(&digital, "organisation"), "NHSDigital");
    assert_eq!(field(&digital, "display_name"), "NHS Digital");

    let headline = gold(&lake, "headline", "2021-03-04");
    let facts = row(&headline, "first_repo_name", "ckanext-nhsengland");
    for (name, value) in [
        ("organisations", "7"),
        ("open_repositories", "349"),
        ("first_repo_organisation", "nhsengland"),
        ("first_repo_year", "2014"),
        ("top_language_1", "HTML"),
        ("top_language_2", "Python"),
        ("top_language_3", "JavaScript"),
    ] {
        assert_eq!(field(&facts, name), value, "headline {name}");
    }

    let counts = gold(&lake, "org_snapshot_counts", "2021-03-04");
    let connect = row(&counts, "org_login", "nhsconnect");
    assert_eq!(field(&connect, "public_repositories"), "177");
    assert_eq!(field(&connect, "open_repositories"), "174");
}

#[test]
fn licences_are_mapped_in_silver_and_counted_in_gold() {
    let work = Workdir::new();
    run_sample(&work);
    let licences = gold(&work.lake(), "licence_counts", "2021-03-04");
    let agpl = licences
        .clone()
        .lazy()
        .filter(
            col("org_login")
                .eq(lit("nhsengland"))
                .and(col("license_spdx_id").eq(lit("AGPL-3.0"))),
        )
        .collect()
        .unwrap();
    assert_eq!(agpl.height(), 1);
    let agpl = row(&agpl, "license_spdx_id", "AGPL-3.0");
    assert_eq!(field(&agpl, "license_spdx_current"), "AGPL-3.0-only");
    assert_eq!(field(&agpl, "license_family"), "copyleft");
    assert_eq!(field(&agpl, "license_osi_approved"), "true");
    assert_eq!(field(&agpl, "repositories"), "3");
    assert!((field(&agpl, "share").parse::<f64>().unwrap() - 3.0 / 20.0).abs() < 1e-12);
    // Over all organisations, shares of every licence state (none included) sum to 1.
    let overall = licences
        .lazy()
        .filter(col("org_login").is_null())
        .collect()
        .unwrap();
    let total: f64 = overall
        .column("share")
        .unwrap()
        .f64()
        .unwrap()
        .sum()
        .unwrap();
    assert!((total - 1.0).abs() < 1e-9, "{total}");
    let none = overall
        .lazy()
        .filter(col("license_key").is_null())
        .collect()
        .unwrap();
    assert_eq!(
        field(&row(&none, "license_family", "none"), "license_family"),
        "none"
    );
}

#[test]
fn every_top_n_breaks_ties_by_name_and_ignores_nulls() {
    let work = Workdir::new();
    let repos = vec![vec![
        R::new(1, "ties", "2020-01-01T00:00:00Z")
            .language("HTML")
            .license("Apache License 2.0"),
        R::new(2, "ties", "2020-01-02T00:00:00Z")
            .language("JavaScript")
            .license("MIT License"),
        R::new(3, "ties", "2020-01-03T00:00:00Z").language("HTML"),
        R::new(4, "ties", "2020-01-04T00:00:00Z").language("JavaScript"),
        R::new(5, "ties", "2020-01-05T00:00:00Z").language("C"),
        R::new(6, "ties", "2020-01-06T00:00:00Z").language("Go"),
        R::new(7, "ties", "2020-01-07T00:00:00Z"),
        R::new(8, "ties", "2020-01-08T00:00:00Z"),
        R::new(9, "ties", "2020-01-09T00:00:00Z"),
    ]];
    work.record_pages("ties", &repos);
    work.record_pages(
        "blank",
        &[vec![R::new(20, "blank", "2020-01-01T00:00:00Z")]],
    );
    work.config(&["ties", "blank"]);
    assert_success(&work.run_offline("2020-02-01"));
    let latest = gold(&work.lake(), "org_latest", "2020-02-01");
    let ties = row(&latest, "org_login", "ties");
    assert_eq!(
        field(&ties, "top_language"),
        "JavaScript",
        "2 each: the later name wins"
    );
    assert_eq!(
        field(&ties, "top_license"),
        "MIT License",
        "1 each: the later name wins"
    );
    let blank = row(&latest, "org_login", "blank");
    assert_eq!(
        field(&blank, "top_language"),
        "null",
        "nulls are never a top value"
    );
    assert_eq!(field(&blank, "pct_licensed"), "0.0");
    let headline = gold(&work.lake(), "headline", "2020-02-01");
    let facts = row(&headline, "top_language_1", "JavaScript");
    assert_eq!(field(&facts, "top_language_2"), "HTML");
    assert_eq!(
        field(&facts, "top_language_3"),
        "Go",
        "Go 1 and C 1: Go sorts later"
    );
}

/// Records three days of one org: A, B, C; then B deleted and C made private; then D new.
fn record_history(work: &Workdir) -> [PathBuf; 3] {
    let a = || R::new(1, "hist", "2019-01-01T00:00:00Z").language("R");
    let b = || R::new(2, "hist", "2019-02-01T00:00:00Z").language("Python");
    let c = R::new(3, "hist", "2019-03-01T00:00:00Z").language("Python");
    let days = [
        vec![a(), b(), c],
        vec![
            a(),
            R::new(3, "hist", "2019-03-01T00:00:00Z")
                .language("Python")
                .private(),
        ],
        vec![
            a(),
            R::new(4, "hist", "2020-01-01T00:00:00Z").language("Go"),
        ],
    ];
    days.into_iter()
        .enumerate()
        .map(|(i, repos)| {
            let dir = work.path().join(format!("day{}", i + 1));
            let org = dir.join("hist");
            std::fs::create_dir_all(&org).unwrap();
            let items: Vec<Value> = repos.iter().map(R::to_json).collect();
            std::fs::write(org.join("page-1.json"), serde_json::to_vec(&items).unwrap()).unwrap();
            dir
        })
        .collect::<Vec<_>>()
        .try_into()
        .unwrap()
}

fn run_day(work: &Workdir, pages: &Path, date: &str) {
    assert_success(&work.run_offline_from(pages, date));
}

/// Every file under `dir`, relative path → bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            let relative = path.strip_prefix(dir).unwrap().display().to_string();
            out.push((relative, std::fs::read(&path).unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn history_keeps_what_each_snapshot_saw() {
    let work = Workdir::new();
    work.config(&["hist"]);
    let days = record_history(&work);
    let dates = ["2021-01-01", "2021-01-02", "2021-01-03"];
    run_day(&work, &days[0], dates[0]);
    let day1_gold: Vec<_> = files(&work.lake().join("gold"))
        .into_iter()
        .filter(|(path, _)| path.contains(dates[0]))
        .collect();
    run_day(&work, &days[1], dates[1]);
    run_day(&work, &days[2], dates[2]);

    let after: Vec<_> = files(&work.lake().join("gold"))
        .into_iter()
        .filter(|(path, _)| path.contains(dates[0]))
        .collect();
    assert!(day1_gold == after, "day 1's partitions changed");
    let open: Vec<String> = dates
        .iter()
        .map(|d| {
            field(
                &row(
                    &gold(&work.lake(), "org_snapshot_counts", d),
                    "org_login",
                    "hist",
                ),
                "open_repositories",
            )
            .to_string()
        })
        .collect();
    assert_eq!(open, ["3", "1", "2"], "as observed each day");

    // Rebuilding every snapshot from bronze, with nothing staged, stages the same bytes,
    // pages included.
    let before = files(&work.lake().join("staging"));
    assert!(
        before
            .iter()
            .filter(|(name, _)| name.ends_with("index.html"))
            .count()
            == 3
    );
    std::fs::remove_dir_all(work.lake().join("staging")).unwrap();
    let lake = work.lake();
    assert_success(&work.ohs(&[
        "transform",
        "--all-snapshots",
        "--lake",
        lake.to_str().unwrap(),
    ]));
    assert!(
        files(&work.lake().join("staging")) == before,
        "a rebuild changed staged bytes"
    );
}

#[test]
fn every_output_is_byte_identical_on_a_rerun() {
    let (first, second) = (Workdir::new(), Workdir::new());
    run_sample(&first);
    run_sample(&second);
    // Manifests and Delta commits record their run's id and times; everything else must
    // match, and each gold table has the same versions and files.
    let data = |dir: PathBuf| -> Vec<(String, Vec<u8>)> {
        files(&dir)
            .into_iter()
            .filter(|(name, _)| !name.ends_with("_manifest.json"))
            .filter(|(name, _)| !crate::delta::is_delta_log(&format!("/{name}")))
            .collect()
    };
    assert_eq!(
        crate::delta::log_states_as_files(&first.lake()),
        crate::delta::log_states_as_files(&second.lake())
    );
    for layer in ["silver", "gold", "site"] {
        let (a, b) = (
            data(first.lake().join(layer)),
            data(second.lake().join(layer)),
        );
        assert!(!a.is_empty());
        let names: Vec<_> = a.iter().map(|(n, _)| n.clone()).collect();
        assert_eq!(names, b.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>());
        for ((name, x), (_, y)) in a.iter().zip(&b) {
            assert!(x == y, "{layer}/{name} differs between identical runs");
        }
    }
}

#[test]
fn duckdb_reads_every_table_and_rebuilds_it_from_the_same_sql() {
    let work = Workdir::new();
    run_sample(&work);
    let report = duckdb_report(work.path());
    // Every gold table of the registry; each built by a SQL model, DuckDB rebuilds too.
    for table in open_health_stats::lake::outputs::GOLD_TABLES {
        assert!(
            report[table]["rows"].is_u64(),
            "DuckDB did not read {table}: {report}"
        );
        if table == "org_repos_daily" {
            continue;
        }
        assert_eq!(
            report[table]["model_matches"], true,
            "{table}: {}",
            report[table]
        );
    }
    let columns = |table: &str| -> Vec<String> {
        report[table]["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| format!("{} {}", c[0].as_str().unwrap(), c[1].as_str().unwrap()))
            .collect()
    };
    assert_eq!(
        columns("org_latest"),
        [
            "snapshot_date DATE",
            "org_login VARCHAR",
            "forge VARCHAR",
            "organisation VARCHAR",
            "display_name VARCHAR",
            "url VARCHAR",
            "open_repositories BIGINT",
            "archived_repositories BIGINT",
            "forks_excluded BIGINT",
            "top_language VARCHAR",
            "top_license VARCHAR",
            "stars BIGINT",
            "forks BIGINT",
            "open_issues BIGINT",
            "pct_licensed DOUBLE",
            "pct_osi_approved DOUBLE",
            "first_repo_created_at TIMESTAMP WITH TIME ZONE",
            "latest_repo_created_at TIMESTAMP WITH TIME ZONE",
        ]
    );
    assert_eq!(
        columns("org_repos_daily"),
        [
            "organisation VARCHAR",
            "forge VARCHAR",
            "date DATE",
            "open_repositories BIGINT",
            "top_language VARCHAR",
            "top_license VARCHAR",
            "url VARCHAR",
            "snapshot_date DATE",
        ]
    );
    assert_eq!(columns("headline")[5], "first_repo_year INTEGER");
    assert_eq!(columns("licence_counts")[7], "license_osi_approved BOOLEAN");
    let csv_rows = work.read("lake/site/org_repos_agg.csv").lines().count() - 1;
    assert_eq!(report["org_repos_daily"]["rows"], csv_rows);
    // Table 1 as DuckDB reads it: the largest organisation first, with its numbers.
    let table1 = report["org_latest_rows"].as_array().unwrap();
    assert_eq!(table1.len(), 7);
    assert_eq!(table1[0][0], "nhsconnect");
    assert_eq!(table1[0][1], 174);
}
