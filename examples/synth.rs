//! Synthetic bronze for benchmarks: N organisations with skewed sizes (a few with thousands
//! of repositories) over K daily snapshots with realistic churn (new, deleted and newly
//! private repositories, licence and language changes), written in exactly the layout and
//! with the manifests that `ohs extract` writes. The same arguments give the same bytes.
//!
//! cargo run --release --example synth -- --lake DIR --rows 1000000 [--orgs 2000]
//!     [--snapshots 10] [--seed 1] [--start 2024-01-01]
//!
//! `--rows` is repository-snapshot rows: repositories per snapshot times snapshots.
//! The few `unwrap`s hold values valid by construction (constant dates and times, generated
//! logins, serialising JSON values); a lake error stops the generator with its message.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use open_health_stats::bronze::{self, OrgManifest, PageSidecar, SnapshotMember};
use open_health_stats::domain::{OrgLogin, SnapshotDate};
use open_health_stats::lake::{self, Lake, LakeOptions};
use serde_json::json;

const LANGUAGES: [&str; 12] = [
    "Python",
    "R",
    "HTML",
    "JavaScript",
    "TypeScript",
    "Java",
    "C#",
    "Shell",
    "Go",
    "Jupyter Notebook",
    "CSS",
    "Rust",
];
const LICENCES: [(&str, &str, &str); 6] = [
    ("mit", "MIT License", "MIT"),
    ("apache-2.0", "Apache License 2.0", "Apache-2.0"),
    ("gpl-3.0", "GNU General Public License v3.0", "GPL-3.0"),
    ("other", "Other", "NOASSERTION"),
    (
        "bsd-3-clause",
        "BSD 3-Clause \"New\" or \"Revised\" License",
        "BSD-3-Clause",
    ),
    ("ogl-uk-3.0", "Open Government Licence v3.0", "OGL-UK-3.0"),
];

/// SplitMix64: small, fast and deterministic, which is all a generator needs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, per_thousand: u64) -> bool {
        self.below(1000) < per_thousand
    }
}

#[derive(Clone)]
struct Repo {
    id: u64,
    created_day: i64,
    second: u64,
    language: Option<usize>,
    licence: Option<usize>,
    fork: bool,
    archived: bool,
    stars: u64,
}

struct Args {
    lake: String,
    rows: u64,
    orgs: u64,
    snapshots: u64,
    seed: u64,
    start: NaiveDate,
}

fn args() -> Result<Args, String> {
    let mut map = BTreeMap::new();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        map.insert(flag, value);
    }
    let num = |k: &str, d: u64| -> Result<u64, String> {
        map.get(k)
            .map_or(Ok(d), |v| v.parse().map_err(|e| format!("{k}: {e}")))
    };
    Ok(Args {
        lake: map.get("--lake").cloned().ok_or("--lake DIR is required")?,
        rows: num("--rows", 10_000)?,
        orgs: num("--orgs", 2_000)?,
        snapshots: num("--snapshots", 10)?.max(1),
        seed: num("--seed", 1)?,
        start: map
            .get("--start")
            .map_or(Ok(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()), |v| {
                v.parse().map_err(|e| format!("--start: {e}"))
            })?,
    })
}

/// Repositories per org on the first day: Zipf-like, so a few orgs have thousands.
fn initial_sizes(orgs: u64, total: u64) -> Vec<u64> {
    let weights: Vec<f64> = (0..orgs)
        .map(|i| 1.0 / ((i + 1) as f64).powf(1.1))
        .collect();
    let sum: f64 = weights.iter().sum();
    weights
        .iter()
        .map(|w| ((w / sum) * total as f64).round().max(1.0) as u64)
        .collect()
}

fn repo_json(login: &str, r: &Repo, epoch: NaiveDate) -> serde_json::Value {
    let created = Utc.from_utc_datetime(
        &(epoch + Duration::days(r.created_day))
            .and_hms_opt(0, 0, 0)
            .unwrap(),
    ) + Duration::seconds(r.second as i64);
    let name = format!("repo-{}", r.id);
    json!({
        "id": r.id,
        "name": name,
        "full_name": format!("{login}/{name}"),
        "private": false,
        "visibility": "public",
        "owner": {"login": login, "html_url": format!("https://github.com/{login}"), "type": "Organization"},
        "html_url": format!("https://github.com/{login}/{name}"),
        "fork": r.fork,
        "archived": r.archived,
        "created_at": created.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "pushed_at": created.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "language": r.language.map(|l| LANGUAGES[l]),
        "license": r.licence.map(|l| {
            let (key, name, spdx) = LICENCES[l];
            json!({"key": key, "name": name, "spdx_id": spdx, "url": null})
        }),
        "stargazers_count": r.stars,
        "forks_count": r.stars / 4,
        "open_issues_count": r.stars % 7,
        "topics": ["nhs", LANGUAGES[r.language.unwrap_or(0)].to_lowercase()],
    })
}

/// Writes `bytes` at `key`, or stops the generator with the lake's error.
async fn put(lake: &Lake, key: &lake::LakeKey, bytes: Vec<u8>) {
    if let Err(e) = lake.put(key, bytes).await {
        eprintln!("synth: {e}");
        std::process::exit(1);
    }
}

fn new_repo(rng: &mut Rng, id: u64, day: i64) -> Repo {
    Repo {
        id,
        created_day: day,
        second: rng.below(86_400),
        language: (!rng.chance(150)).then(|| rng.below(LANGUAGES.len() as u64) as usize),
        licence: (!rng.chance(300)).then(|| rng.below(LICENCES.len() as u64) as usize),
        fork: rng.chance(80),
        archived: rng.chance(100),
        stars: rng.below(50) * rng.below(20),
    }
}

/// One day of churn: ~2% new, ~0.5% deleted, ~0.3% made private, ~1% relicensed or retyped.
fn churn(rng: &mut Rng, repos: &mut Vec<Repo>, next_id: &mut u64, day: i64) {
    repos.retain(|_| !rng.chance(8));
    for r in repos.iter_mut() {
        if rng.chance(5) {
            r.licence = Some(rng.below(LICENCES.len() as u64) as usize);
        }
        if rng.chance(5) {
            r.language = Some(rng.below(LANGUAGES.len() as u64) as usize);
        }
    }
    let new = (repos.len() as u64 / 50).max(u64::from(rng.chance(300)));
    for _ in 0..new {
        *next_id += 1;
        repos.push(new_repo(rng, *next_id, day));
    }
}

async fn write_org(
    lake: &Lake,
    date: SnapshotDate,
    login: &OrgLogin,
    repos: &[Repo],
    epoch: NaiveDate,
) -> usize {
    let fetched_at = Utc.from_utc_datetime(&date.date().and_hms_opt(6, 0, 0).unwrap());
    let chunks: Vec<&[Repo]> = if repos.is_empty() {
        vec![&[]]
    } else {
        repos.chunks(100).collect()
    };
    let mut checksums = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let number = i as u32 + 1;
        let items: Vec<_> = chunk
            .iter()
            .map(|r| repo_json(login.as_str(), r, epoch))
            .collect();
        let body = serde_json::to_vec(&items).unwrap();
        let url = format!(
            "https://api.github.com/orgs/{login}/repos?type=public&per_page=100&page={number}"
        );
        let link = (number < chunks.len() as u32).then(|| {
            format!("<https://api.github.com/orgs/{login}/repos?type=public&per_page=100&page={}>; rel=\"next\"", number + 1)
        });
        let sidecar = PageSidecar {
            url,
            status: 200,
            etag: Some(format!(
                "\"{}\"",
                &open_health_stats::formats::sha256_hex(&body)[..16]
            )),
            link,
            api_version: "2022-11-28".into(),
            fetched_at,
            not_modified_from: None,
            replayed_from: None,
            rate_limit: None,
            attempts: 1,
            repos: chunk.len(),
            dropped_non_public: 0,
            sha256: open_health_stats::formats::sha256_hex(&body),
        };
        checksums.push(sidecar.sha256.clone());
        put(lake, &lake::bronze::page(date, login, number), body).await;
        put(
            lake,
            &lake::bronze::page_sidecar(date, login, number),
            open_health_stats::formats::to_json_bytes(&sidecar),
        )
        .await;
    }
    let manifest = OrgManifest {
        org: login.to_string(),
        snapshot_date: date,
        canonical_login: Some(login.to_string()),
        public_repos: Some(repos.len() as u64),
        web_url: None,
        pages: chunks.len() as u32,
        repos: repos.len(),
        unique_repos: repos.len(),
        sha256: bronze::org_checksum(checksums.iter().map(String::as_str)),
        // Listings only: the per-repository endpoints cost a request per repository, which
        // is what this generator is meant to scale past.
        licences: None,
        languages: None,
        observed_on: None,
        requests: Default::default(),
        skipped: ["license", "languages"]
            .map(|endpoint| (endpoint.to_string(), "synthetic: listings only".to_string()))
            .into(),
    };
    let member = SnapshotMember {
        org: login.to_string(),
    };
    put(
        lake,
        &lake::bronze::member(date, login),
        open_health_stats::formats::to_json_bytes(&member),
    )
    .await;
    put(
        lake,
        &lake::bronze::org_manifest(date, login),
        open_health_stats::formats::to_json_bytes(&manifest),
    )
    .await;
    repos.len()
}

#[tokio::main]
async fn main() {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("synth: {e}");
            std::process::exit(2);
        }
    };
    let lake = Lake::open(&args.lake, &LakeOptions::default()).unwrap_or_else(|e| {
        eprintln!("synth: {e}");
        std::process::exit(2);
    });
    let per_snapshot = args.rows / args.snapshots;
    let logins: Vec<OrgLogin> = (0..args.orgs)
        .map(|i| format!("synth-org-{i}").parse().unwrap())
        .collect();
    let mut next_id = 0;
    let mut state: Vec<(Rng, Vec<Repo>)> = initial_sizes(args.orgs, per_snapshot)
        .into_iter()
        .enumerate()
        .map(|(i, size)| {
            let mut rng = Rng(args.seed ^ ((i as u64 + 1) << 20));
            let repos = (0..size)
                .map(|_| {
                    next_id += 1;
                    let day = -(rng.below(3650) as i64);
                    new_repo(&mut rng, next_id, day)
                })
                .collect();
            (rng, repos)
        })
        .collect();
    let mut written = 0;
    for k in 0..args.snapshots {
        let date = SnapshotDate::new(args.start + Duration::days(k as i64));
        let mut repos_today = 0;
        for (login, (rng, repos)) in logins.iter().zip(state.iter_mut()) {
            if k > 0 {
                churn(rng, repos, &mut next_id, k as i64);
            }
            repos_today += write_org(&lake, date, login, repos, args.start).await;
        }
        written += repos_today;
        eprintln!(
            "synth: {date}: {} orgs, {repos_today} repositories",
            args.orgs
        );
    }
    println!("{written}");
}
