"""Opens every gold table of an ohs lake as the warehouses would, with readers that are not
ohs, and prints one JSON object for tests/it/delta.rs:

- `deltalake` (delta-rs's Python binding): each table's protocol, partition columns, schema
  types, version, history (operation and userMetadata, newest first), and the files it
  lists as current;
- whether its rows equal DuckDB's Hive read (`snapshot_date=*/*.parquet`, as
  sql/duckdb/views.sql reads), and how many Parquet files that glob finds;
- with --spark, whether Spark's own Parquet reader, given the files `deltalake` lists as
  current, reads the same rows. (Spark's Delta reader needs jars from Maven, which these
  machines cannot reach.)

Usage: check.py LAKE_URI [--spark] [--storage-options JSON]
"""
import json
import os
import sys

import duckdb
from deltalake import DeltaTable

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "duckdb"))
from compare import rows_of  # noqa: E402

TABLES = [
    "org_repos_daily", "org_latest", "org_snapshot_counts", "language_counts", "licence_counts",
    "headline", "language_bytes", "topic_counts", "repositories",
]


def table_report(lake, table, options, con):
    dt = DeltaTable(f"{lake}/gold/{table}", storage_options=options or None)
    protocol = dt.protocol()
    metadata = dt.metadata()
    schema = json.loads(dt.schema().to_json())
    history = [
        {"version": h.get("version"), "operation": h.get("operation"),
         "userMetadata": h.get("userMetadata"), "ohs": h.get("ohs")}
        for h in dt.history()
    ]
    files = sorted(dt.file_uris())
    arrow = dt.to_pyarrow_table()
    con.register("delta_rows", arrow)
    names = ", ".join(f["name"] for f in schema["fields"])
    delta_rows = rows_of(con, f"select {names} from delta_rows")
    report = {
        "protocol": [protocol.min_reader_version, protocol.min_writer_version],
        "reader_features": protocol.reader_features,
        "writer_features": protocol.writer_features,
        "partition_columns": metadata.partition_columns,
        "types": {f["name"]: f["type"] if isinstance(f["type"], str) else f["type"]["type"]
                  for f in schema["fields"]},
        "version": dt.version(),
        "history": history,
        "files": files,
        "rows": len(delta_rows),
    }
    if not lake.startswith(("s3://", "az://", "abfss://", "gs://")):
        glob = f"{lake}/gold/{table}/snapshot_date=*/*.parquet"
        hive = rows_of(con, f"select {names} from read_parquet('{glob}', hive_partitioning = true)")
        report["hive_equal"] = hive == delta_rows
        report["hive_files"] = con.sql(f"select count(*) from glob('{glob}')").fetchone()[0]
    return report, delta_rows, files, names


def spark_rows(spark, files, names, types):
    """Spark's Parquet reader over exactly the current files, partition from the path.
    pandas gets Spark's timestamps zoneless (in the session's zone, UTC): made UTC again."""
    if not files:
        return []
    base = os.path.dirname(os.path.dirname(files[0]))
    df = spark.read.option("basePath", base).parquet(*files)
    df.createOrReplaceTempView("current_files")
    frame = spark.sql(f"select {names} from current_files").toPandas()
    con = duckdb.connect()
    con.execute("set timezone = 'UTC'")
    con.register("spark_rows", frame)
    utc = ", ".join(
        f"cast({name} as timestamptz) as {name}" if types[name] == "timestamp" else name
        for name in names.split(", ")
    )
    return rows_of(con, f"select {utc} from spark_rows")


def main(lake, spark_wanted, options):
    con = duckdb.connect()
    con.execute("set timezone = 'UTC'")
    out, spark = {}, None
    if spark_wanted:
        from pyspark.sql import SparkSession
        spark = (SparkSession.builder.master("local[1]").appName("ohs-delta-check")
                 .config("spark.sql.session.timeZone", "UTC")
                 .config("spark.ui.enabled", "false")
                 .config("spark.sql.shuffle.partitions", "1")
                 .getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
    for table in TABLES:
        report, delta_rows, files, names = table_report(lake, table, options, con)
        if spark is not None:
            local = [f.removeprefix("file://") for f in files]
            report["spark_equal"] = spark_rows(spark, local, names, report["types"]) == delta_rows
        out[table] = report
    if spark is not None:
        spark.stop()
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    args = sys.argv[1:]
    options = None
    if "--storage-options" in args:
        i = args.index("--storage-options")
        options = json.loads(args[i + 1])
        del args[i:i + 2]
    main(args[0], "--spark" in args, options)
