//! Test scaffolding: a scratch directory per test, recorded pages and the `ohs` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

/// The repository root, where `pipeline.toml` and `data/sample` live.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One GitHub repository object as `GET /orgs/{org}/repos` returns it (the fields we read).
pub struct RepoJson {
    pub id: u64,
    pub owner: &'static str,
    pub created_at: &'static str,
    pub language: Option<&'static str>,
    pub license: Option<&'static str>,
    pub fork: bool,
    pub private: bool,
}

impl RepoJson {
    pub fn new(id: u64, owner: &'static str, created_at: &'static str) -> Self {
        Self {
            id,
            owner,
            created_at,
            language: None,
            license: None,
            fork: false,
            private: false,
        }
    }

    pub fn language(mut self, language: &'static str) -> Self {
        self.language = Some(language);
        self
    }

    pub fn license(mut self, name: &'static str) -> Self {
        self.license = Some(name);
        self
    }

    pub fn fork(mut self) -> Self {
        self.fork = true;
        self
    }

    pub fn private(mut self) -> Self {
        self.private = true;
        self
    }

    pub fn to_json(&self) -> Value {
        let name = format!("repo-{}", self.id);
        let license = self.license.map(|n| {
            let (key, spdx) = if n == "Other" {
                ("other", "NOASSERTION")
            } else {
                ("mit", "MIT")
            };
            json!({"key": key, "name": n, "spdx_id": spdx, "url": null, "node_id": "x"})
        });
        json!({
            "id": self.id,
            "node_id": "MDEwOlJlcG9zaXRvcnkx",
            "name": name,
            "full_name": format!("{}/{}", self.owner, name),
            "private": self.private,
            "owner": {"login": self.owner, "html_url": format!("https://github.com/{}", self.owner), "type": "Organization"},
            "html_url": format!("https://github.com/{}/{}", self.owner, name),
            "fork": self.fork,
            "created_at": self.created_at,
            "pushed_at": self.created_at,
            "language": self.language,
            "license": license,
            "archived": false,
            "stargazers_count": 1,
            "forks_count": 0,
            "open_issues_count": 0
        })
    }
}

/// A scratch directory with its own config, recorded pages and lake.
pub struct Workdir {
    dir: tempfile::TempDir,
}

impl Workdir {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn lake(&self) -> PathBuf {
        self.path().join("lake")
    }

    pub fn pages_dir(&self) -> PathBuf {
        self.path().join("pages")
    }

    /// Records `pages` of `org` as `pages/<org>/page-N.json`.
    pub fn record_pages(&self, org: &str, pages: &[Vec<RepoJson>]) {
        let dir = self.pages_dir().join(org);
        std::fs::create_dir_all(&dir).unwrap();
        for (i, page) in pages.iter().enumerate() {
            let items: Vec<Value> = page.iter().map(RepoJson::to_json).collect();
            let body = serde_json::to_vec_pretty(&items).unwrap();
            std::fs::write(dir.join(format!("page-{}.json", i + 1)), body).unwrap();
        }
    }

    /// Writes `pipeline.toml` for `logins` and returns its path.
    pub fn config(&self, logins: &[&str]) -> PathBuf {
        let orgs: String = logins
            .iter()
            .map(|l| format!("[[orgs]]\nlogin = \"{l}\"\nname = \"Display {l}\"\n"))
            .collect();
        self.write("pipeline.toml", &orgs)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path().join(relative))
            .unwrap_or_else(|e| panic!("{relative}: {e}"))
    }

    /// Runs `ohs` in this directory with a clean environment.
    pub fn ohs(&self, args: &[&str]) -> Output {
        ohs_command(self.path())
            .args(args)
            .output()
            .expect("run ohs")
    }

    /// Runs the whole pipeline offline on the recorded pages for `date`.
    pub fn run_offline(&self, date: &str) -> Output {
        self.run_offline_from(&self.pages_dir(), date)
    }

    /// Runs the whole pipeline offline on the recordings in `pages` for `date`.
    pub fn run_offline_from(&self, pages: &Path, date: &str) -> Output {
        self.run_offline_with(&[], pages, date)
    }

    /// `ohs run <flags>` offline on the recordings in `pages` for `date`.
    pub fn run_offline_with(&self, flags: &[&str], pages: &Path, date: &str) -> Output {
        let lake = self.lake();
        let mut args = vec!["run"];
        args.extend(flags);
        args.extend([
            "--offline",
            pages.to_str().unwrap(),
            "--lake",
            lake.to_str().unwrap(),
            "--snapshot-date",
            date,
        ]);
        self.ohs(&args)
    }
}

/// The bundled sample's six GitHub organisations and its GitLab group.
pub const SAMPLE_ORGS: &str =
    "111Online,nhsconnect,nhsdigital,nhsengland,nhsuk,nhsx,gitlab.com/ohs-sample";

/// `ohs run` offline on the bundled sample for 2021-03-04 into `lake`, with the repository's
/// pipeline.toml.
pub fn run_sample_into(work: &Workdir, lake: &Path) -> Output {
    run_sample_on(work, lake, "2021-03-04")
}

/// `ohs run` offline on the bundled sample as the snapshot of `date` into `lake`.
pub fn run_sample_on(work: &Workdir, lake: &Path, date: &str) -> Output {
    let config = repo_root().join("pipeline.toml");
    let sample = repo_root().join("data/sample");
    work.ohs(&[
        "run",
        "--config",
        config.to_str().unwrap(),
        "--offline",
        sample.to_str().unwrap(),
        "--orgs",
        SAMPLE_ORGS,
        "--lake",
        lake.to_str().unwrap(),
        "--snapshot-date",
        date,
    ])
}

/// `ohs run` offline on the bundled sample into the work dir's lake; asserts it succeeded.
pub fn run_sample(work: &Workdir) {
    assert_success(&run_sample_into(work, &work.lake()));
}

/// The one Parquet file of the partition `lake/<table_dir>/snapshot_date=<date>/`: silver's
/// `part-0.parquet`, or a gold table's data file, named by its bytes (a Delta table keeps
/// exactly one current file per snapshot, and publish deletes what it supersedes).
pub fn partition_file(lake: &Path, table_dir: &str, date: &str) -> PathBuf {
    let dir = lake.join(table_dir).join(format!("snapshot_date={date}"));
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    assert_eq!(files.len(), 1, "{}: {files:?}", dir.display());
    files.into_iter().next().unwrap()
}

/// A Parquet file of the lake, read with polars.
pub fn read_parquet(path: &Path) -> polars::prelude::DataFrame {
    use polars::prelude::SerReader;
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    polars::prelude::ParquetReader::new(std::io::Cursor::new(bytes))
        .finish()
        .unwrap()
}

/// `ohs` in `dir`, without any `OHS_*`, `GITHUB_TOKEN` or `RUST_LOG` of the caller's.
pub fn ohs_command(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ohs"));
    cmd.current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("OHS_") || key == "GITHUB_TOKEN" || key == "RUST_LOG" {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Asserts that `output` succeeded, showing its stderr when not.
pub fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "ohs failed ({:?}): {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Files under `dir` whose bytes contain `needle`.
pub fn grep_tree(dir: &Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            let bytes = std::fs::read(&path).unwrap();
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

/// What DuckDB, reading the lake under `workdir` on its own, finds in each gold table
/// (`tests/duckdb/compare.py`): columns and types, rows, and whether the same SQL model
/// rebuilds it.
pub fn duckdb_report(workdir: &Path) -> Value {
    python_report("tests/duckdb/compare.py", &[workdir, &repo_root()])
}

/// What the test venv's Python `script` (a path in the repository), given `args`, prints
/// as its one JSON object.
pub fn python_report(script: &str, args: &[&Path]) -> Value {
    let out = Command::new(crate::servers::python())
        .arg(repo_root().join(script))
        .args(args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
