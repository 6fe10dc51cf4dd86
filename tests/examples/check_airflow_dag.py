"""Loads examples/ with Airflow's own DAG loader (DagBag), as a scheduler would, and fails
unless the example's DAG loads without import errors. Usage: check_airflow_dag.py EXAMPLES"""
import sys

from airflow.models import DagBag

bag = DagBag(sys.argv[1], include_examples=False)
if bag.import_errors or "open_health_stats" not in bag.dags:
    sys.exit(f"Airflow could not load the example DAG: {bag.import_errors or list(bag.dags)}")
print(f"airflow: {sorted(bag.dags)} loaded")
