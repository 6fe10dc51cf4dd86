//! The whole pipeline offline on the bundled sample: bronze layout, silver, the site CSV
//! against an independent reference, byte-identical reruns, resume and refusal of incomplete
//! snapshots.

use open_health_stats::formats::sha256_hex;

use crate::common::{
    assert_success, partition_file, read_parquet, repo_root, run_sample, run_sample_into, stderr,
    Workdir, SAMPLE_ORGS,
};

const SNAPSHOT: &str = "snapshot_date=2021-03-04";

#[test]
fn sample_run_writes_bronze_silver_gold_and_the_reference_csv() {
    let work = Workdir::new();
    let lake = work.lake();
    run_sample(&work);

    let bronze = lake.join("bronze/github/repos").join(SNAPSHOT);
    for (org, pages) in [("111online", 1), ("nhsconnect", 2), ("nhsdigital", 1)] {
        assert!(
            bronze.join(format!("_orgs/{org}.json")).is_file(),
            "{org} member"
        );
        let dir = bronze.join(format!("org={org}"));
        assert!(dir.join("_manifest.json").is_file(), "{org} manifest");
        for n in 1..=pages {
            assert!(dir.join(format!("page-{n:04}.json")).is_file());
            assert!(dir.join(format!("page-{n:04}.meta.json")).is_file());
        }
        assert!(!dir.join(format!("page-{:04}.json", pages + 1)).exists());
    }
    // Bronze keeps what was recorded, less the fields that describe the token's holder
    // (the sample was recorded with a token: `permissions`).
    let stored = std::fs::read(bronze.join("org=nhsconnect/page-0002.json")).unwrap();
    assert!(!String::from_utf8_lossy(&stored).contains("\"permissions\""));
    let stored: serde_json::Value = serde_json::from_slice(&stored).unwrap();
    let mut recorded: serde_json::Value = serde_json::from_slice(
        &std::fs::read(repo_root().join("data/sample/nhsconnect/page-2.json")).unwrap(),
    )
    .unwrap();
    for repo in recorded.as_array_mut().unwrap() {
        repo.as_object_mut().unwrap().remove("permissions");
    }
    assert!(
        stored == recorded,
        "page 2 differs from the recording beyond permissions"
    );
    let sidecar: serde_json::Value = serde_json::from_slice(
        &std::fs::read(bronze.join("org=nhsconnect/page-0001.meta.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(sidecar["status"], 200);
    assert_eq!(sidecar["repos"], 100);
    assert_eq!(sidecar["api_version"], "2022-11-28");
    assert!(sidecar["link"].as_str().unwrap().contains("rel=\"next\""));

    let silver = read_parquet(
        &lake
            .join("silver/repos")
            .join(SNAPSHOT)
            .join("part-0.parquet"),
    );
    assert_eq!(silver.height(), 13 + 177 + 79 + 23 + 30 + 42 + 4);
    let names: Vec<&str> = silver
        .get_column_names()
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(&names[..3], ["org_login", "forge", "repo_id"]);
    assert_eq!(names.last(), Some(&"snapshot_date"));

    // The GitHub rows are the previous pipeline's, byte for byte; the GitLab group's are its own
    // organisation, checked by hand against data/sample/gitlab.com+ohs-sample.
    let expected = std::fs::read_to_string(
        repo_root().join("tests/fixtures/expected/org_repos_agg_2021-03-04.csv"),
    )
    .unwrap();
    let site = work.read("lake/site/org_repos_agg.csv");
    let (gitlab, github): (Vec<&str>, Vec<&str>) =
        site.lines().partition(|l| l.starts_with("gitlab.com/"));
    assert_eq!(github.join("\n") + "\n", expected);
    let with_gitlab = "tests/fixtures/expected/sample_org_repos_agg_2021-03-04.csv";
    assert_eq!(
        site,
        std::fs::read_to_string(repo_root().join(with_gitlab)).unwrap()
    );
    assert_eq!(
        gitlab,
        [
            "gitlab.com/ohs-sample,2018-11-20,1,HTML,,https://gitlab.com/groups/ohs-sample",
            "gitlab.com/ohs-sample,2019-05-14,2,Java,MIT License,https://gitlab.com/groups/ohs-sample",
            "gitlab.com/ohs-sample,2020-02-03,3,Python,MIT License,https://gitlab.com/groups/ohs-sample",
            "gitlab.com/ohs-sample,2021-03-04,3,Python,MIT License,https://gitlab.com/groups/ohs-sample",
        ]
    );
    // The group's bronze sits beside GitHub's; its internal project never reaches it.
    let group = lake.join("bronze/gitlab/projects").join(SNAPSHOT);
    assert!(group.join("_orgs/gitlab.com+ohs-sample.json").is_file());
    let page = std::fs::read_to_string(group.join("org=gitlab.com+ohs-sample/page-0001.json"));
    let page = page.unwrap();
    assert!(page.contains("prescription-checker") && !page.contains("internal-notes"));
    for endpoint in ["license", "languages"] {
        let answers = lake
            .join(format!("bronze/gitlab/{endpoint}"))
            .join(SNAPSHOT);
        assert!(answers
            .join("org=gitlab.com+ohs-sample/responses.json")
            .is_file());
    }

    let date = SNAPSHOT.trim_start_matches("snapshot_date=");
    let gold = read_parquet(&partition_file(&lake, "gold/org_repos_daily", date));
    assert_eq!(gold.height(), site.lines().count() - 1);
    assert!(lake
        .join("gold/_manifests")
        .join(SNAPSHOT)
        .join("_manifest.json")
        .is_file());
    let site_manifest = work.read("lake/site/_manifest.json");
    assert!(site_manifest.contains("\"snapshot_date\": \"2021-03-04\""));
}

/// Data outputs only: manifests record their run's id and times.
#[test]
fn a_rerun_gives_byte_identical_outputs() {
    let work = Workdir::new();
    let (first, second) = (work.path().join("a"), work.path().join("b"));
    assert_success(&run_sample_into(&work, &first));
    assert_success(&run_sample_into(&work, &second));
    let gold = partition_file(&first, "gold/org_repos_daily", "2021-03-04");
    let gold = gold.strip_prefix(&first).unwrap().display().to_string();
    for file in [
        format!("silver/repos/{SNAPSHOT}/part-0.parquet"),
        gold,
        "site/org_repos_agg.csv".to_string(),
    ] {
        let a = std::fs::read(first.join(&file)).unwrap();
        let b = std::fs::read(second.join(&file)).unwrap();
        assert!(a == b, "{file} differs between identical runs");
    }
    // And a second run into the same lake keeps complete orgs and changes nothing.
    let csv = std::fs::read(first.join("site/org_repos_agg.csv")).unwrap();
    let rerun = run_sample_into(&work, &first);
    assert_success(&rerun);
    assert!(
        stderr(&rerun).contains("already complete, kept"),
        "{}",
        stderr(&rerun)
    );
    assert_eq!(
        std::fs::read(first.join("site/org_repos_agg.csv")).unwrap(),
        csv
    );
}

/// Licence texts are identified once: a transform reuses what silver `licence_texts` (the
/// same or an earlier snapshot's) says of a text, and gives the same outputs.
#[test]
fn licence_texts_identified_before_are_not_identified_again() {
    let work = Workdir::new();
    run_sample(&work);
    let texts = work
        .lake()
        .join(format!("silver/licence_texts/{SNAPSHOT}/part-0.parquet"));
    let stored = std::fs::read(&texts).unwrap();
    let transform = || {
        let config = repo_root().join("pipeline.toml");
        let lake = work.lake();
        let args = ["-v", "--log-format", "json", "transform", "--config"];
        let out = work.ohs(
            &[
                &args[..],
                &[config.to_str().unwrap(), "--orgs", SAMPLE_ORGS],
                &[
                    "--lake",
                    lake.to_str().unwrap(),
                    "--snapshot-date",
                    "2021-03-04",
                ],
            ]
            .concat(),
        );
        assert_success(&out);
        let lines: Vec<serde_json::Value> = stderr(&out)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        // -v shows ohs's own steps, not a dependency's internals (polars' SQL parser once
        // traced every token it read).
        let foreign: Vec<_> = lines
            .iter()
            .filter(|l| l["level"] == "DEBUG")
            .filter_map(|l| l["target"].as_str())
            .filter(|t| !t.starts_with("open_health_stats") && !t.starts_with("ohs"))
            .collect();
        assert!(foreign.is_empty(), "debug lines of {foreign:?}");
        let line = lines
            .iter()
            .find(|l| {
                l["message"] == "licence texts: identified, or reused from silver licence_texts"
            })
            .expect("a licence texts line");
        (
            line["texts"].as_u64().unwrap(),
            line["identified"].as_u64().unwrap(),
        )
    };
    assert_eq!(transform(), (4, 0), "every text was known");
    std::fs::remove_dir_all(texts.parent().unwrap()).unwrap();
    assert_eq!(
        transform(),
        (4, 4),
        "without silver, every text is identified"
    );
    assert_eq!(std::fs::read(&texts).unwrap(), stored);
}

#[test]
fn transform_refuses_an_incomplete_snapshot() {
    let work = Workdir::new();
    let lake = work.lake();
    run_sample(&work);
    // As if nhsx were being fetched again: still a member, no longer complete.
    let manifest = lake
        .join("bronze/github/repos")
        .join(SNAPSHOT)
        .join("org=nhsx/_manifest.json");
    std::fs::remove_file(&manifest).unwrap();
    let config = repo_root().join("pipeline.toml");
    let out = work.ohs(&[
        "transform",
        "--orgs",
        crate::common::SAMPLE_ORGS,
        "--config",
        config.to_str().unwrap(),
        "--lake",
        lake.to_str().unwrap(),
        "--snapshot-date",
        "2021-03-04",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(
        err.trim(),
        "ohs: transform: snapshot 2021-03-04 has no complete bronze for nhsx: run \
         `ohs extract --snapshot-date 2021-03-04 --orgs nhsx` first"
    );
}

#[test]
fn an_incomplete_org_is_fetched_again_from_scratch() {
    let work = Workdir::new();
    let lake = work.lake();
    run_sample(&work);
    let org = lake
        .join("bronze/github/repos")
        .join(SNAPSHOT)
        .join("org=nhsconnect");
    // As if killed after page 1: no manifest, and a stray half-written leftover.
    std::fs::remove_file(org.join("_manifest.json")).unwrap();
    std::fs::remove_file(org.join("page-0002.json")).unwrap();
    std::fs::write(org.join("page-0009.json"), b"[").unwrap();
    let rerun = run_sample_into(&work, &lake);
    assert_success(&rerun);
    assert!(org.join("_manifest.json").is_file());
    assert!(org.join("page-0002.json").is_file());
    assert!(!org.join("page-0009.json").exists());
}

/// The sample's outputs, file by file, against digests committed before the code was
/// reorganised: a refactor that changes a byte fails here. After a deliberate change of
/// output, `OHS_UPDATE_DIGESTS=1 cargo test --test it sample_outputs` rewrites the file.
#[test]
fn sample_outputs_match_the_committed_digests() {
    let work = Workdir::new();
    run_sample(&work);
    let lake = work.lake();
    let mut files = Vec::new();
    let mut stack = vec![lake.join("silver"), lake.join("gold"), lake.join("site")];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let name = path.strip_prefix(&lake).unwrap().display().to_string();
        // Manifests and Delta commits record the run (its id and times), not data.
        if !name.ends_with("_manifest.json") && !name.contains("/_delta_log/") {
            let digest: String = sha256_hex(&std::fs::read(&path).unwrap());
            files.push(format!("{digest}  {name}"));
        }
    }
    files.sort_by(|a, b| a[66..].cmp(&b[66..]));
    let actual = files.join("\n") + "\n";
    let committed = repo_root().join("tests/fixtures/expected/sample_digests.txt");
    if std::env::var_os("OHS_UPDATE_DIGESTS").is_some() {
        std::fs::write(&committed, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&committed).unwrap_or_default();
    assert!(
        actual == expected,
        "the sample's outputs changed:\n{actual}"
    );
}

/// Both published copies of the page link to tables and a CSV that exist, each from where it
/// is: `site/index.html` and its build's copy two folders deeper.
#[test]
fn every_copy_of_the_page_links_to_files_that_exist() {
    let work = Workdir::new();
    run_sample(&work);
    let site = work.lake().join("site");
    let builds = site.join(SNAPSHOT);
    let build_dir = std::fs::read_dir(&builds)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .expect("the build's copy of the site");
    for page in [site.join("index.html"), build_dir.join("index.html")] {
        let html = std::fs::read_to_string(&page).unwrap();
        for link in ["Parquet tables", "site CSV"] {
            let end = html.find(&format!("\">{link}</a>")).unwrap();
            let start = html[..end].rfind("href=\"").unwrap() + 6;
            let target = page.parent().unwrap().join(&html[start..end]);
            assert!(
                target.is_file(),
                "{}: {link} -> {}",
                page.display(),
                target.display()
            );
        }
    }
}
