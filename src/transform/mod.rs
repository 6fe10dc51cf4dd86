//! Transform: bronze → silver → gold and the site CSV, for one snapshot. No network I/O.
//!
//! Reads a complete bronze snapshot (every member org's manifest, every page checked against
//! its checksum), parses repositories, drops anything not public, de-duplicates by forge and
//! repository id, writes silver, then stages the gold tables, the site CSV, the data package
//! and the build record for publish (the command line then renders the page:
//! [`crate::report`]). It covers every org of the snapshot, and refuses while any of them, or of the
//! run's orgs, is incomplete. Gold and the site count only repositories created on or before
//! the snapshot day, so a snapshot observed later than its date shows no later numbers.
//! It can be re-run on any past snapshot; the same bronze gives byte-identical outputs.

mod answers;
mod batches;
mod cores;
pub mod datapackage;
mod details;
mod error;
mod footprint;
pub mod gold;
mod input;
pub mod licence_text;
mod records;
pub mod silver;
pub mod site;

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use polars::prelude::{DataFrame, IntoLazy, LazyFrame, PlHashSet};
use rayon::prelude::*;
use tracing::{info, warn};

use crate::config::RunSettings;
use crate::domain::{OrgLogin, RepoEndpoint, SnapshotDate};
use crate::forge::RepoRecord;
use crate::formats::build::BuildRecord;
use crate::formats::parquet;
use crate::lake::outputs::{
    BUILD_SCHEMA, DATA_PACKAGE, MANIFEST_SCHEMA, ORG_REPOS_DAILY, SITE_CSV,
};
use crate::lake::{self, Lake, LakeError, LakeKey, Output};
use crate::timings::StepClock;
pub use batches::run_all;
use cores::on_cores;
pub use error::TransformError;
use footprint::{gold_tables, languages_for_gold, silver_repos, SilverRepos, LARGE_SNAPSHOT_REPOS};

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

/// One transform's summary and the gold tables it staged, by table name, so the report can
/// render them without reading them back from the lake.
pub struct Transformed {
    pub summary: TransformSummary,
    pub gold: BTreeMap<&'static str, DataFrame>,
}

/// Every snapshot date with a folder in bronze, sorted.
pub async fn bronze_snapshots(lake: &Lake) -> Result<Vec<SnapshotDate>, LakeError> {
    crate::bronze::snapshot_dates(lake).await
}

/// Builds silver and stages gold and the site CSV for the run's snapshot date,
/// over every org of the snapshot; each of the run's orgs must be among them, complete.
pub async fn run(settings: &RunSettings, lake: &Lake) -> Result<Transformed, TransformError> {
    let required: Vec<OrgLogin> = settings.orgs.iter().map(|o| o.login.clone()).collect();
    run_snapshot(settings, lake, settings.snapshot_date, &required).await
}

pub(super) async fn run_snapshot(
    settings: &RunSettings,
    lake: &Lake,
    date: SnapshotDate,
    required: &[OrgLogin],
) -> Result<Transformed, TransformError> {
    let mut clock = StepClock::start("transform", date);
    let bronze = input::read_bronze(settings, lake, date, required).await?;
    // The pages' bytes and parse buffers are free now; the records are all that is held.
    crate::memory::release_freed();
    clock.lap("bronze: read, verify, parse");
    clock.log(
        "bronze: verify, parse (summed over threads)",
        bronze.parse_time,
    );
    let input::BronzeSnapshot {
        listings,
        mut repos,
        builds: org_builds,
        answers,
        requests,
        mut skipped,
        ..
    } = bronze;
    let total = repos.len();
    repos.retain(RepoRecord::is_public);
    let non_public = total - repos.len();
    let mut seen = PlHashSet::default();
    repos.retain(|r| seen.insert((r.forge, r.repo_id)));
    // 36 MiB at a million repositories, not to be held through the run.
    drop(seen);
    let duplicates = total - non_public - repos.len();
    if duplicates > 0 {
        warn!(
            duplicates,
            "repositories listed more than once; kept the first"
        );
    }
    records::sort_by_org_and_id(&mut repos);
    let orgs = records::org_records(settings, &listings, &repos);
    let reconstructed_from = org_builds
        .iter()
        .filter_map(|b| b.observed_on)
        .max()
        .filter(|observed| *observed > date.date());
    clock.lap("public, once, sorted");
    let any_licence_answer = answers.iter().any(|((_, endpoint), files)| {
        *endpoint == RepoEndpoint::License && files.iter().flatten().any(|f| !f.answers.is_empty())
    });
    let known = match any_licence_answer {
        true => details::known_licence_texts(lake, date).await,
        false => HashMap::new(),
    };
    let details::Details {
        languages: repo_languages,
        licence_texts,
    } = details::apply_answers(
        date,
        answers,
        &mut repos,
        &known,
        &settings.config.languages,
        &mut skipped,
    )?;

    let polars_err = |what| move |source| TransformError::Polars { what, source };
    let large = repos.len() > LARGE_SNAPSHOT_REPOS;
    // Framed first, so that millions of language rows are not held beside the records' frame.
    let silver_languages = silver::repo_languages_frame(repo_languages, date)
        .map_err(polars_err("silver repo_languages"))?;
    let (languages_parquet, silver_languages) =
        languages_for_gold(silver_languages, large).map_err(polars_err("silver repo_languages"))?;
    crate::memory::release_freed();
    let licence_texts = licence_texts.identify(date, &mut repos);
    clock.lap("licence texts, languages");
    // Both read the records alone: one per core.
    let (silver_repos, rows) = rayon::join(
        || silver_repos(&repos, date, large),
        || site::org_repos_daily(&orgs, &repos, date),
    );
    let silver_repos = silver_repos.map_err(polars_err("silver repos"))?;
    // Encoding silver repos takes one core; the gold queries are planned and run meanwhile.
    let silver_repos_encoded = {
        let silver_repos = silver_repos.clone();
        on_cores(move || silver_repos.encoded())
    };
    let created_after_snapshot = repos.iter().filter(|r| r.created_after(date)).count();
    let repo_count = repos.len();
    drop(repos);
    // The records' memory is now free but stays with malloc unless handed back: the gold
    // queries allocate theirs elsewhere.
    crate::memory::release_freed();
    clock.lap("silver repos, org_repos_daily series");
    let silver_orgs = silver::orgs_frame(&orgs, date).map_err(polars_err("silver orgs"))?;
    let silver_licence_texts = silver::licence_texts_frame(&licence_texts, date)
        .map_err(polars_err("silver licence_texts"))?;
    write_silver(
        lake,
        date,
        &silver_orgs,
        languages_parquet,
        &silver_licence_texts,
    )
    .await?;
    clock.lap("silver write");

    let mut gold = BTreeMap::new();
    let mut staged_outputs = BTreeMap::new();
    let daily = site::gold_frame(&rows).map_err(polars_err("gold org_repos_daily"))?;
    // The CSV is encoded while the gold queries are planned.
    let site_rows = rows.len();
    let csv = on_cores(move || site::to_csv(&rows));
    clock.lap("org_repos_daily");
    let key = lake::outputs::staged(date, &ORG_REPOS_DAILY);
    let sha = put_parquet(lake, key.clone(), &daily, "gold org_repos_daily").await?;
    staged_outputs.insert(key.to_string(), sha);
    gold.insert("org_repos_daily", daily);
    clock.lap("org_repos_daily write");
    let repos = match silver_repos {
        SilverRepos::Framed(frame) => frame.lazy(),
        SilverRepos::Encoded(bytes) => {
            parquet::scan_parquet_bytes(bytes).map_err(polars_err("silver repos"))?
        }
    };
    let ctx = gold::silver_context(gold::SilverTables {
        repos,
        orgs: &silver_orgs,
        repo_languages: silver_languages,
    })
    .map_err(polars_err("intermediate models"))?;
    // Planned on every core, each model from its own copy of the context (the tables it
    // names are shared): planning costs milliseconds a model whatever the snapshot's size.
    let plans: Vec<LazyFrame> = (gold::MODELS.par_iter())
        .map(|model| {
            (model.plan(&mut ctx.clone())).map_err(|source| TransformError::Model {
                file: model.file,
                source,
            })
        })
        .collect::<Result<_, _>>()?;
    clock.lap("gold models: plan");
    // The CSV's rows, freed, are handed back before the gold queries take their memory.
    let csv = csv.await;
    crate::memory::release_freed();
    let tables = gold_tables(plans, large)?;
    clock.lap("gold models: compute");
    let silver_repos = silver_repos_encoded
        .await
        .map_err(polars_err("silver repos"))?;
    lake.put(&lake::silver::repos(date), silver_repos).await?;
    clock.lap("silver repos write");
    for (model, table) in gold::MODELS.iter().zip(&tables) {
        model.check(table).map_err(|source| TransformError::Model {
            file: model.file,
            source,
        })?;
    }
    let encoded: Vec<_> = gold::MODELS
        .par_iter()
        .zip(&tables)
        .map(|(model, table)| encode_parquet(table, model.file))
        .collect::<Result<_, _>>()?;
    for ((model, table), (bytes, sha)) in gold::MODELS.iter().zip(tables).zip(encoded) {
        let key = lake::outputs::staged(date, &Output::GoldTable(model.table));
        lake.put(&key, bytes).await?;
        staged_outputs.insert(key.to_string(), sha);
        gold.insert(model.table, table);
    }
    let key = lake::outputs::staged(date, &SITE_CSV);
    staged_outputs.insert(key.to_string(), crate::formats::sha256_hex(&csv));
    lake.put(&key, csv).await?;
    clock.lap("gold write, site CSV");
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
        gold_rows: gold
            .iter()
            .map(|(table, frame)| (table.to_string(), frame.height()))
            .collect(),
    };
    let build = BuildRecord {
        build_id: BuildRecord::id_of(&staged_outputs),
        snapshot_date: date,
        version: env!("CARGO_PKG_VERSION").to_string(),
        spdx_license_list_version: crate::normalise::spdx_list_version().to_string(),
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
            "snapshot {date} is reconstructed from the forges as observed on {observed}: deleted or changed repositories are as they were then"
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
        site_rows,
        duplicates,
        non_public,
        "transform complete"
    );
    Ok(Transformed { summary, gold })
}

/// Writes `df` as Parquet at `key`; returns the SHA-256 of the bytes.
async fn put_parquet(
    lake: &Lake,
    key: LakeKey,
    df: &DataFrame,
    what: &'static str,
) -> Result<String, TransformError> {
    let (bytes, sha256) = encode_parquet(df, what)?;
    lake.put(&key, bytes).await?;
    Ok(sha256)
}

/// Writes silver `orgs`, `repo_languages` (already encoded) and `licence_texts`.
async fn write_silver(
    lake: &Lake,
    date: SnapshotDate,
    orgs: &DataFrame,
    languages: Bytes,
    licence_texts: &DataFrame,
) -> Result<(), TransformError> {
    put_parquet(lake, lake::silver::orgs(date), orgs, "silver orgs").await?;
    lake.put(&lake::silver::repo_languages(date), languages)
        .await?;
    let key = lake::silver::licence_texts(date);
    put_parquet(lake, key, licence_texts, "silver licence_texts").await?;
    Ok(())
}

/// `df` as Parquet, and the SHA-256 of the bytes.
fn encode_parquet(df: &DataFrame, what: &'static str) -> Result<(Vec<u8>, String), TransformError> {
    let bytes =
        parquet::to_parquet_bytes(df).map_err(|source| TransformError::Polars { what, source })?;
    let sha256 = crate::formats::sha256_hex(&bytes);
    Ok((bytes, sha256))
}

#[cfg(test)]
mod tests;
