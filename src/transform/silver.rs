//! The silver `repos` table: one row per public repository per snapshot, typed.
//!
//! Grain: (snapshot_date, repo_id). Rows are sorted by org_login then repo_id.

use polars::prelude::*;

use super::repos::RepoRecord;
use crate::domain::SnapshotDate;

/// The silver schema, checked on every write.
pub fn repos_schema() -> Schema {
    let utc = || DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
    let list_str = DataType::List(Box::new(DataType::String));
    [
        ("org_login", DataType::String),
        ("repo_id", DataType::UInt64),
        ("name", DataType::String),
        ("full_name", DataType::String),
        ("html_url", DataType::String),
        ("owner_login", DataType::String),
        ("owner_html_url", DataType::String),
        ("is_fork", DataType::Boolean),
        ("is_private", DataType::Boolean),
        ("is_archived", DataType::Boolean),
        ("visibility", DataType::String),
        ("created_at", utc()),
        ("pushed_at", utc()),
        ("language", DataType::String),
        ("language_normalised", DataType::String),
        ("license_key", DataType::String),
        ("license_name", DataType::String),
        ("license_spdx_id", DataType::String),
        ("stargazers_count", DataType::UInt64),
        ("forks_count", DataType::UInt64),
        ("open_issues_count", DataType::UInt64),
        ("topics", list_str),
        ("snapshot_date", DataType::Date),
    ]
    .into_iter()
    .map(|(name, dtype)| Field::new(name.into(), dtype))
    .collect()
}

/// Builds the silver frame; `repos` must already be sorted and de-duplicated.
pub fn repos_frame(repos: &[RepoRecord], date: SnapshotDate) -> PolarsResult<DataFrame> {
    let text = |name: &str, f: fn(&RepoRecord) -> &str| -> Column {
        Column::new(name.into(), repos.iter().map(f).collect::<Vec<_>>())
    };
    let opt_text = |name: &str, f: fn(&RepoRecord) -> Option<&str>| -> Column {
        Column::new(name.into(), repos.iter().map(f).collect::<Vec<_>>())
    };
    let flag = |name: &str, f: fn(&RepoRecord) -> bool| -> Column {
        Column::new(name.into(), repos.iter().map(f).collect::<Vec<_>>())
    };
    let count = |name: &str, f: fn(&RepoRecord) -> u64| -> Column {
        Column::new(name.into(), repos.iter().map(f).collect::<Vec<_>>())
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
    let days = days_since_epoch(date.date());
    let columns = vec![
        text("org_login", |r| &r.org_login),
        count("repo_id", |r| r.repo_id.0),
        text("name", |r| &r.name),
        text("full_name", |r| &r.full_name),
        text("html_url", |r| &r.html_url),
        text("owner_login", |r| &r.owner_login),
        text("owner_html_url", |r| &r.owner_html_url),
        flag("is_fork", |r| r.is_fork),
        flag("is_private", |r| r.is_private),
        flag("is_archived", |r| r.is_archived),
        opt_text("visibility", |r| r.visibility.as_deref()),
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
        opt_text("language", |r| r.language.as_deref()),
        opt_text("language_normalised", |r| r.language_normalised.as_deref()),
        opt_text("license_key", |r| r.license_key.as_deref()),
        opt_text("license_name", |r| r.license_name.as_deref()),
        opt_text("license_spdx_id", |r| r.license_spdx_id.as_deref()),
        count("stargazers_count", |r| r.stargazers_count),
        count("forks_count", |r| r.forks_count),
        count("open_issues_count", |r| r.open_issues_count),
        topics.finish().into_column(),
        Int32Chunked::new("snapshot_date".into(), vec![days; repos.len()])
            .into_date()
            .into_column(),
    ];
    let df = DataFrame::new(repos.len(), columns)?;
    check_schema(&df, &repos_schema(), "silver repos")?;
    Ok(df)
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
