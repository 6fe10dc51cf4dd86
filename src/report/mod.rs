//! Report: the statistics site, from gold only: `site/index.html` and a page per
//! organisation, `site/orgs/<slug>.html` ([`orgs::slug`]).
//!
//! Reads the snapshot's staged gold tables (never bronze or silver) and stages the pages
//! beside the site CSV, so that publish makes the pages, the CSV and the tables visible
//! together and the site never mixes two snapshots. No page needs the network: the index's
//! CSS and script are inline, the organisation pages share one copy of them in `site/`
//! (`style.css`, `script.js`), the share tables and an organisation's charts are drawn here,
//! and the index's growth chart is drawn in the browser from the data embedded in it.

pub mod history;
mod html;
pub mod listings;
pub mod orgs;
mod pages;

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;
use tracing::info;

use crate::domain::{Forge, SnapshotDate};
use crate::formats::build::build_marker;
use crate::formats::parquet::from_parquet_bytes;
use crate::formats::staged::{self, StagedError};
use crate::lake::outputs::INDEX_HTML;
use crate::lake::{outputs, Lake, LakeError, LakeKey, Output};
use crate::timings::StepClock;

/// Why the report could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("report: {0}")]
    Staged(#[from] StagedError),
    #[error("report: {key}: {source}")]
    Table { key: LakeKey, source: PolarsError },
    #[error("report: {0}")]
    Lake(#[from] LakeError),
}

impl crate::exit::HasExitCode for ReportError {
    fn exit_code(&self) -> crate::exit::ExitCode {
        use crate::exit::ExitCode::Data;
        match self {
            Self::Lake(e) => crate::exit::HasExitCode::exit_code(e),
            Self::Staged(e) => crate::exit::HasExitCode::exit_code(e),
            Self::Table { .. } => Data,
        }
    }
}

/// One organisation's line of Table 1.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgLine {
    /// The organisation as gold keys it, which names its page ([`orgs::page_path`]).
    pub org_login: String,
    /// The organisation as configured: a GitHub login, a GitLab group's `<host>/<path>`.
    pub organisation: String,
    pub forge: Forge,
    pub display_name: String,
    pub url: String,
    pub open_repositories: i64,
    pub top_language: Option<String>,
    pub top_license: Option<String>,
    pub stars: i64,
    pub forks: i64,
    pub open_issues: i64,
    pub pct_licensed: Option<f64>,
}

/// One organisation's growth: (date, open repositories) in date order.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub organisation: String,
    pub forge: Forge,
    pub points: Vec<(String, i64)>,
}

/// The headline facts of the snapshot.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Headline {
    pub organisations: i64,
    pub open_repositories: i64,
    pub first_repo: Option<(String, String, i32)>,
    pub top_languages: Vec<String>,
}

/// Everything the page shows, read from gold.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportData {
    pub snapshot_date: SnapshotDate,
    /// The build whose tables these are (see `BuildRecord::build_id`), named in the page so
    /// publish ships a page only with the tables and CSV of its own build.
    pub build_id: String,
    /// GitHub's web origin (`https://github.com`): GitHub URLs become links only there, a
    /// GitLab group's only on its instance's `https` origin; any other URL is shown as text.
    pub link_origin: url::Origin,
    pub headline: Headline,
    /// Sorted by open repositories, largest first.
    pub orgs: Vec<OrgLine>,
    pub series: Vec<Series>,
    /// (name, repositories, share) over all organisations, largest first.
    pub languages: Vec<(String, i64, f64)>,
    /// As the forges name them ("Other" for what they cannot).
    pub licences: Vec<(String, i64, f64)>,
    /// "Other" split by the licence identified from its text (SPDX ids).
    pub licences_resolved: Vec<(String, i64, f64)>,
    /// Bytes of code per language; empty when not collected for the snapshot.
    pub language_bytes: Vec<(String, i64, f64)>,
    /// Repositories per topic, with the share of kept repositories carrying it.
    pub topics: Vec<(String, i64, f64)>,
    /// Each organisation's own share charts, by org_login.
    pub org_shares: BTreeMap<String, orgs::OrgShares>,
    /// The most-starred kept repositories, most stars first ([`listings::MOST_LISTED`] at most).
    pub repositories: Vec<listings::RepoLine>,
    /// How many kept repositories there are.
    pub repositories_total: usize,
    /// Each organisation's numbers at every snapshot up to this one, in date order.
    pub history: Vec<history::OrgAtSnapshot>,
}

/// The gold tables a transform just staged, by table name: the report renders from them
/// rather than reading the same bytes back.
pub type StagedGold = BTreeMap<&'static str, DataFrame>;

/// Renders the site for `date` from its staged gold tables (`handed` by the transform that
/// staged them, else read from the lake; and, for its trends, the gold `org_latest` of
/// earlier snapshots published on `target`) and stages it: the index, and a page per
/// organisation. Only URLs on `web`'s origin (or a GitLab group's instance) become links.
pub async fn run(
    lake: &Lake,
    target: &Lake,
    date: SnapshotDate,
    web: &url::Url,
    handed: Option<StagedGold>,
) -> Result<(), ReportError> {
    let mut clock = StepClock::start("report", date);
    let (data, repositories) = read(lake, target, date, web, handed.unwrap_or_default()).await?;
    clock.lap("read gold");
    // The two copies differ only in their links to the tables: drawn at once, one per core.
    let (page, copy) = rayon::join(
        || html::render(&data, html::PageCopy::Latest),
        || html::render(&data, html::PageCopy::OfBuild),
    );
    clock.lap("render");
    lake.put(&outputs::staged(date, &INDEX_HTML), page.into_bytes())
        .await?;
    let of_build = outputs::staged(date, &outputs::INDEX_HTML_OF_BUILD);
    lake.put(&of_build, copy.into_bytes()).await?;
    // The organisation pages' shared style and script, staged with them.
    for (output, text) in [
        (outputs::PAGES_STYLE, html::pages_style(&data.build_id)),
        (outputs::PAGES_SCRIPT, html::pages_script(&data.build_id)),
    ] {
        lake.put(&outputs::staged(date, &output), text.into_bytes())
            .await?;
    }
    clock.lap("write");
    pages::stage(lake, &data, &repositories).await?;
    clock.lap("organisation pages");
    info!(snapshot_date = %date, orgs = data.orgs.len(), "report staged: site/index.html and site/orgs/");
    Ok(())
}

/// Gold table `name` of `date`: handed over, or read from staging.
async fn table(
    lake: &Lake,
    date: SnapshotDate,
    handed: &mut StagedGold,
    name: &'static str,
) -> Result<DataFrame, ReportError> {
    if let Some(frame) = handed.remove(name) {
        return Ok(frame);
    }
    let key = outputs::staged(date, &Output::GoldTable(name));
    let bytes = staged::get(lake, date, &key).await?;
    from_parquet_bytes(&bytes).map_err(|source| ReportError::Table { key, source })
}

/// Reads what the pages show from the staged gold tables of `date` (those `handed` over are
/// not read again), and the published `org_latest` of earlier snapshots on `target`: the
/// report's data, and every kept repository for the organisation pages.
pub async fn read(
    lake: &Lake,
    target: &Lake,
    date: SnapshotDate,
    web: &url::Url,
    mut handed: StagedGold,
) -> Result<(ReportData, orgs::OrgRepositories), ReportError> {
    let err = |name: &'static str| {
        move |source| ReportError::Table {
            key: outputs::staged(date, &Output::GoldTable(name)),
            source,
        }
    };
    let build = staged::build_record(lake, date).await?;
    let latest = table(lake, date, &mut handed, "org_latest").await?;
    let daily = table(lake, date, &mut handed, "org_repos_daily").await?;
    let headline = table(lake, date, &mut handed, "headline").await?;
    let languages = table(lake, date, &mut handed, "language_counts").await?;
    let licences = table(lake, date, &mut handed, "licence_counts").await?;
    let bytes = table(lake, date, &mut handed, "language_bytes").await?;
    let topics = table(lake, date, &mut handed, "topic_counts").await?;
    let repositories = table(lake, date, &mut handed, "repositories").await?;
    let orgs = read_orgs(&latest).map_err(err("org_latest"))?;
    let (listed, repositories_total) =
        listings::repositories(&repositories).map_err(err("repositories"))?;
    let by_org = orgs::OrgRepositories::new(&repositories).map_err(err("repositories"))?;
    let language = named("language", "No language");
    let licence = named("license_name", "No licence");
    let topic = named("topic", "No topic");
    let mut shares = orgs::ScopedShares {
        languages: orgs::shares_by_scope(&languages, "repositories", language)
            .map_err(err("language_counts"))?,
        licences: orgs::shares_by_scope(&licences, "repositories", licence)
            .map_err(err("licence_counts"))?,
        licences_resolved: orgs::shares_by_scope(&licences, "repositories", resolved_licences)
            .map_err(err("licence_counts"))?,
        language_bytes: orgs::shares_by_scope(&bytes, "bytes", language)
            .map_err(err("language_bytes"))?,
        topics: orgs::shares_by_scope(&topics, "repositories", topic)
            .map_err(err("topic_counts"))?,
    };
    let all = shares.take(&None);
    let org_shares = (orgs.iter())
        .map(|org| {
            let scope = Some(org.org_login.clone());
            (org.org_login.clone(), shares.take(&scope))
        })
        .collect();
    let data = ReportData {
        snapshot_date: date,
        build_id: build.build_id,
        link_origin: web.origin(),
        headline: read_headline(&headline).map_err(err("headline"))?,
        repositories: listed,
        repositories_total,
        history: history::read(target, date, &latest).await?,
        orgs,
        series: read_series(&daily).map_err(err("org_repos_daily"))?,
        languages: all.languages,
        licences: all.licences,
        licences_resolved: all.licences_resolved,
        language_bytes: all.language_bytes,
        topics: all.topics,
        org_shares,
    };
    Ok((data, by_org))
}

/// Each row's `column`, `none` where it is null.
fn named(
    column: &'static str,
    none: &'static str,
) -> impl Fn(&DataFrame) -> PolarsResult<Vec<String>> + Copy {
    move |df| {
        let values = strings(df, column)?;
        Ok(values
            .into_iter()
            .map(|v| v.unwrap_or_else(|| none.to_string()))
            .collect())
    }
}

/// Each licence_counts row's resolved name: its SPDX id, found by its forge or from the text.
fn resolved_licences(df: &DataFrame) -> PolarsResult<Vec<String>> {
    let resolved = strings(df, "license_resolved_spdx_id")?;
    let keys = strings(df, "license_key")?;
    let names = strings(df, "license_name")?;
    let rows = resolved.into_iter().zip(keys).zip(names);
    Ok(rows
        .map(|((resolved, key), name)| match (resolved, key, name) {
            (Some(id), _, _) => id,
            (None, None, _) => "No licence".to_string(),
            (None, Some(_), Some(name)) => format!("{name} (unidentified)"),
            (None, Some(key), None) => key,
        })
        .collect())
}

fn strings(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<String>>> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
}

fn ints(df: &DataFrame, name: &str) -> PolarsResult<Vec<i64>> {
    Ok(df
        .column(name)?
        .i64()?
        .iter()
        .map(Option::unwrap_or_default)
        .collect())
}

/// Each row's `name` as `YYYY-MM-DD`; each distinct day formatted once, as a series has a row
/// per organisation and day.
fn dates(df: &DataFrame, name: &str) -> PolarsResult<Vec<String>> {
    let days = df.column(name)?.cast(&DataType::Int32)?;
    let mut formatted: HashMap<i32, String> = HashMap::new();
    Ok(days
        .i32()?
        .iter()
        .map(|d| {
            let day = d.unwrap_or_default();
            (formatted.entry(day))
                .or_insert_with(|| listings::day(day))
                .clone()
        })
        .collect())
}

fn read_orgs(df: &DataFrame) -> PolarsResult<Vec<OrgLine>> {
    let text = |name| strings(df, name);
    let (organisation, display, url) = (text("organisation")?, text("display_name")?, text("url")?);
    let login = text("org_login")?;
    let (language, license) = (text("top_language")?, text("top_license")?);
    let forge = forges(df)?;
    let (open, stars, forks, issues) = (
        ints(df, "open_repositories")?,
        ints(df, "stars")?,
        ints(df, "forks")?,
        ints(df, "open_issues")?,
    );
    let pct: Vec<Option<f64>> = df.column("pct_licensed")?.f64()?.iter().collect();
    let mut orgs: Vec<OrgLine> = (0..df.height())
        .map(|i| OrgLine {
            org_login: login[i].clone().unwrap_or_default(),
            organisation: organisation[i].clone().unwrap_or_default(),
            forge: forge[i],
            display_name: display[i].clone().unwrap_or_default(),
            url: url[i].clone().unwrap_or_default(),
            open_repositories: open[i],
            top_language: language[i].clone(),
            top_license: license[i].clone(),
            stars: stars[i],
            forks: forks[i],
            open_issues: issues[i],
            pct_licensed: pct[i],
        })
        .collect();
    orgs.sort_by(|a, b| {
        b.open_repositories
            .cmp(&a.open_repositories)
            .then_with(|| a.display_name.cmp(&b.display_name))
    });
    Ok(orgs)
}

/// The `forge` column (`github`, `gitlab`); any other value is an error.
fn forges(df: &DataFrame) -> PolarsResult<Vec<Forge>> {
    (df.column("forge")?.str()?.iter())
        .map(|f| {
            f.unwrap_or_default().parse().map_err(|message: String| {
                PolarsError::ComputeError(format!("column forge: {message}").into())
            })
        })
        .collect()
}

fn read_series(df: &DataFrame) -> PolarsResult<Vec<Series>> {
    // Hundreds of thousands of rows at a million repositories: each org's name is copied once
    // per series, not once per row.
    let organisation = df.column("organisation")?.str()?;
    let forge = forges(df)?;
    let date = dates(df, "date")?;
    let open = ints(df, "open_repositories")?;
    let mut series: Vec<Series> = Vec::new();
    // Rows are sorted by organisation then date, so each org's points are contiguous.
    let rows = organisation.iter().zip(forge).zip(date).zip(open);
    for (((org, forge), date), open) in rows {
        let org = org.unwrap_or_default();
        match series.last_mut() {
            Some(s) if s.organisation == org => s.points.push((date, open)),
            _ => series.push(Series {
                organisation: org.to_string(),
                forge,
                points: vec![(date, open)],
            }),
        }
    }
    Ok(series)
}

fn read_headline(df: &DataFrame) -> PolarsResult<Headline> {
    if df.height() == 0 {
        return Ok(Headline::default());
    }
    let text = |name| strings(df, name).map(|v| v[0].clone());
    let year = df.column("first_repo_year")?.i32()?.get(0);
    let first_repo = match (
        text("first_repo_organisation")?,
        text("first_repo_name")?,
        year,
    ) {
        (Some(org), Some(name), Some(year)) => Some((org, name, year)),
        _ => None,
    };
    let top_languages = ["top_language_1", "top_language_2", "top_language_3"]
        .into_iter()
        .map(text)
        .collect::<PolarsResult<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    Ok(Headline {
        organisations: ints(df, "organisations")?[0],
        open_repositories: ints(df, "open_repositories")?[0],
        first_repo,
        top_languages,
    })
}
