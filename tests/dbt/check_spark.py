"""Runs `dbt build --target spark` on the dbt project in sql/ over an ohs lake, as Databricks
would run it, and compares what Spark built with what ohs published, printing one JSON object
for tests/it/dbt.rs, as check.py does for DuckDB:

- dbt's exit status and its run results (how many nodes passed, were skipped or failed);
- for each gold model, whether Spark's rows for the snapshot are ohs's rows (floats to 1e-9);
- for each gold table, how many rows its "_latest" view holds, and of which snapshot;
- how long Spark took to start and build, and the comparison.

dbt runs in this process (dbt-spark's session method, sql/profiles.yml): one local Spark
session builds the views, then answers the comparisons. Its warehouse and anything else it
writes go under SCRATCH.

Usage: check_spark.py LAKE REPO_ROOT SCRATCH
"""
import json
import os
import sys
import time

# PySpark hands timestamps to Python in the process's time zone: UTC, as ohs writes them.
os.environ["TZ"] = "UTC"
time.tzset()

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "duckdb"))
from check import run_results  # noqa: E402
from compare import gold_models, normalised  # noqa: E402


def build(lake, project, scratch):
    """`dbt build --target spark` in this process: its exit status and the tail of its log."""
    from dbt.cli.main import dbtRunner

    os.environ.update(
        OHS_LAKE=lake,
        OHS_SPARK_WAREHOUSE=os.path.join(scratch, "warehouse"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    log = []

    def keep(event):
        if event.info.level != "debug":
            log.append(event.info.msg)

    result = dbtRunner(callbacks=[keep]).invoke([
        "build", "--project-dir", project, "--profiles-dir", project, "--target", "spark",
        "--target-path", os.path.join(scratch, "target"), "--log-path", os.path.join(scratch, "logs"),
        "--no-use-colors",
    ])
    return (0 if result.success else 1), "\n".join(str(m) for m in log)[-3000:]


def main(lake, repo_root, scratch):
    # Only the JSON goes to stdout: dbt's log, and the JVM's (which inherits this process's
    # descriptors), go to stderr. Spark writes its own files where it runs: in SCRATCH.
    report = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    os.chdir(scratch)

    started = time.monotonic()
    code, log_tail = build(lake, os.path.join(repo_root, "sql"), scratch)
    built = time.monotonic()
    out = {"exit": code, "log_tail": log_tail}
    out.update(run_results(os.path.join(scratch, "target")))

    from pyspark.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()  # the session dbt started
    schema = os.environ.get("OHS_DBT_SCHEMA", "ohs")
    date = spark.sql(f"select max(snapshot_date) from parquet.`{lake}/gold/org_latest`").first()[0]
    out["snapshot"] = str(date)
    matches, latest = {}, {}
    for table in gold_models(repo_root):
        names = ", ".join(spark.table(f"{schema}.{table}").columns)
        spark_rows = normalised(
            spark.sql(f"select {names} from {schema}.{table} where snapshot_date = date'{date}'").collect()
        )
        published = normalised(
            spark.sql(
                f"select {names} from parquet.`{lake}/gold/{table}` where snapshot_date = date'{date}'"
            ).collect()
        )
        matches[table] = spark_rows == published and len(spark_rows) > 0
        if not matches[table]:
            out.setdefault("diff", {})[table] = {
                "only_in_spark": [r for r in spark_rows if r not in published][:3],
                "only_in_ohs": [r for r in published if r not in spark_rows][:3],
            }
    for table in ["org_repos_daily"] + gold_models(repo_root):
        rows, snapshots = spark.sql(
            f"select count(*), count(distinct snapshot_date) from {schema}.{table}_latest"
        ).first()
        latest[table] = [rows, snapshots]
    out["matches"] = matches
    out["latest"] = latest
    out["seconds"] = {"build": round(built - started, 1), "compare": round(time.monotonic() - built, 1)}
    spark.stop()
    report.write(json.dumps(out, default=str) + "\n")
    report.close()


if __name__ == "__main__":
    main(*(os.path.abspath(arg) for arg in sys.argv[1:4]))
