"""Runs `dbt build` on the dbt project in sql/ over an ohs lake and compares what dbt built
with what ohs published, printing one JSON object for tests/it/dbt.rs:

- dbt's exit status and its run results (models built, tests passed or failed);
- for each gold model, whether dbt's rows for the snapshot are ohs's rows (floats to 1e-9);
- for each gold table, how many rows its "_latest" view holds, and of which snapshot.

Usage: check.py LAKE REPO_ROOT SCRATCH
"""
import json
import os
import subprocess
import sys

import duckdb

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "duckdb"))
from compare import gold_models, rows_of  # noqa: E402


def run_results(target_path):
    """What `dbt build` ran (its target/run_results.json): the statuses it gave, how many
    nodes had each, and how many tests and models it ran."""
    with open(os.path.join(target_path, "run_results.json"), encoding="utf-8") as f:
        results = json.load(f)["results"]
    statuses = [r["status"] for r in results]
    return {
        "statuses": sorted(set(statuses)),
        "counts": {status: statuses.count(status) for status in sorted(set(statuses))},
        "tests": sum(1 for r in results if r["unique_id"].startswith("test.")),
        "models": sum(1 for r in results if r["unique_id"].startswith("model.")),
    }


def main(lake, repo_root, scratch):
    database = os.path.join(scratch, "dbt.duckdb")
    env = dict(os.environ, OHS_LAKE=lake, OHS_DBT_DATABASE=database, DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    project = os.path.join(repo_root, "sql")
    dbt = os.path.join(os.path.dirname(sys.executable), "dbt")
    run = subprocess.run(
        [dbt, "build", "--project-dir", project, "--profiles-dir", project,
         "--target-path", os.path.join(scratch, "target"), "--log-path", os.path.join(scratch, "logs")],
        env=env, capture_output=True, text=True, check=False,
    )
    out = {"exit": run.returncode, "log_tail": run.stdout[-3000:]}
    out.update(run_results(os.path.join(scratch, "target")))

    con = duckdb.connect(database, read_only=True)
    con.execute("set timezone = 'UTC'")
    date = con.sql(
        f"select max(snapshot_date) from read_parquet('{lake}/gold/org_latest/snapshot_date=*/*.parquet', hive_partitioning = true)"
    ).fetchone()[0]
    out["snapshot"] = str(date)
    matches, latest = {}, {}
    for table in gold_models(repo_root):
        described = con.sql(f"describe main.{table}").fetchall()
        names = ", ".join(name for name, *_ in described)
        built = rows_of(con, f"select {names} from main.{table} where snapshot_date = '{date}'")
        published = rows_of(
            con,
            f"select {names} from read_parquet('{lake}/gold/{table}/snapshot_date={date}/*.parquet')",
        )
        matches[table] = built == published and len(built) > 0
    for table in ["org_repos_daily"] + gold_models(repo_root):
        rows, snapshots = con.sql(
            f"select count(*), count(distinct snapshot_date) from main.{table}_latest"
        ).fetchone()
        latest[table] = [rows, snapshots]
    out["matches"] = matches
    out["latest"] = latest
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
