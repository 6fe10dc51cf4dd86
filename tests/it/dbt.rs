//! The dbt project in `sql/` (the same model files ohs runs) built over the sample lake, as a
//! warehouse team would: by dbt-duckdb (`tests/dbt/check.py`), and on Spark as Databricks
//! would run it, by dbt-spark's session method in a local PySpark (`tests/dbt/check_spark.py`).
//! On each, `dbt build` builds every model and its "latest snapshot" view and passes the
//! schema tests, and each gold model gives ohs's rows.

use serde_json::Value;

use crate::common::{python_report, repo_root, run_sample, Workdir};

#[test]
fn dbt_builds_the_same_gold_tables_and_passes_its_schema_tests() {
    let found = dbt_build_on_the_sample("tests/dbt/check.py");
    assert_built_the_same_gold_tables(&found);
}

/// On Spark the sources are its queries of the lake's folders (parquet.`<lake>/silver/repos`),
/// and the few functions Spark spells differently are dbt macros (`sql/dbt/macros/`).
#[test]
fn dbt_builds_the_same_gold_tables_on_spark() {
    let found = dbt_build_on_the_sample("tests/dbt/check_spark.py");
    assert_built_the_same_gold_tables(&found);
}

/// `script` (LAKE REPO_ROOT SCRATCH) run over a lake of the sample, its scratch directory in
/// the test's own.
fn dbt_build_on_the_sample(script: &str) -> Value {
    let work = Workdir::new();
    run_sample(&work);
    let scratch = work.path().join("dbt");
    std::fs::create_dir_all(&scratch).unwrap();
    let lake = work.lake();
    python_report(script, &[&lake, &repo_root(), &scratch])
}

fn assert_built_the_same_gold_tables(found: &Value) {
    assert_eq!(found["exit"], 0, "{}", found["log_tail"]);
    assert_eq!(
        found["statuses"],
        serde_json::json!(["pass", "success"]),
        "{found}"
    );
    let gold = open_health_stats::lake::outputs::GOLD_TABLES;
    // One model per SQL-built gold table, six intermediate ones, a latest view per table.
    assert_eq!(
        found["models"],
        (gold.len() - 1) + 6 + gold.len(),
        "{found}"
    );
    assert!(found["tests"].as_u64().unwrap() >= 20, "{found}");
    for table in &gold[1..] {
        assert_eq!(
            found["matches"][table], true,
            "{table}: dbt's rows are not ohs's: {found}"
        );
    }
    for table in gold {
        assert_eq!(found["latest"][table][1], 1, "{table}_latest: one snapshot");
    }
    assert_eq!(found["latest"]["org_latest"][0], 7, "{found}");
}
