//! The published data described for machines: a Frictionless data package
//! (`datapackage.json`, beside `site/` and `gold/`) naming every resource the site publishes
//! with its columns, types, primary key and description, the data's licence and sources,
//! and the snapshot. Generated from the registry the tables come from (`gold::MODELS`, the
//! site CSV's header and gold twin), so it cannot drift from them; the tests validate the
//! published package and its data with `frictionless`.

use std::collections::BTreeMap;

use polars::prelude::{DataType, Schema};
use serde_json::{json, Value};

use super::gold;
use super::site;
use crate::domain::SnapshotDate;
use crate::lake::outputs::{self, GOLD_TABLES, SITE_CSV};
use crate::lake::{LakeKey, Output};

/// The licence the published statistics are offered under (the page's footer says the same).
pub const LICENCE: (&str, &str, &str) = (
    "OGL-UK-3.0",
    "Open Government Licence v3.0",
    "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
);

/// The package for snapshot `date`, as `datapackage.json` bytes (stable key order).
/// `staged` holds the SHA-256 of each staged output by key, which names each gold table's
/// published data file.
pub fn data_package(date: SnapshotDate, staged: &BTreeMap<String, String>) -> Vec<u8> {
    let gold_file = |table: &'static str| {
        let key = outputs::staged(date, &Output::GoldTable(table));
        let sha = staged.get(key.as_str()).map_or("", String::as_str);
        outputs::gold_file(table, date, sha)
    };
    let (name, title, path) = LICENCE;
    let mut resources = vec![site_csv()];
    resources.push(gold_resource(
        gold_file(GOLD_TABLES[0]),
        GOLD_TABLES[0],
        &site::gold_schema(),
        &["organisation", "date"],
        "The site CSV's rows, typed, with each organisation's forge: for each organisation, \
         one row per UTC day a kept repository was created, and one at the snapshot date.",
    ));
    for model in &gold::MODELS {
        resources.push(gold_resource(
            gold_file(model.table),
            model.table,
            &model.schema(),
            model.key(),
            &model.description(),
        ));
    }
    let package = json!({
        "name": "open-health-stats",
        "title": "Open-source code in the NHS and healthcare",
        "description": format!(
            "Public repositories of NHS and healthcare organisations on GitHub and GitLab, as \
             the snapshot of {date} saw them: the site CSV and the gold tables. Kept \
             repositories are public and not forks; archived ones count."
        ),
        "version": date.to_string(),
        "created": format!("{date}T00:00:00Z"),
        "licenses": [{"name": name, "title": title, "path": path}],
        "sources": [
            {"title": "GitHub REST API: repositories of each organisation", "path": "https://docs.github.com/en/rest/repos/repos"},
            {"title": "GitLab REST API: projects of each group", "path": "https://docs.gitlab.com/api/groups/"}
        ],
        "keywords": ["NHS", "open source", "GitHub", "GitLab", "statistics"],
        "resources": resources,
    });
    let mut bytes = serde_json::to_vec_pretty(&package).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// The site CSV: its six columns as the statistics site reads them.
fn site_csv() -> Value {
    let key = outputs::published(&SITE_CSV);
    let fields = [
        ("Organisation", "string", "The organisation: GitHub's spelling of its login, or a GitLab group's host and path."),
        ("Date", "date", "A UTC day on which a kept repository was created, or the snapshot date."),
        ("Open Repositories", "integer", "Kept repositories created on or before the date."),
        ("Top Language", "string", "The most frequent primary language among them (ties: the name last in code-point order)."),
        ("Top License", "string", "The most frequent licence name among them (no licence not counted)."),
        ("URL", "string", "The organisation's page on its forge."),
    ];
    let fields: Vec<Value> = fields
        .iter()
        .map(|(name, kind, description)| json!({"name": name, "type": kind, "description": description}))
        .collect();
    json!({
        "name": "org_repos_agg",
        "path": key.to_string(),
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "description": "The CSV the statistics site reads, with the previous pipeline's columns.",
        "schema": {"fields": fields, "primaryKey": ["Organisation", "Date"]},
    })
}

fn gold_resource(
    path: LakeKey,
    table: &'static str,
    schema: &Schema,
    key: &[&str],
    description: &str,
) -> Value {
    let fields: Vec<Value> = schema
        .iter()
        .map(|(name, dtype)| json!({"name": name.as_str(), "type": table_schema_type(dtype)}))
        .collect();
    json!({
        "name": table,
        "path": path.to_string(),
        "format": "parquet",
        "mediatype": "application/vnd.apache.parquet",
        "description": description,
        "schema": {"fields": fields, "primaryKey": key},
    })
}

/// The Table Schema type of a column's polars type.
fn table_schema_type(dtype: &DataType) -> &'static str {
    match dtype {
        DataType::String => "string",
        DataType::Boolean => "boolean",
        DataType::Float64 | DataType::Float32 => "number",
        DataType::Date => "date",
        DataType::Datetime(..) => "datetime",
        DataType::List(_) => "array",
        _ => "integer",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_published_table_is_described_with_its_key() {
        let date: SnapshotDate = "2021-03-04".parse().unwrap();
        let key = outputs::staged(date, &Output::GoldTable("org_latest"));
        let staged = BTreeMap::from([(key.to_string(), "0123456789abcdef0123".to_string())]);
        let package: Value = serde_json::from_slice(&data_package(date, &staged)).unwrap();
        let resources = package["resources"].as_array().unwrap();
        let names: Vec<&str> = resources
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert_eq!(names[0], "org_repos_agg");
        assert_eq!(&names[1..], GOLD_TABLES);
        let latest = &resources[2];
        assert_eq!(
            latest["path"],
            "gold/org_latest/snapshot_date=2021-03-04/part-0123456789abcdef.parquet"
        );
        assert_eq!(
            latest["schema"]["primaryKey"],
            json!(["snapshot_date", "org_login"])
        );
        assert!(latest["description"]
            .as_str()
            .unwrap()
            .starts_with("org_latest: each organisation's numbers at a snapshot"));
        assert_eq!(package["licenses"][0]["name"], "OGL-UK-3.0");
        assert_eq!(data_package(date, &staged), data_package(date, &staged));
    }
}
