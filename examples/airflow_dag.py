"""Airflow DAG: run open-health-stats daily, retrying only what a retry can fix.

`ohs` exit codes: 0 published; 2 config error and 4 data error (a person must look: fail
without retries); 3 source error and 5 storage error (retry later: a rerun resumes); 1 a bug.
Copy into your DAGs folder; set GITHUB_TOKEN and the AWS_* variables in the worker's
environment or an Airflow connection.
"""
import subprocess
from datetime import datetime, timedelta

from airflow import DAG
from airflow.exceptions import AirflowException, AirflowFailException
from airflow.operators.python import PythonOperator

OHS = [
    "ohs", "run",
    "--config", "/opt/ohs/pipeline.toml",
    "--lake", "s3://nhs-open-stats/ohs",
    "--log-format", "json",
]
RETRY_LATER = {3, 5}


def run_ohs(ds: str, **_context) -> None:
    """Runs the snapshot for the DAG run's date (a backfill runs past dates the same way)."""
    result = subprocess.run([*OHS, "--snapshot-date", ds], check=False)
    if result.returncode == 0:
        return
    if result.returncode in RETRY_LATER:
        raise AirflowException(f"ohs exited {result.returncode}: retrying later resumes the run")
    raise AirflowFailException(f"ohs exited {result.returncode}: needs a person, not a retry")


with DAG(
    dag_id="open_health_stats",
    schedule="15 6 * * *",
    start_date=datetime(2024, 11, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 3, "retry_delay": timedelta(minutes=30)},
) as dag:
    PythonOperator(task_id="ohs_run", python_callable=run_ohs)
