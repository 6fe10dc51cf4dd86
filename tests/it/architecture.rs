//! The house's shape, checked from the source: no two files of `src/` import each other
//! through any chain, stages meet only in the command line, and a forge is reached only
//! through its seam (`forge::Adapter`), never by its folder's files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each module of `src/` (`extract::client::attempt`) and the modules its non-test code
/// names through `crate::` and `super::` paths.
fn import_map() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    collect(Path::new("src"), &mut files);
    let modules: BTreeMap<String, String> = files
        .iter()
        .map(|path| (module_of(path), std::fs::read_to_string(path).unwrap()))
        .collect();
    let known: BTreeSet<&str> = modules.keys().map(String::as_str).collect();
    modules
        .iter()
        .map(|(module, text)| {
            let code = without_tests_and_comments(text);
            let imports = paths_in(&code)
                .into_iter()
                .filter_map(|path| resolve(module, &path, &known))
                .filter(|target| target != module && !module.starts_with(&format!("{target}::")))
                .collect();
            (module.clone(), imports)
        })
        .collect()
}

fn collect(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// `src/extract/client/mod.rs` → `extract::client`; `src/lib.rs` → `` (the crate).
fn module_of(path: &Path) -> String {
    let relative = path.strip_prefix("src").unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts.join("::")
}

/// The code before its unit tests, without `//` comments (doc links are not imports).
fn without_tests_and_comments(text: &str) -> String {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    code.lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `crate::…` and `super::…` path, with one level of `{a, b::c}` expanded.
fn paths_in(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let bytes = code.as_bytes();
    let mut at = 0;
    while at < code.len() {
        let rest = &code[at..];
        let starts = rest.starts_with("crate::") || rest.starts_with("super::");
        let boundary = at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
        if !(starts && boundary) {
            at += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        let path = rest[..end].trim_end_matches(':');
        if rest[end..].starts_with('{') && rest[..end].ends_with("::") {
            let group = &rest[end + 1..rest[end..].find('}').map_or(rest.len(), |i| end + i)];
            for item in group.split(',') {
                let item = item.trim().split([' ', '{']).next().unwrap_or_default();
                if !item.is_empty() && item != "self" {
                    paths.push(format!("{path}::{item}"));
                }
            }
        }
        paths.push(path.to_string());
        at += end.max(1);
    }
    paths
}

/// The module `path`, named from `module`, refers to: its longest prefix that is a file.
fn resolve(module: &str, path: &str, known: &BTreeSet<&str>) -> Option<String> {
    let mut parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
    let mut base: Vec<&str> = Vec::new();
    if parts.first() == Some(&"crate") {
        parts.remove(0);
    } else {
        base = module.split("::").filter(|p| !p.is_empty()).collect();
        while parts.first() == Some(&"super") {
            parts.remove(0);
            base.pop();
        }
    }
    (0..=parts.len()).rev().find_map(|take| {
        let candidate = [&base[..], &parts[..take]].concat().join("::");
        known.contains(candidate.as_str()).then_some(candidate)
    })
}

/// The files of one cycle of imports, if there is any.
fn a_cycle(map: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        at: &str,
        map: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|m| m == at) {
            return Some(path[start..].to_vec());
        }
        if !done.insert(at.to_string()) {
            return None;
        }
        path.push(at.to_string());
        for next in map.get(at).into_iter().flatten() {
            if let Some(cycle) = visit(next, map, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    map.keys()
        .find_map(|module| visit(module, map, &mut Vec::new(), &mut done))
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or_default()
}

#[test]
fn no_file_imports_itself_through_others() {
    let map = import_map();
    assert!(map.len() > 50, "read the modules of src/: {}", map.len());
    assert!(
        map["transform::details"].contains("forge"),
        "the map sees imports"
    );
    // A file that names its own parent (`super::X` from `x/a.rs`) is allowed: that is a
    // module and its parts, not a circle. Circles are looked for between siblings and stages.
    let between: BTreeMap<String, BTreeSet<String>> = map
        .iter()
        .map(|(module, imports)| {
            let imports = imports
                .iter()
                .filter(|target| !module.starts_with(&format!("{target}::")))
                .filter(|target| !target.starts_with(&format!("{module}::")))
                .cloned()
                .collect();
            (module.clone(), imports)
        })
        .collect();
    assert_eq!(
        a_cycle(&between),
        None,
        "files that import each other in a circle"
    );
    let stages: BTreeMap<String, BTreeSet<String>> =
        map.iter()
            .fold(BTreeMap::new(), |mut m, (module, imports)| {
                let entry: &mut BTreeSet<String> = m.entry(top(module).to_string()).or_default();
                entry.extend(
                    imports
                        .iter()
                        .map(|t| top(t).to_string())
                        .filter(|t| t != top(module)),
                );
                m
            });
    assert_eq!(
        a_cycle(&stages),
        None,
        "top-level modules that import each other in a circle"
    );
}

#[test]
fn stages_meet_only_in_the_command_line_and_reach_a_forge_through_its_seam() {
    let map = import_map();
    let stages = ["extract", "transform", "publish", "report"];
    for (module, imports) in &map {
        let stage = top(module);
        for target in imports {
            let other = top(target);
            if stages.contains(&stage) && stages.contains(&other) {
                assert_eq!(stage, other, "{module} imports another stage: {target}");
            }
            let in_forge_folder =
                target.starts_with("forge::github") || target.starts_with("forge::gitlab");
            if in_forge_folder && stage != "forge" {
                panic!(
                    "{module} reaches into a forge's folder ({target}) instead of forge::Adapter"
                );
            }
            if stage == "forge" {
                assert!(
                    ![
                        "extract",
                        "bronze",
                        "transform",
                        "publish",
                        "report",
                        "lake",
                        "cli"
                    ]
                    .contains(&other),
                    "{module} (a forge) imports {target}: a forge is a source, below every stage"
                );
            }
            if stage == "bronze" {
                assert!(
                    !stages.contains(&other),
                    "{module} (bronze, the contract) imports {target}"
                );
            }
        }
    }
}
