//! Hostile input: the token goes only to the API's origin; the lake keeps no field that
//! describes the token's holder; no secret is printed or stored; hostile numbers fail
//! cleanly; GitHub's wait order is followed across concurrent orgs; exit codes tell a
//! scheduler whether to retry; `ohs validate --online` checks the token and the orgs.

use std::process::{Command, Output};
use std::time::Duration;

use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::{
    assert_success, grep_tree, ohs_command, repo_root, stderr, RepoJson, Workdir, SAMPLE_ORGS,
};
use crate::github_mock::{mock_config, run_online, MockGithub, OrgListing};
use crate::servers::{python, start_azurite, start_moto, AZURITE_KEY};

const DAY1: &str = "2021-03-04";
const DAY2: &str = "2021-03-05";
const TOKEN: &str = "ghp_hardening_secret_token_0123456789";

fn read_json(path: &std::path::Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// A two-page org whose first page links to `next` instead of the API's own page 2.
async fn page_one_linking_to(github: &MockGithub, org: &OrgListing, next: &str) {
    let hostile = ResponseTemplate::new(200)
        .set_body_raw(org.page_body(0), "application/json")
        .insert_header("link", format!("<{next}>; rel=\"next\"").as_str());
    github.page_mock(org, 0, hostile, 1).await;
}

fn assert_refused_origin(out: &Output, what: &str) {
    assert_eq!(out.status.code(), Some(3), "{}", stderr(out));
    let err = stderr(out);
    let last = err.trim().lines().last().unwrap_or_default();
    assert!(
        last.starts_with("ohs: extract: org nhsx: ")
            && last.contains(what)
            && last.contains("is not on the API's origin"),
        "{err}"
    );
    assert!(!err.contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_token_never_leaves_the_apis_origin() {
    let elsewhere = MockGithub::start().await;
    let org = OrgListing::with_repos("nhsx", 1, 150);

    // A next link to another origin (another port of the same host).
    let github = MockGithub::start().await;
    github.mount(&org).await;
    page_one_linking_to(&github, &org, &format!("{}/steal?page=2", elsewhere.uri())).await;
    let work = Workdir::new();
    mock_config(&work, &github.uri(), &["nhsx"], 0);
    let out = run_online(&work, DAY1, &[("GITHUB_TOKEN", TOKEN)]).await;
    assert_refused_origin(&out, "URL http://127.0.0.1:");

    // A redirect to another origin.
    let github = MockGithub::start().await;
    github.mount(&org).await;
    let location = format!("{}/steal", elsewhere.uri());
    let redirect = ResponseTemplate::new(302).insert_header("location", location.as_str());
    github.page_mock(&org, 0, redirect, 1).await;
    let work = Workdir::new();
    mock_config(&work, &github.uri(), &["nhsx"], 0);
    let out = run_online(&work, DAY1, &[("GITHUB_TOKEN", TOKEN)]).await;
    assert_refused_origin(&out, "redirect to http://127.0.0.1:");

    // A link read back from a stored sidecar, on a 304 the next day.
    let github = MockGithub::start().await;
    github.mount(&org).await;
    let work = Workdir::new();
    mock_config(&work, &github.uri(), &["nhsx"], 0);
    assert_success(&run_online(&work, DAY1, &[("GITHUB_TOKEN", TOKEN)]).await);
    let sidecar = work.lake().join(format!(
        "bronze/github/repos/snapshot_date={DAY1}/org=nhsx/page-0001.meta.json"
    ));
    let mut stored = read_json(&sidecar);
    stored["link"] = json!(format!("<{}/steal?page=2>; rel=\"next\"", elsewhere.uri()));
    std::fs::write(&sidecar, serde_json::to_vec(&stored).unwrap()).unwrap();
    let out = run_online(&work, DAY2, &[("GITHUB_TOKEN", TOKEN)]).await;
    assert_refused_origin(&out, "URL http://127.0.0.1:");

    assert!(
        elsewhere.requests().await.is_empty(),
        "nothing was sent elsewhere"
    );
}

#[test]
fn a_token_is_never_sent_over_plain_http_to_another_host() {
    let work = Workdir::new();
    work.write(
        "pipeline.toml",
        "[github]\napi = \"http://192.0.2.1/api\"\n[[orgs]]\nlogin = \"nhsx\"\n",
    );
    let lake = work.lake();
    let out = ohs_command(work.path())
        .args(["extract", "--lake", lake.to_str().unwrap()])
        .env("GITHUB_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("github.api: http://192.0.2.1/api is plain http"),
        "{}",
        stderr(&out)
    );
    assert!(!lake.join("bronze").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lake_keeps_no_field_that_describes_the_tokens_holder() {
    let repos: Vec<Value> = (1..=3)
        .map(|id| {
            let mut repo = RepoJson::new(id, "nhsx", "2020-01-01T00:00:00Z").to_json();
            repo["permissions"] = json!({"admin": true, "push": true, "pull": true});
            repo["role_name"] = json!("admin");
            repo["security_and_analysis"] = json!({"secret_scanning": {"status": "enabled"}});
            repo
        })
        .collect();
    let org = OrgListing::from_repos("nhsx", 1, repos);
    let github = MockGithub::start().await;
    github.mount(&org).await;
    let owner_view = json!({
        "login": "nhsx", "id": 1, "public_repos": 3, "name": "NHSX",
        "billing_email": "finance@nhsx.example", "plan": {"name": "enterprise", "seats": 90},
        "total_private_repos": 41, "owned_private_repos": 41, "disk_usage": 123456,
        "members_can_create_repositories": true, "two_factor_requirement_enabled": true,
    });
    Mock::given(method("GET"))
        .and(path("/orgs/nhsx"))
        .respond_with(ResponseTemplate::new(200).set_body_json(owner_view))
        .with_priority(1)
        .mount(&github.server)
        .await;
    let work = Workdir::new();
    mock_config(&work, &github.uri(), &["nhsx"], 0);
    assert_success(&run_online(&work, DAY1, &[("GITHUB_TOKEN", TOKEN)]).await);

    let bronze = work
        .lake()
        .join(format!("bronze/github/repos/snapshot_date={DAY1}/org=nhsx"));
    let org_json = read_json(&bronze.join("org.json"));
    assert_eq!(
        org_json,
        json!({"login": "nhsx", "id": 1, "public_repos": 3, "name": "NHSX"})
    );
    for needle in [
        "billing_email",
        "finance@nhsx.example",
        "total_private_repos",
        "permissions",
        "role_name",
        "security_and_analysis",
        TOKEN,
    ] {
        assert!(
            grep_tree(&work.lake(), needle).is_empty(),
            "{needle} reached the lake"
        );
    }
    let page = read_json(&bronze.join("page-0001.json"));
    assert_eq!(
        page.as_array().unwrap().len(),
        3,
        "the repositories are all kept"
    );
}

/// Runs `ohs -vv <args>` in `work` with `env`, off the async runtime.
async fn ohs_with(work: &Workdir, args: &[&str], env: &[(&str, String)]) -> Output {
    let mut cmd = ohs_command(work.path());
    cmd.args(["-vv"]).args(args);
    cmd.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// Every object of a store that contains one of `needles` (`tests/servers/grep_store.py`).
fn store_objects_containing(
    args: &[&str],
    env: &[(&str, String)],
    needles: &[&str],
) -> Vec<String> {
    let out = Command::new(python())
        .arg(repo_root().join("tests/servers/grep_store.py"))
        .args(args)
        .args(needles)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "grep_store: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn assert_no_secret(out: &Output, secrets: &[&str]) {
    let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(out));
    for secret in secrets {
        assert!(
            !printed.contains(secret),
            "a secret was printed:\n{printed}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_is_printed_or_stored_with_s3_options_or_an_azure_sas_url() {
    let sample = repo_root().join("data/sample");
    let sample = sample.to_str().unwrap().to_string();
    let run = |lake: &str| {
        [
            "run",
            "--offline",
            &sample,
            "--orgs",
            SAMPLE_ORGS,
            "--lake",
            lake,
            "--snapshot-date",
            DAY1,
        ]
        .map(str::to_string)
    };

    // S3: the key in [lake.options], the token in the environment.
    let (moto, keys) = start_moto("lake");
    let work = Workdir::new();
    work.write(
        "pipeline.toml",
        &format!(
            "[lake]\nmax_retries = 1\n[lake.options]\naws_access_key_id = \"{}\"\n\
             aws_secret_access_key = \"{}\"\n[[orgs]]\nlogin = \"nhsx\"\n",
            keys.access_key_id, keys.secret_access_key
        ),
    );
    let env = vec![
        ("AWS_REGION", "eu-west-2".to_string()),
        ("AWS_ENDPOINT_URL", moto.endpoint()),
        ("AWS_ALLOW_HTTP", "true".to_string()),
        ("GITHUB_TOKEN", TOKEN.to_string()),
    ];
    let secrets = [keys.secret_access_key.as_str(), TOKEN];
    let args = run("s3://lake/ohs");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = ohs_with(&work, &args, &env).await;
    assert_success(&out);
    assert_no_secret(&out, &secrets);
    for command in [
        &["validate"][..],
        &["status"],
        &["validate", "--offline", "x"],
    ] {
        let mut args = command.to_vec();
        args.extend(["--lake", "s3://lake/ohs"]);
        assert_no_secret(&ohs_with(&work, &args, &env).await, &secrets);
    }
    let s3_env = vec![
        ("AWS_ACCESS_KEY_ID", keys.access_key_id.clone()),
        ("AWS_SECRET_ACCESS_KEY", keys.secret_access_key.clone()),
    ];
    let found = store_objects_containing(&["s3", &moto.endpoint(), "lake"], &s3_env, &secrets);
    assert!(found.is_empty(), "secrets stored in {found:?}");

    // Azure: a SAS signature in the lake URL's query.
    let azurite = start_azurite("ohs");
    let env = vec![
        ("AZURE_STORAGE_USE_EMULATOR", "true".to_string()),
        ("AZURITE_BLOB_STORAGE_URL", azurite.endpoint()),
        ("AZURE_STORAGE_ACCOUNT_NAME", "devstoreaccount1".to_string()),
        ("AZURE_STORAGE_ACCOUNT_KEY", AZURITE_KEY.to_string()),
        ("GITHUB_TOKEN", TOKEN.to_string()),
    ];
    let signature = "SASSIGNATURE0123456789abcdef";
    let lake = format!("az://ohs/lake?sv=2022-11-02&sp=racwdl&sig={signature}");
    let work = Workdir::new();
    work.write("pipeline.toml", "[[orgs]]\nlogin = \"nhsx\"\n");
    let args = run(&lake);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = ohs_with(&work, &args, &env).await;
    let secrets = [signature, AZURITE_KEY, TOKEN];
    assert_no_secret(&out, &secrets);
    assert!(stderr(&out).contains("sig=***"), "{}", stderr(&out));
    assert_no_secret(
        &ohs_with(&work, &["validate", "--lake", &lake], &env).await,
        &secrets,
    );
    let https = format!("https://acct.blob.core.windows.net/ohs?sv=1&sig={signature}");
    let out = ohs_with(&work, &["validate", "--lake", &https], &env).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_no_secret(&out, &secrets);
    let endpoint = format!("{}/devstoreaccount1", azurite.endpoint());
    let found = store_objects_containing(&["azure", &endpoint, "ohs"], &[], &secrets);
    assert!(found.is_empty(), "secrets stored in {found:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_numbers_fail_cleanly_with_their_exit_codes() {
    let org = OrgListing::with_repos("nhsx", 1, 2);
    let cases = [
        (
            ResponseTemplate::new(403)
                .insert_header("retry-after", "100000000000000")
                .set_body_json(json!({"message": "slow down"})),
            "rate limited for longer than any date can say",
        ),
        (
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", "9223372036854775807"),
            "rate limited for longer than any date can say",
        ),
        (
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", "-9223372036854775808"),
            "after 1 attempts",
        ),
    ];
    for (response, expected) in cases {
        let github = MockGithub::start().await;
        github.mount(&org).await;
        github.page_mock(&org, 0, response, 1).await;
        let work = Workdir::new();
        mock_config(&work, &github.uri(), &["nhsx"], 0);
        let out = run_online(&work, DAY1, &[("GITHUB_TOKEN", TOKEN)]).await;
        assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
        assert!(stderr(&out).contains(expected), "{}", stderr(&out));
        assert!(!stderr(&out).contains("internal error"), "{}", stderr(&out));
    }

    // A count no 64-bit signed column holds is invalid data.
    let work = Workdir::new();
    let mut repo = RepoJson::new(1, "nhsx", "2020-01-01T00:00:00Z").to_json();
    repo["stargazers_count"] = json!(u64::MAX);
    std::fs::create_dir_all(work.pages_dir().join("nhsx")).unwrap();
    std::fs::write(
        work.pages_dir().join("nhsx/page-1.json"),
        serde_json::to_vec(&[repo]).unwrap(),
    )
    .unwrap();
    work.config(&["nhsx"]);
    let out = work.run_offline(DAY1);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "stargazers_count: 18446744073709551615 does not fit a 64-bit signed integer column"
        ),
        "{}",
        stderr(&out)
    );
    assert!(!work.lake().join("site").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_after_wins_over_a_spent_budget_among_concurrent_orgs() {
    let github = MockGithub::start().await;
    let orgs: Vec<OrgListing> = ["a", "b", "c", "d"]
        .iter()
        .enumerate()
        .map(|(i, login)| OrgListing::with_repos(login, 10 + i as u64, 120))
        .collect();
    for org in &orgs {
        github.mount(org).await;
    }
    let reset = (chrono::Utc::now().timestamp() + 3600).to_string();
    let limited = ResponseTemplate::new(403)
        .insert_header("retry-after", "1")
        .insert_header("x-ratelimit-remaining", "0")
        .insert_header("x-ratelimit-reset", reset.as_str())
        .set_body_json(json!({"message": "You have exceeded a secondary rate limit"}));
    github.fault(&orgs[0], 0, limited, 1, Some(1)).await;
    let work = Workdir::new();
    mock_config(&work, &github.uri(), &["a", "b", "c", "d"], 2);
    let out = run_online(&work, DAY1, &[("GITHUB_TOKEN", TOKEN)]).await;
    assert_success(&out);
    let log = stderr(&out);
    assert!(
        log.contains("retrying after a wait") && log.contains("wait_secs=1"),
        "{log}"
    );
    assert!(
        !log.contains("pausing until it resets"),
        "a task waited for the reset:\n{log}"
    );
    let first_pages = github
        .requests()
        .await
        .iter()
        .filter(|r| r.url.path() == "/orgs/a/repos")
        .count();
    assert_eq!(
        first_pages, 2,
        "the limited request was retried once, at once"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_codes_say_whether_a_retry_can_help() {
    // 403 without any rate limit (SSO enforcement, a blocked token): a person must act.
    let github = MockGithub::start().await;
    let org = OrgListing::with_repos("nhsx", 1, 2);
    github.mount(&org).await;
    let sso = ResponseTemplate::new(403).set_body_json(json!({
        "message": "Resource protected by organization SAML enforcement."
    }));
    github.page_mock(&org, 0, sso, 1).await;
    let work = Workdir::new();
    mock_config(&work, &github.uri(), &["nhsx"], 3);
    let out = run_online(&work, DAY1, &[("GITHUB_TOKEN", TOKEN)]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("SAML single sign-on"),
        "{}",
        stderr(&out)
    );
    let listed = github
        .requests()
        .await
        .iter()
        .filter(|r| r.url.path() == "/orgs/nhsx/repos")
        .count();
    assert_eq!(listed, 1, "not retried");
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_online_checks_the_token_and_every_org_for_free() {
    let github = MockGithub::start().await;
    github.mount(&OrgListing::with_repos("nhsx", 1, 2)).await;
    let budget = json!({"resources": {"core": {"limit": 5000, "remaining": 4999, "reset": 1}}});
    Mock::given(method("GET"))
        .and(path("/rate_limit"))
        .respond_with(ResponseTemplate::new(200).set_body_json(budget))
        .mount(&github.server)
        .await;
    let work = Workdir::new();
    mock_config(&work, &github.uri(), &["nhsx", "ghost"], 0);
    let validate = |work: &Workdir, orgs: &str| {
        let mut cmd = ohs_command(work.path());
        cmd.args(["validate", "--online", "--orgs", orgs, "--lake"])
            .arg(work.lake())
            .env("GITHUB_TOKEN", TOKEN);
        cmd
    };
    let mut good = validate(&work, "nhsx");
    let out = tokio::task::spawn_blocking(move || good.output().unwrap())
        .await
        .unwrap();
    assert_success(&out);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        stdout.contains("GITHUB_TOKEN accepted, 4999 of 5000 requests left"),
        "{stdout}"
    );
    assert!(stdout.contains("org nhsx: ok"), "{stdout}");

    let mut typo = validate(&work, "nhsx,ghost");
    let out = tokio::task::spawn_blocking(move || typo.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("org ghost: not found on GitHub"));
    assert!(
        stderr(&out).contains("not found: ghost on GitHub"),
        "{}",
        stderr(&out)
    );
    assert!(!work.lake().exists(), "validate wrote nothing");
    let requests = github.requests().await;
    assert!(
        requests.iter().all(|r| !r.url.path().ends_with("/repos")),
        "no listing asked"
    );

    // A rejected token is a configuration error, found before any org is asked.
    let rejected = MockGithub::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"message": "Bad credentials"})),
        )
        .mount(&rejected.server)
        .await;
    let work = Workdir::new();
    mock_config(&work, &rejected.uri(), &["nhsx"], 0);
    let mut cmd = validate(&work, "nhsx");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("GitHub rejected GITHUB_TOKEN"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains(TOKEN));
    tokio::time::sleep(Duration::from_millis(1)).await;
}

#[test]
fn hostile_owner_urls_never_become_links_in_the_page() {
    let work = Workdir::new();
    let hostile = [
        ("alpha", "javascript:alert(document.cookie)"),
        ("beta", "data:text/html,<script>alert(1)</script>"),
        ("gamma", "//evil.example/gamma"),
        ("delta", "https://github.com/delta"),
    ];
    for (login, url) in hostile {
        let mut repo = RepoJson::new(login.len() as u64, "x", "2020-01-01T00:00:00Z").to_json();
        repo["owner"] = json!({"login": login, "html_url": url, "type": "Organization"});
        repo["full_name"] = json!(format!("{login}/repo"));
        let dir = work.pages_dir().join(login);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("page-1.json"),
            serde_json::to_vec(&[repo]).unwrap(),
        )
        .unwrap();
    }
    work.config(&["alpha", "beta", "gamma", "delta"]);
    assert_success(&work.run_offline(DAY1));
    // The owner's URL is linked from the organisation's own page, never from any page if
    // it is not GitHub's.
    let index = work.read("lake/site/index.html");
    for (login, _) in hostile {
        let page = work.read(&format!("lake/site/orgs/{login}.html"));
        for scheme in ["href=\"javascript:", "href=\"data:", "href=\"//evil"] {
            assert!(
                !page.contains(scheme) && !index.contains(scheme),
                "{scheme} became a link"
            );
        }
        assert!(
            page.contains(&format!("<h1>Display {login}</h1>")),
            "the name still shows, as text"
        );
    }
    assert!(
        work.read("lake/site/orgs/delta.html")
            .contains("<a href=\"https://github.com/delta\">"),
        "GitHub's own URL links"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_304_never_copies_bytes_its_sidecar_does_not_vouch_for() {
    let github = MockGithub::start().await;
    let org = OrgListing::with_repos("nhsx", 1, 3);
    github.mount(&org).await;
    let work = Workdir::new();
    mock_config(&work, &github.uri(), &["nhsx"], 0);
    assert_success(&run_online(&work, DAY1, &[("GITHUB_TOKEN", TOKEN)]).await);
    // The earlier copy is altered after it was stored.
    let day1 = work
        .lake()
        .join(format!("bronze/github/repos/snapshot_date={DAY1}/org=nhsx"));
    std::fs::write(day1.join("page-0001.json"), b"[]").unwrap();

    let out = run_online(&work, DAY2, &[("GITHUB_TOKEN", TOKEN)]).await;
    assert_success(&out);
    assert!(
        stderr(&out).contains("missing or altered"),
        "{}",
        stderr(&out)
    );
    let day2 = work
        .lake()
        .join(format!("bronze/github/repos/snapshot_date={DAY2}/org=nhsx"));
    assert_eq!(
        std::fs::read(day2.join("page-0001.json")).unwrap(),
        org.page_body(0)
    );
    assert_eq!(read_json(&day2.join("page-0001.meta.json"))["status"], 200);
}
