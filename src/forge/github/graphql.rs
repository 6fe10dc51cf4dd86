//! GitHub's GraphQL API for the per-repository answers: up to 100 repositories a query by
//! their listing's `node_id`, their languages by size and, for those GitHub calls "Other",
//! their licence file's text read by path; each answer turned into the body REST would have
//! stored, so transform reads one form however an answer was fetched.
//!
//! What GraphQL cannot give as REST does is left to REST ([`BatchAnswer::AskAlone`]): the
//! licence file GitHub's detector chose (GraphQL reads a file by path, so the common names
//! are tried in licensee's order of preference, and a repository whose file has another
//! name, is binary or is over GraphQL's text limit is asked `/license`), and the languages
//! of a repository with more than 100 of them (REST's `/languages` has no page size).

use std::collections::BTreeMap;

use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use url::Url;

use crate::domain::RepoEndpoint;
use crate::forge::{BatchAnswer, BatchOutcome, RepoRef};

/// Repositories a query asks about: `nodes(ids:)` takes at most 100.
pub const MAX_REPOS: usize = 100;

/// Licence file names, in the order licensee prefers them, that a query reads by path.
const LICENCE_PATHS: [&str; 8] = [
    "LICENSE",
    "LICENCE",
    "LICENSE.md",
    "LICENSE.txt",
    "LICENCE.md",
    "LICENCE.txt",
    "COPYING",
    "license",
];

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
    let files: Vec<String> = LICENCE_PATHS
        .iter()
        .enumerate()
        .map(|(i, path)| {
            format!(
                "f{i}: object(expression: \"HEAD:{path}\") {{ ... on Blob {{ text isBinary isTruncated }} }}"
            )
        })
        .collect();
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
    #[serde(rename = "rateLimit")]
    rate_limit: Option<RateLimit>,
}

#[derive(Deserialize)]
struct RateLimit {
    cost: Option<u64>,
    remaining: Option<u64>,
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
        outcome.cost = limit.cost;
        outcome.remaining = limit.remaining;
    }
    let missing = |list: &str, index: usize| {
        response.errors.iter().any(|e| {
            e.kind.as_deref() == Some("NOT_FOUND")
                && e.path.first().and_then(Value::as_str) == Some(list)
                && e.path.get(1).and_then(Value::as_u64) == Some(index as u64)
        })
    };
    let mut others = data.others.iter();
    for (index, repo) in repos.iter().enumerate() {
        let node = data.repos.get(index).and_then(Option::as_ref);
        let gone = node.is_none() && missing("repos", index);
        let other = (endpoints.contains(&RepoEndpoint::License) && repo.licence_asked)
            .then(|| others.next().and_then(Option::as_ref))
            .flatten();
        for &endpoint in endpoints {
            let answer = match (gone, node, endpoint) {
                // Deleted since it was listed: REST's 404.
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

/// REST's `/license` body for the first licence file found by path, or REST (which knows
/// the file GitHub's detector chose) when none was, or it was binary or truncated.
fn licence_answer(other: Option<&Value>) -> BatchAnswer {
    let found = other.and_then(|node| {
        LICENCE_PATHS.iter().enumerate().find_map(|(i, path)| {
            let blob = node.get(format!("f{i}"))?;
            let blob: Blob = serde_json::from_value(blob.clone()).ok()?;
            Some((path, blob))
        })
    });
    match found {
        Some((path, blob)) if blob.is_binary != Some(true) && !blob.is_truncated => {
            let Some(text) = blob.text else {
                return BatchAnswer::AskAlone;
            };
            let content = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
            let body = json!({"path": path, "content": content, "encoding": "base64"});
            BatchAnswer::Body(body.to_string())
        }
        _ => BatchAnswer::AskAlone,
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
                "others": [{"f0": null, "f1": {"text": "Licence text", "isBinary": false, "isTruncated": false}}, null],
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
