"""Dagster: a daily-partitioned job that extracts in parallel shards, then transforms and
publishes the snapshot once.

Each `extract_shard_I` op takes a stable share of the configured organisations
(`ohs extract --shard I/N`; an org's share depends only on its login), so the shards write
disjoint bronze at once. `transform` builds the whole snapshot (it refuses, exit 2, while an
org is missing) and `publish` makes it visible.

The schedule comes from the partitioned job (`build_schedule_from_partitioned_job`): the
partition for day D-1 (06:15 to 06:15) runs when it ends, on day D, and asks GitHub then, so
its snapshot date is the partition's end, D, not its key.

`ohs` exit codes: 0 done; 3 (source), 5 (storage) and 6 (another run holds the lease) raise
RetryRequested, since a rerun resumes; 2 (config), 4 (data) and 1 (a bug) fail.
Environment: GITHUB_TOKEN, GITLAB_TOKEN and the store's variables (AWS_*, AZURE_*, GOOGLE_*).
"""
import subprocess
from datetime import date, timedelta

from dagster import (
    DailyPartitionsDefinition,
    Definitions,
    Failure,
    In,
    Nothing,
    OpExecutionContext,
    Out,
    RetryRequested,
    build_schedule_from_partitioned_job,
    job,
    op,
)

SHARDS = 4
OHS = ["ohs", "--config", "pipeline.toml", "--lake", "az://lake/ohs", "--log-format", "json"]
RETRY_LATER = {3, 5, 6}

daily = DailyPartitionsDefinition(start_date="2024-11-01", hour_offset=6, minute_offset=15)


def snapshot_date(partition_key: str) -> str:
    """The day the partition's run asks GitHub: the day after its key, when it ends."""
    return (date.fromisoformat(partition_key) + timedelta(days=1)).isoformat()


def run_ohs(context: OpExecutionContext, *args: str) -> None:
    day = snapshot_date(context.partition_key)
    result = subprocess.run([*OHS, *args, "--snapshot-date", day], check=False)
    if result.returncode == 0:
        return
    if result.returncode in RETRY_LATER:
        raise RetryRequested(max_retries=3, seconds_to_wait=1800)
    raise Failure(description=f"ohs exited {result.returncode} for {day}: see its last log line")


def extract_shard(shard: int):
    @op(name=f"extract_shard_{shard}", out=Out(Nothing))
    def extract(context: OpExecutionContext) -> None:
        run_ohs(context, "extract", "--shard", f"{shard}/{SHARDS}")

    return extract


@op(ins={"extracted": In(Nothing)}, out=Out(Nothing))
def transform(context: OpExecutionContext) -> None:
    run_ohs(context, "transform")


@op(ins={"transformed": In(Nothing)})
def publish(context: OpExecutionContext) -> None:
    run_ohs(context, "publish")


@job(partitions_def=daily)
def open_health_stats():
    shards = [extract_shard(i)() for i in range(1, SHARDS + 1)]
    publish(transformed=transform(extracted=shards))


defs = Definitions(
    jobs=[open_health_stats],
    schedules=[build_schedule_from_partitioned_job(open_health_stats)],
)
