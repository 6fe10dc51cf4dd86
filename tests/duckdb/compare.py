"""Reads a lake with DuckDB, independently of ohs, and reports what it finds as JSON.

Usage: python compare.py WORKDIR REPO_ROOT   (WORKDIR holds lake/)

For each gold table built by a model in sql/gold/: the published table's columns and
DuckDB types, its rows, and whether the same model file run by DuckDB over the silver
views gives the same rows (floats compared to 1e-9).
"""
import json
import math
import os
import re
import sys

import duckdb

# dbt's calls in the model files, `{{ ref('x') }}` and `{{ source('lake', 'x') }}`: the table x.
DBT_CALL = re.compile(r"\{\{\s*(?:ref|source)\([^)]*'([a-z_]+)'\s*\)\s*\}\}")
# The functions Spark spells differently, `{{ ohs_f("arguments") }}` (sql/dbt/macros/
# engine_functions.sql): DuckDB's f(arguments).
ENGINE_FUNCTION = re.compile(r'\{\{\s*ohs_([a-z_]+)\("([^"]*)"\)\s*\}\}')


def resolve_refs(sql):
    """A model's SQL with dbt's calls turned into the names of the tables they read, and
    its engine macros into the functions DuckDB runs."""
    return ENGINE_FUNCTION.sub(r"\1(\2)", DBT_CALL.sub(r"\1", sql))

def gold_models(repo_root):
    """Every gold model in sql/gold/ (int_* files are intermediate models, not tables)."""
    names = os.listdir(os.path.join(repo_root, "sql/gold"))
    return sorted(n[:-4] for n in names if n.endswith(".sql") and not n.startswith("int_"))


def normalise(value):
    if isinstance(value, float):
        return round(value, 9)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def rows_of(con, query):
    return normalised(con.sql(query).fetchall())


def normalised(rows):
    """Rows as comparable values (floats to 1e-9, dates and times as ISO text), sorted."""
    return sorted(
        (tuple(normalise(v) for v in row) for row in rows),
        key=lambda r: tuple((v is None, str(v)) for v in r),
    )


def main(workdir, repo_root):
    models = gold_models(repo_root)
    tables = ["org_repos_daily"] + models
    os.chdir(workdir)
    con = duckdb.connect()
    with open(os.path.join(repo_root, "sql/duckdb/views.sql"), encoding="utf-8") as f:
        # The views read the intermediate models from sql/, relative to the repository.
        con.execute(f.read().replace("'sql/", f"'{repo_root}/sql/"))
    report = {}
    for table in tables:
        described = con.sql(f"describe {table}").fetchall()
        columns = [[name, dtype] for name, dtype, *_ in described]
        names = ", ".join(name for name, _ in columns)
        published = rows_of(con, f"select {names} from {table}")
        entry = {"columns": columns, "rows": len(published)}
        if table in models:
            with open(os.path.join(repo_root, f"sql/gold/{table}.sql"), encoding="utf-8") as f:
                model = resolve_refs(f.read())
            rebuilt = rows_of(con, f"select {names} from ({model})")
            entry["model_matches"] = rebuilt == published
            if rebuilt != published:
                diff = [r for r in rebuilt if r not in published][:3]
                entry["diff"] = {"only_in_duckdb": diff, "only_in_ohs": [r for r in published if r not in rebuilt][:3]}
        report[table] = entry
    table1 = con.sql(
        "select organisation, open_repositories, archived_repositories, forks_excluded, "
        "top_language, top_license, stars, forks, open_issues, pct_licensed "
        "from org_latest order by open_repositories desc, organisation"
    ).fetchall()
    report["org_latest_rows"] = [[normalise(v) for v in row] for row in table1]
    print(json.dumps(report, default=str))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
