//! GitHub's GraphQL API for the per-repository answers: up to 100 repositories a query by
//! their listing's `node_id`, their languages by size and, for those GitHub calls "Other",
//! their licence file's text read by path; each answer turned into the body REST would have
//! stored, so transform reads one form however an answer was fetched.
//!
//! What GraphQL cannot give as REST does is left to REST ([`BatchAnswer::AskAlone`]): the
//! licence file GitHub's detector chose, unless the root's file names make licensee's choice
//! certain and that file was read whole by its path ([`super::licence_file`]); the languages
//! of a repository with more than 100 of them (REST's `/languages` has no page size); and a
//! repository whose answer names another repository or carries an error of its own.

use std::collections::BTreeMap;

use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use url::Url;

use super::licence_file;
use crate::domain::RepoEndpoint;
use crate::forge::{BatchAnswer, BatchOutcome, RepoRef};

/// Repositories a query asks about: `nodes(ids:)` takes at most 100.
pub const MAX_REPOS: usize = 100;

/// `{api}/graphql`; GitHub Enterprise Server's REST API is `https://HOST/api/v3` and its
/// GraphQL API `https://HOST/api/graphql`.
pub fn url(api: &Url) -> Url {
    let mut url = api.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty();
    }
    let rest_v3 = url.path().ends_with("/api/v3");
    if let Ok(mut segments) = url.path_segments_mut() {
        if rest_v3 {
            segments.pop();
        }
        segments.push("graphql");
    }
    url.set_query(None);
    url
}

/// The query for `repos` and `endpoints`, as the JSON body to POST. A repository's licence
/// file is read only when its licence is asked (GitHub's "Other").
pub fn query(repos: &[&RepoRef], endpoints: &[RepoEndpoint]) -> Vec<u8> {
    let languages = endpoints.contains(&RepoEndpoint::Languages);
    let licences = endpoints.contains(&RepoEndpoint::License);
    let mut fields = vec!["databaseId".to_string()];
    if languages {
        fields.push(
            "languages(first: 100, orderBy: {field: SIZE, direction: DESC}) \
             { totalCount totalSize edges { size node { name } } }"
                .into(),
        );
    }
    if licences {
        fields.push("licenseInfo { spdxId key name }".into());
    }
    let all = format!("... on Repository {{ {} }}", fields.join(" "));
    let mut files = vec![
        "databaseId".to_string(),
        "root: object(expression: \"HEAD:\") { ... on Tree { entries { name mode } } }".into(),
    ];
    files.extend(
        licence_file::CANDIDATES
            .iter()
            .enumerate()
            .map(|(i, path)| {
                format!(
                    "f{i}: object(expression: \"HEAD:{path}\") \
                     {{ ... on Blob {{ text isBinary isTruncated byteSize }} }}"
                )
            }),
    );
    let other = format!("... on Repository {{ {} }}", files.join(" "));
    let (asked, others): (Vec<&str>, Vec<&str>) = (
        repos
            .iter()
            .map(|r| r.node_id.as_deref().unwrap_or(""))
            .collect(),
        repos
            .iter()
            .filter(|r| licences && r.licence_asked)
            .map(|r| r.node_id.as_deref().unwrap_or(""))
            .collect(),
    );
    let text = format!(
        "query($ids: [ID!]!, $others: [ID!]!) {{ repos: nodes(ids: $ids) {{ {all} }} \
         others: nodes(ids: $others) {{ {other} }} rateLimit {{ cost remaining resetAt }} }}"
    );
    let body = json!({"query": text, "variables": {"ids": asked, "others": others}});
    serde_json::to_vec(&body).unwrap_or_default()
}

#[derive(Deserialize)]
struct Response {
    data: Option<Data>,
    #[serde(default)]
    errors: Vec<GraphqlError>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(default)]
    repos: Vec<Option<Value>>,
    #[serde(default)]
    others: Vec<Option<Value>>,
    /// Read leniently: a hostile number here costs its count, never the answers.
    #[serde(rename = "rateLimit")]
    rate_limit: Option<Value>,
}

#[derive(Deserialize)]
struct GraphqlError {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    path: Vec<Value>,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct Languages {
    #[serde(rename = "totalCount")]
    total_count: u64,
    edges: Vec<LanguageEdge>,
}

#[derive(Deserialize)]
struct LanguageEdge {
    size: u64,
    node: LanguageName,
}

#[derive(Deserialize)]
struct LanguageName {
    name: String,
}

#[derive(Deserialize)]
struct Blob {
    text: Option<String>,
    #[serde(rename = "isBinary", default)]
    is_binary: Option<bool>,
    #[serde(rename = "isTruncated", default)]
    is_truncated: bool,
    #[serde(rename = "byteSize", default)]
    byte_size: Option<u64>,
}

#[derive(Deserialize)]
struct Tree {
    entries: Vec<TreeEntry>,
}

#[derive(Deserialize)]
struct TreeEntry {
    name: String,
    mode: u64,
}

/// What a query's answer says of each repository of `repos` and `endpoints`, in the bodies
/// REST would have stored. `Err` when the body is not a GraphQL answer at all.
pub fn answers(
    body: &[u8],
    repos: &[&RepoRef],
    endpoints: &[RepoEndpoint],
) -> Result<BatchOutcome, String> {
    let response: Response =
        serde_json::from_slice(body).map_err(|e| format!("not a GraphQL answer: {e}"))?;
    let mut outcome = BatchOutcome::default();
    for error in &response.errors {
        match error.kind.as_deref() {
            Some("RATE_LIMITED") => outcome.rate_limited = true,
            Some("RESOURCE_LIMITS_EXCEEDED") => outcome.too_heavy = true,
            Some("NOT_FOUND") => {}
            _ if error.path.is_empty() => {
                return Err(format!("GraphQL error: {}", error.message));
            }
            _ => {}
        }
    }
    let Some(data) = response.data else {
        if outcome.rate_limited || outcome.too_heavy {
            return Ok(outcome);
        }
        return Err("a GraphQL answer without data or a known error".into());
    };
    if let Some(limit) = &data.rate_limit {
        outcome.cost = limit.get("cost").and_then(Value::as_u64);
        outcome.remaining = limit.get("remaining").and_then(Value::as_u64);
    }
    // The errors at a path, by (list, index): NOT_FOUND, or any other.
    let at = |list: &str, index: usize| {
        let here = |e: &&GraphqlError| {
            e.path.first().and_then(Value::as_str) == Some(list)
                && e.path.get(1).and_then(Value::as_u64) == Some(index as u64)
        };
        let errors: Vec<&GraphqlError> = response.errors.iter().filter(here).collect();
        let not_found = errors
            .iter()
            .any(|e| e.kind.as_deref() == Some("NOT_FOUND"));
        (not_found, errors.len())
    };
    let is = |node: &Value, repo: &RepoRef| {
        node.get("databaseId").and_then(Value::as_u64) == Some(repo.id)
    };
    let mut others = data.others.iter().enumerate();
    for (index, repo) in repos.iter().enumerate() {
        let node = data.repos.get(index).and_then(Option::as_ref);
        let (not_found, errors) = at("repos", index);
        // Deleted since it was listed: REST's 404. Any other error, or an answer about
        // another repository, is REST's to answer.
        let gone = node.is_none() && not_found;
        let node = node.filter(|node| errors == 0 && is(node, repo));
        let licence_asked = endpoints.contains(&RepoEndpoint::License) && repo.licence_asked;
        let other = licence_asked
            .then(|| others.next())
            .flatten()
            .and_then(|(j, other)| other.as_ref().filter(|_| at("others", j).1 == 0))
            .filter(|other| is(other, repo));
        for &endpoint in endpoints {
            let answer = match (gone, node, endpoint) {
                (true, _, _) => BatchAnswer::Missing,
                (false, None, _) => BatchAnswer::AskAlone,
                (false, Some(node), RepoEndpoint::Languages) => languages_answer(node),
                (false, Some(_), RepoEndpoint::License) if !repo.licence_asked => continue,
                (false, Some(_), RepoEndpoint::License) => licence_answer(other),
            };
            outcome.answers.push((repo.id, endpoint, answer));
        }
    }
    Ok(outcome)
}

/// REST's `/languages` body (`{"Python": 1234}`), or REST when GraphQL gave one page of many.
fn languages_answer(node: &Value) -> BatchAnswer {
    let Some(Ok(languages)) = node
        .get("languages")
        .map(|l| serde_json::from_value::<Languages>(l.clone()))
    else {
        return BatchAnswer::AskAlone;
    };
    if languages.total_count > languages.edges.len() as u64 {
        return BatchAnswer::AskAlone;
    }
    let bytes: BTreeMap<String, u64> = languages
        .edges
        .into_iter()
        .map(|e| (e.node.name, e.size))
        .collect();
    BatchAnswer::Body(serde_json::to_string(&bytes).unwrap_or_default())
}

/// REST's `/license` body for the file licensee would choose, when the root's names make
/// the choice certain and the file was read whole; otherwise REST, which knows the file.
fn licence_answer(other: Option<&Value>) -> BatchAnswer {
    let read = |other: &Value| -> Option<String> {
        let root: Tree = serde_json::from_value(other.get("root")?.clone()).ok()?;
        let entries = root.entries.iter().map(|e| (e.name.as_str(), e.mode));
        let name = licence_file::chosen(entries)?;
        let index = licence_file::CANDIDATES.iter().position(|c| *c == name)?;
        let blob: Blob = serde_json::from_value(other.get(format!("f{index}"))?.clone()).ok()?;
        let text = blob.text?;
        let whole = blob.is_binary == Some(false)
            && !blob.is_truncated
            && blob.byte_size == Some(text.len() as u64);
        whole.then(|| {
            let content = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
            json!({"path": name, "content": content, "encoding": "base64"}).to_string()
        })
    };
    match other.and_then(read) {
        Some(body) => BatchAnswer::Body(body),
        None => BatchAnswer::AskAlone,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(id: u64, licence_asked: bool) -> RepoRef {
        RepoRef {
            id,
            full_name: format!("o/r{id}"),
            node_id: Some(format!("R_{id}")),
            licence_asked,
            listing_facts: None,
            changed_at: None,
        }
    }

    #[test]
    fn the_graphql_api_is_beside_the_rest_api() {
        let url = |api: &str| super::url(&Url::parse(api).unwrap()).to_string();
        assert_eq!(
            url("https://api.github.com"),
            "https://api.github.com/graphql"
        );
        assert_eq!(
            url("https://ghe.example.nhs.uk/api/v3/"),
            "https://ghe.example.nhs.uk/api/graphql"
        );
        assert_eq!(url("http://127.0.0.1:9/"), "http://127.0.0.1:9/graphql");
    }

    #[test]
    fn answers_become_rest_bodies_and_errors_are_read_per_path() {
        let (a, b, c) = (repo(1, true), repo(2, false), repo(3, true));
        let both = [RepoEndpoint::License, RepoEndpoint::Languages];
        let query: Value = serde_json::from_slice(&query(&[&a, &b, &c], &both)).unwrap();
        assert_eq!(query["variables"]["ids"], json!(["R_1", "R_2", "R_3"]));
        assert_eq!(query["variables"]["others"], json!(["R_1", "R_3"]));
        let many: Vec<Value> = (0..100)
            .map(|i| json!({"size": 1, "node": {"name": format!("L{i}")}}))
            .collect();
        let body = json!({
            "data": {
                "repos": [
                    {"databaseId": 1, "languages": {"totalCount": 2, "totalSize": 30,
                        "edges": [{"size": 20, "node": {"name": "Rust"}}, {"size": 10, "node": {"name": "C"}}]}},
                    {"databaseId": 2, "languages": {"totalCount": 101, "totalSize": 101, "edges": many}},
                    null
                ],
                "others": [{"databaseId": 1, "root": {"entries": [
                    {"name": "README.md", "mode": 33188}, {"name": "LICENCE", "mode": 33188}]},
                    "f0": null, "f1": {"text": "Licence text", "isBinary": false, "isTruncated": false, "byteSize": 12}}, null],
                "rateLimit": {"cost": 1, "remaining": 4999, "resetAt": "2030-01-01T00:00:00Z"}
            },
            "errors": [{"type": "NOT_FOUND", "path": ["repos", 2], "message": "gone"},
                       {"type": "NOT_FOUND", "path": ["others", 1], "message": "gone"}]
        });
        let outcome = answers(body.to_string().as_bytes(), &[&a, &b, &c], &both).unwrap();
        assert_eq!((outcome.cost, outcome.remaining), (Some(1), Some(4999)));
        let of = |id, endpoint| {
            outcome
                .answers
                .iter()
                .find(|(i, e, _)| *i == id && *e == endpoint)
                .map(|(_, _, answer)| answer.clone())
        };
        assert_eq!(
            of(1, RepoEndpoint::Languages),
            Some(BatchAnswer::Body(r#"{"C":10,"Rust":20}"#.into()))
        );
        let BatchAnswer::Body(licence) = of(1, RepoEndpoint::License).unwrap() else {
            panic!()
        };
        let licence: Value = serde_json::from_str(&licence).unwrap();
        assert_eq!(licence["path"], "LICENCE");
        assert_eq!(licence["content"], "TGljZW5jZSB0ZXh0");
        assert_eq!(
            of(2, RepoEndpoint::Languages),
            Some(BatchAnswer::AskAlone),
            "101 languages"
        );
        assert_eq!(
            of(2, RepoEndpoint::License),
            None,
            "not asked: not \"Other\""
        );
        assert_eq!(of(3, RepoEndpoint::Languages), Some(BatchAnswer::Missing));
        assert_eq!(of(3, RepoEndpoint::License), Some(BatchAnswer::Missing));
    }

    #[test]
    fn an_answer_about_another_repository_or_with_its_own_error_goes_to_rest() {
        let (a, b) = (repo(1, true), repo(2, true));
        let both = [RepoEndpoint::Languages, RepoEndpoint::License];
        let languages = json!({"totalCount": 1, "totalSize": 5, "edges": [{"size": 5, "node": {"name": "Go"}}]});
        let file = |id| {
            json!({"databaseId": id, "root": {"entries": [{"name": "LICENSE", "mode": 33188}]},
            "f0": {"text": "MIT", "isBinary": false, "isTruncated": false, "byteSize": 3}})
        };
        let body = json!({
            "data": {
                "repos": [{"databaseId": 7, "languages": languages}, {"databaseId": 2, "languages": languages}],
                "others": [file(1), file(2)]
            },
            "errors": [{"type": "FORBIDDEN", "path": ["others", 1, "f0"], "message": "no"}]
        });
        let outcome = answers(body.to_string().as_bytes(), &[&a, &b], &both).unwrap();
        let answer = |id, endpoint| {
            outcome
                .answers
                .iter()
                .find(|(i, e, _)| *i == id && *e == endpoint)
                .unwrap()
                .2
                .clone()
        };
        assert_eq!(
            answer(1, RepoEndpoint::Languages),
            BatchAnswer::AskAlone,
            "databaseId 7 is not 1"
        );
        assert!(matches!(
            answer(1, RepoEndpoint::License),
            BatchAnswer::AskAlone
        ));
        assert!(matches!(
            answer(2, RepoEndpoint::Languages),
            BatchAnswer::Body(_)
        ));
        assert_eq!(
            answer(2, RepoEndpoint::License),
            BatchAnswer::AskAlone,
            "an error at its file"
        );
        // A licence file read whole, but not the one licensee would choose: REST.
        let other = json!({"databaseId": 2, "root": {"entries": [{"name": "COPYING", "mode": 33188},
            {"name": "License.md", "mode": 33188}]},
            "f14": {"text": "GPL", "isBinary": false, "isTruncated": false, "byteSize": 3}});
        assert_eq!(licence_answer(Some(&other)), BatchAnswer::AskAlone);
        let other = json!({"databaseId": 2, "root": {"entries": [{"name": "LICENSE", "mode": 33188}]},
            "f0": {"text": "café", "isBinary": false, "isTruncated": false, "byteSize": 9}});
        assert_eq!(
            licence_answer(Some(&other)),
            BatchAnswer::AskAlone,
            "not the file's bytes"
        );
    }

    #[test]
    fn limits_and_malformed_answers_are_told_apart() {
        let repos = [repo(1, false)];
        let heavy =
            json!({"data": null, "errors": [{"type": "RESOURCE_LIMITS_EXCEEDED", "message": "x"}]});
        let outcome = answers(
            heavy.to_string().as_bytes(),
            &[&repos[0]],
            &[RepoEndpoint::Languages],
        );
        assert!(outcome.unwrap().too_heavy);
        let spent =
            json!({"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]});
        let outcome = answers(
            spent.to_string().as_bytes(),
            &[&repos[0]],
            &[RepoEndpoint::Languages],
        );
        assert!(outcome.unwrap().rate_limited);
        let broken = json!({"errors": [{"message": "Parse error on \"}\""}]});
        let err = answers(
            broken.to_string().as_bytes(),
            &[&repos[0]],
            &[RepoEndpoint::Languages],
        );
        assert!(err.unwrap_err().contains("Parse error"));
        assert!(answers(b"<html>", &[&repos[0]], &[RepoEndpoint::Languages]).is_err());
        let hostile = json!({"data": {"repos": [], "others": [], "rateLimit": {"cost": -5, "remaining": 1e300}}});
        let outcome = answers(
            hostile.to_string().as_bytes(),
            &[&repos[0]],
            &[RepoEndpoint::Languages],
        );
        assert!(outcome.is_err() || outcome.unwrap().cost.is_none());
    }
}
