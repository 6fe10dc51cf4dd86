//! Extract against a mock GitHub on 127.0.0.1: Link pagination, headers, every fault kind
//! once (recovers, same bronze) and for good (fails naming org and URL, nothing published
//! changes), 304 reuse, resume, private repositories and token secrecy.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use wiremock::ResponseTemplate;

use crate::common::{assert_success, grep_tree, stderr, RepoJson, Workdir};
use crate::github_mock::{
    mock_config, run_online, MockGithub, OrgListing, WireFault, WireFaultServer,
};

const DAY1: &str = "2021-03-04";
const DAY2: &str = "2021-03-05";

fn bronze_org(work: &Workdir, date: &str, login: &str) -> std::path::PathBuf {
    work.lake()
        .join("bronze/github/repos")
        .join(format!("snapshot_date={date}"))
        .join(format!("org={}", login.to_ascii_lowercase()))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(
        &std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

fn site_csv(work: &Workdir) -> String {
    work.read("lake/site/org_repos_agg.csv")
}

/// The open repositories of `org` on the CSV's snapshot-date row.
fn open_repos_at(csv: &str, org: &str, date: &str) -> u64 {
    csv.lines()
        .find(|l| l.starts_with(&format!("{org},{date},")))
        .unwrap_or_else(|| panic!("no {org} row at {date} in\n{csv}"))
        .split(',')
        .nth(2)
        .unwrap()
        .parse()
        .unwrap()
}

/// Asserts bronze holds exactly the mock's pages for `org` on `date`.
fn assert_bronze_pages(work: &Workdir, date: &str, org: &OrgListing) {
    let dir = bronze_org(work, date, org.login);
    for index in 0..org.pages.len() {
        let stored = std::fs::read(dir.join(format!("page-{:04}.json", index + 1))).unwrap();
        assert!(
            stored == org.page_body(index),
            "{} page {} differs from what was served",
            org.login,
            index + 1
        );
    }
    assert!(!dir
        .join(format!("page-{:04}.json", org.pages.len() + 1))
        .exists());
    let manifest = read_json(&dir.join("_manifest.json"));
    assert_eq!(manifest["pages"], org.pages.len());
    assert_eq!(manifest["unique_repos"], org.repo_count());
}

#[tokio::test(flavor = "multi_thread")]
async fn pagination_follows_link_over_0_1_100_101_and_250_repos() {
    let github = MockGithub::start().await;
    let orgs: Vec<OrgListing> = [0, 1, 100, 101, 250]
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            OrgListing::with_repos(
                ["zero", "one", "hundred", "hundred-one", "many"][i],
                10 + i as u64,
                n,
            )
        })
        .collect();
    for org in &orgs {
        github.mount(org).await;
    }
    let work = Workdir::new();
    let logins: Vec<&str> = orgs.iter().map(|o| o.login).collect();
    mock_config(&work, &github.uri(), &logins, 0);
    let out = run_online(&work, DAY1, &[]).await;
    assert_success(&out);

    let csv = site_csv(&work);
    for org in &orgs {
        assert_bronze_pages(&work, DAY1, org);
        assert_eq!(
            open_repos_at(&csv, org.login, DAY1),
            org.repo_count() as u64,
            "{}",
            org.login
        );
    }
    // Exactly one request per page plus one GET /orgs/{org} per org: nothing built by hand.
    let requests = github.requests().await;
    let pages: usize = orgs.iter().map(|o| o.pages.len()).sum();
    assert_eq!(requests.len(), pages + orgs.len());
    let later_pages: Vec<_> = requests
        .iter()
        .filter(|r| r.url.path().starts_with("/organizations/"))
        .collect();
    assert_eq!(
        later_pages.len(),
        1 + 2,
        "101 repos: 1 more page; 250: 2 more"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_carry_githubs_headers_and_ask_for_public_repos() {
    let github = MockGithub::start().await;
    let org = OrgListing::with_repos("nhsx", 1, 3);
    github.mount(&org).await;
    let work = Workdir::new();
    mock_config(&work, &github.uri(), &["nhsx"], 0);
    assert_success(&run_online(&work, DAY1, &[("GITHUB_TOKEN", "ghp_test_header_token")]).await);
    for request in github.requests().await {
        let h = |name: &str| {
            request
                .headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_string())
        };
        assert_eq!(h("accept").as_deref(), Some("application/vnd.github+json"));
        assert_eq!(h("x-github-api-version").as_deref(), Some("2022-11-28"));
        assert_eq!(
            h("authorization").as_deref(),
            Some("Bearer ghp_test_header_token")
        );
        assert!(
            h("user-agent").unwrap().starts_with("open-health-stats/"),
            "{:?}",
            h("user-agent")
        );
        if request.url.path().ends_with("/repos") {
            assert!(
                request.url.query().unwrap().contains("type=public"),
                "{}",
                request.url
            );
        }
    }
    let sidecar = read_json(&bronze_org(&work, DAY1, "nhsx").join("page-0001.meta.json"));
    assert_eq!(sidecar["etag"], "\"v1-1\"");
    assert_eq!(sidecar["api_version"], "2022-11-28");
}

/// The fault kinds the API is known to answer, each with a response the client must survive.
fn faults() -> Vec<(&'static str, ResponseTemplate)> {
    let past_reset = (chrono::Utc::now().timestamp() - 5).to_string();
    vec![
        ("500", ResponseTemplate::new(500)),
        (
            "502 html",
            ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"),
        ),
        (
            "429 retry-after",
            ResponseTemplate::new(429).insert_header("retry-after", "0"),
        ),
        (
            "403 primary limit",
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", past_reset.as_str())
                .set_body_json(json!({"message": "API rate limit exceeded"})),
        ),
        (
            "403 secondary limit",
            ResponseTemplate::new(403)
                .set_body_json(json!({"message": "You have exceeded a secondary rate limit"})),
        ),
        (
            "200 not json",
            ResponseTemplate::new(200).set_body_string("<html>proxy error</html>"),
        ),
        (
            "timeout",
            ResponseTemplate::new(200).set_delay(Duration::from_secs(3)),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn each_fault_once_is_survived_with_identical_bronze() {
    for (name, fault) in faults() {
        let github = MockGithub::start().await;
        let org = OrgListing::with_repos("nhsx", 1, 150);
        github.mount(&org).await;
        // The second page fails once, then answers.
        github.fault(&org, 1, fault, 1, Some(1)).await;
        let work = Workdir::new();
        mock_config(&work, &github.uri(), &["nhsx"], 3);
        let out = run_online(&work, DAY1, &[]).await;
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("retrying after a wait"),
            "{name}: the wait is logged"
        );
        assert_bronze_pages(&work, DAY1, &org);
        let sidecar = read_json(&bronze_org(&work, DAY1, "nhsx").join("page-0002.meta.json"));
        assert_eq!(sidecar["attempts"], 2, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_persistent_fault_fails_naming_org_and_url_and_publishes_nothing() {
    for (name, fault) in faults() {
        let github = MockGithub::start().await;
        let org = OrgListing::with_repos("nhsx", 1, 150);
        github.mount(&org).await;
        let work = Workdir::new();
        mock_config(&work, &github.uri(), &["nhsx"], 1);
        assert_success(&run_online(&work, DAY1, &[]).await);
        let published = site_csv(&work);

        github.fault(&org, 1, fault, 1, None).await;
        let out = run_online(&work, DAY2, &[]).await;
        let err = stderr(&out);
        let last = err.lines().last().unwrap_or_default();
        let expected_code = if name == "200 not json" { 4 } else { 3 };
        assert_eq!(out.status.code(), Some(expected_code), "{name}: {err}");
        assert!(
            last.starts_with("ohs: extract: org nhsx: GET ")
                && last.contains("/organizations/1/repos?")
                && last.contains("page=2"),
            "{name}: {last}"
        );
        assert!(last.contains("after 2 attempts"), "{name}: {last}");
        assert_eq!(
            site_csv(&work),
            published,
            "{name}: the published CSV must not change"
        );
        let day2 = bronze_org(&work, DAY2, "nhsx");
        assert!(
            !day2.join("_manifest.json").exists(),
            "{name}: an incomplete org has no manifest"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rate_limit_reset_beyond_max_wait_fails_at_once_saying_when() {
    let github = MockGithub::start().await;
    let org = OrgListing::with_repos("nhsx", 1, 5);
    github.mount(&org).await;
    let reset = (chrono::Utc::now().timestamp() + 7200).to_string();
    let limited = ResponseTemplate::new(403)
        .insert_header("x-ratelimit-remaining", "0")
        .insert_header("x-ratelimit-reset", reset.as_str())
        .set_body_json(json!({"message": "API rate limit exceeded"}));
    github.fault(&org, 0, limited, 1, None).await;
    let work = Workdir::new();
    mock_config(&work, &github.uri(), &["nhsx"], 5);
    let out = run_online(&work, DAY1, &[]).await;
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(
        err.contains("rate limited until") && err.contains("run again after that time"),
        "{err}"
    );
    let repo_requests = github
        .requests()
        .await
        .iter()
        .filter(|r| r.url.path().ends_with("/repos"))
        .count();
    assert_eq!(repo_requests, 1, "no retry while the limit is far away");
}

#[tokio::test(flavor = "multi_thread")]
async fn unauthorised_and_unknown_orgs_fail_at_once_as_configuration_errors() {
    let github = MockGithub::start().await;
    let work = Workdir::new();
    // No mock for "ghost": the mock answers 404, as GitHub does for an unknown org.
    mock_config(&work, &github.uri(), &["ghost"], 3);
    let out = run_online(&work, DAY1, &[]).await;
    assert_eq!(out.status.code(), Some(2), "a typo is not retried later");
    assert!(
        stderr(&out).contains("ohs: extract: org ghost: not found on GitHub (404"),
        "{}",
        stderr(&out)
    );
    assert_eq!(github.requests().await.len(), 1, "a 404 is not retried");

    let unauthorised = MockGithub::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"message": "Bad credentials"})),
        )
        .mount(&unauthorised.server)
        .await;
    mock_config(&work, &unauthorised.uri(), &["nhsx"], 3);
    let token = "ghp_rejected_token_0123456789";
    let out = run_online(&work, DAY1, &[("GITHUB_TOKEN", token)]).await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "a bad token is not retried later"
    );
    let err = stderr(&out);
    assert!(
        err.contains("401 Unauthorized: GitHub rejected GITHUB_TOKEN"),
        "{err}"
    );
    assert!(!err.contains(token));
    assert_eq!(
        unauthorised.requests().await.len(),
        1,
        "a 401 is not retried"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_day_reuses_unchanged_pages_through_304s() {
    let github = MockGithub::start().await;
    let same = OrgListing::with_repos("steady", 1, 150);
    let mut changed = OrgListing::with_repos("busy", 2, 3);
    github.mount(&same).await;
    github.mount(&changed).await;
    let work = Workdir::new();
    mock_config(&work, &github.uri(), &["steady", "busy"], 0);
    assert_success(&run_online(&work, DAY1, &[("GITHUB_TOKEN", "t")]).await);

    // Day 2: "busy" gained a repository (new ETag); "steady" is unchanged.
    github.server.reset().await;
    github.mount(&same).await;
    changed = OrgListing::with_repos("busy", 2, 4);
    changed.etag_tag = "v2";
    github.mount(&changed).await;
    let out = run_online(&work, DAY2, &[("GITHUB_TOKEN", "t")]).await;
    assert_success(&out);

    let steady = bronze_org(&work, DAY2, "steady");
    for page in 1..=2 {
        let sidecar = read_json(&steady.join(format!("page-{page:04}.meta.json")));
        assert_eq!(sidecar["status"], 304);
        assert_eq!(sidecar["not_modified_from"], DAY1);
        assert_eq!(
            std::fs::read(steady.join(format!("page-{page:04}.json"))).unwrap(),
            std::fs::read(bronze_org(&work, DAY1, "steady").join(format!("page-{page:04}.json")))
                .unwrap()
        );
    }
    let requests = github.requests().await;
    let conditional: Vec<_> = requests
        .iter()
        .filter(|r| r.headers.contains_key("if-none-match"))
        .collect();
    assert_eq!(
        conditional.len(),
        requests.len(),
        "every day-2 request is conditional"
    );
    let busy_sidecar = read_json(&bronze_org(&work, DAY2, "busy").join("page-0001.meta.json"));
    assert_eq!(busy_sidecar["status"], 200);
    assert_eq!(busy_sidecar["etag"], "\"v2-1\"");
    let csv = site_csv(&work);
    assert_eq!(open_repos_at(&csv, "busy", DAY2), 4);
    assert_eq!(open_repos_at(&csv, "steady", DAY2), 150);
    assert!(stderr(&out).contains("not_modified=3"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_run_resumes_without_refetching_complete_orgs() {
    let github = MockGithub::start().await;
    let good = OrgListing::with_repos("good", 1, 5);
    let flaky = OrgListing::with_repos("flaky", 2, 150);
    github.mount(&good).await;
    github.mount(&flaky).await;
    github
        .fault(&flaky, 1, ResponseTemplate::new(500), 1, None)
        .await;
    let work = Workdir::new();
    mock_config(&work, &github.uri(), &["good", "flaky"], 1);
    let out = run_online(&work, DAY1, &[]).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(bronze_org(&work, DAY1, "good")
        .join("_manifest.json")
        .is_file());
    assert!(!bronze_org(&work, DAY1, "flaky")
        .join("_manifest.json")
        .exists());
    assert!(!work.lake().join("site").exists());

    github.server.reset().await;
    github.mount(&good).await;
    github.mount(&flaky).await;
    let out = run_online(&work, DAY1, &[]).await;
    assert_success(&out);
    let requests = github.requests().await;
    assert!(
        requests.iter().all(|r| !r.url.path().contains("/good")),
        "good was complete"
    );
    assert_bronze_pages(&work, DAY1, &flaky);
    assert_eq!(open_repos_at(&site_csv(&work), "flaky", DAY1), 150);
}

#[tokio::test(flavor = "multi_thread")]
async fn private_repos_never_reach_the_lake_or_the_logs() {
    let github = MockGithub::start().await;
    let mut secret = RepoJson::new(2, "nhsx", "2020-01-02T00:00:00Z")
        .private()
        .to_json();
    secret["name"] = json!("secret-plan-zz9");
    secret["full_name"] = json!("nhsx/secret-plan-zz9");
    let mut internal = RepoJson::new(3, "nhsx", "2020-01-03T00:00:00Z").to_json();
    internal["visibility"] = json!("internal");
    internal["name"] = json!("internal-only-zz9");
    let public = RepoJson::new(1, "nhsx", "2020-01-01T00:00:00Z").to_json();
    let org = OrgListing::from_repos("nhsx", 1, vec![public, secret, internal]);
    github.mount(&org).await;
    let work = Workdir::new();
    mock_config(&work, &github.uri(), &["nhsx"], 0);
    let out = run_online(&work, DAY1, &[("RUST_LOG", "trace")]).await;
    assert_success(&out);
    let sidecar = read_json(&bronze_org(&work, DAY1, "nhsx").join("page-0001.meta.json"));
    assert_eq!(
        (
            sidecar["repos"].clone(),
            sidecar["dropped_non_public"].clone()
        ),
        (json!(1), json!(2))
    );
    let found = grep_tree(&work.lake(), "zz9");
    assert!(found.is_empty(), "non-public names in {found:?}");
    assert!(!stderr(&out).contains("zz9"));
    assert_eq!(open_repos_at(&site_csv(&work), "nhsx", DAY1), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_token_appears_nowhere_even_at_trace_level() {
    let github = MockGithub::start().await;
    let org = OrgListing::with_repos("nhsx", 1, 120);
    github.mount(&org).await;
    github
        .fault(&org, 1, ResponseTemplate::new(502), 1, Some(1))
        .await;
    let work = Workdir::new();
    mock_config(&work, &github.uri(), &["nhsx"], 2);
    let token = "ghp_DISTINCTIVE_fake_token_ZQX81";
    let out = run_online(
        &work,
        DAY1,
        &[("GITHUB_TOKEN", token), ("RUST_LOG", "trace")],
    )
    .await;
    assert_success(&out);
    let requests = github.requests().await;
    assert!(requests
        .iter()
        .all(|r| r.headers.get("authorization").unwrap() == &format!("Bearer {token}")[..]));
    for text in [
        stderr(&out),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ] {
        assert!(!text.contains("ZQX81"), "token in output");
    }
    let found = grep_tree(&work.lake(), "ZQX81");
    assert!(found.is_empty(), "token in {found:?}");
    assert!(stderr(&out).lines().count() > 5, "trace logging was on");
}

#[tokio::test(flavor = "multi_thread")]
async fn truncated_bodies_and_connection_resets_are_retried() {
    for fault in [WireFault::TruncatedBody, WireFault::ConnectionReset] {
        let org = OrgListing::with_repos("nhsx", 1, 40);
        let server = WireFaultServer::start(&org, fault, 1).await;
        let work = Workdir::new();
        mock_config(&work, &server.uri, &["nhsx"], 2);
        let out = run_online(&work, DAY1, &[]).await;
        assert!(out.status.success(), "{fault:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("retrying after a wait"), "{fault:?}");
        assert_bronze_pages(&work, DAY1, &org);

        let persistent = WireFaultServer::start(&org, fault, usize::MAX).await;
        let work = Workdir::new();
        mock_config(&work, &persistent.uri, &["nhsx"], 1);
        let out = run_online(&work, DAY1, &[]).await;
        assert_eq!(out.status.code(), Some(3), "{fault:?}: {}", stderr(&out));
        let last = stderr(&out).lines().last().unwrap_or_default().to_string();
        let url = format!(
            "GET {}/orgs/nhsx/repos?type=public&per_page=100: ",
            persistent.uri
        );
        assert!(
            last.starts_with(&format!("ohs: extract: org nhsx: {url}")),
            "{last}"
        );
        assert!(last.ends_with("after 2 attempts"), "{last}");
        assert!(!work.lake().join("site").exists());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn extract_pauses_before_the_rate_limit_runs_out() {
    let github = MockGithub::start().await;
    let org = OrgListing::with_repos("nhsx", 1, 150);
    github.mount(&org).await;
    // Page 1 leaves one request in the budget, resetting a second from now.
    let reset = (chrono::Utc::now().timestamp() + 1).to_string();
    let nearly_spent = ResponseTemplate::new(200)
        .set_body_raw(org.page_body(0), "application/json")
        .insert_header(
            "link",
            format!(
                "<{}/organizations/1/repos?type=public&per_page=100&page=2>; rel=\"next\"",
                github.uri()
            )
            .as_str(),
        )
        .insert_header("x-ratelimit-remaining", "1")
        .insert_header("x-ratelimit-reset", reset.as_str());
    github.page_mock(&org, 0, nearly_spent, 1).await;
    let work = Workdir::new();
    mock_config(&work, &github.uri(), &["nhsx"], 0);
    let out = run_online(&work, DAY1, &[]).await;
    assert_success(&out);
    assert!(
        stderr(&out).contains("rate limit nearly spent: pausing until it resets"),
        "{}",
        stderr(&out)
    );
    assert_bronze_pages(&work, DAY1, &org);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_renamed_org_is_followed_through_its_redirect() {
    let github = MockGithub::start().await;
    let org = OrgListing::with_repos("nhsx", 1, 2);
    github.mount(&org).await;
    for (old, new) in [
        ("/orgs/old-name", "/orgs/nhsx"),
        (
            "/orgs/old-name/repos",
            "/orgs/nhsx/repos?type=public&per_page=100",
        ),
    ] {
        wiremock::Mock::given(wiremock::matchers::path(old))
            .respond_with(
                ResponseTemplate::new(301)
                    .insert_header("location", format!("{}{new}", github.uri()).as_str()),
            )
            .mount(&github.server)
            .await;
    }
    let work = Workdir::new();
    mock_config(&work, &github.uri(), &["old-name"], 0);
    assert_success(&run_online(&work, DAY1, &[]).await);
    let manifest = read_json(&bronze_org(&work, DAY1, "old-name").join("_manifest.json"));
    assert_eq!(manifest["canonical_login"], "nhsx");
    assert_eq!(open_repos_at(&site_csv(&work), "nhsx", DAY1), 2);
}
