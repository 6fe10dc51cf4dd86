//! Gold as Delta tables, checked by readers that are not ohs: delta-rs's Python binding opens
//! every table (protocol 1/2, partitioned by `snapshot_date`, UTC timestamps), its rows are
//! DuckDB's Hive read, and Spark's Parquet reader reads the files it lists as current
//! (`tests/delta/check.py`). A republish is one new version per changed table, and Hive
//! globs then find the new file alone; publishing again adds nothing; `--all-snapshots`
//! commits once per table. [`log_state`] replays a table's log on its own, for the crash
//! tests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{
    assert_success, python_report, run_sample, run_sample_on, RepoJson as R, Workdir,
};

const GOLD: [&str; 9] = open_health_stats::lake::outputs::GOLD_TABLES;

/// `tests/delta/check.py` over the local lake, with Spark when `spark`.
fn check(lake: &Path, spark: bool) -> Value {
    let flag = PathBuf::from("--spark");
    let mut args = vec![lake];
    if spark {
        args.push(&flag);
    }
    python_report("tests/delta/check.py", &args)
}

/// `tests/delta/check.py` over a lake in an object store, with delta-rs's `storage_options`.
pub fn check_remote(lake: &str, options: &serde_json::Value) -> Value {
    let options = options.to_string();
    let args = [
        Path::new(lake),
        Path::new("--storage-options"),
        Path::new(&options),
    ];
    python_report("tests/delta/check.py", &args)
}

/// Asserts that every gold table of a lake in an object store is a Delta table delta-rs
/// opens, at `version`, with the rows of the same table in the local lake `local`.
pub fn assert_remote_tables(lake: &str, options: &serde_json::Value, version: u64, local: &Path) {
    let (remote, local) = (check_remote(lake, options), check(local, false));
    for table in GOLD {
        let t = &remote[table];
        assert_eq!(t["protocol"], serde_json::json!([1, 2]), "{table}: {t}");
        assert_eq!(t["version"], version, "{table}: {t}");
        assert_eq!(t["rows"], local[table]["rows"], "{table}");
    }
}

/// A table's latest version and the data files it holds, replayed from its `_delta_log`
/// JSON commits without delta-rs: Add then Remove per path, in version order.
pub fn log_state(lake: &Path, table: &str) -> Option<(u64, BTreeSet<String>)> {
    let log = lake.join(format!("gold/{table}/_delta_log"));
    let mut commits: Vec<(u64, PathBuf)> = std::fs::read_dir(&log)
        .ok()?
        .filter_map(|e| {
            let path = e.ok()?.path();
            let name = path.file_name()?.to_str()?.to_string();
            let version = name.strip_suffix(".json")?.parse().ok()?;
            Some((version, path))
        })
        .collect();
    commits.sort();
    let mut files = BTreeSet::new();
    for (_, path) in &commits {
        for line in std::fs::read_to_string(path).unwrap().lines() {
            let action: Value = serde_json::from_str(line).unwrap();
            if let Some(add) = action.get("add") {
                files.insert(add["path"].as_str().unwrap().to_string());
            }
            if let Some(remove) = action.get("remove") {
                files.remove(remove["path"].as_str().unwrap());
            }
        }
    }
    Some((commits.last()?.0, files))
}

/// Every Parquet file a Hive glob over the table's partitions finds, relative to the table.
pub fn hive_files(lake: &Path, table: &str) -> BTreeSet<String> {
    let root = lake.join(format!("gold/{table}"));
    let mut found = BTreeSet::new();
    for partition in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        let name = partition.file_name().to_string_lossy().to_string();
        if !name.starts_with("snapshot_date=") {
            continue;
        }
        for file in std::fs::read_dir(partition.path()).unwrap().flatten() {
            let file_name = file.file_name().to_string_lossy().to_string();
            if file_name.ends_with(".parquet") {
                found.insert(format!("{name}/{file_name}"));
            }
        }
    }
    found
}

/// Whether a lake file is a Delta commit or checkpoint, which records its run (commit time,
/// run id) rather than data: compare lakes by [`log_states_as_files`] instead.
pub fn is_delta_log(name: &str) -> bool {
    name.contains("/_delta_log/")
}

/// Each gold table's version and current files, as one pseudo-file per table, for comparing
/// two lakes file by file.
pub fn log_states_as_files(lake: &Path) -> Vec<(String, Vec<u8>)> {
    all_log_states(lake)
        .into_iter()
        .map(|(table, state)| {
            let name = format!("gold/{table}/_delta_log (version, files)");
            (name, format!("{state:?}").into_bytes())
        })
        .collect()
}

/// Each table's version and files by the log, for comparing two lakes.
pub fn all_log_states(lake: &Path) -> BTreeMap<&'static str, Option<(u64, BTreeSet<String>)>> {
    GOLD.iter().map(|t| (*t, log_state(lake, t))).collect()
}

#[test]
fn every_gold_table_is_a_delta_table_that_other_readers_open() {
    let work = Workdir::new();
    run_sample(&work);
    let found = check(&work.lake(), true);
    for table in GOLD {
        let t = &found[table];
        assert_eq!(t["protocol"], serde_json::json!([1, 2]), "{table}: {t}");
        assert!(
            t["reader_features"].is_null() && t["writer_features"].is_null(),
            "{t}"
        );
        assert_eq!(t["partition_columns"], serde_json::json!(["snapshot_date"]));
        assert_eq!(t["types"]["snapshot_date"], "date", "{table}");
        let types = t["types"].as_object().unwrap();
        assert!(
            types.values().all(|ty| ty != "timestamp_ntz"),
            "{table}: {types:?}"
        );
        assert_eq!(t["version"], 0, "{table}: one publish, one version");
        let history = t["history"].as_array().unwrap();
        assert_eq!(history.len(), 1, "{table}: {history:?}");
        let note = history[0]["userMetadata"].as_str().unwrap();
        assert!(note.contains("snapshot 2021-03-04 build "), "{note}");
        assert_eq!(
            history[0]["ohs"]["snapshots"][0]["snapshotDate"],
            "2021-03-04"
        );
        assert_eq!(t["hive_files"], 1, "{table}");
        assert_eq!(
            t["hive_equal"], true,
            "{table}: Delta's rows are not the Hive read's"
        );
        assert_eq!(
            t["spark_equal"], true,
            "{table}: Spark's rows are not Delta's"
        );
        let (version, files) = log_state(&work.lake(), table).unwrap();
        assert_eq!((version, files), (0, hive_files(&work.lake(), table)));
    }
    assert!(found["org_latest"]["rows"].as_u64().unwrap() >= 6);
}

/// Two orgs' pages; `more` adds a repository to beta, changing most gold tables.
fn record(work: &Workdir, more: bool) {
    work.record_pages(
        "alpha",
        &[vec![R::new(1, "alpha", "2020-01-01T00:00:00Z")
            .language("Go")
            .license("MIT License")]],
    );
    let mut beta = vec![R::new(3, "beta", "2019-06-01T00:00:00Z").language("R")];
    if more {
        beta.push(R::new(4, "beta", "2021-02-05T08:00:00Z").language("Python"));
    }
    work.record_pages("beta", &[beta]);
    work.config(&["alpha", "beta"]);
}

fn run_refetch(work: &Workdir, date: &str) {
    assert_success(&work.run_offline_with(&["--refetch"], &work.pages_dir(), date));
}

#[test]
fn a_republished_snapshot_is_one_new_version_and_hive_globs_find_only_its_file() {
    let work = Workdir::new();
    record(&work, false);
    run_refetch(&work, "2021-03-04");
    let before = all_log_states(&work.lake());
    record(&work, true);
    run_refetch(&work, "2021-03-04");
    let after = all_log_states(&work.lake());
    let found = check(&work.lake(), false);
    let mut changed = 0;
    for table in GOLD {
        let (v0, files0) = before[table].clone().unwrap();
        let (v1, files1) = after[table].clone().unwrap();
        assert_eq!(
            files1,
            hive_files(&work.lake(), table),
            "{table}: a superseded file left"
        );
        assert_eq!(found[table]["hive_equal"], true, "{table}");
        if files0 != files1 {
            changed += 1;
            assert_eq!(v1, v0 + 1, "{table}: one version per republish");
            assert_eq!(found[table]["history"][0]["operation"], "WRITE");
        } else {
            assert_eq!(v1, v0, "{table}: unchanged bytes add no version");
        }
    }
    assert!(changed >= 5, "only {changed} tables changed");
    assert_eq!(found["org_latest"]["version"], 1);

    // Publishing what is already published adds nothing.
    let lake = work.lake();
    assert_success(&work.ohs(&[
        "publish",
        "--lake",
        lake.to_str().unwrap(),
        "--snapshot-date",
        "2021-03-04",
    ]));
    assert_eq!(all_log_states(&work.lake()), after);
}

#[test]
fn publish_all_snapshots_commits_once_per_table() {
    let work = Workdir::new();
    for date in ["2021-03-04", "2021-03-05"] {
        assert_success(&run_sample_on(&work, &work.lake(), date));
    }
    let before = all_log_states(&work.lake());
    let lake = work.lake();
    let lake = lake.to_str().unwrap();
    let config = crate::common::repo_root().join("pipeline.toml");
    let config = config.to_str().unwrap();
    // A new ohs would rebuild every snapshot, then publish them together: simulated by
    // dropping the published data files' Delta history and republishing both at once.
    for table in GOLD {
        std::fs::remove_dir_all(work.lake().join(format!("gold/{table}"))).unwrap();
    }
    let all = |command| {
        [
            "--config",
            config,
            command,
            "--all-snapshots",
            "--lake",
            lake,
        ]
    };
    assert_success(&work.ohs(&all("transform")));
    assert_success(&work.ohs(&all("publish")));
    let found = check(&work.lake(), false);
    for table in GOLD {
        let (version, files) = log_state(&work.lake(), table).unwrap();
        assert_eq!(version, 0, "{table}: one commit for both snapshots");
        assert_eq!(files.len(), 2, "{table}: {files:?}");
        assert_eq!(
            files,
            before[table].clone().unwrap().1,
            "{table}: same bytes, same files"
        );
        let note = found[table]["history"][0]["userMetadata"].as_str().unwrap();
        assert!(
            note.contains("snapshot 2021-03-04 build")
                && note.contains("snapshot 2021-03-05 build"),
            "{note}"
        );
        assert_eq!(found[table]["hive_equal"], true, "{table}");
    }
}

#[test]
fn status_shows_each_gold_tables_version_and_last_commit() {
    let work = Workdir::new();
    run_sample(&work);
    let lake = work.lake();
    let config = crate::common::repo_root().join("pipeline.toml");
    let config = config.to_str().unwrap();
    let lake = lake.to_str().unwrap();
    let out = work.ohs(&["status", "--json", "--config", config, "--lake", lake]);
    assert_success(&out);
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    let tables = status["gold_tables"].as_array().unwrap();
    assert_eq!(tables.len(), GOLD.len());
    for t in tables {
        assert_eq!(t["version"], 0);
        assert!(t["committed_at"].as_str().is_some(), "{t}");
        assert!(t["published"]
            .as_str()
            .unwrap()
            .contains("snapshot 2021-03-04 build"));
    }
    let out = work.ohs(&["status", "--config", config, "--lake", lake]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("org_latest") && l.contains(" 0  ")),
        "{text}"
    );
}

#[test]
fn a_lake_published_before_delta_keeps_its_history_in_the_first_commit() {
    let work = Workdir::new();
    assert_success(&run_sample_on(&work, &work.lake(), "2021-03-04"));
    // As an earlier ohs left it: each partition's file at part-0.parquet, no log.
    for table in GOLD {
        let root = work.lake().join(format!("gold/{table}"));
        std::fs::remove_dir_all(root.join("_delta_log")).unwrap();
        let file =
            crate::common::partition_file(&work.lake(), &format!("gold/{table}"), "2021-03-04");
        std::fs::rename(&file, file.with_file_name("part-0.parquet")).unwrap();
    }
    assert_success(&run_sample_on(&work, &work.lake(), "2021-03-05"));
    let found = check(&work.lake(), false);
    for table in GOLD {
        let (version, files) = log_state(&work.lake(), table).unwrap();
        assert_eq!(version, 0, "{table}");
        assert_eq!(files, hive_files(&work.lake(), table), "{table}");
        assert!(
            files.contains("snapshot_date=2021-03-04/part-0.parquet"),
            "{files:?}"
        );
        assert_eq!(files.len(), 2, "{table}: {files:?}");
        assert_eq!(found[table]["hive_equal"], true, "{table}");
    }
}
