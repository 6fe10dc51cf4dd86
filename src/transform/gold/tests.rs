use super::*;

#[test]
fn dbt_calls_become_the_tables_they_name() {
    let sql = "select * from {{ ref('int_kept_repos') }} k\n\
               join {{source('lake', 'silver_orgs')}} o using (org_login)";
    assert_eq!(
        resolve_refs(sql),
        "select * from int_kept_repos k\njoin silver_orgs o using (org_login)"
    );
    assert_eq!(resolve_refs("{{ config(x) }} a"), " config(x)  a");
    for model in &MODELS {
        assert!(!resolve_refs(model.sql).contains("{{"), "{}", model.file);
    }
    for (name, sql) in INTERMEDIATE {
        assert!(!resolve_refs(sql).contains("{{"), "sql/gold/{name}.sql");
    }
}

#[test]
fn engine_macros_become_the_functions_polars_and_duckdb_spell() {
    let sql = "select {{ ohs_unnest(\"topics\") }} as topic,\n\
               {{ohs_array_to_string(\"r.topics, ', '\")}} as topics";
    assert_eq!(
        resolve_refs(sql),
        "select unnest(topics) as topic,\narray_to_string(r.topics, ', ') as topics"
    );
    // Only a plain name, and arguments as one double-quoted string, are expanded.
    for call in [
        "{{ ohs_unnest('topics') }}",
        "{{ ohs_Unnest(\"topics\") }}",
        "{{ ohs_(\"topics\") }}",
        "{{ ohs_unnest(\"a\", \"b\") }}",
    ] {
        assert!(resolve_refs(call).contains("ohs_"), "{call}");
    }
}

/// Each engine macro a model calls is defined in the dbt project, and its default form
/// (what dbt-duckdb runs) is exactly the call `resolve_refs` and DuckDB's views make.
#[test]
fn each_engine_macro_a_model_calls_defaults_to_the_function_it_names() {
    let macros = include_str!("../../../sql/dbt/macros/engine_functions.sql");
    let models = MODELS
        .iter()
        .map(|m| m.sql)
        .chain(INTERMEDIATE.map(|(_, sql)| sql));
    let mut called = 0;
    for sql in models {
        for rest in sql.split("{{").skip(1) {
            let call = &rest[..rest.find("}}").unwrap()];
            let Some((function, _)) = engine_function(call) else {
                continue;
            };
            called += 1;
            let default = format!(
                "{{% macro default__ohs_{function}(arguments) -%}}\n    {function}({{{{ arguments }}}})\n"
            );
            assert!(macros.contains(&default), "no default__ohs_{function}");
            let spark = format!("{{% macro spark__ohs_{function}(arguments) -%}}");
            assert!(macros.contains(&spark), "no spark__ohs_{function}");
        }
    }
    assert_eq!(
        called, 2,
        "the models call ohs_unnest and ohs_array_to_string"
    );
}
use crate::lake::outputs::GOLD_TABLES;

#[test]
fn the_models_are_the_registrys_tables_after_the_site_series() {
    let built: Vec<&str> = std::iter::once("org_repos_daily")
        .chain(MODELS.iter().map(|m| m.table))
        .collect();
    assert_eq!(built, GOLD_TABLES);
}

/// Each gold schema is declared in Rust (the types the table is written with); the SQL
/// model must select exactly those columns, in that order, so the two cannot drift.
#[test]
fn each_models_sql_selects_exactly_its_declared_columns() {
    use crate::transform::silver;
    let date = "2021-03-04".parse().unwrap();
    let repos = silver::repos_frame(&[], date).unwrap();
    let orgs = silver::orgs_frame(&[], date).unwrap();
    let languages = silver::repo_languages_frame(Vec::new(), date).unwrap();
    let mut ctx = silver_context(SilverTables {
        repos: repos.lazy(),
        orgs: &orgs,
        repo_languages: languages.clone().lazy(),
    })
    .unwrap();
    for model in &MODELS {
        let selected: Vec<String> = ctx
            .execute(&resolve_refs(model.sql))
            .unwrap()
            .collect_schema()
            .unwrap()
            .iter_names()
            .map(|n| n.to_string())
            .collect();
        let declared: Vec<String> = (model.schema)()
            .iter_names()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(selected, declared, "{}", model.file);
    }
}

#[test]
fn duckdb_runs_each_intermediate_model_from_its_file() {
    let views = include_str!("../../../sql/duckdb/views.sql");
    for (name, _) in INTERMEDIATE {
        let view = format!(
            "from read_text('sql/gold/{name}.sql'));\n\
             create or replace view {name} as from query(getvariable('{name}'));"
        );
        assert!(views.contains(&view), "views.sql does not run {name}.sql");
    }
}

#[test]
fn duckdb_has_a_view_of_each_table() {
    let views = include_str!("../../../sql/duckdb/views.sql");
    for table in GOLD_TABLES {
        let view = format!(
            "create or replace view {table} as\nselect * from read_parquet('lake/gold/{table}/snapshot_date=*/*.parquet', hive_partitioning = true);"
        );
        assert!(
            views.contains(&view),
            "sql/duckdb/views.sql has no view of {table}"
        );
    }
}
