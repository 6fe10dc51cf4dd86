//! Gold tables from the SQL models in `sql/gold/`, run by polars SQL over the silver tables
//! (`silver_repos`, `silver_orgs`, `silver_repo_languages`). The same files run unchanged in DuckDB over the lake
//! (`sql/duckdb/views.sql`). Each result is conformed to the table's declared schema and
//! sorted by its key, so the same silver always gives the same bytes.
//!
//! `org_repos_daily` is not among them: see `site.rs` for why it is computed in Rust.

use polars::prelude::*;
use polars::sql::SQLContext;

use super::silver::{self, check_schema, schema, utc};

/// One gold table and the SQL model that builds it.
pub struct GoldModel {
    pub table: &'static str,
    /// The model's path in the repository, for messages.
    pub file: &'static str,
    sql: &'static str,
    schema: fn() -> Schema,
    key: &'static [&'static str],
}

macro_rules! model {
    ($table:literal, $schema:expr, $key:expr) => {
        GoldModel {
            table: $table,
            file: concat!("sql/gold/", $table, ".sql"),
            sql: include_str!(concat!("../../../sql/gold/", $table, ".sql")),
            schema: $schema,
            key: $key,
        }
    };
}

/// Every gold table built from SQL.
pub const MODELS: [GoldModel; 8] = [
    model!(
        "org_latest",
        org_latest_schema,
        &["snapshot_date", "org_login"]
    ),
    model!(
        "org_snapshot_counts",
        org_snapshot_counts_schema,
        &["snapshot_date", "org_login"]
    ),
    model!(
        "language_counts",
        language_counts_schema,
        &["snapshot_date", "org_login", "language"]
    ),
    model!(
        "licence_counts",
        licence_counts_schema,
        &[
            "snapshot_date",
            "org_login",
            "license_key",
            "license_detected_spdx_id"
        ]
    ),
    model!("headline", headline_schema, &["snapshot_date"]),
    model!(
        "language_bytes",
        language_bytes_schema,
        &["snapshot_date", "org_login", "language"]
    ),
    model!(
        "topic_counts",
        topic_counts_schema,
        &["snapshot_date", "org_login", "topic"]
    ),
    model!(
        "repositories",
        repositories_schema,
        &["snapshot_date", "forge", "repo_id"]
    ),
];

impl GoldModel {
    /// The model's query over the silver frames registered in `ctx`: its SQL, conformed to
    /// the declared schema and sorted by the key.
    pub fn plan(&self, ctx: &mut SQLContext) -> PolarsResult<LazyFrame> {
        let columns: Vec<Expr> = (self.schema)()
            .iter()
            .map(|(name, dtype)| col(name.clone()).strict_cast(dtype.clone()))
            .collect();
        let key: Vec<PlSmallStr> = self.key.iter().map(|k| (*k).into()).collect();
        let sort = SortMultipleOptions::default()
            .with_nulls_last(true)
            .with_maintain_order(true);
        Ok(ctx
            .execute(&resolve_refs(self.sql))?
            .select(columns)
            .sort(key, sort))
    }

    /// The table's declared columns and types.
    pub fn schema(&self) -> Schema {
        (self.schema)()
    }

    /// The columns that identify a row.
    pub fn key(&self) -> &'static [&'static str] {
        self.key
    }

    /// What the table holds, in its model's words: the header comment of its SQL file, less
    /// its `grain:` and `key:` lines (the key is declared apart).
    pub fn description(&self) -> String {
        let lines: Vec<&str> = self
            .sql
            .lines()
            .map_while(|line| line.strip_prefix("--"))
            .map(str::trim)
            .filter(|line| !line.starts_with("grain:") && !line.starts_with("key:"))
            .collect();
        lines.join(" ")
    }

    /// Checks a computed table against the declared schema.
    pub fn check(&self, table: &DataFrame) -> PolarsResult<()> {
        check_schema(table, &(self.schema)(), self.table)
    }
}

/// A model's SQL as polars runs it. The files in `sql/gold/` are also a dbt project's models
/// (`sql/dbt_project.yml`), so they name what they read as dbt does, `{{ ref('int_x') }}` and
/// `{{ source('lake', 'silver_x') }}`; here each becomes the table name, registered in the
/// context. The few functions Spark spells differently are dbt macros that take the
/// function's arguments as SQL text (`sql/dbt/macros/engine_functions.sql`): here
/// `{{ ohs_unnest("topics") }}` becomes `unnest(topics)`, as polars and DuckDB spell it. One
/// copy of each model serves ohs, DuckDB (`sql/duckdb/views.sql`) and dbt on DuckDB or Spark.
pub fn resolve_refs(sql: &str) -> String {
    let mut resolved = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(start) = rest.find("{{") {
        let Some(length) = rest[start..].find("}}") else {
            break;
        };
        resolved.push_str(&rest[..start]);
        let call = &rest[start + 2..start + length];
        if let Some(table) = referenced_table(call) {
            resolved.push_str(table);
        } else if let Some((function, arguments)) = engine_function(call) {
            resolved.push_str(function);
            resolved.push('(');
            resolved.push_str(arguments);
            resolved.push(')');
        } else {
            // Anything else is left as written, for polars to refuse naming the model.
            resolved.push_str(call);
        }
        rest = &rest[start + length + 2..];
    }
    resolved.push_str(rest);
    resolved
}

/// The table a dbt `ref('x')` or `source('lake', 'x')` call names: its last argument.
fn referenced_table(call: &str) -> Option<&str> {
    let call = call.trim();
    let arguments = call
        .strip_prefix("ref(")
        .or_else(|| call.strip_prefix("source("))?
        .strip_suffix(')')?;
    let last = arguments.rsplit(',').next()?.trim();
    last.strip_prefix('\'')?.strip_suffix('\'')
}

/// The function an engine macro call `ohs_f("arguments")` stands for, and its arguments:
/// `f` (lower case and `_`) and the SQL text between the double quotes (which has none).
fn engine_function(call: &str) -> Option<(&str, &str)> {
    let (function, arguments) = call.trim().strip_prefix("ohs_")?.split_once('(')?;
    let arguments = arguments.strip_prefix('"')?.strip_suffix("\")")?;
    let plain = !function.is_empty()
        && function
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_');
    (plain && !arguments.contains('"')).then_some((function, arguments))
}

/// Computes one model's table with polars' streaming engine.
pub fn collect(plan: LazyFrame) -> PolarsResult<DataFrame> {
    plan.collect_with_engine(Engine::Streaming)
        .map(|result| result.unwrap_single())
}

/// Computes `plans` as one query with polars' streaming engine, in order: what they share
/// (the intermediate models, the scan of silver) is computed once.
pub fn collect_all(plans: Vec<LazyFrame>) -> PolarsResult<Vec<DataFrame>> {
    let plans = plans.into_iter().map(|plan| plan.logical_plan).collect();
    LazyFrame::collect_all_with_engine(plans, Engine::Streaming, OptFlags::default())
}

/// The silver tables the models read: repos lazily (its frame, or for a large snapshot a scan
/// of the bytes as encoded for the lake), the others as frames.
pub struct SilverTables<'a> {
    pub repos: LazyFrame,
    pub orgs: &'a DataFrame,
    pub repo_languages: LazyFrame,
}

/// The intermediate models every gold model reads, in the order they build on each other:
/// the kept-repository rule is written once, in `sql/gold/int_kept_repos.sql`, and the
/// per-organisation and all-organisation rows of the shares from one aggregation by scope
/// (`int_kept_repos_by_scope.sql`, `int_kept_scope_totals.sql`).
pub const INTERMEDIATE: [(&str, &str); 6] = [
    (
        "int_snapshot_repos",
        include_str!("../../../sql/gold/int_snapshot_repos.sql"),
    ),
    (
        "int_kept_repos",
        include_str!("../../../sql/gold/int_kept_repos.sql"),
    ),
    (
        "int_kept_repos_by_scope",
        include_str!("../../../sql/gold/int_kept_repos_by_scope.sql"),
    ),
    (
        "int_kept_scope_totals",
        include_str!("../../../sql/gold/int_kept_scope_totals.sql"),
    ),
    (
        "int_language_ranks",
        include_str!("../../../sql/gold/int_language_ranks.sql"),
    ),
    (
        "int_repo_topics",
        include_str!("../../../sql/gold/int_repo_topics.sql"),
    ),
];

/// A SQL context over the silver frames and the intermediate models, under the names the
/// models use.
pub fn silver_context(silver: SilverTables) -> PolarsResult<SQLContext> {
    let mut ctx = SQLContext::new();
    ctx.register("silver_repos", silver.repos);
    ctx.register("silver_orgs", silver.orgs.clone().lazy());
    ctx.register("silver_repo_languages", silver.repo_languages);
    for (name, sql) in INTERMEDIATE {
        let model = ctx.execute(&resolve_refs(sql))?;
        ctx.register(name, model);
    }
    Ok(ctx)
}

/// An organisation's latest figures: its silver row, then the counts.
fn org_latest_schema() -> Schema {
    use DataType::*;
    let mut columns = silver::orgs_schema();
    columns.merge(schema(&[
        ("open_repositories", Int64),
        ("archived_repositories", Int64),
        ("forks_excluded", Int64),
        ("top_language", String),
        ("top_license", String),
        ("stars", Int64),
        ("forks", Int64),
        ("open_issues", Int64),
        ("pct_licensed", Float64),
        ("pct_osi_approved", Float64),
        ("first_repo_created_at", utc()),
        ("latest_repo_created_at", utc()),
    ]));
    columns
}

fn org_snapshot_counts_schema() -> Schema {
    use DataType::*;
    schema(&[
        ("snapshot_date", Date),
        ("org_login", String),
        ("forge", String),
        ("organisation", String),
        ("open_repositories", Int64),
        ("archived_repositories", Int64),
        ("fork_repositories", Int64),
        ("public_repositories", Int64),
    ])
}

fn language_counts_schema() -> Schema {
    use DataType::*;
    schema(&[
        ("snapshot_date", Date),
        ("org_login", String),
        ("language", String),
        ("repositories", Int64),
        ("share", Float64),
    ])
}

fn licence_counts_schema() -> Schema {
    use DataType::*;
    let mut columns = schema(&[("snapshot_date", Date), ("org_login", String)]);
    columns.merge(silver::licence_schema());
    columns.merge(schema(&[
        ("license_detected_spdx_id", String),
        ("license_resolved_spdx_id", String),
        ("repositories", Int64),
        ("share", Float64),
    ]));
    columns
}

fn language_bytes_schema() -> Schema {
    use DataType::*;
    schema(&[
        ("snapshot_date", Date),
        ("org_login", String),
        ("language", String),
        ("bytes", Int64),
        ("share", Float64),
    ])
}

fn topic_counts_schema() -> Schema {
    use DataType::*;
    schema(&[
        ("snapshot_date", Date),
        ("org_login", String),
        ("topic", String),
        ("repositories", Int64),
        ("share", Float64),
    ])
}

fn repositories_schema() -> Schema {
    use DataType::*;
    schema(&[
        ("snapshot_date", Date),
        ("org_login", String),
        ("forge", String),
        ("repo_id", Int64),
        ("display_name", String),
        ("name", String),
        ("full_name", String),
        ("html_url", String),
        ("language", String),
        ("license_name", String),
        ("is_archived", Boolean),
        ("stars", Int64),
        ("topics", String),
        ("created_at", utc()),
    ])
}

fn headline_schema() -> Schema {
    use DataType::*;
    schema(&[
        ("snapshot_date", Date),
        ("organisations", Int64),
        ("open_repositories", Int64),
        ("first_repo_organisation", String),
        ("first_repo_name", String),
        ("first_repo_year", Int32),
        ("top_language_1", String),
        ("top_language_2", String),
        ("top_language_3", String),
    ])
}

#[cfg(test)]
mod tests;
