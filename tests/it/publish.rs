//! Publish against real object stores on 127.0.0.1 (moto's S3 server, which checks
//! signatures, and Azurite), through a proxy that records requests and fails chosen ones:
//! full round trips, every credential variable honoured, idempotent republishing, a store
//! failing half-way that leaves the previous snapshot intact, and a separate target.

use std::process::{Command, Output};

use crate::common::{ohs_command, repo_root, stderr, Workdir};
use crate::servers::{python, start_azurite, start_moto, FaultProxy, S3Credentials, AZURITE_KEY};

use crate::common::SAMPLE_ORGS;
const BUCKET: &str = "lake";

/// The sample's site CSV: the previous pipeline's rows and the sample GitLab group's.
fn expected_csv() -> String {
    std::fs::read_to_string(
        repo_root().join("tests/fixtures/expected/sample_org_repos_agg_2021-03-04.csv"),
    )
    .unwrap()
}

/// `ohs <args>` in `work` with `env`, off the async runtime.
async fn ohs(work: &Workdir, args: &[&str], env: &[(&str, String)]) -> Output {
    let mut cmd = ohs_command(work.path());
    cmd.args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    tokio::task::spawn_blocking(move || cmd.output().expect("run ohs"))
        .await
        .unwrap()
}

/// A config with the sample orgs and quick object-store retries, written into `work`.
fn config(work: &Workdir) -> String {
    let path = work.write(
        "store.toml",
        &format!(
            "[lake]\nmax_retries = 1\nretry_timeout_secs = 10\n\n{}",
            std::fs::read_to_string(repo_root().join("pipeline.toml"))
                .unwrap()
                .split_once("[[orgs]]")
                .map(|(_, orgs)| format!("[[orgs]]{orgs}"))
                .unwrap()
        ),
    );
    path.to_str().unwrap().to_string()
}

async fn run_sample(work: &Workdir, lake: &str, date: &str, env: &[(&str, String)]) -> Output {
    let config = config(work);
    let sample = repo_root().join("data/sample");
    let args = [
        "run",
        "--config",
        &config,
        "--offline",
        sample.to_str().unwrap(),
        "--orgs",
        SAMPLE_ORGS,
        "--lake",
        lake,
        "--snapshot-date",
        date,
    ];
    ohs(work, &args, env).await
}

fn s3_env(endpoint: &str, keys: &S3Credentials) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", keys.access_key_id.clone()),
        ("AWS_SECRET_ACCESS_KEY", keys.secret_access_key.clone()),
        ("AWS_REGION", "eu-west-2".to_string()),
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_ALLOW_HTTP", "true".to_string()),
        // One connection per request, so the proxy sees every request line.
        ("AWS_POOL_MAX_IDLE_PER_HOST", "0".to_string()),
    ]
}

/// An object of the S3 server read with boto3, independently of ohs; `None` if absent.
fn s3_object(endpoint: &str, keys: &S3Credentials, key: &str) -> Option<Vec<u8>> {
    let out = Command::new(python())
        .arg(repo_root().join("tests/servers/s3_get.py"))
        .args([endpoint, BUCKET, key])
        .env("AWS_ACCESS_KEY_ID", &keys.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &keys.secret_access_key)
        .output()
        .unwrap();
    match out.status.code() {
        Some(0) => Some(out.stdout),
        Some(3) => None,
        _ => panic!("s3_get {key}: {}", String::from_utf8_lossy(&out.stderr)),
    }
}

/// `ohs transform` of 2021-03-04 in `lake` with `env`: a read of the store, to see whether
/// the given credentials are accepted.
async fn transform_with(work: &Workdir, lake: &str, env: &[(&str, String)]) -> Output {
    let config = config(work);
    let args = [
        "transform",
        "--config",
        &config,
        "--lake",
        lake,
        "--snapshot-date",
        "2021-03-04",
    ];
    ohs(work, &args, env).await
}

fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "ohs failed ({:?}): {}",
        out.status.code(),
        stderr(out)
    );
}

/// Publishes what a lake staged for 2021-03-04 into a local directory, to read it back.
async fn publish_locally(work: &Workdir, lake: &str, env: &[(&str, String)]) -> std::path::PathBuf {
    let target = work.path().join("published");
    let config = config(work);
    let args = [
        "publish",
        "--config",
        &config,
        "--lake",
        lake,
        "--snapshot-date",
        "2021-03-04",
        "--publish-target",
        target.to_str().unwrap(),
    ];
    assert_ok(&ohs(work, &args, env).await);
    target
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_round_trip_honours_the_aws_variables_and_republishes_nothing_unchanged() {
    let (moto, keys) = start_moto(BUCKET);
    let proxy = FaultProxy::start(moto.port).await;
    let work = Workdir::new();
    let lake = format!("s3://{BUCKET}/ohs");
    let mut env = s3_env(&proxy.endpoint(), &keys);
    env.push(("RUST_LOG", "trace".to_string()));
    let out = run_sample(&work, &lake, "2021-03-04", &env).await;
    assert_ok(&out);

    // Everything, bronze to site, is in the bucket, signed with the key and region given.
    let csv = s3_object(&moto.endpoint(), &keys, "ohs/site/org_repos_agg.csv").unwrap();
    assert_eq!(String::from_utf8(csv).unwrap(), expected_csv());
    assert!(s3_object(
        &moto.endpoint(),
        &keys,
        "ohs/bronze/github/repos/snapshot_date=2021-03-04/_orgs/nhsx.json"
    )
    .is_some());
    let heads = proxy.request_heads();
    assert!(heads.len() > 20, "requests went through AWS_ENDPOINT_URL");
    let scope = format!("Credential={}/", keys.access_key_id);
    for head in &heads {
        let lower = head.to_ascii_lowercase();
        assert!(
            head.contains(&scope),
            "signed with AWS_ACCESS_KEY_ID: {head}"
        );
        assert!(
            lower.contains("/eu-west-2/s3/aws4_request"),
            "signed for AWS_REGION: {head}"
        );
    }
    for text in [
        stderr(&out),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ] {
        assert!(
            !text.contains(&keys.secret_access_key),
            "the secret key was logged"
        );
    }
    let manifest = s3_object(
        &moto.endpoint(),
        &keys,
        "ohs/gold/_manifests/snapshot_date=2021-03-04/_manifest.json",
    )
    .unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    assert_eq!(
        manifest["objects"].as_array().unwrap().len(),
        23,
        "9 gold tables, 2 site files, the data package, 2 JSON Schemas, 7 organisation pages \
         and their style and script"
    );
    assert!(
        !String::from_utf8_lossy(&serde_json::to_vec(&manifest).unwrap())
            .contains(&keys.secret_access_key)
    );

    // Publishing the same snapshot again writes nothing.
    let before = proxy.request_heads().len();
    let config = config(&work);
    let args = [
        "publish",
        "--config",
        &config,
        "--lake",
        &lake,
        "--snapshot-date",
        "2021-03-04",
    ];
    let again = ohs(&work, &args, &env).await;
    assert_ok(&again);
    assert!(stderr(&again).contains("written=0"), "{}", stderr(&again));
    // Only its leases are written (taken, then released).
    let puts = proxy.request_heads()[before..]
        .iter()
        .filter(|h| h.starts_with("PUT ") && !h.contains("/_leases/"))
        .count();
    assert_eq!(puts, 0, "an unchanged snapshot is not written again");

    // And the same staged snapshot, read back from S3, publishes to a local target.
    let local = publish_locally(&work, &lake, &env).await;
    assert_eq!(
        std::fs::read_to_string(local.join("site/org_repos_agg.csv")).unwrap(),
        expected_csv()
    );
    // delta-rs opens each gold table in the bucket: one version for two publishes.
    let options = serde_json::json!({
        "AWS_ACCESS_KEY_ID": keys.access_key_id,
        "AWS_SECRET_ACCESS_KEY": keys.secret_access_key,
        "AWS_REGION": "eu-west-2",
        "AWS_ENDPOINT_URL": moto.endpoint(),
        "AWS_ALLOW_HTTP": "true",
    });
    crate::delta::assert_remote_tables(&format!("s3://{BUCKET}/ohs"), &options, 0, &local);

    // A wrong secret is refused by the server's signature check: a storage error.
    let mut wrong = s3_env(&moto.endpoint(), &keys);
    wrong[1].1 = "not-the-secret".to_string();
    let out = transform_with(&work, &lake, &wrong).await;
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("403"), "{}", stderr(&out));
    // Without AWS_ALLOW_HTTP a plain-HTTP endpoint is refused, saying what to set.
    let no_http: Vec<_> = s3_env(&moto.endpoint(), &keys)
        .into_iter()
        .filter(|(k, _)| *k != "AWS_ALLOW_HTTP")
        .collect();
    let out = transform_with(&work, &lake, &no_http).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("set AWS_ALLOW_HTTP=true"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_gone_mid_run_reads_as_one_cause_and_one_line_about_leases() {
    let (moto, keys) = start_moto(BUCKET);
    let proxy = FaultProxy::start(moto.port).await;
    let work = Workdir::new();
    let lake = format!("s3://{BUCKET}/ohs");
    let env = s3_env(&proxy.endpoint(), &keys);
    // The store goes down for good as transform writes silver, with every lease held.
    proxy.go_down_at("PUT /lake/ohs/silver/");
    let out = run_sample(&work, &lake, "2021-03-04", &env).await;
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let err = stderr(&out);
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("ohs: transform: lake s3://lake/ohs: put silver/"),
        "the last line is the cause: {err}"
    );
    let about_leases: Vec<&str> = err.lines().filter(|l| l.contains("lease")).collect();
    let [left] = about_leases.as_slice() else {
        panic!("one line about the leases left: {err}")
    };
    // Nine: one per sample org, the snapshot's and the site's.
    assert!(
        left.contains(" 9 lease(s) left unreleased: they expire by themselves by "),
        "{left}"
    );
    assert_eq!(
        err.lines().filter(|l| l.contains("ERROR")).count(),
        0,
        "{err}"
    );
    // After the failed write, at most one release was tried, not one per lease.
    let heads = proxy.request_heads();
    let down = heads
        .iter()
        .position(|h| h.starts_with("PUT /lake/ohs/silver/"))
        .unwrap();
    let releases = heads[down..]
        .iter()
        .filter(|h| h.contains("/_leases/"))
        .count();
    assert!(releases <= 4, "one release and its retries: {releases}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_failing_mid_publish_leaves_the_published_snapshot_intact() {
    let (moto, keys) = start_moto(BUCKET);
    let proxy = FaultProxy::start(moto.port).await;
    let work = Workdir::new();
    let lake = format!("s3://{BUCKET}/ohs");
    let env = s3_env(&proxy.endpoint(), &keys);
    assert_ok(&run_sample(&work, &lake, "2021-03-04", &env).await);
    let get = |key: &str| s3_object(&moto.endpoint(), &keys, &format!("ohs/{key}"));
    let site_csv = get("site/org_repos_agg.csv").unwrap();
    let site_manifest = get("site/_manifest.json").unwrap();

    // The store fails once gold is written, as the site files are replaced.
    proxy.fail_requests_containing(Some("PUT /lake/ohs/site/"));
    let out = run_sample(&work, &lake, "2021-03-05", &env).await;
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let last = stderr(&out).lines().last().unwrap_or_default().to_string();
    assert!(
        last.starts_with("ohs: publish: lake s3://lake/ohs: put site/"),
        "{last}"
    );
    assert_eq!(
        get("site/org_repos_agg.csv").unwrap(),
        site_csv,
        "the site still shows day 1"
    );
    assert_eq!(get("site/_manifest.json").unwrap(), site_manifest);

    // The store fails half-way through gold: that snapshot gets no manifest.
    proxy.fail_requests_containing(Some("PUT /lake/ohs/gold/headline/"));
    let out = run_sample(&work, &lake, "2021-03-06", &env).await;
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(get("gold/_manifests/snapshot_date=2021-03-06/_manifest.json").is_none());
    // Each gold table is at its previous or its new version: day 2 never reached gold (the
    // store failed on its site copies, written first), and of day 3 the tables before
    // headline committed while headline (its file refused) is still at day 1.
    let config = config(&work);
    let status = ohs(
        &work,
        &["status", "--json", "--config", &config, "--lake", &lake],
        &env,
    )
    .await;
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let version = |table: &str| {
        let tables = status["gold_tables"].as_array().unwrap();
        let found = tables.iter().find(|t| t["table"] == table).unwrap();
        found["version"].as_u64().unwrap()
    };
    assert_eq!(
        version("org_latest"),
        1,
        "committed before the fault: {status}"
    );
    assert_eq!(version("headline"), 0, "{status}");
    assert_eq!(get("site/org_repos_agg.csv").unwrap(), site_csv);

    // Once the store recovers, the same command completes the snapshot.
    proxy.fail_requests_containing(None);
    assert_ok(&run_sample(&work, &lake, "2021-03-06", &env).await);
    let manifest: serde_json::Value =
        serde_json::from_slice(&get("site/_manifest.json").unwrap()).unwrap();
    assert_eq!(manifest["snapshot_date"], "2021-03-06");
    assert!(String::from_utf8(get("site/org_repos_agg.csv").unwrap())
        .unwrap()
        .contains(",2021-03-06,"));
}

#[tokio::test(flavor = "multi_thread")]
async fn azure_round_trip_through_azurite_honours_the_azure_variables() {
    let azurite = start_azurite("ohs");
    let work = Workdir::new();
    let lake = "az://ohs/lake";
    let env = vec![
        ("AZURE_STORAGE_USE_EMULATOR", "true".to_string()),
        ("AZURITE_BLOB_STORAGE_URL", azurite.endpoint()),
        ("AZURE_STORAGE_ACCOUNT_NAME", "devstoreaccount1".to_string()),
        ("AZURE_STORAGE_ACCOUNT_KEY", AZURITE_KEY.to_string()),
        ("RUST_LOG", "debug".to_string()),
    ];
    let out = run_sample(&work, lake, "2021-03-04", &env).await;
    assert_ok(&out);
    assert!(
        !stderr(&out).contains(AZURITE_KEY),
        "the account key was logged"
    );
    let local = publish_locally(&work, lake, &env).await;
    assert_eq!(
        std::fs::read_to_string(local.join("site/org_repos_agg.csv")).unwrap(),
        expected_csv()
    );
    crate::common::partition_file(&local, "gold/org_latest", "2021-03-04");
    let options = serde_json::json!({
        "account_name": "devstoreaccount1",
        "account_key": AZURITE_KEY,
        "endpoint": format!("{}/devstoreaccount1", azurite.endpoint()),
        "allow_http": "true",
    });
    crate::delta::assert_remote_tables(lake, &options, 0, &local);

    // The account key is what signs the requests: another key is refused.
    let mut wrong = env.clone();
    wrong[3].1 = AZURITE_KEY.replace("Eby8", "Xby8");
    let out = transform_with(&work, lake, &wrong).await;
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("403"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("Xby8"), "the key was echoed");
    // And the account name says whose storage is read: another account holds no snapshot.
    let mut other = env.clone();
    other[2].1 = "otheraccount".to_string();
    let out = transform_with(&work, lake, &other).await;
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("/otheraccount/ohs/lake/_leases/") && stderr(&out).contains("404"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn gcs_credentials_come_from_the_google_variables() {
    let work = Workdir::new();
    let config = config(&work);
    for var in ["GOOGLE_SERVICE_ACCOUNT", "GOOGLE_APPLICATION_CREDENTIALS"] {
        let missing = work.path().join(format!("{var}.json"));
        let env = vec![(var, missing.display().to_string())];
        let args = [
            "transform",
            "--config",
            &config,
            "--lake",
            "gs://bucket/ohs",
            "--snapshot-date",
            "2021-03-04",
        ];
        let out = ohs(&work, &args, &env).await;
        assert_eq!(out.status.code(), Some(2), "{var}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.starts_with("ohs: lake gs://bucket/ohs: ")
                && err.contains(&missing.display().to_string()),
            "{var}: {err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_separate_target_gets_gold_and_site_while_the_lake_keeps_the_rest() {
    let work = Workdir::new();
    let lake = work.path().join("working");
    let target = work.path().join("public");
    let env = vec![("OHS_PUBLISH_TARGET", target.display().to_string())];
    assert_ok(&run_sample(&work, lake.to_str().unwrap(), "2021-03-04", &env).await);
    assert_eq!(
        std::fs::read_to_string(target.join("site/org_repos_agg.csv")).unwrap(),
        expected_csv()
    );
    assert!(target
        .join("gold/_manifests/snapshot_date=2021-03-04/_manifest.json")
        .is_file());
    for layer in ["bronze", "silver", "staging"] {
        assert!(lake.join(layer).is_dir(), "{layer} stays in the lake");
        assert!(!target.join(layer).exists(), "{layer} is not published");
    }
    assert!(!lake.join("site").exists() && !lake.join("gold").exists());
}
