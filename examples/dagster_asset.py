"""Dagster: the published snapshot as a daily-partitioned asset that runs `ohs run`.

`ohs` exit codes map to Dagster outcomes: 0 success; 3 (source) and 5 (storage) raise
RetryRequested, since a rerun resumes where the run stopped; 2 (config), 4 (data) and 1 (a
bug) fail. Environment: GITHUB_TOKEN and the store's variables (AWS_*, AZURE_*, GOOGLE_*).
"""
import subprocess

from dagster import (
    AssetExecutionContext,
    DailyPartitionsDefinition,
    Definitions,
    Failure,
    RetryRequested,
    ScheduleDefinition,
    asset,
    define_asset_job,
)

OHS = ["ohs", "run", "--config", "pipeline.toml", "--lake", "az://lake/ohs", "--log-format", "json"]
RETRY_LATER = {3, 5}


@asset(partitions_def=DailyPartitionsDefinition(start_date="2024-11-01"))
def open_health_stats_snapshot(context: AssetExecutionContext) -> None:
    """Extracts, transforms, reports and publishes one day's snapshot."""
    date = context.partition_key
    result = subprocess.run([*OHS, "--snapshot-date", date], check=False)
    if result.returncode == 0:
        return
    if result.returncode in RETRY_LATER:
        raise RetryRequested(max_retries=3, seconds_to_wait=1800)
    raise Failure(description=f"ohs exited {result.returncode} for {date}: see its last log line")


daily = define_asset_job("open_health_stats_daily", selection=[open_health_stats_snapshot])
defs = Definitions(
    assets=[open_health_stats_snapshot],
    schedules=[ScheduleDefinition(job=daily, cron_schedule="15 6 * * *")],
)
