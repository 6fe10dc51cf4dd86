//! The binary's contract: help, exit codes and one-line errors for bad input.

use crate::common::{assert_success, stderr, RepoJson, Workdir};

#[test]
fn help_names_every_stage_and_the_exit_codes() {
    let work = Workdir::new();
    let out = work.ohs(&["--help"]);
    assert_success(&out);
    let help = String::from_utf8_lossy(&out.stdout);
    for word in [
        "run",
        "extract",
        "transform",
        "publish",
        "report",
        "Exit codes:",
        "--config",
        "--lake",
    ] {
        assert!(help.contains(word), "help lacks {word}:\n{help}");
    }
    // A subcommand's own flags are in its help (each_subcommand_help_shows_exactly_its_flags).
    assert!(!help.contains("--offline"), "{help}");
}

/// Asserts a failure with `code` whose stderr ends in one error line `ohs: <prefix>…`
/// (after any progress logs).
fn assert_fails(out: &std::process::Output, code: i32, prefix: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("ohs: ")).collect();
    assert_eq!(errors.len(), 1, "one error line expected: {err}");
    assert_eq!(
        err.lines().last(),
        Some(errors[0]),
        "the error comes last: {err}"
    );
    assert!(
        errors[0].starts_with(&format!("ohs: {prefix}")),
        "{err:?} should start with ohs: {prefix}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_configs_and_flags_exit_2_with_one_line() {
    let work = Workdir::new();
    work.write("empty.toml", "");
    work.write(
        "unknown.toml",
        "[[orgs]]\nlogin = \"nhsx\"\n[lake]\nroot = \"x\"\nbucket = 1\n",
    );
    work.write("invalid.toml", "[[orgs]\n");
    work.write(
        "dup.toml",
        "[[orgs]]\nlogin = \"NHSX\"\n[[orgs]]\nlogin = \"nhsx\"\n",
    );
    work.write("login.toml", "[[orgs]]\nlogin = \"nhs x\"\n");
    work.write("ok.toml", "[[orgs]]\nlogin = \"nhsx\"\n");
    let cases: [(&[&str], &str); 9] = [
        (
            &["run", "--config", "missing.toml"],
            "config missing.toml: cannot read",
        ),
        (
            &["run", "--config", "empty.toml"],
            "config empty.toml: orgs: no organisations configured",
        ),
        (
            &["run", "--config", "unknown.toml"],
            "config unknown.toml: line 5, column 1: unknown field `bucket`",
        ),
        (
            &["run", "--config", "invalid.toml"],
            "config invalid.toml: line 1",
        ),
        (
            &["run", "--config", "dup.toml"],
            "config dup.toml: orgs: duplicate login",
        ),
        (
            &["run", "--config", "login.toml"],
            "config login.toml: orgs[0].login: invalid login \"nhs x\"",
        ),
        (
            &[
                "run",
                "--config",
                "ok.toml",
                "--snapshot-date",
                "2021-02-30",
            ],
            "--snapshot-date: invalid date",
        ),
        (
            &[
                "run",
                "--config",
                "ok.toml",
                "--snapshot-date",
                "2999-01-01",
            ],
            "--snapshot-date: 2999-01-01 is in the future",
        ),
        (
            &["run", "--config", "ok.toml", "--lake", "ftp://host/x"],
            "lake ftp://host/x: unsupported scheme",
        ),
    ];
    for (args, prefix) in cases {
        assert_fails(&work.ohs(args), 2, prefix);
    }
}

#[test]
fn an_unreadable_page_exits_4_naming_org_and_page() {
    let work = Workdir::new();
    work.record_pages(
        "nhsx",
        &[vec![RepoJson::new(1, "nhsx", "2020-01-01T00:00:00Z")]],
    );
    std::fs::write(
        work.pages_dir().join("nhsx/page-2.json"),
        "<html>502 Bad Gateway</html>",
    )
    .unwrap();
    work.config(&["nhsx"]);
    let out = work.run_offline("2021-03-04");
    assert_fails(
        &out,
        4,
        "extract: org nhsx: page 2: not a JSON array of repository objects",
    );
    assert!(
        !work.lake().join("site").exists(),
        "nothing may be published"
    );
}

#[test]
fn a_repo_with_a_bad_field_exits_4_naming_org_page_and_repo() {
    let work = Workdir::new();
    work.record_pages("nhsx", &[vec![RepoJson::new(7, "nhsx", "not-a-date")]]);
    work.config(&["nhsx"]);
    let out = work.run_offline("2021-03-04");
    assert_fails(
        &out,
        4,
        "transform: org nhsx page 1: repo #1 (nhsx/repo-7): created_at: ",
    );
    assert!(
        !work.lake().join("site").exists(),
        "nothing may be published"
    );
}

#[test]
fn an_org_missing_from_the_recording_is_named() {
    let work = Workdir::new();
    std::fs::create_dir_all(work.pages_dir()).unwrap();
    work.config(&["nhsx"]);
    let out = work.run_offline("2021-03-04");
    assert_fails(&out, 2, "extract: org nhsx: no recorded pages in");
}

#[test]
fn with_json_logs_every_line_on_stderr_is_json_the_failure_too() {
    let work = Workdir::new();
    work.write("empty.toml", "");
    let out = work.ohs(&["run", "--config", "empty.toml", "--log-format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let events: Vec<serde_json::Value> = err
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert_eq!(events.len(), 1, "{err}");
    assert_eq!(events[0]["level"], "ERROR");
    assert_eq!(events[0]["exit_code"], 2);
    assert_eq!(
        events[0]["error"],
        "config empty.toml: orgs: no organisations configured"
    );
}

#[test]
fn verbosity_flags_beat_rust_log() {
    let work = Workdir::new();
    crate::common::run_sample(&work);
    let lake = work.lake();
    let config = crate::common::repo_root().join("pipeline.toml");
    let status = |extra: &[&str]| {
        let mut cmd = crate::common::ohs_command(work.path());
        cmd.args(extra)
            .args(["transform", "--config", config.to_str().unwrap(), "--lake"])
            .arg(&lake)
            .args([
                "--snapshot-date",
                "2021-03-04",
                "--orgs",
                crate::common::SAMPLE_ORGS,
            ])
            .env("RUST_LOG", "error");
        cmd.output().unwrap()
    };
    let quiet = status(&[]);
    assert!(quiet.status.success(), "{}", stderr(&quiet));
    assert!(
        !stderr(&quiet).contains("transform complete"),
        "RUST_LOG=error holds without flags"
    );
    let verbose = status(&["-v"]);
    assert!(verbose.status.success(), "{}", stderr(&verbose));
    assert!(
        stderr(&verbose).contains("transform complete"),
        "-v beats RUST_LOG=error"
    );
    assert!(
        stderr(&verbose).contains("step timed"),
        "debug events shown with -v"
    );
}

#[test]
fn status_json_says_what_each_snapshot_holds_and_what_the_site_shows() {
    let work = Workdir::new();
    crate::common::run_sample(&work);
    let lake = work.lake();
    let config = crate::common::repo_root().join("pipeline.toml");
    let config = config.to_str().unwrap();
    let out = work.ohs(&[
        "status",
        "--json",
        "--config",
        config,
        "--lake",
        lake.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["site_shows"], "2021-03-04");
    let snapshot = &status["snapshots"][0];
    assert_eq!(snapshot["date"], "2021-03-04");
    assert_eq!(snapshot["orgs_complete"], 7);
    assert!(snapshot["repos"].as_u64().unwrap() > 300, "{snapshot}");
    assert_eq!(
        (
            snapshot["staged"].as_bool(),
            snapshot["published"].as_bool()
        ),
        (Some(true), Some(true))
    );
    assert_eq!(
        snapshot["rerun"],
        "nothing new: every published object is already there"
    );
}

#[test]
fn every_subcommands_help_shows_an_example() {
    for subcommand in [
        "run",
        "extract",
        "transform",
        "publish",
        "report",
        "status",
        "validate",
    ] {
        let out = Workdir::new().ohs(&[subcommand, "--help"]);
        let help = String::from_utf8_lossy(&out.stdout);
        let example = help.split("Example:\n  ").nth(1).unwrap_or_default();
        assert!(
            example.contains(&format!("ohs {subcommand} ")),
            "{subcommand}: {help}"
        );
    }
}

#[test]
fn a_key_from_the_environment_is_checked_like_the_file_and_named() {
    let work = Workdir::new();
    work.config(&["nhsx"]);
    let mut validate = crate::common::ohs_command(work.path());
    validate
        .args(["validate"])
        .env("OHS_GITHUB_MAX_RETRIES", "many");
    let out = validate.output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("OHS_GITHUB_MAX_RETRIES"),
        "{}",
        stderr(&out)
    );
    let mut validate = crate::common::ohs_command(work.path());
    validate
        .args(["validate"])
        .env("OHS_GITHUB_MAX_RETRIES", "0");
    assert_success(&validate.output().unwrap());
}

#[test]
fn a_flag_given_to_a_subcommand_that_does_not_use_it_is_refused() {
    let work = Workdir::new();
    work.config(&["nhsx"]);
    let out = work.ohs(&["status", "--offline", "pages"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("unexpected argument '--offline' found"),
        "{}",
        stderr(&out)
    );
    // From the environment it is fine: an orchestrator sets one for every step.
    let mut status = crate::common::ohs_command(work.path());
    status.args(["status"]).env("OHS_OFFLINE", "pages");
    assert_success(&status.output().unwrap());
}

/// Each subcommand's `--help` lists the flags it takes and no other.
#[test]
fn each_subcommand_help_shows_exactly_its_flags() {
    let scoped = [
        "--snapshot-date",
        "--orgs",
        "--github-api",
        "--gitlab-api",
        "--offline",
        "--publish-target",
    ];
    let takes: [(&str, &[&str]); 7] = [
        ("run", &scoped),
        ("extract", &scoped[..5]),
        (
            "transform",
            &[
                "--snapshot-date",
                "--orgs",
                "--gitlab-api",
                "--publish-target",
            ],
        ),
        ("publish", &["--snapshot-date", "--publish-target"]),
        ("report", &["--snapshot-date", "--publish-target"]),
        ("status", &["--publish-target"]),
        (
            "validate",
            &["--orgs", "--github-api", "--gitlab-api", "--publish-target"],
        ),
    ];
    let work = Workdir::new();
    for (command, flags) in takes {
        let out = work.ohs(&[command, "--help"]);
        assert_success(&out);
        let help = String::from_utf8(out.stdout).unwrap();
        for flag in scoped {
            let shown = help.contains(&format!("{flag} <"));
            assert_eq!(
                shown,
                flags.contains(&flag),
                "ohs {command} --help and {flag}:\n{help}"
            );
        }
        for flag in ["--config", "--lake", "--log-format", "--verbose", "--quiet"] {
            assert!(help.contains(flag), "ohs {command} --help lacks {flag}");
        }
    }
}
