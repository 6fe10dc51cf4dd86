//! Transform: bronze → silver → gold and the site CSV, for one snapshot. No network I/O.
//!
//! Reads a complete bronze snapshot (every member org's manifest, every page checked against
//! its checksum), parses repositories, drops anything not public, de-duplicates by
//! repository id, writes silver, then stages the gold tables, the site CSV and the page for
//! publish. It covers every org of the snapshot, and refuses while any of them, or of the
//! run's orgs, is incomplete. Gold and the site count only repositories created on or before
//! the snapshot day, so a snapshot observed later than its date shows no later numbers.
//! It can be re-run on any past snapshot; the same bronze gives byte-identical outputs.

pub mod datapackage;
mod details;
mod gitlab;
pub mod gold;
mod input;
pub mod licence_text;
pub mod normalise;
pub mod repos;
pub mod silver;
pub mod site;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use bytes::Bytes;
use polars::prelude::{DataFrame, PolarsError};
use tracing::{info, warn, Instrument};

use crate::bronze::{self, RepoEndpoint, RepoResponses};
use crate::config::RunSettings;
use crate::domain::{Forge, OrgLogin, SnapshotDate};
use crate::formats::build::BuildRecord;
use crate::formats::parquet;
use crate::lake::outputs::{
    BUILD_SCHEMA, DATA_PACKAGE, MANIFEST_SCHEMA, ORG_REPOS_DAILY, SITE_CSV,
};
use crate::lake::{self, Lake, LakeError, LakeKey, Output};
use crate::timings::StepClock;
use licence_text::{Detection, LicenceText};
use repos::{ListingOrg, RepoRecord};
use silver::OrgRecord;

/// Why transform failed. Messages name the snapshot, lake key or org, page and repo.
#[derive(Debug, thiserror::Error)]
pub enum TransformError {
    #[error("transform: snapshot {date} has no complete bronze for {}", missing_orgs(*date, orgs))]
    Incomplete {
        date: SnapshotDate,
        orgs: Vec<String>,
    },
    #[error("transform: {key}: {message}")]
    Corrupt { key: LakeKey, message: String },
    #[error("transform: org {org} page {page}: {message}")]
    InvalidPage {
        org: OrgLogin,
        page: u32,
        message: String,
    },
    #[error("transform: {file}: {source}")]
    Model {
        file: &'static str,
        source: PolarsError,
    },
    #[error("transform: {what}: {source}")]
    Polars {
        what: &'static str,
        source: PolarsError,
    },
    #[error("transform: {0}")]
    Lake(#[from] LakeError),
    #[error("transform: {0}")]
    Bronze(#[from] bronze::read::BronzeError),
}

impl crate::exit::HasExitCode for TransformError {
    fn exit_code(&self) -> crate::exit::ExitCode {
        use crate::exit::ExitCode::{Data, Usage};
        match self {
            Self::Lake(e) | Self::Bronze(bronze::read::BronzeError::Lake(e)) => {
                crate::exit::HasExitCode::exit_code(e)
            }
            Self::Incomplete { .. } => Usage,
            Self::Bronze(_) => Data,
            Self::Corrupt { .. }
            | Self::InvalidPage { .. }
            | Self::Model { .. }
            | Self::Polars { .. } => Data,
        }
    }
}

/// `a, b: run ...` naming the orgs and the command that fetches them; past ten, the count.
fn missing_orgs(date: SnapshotDate, orgs: &[String]) -> String {
    const NAMED: usize = 10;
    if orgs.len() <= NAMED {
        return format!(
            "{}: run `ohs extract --snapshot-date {date} --orgs {}` first",
            orgs.join(", "),
            orgs.join(",")
        );
    }
    format!(
        "{} orgs ({}, and {} more): run `ohs extract --snapshot-date {date}` first (complete orgs are kept)",
        orgs.len(),
        orgs[..NAMED].join(", "),
        orgs.len() - NAMED
    )
}

/// What one transform produced.
#[derive(Debug, PartialEq, Eq)]
pub struct TransformSummary {
    pub snapshot_date: SnapshotDate,
    pub orgs: usize,
    /// Public repositories in silver.
    pub repos: usize,
    /// Repositories seen on more than one page (kept once).
    pub duplicates: usize,
    /// Non-public repositories dropped.
    pub non_public: usize,
    /// Rows of each staged gold table, by table.
    pub gold_rows: BTreeMap<String, usize>,
}

/// Rebuilds every snapshot whose orgs are all complete in bronze, oldest first; the others
/// are named in a warning and left as they are. Small snapshots are built two at a time
/// ([`at_once`]), so steps that use one core (writing Parquet, the site series) overlap; a
/// large one is built alone, as it uses every core itself and memory holds one snapshot.
/// Each batch finishes before the next starts or an error is returned, so nothing writes
/// after it.
pub async fn run_all(
    settings: &RunSettings,
    lake: &Lake,
) -> Result<Vec<TransformSummary>, TransformError> {
    let mut complete = Vec::new();
    for date in bronze_snapshots(lake).await? {
        let orgs = bronze::snapshot_orgs(lake, date).await?;
        let incomplete = orgs.incomplete([]);
        if orgs.members.is_empty() || !incomplete.is_empty() {
            warn!(snapshot_date = %date, incomplete = %incomplete.join(","), "not complete in bronze: skipped");
            continue;
        }
        complete.push((date, orgs.pages));
    }
    let settings = Arc::new(settings.clone());
    let mut summaries = Vec::new();
    for dates in at_once(&complete) {
        let builds: Vec<_> = dates
            .iter()
            .map(|&date| build_on_own_thread(Arc::clone(&settings), lake.clone(), date))
            .collect();
        // Every build of the batch ends before an error is returned.
        for result in futures::future::join_all(builds).await {
            summaries.push(result?);
        }
    }
    Ok(summaries)
}

/// Snapshots (with their listing pages) grouped into the batches built at once, in order:
/// up to [`SNAPSHOTS_AT_ONCE`] consecutive snapshots of at most [`PAGES_AT_ONCE`] pages in all.
fn at_once(snapshots: &[(SnapshotDate, usize)]) -> Vec<Vec<SnapshotDate>> {
    let mut batches: Vec<(Vec<SnapshotDate>, usize)> = Vec::new();
    for &(date, pages) in snapshots {
        match batches.last_mut() {
            Some((dates, total))
                if dates.len() < SNAPSHOTS_AT_ONCE && *total + pages <= PAGES_AT_ONCE =>
            {
                dates.push(date);
                *total += pages;
            }
            _ => batches.push((vec![date], pages)),
        }
    }
    batches.into_iter().map(|(dates, _)| dates).collect()
}

/// Snapshots `--all-snapshots` builds at once, at most.
const SNAPSHOTS_AT_ONCE: usize = 2;

/// Listing pages (up to 100 repositories each) built at once, at most, unless one snapshot
/// has more. Two snapshots of 100,000 repositories over 2,000 orgs (2,500 pages each) are
/// built together; one of 1,000,000 repositories is built alone.
const PAGES_AT_ONCE: usize = 10_000;

/// Builds one snapshot on a blocking thread, so its long computations never hold the
/// runtime's workers (which renew the run's leases).
async fn build_on_own_thread(
    settings: Arc<RunSettings>,
    lake: Lake,
    date: SnapshotDate,
) -> Result<TransformSummary, TransformError> {
    let runtime = tokio::runtime::Handle::current();
    let span = tracing::info_span!("snapshot", snapshot_date = %date);
    let build = move || {
        let built = runtime.block_on(run_snapshot(&settings, &lake, date, &[]).instrument(span));
        // What the snapshot freed goes back to the system, so the next one starts from
        // what it needs.
        crate::memory::release_freed();
        built
    };
    tokio::task::spawn_blocking(build)
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

/// Every snapshot date with a folder in bronze, sorted.
pub async fn bronze_snapshots(lake: &Lake) -> Result<Vec<SnapshotDate>, LakeError> {
    crate::bronze::snapshot_dates(lake).await
}

/// Builds silver and stages gold, the site CSV and the page for the run's snapshot date,
/// over every org of the snapshot; each of the run's orgs must be among them, complete.
pub async fn run(settings: &RunSettings, lake: &Lake) -> Result<TransformSummary, TransformError> {
    let required: Vec<OrgLogin> = settings.orgs.iter().map(|o| o.login.clone()).collect();
    run_snapshot(settings, lake, settings.snapshot_date, &required).await
}

async fn run_snapshot(
    settings: &RunSettings,
    lake: &Lake,
    date: SnapshotDate,
    required: &[OrgLogin],
) -> Result<TransformSummary, TransformError> {
    let mut clock = StepClock::start("transform", date);
    let bronze = input::read_bronze(settings, lake, date, required).await?;
    clock.lap("bronze: read, verify, parse");
    clock.log("bronze: parse (summed over orgs)", bronze.parse_time);
    let input::BronzeSnapshot {
        listings,
        mut repos,
        builds: org_builds,
        licences,
        languages,
        gitlab_licences,
        gitlab_languages,
        requests,
        mut skipped,
        ..
    } = bronze;
    let total = repos.len();
    repos.retain(RepoRecord::is_public);
    let non_public = total - repos.len();
    let mut seen = HashSet::new();
    repos.retain(|r| seen.insert((r.forge, r.repo_id)));
    let duplicates = total - non_public - repos.len();
    if duplicates > 0 {
        warn!(
            duplicates,
            "repositories listed more than once; kept the first"
        );
    }
    sort_by_org_and_id(&mut repos);
    let orgs = org_records(settings, &listings, &repos);
    let reconstructed_from = org_builds
        .iter()
        .filter_map(|b| b.observed_on)
        .max()
        .filter(|observed| *observed > date.date());
    clock.lap("public, once, sorted");
    let known = match &licences {
        Some(files) if files.iter().any(|f| !f.responses.is_empty()) => {
            known_licence_texts(lake, date).await
        }
        _ => HashMap::new(),
    };
    details::apply_gitlab_answers(
        date,
        (&gitlab_licences, &gitlab_languages),
        &mut repos,
        &settings.config.languages,
    )?;
    let (repo_languages, licence_texts) = repo_details(
        settings,
        date,
        &mut repos,
        (licences, &known),
        (languages, gitlab_languages),
        &mut skipped,
    )?;

    clock.lap("licence texts, languages");
    let polars_err = |what| move |source| TransformError::Polars { what, source };
    let large = repos.len() > LARGE_SNAPSHOT_REPOS;
    let silver_repos = silver_repos(&repos, date, large).map_err(polars_err("silver repos"))?;
    clock.lap("silver repos");
    let rows = site::org_repos_daily(&orgs, &repos, date);
    let created_after_snapshot = repos.iter().filter(|r| r.created_after(date)).count();
    let repo_count = repos.len();
    drop(repos);
    // The records' memory is now free but stays with malloc unless handed back: the gold
    // queries allocate theirs elsewhere.
    crate::memory::release_freed();
    clock.lap("org_repos_daily: series");
    let silver_orgs = silver::orgs_frame(&orgs, date).map_err(polars_err("silver orgs"))?;
    let silver_languages = silver::repo_languages_frame(&repo_languages, date)
        .map_err(polars_err("silver repo_languages"))?;
    let silver_licence_texts = silver::licence_texts_frame(&licence_texts, date)
        .map_err(polars_err("silver licence_texts"))?;
    lake.put(&lake::silver::repos(date), silver_repos.encoded.clone())
        .await?;
    let silver_tables = [
        (lake::silver::orgs(date), &silver_orgs, "silver orgs"),
        (
            lake::silver::repo_languages(date),
            &silver_languages,
            "silver repo_languages",
        ),
        (
            lake::silver::licence_texts(date),
            &silver_licence_texts,
            "silver licence_texts",
        ),
    ];
    for (key, frame, what) in silver_tables {
        put_parquet(lake, key, frame, what).await?;
    }
    clock.lap("silver write");

    let mut gold_rows = BTreeMap::new();
    let mut staged_outputs = BTreeMap::new();
    let daily = site::gold_frame(&rows).map_err(polars_err("gold org_repos_daily"))?;
    clock.lap("org_repos_daily");
    gold_rows.insert("org_repos_daily".to_string(), daily.height());
    let key = lake::outputs::staged(date, &ORG_REPOS_DAILY);
    let sha = put_parquet(lake, key.clone(), &daily, "gold org_repos_daily").await?;
    staged_outputs.insert(key.to_string(), sha);
    clock.lap("org_repos_daily write");
    let repos = match silver_repos.frame {
        Some(frame) => polars::prelude::IntoLazy::lazy(frame),
        None => {
            parquet::scan_parquet_bytes(silver_repos.encoded).map_err(polars_err("silver repos"))?
        }
    };
    let mut ctx = gold::silver_context(gold::SilverTables {
        repos,
        orgs: &silver_orgs,
        repo_languages: &silver_languages,
    })
    .map_err(polars_err("intermediate models"))?;
    let mut plans = Vec::new();
    for model in &gold::MODELS {
        let plan = model
            .plan(&mut ctx)
            .map_err(|source| TransformError::Model {
                file: model.file,
                source,
            })?;
        plans.push(plan);
    }
    clock.lap("gold models: plan");
    let tables = gold_tables(plans, large)?;
    clock.lap("gold models: compute");
    for (model, table) in gold::MODELS.iter().zip(tables) {
        model
            .check(&table)
            .map_err(|source| TransformError::Model {
                file: model.file,
                source,
            })?;
        gold_rows.insert(model.table.to_string(), table.height());
        let key = lake::outputs::staged(date, &Output::GoldTable(model.table));
        let sha = put_parquet(lake, key.clone(), &table, model.file).await?;
        staged_outputs.insert(key.to_string(), sha);
    }
    clock.lap("gold write");
    let csv = site::to_csv(&rows);
    let key = lake::outputs::staged(date, &SITE_CSV);
    staged_outputs.insert(key.to_string(), crate::formats::sha256_hex(&csv));
    lake.put(&key, csv).await?;
    clock.lap("site CSV");
    let descriptions = [
        (
            DATA_PACKAGE,
            datapackage::data_package(date, &staged_outputs),
        ),
        (MANIFEST_SCHEMA, crate::formats::manifest::json_schema()),
        (BUILD_SCHEMA, crate::formats::build::json_schema()),
    ];
    for (output, bytes) in descriptions {
        let key = lake::outputs::staged(date, &output);
        staged_outputs.insert(key.to_string(), crate::formats::sha256_hex(&bytes));
        lake.put(&key, bytes).await?;
    }

    if created_after_snapshot > 0 {
        warn!(
            snapshot_date = %date,
            repos = created_after_snapshot,
            "repositories created after the snapshot date: kept in silver (flagged), left out of gold and the site"
        );
    }
    let summary = TransformSummary {
        snapshot_date: date,
        orgs: orgs.len(),
        repos: repo_count,
        duplicates,
        non_public,
        gold_rows,
    };
    let build = BuildRecord {
        build_id: BuildRecord::id_of(&staged_outputs),
        snapshot_date: date,
        version: env!("CARGO_PKG_VERSION").to_string(),
        spdx_license_list_version: normalise::spdx_list_version().to_string(),
        orgs: org_builds,
        repos: summary.repos,
        gold_rows: summary.gold_rows.clone(),
        requests,
        skipped,
        reconstructed_from,
        created_after_snapshot,
        staged: staged_outputs,
    };
    if let Some(observed) = reconstructed_from {
        warn!(
            snapshot_date = %date,
            observed_on = %observed,
            "snapshot {date} is reconstructed from GitHub as observed on {observed}: deleted or changed repositories are as they were then"
        );
    }
    // The record names the staged bytes; publish refuses staged outputs that differ from it.
    lake.put(
        &lake::outputs::build_record(date),
        crate::formats::to_json_bytes(&build),
    )
    .await?;
    clock.lap("build record");
    info!(
        snapshot_date = %date,
        orgs = summary.orgs,
        repos = summary.repos,
        site_rows = rows.len(),
        duplicates,
        non_public,
        "transform complete"
    );
    Ok(summary)
}

/// `repos` ordered by org login, then repository id. Sorts indices, then moves each record
/// into place by following the permutation's cycles: the records are large, so a sort would
/// move them many times, and a sorted copy would hold them twice.
fn sort_by_org_and_id(repos: &mut [RepoRecord]) {
    let mut order: Vec<usize> = (0..repos.len()).collect();
    order.sort_unstable_by(|&a, &b| {
        let (a, b) = (&repos[a], &repos[b]);
        (&a.org_login, a.repo_id).cmp(&(&b.org_login, b.repo_id))
    });
    permute(repos, &mut order);
}

/// Rearranges `items` so that position `i` holds what was at `order[i]`, in place; `order`
/// (a permutation) is used up.
fn permute<T>(items: &mut [T], order: &mut [usize]) {
    const DONE: usize = usize::MAX;
    for start in 0..items.len() {
        let mut at = start;
        while order[at] != DONE {
            let from = std::mem::replace(&mut order[at], DONE);
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

/// Silver `orgs`: each org's GitHub spelling comes from its repositories' owner, else from
/// `GET /orgs/{org}`, else from the configuration; sorted by org_login.
fn org_records(
    settings: &RunSettings,
    listings: &[ListingOrg],
    repos: &[RepoRecord],
) -> Vec<OrgRecord> {
    // The first repository of each org (they are sorted by org, then id) names its owner.
    let mut owners: HashMap<&str, &RepoRecord> = HashMap::new();
    for repo in repos {
        owners.entry(&repo.org_login).or_insert(repo);
    }
    let mut orgs: Vec<OrgRecord> = listings
        .iter()
        .map(|listing| {
            let login = listing.login.to_string();
            let owner = owners.get(login.as_str());
            let forge = listing.login.forge();
            let (organisation, url) = match (forge, owner) {
                // A project's owner may be a subgroup: the group names itself.
                (Forge::Gitlab, _) => {
                    let spelling = listing.forge_spelling();
                    let page = listing.web_url.clone();
                    (
                        spelling.to_string(),
                        page.unwrap_or_else(|| format!("https://{spelling}")),
                    )
                }
                (Forge::Github, Some(r)) => {
                    (r.owner_login.to_string(), r.owner_html_url.to_string())
                }
                (Forge::Github, None) => {
                    let spelling = listing.forge_spelling();
                    (
                        spelling.to_string(),
                        format!("https://github.com/{spelling}"),
                    )
                }
            };
            OrgRecord {
                display_name: settings.display_name(&listing.login),
                org_login: login,
                forge,
                organisation,
                url,
            }
        })
        .collect();
    orgs.sort_by(|a, b| a.org_login.cmp(&b.org_login));
    orgs
}

/// Every gold model's table, in [`gold::MODELS`] order, by polars' streaming engine: as one
/// query, sharing what the models read, or for a `large` snapshot one model at a time, so
/// that only one model's columns are held at once (a snapshot of a million repositories:
/// 0.4 GiB against 0.8 GiB together, for 20% more time).
fn gold_tables(
    plans: Vec<polars::prelude::LazyFrame>,
    large: bool,
) -> Result<Vec<DataFrame>, TransformError> {
    let alone = |(model, plan): (&gold::GoldModel, polars::prelude::LazyFrame)| {
        gold::collect(plan).map_err(|source| TransformError::Model {
            file: model.file,
            source,
        })
    };
    if large {
        return gold::MODELS.iter().zip(plans).map(alone).collect();
    }
    // A failure of the query as a whole is reported by the model that fails alone.
    gold::collect_all(plans.clone()).or_else(|error| {
        gold::MODELS
            .iter()
            .zip(plans)
            .try_for_each(|m| alone(m).map(drop))?;
        Err(TransformError::Polars {
            what: "gold models",
            source: error,
        })
    })
}

/// Repositories in a snapshot above which it is built to hold the least memory rather than to
/// take the least time ([`silver_repos`], [`gold_tables`]).
const LARGE_SNAPSHOT_REPOS: usize = 250_000;

/// Silver repos encoded for the lake, and for a snapshot that is not large also as a frame,
/// for gold to read.
struct SilverRepos {
    encoded: Bytes,
    frame: Option<DataFrame>,
}

/// A large snapshot's silver repos is encoded a row group at a time, so its records are never
/// held beside a whole frame of them, and gold reads the encoded table; a smaller one is
/// framed whole, which is quicker. The bytes are the same either way.
fn silver_repos(
    repos: &[RepoRecord],
    date: SnapshotDate,
    large: bool,
) -> Result<SilverRepos, PolarsError> {
    if large {
        let parts = repos
            .chunks(parquet::ROW_GROUP_ROWS)
            .map(|part| silver::repos_frame(part, date));
        let encoded = parquet::to_parquet_bytes_from(&silver::repos_schema(), parts)?;
        return Ok(SilverRepos {
            encoded: encoded.into(),
            frame: None,
        });
    }
    let frame = silver::repos_frame(repos, date)?;
    Ok(SilverRepos {
        encoded: parquet::to_parquet_bytes(&frame)?.into(),
        frame: Some(frame),
    })
}

/// Writes `df` as Parquet at `key`; returns the SHA-256 of the bytes.
async fn put_parquet(
    lake: &Lake,
    key: LakeKey,
    df: &DataFrame,
    what: &'static str,
) -> Result<String, TransformError> {
    let bytes =
        parquet::to_parquet_bytes(df).map_err(|source| TransformError::Polars { what, source })?;
    let sha256 = crate::formats::sha256_hex(&bytes);
    lake.put(&key, bytes).await?;
    Ok(sha256)
}

/// What the newest silver `licence_texts` on or before `date` identified, so that texts seen
/// before are not identified again. Unreadable, it only costs the time to identify them.
async fn known_licence_texts(lake: &Lake, date: SnapshotDate) -> HashMap<String, Detection> {
    let root = lake::silver::licence_texts_root();
    let newest = match lake.partitions(&root, "snapshot_date").await {
        Ok(dates) => dates
            .iter()
            .filter_map(|d| d.parse::<SnapshotDate>().ok())
            .filter(|d| *d <= date)
            .max(),
        Err(e) => {
            warn!("{e}: identifying every licence text afresh");
            None
        }
    };
    let Some(newest) = newest else {
        return HashMap::new();
    };
    let key = lake::silver::licence_texts(newest);
    let read = match lake.get(&key).await {
        Ok(Some(bytes)) => parquet::from_parquet_bytes(&bytes)
            .and_then(|df| silver::known_licence_texts(&df))
            .map_err(|e| e.to_string()),
        Ok(None) => Ok(HashMap::new()),
        Err(e) => Err(e.to_string()),
    };
    read.unwrap_or_else(|message| {
        warn!(key = %key, "{message}: identifying every licence text afresh");
        HashMap::new()
    })
}

/// Sets the detected licences of `repos` and returns their silver `repo_languages` and
/// `licence_texts`, from whichever per-repository answers every org has (licence texts
/// identified before, in `known`, are not identified again); notes in `skipped` what is
/// left out.
fn repo_details(
    settings: &RunSettings,
    date: SnapshotDate,
    repos: &mut [RepoRecord],
    (licences, known): (Option<Vec<RepoResponses>>, &HashMap<String, Detection>),
    (languages, gitlab_languages): (Option<Vec<RepoResponses>>, Vec<RepoResponses>),
    skipped: &mut BTreeMap<String, String>,
) -> Result<(Vec<silver::RepoLanguage>, Vec<LicenceText>), TransformError> {
    let mut left_out = |endpoint: RepoEndpoint| {
        if !skipped.contains_key(endpoint.name()) {
            let why = "not collected for every org of the snapshot".to_string();
            warn!(snapshot_date = %date, endpoint = endpoint.name(), "{why}: left out");
            skipped.insert(endpoint.name().to_string(), why);
        }
    };
    let texts = match licences {
        Some(files) => {
            let (detections, texts) = details::detect_licences(date, &files, repos, known)?;
            details::apply_licences(repos, &detections);
            texts
        }
        None => {
            left_out(RepoEndpoint::License);
            Vec::new()
        }
    };
    let mut files = gitlab_languages;
    match languages {
        Some(github) => files.extend(github),
        None => left_out(RepoEndpoint::Languages),
    }
    let languages = details::repo_languages(date, &files, repos, &settings.config.languages)?;
    Ok((languages, texts))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sample's repositories, repeated with fresh ids to fill `rows`, sorted.
    fn sample_records(rows: usize) -> Vec<RepoRecord> {
        let org = ListingOrg {
            login: "nhsdigital".parse().unwrap(),
            canonical_login: None,
            web_url: None,
        };
        let page = std::fs::read("data/sample/nhsdigital/page-1.json").unwrap();
        let page = repos::parse_page(&org, &page, &BTreeMap::new()).unwrap();
        let mut records: Vec<RepoRecord> = page.iter().cycle().take(rows).cloned().collect();
        for (i, record) in records.iter_mut().enumerate() {
            record.repo_id = crate::domain::RepoId(i as u64 + 1);
        }
        records
    }

    /// A large snapshot is built another way (silver repos encoded a part at a time, gold
    /// reading the encoded table, one model at a time): the same bytes and tables.
    #[test]
    fn large_snapshots_are_built_to_the_same_outputs() {
        let date: SnapshotDate = "2021-03-04".parse().unwrap();
        let records = sample_records(parquet::ROW_GROUP_ROWS + 1_000);
        let small = silver_repos(&records, date, false).unwrap();
        let large = silver_repos(&records, date, true).unwrap();
        assert_eq!(small.encoded, large.encoded);
        assert!(large.frame.is_none());

        let orgs = silver::orgs_frame(&[], date).unwrap();
        let languages = silver::repo_languages_frame(&[], date).unwrap();
        let tables = |repos, large| {
            let mut ctx = gold::silver_context(gold::SilverTables {
                repos,
                orgs: &orgs,
                repo_languages: &languages,
            })
            .unwrap();
            let plans = gold::MODELS.iter().map(|m| m.plan(&mut ctx).unwrap());
            gold_tables(plans.collect(), large).unwrap()
        };
        let framed = polars::prelude::IntoLazy::lazy(small.frame.unwrap());
        let scanned = parquet::scan_parquet_bytes(large.encoded).unwrap();
        let (together, alone) = (tables(framed, false), tables(scanned, true));
        assert_eq!(together, alone);
        let language_counts = &together[2];
        assert!(language_counts.height() > 1, "{language_counts}");
    }

    #[test]
    fn permute_places_each_item_from_its_order() {
        let mut items = vec!['a', 'b', 'c', 'd', 'e'];
        let mut order = vec![2, 0, 1, 3, 4];
        permute(&mut items, &mut order);
        assert_eq!(items, ['c', 'a', 'b', 'd', 'e']);
        let mut items = vec![10, 20, 30, 40];
        permute(&mut items, &mut [3, 2, 1, 0]);
        assert_eq!(items, [40, 30, 20, 10]);
        permute::<u8>(&mut [], &mut []);
    }

    #[test]
    fn small_snapshots_are_built_two_at_once_and_large_ones_alone() {
        let date = |d: &str| d.parse::<SnapshotDate>().unwrap();
        let (a, b, c, d, e) = (
            date("2024-01-01"),
            date("2024-01-02"),
            date("2024-01-03"),
            date("2024-01-04"),
            date("2024-01-05"),
        );
        let snapshots = [(a, 2_500), (b, 2_600), (c, 12_000), (d, 6_000), (e, 5_000)];
        assert_eq!(at_once(&snapshots), [vec![a, b], vec![c], vec![d], vec![e]]);
        assert_eq!(at_once(&[(a, 1), (b, 1), (c, 1)]), [vec![a, b], vec![c]]);
        assert!(at_once(&[]).is_empty());
    }
}
