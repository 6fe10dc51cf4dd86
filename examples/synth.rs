//! Synthetic bronze for benchmarks: N organisations with skewed sizes (a few with thousands
//! of repositories) over K daily snapshots with realistic churn (new, deleted and newly
//! private repositories, licence and language changes), written in exactly the layout and
//! with the manifests that `ohs extract` writes. The same arguments give the same bytes.
//!
//! cargo run --release --example synth -- --lake DIR --rows 1000000 [--orgs 2000]
//!     [--snapshots 10] [--seed 1] [--start 2024-01-01] [--largest-share 0.12]
//!     [--full-objects] [--answers]
//!
//! `--rows` is repository-snapshot rows: repositories per snapshot times snapshots.
//! `--largest-share` skews org sizes so that the largest org holds that share of the
//! repositories (without it, sizes fall as 1 / rank^1.1, as the multi-snapshot benchmark
//! rows have always been measured).
//! `--full-objects` writes every field GitHub's org listing gives a repository, pretty-printed
//! as GitHub sends it: about 6.2 KB a repository, as the real 2021 NHS pages average, where
//! the default small objects (about 0.5 KB, kept so past results stay comparable) hold only
//! what ohs reads.
//! `--answers` also writes each org's per-repository answers (languages for every kept
//! repository, the licence file where the listing's licence is "Other"), deciding what is
//! asked with extract's own code and storing the answers as extract does.
//!
//! Orgs are written in parallel; each org's repositories and answers depend only on the
//! arguments, so the order they finish in changes nothing. A summary on stderr gives the
//! page bytes per repository and the generator's own speed.
//! The few `unwrap`s hold values valid by construction (constant dates and times, generated
//! logins and URLs, serialising JSON values); a lake error stops the generator with its message.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};
use std::time::Instant;

use base64::Engine;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use futures::StreamExt;
use open_health_stats::bronze::{
    self, OrgManifest, PageSidecar, RepoResponse, RepoResponses, RepoResponsesFile,
};
use open_health_stats::domain::{Forge, OrgLogin, RepoEndpoint, SnapshotDate};
use open_health_stats::forge::RepoRef;
use open_health_stats::formats::sha256_hex;
use open_health_stats::lake::{Lake, LakeOptions};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::json;
use serde_json::value::RawValue;

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
/// GitHub's own number for each of [`LICENCES`], from which it derives the licence's
/// `node_id` ("Other" is 0).
const LICENCE_NUMBERS: [u32; 6] = [13, 2, 9, 0, 5, 47];

/// Languages a languages answer lists beside the primary one: build files and the like,
/// some of which the default language map renames (CSS, SCSS, Jupyter Notebook).
const SECONDARY_LANGUAGES: [&str; 10] = [
    "Shell",
    "Dockerfile",
    "Makefile",
    "CSS",
    "SCSS",
    "HTML",
    "JavaScript",
    "Jupyter Notebook",
    "HCL",
    "Procfile",
];

/// Descriptions of the lengths real ones have (the 2021 pages average 38 characters, with
/// a few long ones); a repository without one has `null`.
const DESCRIPTIONS: [&str; 8] = [
    "Design prototypes for the website",
    "Data pipeline for the weekly dashboards",
    "Analytical code for the statistical publication on waiting times",
    "API specifications",
    "Terraform for the shared platform",
    "Source code of the public facing service, built with the NHS design system and \
     deployed to Azure by GitHub Actions",
    "R package of helper functions",
    "Documentation",
];

/// What full objects' repository names start with (real names average 21 characters).
const NAME_STEMS: [&str; 10] = [
    "data-pipeline",
    "website",
    "api",
    "dashboard",
    "analysis",
    "prototype",
    "frontend",
    "covid-19-data",
    "platform",
    "design-system",
];

/// The topics repositories carry: up to three, one from each third of the list, so none twice.
const TOPICS: [&str; 9] = [
    "nhs",
    "healthcare",
    "open-data",
    "python",
    "r",
    "data-science",
    "fhir",
    "api",
    "covid-19",
];

/// Where the full objects' URLs point, as GitHub's do.
const API: &str = "https://api.github.com";

/// The URL templates of a repository object after its own `url`, in GitHub's order; each is
/// the repository's API URL followed by the suffix.
const REPO_URLS: [(&str, &str); 36] = [
    ("forks_url", "/forks"),
    ("keys_url", "/keys{/key_id}"),
    ("collaborators_url", "/collaborators{/collaborator}"),
    ("teams_url", "/teams"),
    ("hooks_url", "/hooks"),
    ("issue_events_url", "/issues/events{/number}"),
    ("events_url", "/events"),
    ("assignees_url", "/assignees{/user}"),
    ("branches_url", "/branches{/branch}"),
    ("tags_url", "/tags"),
    ("blobs_url", "/git/blobs{/sha}"),
    ("git_tags_url", "/git/tags{/sha}"),
    ("git_refs_url", "/git/refs{/sha}"),
    ("trees_url", "/git/trees{/sha}"),
    ("statuses_url", "/statuses/{sha}"),
    ("languages_url", "/languages"),
    ("stargazers_url", "/stargazers"),
    ("contributors_url", "/contributors"),
    ("subscribers_url", "/subscribers"),
    ("subscription_url", "/subscription"),
    ("commits_url", "/commits{/sha}"),
    ("git_commits_url", "/git/commits{/sha}"),
    ("comments_url", "/comments{/number}"),
    ("issue_comment_url", "/issues/comments{/number}"),
    ("contents_url", "/contents/{+path}"),
    ("compare_url", "/compare/{base}...{head}"),
    ("merges_url", "/merges"),
    ("archive_url", "/{archive_format}{/ref}"),
    ("downloads_url", "/downloads"),
    ("issues_url", "/issues{/number}"),
    ("pulls_url", "/pulls{/number}"),
    ("milestones_url", "/milestones{/number}"),
    (
        "notifications_url",
        "/notifications{?since,all,participating}",
    ),
    ("labels_url", "/labels{/name}"),
    ("releases_url", "/releases{/id}"),
    ("deployments_url", "/deployments"),
];

/// The URL templates of the owner object after its `html_url`, in GitHub's order.
const OWNER_URLS: [(&str, &str); 9] = [
    ("followers_url", "/followers"),
    ("following_url", "/following{/other_user}"),
    ("gists_url", "/gists{/gist_id}"),
    ("starred_url", "/starred{/owner}{/repo}"),
    ("subscriptions_url", "/subscriptions"),
    ("organizations_url", "/orgs"),
    ("repos_url", "/repos"),
    ("events_url", "/events{/privacy}"),
    ("received_events_url", "/received_events"),
];

/// The texts of licence files GitHub could not name ("Other"), and how often each occurs:
/// the Open Government Licence with two copyright lines (GitHub has no OGL, so NHS
/// repositories under it are "Other"), MIT with a holder, and two files that are no
/// licence. ohs identifies each distinct text once.
static LICENCE_FILES: LazyLock<Vec<LicenceFile>> = LazyLock::new(|| {
    const OGL: &str = include_str!("../tests/fixtures/licences/OGL-UK-3.0.txt");
    const MIT: &str = include_str!("../tests/fixtures/licences/MIT.txt");
    vec![
        LicenceFile::new(
            "LICENCE",
            40,
            format!("\u{a9} Crown copyright 2023\n\n{OGL}"),
        ),
        LicenceFile::new(
            "LICENSE.md",
            20,
            format!(
                "Copyright (c) NHS England and NHS Improvement 2021. Licensed under the Open \
                 Government Licence v3.0; the code is also available under the MIT licence.\
                 \n\n{OGL}"
            ),
        ),
        LicenceFile::new(
            "LICENSE",
            20,
            MIT.replace("<year> <copyright holders>", "2021 NHS Digital"),
        ),
        LicenceFile::new(
            "LICENCE.md",
            10,
            "This repository holds the slides and notes of our team's quarterly review. \
             Please ask the team before reusing any of the diagrams.\n"
                .into(),
        ),
        LicenceFile::new(
            "LICENSE.txt",
            10,
            "The code in this repository is released under the MIT licence and its \
             documentation under the Open Government Licence v3.0: see LICENSE-MIT and \
             LICENSE-OGL.\n"
                .into(),
        ),
    ]
});

/// SplitMix64: small, fast and deterministic, which is all a generator needs.
struct Rng(u64);

impl Rng {
    /// A stream of its own for each repository (and purpose, by `salt`), so that what is
    /// drawn for one never depends on which others were drawn first.
    fn for_repo(seed: u64, salt: u64, id: u64) -> Self {
        let mut rng = Rng(seed ^ salt.rotate_left(32) ^ id.wrapping_mul(0xD6E8_FEB8_6659_FD93));
        rng.next();
        rng
    }
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
    largest_share: Option<f64>,
    full_objects: bool,
    answers: bool,
}

/// Flags that take no value.
const SWITCHES: [&str; 2] = ["--full-objects", "--answers"];

fn args() -> Result<Args, String> {
    let mut map = BTreeMap::new();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = if SWITCHES.contains(&flag.as_str()) {
            String::new()
        } else {
            it.next().ok_or(format!("{flag} needs a value"))?
        };
        map.insert(flag, value);
    }
    let num = |k: &str, d: u64| -> Result<u64, String> {
        map.get(k)
            .map_or(Ok(d), |v| v.parse().map_err(|e| format!("{k}: {e}")))
    };
    let largest_share = match map.get("--largest-share") {
        None => None,
        Some(v) => Some(
            v.parse::<f64>()
                .map_err(|e| format!("--largest-share: {e}"))?,
        ),
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
        largest_share,
        full_objects: map.contains_key("--full-objects"),
        answers: map.contains_key("--answers"),
    })
}

/// Zipf weights 1 / rank^exponent of `orgs` orgs, largest first.
fn zipf(orgs: u64, exponent: f64) -> Vec<f64> {
    (0..orgs)
        .map(|i| 1.0 / ((i + 1) as f64).powf(exponent))
        .collect()
}

/// The Zipf exponent at which the largest of `orgs` orgs holds `share` of the weight
/// (bisection: the share only grows with the exponent).
fn exponent_for(orgs: u64, share: f64) -> f64 {
    let largest = |exponent| 1.0 / zipf(orgs, exponent).iter().sum::<f64>();
    let (mut low, mut high) = (0.0, 8.0);
    for _ in 0..60 {
        let mid = (low + high) / 2.0;
        if largest(mid) < share {
            low = mid;
        } else {
            high = mid;
        }
    }
    (low + high) / 2.0
}

/// Repositories per org on the first day: Zipf-like, so a few orgs have thousands.
fn initial_sizes(orgs: u64, total: u64, exponent: f64) -> Vec<u64> {
    let weights = zipf(orgs, exponent);
    let sum: f64 = weights.iter().sum();
    weights
        .iter()
        .map(|w| ((w / sum) * total as f64).round().max(1.0) as u64)
        .collect()
}

/// When `r` was created, to the second.
fn created_at(r: &Repo, epoch: NaiveDate) -> DateTime<Utc> {
    let midnight = (epoch + Duration::days(r.created_day))
        .and_hms_opt(0, 0, 0)
        .unwrap();
    Utc.from_utc_datetime(&midnight) + Duration::seconds(r.second as i64)
}

fn timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The small object: only the fields ohs reads (the default, as in past results).
fn repo_json(login: &str, r: &Repo, epoch: NaiveDate) -> serde_json::Value {
    let created = timestamp(created_at(r, epoch));
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
        "created_at": created,
        "pushed_at": created,
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

/// GitHub's legacy global id: base64 of "<type length>:<type><number>".
fn node_id(kind: &str, number: u64) -> String {
    let text = format!("{:03}:{kind}{number}", kind.len());
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// An org as its repositories' `owner` objects name it.
struct Owner {
    login: String,
    id: u64,
}

/// The repository's default branch: "main" for most, "master" for the older rest.
fn default_branch(seed: u64, id: u64) -> &'static str {
    if Rng::for_repo(seed, 4, id).chance(600) {
        "main"
    } else {
        "master"
    }
}

/// What a full object says beyond [`Repo`], drawn from the repository's own stream.
struct Extras {
    description: Option<&'static str>,
    homepage: Option<String>,
    size: u64,
    pushed_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    default_branch: &'static str,
    has_pages: bool,
    topics: Vec<&'static str>,
}

impl Extras {
    /// `now` is when the listing was asked: nothing was pushed after it.
    fn new(
        seed: u64,
        (owner, name): (&Owner, &str),
        r: &Repo,
        (created, now): (DateTime<Utc>, DateTime<Utc>),
    ) -> Self {
        let mut rng = Rng::for_repo(seed, 1, r.id);
        let description =
            (!rng.chance(150)).then(|| DESCRIPTIONS[rng.below(DESCRIPTIONS.len() as u64) as usize]);
        let homepage = match rng.below(3) {
            0 => None,
            1 => Some(String::new()),
            _ => Some(format!("https://{}.github.io/{name}/", owner.login)),
        };
        let pushed_at = between(&mut rng, created, now);
        let topics = (0..rng.below(4))
            .map(|i| TOPICS[(3 * i + rng.below(3)) as usize])
            .collect();
        Extras {
            description,
            homepage,
            size: rng.below(50_000),
            pushed_at,
            updated_at: between(&mut rng, pushed_at, now),
            default_branch: default_branch(seed, r.id),
            has_pages: rng.chance(100),
            topics,
        }
    }
}

/// A time from `from` to `to` (`from` when `to` is earlier).
fn between(rng: &mut Rng, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
    let seconds = (to - from).num_seconds().max(0) as u64;
    from + Duration::seconds(rng.below(seconds + 1) as i64)
}

/// One repository as GitHub's org listing gives it: every field, in GitHub's order, the
/// holder's `permissions` left out as extract leaves them out.
struct FullRepo<'a> {
    owner: &'a Owner,
    repo: &'a Repo,
    name: String,
    full_name: String,
    created: DateTime<Utc>,
    extras: Extras,
}

impl<'a> FullRepo<'a> {
    fn new(job: &Job, owner: &'a Owner, repo: &'a Repo) -> Self {
        let stem = Rng::for_repo(job.seed, 5, repo.id).below(NAME_STEMS.len() as u64);
        let name = format!("{}-{}", NAME_STEMS[stem as usize], repo.id);
        let full_name = format!("{}/{name}", owner.login);
        let created = created_at(repo, job.epoch);
        let times = (created, job.fetched_at());
        let extras = Extras::new(job.seed, (owner, &name), repo, times);
        FullRepo {
            owner,
            repo,
            name,
            full_name,
            created,
            extras,
        }
    }

    fn identity<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry("id", &self.repo.id)?;
        map.serialize_entry("node_id", &node_id("Repository", self.repo.id))?;
        map.serialize_entry("name", &self.name)?;
        map.serialize_entry("full_name", &self.full_name)?;
        map.serialize_entry("private", &false)?;
        map.serialize_entry("owner", &OwnerObject(self.owner))?;
        let html_url = format!("https://github.com/{}", self.full_name);
        map.serialize_entry("html_url", &html_url)?;
        map.serialize_entry("description", &self.extras.description)?;
        map.serialize_entry("fork", &self.repo.fork)
    }

    fn urls<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        let url = format!("{API}/repos/{}", self.full_name);
        map.serialize_entry("url", &url)?;
        for (field, suffix) in REPO_URLS {
            map.serialize_entry(field, &format_args!("{url}{suffix}"))?;
        }
        Ok(())
    }

    fn times_and_clones<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        let full_name = &self.full_name;
        map.serialize_entry("created_at", &timestamp(self.created))?;
        map.serialize_entry("updated_at", &timestamp(self.extras.updated_at))?;
        map.serialize_entry("pushed_at", &timestamp(self.extras.pushed_at))?;
        map.serialize_entry("git_url", &format_args!("git://github.com/{full_name}.git"))?;
        map.serialize_entry("ssh_url", &format_args!("git@github.com:{full_name}.git"))?;
        let clone_url = format!("https://github.com/{full_name}.git");
        map.serialize_entry("clone_url", &clone_url)?;
        map.serialize_entry("svn_url", &format_args!("https://github.com/{full_name}"))?;
        map.serialize_entry("homepage", &self.extras.homepage)
    }

    fn counts_and_flags<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        let (r, stars) = (self.repo, self.repo.stars);
        map.serialize_entry("size", &self.extras.size)?;
        map.serialize_entry("stargazers_count", &stars)?;
        map.serialize_entry("watchers_count", &stars)?;
        map.serialize_entry("language", &r.language.map(|l| LANGUAGES[l]))?;
        for flag in ["has_issues", "has_projects", "has_downloads", "has_wiki"] {
            map.serialize_entry(flag, &true)?;
        }
        map.serialize_entry("has_pages", &self.extras.has_pages)?;
        map.serialize_entry("has_discussions", &false)?;
        map.serialize_entry("forks_count", &(stars / 4))?;
        map.serialize_entry("mirror_url", &None::<String>)?;
        map.serialize_entry("archived", &r.archived)?;
        map.serialize_entry("disabled", &false)?;
        map.serialize_entry("open_issues_count", &(stars % 7))
    }

    fn licence_and_rest<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        let stars = self.repo.stars;
        map.serialize_entry("license", &self.repo.licence.map(licence_object))?;
        map.serialize_entry("allow_forking", &true)?;
        map.serialize_entry("is_template", &false)?;
        map.serialize_entry("web_commit_signoff_required", &false)?;
        map.serialize_entry("topics", &self.extras.topics)?;
        map.serialize_entry("visibility", "public")?;
        map.serialize_entry("forks", &(stars / 4))?;
        map.serialize_entry("open_issues", &(stars % 7))?;
        map.serialize_entry("watchers", &stars)?;
        map.serialize_entry("default_branch", self.extras.default_branch)
    }
}

impl Serialize for FullRepo<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        self.identity(&mut map)?;
        self.urls(&mut map)?;
        self.times_and_clones(&mut map)?;
        self.counts_and_flags(&mut map)?;
        self.licence_and_rest(&mut map)?;
        map.end()
    }
}

/// A `license` object, in GitHub's field order (a `json!` map would sort them).
#[derive(Serialize)]
struct LicenceObject {
    key: &'static str,
    name: &'static str,
    spdx_id: &'static str,
    url: Option<String>,
    node_id: String,
}

/// The `license` object of licence `index` of [`LICENCES`].
fn licence_object(index: usize) -> LicenceObject {
    let (key, name, spdx_id) = LICENCES[index];
    LicenceObject {
        key,
        name,
        spdx_id,
        url: (key != "other").then(|| format!("{API}/licenses/{key}")),
        node_id: node_id("License", LICENCE_NUMBERS[index].into()),
    }
}

/// A repository's `owner`: the org, with its avatar and API URLs.
struct OwnerObject<'a>(&'a Owner);

impl Serialize for OwnerObject<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Owner { login, id } = self.0;
        let url = format!("{API}/users/{login}");
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("login", login)?;
        map.serialize_entry("id", id)?;
        map.serialize_entry("node_id", &node_id("Organization", *id))?;
        let avatar = format!("https://avatars.githubusercontent.com/u/{id}?v=4");
        map.serialize_entry("avatar_url", &avatar)?;
        map.serialize_entry("gravatar_id", "")?;
        map.serialize_entry("url", &url)?;
        map.serialize_entry("html_url", &format_args!("https://github.com/{login}"))?;
        for (field, suffix) in OWNER_URLS {
            map.serialize_entry(field, &format_args!("{url}{suffix}"))?;
        }
        map.serialize_entry("type", "Organization")?;
        map.serialize_entry("site_admin", &false)?;
        map.end()
    }
}

/// The body of one listing page of `chunk`.
fn page_body(job: &Job, owner: &Owner, chunk: &[Repo]) -> Vec<u8> {
    if job.full_objects {
        let items: Vec<FullRepo> = chunk.iter().map(|r| FullRepo::new(job, owner, r)).collect();
        serde_json::to_vec_pretty(&items).unwrap()
    } else {
        let items: Vec<_> = chunk
            .iter()
            .map(|r| repo_json(&owner.login, r, job.epoch))
            .collect();
        serde_json::to_vec(&items).unwrap()
    }
}

/// A licence file GitHub's `/license` answer could hold, encoded as GitHub sends it.
struct LicenceFile {
    path: &'static str,
    /// How many in a hundred "Other" repositories have it.
    percent: u64,
    size: usize,
    /// Base64 with a newline after every 60 characters, as GitHub wraps it.
    content: String,
    /// A 40-hex stand-in for the blob's SHA-1, from the text.
    sha: String,
}

impl LicenceFile {
    fn new(path: &'static str, percent: u64, text: String) -> Self {
        let encoded = base64::engine::general_purpose::STANDARD.encode(&text);
        let content: String = encoded
            .as_bytes()
            .chunks(60)
            .map(|line| format!("{}\n", std::str::from_utf8(line).unwrap()))
            .collect();
        LicenceFile {
            path,
            percent,
            size: text.len(),
            content,
            sha: sha256_hex(text.as_bytes())[..40].to_string(),
        }
    }

    /// The file of the repository with id `id`, by the files' shares.
    fn of(seed: u64, id: u64) -> &'static LicenceFile {
        let mut pick = Rng::for_repo(seed, 2, id).below(100);
        for file in LICENCE_FILES.iter() {
            if pick < file.percent {
                return file;
            }
            pick -= file.percent;
        }
        &LICENCE_FILES[0]
    }
}

/// `GET /repos/{owner}/{repo}/license`, in GitHub's field order.
#[derive(Serialize)]
struct LicenceAnswerBody<'a> {
    name: &'a str,
    path: &'a str,
    sha: &'a str,
    size: usize,
    url: String,
    html_url: String,
    git_url: String,
    download_url: String,
    #[serde(rename = "type")]
    kind: &'a str,
    content: &'a str,
    encoding: &'a str,
    #[serde(rename = "_links")]
    links: Links,
    license: LicenceObject,
}

#[derive(Serialize)]
struct Links {
    #[serde(rename = "self")]
    own: String,
    git: String,
    html: String,
}

/// The licence answer of `full_name`, whose default branch is `branch`.
fn licence_body(seed: u64, repo: &RepoRef, branch: &str) -> String {
    let file = LicenceFile::of(seed, repo.id);
    let full_name = &repo.full_name;
    let url = format!(
        "{API}/repos/{full_name}/contents/{}?ref={branch}",
        file.path
    );
    let html_url = format!("https://github.com/{full_name}/blob/{branch}/{}", file.path);
    let git_url = format!("{API}/repos/{full_name}/git/blobs/{}", file.sha);
    let body = LicenceAnswerBody {
        name: file.path,
        path: file.path,
        sha: &file.sha,
        size: file.size,
        download_url: format!(
            "https://raw.githubusercontent.com/{full_name}/{branch}/{}",
            file.path
        ),
        kind: "file",
        content: &file.content,
        encoding: "base64",
        links: Links {
            own: url.clone(),
            git: git_url.clone(),
            html: html_url.clone(),
        },
        url,
        html_url,
        git_url,
        license: licence_object(3),
    };
    serde_json::to_string_pretty(&body).unwrap()
}

/// Bytes per language, largest first, as GitHub orders them.
struct LanguageBytes(Vec<(&'static str, u64)>);

impl Serialize for LanguageBytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (language, bytes) in &self.0 {
            map.serialize_entry(language, bytes)?;
        }
        map.end()
    }
}

/// The languages answer of `r`: its primary language with most of the bytes and up to three
/// others; `{}` for a repository with no code, as GitHub answers.
fn languages_body(seed: u64, r: &Repo) -> String {
    let mut sizes = Vec::new();
    if let Some(primary) = r.language {
        let mut rng = Rng::for_repo(seed, 3, r.id);
        let most = 2_000 + rng.below(2_000_000);
        sizes.push((LANGUAGES[primary], most));
        for _ in 0..rng.below(4) {
            let other = SECONDARY_LANGUAGES[rng.below(SECONDARY_LANGUAGES.len() as u64) as usize];
            if sizes.iter().all(|(l, _)| *l != other) {
                sizes.push((other, 1 + rng.below(most / 3)));
            }
        }
        sizes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    }
    serde_json::to_string_pretty(&LanguageBytes(sizes)).unwrap()
}

/// Stops the generator with a lake's (or any) error.
fn or_exit<T, E: std::fmt::Display>(result: Result<T, E>) -> T {
    result.unwrap_or_else(|e| {
        eprintln!("synth: {e}");
        std::process::exit(1);
    })
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

/// What every org's writer of one snapshot shares.
struct Job {
    lake: Lake,
    date: SnapshotDate,
    epoch: NaiveDate,
    seed: u64,
    full_objects: bool,
    answers: bool,
}

impl Job {
    /// When extract would have asked: 06:00 UTC on the snapshot day.
    fn fetched_at(&self) -> DateTime<Utc> {
        Utc.from_utc_datetime(&self.date.date().and_hms_opt(6, 0, 0).unwrap())
    }
}

/// What writing one org stored.
#[derive(Default)]
struct Written {
    repos: usize,
    page_bytes: usize,
}

/// One stored page's sidecar, as extract writes it for a 200.
fn sidecar(
    job: &Job,
    login: &OrgLogin,
    (number, pages): (u32, u32),
    body: &[u8],
    repos: usize,
) -> PageSidecar {
    let sha256 = sha256_hex(body);
    let next = format!(
        "{API}/orgs/{login}/repos?type=public&per_page=100&page={}",
        number + 1
    );
    PageSidecar {
        url: format!("{API}/orgs/{login}/repos?type=public&per_page=100&page={number}"),
        status: 200,
        etag: Some(format!("\"{}\"", &sha256[..16])),
        link: (number < pages).then(|| format!("<{next}>; rel=\"next\"")),
        api_version: "2022-11-28".into(),
        fetched_at: job.fetched_at(),
        not_modified_from: None,
        replayed_from: None,
        rate_limit: None,
        attempts: 1,
        repos,
        dropped_non_public: 0,
        sha256,
    }
}

/// The kept repositories of a stored page, each with its [`Repo`], decided by extract's own
/// reading of the listing (`Adapter::listing_item`).
fn kept_of<'r>(body: &[u8], chunk: &'r [Repo]) -> Vec<(RepoRef, &'r Repo)> {
    let items: Vec<&RawValue> = or_exit(serde_json::from_slice(body));
    let adapter = Forge::Github.adapter();
    items
        .iter()
        .zip(chunk)
        .filter_map(|(item, repo)| {
            let listed = or_exit(adapter.listing_item(item.get()));
            listed.kept.map(|kept| (kept, repo))
        })
        .collect()
}

/// One answer as extract stores a 200: the request's URL, an ETag, the listing's facts.
fn response(repo: &RepoRef, endpoint: RepoEndpoint, body: String) -> RepoResponse {
    let api = url::Url::parse(API).unwrap();
    let url = Forge::Github.adapter().answer_url(&api, repo, endpoint);
    RepoResponse {
        repo_id: repo.id,
        full_name: repo.full_name.clone(),
        url: url.map(String::from).unwrap_or_default(),
        status: 200,
        etag: Some(format!("W/\"{}\"", &sha256_hex(body.as_bytes())[..32])),
        not_modified_from: None,
        replayed_from: None,
        attempts: 1,
        listing_facts: repo.listing_facts.clone(),
        batch: None,
        reused_from: None,
        body: Some(or_exit(RawValue::from_string(body))),
    }
}

/// Stores the org's answers of `endpoint` as extract does; what its manifest records.
async fn store_answers(
    job: &Job,
    login: &OrgLogin,
    endpoint: RepoEndpoint,
    responses: Vec<RepoResponse>,
) -> RepoResponsesFile {
    let file = RepoResponses {
        org: login.to_string(),
        snapshot_date: job.date,
        endpoint,
        api_version: "2022-11-28".into(),
        responses,
    };
    or_exit(bronze::write::repo_responses(&job.lake, job.date, login, &file).await)
}

/// Stores the org's answers of both endpoints, each file built only when the one before is
/// stored, and records them in its manifest, which then skips neither endpoint.
async fn write_answers(
    job: &Job,
    login: &OrgLogin,
    kept: &BTreeMap<u64, (RepoRef, &Repo)>,
    manifest: &mut OrgManifest,
) {
    let licences = kept
        .values()
        .filter(|(repo, _)| repo.licence_asked)
        .map(|(repo, _)| {
            let body = licence_body(job.seed, repo, default_branch(job.seed, repo.id));
            response(repo, RepoEndpoint::License, body)
        })
        .collect();
    let stored = store_answers(job, login, RepoEndpoint::License, licences).await;
    manifest.licences = Some(stored);
    let languages = kept
        .values()
        .map(|(repo, r)| response(repo, RepoEndpoint::Languages, languages_body(job.seed, r)))
        .collect();
    let stored = store_answers(job, login, RepoEndpoint::Languages, languages).await;
    manifest.languages = Some(stored);
    manifest.skipped.clear();
}

/// The org's `owner` object: its login and a GitHub-sized id from its number.
fn owner(login: &OrgLogin, number: u64) -> Owner {
    Owner {
        login: login.to_string(),
        id: 40_000_000 + number,
    }
}

/// Writes one org of one snapshot: its pages with their sidecars, its answers if asked for,
/// and last its membership marker and manifest, as extract completes an org.
async fn write_org(job: Arc<Job>, number: u64, login: OrgLogin, repos: Vec<Repo>) -> Written {
    let owner = owner(&login, number);
    let chunks: Vec<&[Repo]> = if repos.is_empty() {
        vec![&[]]
    } else {
        repos.chunks(100).collect()
    };
    let pages = chunks.len() as u32;
    let mut checksums = Vec::new();
    let mut kept = BTreeMap::new();
    let mut written = Written {
        repos: repos.len(),
        ..Written::default()
    };
    for (page, chunk) in (1..).zip(&chunks) {
        let body = page_body(&job, &owner, chunk);
        let sidecar = sidecar(&job, &login, (page, pages), &body, chunk.len());
        if job.answers {
            kept.extend(kept_of(&body, chunk).into_iter().map(|k| (k.0.id, k)));
        }
        written.page_bytes += body.len();
        checksums.push(sidecar.sha256.clone());
        let stored = bronze::write::page(&job.lake, job.date, &login, page, body.into(), &sidecar);
        or_exit(stored.await);
    }
    let mut manifest = manifest(&job, &login, &repos, pages, &checksums);
    if job.answers {
        write_answers(&job, &login, &kept, &mut manifest).await;
    }
    or_exit(bronze::write::complete_org(&job.lake, job.date, &login, &manifest).await);
    written
}

/// The org's manifest for listings only; [`write_org`] adds the answers when it writes them.
fn manifest(
    job: &Job,
    login: &OrgLogin,
    repos: &[Repo],
    pages: u32,
    checksums: &[String],
) -> OrgManifest {
    OrgManifest {
        org: login.to_string(),
        snapshot_date: job.date,
        canonical_login: Some(login.to_string()),
        public_repos: Some(repos.len() as u64),
        web_url: None,
        pages,
        repos: repos.len(),
        unique_repos: repos.len(),
        sha256: bronze::org_checksum(checksums.iter().map(String::as_str)),
        licences: None,
        languages: None,
        observed_on: None,
        requests: Default::default(),
        // Listings only: the per-repository endpoints cost a request per repository, which
        // is what this generator is meant to scale past.
        skipped: ["license", "languages"]
            .map(|endpoint| (endpoint.to_string(), "synthetic: listings only".to_string()))
            .into(),
    }
}

/// Writes every org of one snapshot, a few at once on every core; what they stored.
async fn write_snapshot(job: Arc<Job>, orgs: Vec<(OrgLogin, Vec<Repo>)>) -> Written {
    let at_once = 2 * std::thread::available_parallelism().map_or(2, usize::from);
    let tasks = futures::stream::iter((0..).zip(orgs))
        .map(|(number, (login, repos))| tokio::spawn(write_org(job.clone(), number, login, repos)))
        .buffer_unordered(at_once);
    let all: Vec<_> = tasks.collect().await;
    let mut total = Written::default();
    for written in all {
        let written = written.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        total.repos += written.repos;
        total.page_bytes += written.page_bytes;
    }
    total
}

/// Each org's random stream and repositories on the first day; says how skewed they are.
fn initial_state(args: &Args, per_snapshot: u64, next_id: &mut u64) -> Vec<(Rng, Vec<Repo>)> {
    let exponent = args
        .largest_share
        .map_or(1.1, |share| exponent_for(args.orgs, share));
    let sizes = initial_sizes(args.orgs, per_snapshot, exponent);
    let total: u64 = sizes.iter().sum();
    let largest = sizes.iter().max().copied().unwrap_or(0);
    eprintln!(
        "synth: org sizes 1 / rank^{exponent:.3}: the largest holds {largest} of {total} \
         repositories ({:.1}%)",
        100.0 * largest as f64 / total.max(1) as f64
    );
    sizes
        .into_iter()
        .enumerate()
        .map(|(i, size)| {
            let mut rng = Rng(args.seed ^ ((i as u64 + 1) << 20));
            let repos = (0..size)
                .map(|_| {
                    *next_id += 1;
                    let day = -(rng.below(3650) as i64);
                    new_repo(&mut rng, *next_id, day)
                })
                .collect();
            (rng, repos)
        })
        .collect()
}

#[tokio::main]
async fn main() {
    let args = args().unwrap_or_else(|e| {
        eprintln!("synth: {e}");
        std::process::exit(2);
    });
    let lake = Lake::open(&args.lake, &LakeOptions::default()).unwrap_or_else(|e| {
        eprintln!("synth: {e}");
        std::process::exit(2);
    });
    let started = Instant::now();
    let logins: Vec<OrgLogin> = (0..args.orgs)
        .map(|i| format!("synth-org-{i}").parse().unwrap())
        .collect();
    let mut next_id = 0;
    let mut state = initial_state(&args, args.rows / args.snapshots, &mut next_id);
    let mut total = Written::default();
    for k in 0..args.snapshots {
        let date = SnapshotDate::new(args.start + Duration::days(k as i64));
        let mut orgs = Vec::new();
        for (login, (rng, repos)) in logins.iter().zip(state.iter_mut()) {
            if k > 0 {
                churn(rng, repos, &mut next_id, k as i64);
            }
            orgs.push((login.clone(), repos.clone()));
        }
        let job = Job {
            lake: lake.clone(),
            date,
            epoch: args.start,
            seed: args.seed,
            full_objects: args.full_objects,
            answers: args.answers,
        };
        let written = write_snapshot(Arc::new(job), orgs).await;
        eprintln!(
            "synth: {date}: {} orgs, {} repositories, {} page bytes ({:.0} a repository)",
            args.orgs,
            written.repos,
            written.page_bytes,
            written.page_bytes as f64 / written.repos.max(1) as f64,
        );
        total.repos += written.repos;
        total.page_bytes += written.page_bytes;
    }
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "synth: {} page bytes in {seconds:.1} s ({:.0} MB/s of pages, answers besides)",
        total.page_bytes,
        total.page_bytes as f64 / seconds / 1e6
    );
    println!("{}", total.repos);
}
