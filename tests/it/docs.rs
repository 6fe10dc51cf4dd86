//! The commands the README and `docs/` show, checked against the code so the docs cannot
//! drift: every `ohs …` command line (in a shell block or a code span) parses with ohs's own
//! command line, placeholders filled in, and the one the docs say is refused is refused; the
//! README's minimal configuration passes `ohs validate`, which runs offline.

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

/// Every `ohs …` command line of `text`: lines of shell blocks and code spans, cut at a
/// comment or a pipe, without leading `VAR=value` assignments.
fn commands(text: &str) -> Vec<String> {
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
        .filter_map(|line| {
            let line = line.split(['#', '|']).next()?.trim();
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
