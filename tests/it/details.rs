//! The per-repository endpoints against a mock GitHub: licence files (OGL with a Crown
//! copyright line, MIT with another holder, an empty file, binary junk, none at all) and
//! language maps, through bronze, silver and gold, with numbers checked by hand; 304 reuse of
//! both endpoints on a second day; requests counted per endpoint; and an unauthenticated
//! run that skips what the hour's budget cannot pay for, with a warning, not a failure.

use std::path::Path;

use base64::Engine;
use polars::prelude::*;
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::{assert_success, duckdb_report, grep_tree, stderr, RepoJson, Workdir};
use crate::github_mock::{mock_config_with_details, run_online, MockGithub, OrgListing};

const DAY1: &str = "2021-03-04";
const DAY2: &str = "2021-03-05";
const ORG: &str = "nhs-a";
const OGL: &str = include_str!("../fixtures/licences/OGL-UK-3.0.txt");
const MIT: &str = include_str!("../fixtures/licences/MIT.txt");

/// One repository of the fixture org, and what the two endpoints answer for it.
struct Fixture {
    repo: Value,
    licence_file: Option<Vec<u8>>,
    languages: Option<Value>,
}

fn repo(n: u64, licence: Option<&'static str>, language: Option<&'static str>) -> RepoJson {
    let mut r = RepoJson::new(700_000 + n, ORG, "2020-01-01T00:00:00Z");
    r.license = licence;
    r.language = language;
    r
}

fn with_topics(repo: RepoJson, topics: &[&str]) -> Value {
    let mut json = repo.to_json();
    json["topics"] = json!(topics);
    json
}

/// Seven repositories: five "Other" with licence files of every kind (one without a file),
/// one MIT, one fork (asked nothing).
fn fixtures() -> Vec<Fixture> {
    let crown = format!("Crown copyright (c) 2021 NHS England\n\n{OGL}");
    let mit = MIT.replace("<year> <copyright holders>", "2019 Somebody Else Ltd");
    vec![
        Fixture {
            repo: with_topics(repo(1, Some("Other"), Some("Python")), &["nhs", "fhir"]),
            licence_file: Some(crown.into_bytes()),
            languages: Some(json!({"Python": 1000, "Shell": 100})),
        },
        Fixture {
            repo: with_topics(repo(2, Some("Other"), Some("Python")), &["nhs"]),
            licence_file: Some(mit.into_bytes()),
            languages: Some(json!({"Python": 500, "Jupyter Notebook": 400})),
        },
        Fixture {
            repo: repo(3, Some("Other"), Some("Go")).to_json(),
            licence_file: Some(Vec::new()),
            languages: Some(json!({"Go": 2000})),
        },
        Fixture {
            repo: repo(4, Some("Other"), Some("Go")).to_json(),
            licence_file: Some(vec![0xff, 0xfe, 0x00, 0x9c, 0x12, 0x80]),
            languages: Some(json!({})),
        },
        Fixture {
            repo: with_topics(repo(5, Some("MIT"), Some("Rust")), &["fhir"]),
            licence_file: None,
            languages: Some(json!({"Rust": 3000})),
        },
        Fixture {
            repo: repo(6, Some("Other"), None).to_json(),
            licence_file: None,
            languages: Some(json!({"HTML": 500})),
        },
        Fixture {
            repo: repo(7, Some("Other"), Some("Python")).fork().to_json(),
            licence_file: None,
            languages: None,
        },
    ]
}

/// `GET /repos/nhs-a/repo-N/{endpoint}`: 200 with an ETag, 304 to that ETag.
async fn mount_repo_endpoint(github: &MockGithub, full_name: &str, endpoint: &str, body: Value) {
    let url_path = format!("/repos/{full_name}/{endpoint}");
    let etag = format!("\"{endpoint}-{full_name}\"");
    Mock::given(method("GET"))
        .and(path(url_path.as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(body)
                .insert_header("etag", etag.as_str()),
        )
        .with_priority(5)
        .mount(&github.server)
        .await;
    Mock::given(method("GET"))
        .and(path(url_path.as_str()))
        .and(header("if-none-match", etag.as_str()))
        .respond_with(ResponseTemplate::new(304).insert_header("etag", etag.as_str()))
        .with_priority(2)
        .mount(&github.server)
        .await;
}

/// The body GitHub gives for a licence file: its bytes in base64, wrapped at 60 columns.
fn licence_body(full_name: &str, bytes: &[u8]) -> Value {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    let wrapped: Vec<String> = encoded
        .as_bytes()
        .chunks(60)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    json!({
        "name": "LICENCE", "path": "LICENCE", "size": bytes.len(), "type": "file",
        "html_url": format!("https://github.com/{full_name}/blob/main/LICENCE"),
        "content": wrapped.join("\n") + "\n", "encoding": "base64",
        "license": {"key": "other", "name": "Other", "spdx_id": "NOASSERTION", "url": null}
    })
}

async fn start_mock(repos_remaining: Option<u64>) -> MockGithub {
    let github = MockGithub::start().await;
    mount_fixtures(&github, repos_remaining).await;
    github
}

/// Mounts the fixture org; `repos_remaining` adds an unauthenticated rate-limit budget to
/// the listing's response.
async fn mount_fixtures(github: &MockGithub, repos_remaining: Option<u64>) {
    mount_fixtures_as(github, fixtures(), repos_remaining).await;
}

async fn mount_fixtures_as(
    github: &MockGithub,
    fixtures: Vec<Fixture>,
    repos_remaining: Option<u64>,
) {
    let repos: Vec<Value> = fixtures.iter().map(|f| f.repo.clone()).collect();
    let mut listing = OrgListing::from_repos(ORG, 7, repos.clone());
    // Named by the page's content, as GitHub's ETags are: a changed listing gets a 200.
    let content = open_health_stats::formats::sha256_hex(&serde_json::to_vec(&repos).unwrap());
    listing.etag_tag = Box::leak(content[..12].to_string().into_boxed_str());
    github.mount(&listing).await;
    if let Some(remaining) = repos_remaining {
        let limited = ResponseTemplate::new(200)
            .set_body_raw(listing.page_body(0), "application/json")
            .insert_header("x-ratelimit-limit", "60")
            .insert_header("x-ratelimit-remaining", remaining.to_string().as_str())
            .insert_header("x-ratelimit-reset", "4102444800");
        github.page_mock(&listing, 0, limited, 1).await;
    }
    for f in &fixtures {
        let full_name = f.repo["full_name"].as_str().unwrap();
        if let Some(bytes) = &f.licence_file {
            let body = licence_body(full_name, bytes);
            mount_repo_endpoint(github, full_name, "license", body).await;
        }
        if let Some(languages) = &f.languages {
            mount_repo_endpoint(github, full_name, "languages", languages.clone()).await;
        }
    }
}

fn table(lake: &Path, layer_table: &str, date: &str) -> DataFrame {
    let file = crate::common::partition_file(lake, layer_table, date);
    crate::common::read_parquet(&file)
}

/// `columns` of every row, as text ("null" for nulls), in the table's order.
fn rows(df: &DataFrame, columns: &[&str]) -> Vec<Vec<String>> {
    (0..df.height())
        .map(|i| {
            columns
                .iter()
                .map(|name| match df.column(name).unwrap().get(i).unwrap() {
                    AnyValue::Null => "null".to_string(),
                    AnyValue::String(s) => s.to_string(),
                    AnyValue::Float64(f) => format!("{f:.4}"),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

fn strings(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|s| s.to_string()).collect())
        .collect()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn bronze_responses(work: &Workdir, endpoint: &str, date: &str) -> Value {
    read_json(&work.lake().join(format!(
        "bronze/github/{endpoint}/snapshot_date={date}/org={ORG}/responses.json"
    )))
}

/// The build record transform staged: requests and skips summed over the snapshot's orgs.
fn build_record(work: &Workdir, date: &str) -> Value {
    read_json(
        &work
            .lake()
            .join(format!("staging/snapshot_date={date}/_build.json")),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn licence_texts_and_language_bytes_reach_gold_with_hand_checked_numbers() {
    let github = start_mock(None).await;
    let work = Workdir::new();
    mock_config_with_details(&work, &github.uri(), &[ORG]);
    let out = run_online(&work, DAY1, &[("GITHUB_TOKEN", "t")]).await;
    assert_success(&out);

    // Requests: the org, one page, a licence file per kept "Other" (5; the fork is not
    // kept), the languages of every kept repository (6).
    assert_eq!(
        build_record(&work, DAY1)["requests"],
        json!({
            "orgs": {"requests": 1, "not_modified": 0},
            "repos": {"requests": 1, "not_modified": 0},
            "license": {"requests": 5, "not_modified": 0},
            "languages": {"requests": 6, "not_modified": 0}
        })
    );
    let licences = bronze_responses(&work, "license", DAY1);
    let statuses: Vec<(u64, u64)> = licences["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["repo_id"].as_u64().unwrap() - 700_000,
                r["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(statuses, [(1, 200), (2, 200), (3, 200), (4, 200), (6, 404)]);

    let lake = work.lake();
    let silver = table(&lake, "silver/repos", DAY1);
    assert_eq!(
        rows(
            &silver,
            &["name", "license_spdx_id", "license_detected_spdx_id"]
        ),
        strings(&[
            &["repo-700001", "NOASSERTION", "OGL-UK-3.0"],
            &["repo-700002", "NOASSERTION", "MIT"],
            &["repo-700003", "NOASSERTION", "null"],
            &["repo-700004", "NOASSERTION", "null"],
            &["repo-700005", "MIT", "null"],
            &["repo-700006", "NOASSERTION", "null"],
            &["repo-700007", "NOASSERTION", "null"],
        ])
    );
    let confidence = silver.column("license_detection_confidence").unwrap();
    assert!(confidence.get(0).unwrap().extract::<f64>().unwrap() >= 0.9);
    assert_eq!(confidence.get(2).unwrap(), AnyValue::Null, "empty file");

    let licence_counts = table(&lake, "gold/licence_counts", DAY1);
    let org_rows: Vec<Vec<String>> = rows(
        &licence_counts,
        &[
            "org_login",
            "license_key",
            "license_detected_spdx_id",
            "license_resolved_spdx_id",
            "repositories",
            "share",
        ],
    )
    .into_iter()
    .filter(|r| r[0] == ORG)
    .collect();
    assert_eq!(
        org_rows,
        strings(&[
            &[ORG, "mit", "null", "MIT", "1", "0.1667"],
            &[ORG, "other", "MIT", "MIT", "1", "0.1667"],
            &[ORG, "other", "OGL-UK-3.0", "OGL-UK-3.0", "1", "0.1667"],
            &[ORG, "other", "null", "null", "3", "0.5000"],
        ])
    );

    // Bytes over the six kept repositories: Python 1000 + 500 + 400 (Jupyter Notebook is
    // Python), Shell 100, Go 2000, Rust 3000, HTML 500; 7500 in all.
    let bytes = table(&lake, "gold/language_bytes", DAY1);
    let expected = |org: &str| {
        let rows: [(&str, &str, &str); 5] = [
            ("Go", "2000", "0.2667"),
            ("HTML", "500", "0.0667"),
            ("Python", "1900", "0.2533"),
            ("Rust", "3000", "0.4000"),
            ("Shell", "100", "0.0133"),
        ];
        rows.iter()
            .map(|(l, b, s)| vec![org.to_string(), l.to_string(), b.to_string(), s.to_string()])
            .collect::<Vec<_>>()
    };
    let mut want = expected(ORG);
    want.extend(expected("null"));
    assert_eq!(
        rows(&bytes, &["org_login", "language", "bytes", "share"]),
        want
    );
    let languages = table(&lake, "silver/repo_languages", DAY1);
    assert_eq!(languages.height(), 7, "a row per repository and language");

    let topics = table(&lake, "gold/topic_counts", DAY1);
    assert_eq!(
        rows(&topics, &["org_login", "topic", "repositories", "share"]),
        strings(&[
            &[ORG, "fhir", "2", "0.3333"],
            &[ORG, "nhs", "2", "0.3333"],
            &["null", "fhir", "2", "0.3333"],
            &["null", "nhs", "2", "0.3333"],
        ])
    );

    // The report shows both licence views, bytes beside counts, and the top topics.
    let page = work.read("lake/site/index.html");
    for needle in ["OGL-UK-3.0", "by bytes", "fhir"] {
        assert!(page.contains(needle), "report lacks {needle}");
    }

    // DuckDB reads the new tables and rebuilds them from the same SQL files.
    let report = duckdb_report(work.path());
    for name in ["licence_counts", "language_bytes", "topic_counts"] {
        assert_eq!(
            report[name]["model_matches"], true,
            "{name}: {}",
            report[name]
        );
    }
    assert_eq!(report["language_bytes"]["rows"], 10);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_day_reuses_licence_and_language_answers_through_304s() {
    let github = start_mock(None).await;
    let work = Workdir::new();
    mock_config_with_details(&work, &github.uri(), &[ORG]);
    assert_success(&run_online(&work, DAY1, &[("GITHUB_TOKEN", "t")]).await);
    github.server.reset().await;
    mount_fixtures(&github, None).await;
    // Asked again (the listing shows nothing changed, so the answers would be reused).
    let refresh = ("OHS_EXTRACT_REFRESH_DETAILS", "true");
    let out = run_online(&work, DAY2, &[("GITHUB_TOKEN", "t"), refresh]).await;
    assert_success(&out);

    // Everything with an ETag was asked conditionally and answered 304; only the licence
    // file that does not exist (404, no ETag) was asked again in full.
    assert_eq!(
        build_record(&work, DAY2)["requests"],
        json!({
            "orgs": {"requests": 1, "not_modified": 1},
            "repos": {"requests": 1, "not_modified": 1},
            "license": {"requests": 5, "not_modified": 4},
            "languages": {"requests": 6, "not_modified": 6}
        })
    );
    let unconditional: Vec<String> = github
        .requests()
        .await
        .iter()
        .filter(|r| !r.headers.contains_key("if-none-match"))
        .map(|r| r.url.path().to_string())
        .collect();
    assert_eq!(unconditional, [format!("/repos/{ORG}/repo-700006/license")]);
    for endpoint in ["license", "languages"] {
        let (day1, day2) = (
            bronze_responses(&work, endpoint, DAY1),
            bronze_responses(&work, endpoint, DAY2),
        );
        for (a, b) in day1["responses"]
            .as_array()
            .unwrap()
            .iter()
            .zip(day2["responses"].as_array().unwrap())
        {
            assert_eq!(a["body"], b["body"], "{endpoint} {}", a["full_name"]);
            if a["status"] == 200 {
                assert_eq!(b["status"], 304);
                assert_eq!(b["not_modified_from"], DAY1);
                assert_eq!(b["etag"], a["etag"]);
            }
        }
    }
    let lake = work.lake();
    for name in [
        "gold/language_bytes",
        "gold/licence_counts",
        "gold/topic_counts",
    ] {
        let columns: Vec<String> = table(&lake, name, DAY1)
            .get_column_names()
            .iter()
            .filter(|c| c.as_str() != "snapshot_date")
            .map(|c| c.to_string())
            .collect();
        let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
        assert_eq!(
            rows(&table(&lake, name, DAY1), &columns),
            rows(&table(&lake, name, DAY2), &columns),
            "{name}: same answers, same numbers"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_token_what_the_hour_cannot_pay_for_is_skipped_with_a_warning() {
    // 10 requests left after the listing: the 5 licence files fit (with the reserve of
    // `concurrency` = 4 kept back), the 6 language maps then do not.
    let github = start_mock(Some(10)).await;
    let work = Workdir::new();
    mock_config_with_details(&work, &github.uri(), &[ORG]);
    let out = run_online(&work, DAY1, &[]).await;
    assert_success(&out);
    let log = stderr(&out);
    assert!(
        log.contains("skipped for this snapshot") && log.contains("languages"),
        "{log}"
    );
    let skipped = &build_record(&work, DAY1)["skipped"];
    assert!(
        skipped["languages"]
            .as_str()
            .unwrap()
            .contains("no GITHUB_TOKEN: 6 requests needed, 1 left"),
        "{skipped}"
    );
    assert!(skipped.get("license").is_none(), "{skipped}");
    let requests: Vec<String> = github
        .requests()
        .await
        .iter()
        .map(|r| r.url.path().to_string())
        .collect();
    assert!(
        !requests.iter().any(|p| p.ends_with("/languages")),
        "{requests:?}"
    );
    assert_eq!(
        requests.iter().filter(|p| p.ends_with("/license")).count(),
        5
    );

    let lake = work.lake();
    assert_eq!(table(&lake, "gold/language_bytes", DAY1).height(), 0);
    let silver = table(&lake, "silver/repos", DAY1);
    let detected = silver.column("license_detected_spdx_id").unwrap();
    assert_eq!(detected.get(0).unwrap(), AnyValue::String("OGL-UK-3.0"));
    let manifest = read_json(&lake.join(format!(
        "gold/_manifests/snapshot_date={DAY1}/_manifest.json"
    )));
    assert!(
        manifest.to_string().contains("no GITHUB_TOKEN"),
        "the publish manifest says what was left out: {manifest}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn per_repository_requests_retry_like_the_listings_and_never_show_the_token() {
    let github = start_mock(None).await;
    // One 500 on a licence file and one on a language map: both retried, the run succeeds.
    for endpoint in ["license", "languages"] {
        Mock::given(method("GET"))
            .and(path(
                format!("/repos/{ORG}/repo-700001/{endpoint}").as_str(),
            ))
            .respond_with(ResponseTemplate::new(500))
            .with_priority(1)
            .up_to_n_times(1)
            .mount(&github.server)
            .await;
    }
    let work = Workdir::new();
    mock_config_with_details(&work, &github.uri(), &[ORG]);
    let token = "ghp_detailsSecret0123456789";
    let out = run_online(
        &work,
        DAY1,
        &[("GITHUB_TOKEN", token), ("RUST_LOG", "trace")],
    )
    .await;
    assert_success(&out);
    let requests = &build_record(&work, DAY1)["requests"];
    assert_eq!(
        requests["license"]["requests"], 6,
        "5 licence files, one retried"
    );
    assert_eq!(
        requests["languages"]["requests"], 7,
        "6 language maps, one retried"
    );
    let first = &bronze_responses(&work, "license", DAY1)["responses"][0];
    assert_eq!(
        (first["status"].as_u64(), first["attempts"].as_u64()),
        (Some(200), Some(2))
    );
    assert!(!stderr(&out).contains(token), "the token reached the log");
    let found = grep_tree(&work.lake(), token);
    assert!(found.is_empty(), "the token reached {found:?}");
}

/// A day later, with another token (so no ETag of the day before is of use) and one
/// repository pushed overnight: only that repository's answers are asked; the others are
/// reused from the day before, stored as copies naming it, and every output equals a run
/// that asked everything.
#[tokio::test(flavor = "multi_thread")]
async fn a_later_day_asks_only_what_the_listing_shows_changed_whatever_the_token() {
    let github = start_mock(None).await;
    let work = Workdir::new();
    mock_config_with_details(&work, &github.uri(), &[ORG]);
    assert_success(&run_online(&work, DAY1, &[("GITHUB_TOKEN", "first")]).await);

    // Overnight repo-700002 is pushed: a new language, new ETags everywhere it is asked.
    github.server.reset().await;
    let mut fixtures = fixtures();
    fixtures[1].repo["pushed_at"] = json!("2021-03-04T22:00:00Z");
    fixtures[1].languages = Some(json!({"Python": 500, "Jupyter Notebook": 400, "R": 100}));
    let pushed = fixtures[1].repo["full_name"].as_str().unwrap().to_string();
    let licence = fixtures[1].licence_file.clone().unwrap();
    mount_fixtures_as(&github, fixtures, None).await;
    // ETags belong to the token that got them: with another token GitHub answers in full.
    let new_languages = json!({"Python": 500, "Jupyter Notebook": 400, "R": 100});
    for (endpoint, body) in [
        ("license", licence_body(&pushed, &licence)),
        ("languages", new_languages),
    ] {
        let path_of = format!("/repos/{pushed}/{endpoint}");
        Mock::given(method("GET"))
            .and(path(path_of.as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .with_priority(1)
            .mount(&github.server)
            .await;
    }
    let out = run_online(&work, DAY2, &[("GITHUB_TOKEN", "second")]).await;
    assert_success(&out);

    let asked: Vec<String> = github
        .requests()
        .await
        .iter()
        .map(|r| r.url.path().to_string())
        .filter(|p| p.starts_with("/repos/"))
        .collect();
    assert_eq!(
        asked,
        [
            format!("/repos/{pushed}/license"),
            format!("/repos/{pushed}/languages")
        ],
        "only the pushed repository is asked"
    );
    let requests = &build_record(&work, DAY2)["requests"];
    assert_eq!(
        requests["license"],
        json!({"requests": 1, "not_modified": 0, "reused": 4})
    );
    assert_eq!(
        requests["languages"],
        json!({"requests": 1, "not_modified": 0, "reused": 5})
    );
    for endpoint in ["license", "languages"] {
        for answer in bronze_responses(&work, endpoint, DAY2)["responses"]
            .as_array()
            .unwrap()
        {
            if answer["full_name"] == pushed.as_str() {
                assert_eq!(
                    (answer["status"].clone(), answer.get("reused_from")),
                    (json!(200), None)
                );
            } else {
                assert_eq!(answer["reused_from"], DAY1, "{endpoint}: {answer}");
                assert_eq!(answer["attempts"], 0);
            }
        }
    }

    // The same day asked in full, into another lake: the same silver and gold, byte for byte.
    let full = Workdir::new();
    mock_config_with_details(&full, &github.uri(), &[ORG]);
    let out = run_online(&full, DAY2, &[("GITHUB_TOKEN", "third")]).await;
    assert_success(&out);
    let mut compared = 0;
    for layer_table in [
        "silver/repos",
        "silver/repo_languages",
        "silver/licence_texts",
        "gold/language_bytes",
        "gold/licence_counts",
        "gold/language_counts",
        "gold/repositories",
    ] {
        let file = |lake: &Path| {
            std::fs::read(crate::common::partition_file(lake, layer_table, DAY2)).unwrap()
        };
        assert!(
            file(&work.lake()) == file(&full.lake()),
            "{layer_table} differs"
        );
        compared += 1;
    }
    assert_eq!(compared, 7);
    let languages = table(&work.lake(), "silver/repo_languages", DAY2);
    let names = languages.column("language").unwrap().str().unwrap().clone();
    assert!(
        names.iter().any(|l| l == Some("R")),
        "the pushed repository's new language is in"
    );
}
