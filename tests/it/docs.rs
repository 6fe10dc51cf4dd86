//! The commands the README and `docs/` show, checked against the code so the docs cannot
//! drift: every `ohs …` command line (in a shell block or a code span) parses with ohs's own
//! command line, placeholders filled in, and the one the docs say is refused is refused; the
//! README's minimal configuration passes `ohs validate`, which runs offline; every DuckDB
//! and Python command runs on the sample's lake; the dbt commands are the ones `make test`
//! builds with.

use clap::Parser;
use open_health_stats::cli::Cli;

use crate::common::{assert_success, repo_root, Workdir};

/// The README and every page under `docs/`, each with its name.
fn pages() -> Vec<(String, String)> {
    let mut pages = vec!["README.md".to_string()];
    for entry in std::fs::read_dir(repo_root().join("docs")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if name.ends_with(".md") {
            pages.push(format!("docs/{name}"));
        }
    }
    pages.sort();
    pages
        .into_iter()
        .map(|p| {
            (
                p.clone(),
                std::fs::read_to_string(repo_root().join(&p)).unwrap(),
            )
        })
        .collect()
}

/// Every `ohs …` command line of `text`, without leading `VAR=value` assignments.
fn commands(text: &str) -> Vec<String> {
    shown_commands(text)
        .iter()
        .filter_map(|line| {
            let words: Vec<&str> = line
                .split_whitespace()
                .skip_while(|w| w.contains('=') && !w.starts_with('-'))
                .collect();
            let second = words.get(1)?;
            let is_command = words[0] == "ohs"
                && (second.starts_with('-') || second.chars().all(|c| c.is_ascii_lowercase()));
            is_command.then(|| words.join(" "))
        })
        .collect()
}

/// Every line of a shell block and every code span of `text`, cut at a comment or a pipe
/// outside quotes.
fn shown_commands(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    // Inside a fenced block, and whether it is a shell block.
    let mut block: Option<bool> = None;
    // A code span may run over a line break, never over a paragraph.
    let mut paragraph = String::new();
    let spans_of = |paragraph: &mut String, found: &mut Vec<String>| {
        found.extend(paragraph.split('`').skip(1).step_by(2).map(str::to_string));
        paragraph.clear();
    };
    for line in text.lines() {
        if let Some(fence) = line.trim_start().strip_prefix("```") {
            block = match block {
                None => Some(matches!(fence, "sh" | "bash" | "")),
                Some(_) => None,
            };
            continue;
        }
        match block {
            Some(true) => found.push(line.to_string()),
            Some(false) => {}
            None if line.trim().is_empty() => spans_of(&mut paragraph, &mut found),
            None => {
                paragraph.push(' ');
                paragraph.push_str(line);
            }
        }
    }
    spans_of(&mut paragraph, &mut found);
    found
        .iter()
        .map(|line| until_comment_or_pipe(line).trim().to_string())
        .filter(|line| !line.is_empty())
        .collect()
}

/// `line` up to a `#` or `|` that is not inside quotes.
fn until_comment_or_pipe(line: &str) -> &str {
    let mut quote = None;
    let mut escaped = false;
    for (at, c) in line.char_indices() {
        match (quote, c) {
            _ if escaped => escaped = false,
            (Some('"'), '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, '#' | '|') => return &line[..at],
            _ => {}
        }
    }
    line
}

/// `line` split into words as a POSIX shell does for these commands: whitespace outside
/// quotes separates, `'…'` is literal, and `"…"` keeps `\"` and `\\` as `"` and `\`.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => words.extend(word.take()),
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                w.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some(next @ ('"' | '\\' | '$' | '`')) => w.push(next),
                            Some(other) => w.extend(['\\', other]),
                            None => w.push('\\'),
                        },
                        other => w.push(other),
                    }
                }
            }
            other => word.get_or_insert_with(String::new).push(other),
        }
    }
    words.extend(word);
    words
}

/// The docs' placeholders, filled with values of their kind.
fn filled(command: &str) -> Vec<String> {
    command
        .split_whitespace()
        .map(|word| match word {
            "D" | "S" => "2024-11-03".to_string(),
            "I/N" => "1/2".to_string(),
            "<subcommand>" => "run".to_string(),
            other => other.replace('…', "bucket/ohs"),
        })
        .collect()
}

#[test]
fn every_ohs_command_in_the_docs_parses_with_the_command_line() {
    // What the docs show as refused, on purpose.
    let refused = ["ohs status --offline"];
    let mut checked = 0;
    for (page, text) in pages() {
        for command in commands(&text) {
            let parsed = Cli::try_parse_from(filled(&command));
            // Help and version end the parse, and a global flag alone (`ohs -v`) names no
            // subcommand: all three are the command line accepting what it was given.
            use clap::error::ErrorKind::{DisplayHelp, DisplayVersion, MissingSubcommand};
            let error = parsed.err();
            let accepted = error.as_ref().is_none_or(|e| {
                matches!(e.kind(), DisplayHelp | DisplayVersion | MissingSubcommand)
            });
            if refused.contains(&command.as_str()) {
                assert!(!accepted, "{page}: `{command}` is said to be refused");
            } else {
                let error = error.map(|e| e.to_string());
                assert!(accepted, "{page}: `{command}`: {error:?}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} commands found in the docs");
}

#[test]
fn the_readmes_minimal_configuration_passes_validate() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let block = readme
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the README shows a pipeline.toml");
    let work = Workdir::new();
    work.write("pipeline.toml", block);
    let out = work.ohs(&["validate"]);
    assert_success(&out);
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(said.contains("ok (2 organisations)"), "{said}");
}

#[test]
fn shell_words_split_as_the_shell_does() {
    assert_eq!(
        shell_words(r##"duckdb -c ".read x" -c "select 'a b'" python3 -c "print(\"#\")""##),
        [
            "duckdb",
            "-c",
            ".read x",
            "-c",
            "select 'a b'",
            "python3",
            "-c",
            "print(\"#\")"
        ]
    );
    assert_eq!(until_comment_or_pipe(r#"a "b # c" # d"#), r#"a "b # c" "#);
}

/// The DuckDB and Python commands the docs show, run as shown from a directory holding the
/// sample's `lake/` and the repository's `sql/`; DuckDB's through its Python package, as the
/// test machines have no DuckDB CLI (`tests/docs/duckdb_cli.py`).
#[test]
fn the_docs_duckdb_and_python_commands_run_on_the_sample_lake() {
    let work = Workdir::new();
    crate::common::run_sample(&work);
    std::os::unix::fs::symlink(repo_root().join("sql"), work.path().join("sql")).unwrap();
    let mut ran = Vec::new();
    for (page, text) in pages() {
        for line in shown_commands(&text) {
            let words = shell_words(&line);
            let (program, args) = match words.first().map(String::as_str) {
                Some("duckdb") => {
                    let sql: Vec<&str> = words[1..]
                        .chunks(2)
                        .map(|pair| {
                            assert_eq!(pair[0], "-c", "{page}: `{line}`: only -c is run");
                            pair[1].as_str()
                        })
                        .collect();
                    let script = repo_root().join("tests/docs/duckdb_cli.py");
                    let mut args = vec![script.to_string_lossy().into_owned()];
                    args.extend(sql.iter().map(|s| s.to_string()));
                    (crate::servers::python(), args)
                }
                Some("python3") => (crate::servers::python(), words[1..].to_vec()),
                _ => continue,
            };
            let out = std::process::Command::new(program)
                .args(&args)
                .current_dir(work.path())
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{page}: `{line}`: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            if words[0] == "duckdb" {
                let found: serde_json::Value = serde_json::from_str(&stdout).unwrap();
                let last = &found["rows"].as_array().unwrap().last().unwrap();
                assert!(
                    last.as_u64().unwrap() > 0,
                    "{page}: `{line}` returned no rows"
                );
            }
            ran.push(line);
        }
    }
    assert!(ran.len() >= 5, "ran only {ran:?}");
}

/// The `dbt build` commands the docs show, against the arguments `make test`'s dbt runs use
/// (`tests/dbt/check.py` and `check_spark.py`, run by `tests/it/dbt.rs`).
#[test]
fn the_docs_dbt_commands_are_the_ones_the_tests_build_with() {
    let mut shown = Vec::new();
    for (_, text) in pages() {
        for line in shown_commands(&text) {
            let words: Vec<String> = shell_words(&line)
                .into_iter()
                .skip_while(|w| w.contains('=') && !w.starts_with('-'))
                .collect();
            // `dbt build` alone, in prose, names the command rather than shows one.
            if words.first().map(String::as_str) == Some("dbt") && words.len() > 2 {
                shown.push(words[1..].join(" "));
            }
        }
    }
    shown.sort();
    shown.dedup();
    assert_eq!(
        shown,
        [
            "build --project-dir sql --profiles-dir sql",
            "build --project-dir sql --profiles-dir sql --target spark",
        ]
    );
    // Each as the Python list its script passes to dbt, `sql` being the script's `project`.
    for (script, args) in ["tests/dbt/check.py", "tests/dbt/check_spark.py"]
        .iter()
        .zip(&shown)
    {
        let as_python: Vec<String> = args
            .split(' ')
            .map(|w| match w {
                "sql" => "project".to_string(),
                word => format!("{word:?}"),
            })
            .collect();
        let text = std::fs::read_to_string(repo_root().join(script)).unwrap();
        let expected = as_python.join(", ");
        assert!(
            text.contains(&expected),
            "{script} does not run `dbt {args}`: {expected}"
        );
    }
}
