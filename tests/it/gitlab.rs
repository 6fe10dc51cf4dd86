//! GitLab groups against a mock GitLab (wiremock on 127.0.0.1) answering in GitLab's documented
//! shapes: `GET /groups/:id`, `GET /groups/:id/projects` paged by `Link` and `x-next-page`
//! (0, 100, 101 and 250 projects; a group addressed by a subgroup's encoded path; projects in
//! subgroups), per-project licences and language percentages, `RateLimit-*` headers, a 429
//! with `Retry-After`, a 500 and a next link to another origin; beside a GitHub org whose
//! repository ids are the same numbers, through bronze, silver, gold and the site CSV.

use std::path::Path;

use polars::prelude::*;
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path, path_regex, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::common::{assert_success, grep_tree, read_parquet, stderr, RepoJson, Workdir};
use crate::github_mock::{run_online, MockGithub, OrgListing};

const DAY: &str = "2021-03-04";
const TOKEN: &str = "glpat-test-secret-0123456789";
const WEB: &str = "https://gitlab.example.nhs.uk";

/// One group as the mock serves it.
struct Group {
    path: &'static str,
    id: u64,
    projects: Vec<Value>,
}

impl Group {
    /// `count` public projects with ids from `first_id`, one day apart from 2015-01-01, every
    /// third in a subgroup `<path>/sub`.
    fn with_projects(path: &'static str, id: u64, first_id: u64, count: usize) -> Self {
        let projects = (0..count)
            .map(|i| {
                let namespace = if i % 3 == 2 {
                    format!("{path}/sub")
                } else {
                    path.to_string()
                };
                project(first_id + i as u64, &namespace, i)
            })
            .collect();
        Self { path, id, projects }
    }

    fn encoded(&self) -> String {
        self.path.replace('/', "%2F")
    }

    fn pages(&self) -> Vec<&[Value]> {
        let pages: Vec<&[Value]> = self.projects.chunks(100).collect();
        if pages.is_empty() {
            vec![&[]]
        } else {
            pages
        }
    }

    fn projects_path(&self) -> String {
        format!("/api/v4/groups/{}/projects", self.encoded())
    }
}

/// A project in GitLab's documented form: public, not archived, not a fork.
fn project(id: u64, namespace: &str, day: usize) -> Value {
    let created =
        chrono::NaiveDate::from_ymd_opt(2015, 1, 1).unwrap() + chrono::Duration::days(day as i64);
    let slug = format!("project-{id}");
    json!({
        "id": id,
        "description": "",
        "name": format!("Project {id}"),
        "name_with_namespace": format!("{namespace} / Project {id}"),
        "path": slug,
        "path_with_namespace": format!("{namespace}/{slug}"),
        "created_at": format!("{created}T12:00:00.000Z"),
        "default_branch": "main",
        "tag_list": ["nhs"],
        "topics": ["nhs"],
        "web_url": format!("{WEB}/{namespace}/{slug}"),
        "star_count": 2,
        "forks_count": 1,
        "open_issues_count": 3,
        "last_activity_at": format!("{created}T13:00:00.000Z"),
        "namespace": {
            "id": 1, "name": namespace, "path": namespace, "kind": "group",
            "full_path": namespace, "parent_id": null, "avatar_url": null,
            "web_url": format!("{WEB}/groups/{namespace}")
        },
        "visibility": "public",
        "archived": false
    })
}

/// Answers `GET /projects/:id?license=true` and `GET /projects/:id/languages` for any id:
/// MIT but Apache-2.0 for ids divisible by 3; Python 60 %, Shell 40 %. Each answer has an
/// ETag, and a request that sends it back gets a 304.
struct ProjectAnswers;

impl Respond for ProjectAnswers {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let segments: Vec<&str> = request.url.path().split('/').collect();
        let id: u64 = segments[4].parse().unwrap();
        let etag = format!("W/\"{}\"", request.url.path());
        let sent = request
            .headers
            .get("if-none-match")
            .and_then(|v| v.to_str().ok());
        if sent == Some(etag.as_str()) {
            return ResponseTemplate::new(304).insert_header("etag", etag.as_str());
        }
        let body = if segments.len() == 6 && segments[5] == "languages" {
            json!({"Python": 60.0, "Shell": 40.0})
        } else {
            let (key, name) = if id.is_multiple_of(3) {
                ("apache-2.0", "Apache License 2.0")
            } else {
                ("mit", "MIT License")
            };
            json!({
                "id": id, "path_with_namespace": format!("g/project-{id}"),
                "permissions": {"project_access": {"access_level": 50}},
                "license_url": "https://example.org/LICENSE",
                "license": {"key": key, "name": name, "nickname": null,
                            "html_url": "https://example.org", "source_url": null}
            })
        };
        gitlab_ok(body).insert_header("etag", etag.as_str())
    }
}

/// A 200 with GitLab's rate-limit headers.
fn gitlab_ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(body)
        .insert_header("ratelimit-limit", "2000")
        .insert_header("ratelimit-observed", "1")
        .insert_header("ratelimit-remaining", "1999")
        .insert_header("ratelimit-reset", "1700000060")
}

struct MockGitlab {
    server: MockServer,
}

impl MockGitlab {
    async fn start() -> Self {
        let gitlab = Self {
            server: MockServer::start().await,
        };
        Mock::given(method("GET"))
            .and(path_regex(r"^/api/v4/projects/\d+(/languages)?$"))
            .and(header("private-token", TOKEN))
            .respond_with(ProjectAnswers)
            .mount(&gitlab.server)
            .await;
        gitlab
    }

    fn api(&self) -> String {
        format!("{}/api/v4", self.server.uri())
    }

    fn page_url(&self, group: &Group, page: usize) -> String {
        format!(
            "{}{}?include_subgroups=true&page={page}&per_page=100&visibility=public",
            self.server.uri(),
            group.projects_path()
        )
    }

    /// Mounts the group and its pages, with GitLab's `Link` and `x-next-page` headers.
    async fn mount(&self, group: &Group) {
        let meta = json!({
            "id": group.id, "name": group.path, "path": group.path, "full_path": group.path,
            "full_name": group.path, "web_url": format!("{WEB}/groups/{}", group.path),
            "visibility": "public", "runners_token": "never-stored"
        });
        let group_path = format!("/api/v4/groups/{}", group.encoded());
        let etag = format!("W/\"group-{}\"", group.id);
        Mock::given(method("GET"))
            .and(path(group_path.as_str()))
            .and(header("private-token", TOKEN))
            .respond_with(gitlab_ok(meta).insert_header("etag", etag.as_str()))
            .mount(&self.server)
            .await;
        Mock::given(method("GET"))
            .and(path(group_path.as_str()))
            .and(header("if-none-match", etag.as_str()))
            .respond_with(ResponseTemplate::new(304).insert_header("etag", etag.as_str()))
            .with_priority(2)
            .mount(&self.server)
            .await;
        let pages = group.pages();
        for (index, projects) in pages.iter().enumerate() {
            let number = index + 1;
            let etag = format!("W/\"page-{}-{number}\"", group.id);
            let not_modified = ResponseTemplate::new(304).insert_header("etag", etag.as_str());
            self.page_mock(group, number, not_modified, 2, Some(&etag), None)
                .await;
            let mut ok = gitlab_ok(json!(projects))
                .insert_header("etag", etag.as_str())
                .insert_header("x-page", number.to_string().as_str())
                .insert_header("x-per-page", "100");
            let mut link = format!("<{}>; rel=\"first\"", self.page_url(group, 1));
            if number < pages.len() {
                let next = self.page_url(group, number + 1);
                link = format!("<{next}>; rel=\"next\", {link}");
                ok = ok.insert_header("x-next-page", (number + 1).to_string().as_str());
            } else {
                ok = ok.insert_header("x-next-page", "");
            }
            let ok = ok.insert_header("link", link.as_str());
            self.page_mock(group, number, ok, 5, None, None).await;
        }
    }

    /// Mounts `response` for page `number` of `group` (priority 1 wins over 5), for requests
    /// sending `etag` if given.
    async fn page_mock(
        &self,
        group: &Group,
        number: usize,
        response: ResponseTemplate,
        priority: u8,
        etag: Option<&str>,
        times: Option<u64>,
    ) {
        let mut mock = Mock::given(method("GET"))
            .and(path(group.projects_path()))
            .and(query_param("include_subgroups", "true"))
            .and(query_param("visibility", "public"))
            .and(header("private-token", TOKEN));
        if let Some(etag) = etag {
            mock = mock.and(header("if-none-match", etag));
        }
        let mock = if number == 1 {
            mock.and(query_param_is_missing("page"))
        } else {
            mock.and(query_param("page", number.to_string().as_str()))
        };
        let mut mock = mock.respond_with(response).with_priority(priority);
        if let Some(times) = times {
            mock = mock.up_to_n_times(times);
        }
        mock.mount(&self.server).await;
    }
}

/// A pipeline.toml: `github_orgs` on `github`, `groups` on the mock GitLab, fast retries.
fn config(
    work: &Workdir,
    github: &str,
    gitlab: &MockGitlab,
    github_orgs: &[&str],
    groups: &[&Group],
) {
    let mut orgs = String::new();
    for login in github_orgs {
        orgs.push_str(&format!("[[orgs]]\nlogin = \"{login}\"\n"));
    }
    for group in groups {
        let name = format!("Group {}", group.path);
        orgs.push_str(&format!(
            "[[orgs]]\nlogin = \"{}\"\nforge = \"gitlab\"\nname = \"{name}\"\n",
            group.path
        ));
    }
    let text = format!(
        "[extract]\nlicence_texts = false\nlanguages_by_bytes = true\n\
         [github]\napi = \"{github}\"\nrequests_per_second = 1000\nmax_retries = 2\n\
         retry_initial_delay_ms = 0\nmax_wait_secs = 30\ntimeout_secs = 2\n\
         [gitlab]\napi = \"{}\"\n\n{orgs}",
        gitlab.api()
    );
    work.write("pipeline.toml", &text);
}

fn table(lake: &Path, name: &str) -> DataFrame {
    read_parquet(&crate::common::partition_file(lake, name, DAY))
}

/// A text column's values, `None` for nulls.
fn texts(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    let column = df.column(name).unwrap();
    (0..df.height())
        .map(|i| match column.get(i).unwrap() {
            AnyValue::String(s) => Some(s.to_string()),
            _ => None,
        })
        .collect()
}

fn site_rows(work: &Workdir, organisation: &str) -> Vec<String> {
    let csv = work.read("lake/site/org_repos_agg.csv");
    let prefix = format!("{organisation},");
    csv.lines()
        .filter(|l| l.starts_with(&prefix))
        .map(str::to_string)
        .collect()
}

/// The GitHub org `nhs-a`: three repositories whose ids are those of GitLab projects.
fn github_org_with_clashing_ids() -> OrgListing {
    let repos = (0..3)
        .map(|i| RepoJson::new(1_000_000 + i, "nhs-a", "2016-01-01T00:00:00Z").to_json())
        .collect();
    OrgListing::from_repos("nhs-a", 7, repos)
}

#[tokio::test(flavor = "multi_thread")]
async fn groups_of_every_size_reach_silver_gold_and_the_site_beside_github() {
    let github = MockGithub::start().await;
    let nhs_a = github_org_with_clashing_ids();
    github.mount(&nhs_a).await;
    Mock::given(method("GET"))
        .and(path("/repos/nhs-a/repo-1000000/languages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"Rust": 100})))
        .mount(&github.server)
        .await;
    let gitlab = MockGitlab::start().await;
    let mut big = Group::with_projects("trust-a", 11, 1_000_000, 250);
    // A fork, an archived project, and a private and an internal one GitLab should not have
    // listed: the private and internal ones must never reach bronze.
    big.projects[0]["forked_from_project"] = json!({"id": 5, "path_with_namespace": "up/x"});
    big.projects[1]["archived"] = json!(true);
    big.projects[2]["visibility"] = json!("private");
    big.projects[2]["name"] = json!("Secret plan");
    big.projects[3]["visibility"] = json!("internal");
    let sub = Group::with_projects("trust-b/analytics", 12, 2_000_000, 101);
    let hundred = Group::with_projects("hundred", 13, 3_000_000, 100);
    let empty = Group::with_projects("empty", 14, 0, 0);
    let groups = [&big, &sub, &hundred, &empty];
    for group in groups {
        gitlab.mount(group).await;
    }
    let work = Workdir::new();
    config(&work, &github.uri(), &gitlab, &["nhs-a"], &groups);
    let tokens = [("GITLAB_TOKEN", TOKEN), ("GITHUB_TOKEN", "ghp_test")];
    let out = run_online(&work, DAY, &tokens).await;
    assert_success(&out);

    // Each group is its own organisation, named by the host of its page and its path.
    let host = "gitlab.example.nhs.uk";
    let last = |org: &str| site_rows(&work, &format!("{host}/{org}")).pop().unwrap();
    let url = |org: &str| format!("{WEB}/groups/{org}");
    // 250 listed; the fork, the private and the internal project are not counted.
    assert_eq!(
        last("trust-a"),
        format!(
            "{host}/trust-a,{DAY},247,Python,MIT License,{}",
            url("trust-a")
        )
    );
    assert_eq!(
        last("trust-b/analytics"),
        format!(
            "{host}/trust-b/analytics,{DAY},101,Python,MIT License,{}",
            url("trust-b/analytics")
        )
    );
    assert_eq!(
        last("hundred"),
        format!(
            "{host}/hundred,{DAY},100,Python,MIT License,{}",
            url("hundred")
        )
    );
    assert_eq!(
        last("empty"),
        format!("{host}/empty,{DAY},0,,,{}", url("empty"))
    );
    assert_eq!(
        site_rows(&work, "nhs-a").pop().unwrap(),
        format!("nhs-a,{DAY},3,,,https://github.com/nhs-a")
    );

    // Pages as GitLab paged them; the private and internal projects dropped before storing.
    let lake = work.lake();
    let bronze = lake.join(format!("bronze/gitlab/projects/snapshot_date={DAY}"));
    let port = gitlab.server.address().port();
    let key = |path: &str| format!("org=127.0.0.1_{port}+{}", path.replace('/', "+"));
    let stored = std::fs::read_to_string(bronze.join(key("trust-a")).join("page-0001.json"));
    let stored = stored.unwrap();
    assert!(!stored.contains("Secret plan") && !stored.contains("\"internal\""));
    for (group, pages) in [
        ("trust-a", 3),
        ("trust-b/analytics", 2),
        ("hundred", 1),
        ("empty", 1),
    ] {
        let dir = bronze.join(key(group));
        assert!(
            dir.join(format!("page-{pages:04}.json")).is_file(),
            "{group}"
        );
        assert!(
            !dir.join(format!("page-{:04}.json", pages + 1)).exists(),
            "{group}"
        );
        assert!(dir.join("_manifest.json").is_file(), "{group}");
    }
    let sidecar = work.read(&format!(
        "lake/bronze/gitlab/projects/snapshot_date={DAY}/{}/page-0001.meta.json",
        key("trust-a")
    ));
    assert!(sidecar.contains("\"remaining\": 1999"), "{sidecar}");
    let group_json = std::fs::read_to_string(bronze.join(key("trust-a")).join("org.json")).unwrap();
    assert!(!group_json.contains("runners_token"), "{group_json}");
    let licences = std::fs::read_to_string(
        lake.join(format!("bronze/gitlab/license/snapshot_date={DAY}"))
            .join(key("trust-a"))
            .join("responses.json"),
    )
    .unwrap();
    assert!(licences.contains("apache-2.0") && !licences.contains("project_access"));

    // Silver: both forges, the same ids kept apart; GitLab shares without bytes.
    let repos = table(&lake, "silver/repos");
    assert_eq!(repos.height(), 3 + 248 + 101 + 100);
    let clash = repos
        .clone()
        .lazy()
        .filter(col("repo_id").eq(lit(1_000_001i64)))
        .select([col("forge"), col("license_spdx_id"), col("language")])
        .sort(["forge"], Default::default())
        .collect()
        .unwrap();
    let some = |s: &str| Some(s.to_string());
    assert_eq!(texts(&clash, "forge"), [some("github"), some("gitlab")]);
    assert_eq!(texts(&clash, "license_spdx_id")[1], some("MIT"));
    assert_eq!(texts(&clash, "language")[1], some("Python"));
    let languages = table(&lake, "silver/repo_languages");
    let gitlab_languages = languages
        .lazy()
        .filter(col("forge").eq(lit("gitlab")))
        .collect()
        .unwrap();
    assert_eq!(gitlab_languages.height(), 2 * (247 + 101 + 100));
    assert_eq!(
        gitlab_languages.column("bytes").unwrap().null_count(),
        gitlab_languages.height()
    );

    // Gold: Table 1 carries the forge; language_bytes has no GitLab rows (no bytes).
    let latest = table(&lake, "gold/org_latest");
    let forges = texts(&latest, "forge");
    assert_eq!(
        forges
            .iter()
            .filter(|f| f.as_deref() == Some("gitlab"))
            .count(),
        4
    );
    let bytes = table(&lake, "gold/language_bytes");
    let logins = texts(&bytes, "org_login");
    assert!(!logins.is_empty());
    assert!(
        logins.iter().flatten().all(|login| login == "nhs-a"),
        "{logins:?}"
    );

    // The token went only in the PRIVATE-TOKEN header: never in a log or the lake.
    assert!(!stderr(&out).contains(TOKEN));
    assert!(grep_tree(&lake, TOKEN).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_with_retry_after_and_a_500_are_retried() {
    let github = MockGithub::start().await;
    let gitlab = MockGitlab::start().await;
    let group = Group::with_projects("trust-a", 11, 1, 150);
    let limited = ResponseTemplate::new(429)
        .set_body_json(json!({"message": "429 Too Many Requests"}))
        .insert_header("retry-after", "1")
        .insert_header("ratelimit-remaining", "0")
        .insert_header("ratelimit-reset", "1700000000");
    gitlab.page_mock(&group, 1, limited, 1, None, Some(1)).await;
    let failed =
        ResponseTemplate::new(500).set_body_json(json!({"message": "500 Internal Server Error"}));
    gitlab.page_mock(&group, 2, failed, 1, None, Some(1)).await;
    gitlab.mount(&group).await;
    let work = Workdir::new();
    config(&work, &github.uri(), &gitlab, &[], &[&group]);
    let out = run_online(&work, DAY, &[("GITLAB_TOKEN", TOKEN)]).await;
    assert_success(&out);
    let log = stderr(&out);
    assert!(log.contains("429 Too Many Requests"), "{log}");
    assert!(log.contains("500 Internal Server Error"), "{log}");
    let last = site_rows(&work, "gitlab.example.nhs.uk/trust-a")
        .pop()
        .unwrap();
    assert!(last.contains(&format!("{DAY},150,")), "{last}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_next_link_to_another_origin_is_refused_and_the_group_stays_incomplete() {
    let github = MockGithub::start().await;
    let gitlab = MockGitlab::start().await;
    let group = Group::with_projects("trust-a", 11, 1, 5);
    let elsewhere = format!(
        "<http://localhost:{}/api/v4/groups/trust-a/projects?page=2>; rel=\"next\"",
        gitlab.server.address().port()
    );
    let hijacked = gitlab_ok(json!(group.projects)).insert_header("link", elsewhere.as_str());
    gitlab.page_mock(&group, 1, hijacked, 1, None, None).await;
    gitlab.mount(&group).await;
    let work = Workdir::new();
    config(&work, &github.uri(), &gitlab, &[], &[&group]);
    let out = run_online(&work, DAY, &[("GITLAB_TOKEN", TOKEN)]).await;
    assert_ne!(out.status.code(), Some(0));
    let log = stderr(&out);
    assert!(log.contains("is not on the API's origin"), "{log}");
    assert!(log.contains("trust-a"), "{log}");
    assert!(!log.contains(TOKEN));
    let requests = gitlab.server.received_requests().await.unwrap();
    let hosts: Vec<String> = requests
        .iter()
        .map(|r| format!("{:?}", r.headers.get("host")))
        .collect();
    assert!(hosts.iter().all(|h| h.contains("127.0.0.1")), "{hosts:?}");
    let manifests = grep_tree(&work.lake().join("bronze"), "unique_repos");
    assert!(manifests.is_empty(), "{manifests:?}");
    assert!(!work.lake().join("site/org_repos_agg.csv").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_day_asks_conditionally_and_stores_the_same_answers() {
    let github = MockGithub::start().await;
    let gitlab = MockGitlab::start().await;
    let group = Group::with_projects("trust-a", 11, 1, 120);
    gitlab.mount(&group).await;
    let work = Workdir::new();
    config(&work, &github.uri(), &gitlab, &[], &[&group]);
    let token = [("GITLAB_TOKEN", TOKEN)];
    assert_success(&run_online(&work, DAY, &token).await);
    assert_success(&run_online(&work, "2021-03-05", &token).await);
    // Day 3 asks every answer again, as `--refresh-details` does.
    let refresh = [
        ("GITLAB_TOKEN", TOKEN),
        ("OHS_EXTRACT_REFRESH_DETAILS", "true"),
    ];
    assert_success(&run_online(&work, "2021-03-06", &refresh).await);

    let port = gitlab.server.address().port();
    let manifest = |date: &str| -> Value {
        let text = work.read(&format!(
            "lake/bronze/gitlab/projects/snapshot_date={date}/org=127.0.0.1_{port}+trust-a/_manifest.json"
        ));
        serde_json::from_str(&text).unwrap()
    };
    // Day 2: the group and both pages are 304s; no activity since day 1, so each kept
    // project's two answers are reused without a request. Day 3: all asked, all 304s.
    let (day2, day3) = (manifest("2021-03-05"), manifest("2021-03-06"));
    for (endpoint, requests) in [
        ("orgs", 1),
        ("repos", 2),
        ("license", 120),
        ("languages", 120),
    ] {
        let (asked, reused) = match endpoint {
            "orgs" | "repos" => (requests, Value::Null),
            _ => (0, json!(requests)),
        };
        let counts = &day2["requests"][endpoint];
        assert_eq!(counts["requests"], asked, "{endpoint}: {day2}");
        assert_eq!(counts["reused"], reused, "{endpoint}: {day2}");
        let counts = &day3["requests"][endpoint];
        assert_eq!(counts["requests"], requests, "{endpoint}: {day3}");
        assert_eq!(counts["not_modified"], requests, "{endpoint}: {day3}");
    }
    let day = |date: &str| {
        let lake = work.lake();
        let file = format!("silver/repos/snapshot_date={date}/part-0.parquet");
        let df = read_parquet(&lake.join(file));
        df.drop("snapshot_date")
            .unwrap()
            .drop("created_after_snapshot")
            .unwrap()
    };
    assert!(day(DAY).equals_missing(&day("2021-03-05")));
    assert!(day(DAY).equals_missing(&day("2021-03-06")));
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_online_asks_each_group_where_it_lives() {
    let github = MockGithub::start().await;
    let gitlab = MockGitlab::start().await;
    let group = Group::with_projects("trust-a", 11, 1, 1);
    gitlab.mount(&group).await;
    let ghost = Group::with_projects("ghost-group", 12, 1, 0);
    let work = Workdir::new();
    config(&work, &github.uri(), &gitlab, &[], &[&group, &ghost]);
    let lake = work.lake();
    let mut cmd = crate::common::ohs_command(work.path());
    cmd.args(["validate", "--online", "--lake"])
        .arg(&lake)
        .env("GITLAB_TOKEN", TOKEN);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let port = gitlab.server.address().port();
    assert!(
        stdout.contains(&format!("org 127.0.0.1:{port}/trust-a: ok")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "org 127.0.0.1:{port}/ghost-group: not found on GitLab"
        )),
        "{stdout}"
    );
    assert!(
        stderr(&out).contains("ghost-group on GitLab"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains(TOKEN) && !stdout.contains(TOKEN));
}
