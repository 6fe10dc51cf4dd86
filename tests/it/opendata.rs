//! The published data as a data user checks it: `datapackage.json` and every resource it
//! names validated by `frictionless` (types, primary keys), and the publish manifests and the
//! build record by `jsonschema` against the JSON Schemas published beside them, each check
//! shown to fail on a violation (`tests/opendata/validate.py`).

use crate::common::{python_report, run_sample, Workdir};

#[test]
fn the_data_package_and_the_manifests_validate_with_their_own_tools() {
    let work = Workdir::new();
    run_sample(&work);
    let found = python_report("tests/opendata/validate.py", &[&work.lake()]);
    assert_eq!(found["package_valid"], true, "{found}");
    let resources: Vec<&str> = found["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    let mut expected = vec!["org_repos_agg"];
    expected.extend(open_health_stats::lake::outputs::GOLD_TABLES);
    assert_eq!(resources, expected);
    assert_eq!(
        found["duplicate_key_errors"],
        serde_json::json!(["primary-key"])
    );
    assert_eq!(
        found["schema_checked"],
        serde_json::json!([
            "gold/_manifests/snapshot_date=2021-03-04/_manifest.json",
            "site/_manifest.json",
            "staging/snapshot_date=2021-03-04/_build.json"
        ])
    );
    assert_eq!(found["bad_manifest_refused"], true);
    // The package, like every output, is the same bytes for the same lake.
    let package = work.read("lake/datapackage.json");
    assert!(package.contains("\"name\": \"OGL-UK-3.0\""));
}
