//! Google Cloud Storage against gcp-storage-emulator (PyPI, 2026.7.19), started per test by
//! `servers::start_gcs`. object_store 0.13's GCS client speaks GCS's XML API (`PUT`, `GET`,
//! `HEAD` and `DELETE /<bucket>/<object>`, listing `GET /<bucket>?list-type=2`); probed request
//! by request, the emulator answers it as follows, and each point is asserted below:
//!
//! - PUT with a body stores it under the decoded name (its own JSON API reads it back), but
//!   its answer lacks the `ETag` header object_store requires, so the put is reported as
//!   failed although it was written.
//! - PUT with an empty body fails inside the emulator (it takes the missing body's length)
//!   and the connection closes unanswered: nothing is stored, and object_store reports an
//!   error sending the request. ohs's lease check creates an empty object first.
//! - `x-goog-if-generation-match: 0`, object_store's `PutMode::Create` and so how ohs takes a
//!   lease, is ignored: a second create of an existing object is answered 200 and overwrites
//!   it, where GCS answers 412 and keeps the first. Its JSON API ignores `ifGenerationMatch=0`
//!   the same way: the emulator reads no precondition on any request.
//! - GET returns the bytes without `Last-Modified` (nor `ETag`): object_store refuses it.
//! - HEAD, DELETE and listing are 501 Not Implemented (it serves them on its JSON API only).
//!
//! So it can neither hold a lake nor keep two runs apart, and ohs must not pretend it does:
//! every answer is an error, never "absent" or "empty", and `ohs run --lake gs://…` stops at
//! its first write (the lease check), exit 5, before any data. What these tests prove on it:
//! the key in `GOOGLE_SERVICE_ACCOUNT_KEY` or `[lake.options]` reaches the client and routes
//! its requests, no key is logged, and a write that the store answers wrongly or that fails
//! on the way (the fault proxy) is an error naming the key. The round trip of a run, the
//! fault-injected publish and leases keeping runs apart, as tested on S3 and Azure, need a
//! GCS server that answers as GCS does.

use std::process::Output;

use open_health_stats::lake::{self, Lake, LakeOptions};

use crate::common::{ohs_command, repo_root, stderr, Workdir, SAMPLE_ORGS};
use crate::servers::{gcs_emulator_key, start_gcs, FaultProxy, Server, GCS_KEY_MARKER};

const BUCKET: &str = "lake";

/// The request line of the lease check's creates: object_store percent-encodes every byte of
/// an object name but letters and digits.
const LEASE_PUTS: &str = "PUT /lake/ohs%2F%5Fleases%2F%5Fprobe%2F";

/// Lake options that point the GCS client at `endpoint`, with no retries.
fn emulator_options(endpoint: &str) -> LakeOptions {
    LakeOptions {
        options: [(
            "google_service_account_key".to_string(),
            gcs_emulator_key(endpoint),
        )]
        .into(),
        max_retries: 0,
        ..LakeOptions::default()
    }
}

/// The emulator's own JSON API, independently of object_store: `GET <path>`'s status and body.
async fn emulator_get(gcs: &Server, path: &str) -> (u16, Vec<u8>) {
    let response = reqwest::get(format!("{}{path}", gcs.endpoint()))
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.bytes().await.unwrap().to_vec())
}

/// The object `name` of the bucket, as the emulator's JSON API reads it; `None` if absent.
async fn emulator_object(gcs: &Server, name: &str) -> Option<Vec<u8>> {
    let name: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
    let path = format!("/download/storage/v1/b/{BUCKET}/o/{name}?alt=media");
    match emulator_get(gcs, &path).await {
        (200, body) => Some(body),
        (404, _) => None,
        (status, body) => panic!("{path}: {status}: {}", String::from_utf8_lossy(&body)),
    }
}

/// Every object name in the bucket, as the emulator's JSON API lists them.
async fn emulator_names(gcs: &Server) -> Vec<String> {
    let (status, body) = emulator_get(gcs, &format!("/storage/v1/b/{BUCKET}/o")).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let listing: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let items = listing["items"].as_array().cloned().unwrap_or_default();
    items
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_ignores_if_generation_match_0_so_a_second_create_overwrites() {
    let gcs = start_gcs(BUCKET);
    let lake = Lake::open("gs://lake/probe", &emulator_options(&gcs.endpoint())).unwrap();
    let key = lake::leases::probe("run-1");
    for body in ["first", "second"] {
        let err = lake
            .put_if_absent(&key, body.as_bytes().to_vec())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!("lake gs://lake/probe: create {key}: "))
                && err.contains("ETag Header missing from response"),
            "{err}"
        );
        let stored = emulator_object(&gcs, &format!("probe/{key}")).await;
        assert_eq!(stored.as_deref(), Some(body.as_bytes()), "not refused");
    }

    // The precondition as GCS's XML and JSON APIs take it: GCS answers the second of each
    // 412 and keeps the first; the emulator answers 200 and overwrites.
    let client = reqwest::Client::new();
    for (api, name) in [("xml", "raw-xml.json"), ("json", "raw-json.json")] {
        for body in ["first", "second"] {
            let request = match api {
                "xml" => client
                    .put(format!("{}/{BUCKET}/{name}", gcs.endpoint()))
                    .header("x-goog-if-generation-match", "0"),
                _ => client
                    .post(format!("{}/upload/storage/v1/b/{BUCKET}/o", gcs.endpoint()))
                    .query(&[
                        ("uploadType", "media"),
                        ("name", name),
                        ("ifGenerationMatch", "0"),
                    ]),
            };
            let status = request.body(body).send().await.unwrap().status();
            assert_eq!(status.as_u16(), 200, "{api} create of {body}");
            let stored = emulator_object(&gcs, name).await;
            assert_eq!(stored.as_deref(), Some(body.as_bytes()), "{api}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_answer_the_gcs_client_cannot_use_is_an_error_never_absent_or_empty() {
    let gcs = start_gcs(BUCKET);
    let lake = Lake::open("gs://lake/ohs", &emulator_options(&gcs.endpoint())).unwrap();
    let key = lake::silver::repos("2021-03-04".parse().unwrap());
    let put = lake.put(&key, b"rows".to_vec()).await.unwrap_err();
    assert!(
        put.to_string()
            .contains("ETag Header missing from response"),
        "{put}"
    );
    let stored = emulator_object(&gcs, &format!("ohs/{key}")).await;
    assert_eq!(
        stored.as_deref(),
        Some(&b"rows"[..]),
        "written all the same"
    );
    let empty = lake::silver::orgs("2021-03-04".parse().unwrap());
    let put = lake.put(&empty, Vec::new()).await.unwrap_err().to_string();
    assert!(
        put.starts_with(&format!("lake gs://lake/ohs: put {empty}: "))
            && put.contains("error sending request"),
        "{put}"
    );
    assert_eq!(emulator_object(&gcs, &format!("ohs/{empty}")).await, None);

    let get = lake.get(&key).await.unwrap_err().to_string();
    assert!(
        get.starts_with(&format!("lake gs://lake/ohs: get {key}: "))
            && get.contains("Last-Modified Header missing from response"),
        "{get}"
    );
    let not_implemented = [
        ("head", lake.exists(&key).await.unwrap_err()),
        ("list", lake.list(&key).await.unwrap_err()),
        (
            "list",
            lake.partitions(&lake::silver::licence_texts_root(), "snapshot_date")
                .await
                .unwrap_err(),
        ),
        ("delete", lake.delete(&key).await.unwrap_err()),
    ];
    for (op, err) in not_implemented {
        let err = err.to_string();
        assert!(
            err.starts_with(&format!("lake gs://lake/ohs: {op} ")) && err.contains("501"),
            "{err}"
        );
    }
}

/// `ohs run` offline on the bundled sample for 2021-03-04 into `gs://lake/ohs`, with `env`.
async fn run_sample_on_gcs(work: &Workdir, env: &[(&str, String)]) -> Output {
    let (config, sample) = (
        repo_root().join("pipeline.toml"),
        repo_root().join("data/sample"),
    );
    let mut cmd = ohs_command(work.path());
    cmd.args(["run", "--config", config.to_str().unwrap(), "--offline"])
        .arg(sample)
        .args(["--orgs", SAMPLE_ORGS, "--lake", "gs://lake/ohs"])
        .args(["--snapshot-date", "2021-03-04"])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    tokio::task::spawn_blocking(move || cmd.output().expect("run ohs"))
        .await
        .unwrap()
}

/// The last line `ohs` printed on stderr: its error.
fn last_line(out: &Output) -> String {
    let err = stderr(out);
    err.trim().lines().last().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn ohs_run_on_the_gcs_emulator_stops_at_its_first_write_and_writes_no_data() {
    let gcs = start_gcs(BUCKET);
    let proxy = FaultProxy::start(gcs.port).await;
    let key = gcs_emulator_key(&proxy.endpoint());
    for var in [
        "GOOGLE_SERVICE_ACCOUNT_KEY",
        "OHS_LAKE_OPTIONS_GOOGLE_SERVICE_ACCOUNT_KEY",
    ] {
        let work = Workdir::new();
        let env = [
            (var, key.clone()),
            ("OHS_LAKE_MAX_RETRIES", "1".to_string()),
            ("OHS_LAKE_RETRY_TIMEOUT_SECS", "10".to_string()),
            ("RUST_LOG", "trace".to_string()),
        ];
        let sent = proxy.request_heads().len();
        let out = run_sample_on_gcs(&work, &env).await;
        assert_eq!(out.status.code(), Some(5), "{var}: {}", stderr(&out));
        let last = last_line(&out);
        assert!(
            last.starts_with("ohs: lake gs://lake/ohs: create _leases/_probe/")
                && last.contains("error sending request"),
            "{var}: {last}"
        );
        assert_eq!(emulator_names(&gcs).await, Vec::<String>::new(), "{var}");

        // The key routed every request to the emulator (its `gcs_base_url`): the lease
        // check's create, and its retry. No log repeated the key, at trace level.
        let heads = proxy.request_heads()[sent..].to_vec();
        assert!(
            !heads.is_empty() && heads.iter().all(|h| h.starts_with(LEASE_PUTS)),
            "{var}: {heads:?}"
        );
        let printed = [stderr(&out), String::from_utf8_lossy(&out.stdout).into()];
        for text in printed {
            assert!(!text.contains(GCS_KEY_MARKER), "{var}: the key was logged");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gcs_write_the_store_never_receives_is_an_error_naming_the_key() {
    let gcs = start_gcs(BUCKET);
    // The emulator answers in HTTP/1.0 and closes each connection: the proxy sees every
    // request line without a setting for one connection per request.
    let proxy = FaultProxy::start(gcs.port).await;
    let lake = Lake::open("gs://lake/ohs", &emulator_options(&proxy.endpoint())).unwrap();
    let date = "2021-03-04".parse().unwrap();
    let (kept, lost) = (lake::silver::repos(date), lake::silver::orgs(date));
    assert!(lake.put(&kept, b"day 1".to_vec()).await.is_err(), "no ETag");

    proxy.fail_requests_containing(Some("PUT /lake/ohs%2Fsilver%2Forgs%2F"));
    let err = lake.put(&lost, b"day 1".to_vec()).await.unwrap_err();
    let err = err.to_string();
    assert!(
        err.starts_with(&format!("lake gs://lake/ohs: put {lost}: "))
            && err.contains("error sending request"),
        "{err}"
    );
    assert_eq!(emulator_object(&gcs, &format!("ohs/{lost}")).await, None);
    let stored = emulator_object(&gcs, &format!("ohs/{kept}")).await;
    assert_eq!(
        stored.as_deref(),
        Some(&b"day 1"[..]),
        "the other write stays"
    );
    let failed = proxy.request_heads();
    assert!(failed
        .last()
        .unwrap()
        .starts_with("PUT /lake/ohs%2Fsilver%2Forgs%2F"));
}
