//! The scheduling examples in `examples/` are valid for their tool and use only flags that
//! `ohs run` has.

use std::path::Path;
use std::process::Command;

use crate::common::{repo_root, Workdir};
use crate::servers::python;

fn example(name: &str) -> String {
    std::fs::read_to_string(repo_root().join("examples").join(name)).unwrap()
}

/// The flags `ohs <subcommand> --help` documents, for every subcommand the examples use.
fn known_flags() -> Vec<String> {
    let mut flags = Vec::new();
    for subcommand in ["run", "extract", "transform", "publish"] {
        let out = Workdir::new().ohs(&[subcommand, "--help"]);
        let help = String::from_utf8_lossy(&out.stdout).into_owned();
        flags.extend(
            help.split_whitespace()
                .filter(|w| w.starts_with("--"))
                .map(|w| {
                    w.trim_end_matches(',')
                        .split('=')
                        .next()
                        .unwrap()
                        .to_string()
                }),
        );
    }
    flags
}

/// `--flags` given to `ohs <subcommand>` on shell lines of `text`.
fn shell_flags(text: &str) -> Vec<String> {
    let subcommand = |rest: &&str| {
        ["run ", "extract ", "transform ", "publish "]
            .iter()
            .any(|s| rest.starts_with(s))
    };
    text.lines()
        .flat_map(|line| line.match_indices("ohs ").map(move |(i, _)| &line[i + 4..]))
        .filter(subcommand)
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
    let known = known_flags();
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
        assert!(
            entry.contains(" flock -n "),
            "no guard against a run overlapping the last: {entry}"
        );
    }
    assert_flags_exist("crontab", &shell_flags(&text));
}

#[test]
fn the_github_actions_workflow_fans_out_shards_on_one_date() {
    let path = repo_root().join("examples/github-actions.yml");
    let check = r#"
import sys, yaml
w = yaml.safe_load(open(sys.argv[1]))
on = w.get('on', w.get(True))
assert on['schedule'][0]['cron'], 'no schedule'
assert w['permissions'] == {'contents': 'read'}, 'least permissions'
jobs = w['jobs']
shards = jobs['extract']['strategy']['matrix']['shard']
assert shards == list(range(1, len(shards) + 1)), shards
run = jobs['extract']['steps'][-1]['run']
assert f'--shard ${{{{ matrix.shard }}}}/{len(shards)}' in run, run
date = '--snapshot-date ${{ needs.date.outputs.snapshot }}'
assert date in run, run
publish = jobs['publish']
assert set(publish['needs']) == {'date', 'extract'}, publish['needs']
script = publish['steps'][-1]['run']
assert script.count(date) == 2 and 'ohs transform' in script and 'ohs publish' in script, script
assert any('secrets.' in str(s.get('env', {})) for s in jobs['extract']['steps']), 'no secrets'
"#;
    python_ok(&["-c", check, path.to_str().unwrap()]);
    assert_flags_exist(
        "github-actions.yml",
        &shell_flags(&example("github-actions.yml")),
    );
}

/// Runs the function `name` of the Python example `file` on its own (the scheduler need not
/// be installed) with the argument expression `argument`, and returns what it returns.
fn call_example_function(file: &str, name: &str, argument: &str) -> String {
    let path = repo_root().join("examples").join(file);
    let script = format!(
        "import ast, sys, datetime\n\
         from datetime import date, timedelta, timezone\n\
         tree = ast.parse(open(sys.argv[1]).read())\n\
         fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == '{name}')\n\
         scope = {{'date': date, 'timedelta': timedelta}}\n\
         exec(compile(ast.Module([fn], []), sys.argv[1], 'exec'), scope)\n\
         print(scope['{name}']({argument}))\n"
    );
    let out = Command::new(python())
        .args(["-c", &script, path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn the_airflow_and_dagster_examples_fan_out_shards_on_the_day_github_is_asked() {
    for file in ["airflow_dag.py", "dagster_asset.py"] {
        let path = repo_root().join("examples").join(file);
        let parse = "import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])";
        python_ok(&["-c", parse, path.to_str().unwrap()]);
        let text = example(file);
        assert!(
            text.contains("RETRY_LATER = {3, 5, 6}"),
            "{file}: exit codes 3, 5 and 6 retry"
        );
        assert!(
            text.contains(r#""extract", "--shard", f"{shard}/{SHARDS}""#),
            "{file}: shards"
        );
        assert!(
            text.contains(r#""transform""#) && text.contains(r#""publish""#),
            "{file}"
        );
        let mut flags = python_flags(&text);
        flags.extend(["--snapshot-date".into(), "--shard".into()]);
        assert_flags_exist(file, &flags);
    }
    // Airflow's run for the interval [1 Dec 06:15, 2 Dec 06:15) starts on 2 Dec: its `ds`
    // is 1 Dec, but GitHub is asked on the 2nd, and that is the snapshot's date.
    let end = "datetime.datetime(2026, 12, 2, 6, 15, tzinfo=timezone.utc)";
    assert_eq!(
        call_example_function("airflow_dag.py", "snapshot_date", end),
        "2026-12-02"
    );
    assert!(
        !example("airflow_dag.py").contains("ds:"),
        "the DAG does not use ds"
    );
    // Dagster's partition 2026-12-01 ends, and runs, on 2 Dec.
    assert_eq!(
        call_example_function("dagster_asset.py", "snapshot_date", "'2026-12-01'"),
        "2026-12-02"
    );
    assert!(example("dagster_asset.py").contains("build_schedule_from_partitioned_job("));
    assert!(Path::new(&repo_root().join("examples/README.md")).is_file());
}
