//! The site series: `site/org_repos_agg.csv` and its gold twin `org_repos_daily`.
//!
//! Per org, over its kept repositories (public, not forks; archived kept) created on or
//! before the snapshot day: one row per UTC day on which one was created, plus one at the
//! snapshot date unless that is already such a day. No row is dated after the snapshot. Each row counts the repositories created on or before its date and names the most
//! frequent normalised language and licence name among them (nulls not counted, ties to the
//! name greatest in code-point order). Every org is computed on its own, so nothing carries
//! from one org to the next; rows are sorted by Organisation then Date.
//!
//! Computed in Rust rather than as a SQL model: the top value "as of each day" is a running
//! arg-max over every earlier day, which SQL can only express by joining each day to all
//! earlier ones (quadratic per organisation); one pass in date order is linear and plain.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use polars::prelude::*;
use rayon::prelude::*;

use super::silver::{check_schema, days_since_epoch, OrgRecord};
use crate::domain::{Forge, SnapshotDate};
use crate::forge::RepoRecord;

/// One row of the site CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteRow {
    /// The owner's login as GitHub spells it; a GitLab group's `<host>/<full path>`.
    pub organisation: String,
    /// Not in the CSV, whose columns stay the previous pipeline's: gold's twin has it.
    pub forge: Forge,
    pub date: NaiveDate,
    pub open_repositories: u64,
    pub top_language: Option<String>,
    pub top_license: Option<String>,
    pub url: String,
}

/// The CSV's header, unchanged from the previous pipeline so the site reads it as before.
pub const CSV_HEADER: [&str; 6] = [
    "Organisation",
    "Date",
    "Open Repositories",
    "Top Language",
    "Top License",
    "URL",
];

/// The series for `orgs` (each appears, even with no repositories), sorted.
pub fn org_repos_daily(
    orgs: &[OrgRecord],
    repos: &[RepoRecord],
    snapshot: SnapshotDate,
) -> Vec<SiteRow> {
    let mut by_org: HashMap<&str, Vec<&RepoRecord>> = HashMap::new();
    for repo in repos {
        by_org.entry(&repo.org_login).or_default().push(repo);
    }
    let mut rows: Vec<SiteRow> = orgs
        .par_iter()
        .flat_map_iter(|org| {
            let own = by_org
                .get(org.org_login.as_str())
                .map_or(&[][..], Vec::as_slice);
            org_series(org, own, snapshot.date())
        })
        .collect();
    rows.par_sort_by(|a, b| (&a.organisation, a.date).cmp(&(&b.organisation, b.date)));
    rows
}

fn org_series(org: &OrgRecord, repos: &[&RepoRecord], snapshot: NaiveDate) -> Vec<SiteRow> {
    let (organisation, url) = (&org.organisation, &org.url);
    let mut kept: Vec<&RepoRecord> = repos
        .iter()
        .copied()
        .filter(|r| r.is_kept() && r.created_at.date_naive() <= snapshot)
        .collect();
    kept.sort_by_key(|r| (r.created_at, r.repo_id));

    let mut tally = Tally::default();
    let mut rows = Vec::new();
    let mut push = |tally: &Tally, date| {
        rows.push(SiteRow {
            organisation: organisation.clone(),
            forge: org.forge,
            date,
            open_repositories: tally.repos,
            top_language: top(&tally.languages),
            top_license: top(&tally.licenses),
            url: url.clone(),
        })
    };
    let mut snapshot_row_done = false;
    for day_repos in kept.chunk_by(|a, b| a.created_at.date_naive() == b.created_at.date_naive()) {
        let day = day_repos[0].created_at.date_naive();
        day_repos.iter().for_each(|r| tally.add(r));
        push(&tally, day);
        snapshot_row_done |= day == snapshot;
    }
    if !snapshot_row_done {
        push(&tally, snapshot);
    }
    rows
}

/// Running counts of kept repositories, their languages and licences.
#[derive(Default)]
struct Tally {
    repos: u64,
    languages: BTreeMap<Arc<str>, u64>,
    licenses: BTreeMap<Arc<str>, u64>,
}

impl Tally {
    fn add(&mut self, repo: &RepoRecord) {
        self.repos += 1;
        if let Some(language) = &repo.language_normalised {
            *self.languages.entry(language.clone()).or_default() += 1;
        }
        if let Some(license) = &repo.license_name {
            *self.licenses.entry(license.clone()).or_default() += 1;
        }
    }
}

/// The most frequent value; a tie goes to the name greatest in code-point order.
fn top(counts: &BTreeMap<Arc<str>, u64>) -> Option<String> {
    counts
        .iter()
        .max_by(|(a, a_count), (b, b_count)| a_count.cmp(b_count).then_with(|| a.cmp(b)))
        .map(|(name, _)| name.to_string())
}

/// Free text never starts a cell with a spreadsheet formula character.
fn csv_safe(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// RFC 4180 CSV (quoted only where needed), LF line ends, UTF-8 without BOM.
pub fn to_csv(rows: &[SiteRow]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    let mut write = |record: [&str; 6]| {
        // Writing to a Vec cannot fail.
        let _ = writer.write_record(record);
    };
    write(CSV_HEADER);
    for row in rows {
        // NaiveDate's Display is `%Y-%m-%d`, without parsing a format string for every row.
        let date = row.date.to_string();
        let count = row.open_repositories.to_string();
        write([
            &csv_safe(&row.organisation),
            &date,
            &count,
            &csv_safe(row.top_language.as_deref().unwrap_or("")),
            &csv_safe(row.top_license.as_deref().unwrap_or("")),
            &csv_safe(&row.url),
        ]);
    }
    writer.into_inner().unwrap_or_default()
}

/// The gold `org_repos_daily` schema: the CSV's columns, typed, and the forge.
pub fn gold_schema() -> Schema {
    [
        ("organisation", DataType::String),
        ("forge", DataType::String),
        ("date", DataType::Date),
        ("open_repositories", DataType::Int64),
        ("top_language", DataType::String),
        ("top_license", DataType::String),
        ("url", DataType::String),
    ]
    .into_iter()
    .map(|(name, dtype)| Field::new(name.into(), dtype))
    .collect()
}

/// The gold frame holding the CSV's rows with their values as they are: only the CSV,
/// which spreadsheets open, escapes what they would run as a formula.
pub fn gold_frame(rows: &[SiteRow]) -> PolarsResult<DataFrame> {
    let text = |name: &str, f: fn(&SiteRow) -> Option<&str>| -> Column {
        let values: Vec<Option<&str>> = rows.iter().map(f).collect();
        Column::new(name.into(), values)
    };
    let days: Vec<i32> = rows.iter().map(|r| days_since_epoch(r.date)).collect();
    let columns = vec![
        text("organisation", |r| Some(&r.organisation)),
        text("forge", |r| Some(r.forge.as_str())),
        Int32Chunked::new("date".into(), days)
            .into_date()
            .into_column(),
        Column::new(
            "open_repositories".into(),
            rows.iter()
                .map(|r| r.open_repositories as i64)
                .collect::<Vec<_>>(),
        ),
        text("top_language", |r| r.top_language.as_deref()),
        text("top_license", |r| r.top_license.as_deref()),
        text("url", |r| Some(&r.url)),
    ];
    let df = DataFrame::new(rows.len(), columns)?;
    check_schema(&df, &gold_schema(), "gold org_repos_daily")?;
    Ok(df)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(language: &str, license: &str) -> SiteRow {
        SiteRow {
            organisation: "nhsx".into(),
            forge: Forge::Github,
            date: NaiveDate::from_ymd_opt(2021, 3, 4).unwrap(),
            open_repositories: 3,
            top_language: Some(language.into()),
            top_license: Some(license.into()),
            url: "https://github.com/nhsx".into(),
        }
    }

    #[test]
    fn csv_quotes_only_where_needed_with_lf() {
        let csv = to_csv(&[row("C#", "BSD 3-Clause \"New\" or \"Revised\" License, v2")]);
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "Organisation,Date,Open Repositories,Top Language,Top License,URL\n\
             nhsx,2021-03-04,3,C#,\"BSD 3-Clause \"\"New\"\" or \"\"Revised\"\" License, v2\",https://github.com/nhsx\n"
        );
    }

    #[test]
    fn free_text_never_starts_a_cell_with_a_formula() {
        let csv = String::from_utf8(to_csv(&[row("=HYPERLINK(\"x\")", "@SUM(1)")])).unwrap();
        let line = csv.lines().nth(1).unwrap();
        assert_eq!(
            line,
            "nhsx,2021-03-04,3,\"'=HYPERLINK(\"\"x\"\")\",'@SUM(1),https://github.com/nhsx"
        );
        for text in ["+1", "-1", "\tx"] {
            assert!(csv_safe(text).starts_with('\''), "{text}");
        }
        assert_eq!(csv_safe("C++"), "C++");
    }

    #[test]
    fn gold_keeps_values_as_they_are_and_the_csv_escapes_formulas() {
        let row = SiteRow {
            organisation: "=HYPERLINK(1)".into(),
            forge: Forge::Github,
            date: NaiveDate::from_ymd_opt(2021, 3, 4).unwrap(),
            open_repositories: 1,
            top_language: Some("+Lang".into()),
            top_license: None,
            url: "https://github.com/x".into(),
        };
        let gold = gold_frame(std::slice::from_ref(&row)).unwrap();
        let organisation = gold.column("organisation").unwrap().str().unwrap().get(0);
        assert_eq!(organisation, Some("=HYPERLINK(1)"));
        let csv = String::from_utf8(to_csv(&[row])).unwrap();
        assert!(
            csv.contains("'=HYPERLINK(1)") && csv.contains("'+Lang"),
            "{csv}"
        );
    }

    #[test]
    fn top_breaks_ties_by_greatest_code_point() {
        let counts: BTreeMap<Arc<str>, u64> = [
            ("HTML".into(), 2),
            ("JavaScript".into(), 2),
            ("C".into(), 1),
        ]
        .into();
        assert_eq!(top(&counts).as_deref(), Some("JavaScript"));
        // Upper case sorts before lower case in code-point order.
        let counts: BTreeMap<Arc<str>, u64> = [("R".into(), 1), ("q".into(), 1)].into();
        assert_eq!(top(&counts).as_deref(), Some("q"));
        assert_eq!(top(&BTreeMap::new()), None);
    }
}
