"""How `make bench` measures: one process alone (wall time, peak RSS, CPU time and the steps
its `ohs -v` log timed), DuckDB's same job, and the tables of ohs's steps."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import duckdb

import duckdb_job

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Linux keeps a process's peak RSS across exec, so a command spawned from this process
# (which by then holds DuckDB's memory) would report at least our own peak. A fresh, small
# interpreter spawns it instead and reports its usage.
MEASURE = r"""
import json, os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
stderr = child.stderr.read().decode(errors="replace")
_, status, usage = os.wait4(child.pid, 0)
print(json.dumps({"seconds": time.perf_counter() - start, "maxrss_kib": usage.ru_maxrss,
                  "cpu_seconds": usage.ru_utime + usage.ru_stime,
                  "code": os.waitstatus_to_exitcode(status), "stderr": stderr}))
"""


# What the bench deletes is set aside instead, and deleted when it ends. This machine's ext4
# has no journal, so when it allocates an inode it skips each one freed in the last minute or
# more (`recently_deleted`), scanning past them under the directory's lock: a run that writes
# thousands of files just after the last run's were deleted paid for that, at one-1e6 about
# 0.8 s of the 1.7 s its organisation pages took, which no daily run pays
# (benches/HISTORY.md, early on 2026-12-08).
_set_aside = []


def set_aside(path):
    """Takes `path` (a file or folder, if it exists) out of the way without deleting it."""
    if not os.path.lexists(path):
        return
    if not _set_aside:
        _set_aside.append(tempfile.mkdtemp(prefix="ohs-bench-set-aside-"))
    os.rename(path, os.path.join(_set_aside[0], str(len(os.listdir(_set_aside[0])))))


def delete_set_aside():
    """Deletes everything [`set_aside`] took out of the way, once nothing more is timed."""
    while _set_aside:
        shutil.rmtree(_set_aside.pop())


class Measured:
    """One process's wall time, peak RSS, CPU time and the steps its `-v` log timed."""

    def __init__(self, result):
        self.seconds = result["seconds"]
        self.rss_mib = result["maxrss_kib"] / 1024
        self.cores = result["cpu_seconds"] / result["seconds"]
        self.steps = {}
        for line in result["stderr"].splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if event.get("target") == "ohs::timings":
                step = (event["stage"], event["step"])
                self.steps[step] = self.steps.get(step, 0.0) + event["seconds"]


def run_measured(args, cwd):
    """Runs a command (ohs with `-v --log-format json`, or another) and measures it alone."""
    out = subprocess.run([sys.executable, "-c", MEASURE, *args], cwd=cwd, capture_output=True,
                         check=True)
    result = json.loads(out.stdout)
    if result["code"] != 0:
        sys.exit(f"bench: {' '.join(args)} failed:\n{result['stderr']}")
    return Measured(result)


def duckdb_same_job(workdir):
    """DuckDB's wall time for the whole job, after checking its outputs equal ohs's."""
    os.chdir(workdir)
    con = duckdb.connect()
    duckdb_job.lookups(con)
    out = os.path.join(workdir, "duckdb")
    set_aside(out)
    seconds = duckdb_job.run(con, ROOT, out)
    duckdb_job.check(con, ROOT, out)
    con.close()
    os.chdir(ROOT)
    return seconds


def duckdb_checks(workdir):
    """The wall time of checking bronze as ohs does (`duckdb_job.verify`), which DuckDB's job
    leaves out."""
    return duckdb_job.verify(os.path.join(workdir, "lake"))


def steps_table(columns):
    """Markdown rows of seconds per step, one column per (heading, Measured)."""
    steps = []
    for _, measured in columns:
        steps += [step for step in measured.steps if step not in steps]
    lines = ["| stage | step | " + " | ".join(heading for heading, _ in columns) + " |",
             "| --- | --- |" + " ---: |" * len(columns)]
    for stage, step in steps:
        cells = " | ".join(f"{m.steps.get((stage, step), 0.0):.3f}" for _, m in columns)
        lines.append(f"| {stage} | {step} | {cells} |")
    return lines
