//! The per-repository answers through GitHub's GraphQL API, against a mock of its documented
//! shapes (`nodes(ids:)` with `languages`, `licenseInfo`, licence files read by path, and
//! `rateLimit`; errors per path): batches of 1, 100 and 101; a repository with more than 100
//! languages; a repository deleted since the listing (`NOT_FOUND`); a batch too heavy
//! (`RESOURCE_LIMITS_EXCEEDED`) or failing with a 502, split and asked again; the budget
//! running out; the token nowhere in the lake; and outputs byte-identical to the all-REST
//! path over the same repositories.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use base64::Engine;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

use crate::common::{assert_success, grep_tree, stderr, RepoJson, Workdir};
use crate::github_mock::{run_online, MockGithub, OrgListing};

const DAY: &str = "2021-03-04";
const ORG: &str = "nhs-g";
const TOKEN: &str = "ghp_graphqlTestToken0123456789";
const OGL: &str = include_str!("../fixtures/licences/OGL-UK-3.0.txt");

/// One repository as the mock knows it.
#[derive(Clone)]
struct Repo {
    id: u64,
    languages: BTreeMap<String, u64>,
    /// "Other", with this text as its `LICENSE`.
    licence_text: Option<String>,
    /// Listed, but deleted before its answers are asked.
    deleted: bool,
}

impl Repo {
    fn node_id(&self) -> String {
        format!("R_{}", self.id)
    }

    fn full_name(&self) -> String {
        format!("{ORG}/repo-{}", self.id)
    }

    fn listing_json(&self) -> Value {
        let mut repo = RepoJson::new(self.id, ORG, "2020-01-01T00:00:00Z").language("Python");
        if self.licence_text.is_some() {
            repo = repo.license("Other");
        }
        let mut json = repo.to_json();
        json["node_id"] = json!(self.node_id());
        json
    }
}

/// `count` repositories: every seventh "Other" with an OGL text, the given one with
/// `many_languages` languages, and `deleted` gone before its answers are asked.
fn repos(count: u64, many_languages: Option<u64>, deleted: Option<u64>) -> Vec<Repo> {
    (1..=count)
        .map(|n| {
            let id = 900_000 + n;
            let languages = match many_languages {
                Some(m) if m == n => (0..101)
                    .map(|l| (format!("Lang{l:03}"), 1000 + l))
                    .collect(),
                _ => BTreeMap::from([("Python".to_string(), 1000 * n), ("Shell".to_string(), n)]),
            };
            Repo {
                id,
                languages,
                licence_text: (n % 7 == 0).then(|| format!("Crown copyright {n}\n\n{OGL}")),
                deleted: deleted == Some(n),
            }
        })
        .collect()
}

/// How the mock misbehaves.
#[derive(Default)]
struct Faults {
    /// A query for more repositories than this fails with `RESOURCE_LIMITS_EXCEEDED`.
    too_heavy_over: Option<usize>,
    /// A query for more repositories than this answers 502.
    bad_gateway_over: Option<usize>,
    /// The first this many queries find the hour's points spent.
    rate_limited: usize,
    /// When the spent hour resets, in seconds from now (1 unless set).
    reset_in_secs: Option<i64>,
}

struct GraphqlMock {
    repos: BTreeMap<String, Repo>,
    faults: Faults,
    queries: Arc<AtomicUsize>,
    sizes: Arc<std::sync::Mutex<Vec<usize>>>,
}

impl Respond for GraphqlMock {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let n = self.queries.fetch_add(1, Ordering::Relaxed);
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let ids: Vec<String> = serde_json::from_value(body["variables"]["ids"].clone()).unwrap();
        let others: Vec<String> =
            serde_json::from_value(body["variables"]["others"].clone()).unwrap();
        self.sizes.lock().unwrap().push(ids.len());
        let query = body["query"].as_str().unwrap();
        assert!(
            query.contains("nodes(ids: $ids)") && query.contains("rateLimit"),
            "{query}"
        );
        if n < self.faults.rate_limited {
            let reset = chrono::Utc::now().timestamp() + self.faults.reset_in_secs.unwrap_or(1);
            return ResponseTemplate::new(200)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.to_string().as_str())
                .set_body_json(json!({"errors": [{"type": "RATE_LIMITED",
                    "message": "API rate limit exceeded for user ID 1."}]}));
        }
        if self
            .faults
            .bad_gateway_over
            .is_some_and(|max| ids.len() > max)
        {
            return ResponseTemplate::new(502).set_body_json(json!({"message": "Bad gateway"}));
        }
        if self
            .faults
            .too_heavy_over
            .is_some_and(|max| ids.len() > max)
        {
            return ResponseTemplate::new(200).set_body_json(json!({"data": null, "errors": [
                {"type": "RESOURCE_LIMITS_EXCEEDED", "message": "Resource limits for this query exceeded."}]}));
        }
        let mut errors = Vec::new();
        let mut nodes = |list: &str, ids: &[String], node: &dyn Fn(&Repo) -> Value| -> Vec<Value> {
            ids.iter()
                .enumerate()
                .map(|(i, id)| match self.repos.get(id).filter(|r| !r.deleted) {
                    Some(repo) => node(repo),
                    None => {
                        errors.push(json!({"type": "NOT_FOUND", "path": [list, i],
                            "message": format!("Could not resolve to a node with the global id of '{id}'")}));
                        Value::Null
                    }
                })
                .collect()
        };
        let repos = nodes("repos", &ids, &|repo| {
            let mut by_size: Vec<(&String, &u64)> = repo.languages.iter().collect();
            by_size.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let edges: Vec<Value> = by_size
                .iter()
                .take(100)
                .map(|(name, size)| json!({"size": size, "node": {"name": name}}))
                .collect();
            let licence = repo.licence_text.as_ref().map_or(
                Value::Null,
                |_| json!({"spdxId": "NOASSERTION", "key": "other", "name": "Other"}),
            );
            json!({"databaseId": repo.id, "licenseInfo": licence, "languages": {
                "totalCount": repo.languages.len(), "totalSize": repo.languages.values().sum::<u64>(),
                "edges": edges}})
        });
        let others = nodes("others", &others, &|repo| {
            // The root holds a README and a LICENSE (the first name read by path): every
            // other path read is null.
            let text = repo.licence_text.clone().unwrap_or_default();
            let mut node = json!({"databaseId": repo.id, "root": {"entries": [
                {"name": "README.md", "mode": 33188}, {"name": "LICENSE", "mode": 33188}]},
                "f0": {"text": text, "isBinary": false, "isTruncated": false, "byteSize": text.len()}});
            for i in 1..17 {
                node[format!("f{i}")] = Value::Null;
            }
            node
        });
        let cost = 1 + ids.len() / 100;
        let mut answer = json!({"data": {"repos": repos, "others": others,
            "rateLimit": {"cost": cost, "remaining": 4000, "resetAt": "2099-01-01T00:00:00Z"}}});
        if !errors.is_empty() {
            answer["errors"] = json!(errors);
        }
        ResponseTemplate::new(200)
            .insert_header("x-ratelimit-remaining", "4000")
            .set_body_json(answer)
    }
}

/// The mock GitHub: the org's listing, REST's per-repository answers, and GraphQL.
struct Mocked {
    github: MockGithub,
    queries: Arc<AtomicUsize>,
    sizes: Arc<std::sync::Mutex<Vec<usize>>>,
}

async fn mock(repos: &[Repo], faults: Faults) -> Mocked {
    let github = MockGithub::start().await;
    let listing = OrgListing::from_repos(ORG, 9, repos.iter().map(Repo::listing_json).collect());
    github.mount(&listing).await;
    for repo in repos.iter().filter(|r| !r.deleted) {
        let full_name = repo.full_name();
        let languages = format!("/repos/{full_name}/languages");
        Mock::given(method("GET"))
            .and(path(languages.as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(&repo.languages))
            .mount(&github.server)
            .await;
        if let Some(text) = &repo.licence_text {
            let content = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
            let licence = format!("/repos/{full_name}/license");
            Mock::given(method("GET"))
                .and(path(licence.as_str()))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                    "name": "LICENSE", "path": "LICENSE", "content": content, "encoding": "base64",
                    "license": {"key": "other", "name": "Other", "spdx_id": "NOASSERTION"}})))
                .mount(&github.server)
                .await;
        }
    }
    let queries = Arc::new(AtomicUsize::new(0));
    let sizes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let responder = GraphqlMock {
        repos: repos.iter().map(|r| (r.node_id(), r.clone())).collect(),
        faults,
        queries: Arc::clone(&queries),
        sizes: Arc::clone(&sizes),
    };
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .respond_with(responder)
        .mount(&github.server)
        .await;
    Mocked {
        github,
        queries,
        sizes,
    }
}

fn config(work: &Workdir, api: &str, graphql: bool) {
    work.write(
        "pipeline.toml",
        &format!(
            "[github]\napi = \"{api}\"\nrequests_per_second = 1000\nmax_retries = 1\n\
             retry_initial_delay_ms = 0\nmax_wait_secs = 30\ntimeout_secs = 5\ngraphql = {graphql}\n\n\
             [[orgs]]\nlogin = \"{ORG}\"\n"
        ),
    );
}

/// The REST paths asked about repositories, in order.
async fn rest_answers_asked(github: &MockGithub) -> Vec<String> {
    let requests = github.requests().await;
    requests
        .iter()
        .map(|r| r.url.path().to_string())
        .filter(|p| p.starts_with("/repos/"))
        .collect()
}

fn partition(lake: &Path, table: &str) -> Vec<u8> {
    std::fs::read(crate::common::partition_file(lake, table, DAY)).unwrap()
}

/// Every silver and gold table the answers reach, byte for byte, from both lakes.
fn assert_same_outputs(graphql: &Path, rest: &Path) {
    for table in [
        "silver/repos",
        "silver/repo_languages",
        "silver/licence_texts",
        "gold/language_bytes",
        "gold/language_counts",
        "gold/licence_counts",
        "gold/repositories",
        "gold/headline",
    ] {
        assert!(
            partition(graphql, table) == partition(rest, table),
            "{table} differs"
        );
    }
}

/// The same repositories through REST alone, into another lake.
async fn rest_lake(repos: &[Repo]) -> Workdir {
    let rest = mock(repos, Faults::default()).await;
    let work = Workdir::new();
    config(&work, &rest.github.uri(), false);
    assert_success(&run_online(&work, DAY, &[("GITHUB_TOKEN", TOKEN)]).await);
    assert_eq!(
        rest.queries.load(Ordering::Relaxed),
        0,
        "graphql = false asks no query"
    );
    work
}

#[tokio::test(flavor = "multi_thread")]
async fn batches_of_1_100_and_101_give_what_rest_gives_with_the_token_nowhere() {
    for count in [1, 100, 101] {
        // The 100th asks REST for its 101 languages; the 50th was deleted after the listing.
        let repos = repos(
            count,
            (count >= 100).then_some(100),
            (count >= 100).then_some(50),
        );
        let mocked = mock(&repos, Faults::default()).await;
        let work = Workdir::new();
        config(&work, &mocked.github.uri(), true);
        let out = run_online(&work, DAY, &[("GITHUB_TOKEN", TOKEN)]).await;
        assert_success(&out);
        let expected_queries = count.div_ceil(100) as usize;
        assert_eq!(
            mocked.queries.load(Ordering::Relaxed),
            expected_queries,
            "{count}"
        );
        let rest = rest_answers_asked(&mocked.github).await;
        let expected: Vec<String> = match count {
            1 => vec![],
            _ => vec![format!("/repos/{ORG}/repo-900100/languages")],
        };
        assert_eq!(
            rest, expected,
            "{count}: only what GraphQL cannot answer goes to REST"
        );
        assert!(
            grep_tree(&work.lake(), TOKEN).is_empty(),
            "the token reached the lake"
        );
        assert!(!stderr(&out).contains(TOKEN), "the token reached the log");
        let full = rest_lake(&repos).await;
        assert_same_outputs(&work.lake(), &full.lake());
        let stored = work.lake().join(format!(
            "bronze/github/repos/snapshot_date={DAY}/org={ORG}/graphql-0001.json"
        ));
        assert!(stored.is_file(), "each GraphQL answer is kept as received");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_too_heavy_or_failing_is_split_and_a_spent_budget_waited_for() {
    let repos = repos(40, None, None);
    let faults = Faults {
        too_heavy_over: Some(20),
        bad_gateway_over: Some(10),
        rate_limited: 1,
        reset_in_secs: None,
    };
    let mocked = mock(&repos, faults).await;
    let work = Workdir::new();
    config(&work, &mocked.github.uri(), true);
    let out = run_online(&work, DAY, &[("GITHUB_TOKEN", TOKEN)]).await;
    assert_success(&out);
    // Spent budget (asked again after its reset), 40 too heavy, 20 + 20 failing with 502s
    // (after a retry each), then quarters of 10 answered.
    let sizes = mocked.sizes.lock().unwrap().clone();
    assert_eq!(sizes.iter().filter(|&&n| n == 10).count(), 4, "{sizes:?}");
    assert!(sizes.iter().all(|&n| n <= 40), "{sizes:?}");
    assert!(
        rest_answers_asked(&mocked.github).await.is_empty(),
        "no repository left to REST"
    );
    let full = rest_lake(&repos).await;
    assert_same_outputs(&work.lake(), &full.lake());
}

/// A GraphQL answer that redirects to another origin is refused before the token could
/// follow it, and the repositories are asked of REST instead.
#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_to_another_origin_takes_the_token_nowhere() {
    let repos = repos(3, None, None);
    let github = MockGithub::start().await;
    let listing = OrgListing::from_repos(ORG, 9, repos.iter().map(Repo::listing_json).collect());
    github.mount(&listing).await;
    for repo in &repos {
        let languages = format!("/repos/{}/languages", repo.full_name());
        Mock::given(method("GET"))
            .and(path(languages.as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(&repo.languages))
            .mount(&github.server)
            .await;
    }
    let elsewhere = wiremock::MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", format!("{}/graphql", elsewhere.uri()).as_str()),
        )
        .mount(&github.server)
        .await;
    let work = Workdir::new();
    config(&work, &github.uri(), true);
    let out = run_online(&work, DAY, &[("GITHUB_TOKEN", TOKEN)]).await;
    assert_success(&out);
    assert!(
        elsewhere.received_requests().await.unwrap().is_empty(),
        "followed the redirect"
    );
    let rest = rest_answers_asked(&github).await;
    assert_eq!(rest.len(), 3, "asked of REST instead: {rest:?}");
    let requests = github.requests().await;
    let posts = requests
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .count();
    assert_eq!(
        posts, 1,
        "a refusal every query would meet is not asked again"
    );
}

/// A budget that resets beyond `max_wait_secs` fails the run, saying when to retry, as
/// REST's does: its repositories are not poured onto REST's budget instead.
#[tokio::test(flavor = "multi_thread")]
async fn a_spent_budget_resetting_too_late_fails_the_run_saying_when() {
    let repos = repos(5, None, None);
    let faults = Faults {
        rate_limited: 10,
        reset_in_secs: Some(7200),
        ..Faults::default()
    };
    let mocked = mock(&repos, faults).await;
    let work = Workdir::new();
    config(&work, &mocked.github.uri(), true);
    let out = run_online(&work, DAY, &[("GITHUB_TOKEN", TOKEN)]).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let last = stderr(&out).lines().last().unwrap_or_default().to_string();
    assert!(last.contains("rate limited until"), "{last}");
    assert!(rest_answers_asked(&mocked.github).await.is_empty());
}
