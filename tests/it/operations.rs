//! Operating `ohs`: killed at every write and run again, it ends byte-identical to a run
//! never interrupted, and the site never mixes snapshots; bad input of every kind exits
//! with its documented code and one clear line, changing nothing published; panics become
//! one line; `status` and `validate` report without writing.

use std::path::{Path, PathBuf};
use std::process::Output;

use open_health_stats::formats::sha256_hex;

use crate::common::{ohs_command, stderr, RepoJson as R, Workdir};
use crate::delta::{all_log_states, is_delta_log, log_states_as_files};

const D1: &str = "2021-03-04";
const D2: &str = "2021-03-05";

/// Two orgs, one with two pages, recorded under `dir` for day `n` (day 2 adds a repo).
fn record(dir: &Path, day: u64) {
    let write = |org: &str, page: usize, repos: Vec<R>| {
        let org_dir = dir.join(org);
        std::fs::create_dir_all(&org_dir).unwrap();
        let items: Vec<_> = repos.iter().map(R::to_json).collect();
        std::fs::write(
            org_dir.join(format!("page-{page}.json")),
            serde_json::to_vec(&items).unwrap(),
        )
        .unwrap();
    };
    write(
        "alpha",
        1,
        vec![R::new(1, "alpha", "2020-01-01T00:00:00Z")
            .language("Go")
            .license("MIT License")],
    );
    write(
        "alpha",
        2,
        vec![R::new(2, "alpha", "2020-02-01T00:00:00Z").language("Rust")],
    );
    let mut beta = vec![R::new(3, "beta", "2019-06-01T00:00:00Z").language("R")];
    if day == 2 {
        beta.push(R::new(4, "beta", "2021-03-05T08:00:00Z").language("Python"));
    }
    write("beta", 1, beta);
}

fn run(dir: &Path, lake: &Path, pages: &Path, date: &str, failpoint: Option<usize>) -> Output {
    let mut cmd = ohs_command(dir);
    cmd.args(["run", "-q", "--offline"])
        .arg(pages)
        .arg("--lake")
        .arg(lake)
        .args(["--snapshot-date", date]);
    if let Some(n) = failpoint {
        cmd.env("OHS_FAILPOINT", format!("put:{n}"));
    }
    cmd.output().unwrap()
}

/// Every data file under the lake (relative path → bytes), leaving out what records a
/// run rather than data: manifests (run id, times), page sidecars (fetch time) and Delta
/// commits (commit time), which stand instead as each gold table's version and files.
fn data_files(lake: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![lake.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let name = path.strip_prefix(lake).unwrap().display().to_string();
        let run_record = name.ends_with("_manifest.json")
            || name.ends_with(".meta.json")
            || name.starts_with("_leases")
            || is_delta_log(&name);
        if !run_record && !name.contains('#') {
            out.push((name, std::fs::read(&path).unwrap()));
        }
    }
    out.extend(log_states_as_files(lake));
    out.sort();
    out
}

/// Each gold table is at a version whose every data file is there (its previous or its new
/// version after a kill: a commit is one object, written after the files it adds).
fn assert_tables_readable(lake: &Path) {
    for (table, state) in all_log_states(lake) {
        let Some((version, files)) = state else {
            continue;
        };
        for file in files {
            let path = lake.join(format!("gold/{table}/{file}"));
            assert!(
                path.is_file(),
                "{table} version {version} lists missing {file}"
            );
        }
    }
}

/// What a reader following `site/_manifest.json` sees: every listed object present with the
/// listed SHA-256, and the snapshot's own copies all of one snapshot.
fn assert_site_consistent(lake: &Path) {
    assert_tables_readable(lake);
    let Ok(bytes) = std::fs::read(lake.join("site/_manifest.json")) else {
        return;
    };
    let manifest: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let date = manifest["snapshot_date"].as_str().unwrap();
    let build = manifest["build"]["build_id"].as_str().unwrap();
    let folder = format!("site/snapshot_date={date}/build={build}");
    for name in ["org_repos_agg.csv", "index.html"] {
        let copy = lake.join(format!("{folder}/{name}"));
        assert!(
            copy.is_file(),
            "{} missing while the site manifest names {date}",
            copy.display()
        );
    }
    let page = std::fs::read_to_string(lake.join(format!("{folder}/index.html"))).unwrap();
    assert!(
        page.contains(&format!("<meta name=\"ohs-build\" content=\"{build}\">")),
        "the build's page copy is of another build"
    );
    let csv = std::fs::read_to_string(lake.join(format!("{folder}/org_repos_agg.csv"))).unwrap();
    assert!(
        csv.contains(&format!(",{date},")),
        "the site's CSV copy is of another snapshot"
    );
    let snapshot = std::fs::read(lake.join(format!(
        "gold/_manifests/snapshot_date={date}/_manifest.json"
    )))
    .unwrap();
    let snapshot: serde_json::Value = serde_json::from_slice(&snapshot).unwrap();
    for object in snapshot["objects"].as_array().unwrap() {
        let path = lake.join(object["key"].as_str().unwrap());
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            sha256_hex(&bytes),
            object["sha256"].as_str().unwrap(),
            "{}",
            path.display()
        );
    }
}

#[test]
#[cfg_attr(
    not(feature = "failpoints"),
    ignore = "needs the failpoints feature: run `make test`"
)]
fn a_run_killed_at_any_write_and_rerun_ends_as_if_never_killed() {
    let work = Workdir::new();
    let (day1, day2) = (work.path().join("day1"), work.path().join("day2"));
    record(&day1, 1);
    record(&day2, 2);
    work.config(&["alpha", "beta"]);

    // The reference: day 1 then day 2, never interrupted.
    let reference = work.path().join("reference");
    assert!(run(work.path(), &reference, &day1, D1, None)
        .status
        .success());
    let after_day1 = work.path().join("after-day1");
    copy_dir(&reference, &after_day1);
    assert!(run(work.path(), &reference, &day2, D2, None)
        .status
        .success());
    let killed = kill_at_every_write(&work, &after_day1, &day2, D2, &data_files(&reference));
    assert!(
        killed > 20,
        "only {killed} kill points: every write should be one"
    );
}

#[test]
#[cfg_attr(
    not(feature = "failpoints"),
    ignore = "needs the failpoints feature: run `make test`"
)]
fn republishing_a_changed_snapshot_killed_at_any_write_never_mixes_builds() {
    let work = Workdir::new();
    let (first, changed) = (work.path().join("first"), work.path().join("changed"));
    record(&first, 1);
    record(&changed, 1);
    // The same day fetched again later: beta has a new (older) repository, alpha a new page.
    let beta = [
        R::new(3, "beta", "2019-06-01T00:00:00Z").language("R"),
        R::new(5, "beta", "2020-05-01T00:00:00Z")
            .language("Go")
            .license("MIT License"),
    ];
    let items: Vec<_> = beta.iter().map(R::to_json).collect();
    std::fs::write(
        changed.join("beta/page-1.json"),
        serde_json::to_vec(&items).unwrap(),
    )
    .unwrap();
    work.config(&["alpha", "beta"]);

    let reference = work.path().join("reference");
    assert!(run(work.path(), &reference, &first, D1, None)
        .status
        .success());
    let published_once = work.path().join("published-once");
    copy_dir(&reference, &published_once);
    let refetch = |lake: &Path, failpoint| {
        let mut cmd = ohs_command(work.path());
        cmd.args(["run", "-q", "--refetch", "--offline"])
            .arg(&changed)
            .arg("--lake")
            .arg(lake)
            .args(["--snapshot-date", D1]);
        if let Some(n) = failpoint {
            cmd.env("OHS_FAILPOINT", format!("put:{n}"));
        }
        cmd.output().unwrap()
    };
    assert!(refetch(&reference, None).status.success());
    let old = std::fs::read(published_once.join("site/org_repos_agg.csv")).unwrap();
    let new = std::fs::read(reference.join("site/org_repos_agg.csv")).unwrap();
    assert_ne!(old, new, "the republished snapshot has changed outputs");
    let expected = data_files(&reference);

    let mut killed = 0;
    for n in 1.. {
        let lake = work.path().join(format!("killed-{n}"));
        copy_dir(&published_once, &lake);
        let out = refetch(&lake, Some(n));
        if out.status.success() {
            break;
        }
        assert_eq!(out.status.code(), None, "write {n}: {}", stderr(&out));
        killed += 1;
        assert_site_consistent(&lake);
        let current = std::fs::read(lake.join("site/org_repos_agg.csv")).unwrap();
        assert!(
            current == old || current == new,
            "kill at write {n}: a torn site CSV"
        );
        let rerun = refetch(&lake, None);
        assert!(
            rerun.status.success(),
            "rerun after write {n}: {}",
            stderr(&rerun)
        );
        assert_site_consistent(&lake);
        assert_same_files(&data_files(&lake), &expected, n);
        std::fs::remove_dir_all(&lake).unwrap();
    }
    assert!(killed > 10, "only {killed} kill points");
}

/// Kills `ohs run` of `pages` for `date`, started each time from a copy of `start`, at
/// every write in turn: after each kill the site agrees with its manifest, and a rerun ends
/// with exactly `expected`. Returns the number of kill points.
fn kill_at_every_write(
    work: &Workdir,
    start: &Path,
    pages: &Path,
    date: &str,
    expected: &[(String, Vec<u8>)],
) -> usize {
    let mut killed = 0;
    for n in 1.. {
        let lake = work.path().join(format!("killed-{n}"));
        copy_dir(start, &lake);
        let out = run(work.path(), &lake, pages, date, Some(n));
        if out.status.success() {
            break; // n is past the run's last write
        }
        assert_eq!(
            out.status.code(),
            None,
            "write {n}: the process was aborted: {}",
            stderr(&out)
        );
        killed += 1;
        assert_site_consistent(&lake);
        let rerun = run(work.path(), &lake, pages, date, None);
        assert!(
            rerun.status.success(),
            "rerun after a kill at write {n}: {}",
            stderr(&rerun)
        );
        assert_site_consistent(&lake);
        assert_same_files(&data_files(&lake), expected, n);
        std::fs::remove_dir_all(&lake).unwrap();
    }
    killed
}

fn assert_same_files(actual: &[(String, Vec<u8>)], expected: &[(String, Vec<u8>)], n: usize) {
    let names =
        |files: &[(String, Vec<u8>)]| files.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(actual),
        names(expected),
        "kill at write {n}: different files"
    );
    for ((name, a), (_, b)) in actual.iter().zip(expected) {
        assert!(
            a == b,
            "kill at write {n}: {name} differs from an uninterrupted run"
        );
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every file under `dir` of the published area, to check nothing changed.
fn published(lake: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![lake.join("site"), lake.join("gold")];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if path.exists() {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn bad_input_exits_with_its_code_and_one_line_and_changes_nothing_published() {
    let work = Workdir::new();
    let good = work.path().join("good");
    record(&good, 1);
    work.config(&["alpha", "beta"]);
    let lake = work.lake();
    assert!(run(work.path(), &lake, &good, D1, None).status.success());
    let before = published(&lake);

    let page = |name: &str, body: &[u8]| -> PathBuf {
        let dir = work.path().join(name);
        record(&dir, 1);
        std::fs::write(dir.join("beta/page-1.json"), body).unwrap();
        dir
    };
    let repo = |field: &str, value: serde_json::Value| -> Vec<u8> {
        let mut json = R::new(3, "beta", "2019-06-01T00:00:00Z").to_json();
        match value {
            serde_json::Value::Null => {
                json.as_object_mut().unwrap().remove(field);
            }
            v => json[field] = v,
        }
        serde_json::to_vec(&[json]).unwrap()
    };
    work.write("invalid.toml", "[[orgs]\n");
    work.write(
        "unknown.toml",
        "[[orgs]]\nlogin = \"alpha\"\nmood = \"happy\"\n",
    );
    work.write("empty.toml", "");
    work.write(
        "dup.toml",
        "[[orgs]]\nlogin = \"alpha\"\n[[orgs]]\nlogin = \"ALPHA\"\n",
    );
    work.write("illegal.toml", "[[orgs]]\nlogin = \"al/pha\"\n");
    work.write(
        "string.toml",
        "[github]\nmax_retries = \"x\"\n[[orgs]]\nlogin = \"alpha\"\n",
    );
    work.write(
        "forge.toml",
        "[[orgs]]\nlogin = \"alpha\"\nforge = \"bitbucket\"\n",
    );
    work.write(
        "negative.toml",
        "[lake]\nretry_timeout_secs = -1\n[[orgs]]\nlogin = \"alpha\"\n",
    );
    work.write("small.toml", "[github]\nmax_response_bytes = 100\n[[orgs]]\nlogin = \"alpha\"\n[[orgs]]\nlogin = \"beta\"\n");
    std::fs::create_dir_all(work.path().join("a-directory.toml")).unwrap();
    let not_a_dir = work.write("plain-file", "x");

    let object = page("object", br#"{"message": "Not Found"}"#);
    let bad_date = page("bad-date", &repo("created_at", "last tuesday".into()));
    let no_id = page("no-id", &repo("id", serde_json::Value::Null));
    let html = page("html", b"<html><body>502 Bad Gateway</body></html>");
    let latin1 = page("latin1", b"[{\"id\": 3, \"name\": \"caf\xe9\"}]");
    let arg = |p: &Path| p.to_str().unwrap().to_string();
    let lake_arg = arg(&lake);
    let offline = |dir: &PathBuf| {
        vec![
            "--offline".to_string(),
            arg(dir),
            "--lake".to_string(),
            lake_arg.clone(),
        ]
    };
    let flags = |pairs: &[&str]| pairs.iter().map(|p| p.to_string()).collect::<Vec<_>>();
    let cases: Vec<(&str, Vec<String>, i32, &str)> = vec![
        ("slashed login", flags(&["--orgs", "../etc"]), 2, "--orgs: \"../etc\": not a GitHub login (letters, digits and single inner hyphens, up to 39) nor a GitLab <host>/<group path>"),
        ("login with a space", flags(&["--orgs", "nhs x"]), 2, "--orgs: invalid login \"nhs x\""),
        ("no orgs", flags(&["--orgs", ""]), 2, "--orgs: no organisations given"),
        ("relative API URL", flags(&["--github-api", "notaurl"]), 2, "--github-api: invalid URL \"notaurl\""),
        ("GitLab API not HTTP", flags(&["--gitlab-api", "ftp://x"]), 2, "--gitlab-api: invalid URL \"ftp://x\": expected http(s)://host"),
        ("month 13", flags(&["--snapshot-date", "2021-13-01"]), 2, "--snapshot-date: invalid date \"2021-13-01\": expected YYYY-MM-DD"),
        ("bucketless S3 lake", flags(&["--lake", "s3://"]), 2, "lake s3://: "),
        ("empty lake", flags(&["--lake", ""]), 2, "--lake: empty: expected a path or an object-store URL"),
        ("empty target", flags(&["--publish-target", " "]), 2, "--publish-target: empty: expected a path or an object-store URL"),
        ("unsupported target", flags(&["--publish-target", "hdfs://x"]), 2, "lake hdfs://x: unsupported scheme \"hdfs\""),
        ("missing recordings", flags(&["--offline", "/nonexistent"]), 2, "extract: offline directory /nonexistent: not a directory"),
        ("string for a number", flags(&["--config", "string.toml"]), 2, "config string.toml: line 2, column 15: invalid type: string \"x\", expected u32"),
        ("unknown forge", flags(&["--config", "forge.toml"]), 2, "config forge.toml: orgs[0].forge: unknown forge \"bitbucket\""),
        ("negative timeout", flags(&["--config", "negative.toml"]), 2, "config negative.toml: line 2, column 22: invalid value: integer `-1`"),
        ("missing config", vec!["--config".into(), "nope.toml".into()], 2, "config nope.toml: cannot read"),
        ("unreadable config", vec!["--config".into(), "a-directory.toml".into()], 2, "config a-directory.toml: cannot read"),
        ("invalid TOML", vec!["--config".into(), "invalid.toml".into()], 2, "config invalid.toml: line 1"),
        ("unknown key", vec!["--config".into(), "unknown.toml".into()], 2, "config unknown.toml: line 3, column 1: unknown field `mood`"),
        ("empty org list", vec!["--config".into(), "empty.toml".into()], 2, "config empty.toml: orgs: no organisations configured"),
        ("duplicate logins", vec!["--config".into(), "dup.toml".into()], 2, "config dup.toml: orgs: duplicate login"),
        ("illegal login", vec!["--config".into(), "illegal.toml".into()], 2, "config illegal.toml: orgs[0].login: invalid login"),
        ("bad date", vec!["--snapshot-date".into(), "2021-02-29".into()], 2, "--snapshot-date: invalid date"),
        ("future date", vec!["--snapshot-date".into(), "2999-01-01".into()], 2, "--snapshot-date: 2999-01-01 is in the future"),
        ("unsupported scheme", vec!["--lake".into(), "hdfs://cluster/lake".into()], 2, "lake hdfs://cluster/lake: unsupported scheme"),
        ("unwritable lake", vec!["--lake".into(), format!("{}/lake", arg(&not_a_dir))], 5, "lake "),
        ("page is an object", offline(&object), 4, "extract: org beta: page 1: not a JSON array of repository objects"),
        ("non-date created_at", offline(&bad_date), 4, "transform: org beta page 1: repo #1 (beta/repo-3): created_at: "),
        ("missing id", offline(&no_id), 4, "extract: org beta: page 1: repo #1: missing field `id`"),
        ("HTML instead of JSON", offline(&html), 4, "extract: org beta: page 1: not a JSON array of repository objects"),
        ("non-UTF-8 bytes", offline(&latin1), 4, "extract: org beta: page 1: not a JSON array of repository objects"),
        (
            "response over the size limit",
            [vec!["--config".to_string(), "small.toml".to_string()], offline(&good)].concat(),
            4,
            "extract: org alpha: GET https://api.github.com/orgs/alpha/repos?type=public&per_page=100: response of",
        ),
    ];
    // Settings from the environment are checked as the file's are, and named.
    let env_cases: Vec<(&str, (&str, &str), &str)> = vec![
        ("variable not a number", ("OHS_GITHUB_MAX_RETRIES", "many"), "config pipeline.toml: invalid type: string \"many\", expected u32 (with OHS_GITHUB_MAX_RETRIES from the environment)"),
        ("negative variable", ("OHS_LAKE_MAX_RETRIES", "-3"), "config pipeline.toml: invalid value: integer `-3`, expected usize (with OHS_LAKE_MAX_RETRIES from the environment)"),
    ];
    let env_cases = env_cases
        .into_iter()
        .map(|(name, env, prefix)| (name, Vec::new(), Some(env), 2, prefix));
    let cases = cases
        .into_iter()
        .map(|(name, extra, code, prefix)| (name, extra, None, code, prefix))
        .chain(env_cases)
        .collect::<Vec<_>>();
    assert!(cases.len() >= 30, "{} bad inputs", cases.len());
    // Each case its own snapshot date, so none resumes another's bronze.
    for (i, (name, extra, env, code, prefix)) in cases.into_iter().enumerate() {
        let first = chrono::NaiveDate::from_ymd_opt(2021, 4, 1).unwrap();
        let date = (first + chrono::Days::new(i as u64)).to_string();
        let mut cmd = ohs_command(work.path());
        cmd.arg("run").args(&extra);
        if let Some((key, value)) = env {
            cmd.env(key, value);
        }
        if !extra.iter().any(|a| a == "--snapshot-date") {
            cmd.args(["--snapshot-date", &date]);
        }
        if !extra.iter().any(|a| a == "--lake") {
            cmd.args(["--lake", &lake_arg]);
        }
        if !extra.iter().any(|a| a == "--offline") {
            cmd.args(["--offline", &arg(&good)]);
        }
        let out = cmd.output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{name}: {err}");
        let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("ohs: ")).collect();
        assert_eq!(errors.len(), 1, "{name}: one error line: {err}");
        assert!(
            errors[0].starts_with(&format!("ohs: {prefix}")),
            "{name}: {}",
            errors[0]
        );
        assert!(
            !err.contains("panicked") && !err.contains("backtrace"),
            "{name}: {err}"
        );
        assert!(
            published(&lake) == before,
            "{name}: published files changed"
        );
    }
}

#[test]
#[cfg_attr(
    not(feature = "failpoints"),
    ignore = "needs the failpoints feature: run `make test`"
)]
fn a_panic_is_one_line_and_exit_1() {
    let work = Workdir::new();
    work.config(&["alpha"]);
    let mut cmd = ohs_command(work.path());
    let out = cmd
        .args(["status"])
        .env("OHS_FAILPOINT", "panic")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.lines()
            .last()
            .unwrap()
            .starts_with("ohs: internal error (a bug, please report it): OHS_FAILPOINT=panic at "),
        "{err}"
    );
    assert!(!err.contains("RUST_BACKTRACE"), "{err}");
}

#[test]
#[cfg_attr(
    not(feature = "failpoints"),
    ignore = "needs the failpoints feature: run `make test`"
)]
fn status_and_validate_report_without_writing() {
    let work = Workdir::new();
    let pages = work.path().join("pages");
    record(&pages, 1);
    work.config(&["alpha", "beta"]);
    let lake = work.lake();
    let validate = |lake: &Path| {
        let mut cmd = ohs_command(work.path());
        cmd.args(["validate", "--lake"]).arg(lake).output().unwrap()
    };
    let out = validate(&lake);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("does not exist yet"));
    assert!(!lake.exists(), "validate created the lake");

    assert!(run(work.path(), &lake, &pages, D1, None).status.success());
    // Day 2 dies after its first bronze write (the six before take its leases), with no
    // org complete.
    let killed = run(work.path(), &lake, &pages, D2, Some(8));
    assert!(!killed.status.success());
    let before = data_files(&lake);
    let mut cmd = ohs_command(work.path());
    let out = cmd.args(["status", "--lake"]).arg(&lake).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    let day1 = table
        .lines()
        .find(|l| l.starts_with(D1))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(
        day1.contains("complete (2 orgs)")
            && day1.contains("yes     yes")
            && day1.contains("nothing new"),
        "{table}"
    );
    let day2 = table
        .lines()
        .find(|l| l.starts_with(D2))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(
        day2.contains("incomplete (0/") && day2.contains("extract "),
        "{table}"
    );
    assert!(table.contains("site/ shows: 2021-03-04"), "{table}");
    let out = validate(&lake);
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok (2 bronze snapshots)"));
    assert!(
        data_files(&lake) == before,
        "status or validate wrote to the lake"
    );
}
