//! Snapshot integrity under real operations: a snapshot's orgs only grow, whatever a later
//! run's `--orgs`; transform names the orgs it still needs; shards extracted at once build
//! what one run builds; a lease keeps a second writer out; a back-dated run counts only what
//! existed on its day and says it was observed later; stages run by hand publish the page
//! of their own build.

use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use wiremock::ResponseTemplate;

use crate::common::{
    assert_success, ohs_command, partition_file, read_parquet, repo_root, run_sample_into, stderr,
    RepoJson, Workdir,
};
use crate::github_mock::{mock_config, MockGithub, OrgListing};

const DAY: &str = "2021-03-04";

fn expected_sample_csv() -> String {
    std::fs::read_to_string(
        repo_root().join("tests/fixtures/expected/sample_org_repos_agg_2021-03-04.csv"),
    )
    .unwrap()
}

/// One org, `alpha`, with one repository, recorded and configured in `work`.
fn record_alpha(work: &Workdir) {
    work.record_pages(
        "alpha",
        &[vec![RepoJson::new(1, "alpha", "2020-01-01T00:00:00Z")]],
    );
    work.config(&["alpha"]);
}

fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap()
}

/// `ohs <args> --lake <work's lake> --snapshot-date DAY` in `work`.
fn ohs_on_lake(work: &Workdir, args: &[&str]) -> Output {
    let lake = work.lake();
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--lake", lake.to_str().unwrap()]);
    // `ohs status` covers every snapshot: it takes no date.
    if args.first() != Some(&"status") {
        all.extend(["--snapshot-date", DAY]);
    }
    work.ohs(&all)
}

/// The build the published site shows, and the build its page names.
fn published_builds(lake: &Path) -> (String, String) {
    let manifest = read_json(&lake.join("site/_manifest.json"));
    let build = manifest["build"]["build_id"].as_str().unwrap().to_string();
    let page = std::fs::read_to_string(lake.join("site/index.html")).unwrap();
    let marker = "<meta name=\"ohs-build\" content=\"";
    let start = page.find(marker).expect("the page names its build") + marker.len();
    let page_build = page[start..start + 16].to_string();
    (build, page_build)
}

#[test]
fn a_later_run_with_fewer_orgs_keeps_every_org_of_the_snapshot() {
    let work = Workdir::new();
    let lake = work.lake();
    assert_success(&run_sample_into(&work, &lake));
    let config = repo_root().join("pipeline.toml");
    let config = config.to_str().unwrap();
    let sample = repo_root().join("data/sample");
    let sample = sample.to_str().unwrap();

    // The whole pipeline again, for one org of the six: the snapshot keeps all six.
    let nhsx_only = [
        "run",
        "--config",
        config,
        "--offline",
        sample,
        "--orgs",
        "nhsx",
    ];
    assert_success(&ohs_on_lake(&work, &nhsx_only));
    assert_eq!(
        work.read("lake/site/org_repos_agg.csv"),
        expected_sample_csv()
    );

    // The stages by hand, with no `ohs report`: the page published is that build's.
    // Each stage with the flags it takes: the recording is extract's, the orgs not publish's.
    for (stage, flags) in [
        ("extract", &["--offline", sample, "--orgs", "nhsx"][..]),
        ("transform", &["--orgs", "nhsx"][..]),
        ("publish", &[][..]),
    ] {
        let mut all = vec![stage, "--config", config];
        all.extend(flags);
        assert_success(&ohs_on_lake(&work, &all));
    }
    assert_eq!(
        work.read("lake/site/org_repos_agg.csv"),
        expected_sample_csv()
    );
    let (build, page_build) = published_builds(&lake);
    assert_eq!(
        build, page_build,
        "site/index.html is of the build published"
    );
}

#[test]
fn transform_names_the_orgs_it_still_needs_and_stages_nothing() {
    let work = Workdir::new();
    work.record_pages(
        "alpha",
        &[vec![RepoJson::new(1, "alpha", "2020-01-01T00:00:00Z")]],
    );
    work.record_pages(
        "beta",
        &[vec![RepoJson::new(2, "beta", "2020-02-01T00:00:00Z")]],
    );
    work.config(&["alpha", "beta"]);
    let pages = work.pages_dir();
    let pages = pages.to_str().unwrap();

    assert_success(&ohs_on_lake(
        &work,
        &["extract", "--offline", pages, "--orgs", "alpha"],
    ));
    let out = ohs_on_lake(&work, &["transform"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).trim(),
        format!(
            "ohs: transform: snapshot {DAY} has no complete bronze for beta: run \
             `ohs extract --snapshot-date {DAY} --orgs beta` first"
        )
    );
    for layer in ["silver", "staging", "gold", "site"] {
        assert!(!work.lake().join(layer).exists(), "{layer}/ was written");
    }

    // Once the other task has extracted beta, the same command builds both.
    assert_success(&ohs_on_lake(
        &work,
        &["extract", "--offline", pages, "--orgs", "beta"],
    ));
    assert_success(&ohs_on_lake(&work, &["transform"]));
    assert_success(&ohs_on_lake(&work, &["publish"]));
    let csv = work.read("lake/site/org_repos_agg.csv");
    assert!(csv.contains("\nalpha,") && csv.contains("\nbeta,"), "{csv}");
}

/// Seven orgs, two of them over several pages.
fn seven_orgs() -> Vec<OrgListing> {
    let logins = ["north", "south", "east", "west", "centre", "coast", "hills"];
    logins
        .iter()
        .enumerate()
        .map(|(i, login)| {
            OrgListing::with_repos(login, 100 + i as u64, [3, 250, 1, 0, 120, 7, 2][i])
        })
        .collect()
}

async fn mock_with(orgs: &[OrgListing]) -> MockGithub {
    let github = MockGithub::start().await;
    for org in orgs {
        github.mount(org).await;
    }
    github
}

/// Every file under `lake/<layer>` (relative path → bytes), leaving out the manifests and
/// Delta commits, which record a run (its id and times) rather than data: gold's tables
/// stand as their versions and files instead.
fn layer_files(lake: &Path, layer: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![lake.join(layer)];
    while let Some(path) = stack.pop() {
        let name = path.strip_prefix(lake).unwrap().display().to_string();
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if !path.ends_with("_manifest.json") && !crate::delta::is_delta_log(&name) {
            out.push((name, std::fs::read(&path).unwrap()));
        }
    }
    if layer == "gold" {
        out.extend(crate::delta::log_states_as_files(lake));
    }
    out.sort();
    out
}

fn spawn_ohs(work: &Workdir, args: &[&str]) -> Child {
    ohs_command(work.path())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ohs")
}

#[tokio::test(flavor = "multi_thread")]
async fn three_shards_at_once_build_what_one_run_builds() {
    let orgs = seven_orgs();
    let logins: Vec<&str> = orgs.iter().map(|o| o.login).collect();

    let whole = Workdir::new();
    let github = mock_with(&orgs).await;
    mock_config(&whole, &github.uri(), &logins, 0);
    let out = tokio::task::spawn_blocking(move || {
        let out = ohs_on_lake(&whole, &["run"]);
        (whole, out)
    });
    let (whole, out) = out.await.unwrap();
    assert_success(&out);

    let split = Workdir::new();
    let github = mock_with(&orgs).await;
    mock_config(&split, &github.uri(), &logins, 0);
    let lake = split.lake();
    let lake_arg = lake.to_str().unwrap().to_string();
    let shards: Vec<Child> = (1..=3)
        .map(|i| {
            let shard = format!("{i}/3");
            let args = [
                "extract",
                "--shard",
                &shard,
                "--lake",
                &lake_arg,
                "--snapshot-date",
                DAY,
            ];
            spawn_ohs(&split, &args)
        })
        .collect();
    for shard in shards {
        let out = tokio::task::spawn_blocking(move || shard.wait_with_output().unwrap())
            .await
            .unwrap();
        assert_success(&out);
    }
    // Each org was listed once, by exactly one shard.
    let requests = github.requests().await;
    for login in &logins {
        let listed = requests
            .iter()
            .filter(|r| r.url.path() == format!("/orgs/{login}/repos"))
            .count();
        assert_eq!(listed, 1, "{login} listed by {listed} shards");
    }
    let split = tokio::task::spawn_blocking(move || {
        assert_success(&ohs_on_lake(&split, &["transform"]));
        assert_success(&ohs_on_lake(&split, &["publish"]));
        split
    })
    .await
    .unwrap();

    for layer in ["silver", "gold", "site"] {
        let (one, three) = (
            layer_files(&whole.lake(), layer),
            layer_files(&split.lake(), layer),
        );
        let names =
            |files: &[(String, Vec<u8>)]| files.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
        assert_eq!(names(&one), names(&three), "{layer}: the same files");
        for ((name, a), (_, b)) in one.iter().zip(&three) {
            assert!(a == b, "{name} differs between one run and three shards");
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if path.exists() {
            out.push(path);
        }
    }
    out
}

/// A run that holds its leases for a while: its org's listing answers after `delay`.
async fn slow_mock(work: &Workdir, delay: Duration) -> MockGithub {
    let org = OrgListing::with_repos("slow", 7, 2);
    let github = mock_with(std::slice::from_ref(&org)).await;
    let ok = ResponseTemplate::new(200)
        .set_body_raw(org.page_body(0), "application/json")
        .set_delay(delay);
    github.page_mock(&org, 0, ok, 1).await;
    mock_config(work, &github.uri(), &["slow"], 0);
    let config = work
        .read("pipeline.toml")
        .replace("timeout_secs = 2", "timeout_secs = 60");
    work.write("pipeline.toml", &config);
    github
}

fn assert_refused_by_lease(second: &Output) {
    assert_eq!(second.status.code(), Some(6), "{}", stderr(second));
    let err = stderr(second);
    let last = err.trim().lines().last().unwrap_or_default().to_string();
    assert!(
        last.starts_with("ohs: lease bronze of org slow for 2021-03-04: held by run ")
            && last.contains("another ohs run is writing it"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_run_while_one_writes_fails_at_once_and_changes_nothing() {
    let work = Workdir::new();
    let _github = slow_mock(&work, Duration::from_secs(3)).await;
    let lake = work.lake();
    std::fs::create_dir_all(&lake).unwrap();
    let (first, second) =
        two_runs_at_once(&work, lake.to_str().unwrap(), &[], Duration::ZERO).await;
    assert_refused_by_lease(&second);
    assert_success(&first);
    let csv = work.read("lake/site/org_repos_agg.csv");
    assert_eq!(
        csv.lines().filter(|l| l.starts_with("slow,")).count(),
        3,
        "{csv}"
    );
    // The first run released its leases; the next run takes them at once.
    assert_success(&ohs_on_lake(&work, &["run"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lease_is_renewed_while_its_run_lives() {
    let work = Workdir::new();
    let _github = slow_mock(&work, Duration::from_secs(6)).await;
    let config = work.read("pipeline.toml");
    work.write(
        "pipeline.toml",
        &format!("[lake]\nlease_ttl_secs = 3\n{config}"),
    );
    let lake = work.lake();
    std::fs::create_dir_all(&lake).unwrap();
    // The second run starts after the first lease's lifetime: renewed, it still holds.
    let head_start = Duration::from_secs(4);
    let (first, second) = two_runs_at_once(&work, lake.to_str().unwrap(), &[], head_start).await;
    assert_refused_by_lease(&second);
    assert_success(&first);
}

#[test]
fn a_run_waits_for_a_held_lease_when_told_to() {
    let work = Workdir::new();
    let lake = work.lake();
    work.record_pages(
        "alpha",
        &[vec![RepoJson::new(1, "alpha", "2020-01-01T00:00:00Z")]],
    );
    work.write(
        "pipeline.toml",
        "[lake]\nlease_wait_secs = 60\n\n[[orgs]]\nlogin = \"alpha\"\n",
    );
    let soon = chrono::Utc::now() + chrono::Duration::seconds(2);
    foreign_site_lease(&lake, &soon.to_rfc3339(), false);
    let pages = work.pages_dir();
    let out = ohs_on_lake(&work, &["run", "--offline", pages.to_str().unwrap()]);
    assert_success(&out);
    assert!(
        stderr(&out).contains("lease held by another run: waiting"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn transform_waits_for_no_extract_of_the_snapshot() {
    let work = Workdir::new();
    let lake = work.lake();
    record_alpha(&work);
    let pages = work.pages_dir();
    assert_success(&ohs_on_lake(
        &work,
        &["extract", "--offline", pages.to_str().unwrap()],
    ));
    // Another run is (re)writing alpha's bronze: transform would read half of it.
    foreign_lease(
        &lake,
        &format!("_leases/bronze/snapshot_date={DAY}/org=alpha"),
        "2999-01-01T00:00:00Z",
        false,
    );
    let out = ohs_on_lake(&work, &["transform"]);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("held by run 20990101T000000.000Z-4242"),
        "{}",
        stderr(&out)
    );
    assert!(!lake.join("staging").exists());
}

/// Writes a lease of another host on `site/` into `lake`.
fn foreign_site_lease(lake: &Path, expires: &str, released: bool) {
    foreign_lease(lake, "_leases/site", expires, released);
}

/// Writes a lease of another host in the lease folder `folder` of `lake`.
fn foreign_lease(lake: &Path, folder: &str, expires: &str, released: bool) {
    let dir = lake.join(folder);
    std::fs::create_dir_all(&dir).unwrap();
    let record = serde_json::json!({
        "part": "site/", "run_id": "20990101T000000.000Z-4242", "host": "elsewhere",
        "pid": 4242, "started": "2021-03-04T00:00:00Z", "expires": expires, "released": released,
    });
    std::fs::write(dir.join("00000000000000000003.json"), record.to_string()).unwrap();
}

#[test]
fn a_live_lease_of_another_host_refuses_and_an_expired_or_released_one_is_taken_over() {
    let work = Workdir::new();
    let lake = work.lake();
    record_alpha(&work);
    let pages = work.pages_dir();
    let run = ["run", "--offline", pages.to_str().unwrap()];

    foreign_site_lease(&lake, "2999-01-01T00:00:00Z", false);
    let out = ohs_on_lake(&work, &run);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).trim().lines().last().unwrap(),
        "ohs: lease site/: held by run 20990101T000000.000Z-4242 on host elsewhere (pid 4242) \
         until 2999-01-01T00:00:00Z: another ohs run is writing it; run again after that time \
         (or set [lake] lease_wait_secs)"
    );
    for layer in [
        "bronze",
        "silver",
        "staging",
        "gold",
        "site/org_repos_agg.csv",
    ] {
        assert!(!lake.join(layer).exists(), "{layer} was written");
    }

    for (expires, released) in [
        ("2021-03-04T00:05:00Z", false),
        ("2999-01-01T00:00:00Z", true),
    ] {
        foreign_site_lease(&lake, expires, released);
        assert_success(&ohs_on_lake(&work, &run));
        let leases: Vec<PathBuf> = walk(&lake.join("_leases/site"));
        assert_eq!(
            leases.len(),
            1,
            "superseded generations are deleted: {leases:?}"
        );
        let ours = read_json(&leases[0]);
        assert_eq!(ours["released"], true, "released at the end: {ours}");
        assert_ne!(ours["host"], "elsewhere");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn leases_keep_runs_apart_on_s3_and_azure() {
    use crate::servers::{start_azurite, start_moto, AZURITE_KEY};
    let (moto, keys) = start_moto("lake");
    let s3 = vec![
        ("AWS_ACCESS_KEY_ID", keys.access_key_id.clone()),
        ("AWS_SECRET_ACCESS_KEY", keys.secret_access_key.clone()),
        ("AWS_REGION", "eu-west-2".to_string()),
        ("AWS_ENDPOINT_URL", moto.endpoint()),
        ("AWS_ALLOW_HTTP", "true".to_string()),
    ];
    let azurite = start_azurite("ohs");
    let azure = vec![
        ("AZURE_STORAGE_USE_EMULATOR", "true".to_string()),
        ("AZURITE_BLOB_STORAGE_URL", azurite.endpoint()),
        ("AZURE_STORAGE_ACCOUNT_NAME", "devstoreaccount1".to_string()),
        ("AZURE_STORAGE_ACCOUNT_KEY", AZURITE_KEY.to_string()),
    ];
    for (lake, env) in [("s3://lake/ohs", s3), ("az://ohs/lake", azure)] {
        let work = Workdir::new();
        let _github = slow_mock(&work, Duration::from_secs(3)).await;
        let (first, second) = two_runs_at_once(&work, lake, &env, Duration::ZERO).await;
        assert_refused_by_lease(&second);
        assert_success(&first);
        // Each run checked that the store refuses a second create of one object: a store
        // that did not would have failed both runs (exit 5) before they wrote anything.
        assert!(
            !stderr(&first).contains("conditional creates"),
            "{}",
            stderr(&first)
        );
    }
}

/// Two `ohs run`s on one lake: the second starts `head_start` after the first has logged
/// that it took its leases, while its slow listing keeps it running.
async fn two_runs_at_once(
    work: &Workdir,
    lake: &str,
    env: &[(&str, String)],
    head_start: Duration,
) -> (Output, Output) {
    let args = ["run", "-v", "--lake", lake, "--snapshot-date", DAY];
    let mut first = ohs_command(work.path());
    first
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    let log = work.path().join("first.log");
    let log_file = std::fs::File::create(&log).unwrap();
    let mut first = first
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .unwrap();
    let first = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("lease taken")
        {
            if let Ok(Some(status)) = first.try_wait() {
                panic!(
                    "the first run ended ({status}): {}",
                    std::fs::read_to_string(&log).unwrap()
                );
            }
            assert!(Instant::now() < deadline, "the first run took no lease");
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(head_start);
        (first, log)
    })
    .await
    .unwrap();
    let mut second = ohs_command(work.path());
    second
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    let second = tokio::task::spawn_blocking(move || second.output().unwrap())
        .await
        .unwrap();
    let (mut child, log) = first;
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    let stderr = std::fs::read(&log).unwrap();
    let first = Output {
        status,
        stdout: Vec::new(),
        stderr,
    };
    (first, second)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_back_dated_run_counts_only_what_existed_on_its_day_and_says_so() {
    let repos = [
        (1, "2021-03-01T10:00:00Z"),
        (2, "2021-03-04T23:59:59Z"),
        (3, "2021-03-05T00:00:01Z"),
        (4, "2022-06-01T00:00:00Z"),
    ];
    let repos = repos
        .iter()
        .map(|(id, created)| {
            RepoJson::new(*id, "later", created)
                .language("Rust")
                .to_json()
        })
        .collect();
    let org = OrgListing::from_repos("later", 9, repos);
    let github = mock_with(std::slice::from_ref(&org)).await;
    let work = Workdir::new();
    mock_config(&work, &github.uri(), &["later"], 0);
    let work = tokio::task::spawn_blocking(move || {
        let out = ohs_on_lake(&work, &["run"]);
        assert_success(&out);
        let today = chrono::Utc::now().date_naive();
        assert!(
            stderr(&out).contains(&format!(
                "snapshot 2021-03-04 is reconstructed from the forges as observed on {today}"
            )),
            "{}",
            stderr(&out)
        );
        let status = ohs_on_lake(&work, &["status"]);
        assert_success(&status);
        let status = String::from_utf8_lossy(&status.stdout).to_string();
        assert!(
            status.contains(&format!(
                "2021-03-04: reconstructed from the forges as observed on {today}"
            )),
            "{status}"
        );
        let manifest = read_json(&work.lake().join("site/_manifest.json"));
        assert_eq!(manifest["build"]["reconstructed_from"], today.to_string());
        assert_eq!(manifest["build"]["created_after_snapshot"], 2);
        work
    })
    .await
    .unwrap();

    // The site: nothing dated after the day, two repositories on it.
    let csv = work.read("lake/site/org_repos_agg.csv");
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert!(rows.iter().all(|r| r[1] <= DAY), "{csv}");
    assert_eq!(rows.last().unwrap()[1..3], [DAY, "2"], "{csv}");
    // Gold agrees; silver keeps all four, the later two flagged.
    let latest = read_parquet(&partition_file(&work.lake(), "gold/org_latest", DAY));
    assert_eq!(
        latest
            .column("open_repositories")
            .unwrap()
            .i64()
            .unwrap()
            .get(0),
        Some(2)
    );
    let headline = read_parquet(&partition_file(&work.lake(), "gold/headline", DAY));
    let open: i64 = headline
        .column("open_repositories")
        .unwrap()
        .i64()
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(open, 2);
    let silver = read_parquet(
        &work
            .lake()
            .join(format!("silver/repos/snapshot_date={DAY}/part-0.parquet")),
    );
    let flags: Vec<Option<bool>> = silver
        .column("created_after_snapshot")
        .unwrap()
        .bool()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(flags, [Some(false), Some(false), Some(true), Some(true)]);

    // Offline, a recording is not a later observation: no warning, nothing reconstructed.
    let replay = Workdir::new();
    replay.record_pages(
        "alpha",
        &[vec![RepoJson::new(1, "alpha", "2020-01-01T00:00:00Z")]],
    );
    replay.config(&["alpha"]);
    let pages = replay.pages_dir();
    let out = ohs_on_lake(&replay, &["run", "--offline", pages.to_str().unwrap()]);
    assert_success(&out);
    assert!(!stderr(&out).contains("reconstructed"), "{}", stderr(&out));
}

#[test]
fn publish_refuses_staged_outputs_of_another_build() {
    let work = Workdir::new();
    record_alpha(&work);
    let pages = work.pages_dir();
    assert_success(&ohs_on_lake(
        &work,
        &["extract", "--offline", pages.to_str().unwrap()],
    ));
    assert_success(&ohs_on_lake(&work, &["transform"]));
    // As if a transform had stopped half way: one staged table is not the recorded build's.
    let staged = work.lake().join(format!("staging/snapshot_date={DAY}"));
    std::fs::copy(
        staged.join("gold/headline/part-0.parquet"),
        staged.join("gold/org_latest/part-0.parquet"),
    )
    .unwrap();
    let out = ohs_on_lake(&work, &["publish"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.trim().lines().last().unwrap().starts_with(&format!(
            "ohs: publish: snapshot {DAY}: staged staging/snapshot_date={DAY}/gold/org_latest/part-0.parquet is not of build "
        )),
        "{err}"
    );
    assert!(!work.lake().join("site").exists(), "nothing published");
    assert!(!work.lake().join("gold").exists(), "nothing published");
}

/// `path` with `bytes` appended: still the JSON it was, no longer the bytes its checksum vouches for.
fn append(path: &Path, bytes: &[u8]) {
    let mut content = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    content.extend_from_slice(bytes);
    std::fs::write(path, content).unwrap();
}

/// Transform of the sample's lake, which must fail with exit 4 naming `file` and `what`,
/// leaving the staged build record as it was.
fn assert_transform_refuses(work: &Workdir, file: &str, what: &str) {
    let record = work
        .lake()
        .join(format!("staging/snapshot_date={DAY}/_build.json"));
    let before = std::fs::read(&record).ok();
    let config = repo_root().join("pipeline.toml");
    let config = config.to_str().unwrap();
    let out = ohs_on_lake(
        work,
        &["transform", "--config", config, "--orgs", "nhsconnect"],
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let last = stderr(&out).lines().last().unwrap_or_default().to_string();
    assert!(last.contains(file) && last.contains(what), "{last}");
    assert_eq!(
        std::fs::read(&record).ok(),
        before,
        "the staged build changed"
    );
}

#[test]
fn transform_refuses_bronze_that_is_not_the_bytes_its_checksums_vouch_for() {
    let work = Workdir::new();
    assert_success(&run_sample_into(&work, &work.lake()));
    let bronze = work.lake().join("bronze");
    let org = bronze.join(format!("github/repos/snapshot_date={DAY}/org=nhsconnect"));
    let page = org.join("page-0002.json");
    let saved = std::fs::read(&page).unwrap();
    append(&page, b" ");
    assert_transform_refuses(
        &work,
        "page-0002.json",
        "do not match the sidecar's checksum",
    );
    std::fs::remove_file(&page).unwrap();
    assert_transform_refuses(
        &work,
        "page-0002.json",
        "missing, though the org manifest lists it",
    );
    std::fs::write(&page, saved).unwrap();
    let sidecar = org.join("page-0001.meta.json");
    let saved = std::fs::read(&sidecar).unwrap();
    let mut meta = read_json(&sidecar);
    meta["sha256"] = Value::String("0".repeat(64));
    std::fs::write(&sidecar, serde_json::to_vec(&meta).unwrap()).unwrap();
    assert_transform_refuses(
        &work,
        "manifest",
        "pages do not match the manifest's checksum",
    );
    std::fs::write(&sidecar, saved).unwrap();
    let answers = bronze.join(format!(
        "gitlab/languages/snapshot_date={DAY}/org=gitlab.com+ohs-sample/responses.json"
    ));
    append(&answers, b"\n");
    assert_transform_refuses(
        &work,
        "responses.json",
        "do not match the org manifest's checksum",
    );
}
