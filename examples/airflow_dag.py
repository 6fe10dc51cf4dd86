"""Airflow DAG: extract in parallel shards, then transform and publish the snapshot once.

Each mapped `extract` task takes a stable share of the configured organisations
(`ohs extract --shard I/N`; an org's share depends only on its login), so the shards write
disjoint bronze and may run at once, each with its own token if you like. `transform` then
builds the whole snapshot (it refuses, exit 2, while an org is missing) and `publish` makes
it visible.

The snapshot's date is the end of the data interval: a run scheduled for the interval
[D-1 06:15, D 06:15) starts on day D and asks GitHub on day D. Airflow's `ds` is the start of
the interval, the day before, and would file today's GitHub under yesterday's date.

`ohs` exit codes: 0 done; 3 source, 5 storage and 6 lease held (another run is writing)
are worth a retry later, which resumes; 2 config and 4 data need a person; 1 is a bug.
Set GITHUB_TOKEN (and GITLAB_TOKEN for GitLab groups) and the AWS_* variables in the worker's environment or a connection.
"""
import subprocess
from datetime import datetime, timedelta

try:  # Airflow 3's task SDK; Airflow 2 has the same decorators under airflow.decorators.
    from airflow.sdk import dag, task
except ImportError:
    from airflow.decorators import dag, task
from airflow.exceptions import AirflowException, AirflowFailException

SHARDS = 4
OHS = [
    "ohs",
    "--config", "/opt/ohs/pipeline.toml",
    "--lake", "s3://nhs-open-stats/ohs",
    "--log-format", "json",
]
RETRY_LATER = {3, 5, 6}


def snapshot_date(data_interval_end) -> str:
    """The day the run asks GitHub: the end of its data interval, in UTC."""
    return data_interval_end.strftime("%Y-%m-%d")


def run_ohs(*args: str) -> None:
    result = subprocess.run([*OHS, *args], check=False)
    if result.returncode == 0:
        return
    if result.returncode in RETRY_LATER:
        raise AirflowException(f"ohs exited {result.returncode}: retrying later resumes the run")
    raise AirflowFailException(f"ohs exited {result.returncode}: needs a person, not a retry")


@dag(
    dag_id="open_health_stats",
    schedule="15 6 * * *",
    start_date=datetime(2024, 11, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 3, "retry_delay": timedelta(minutes=30)},
)
def open_health_stats():
    @task
    def extract(shard: int, data_interval_end=None) -> None:
        date = snapshot_date(data_interval_end)
        run_ohs("extract", "--shard", f"{shard}/{SHARDS}", "--snapshot-date", date)

    @task
    def transform(data_interval_end=None) -> None:
        run_ohs("transform", "--snapshot-date", snapshot_date(data_interval_end))

    @task
    def publish(data_interval_end=None) -> None:
        run_ohs("publish", "--snapshot-date", snapshot_date(data_interval_end))

    extract.expand(shard=list(range(1, SHARDS + 1))) >> transform() >> publish()


open_health_stats()
