//! The scheduling examples in `examples/` are valid for their tool and use only flags that
//! `ohs run` has.

use std::path::Path;
use std::process::Command;

use crate::common::{repo_root, Workdir};
use crate::servers::python;

fn example(name: &str) -> String {
    std::fs::read_to_string(repo_root().join("examples").join(name)).unwrap()
}

/// The flags `ohs run --help` documents.
fn run_flags() -> Vec<String> {
    let out = Workdir::new().ohs(&["run", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    help.split_whitespace()
        .filter(|w| w.starts_with("--"))
        .map(|w| {
            w.trim_end_matches(',')
                .split('=')
                .next()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// `--flags` given to `ohs run` on shell lines of `text`.
fn shell_flags(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.split_once("ohs run").map(|(_, rest)| rest))
        .flat_map(|rest| {
            rest.split_whitespace()
                .filter(|w| w.starts_with("--"))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `"--flags"` quoted in a Python example (its command list).
fn python_flags(text: &str) -> Vec<String> {
    text.split('"')
        .filter(|token| token.starts_with("--") && !token.contains(' '))
        .map(str::to_string)
        .collect()
}

fn assert_flags_exist(file: &str, flags: &[String]) {
    assert!(!flags.is_empty(), "{file}: no ohs flags found");
    let known = run_flags();
    for flag in flags {
        assert!(known.contains(flag), "{file}: ohs run has no {flag}");
    }
}

fn python_ok(args: &[&str]) {
    let out = Command::new(python()).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_crontab_line_is_valid_and_uses_real_flags() {
    let text = example("crontab");
    let entries: Vec<&str> = text.lines().filter(|l| l.contains("ohs run")).collect();
    assert_eq!(entries.len(), 1);
    for entry in &entries {
        let fields: Vec<&str> = entry.split_whitespace().take(5).collect();
        assert!(
            fields
                .iter()
                .all(|f| f.chars().all(|c| c.is_ascii_digit() || "*/,-".contains(c))),
            "not a cron schedule: {entry}"
        );
    }
    assert_flags_exist("crontab", &shell_flags(&text));
}

#[test]
fn the_github_actions_workflow_is_valid_yaml_with_a_schedule() {
    let path = repo_root().join("examples/github-actions.yml");
    let check =
        "import sys, yaml; w = yaml.safe_load(open(sys.argv[1])); on = w.get('on', w.get(True)); \
                 assert on['schedule'][0]['cron'], 'no schedule'; \
                 steps = w['jobs']['snapshot']['steps']; \
                 assert any('secrets.' in str(s.get('env', {})) for s in steps), 'no secrets'";
    python_ok(&["-c", check, path.to_str().unwrap()]);
    assert_flags_exist(
        "github-actions.yml",
        &shell_flags(&example("github-actions.yml")),
    );
}

#[test]
fn the_airflow_and_dagster_examples_compile_and_map_exit_codes() {
    for file in ["airflow_dag.py", "dagster_asset.py"] {
        let path = repo_root().join("examples").join(file);
        python_ok(&["-m", "py_compile", path.to_str().unwrap()]);
        let text = example(file);
        assert!(
            text.contains("RETRY_LATER = {3, 5}"),
            "{file}: exit codes 3 and 5 retry"
        );
        let mut flags = python_flags(&text);
        flags.push("--snapshot-date".into());
        assert_flags_exist(file, &flags);
    }
    assert!(Path::new(&repo_root().join("examples/README.md")).is_file());
}
