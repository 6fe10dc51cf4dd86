//! The silver tables, typed and checked against their declared schemas:
//!
//! - `repos`: one row per public repository per snapshot, key (snapshot_date, repo_id),
//!   sorted by org_login then repo_id;
//! - `orgs`: one row per organisation of the snapshot, key (snapshot_date, org_login), with
//!   the login as GitHub spells it and the display name from the configuration.
//!
//! Ids and counts are `Int64` (GitHub's never approach 2^63), which every warehouse reads.

use polars::prelude::*;

use super::repos::RepoRecord;
use crate::domain::SnapshotDate;

/// One organisation of a snapshot, as silver `orgs` holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRecord {
    /// The login as configured.
    pub org_login: String,
    /// The login as GitHub spells it (`NHSDigital`).
    pub organisation: String,
    pub display_name: String,
    /// The organisation's page on GitHub.
    pub url: String,
}

/// Milliseconds since the epoch in UTC: every timestamp column.
pub fn utc() -> DataType {
    DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
}

/// A schema from (name, type) pairs, in order.
pub fn schema(fields: &[(&str, DataType)]) -> Schema {
    fields
        .iter()
        .map(|(name, dtype)| Field::new((*name).into(), dtype.clone()))
        .collect()
}

/// The silver `repos` schema.
pub fn repos_schema() -> Schema {
    use DataType::*;
    schema(&[
        ("org_login", String),
        ("repo_id", Int64),
        ("name", String),
        ("full_name", String),
        ("html_url", String),
        ("owner_login", String),
        ("owner_html_url", String),
        ("is_fork", Boolean),
        ("is_private", Boolean),
        ("is_archived", Boolean),
        ("visibility", String),
        ("created_at", utc()),
        ("pushed_at", utc()),
        ("language", String),
        ("language_normalised", String),
        ("language_type", String),
        ("license_key", String),
        ("license_name", String),
        ("license_spdx_id", String),
        ("license_spdx_current", String),
        ("license_family", String),
        ("license_osi_approved", Boolean),
        ("license_fsf_libre", Boolean),
        ("stargazers_count", Int64),
        ("forks_count", Int64),
        ("open_issues_count", Int64),
        ("topics", List(Box::new(String))),
        ("snapshot_date", Date),
    ])
}

/// The silver `orgs` schema.
pub fn orgs_schema() -> Schema {
    use DataType::*;
    schema(&[
        ("snapshot_date", Date),
        ("org_login", String),
        ("organisation", String),
        ("display_name", String),
        ("url", String),
    ])
}

/// Builds silver `repos`; `repos` must already be sorted and de-duplicated.
pub fn repos_frame(repos: &[RepoRecord], date: SnapshotDate) -> PolarsResult<DataFrame> {
    let text = |name: &str, f: fn(&RepoRecord) -> Option<&str>| -> Column {
        Column::new(name.into(), repos.iter().map(f).collect::<Vec<_>>())
    };
    let flag = |name: &str, f: fn(&RepoRecord) -> Option<bool>| -> Column {
        Column::new(name.into(), repos.iter().map(f).collect::<Vec<_>>())
    };
    // GitHub's ids and counts are far below 2^63, so the casts cannot wrap.
    let int = |name: &str, f: fn(&RepoRecord) -> u64| -> Column {
        Column::new(
            name.into(),
            repos.iter().map(|r| f(r) as i64).collect::<Vec<_>>(),
        )
    };
    let timestamp = |name: &str, values: Vec<Option<i64>>| -> Column {
        Int64Chunked::new(name.into(), values)
            .into_datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
            .into_column()
    };
    let mut topics = ListStringChunkedBuilder::new("topics".into(), repos.len(), repos.len());
    for repo in repos {
        topics.append_values_iter(repo.topics.iter().map(String::as_str));
    }
    let columns = vec![
        text("org_login", |r| Some(&r.org_login)),
        int("repo_id", |r| r.repo_id.0),
        text("name", |r| Some(&r.name)),
        text("full_name", |r| Some(&r.full_name)),
        text("html_url", |r| Some(&r.html_url)),
        text("owner_login", |r| Some(&r.owner_login)),
        text("owner_html_url", |r| Some(&r.owner_html_url)),
        flag("is_fork", |r| Some(r.is_fork)),
        flag("is_private", |r| Some(r.is_private)),
        flag("is_archived", |r| Some(r.is_archived)),
        text("visibility", |r| r.visibility.as_deref()),
        timestamp(
            "created_at",
            repos
                .iter()
                .map(|r| Some(r.created_at.timestamp_millis()))
                .collect(),
        ),
        timestamp(
            "pushed_at",
            repos
                .iter()
                .map(|r| r.pushed_at.map(|t| t.timestamp_millis()))
                .collect(),
        ),
        text("language", |r| r.language.as_deref()),
        text("language_normalised", |r| r.language_normalised.as_deref()),
        text("language_type", |r| r.language_type),
        text("license_key", |r| r.license_key.as_deref()),
        text("license_name", |r| r.license_name.as_deref()),
        text("license_spdx_id", |r| r.license_spdx_id.as_deref()),
        text("license_spdx_current", |r| {
            r.licence.spdx_current.as_deref()
        }),
        text("license_family", |r| Some(r.licence.family.as_str())),
        flag("license_osi_approved", |r| r.licence.osi_approved),
        flag("license_fsf_libre", |r| r.licence.fsf_libre),
        int("stargazers_count", |r| r.stargazers_count),
        int("forks_count", |r| r.forks_count),
        int("open_issues_count", |r| r.open_issues_count),
        topics.finish().into_column(),
        date_column("snapshot_date", date, repos.len()),
    ];
    let df = DataFrame::new(repos.len(), columns)?;
    check_schema(&df, &repos_schema(), "silver repos")?;
    Ok(df)
}

/// Builds silver `orgs`; `orgs` must already be sorted by org_login.
pub fn orgs_frame(orgs: &[OrgRecord], date: SnapshotDate) -> PolarsResult<DataFrame> {
    let text = |name: &str, f: fn(&OrgRecord) -> &str| -> Column {
        Column::new(name.into(), orgs.iter().map(f).collect::<Vec<_>>())
    };
    let columns = vec![
        date_column("snapshot_date", date, orgs.len()),
        text("org_login", |o| &o.org_login),
        text("organisation", |o| &o.organisation),
        text("display_name", |o| &o.display_name),
        text("url", |o| &o.url),
    ];
    let df = DataFrame::new(orgs.len(), columns)?;
    check_schema(&df, &orgs_schema(), "silver orgs")?;
    Ok(df)
}

fn date_column(name: &str, date: SnapshotDate, rows: usize) -> Column {
    Int32Chunked::new(name.into(), vec![days_since_epoch(date.date()); rows])
        .into_date()
        .into_column()
}

/// Days since 1970-01-01 (`NaiveDate`'s default), Arrow's `Date` representation.
pub fn days_since_epoch(date: chrono::NaiveDate) -> i32 {
    (date - chrono::NaiveDate::default()).num_days() as i32
}

/// Fails unless `df` has exactly `expected`'s columns, in order, with its types.
pub fn check_schema(df: &DataFrame, expected: &Schema, table: &str) -> PolarsResult<()> {
    let actual = df.schema();
    if actual.as_ref() != expected {
        polars_bail!(SchemaMismatch: "{table}: schema {:?} differs from the declared {:?}", actual, expected);
    }
    Ok(())
}
