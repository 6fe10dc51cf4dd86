"""`make bench`: transform throughput and memory of ohs against DuckDB, on the same data.

For each size (repository-snapshot rows, 10 daily snapshots, orgs scaled with rows and
skewed in size), it generates synthetic bronze (`examples/synth.rs`), times
`ohs transform --all-snapshots` (bronze JSON -> silver -> every gold table and the site CSV)
and its peak RSS, then times DuckDB computing the same gold `org_snapshot_counts` and
`org_latest` from the same silver with the same SQL files, and from the same bronze JSON
(like for like). Prints a table and writes
benches/RESULTS.md. Set OHS_BENCH_1E7=1 to add 1e7 rows (needs ~10 GB of disk).

Then extraction at scale: 200 and 2,000 orgs (10,000 and 100,000 repositories) from a mock
GitHub served by this script on 127.0.0.1: requests made against the minimum pagination
needs, wall time against the pacing floor, and peak RSS (flat in the number of orgs).

Usage: python benches/bench.py RELEASE_DIR   (the directory holding ohs and examples/synth)
"""
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

import json
import math
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZES = [10_000, 100_000, 1_000_000] + ([10_000_000] if os.environ.get("OHS_BENCH_1E7") else [])
SNAPSHOTS = 10


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
                  "code": os.waitstatus_to_exitcode(status), "stderr": stderr}))
"""


def run_measured(args, cwd):
    """Runs a command; returns (seconds, peak RSS in MiB) of that process alone."""
    out = subprocess.run([sys.executable, "-c", MEASURE, *args], cwd=cwd, capture_output=True,
                         check=True)
    result = json.loads(out.stdout)
    if result["code"] != 0:
        sys.exit(f"bench: {' '.join(args)} failed:\n{result['stderr']}")
    return result["seconds"], result["maxrss_kib"] / 1024


def duckdb_seconds(workdir):
    con = duckdb.connect()
    os.chdir(workdir)
    with open(os.path.join(ROOT, "sql/duckdb/views.sql"), encoding="utf-8") as f:
        views = f.read().replace("'sql/", f"'{ROOT}/sql/")
    # Only the silver views: gold is what we are about to compute.
    con.execute(views.split("-- gold:")[0])
    start = time.perf_counter()
    for model in ["org_snapshot_counts", "org_latest"]:
        with open(os.path.join(ROOT, f"sql/gold/{model}.sql"), encoding="utf-8") as f:
            con.execute(f"create table {model} as {f.read()}")
    seconds = time.perf_counter() - start
    rows = con.sql("select count(*) from org_snapshot_counts").fetchone()[0]
    con.close()
    os.chdir(ROOT)
    return seconds, rows


# DuckDB's own silver_repos, parsed from the same bronze pages: the columns the two models
# read, non-public repositories dropped and duplicates kept once, as ohs does. Licence facts
# that need the SPDX list (license_osi_approved) are left null, and nothing is checksummed or
# written, so DuckDB still does less than ohs.
BRONZE_SILVER = """
create table silver_repos as
select
    org as org_login, id as repo_id, name, full_name,
    fork as is_fork, coalesce(private, false) as is_private,
    coalesce(archived, false) as is_archived,
    cast(created_at as timestamptz) as created_at, language,
    case language when 'Jupyter Notebook' then 'Python' when 'CSS' then 'HTML'
        when 'SCSS' then 'HTML' else language end as language_normalised,
    license.name as license_name, cast(null as boolean) as license_osi_approved,
    stargazers_count, forks_count, open_issues_count, snapshot_date,
    cast(created_at as timestamptz)::date > snapshot_date as created_after_snapshot
from read_json('lake/bronze/github/repos/*/*/page-????.json', format = 'array',
    hive_partitioning = true, filename = true,
    columns = {id: 'BIGINT', name: 'VARCHAR', full_name: 'VARCHAR', private: 'BOOLEAN',
        visibility: 'VARCHAR', fork: 'BOOLEAN', archived: 'BOOLEAN', created_at: 'VARCHAR',
        language: 'VARCHAR', license: 'STRUCT(name VARCHAR)', stargazers_count: 'BIGINT',
        forks_count: 'BIGINT', open_issues_count: 'BIGINT'})
where not coalesce(private, false) and coalesce(visibility, 'public') = 'public'
qualify row_number() over (partition by snapshot_date, id order by filename) = 1
"""


def duckdb_from_bronze_seconds(workdir):
    """DuckDB from the same bronze JSON to the same two gold tables: like for like with ohs
    (but for the work listed above BRONZE_SILVER), where duckdb_seconds starts from silver."""
    con = duckdb.connect()
    os.chdir(workdir)
    start = time.perf_counter()
    con.execute("set timezone = 'UTC'")
    con.execute(BRONZE_SILVER)
    # Organisations' names only (one small row per org), as ohs wrote them.
    con.execute("create view silver_orgs as select * from "
                "read_parquet('lake/silver/orgs/*/*.parquet', hive_partitioning = true)")
    for model in ["int_snapshot_repos", "int_kept_repos"]:
        with open(os.path.join(ROOT, f"sql/gold/{model}.sql"), encoding="utf-8") as f:
            con.execute(f"create view {model} as {f.read()}")
    for model in ["org_snapshot_counts", "org_latest"]:
        with open(os.path.join(ROOT, f"sql/gold/{model}.sql"), encoding="utf-8") as f:
            con.execute(f"create table {model} as {f.read()}")
    seconds = time.perf_counter() - start
    rows = con.sql("select count(*) from silver_repos").fetchone()[0]
    con.close()
    os.chdir(ROOT)
    return seconds, rows


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    with open("/proc/meminfo", encoding="utf-8") as f:
        mem_kib = int(next(l for l in f if l.startswith("MemTotal")).split()[1])
    return f"{os.cpu_count()} cores ({cpu}), {mem_kib / 1024 / 1024:.0f} GiB RAM, {platform.system()} {platform.release()}"


def main(release_dir):
    release_dir = os.path.abspath(release_dir)
    ohs = os.path.join(release_dir, "ohs")
    synth = os.path.join(release_dir, "examples", "synth")
    results = []
    for rows in SIZES:
        workdir = tempfile.mkdtemp(prefix=f"ohs-bench-{rows}-")
        lake = os.path.join(workdir, "lake")
        orgs = max(20, min(2000, rows // 500))
        subprocess.run([synth, "--lake", lake, "--rows", str(rows), "--orgs", str(orgs),
                        "--snapshots", str(SNAPSHOTS), "--seed", "7"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        config = os.path.join(workdir, "bench.toml")
        with open(config, "w", encoding="utf-8") as f:
            f.write('[[orgs]]\nlogin = "synth-org-0"\n')
        ours, rss = run_measured([ohs, "transform", "--all-snapshots", "-q", "--config", config,
                                  "--lake", lake], workdir)
        theirs, _ = duckdb_seconds(workdir)
        from_bronze, parsed_rows = duckdb_from_bronze_seconds(workdir)
        bronze_mib = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(os.path.join(lake, "bronze"))
                         for f in fs) / 2**20
        results.append((rows, orgs, bronze_mib, ours, rss, theirs, ours / theirs, from_bronze,
                        ours / from_bronze))
        print(f"{rows:>10,} rows  {orgs:>5} orgs  bronze {bronze_mib:8.1f} MiB  ohs {ours:7.2f} s  "
              f"peak {rss:7.1f} MiB  duckdb {theirs:6.2f} s  ratio {ours / theirs:6.2f}  "
              f"duckdb from bronze {from_bronze:6.2f} s ({parsed_rows:,} rows)  "
              f"ratio {ours / from_bronze:5.2f}", flush=True)
        shutil.rmtree(workdir)
    extractions = []
    for orgs, total in [(200, 10_000), (2000, 100_000)]:
        repos, made, minimum, seconds, rss = extraction(ohs, orgs, total)
        extractions.append((orgs, repos, made, minimum, seconds, rss))
        print(f"extract {orgs:>5} orgs {repos:>7,} repos: {made} requests / minimum {minimum} = "
              f"{made / minimum:.2f}, {seconds:.1f} s at 200 requests/s, peak {rss:.1f} MiB", flush=True)
    write_results(results, extractions)


class MockGithub(BaseHTTPRequestHandler):
    """GitHub's org listing for `orgs` synthetic organisations, generated on request:
    Link pagination onto /organizations/{id}/repos and a one-token rate-limit budget."""

    protocol_version = "HTTP/1.1"  # keep-alive, as GitHub
    sizes = []
    requests = 0
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def do_GET(self):
        with MockGithub.lock:
            MockGithub.requests += 1
            remaining = max(0, 5000 - MockGithub.requests)
        path, _, query = self.path.partition("?")
        page = int(dict(p.split("=") for p in query.split("&") if "=" in p).get("page", "1"))
        first = re.fullmatch(r"/orgs/synth-org-(\d+)/repos", path)
        later = re.fullmatch(r"/organizations/(\d+)/repos", path)
        meta = re.fullmatch(r"/orgs/synth-org-(\d+)", path)
        headers = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": str(remaining),
                   "x-ratelimit-reset": str(int(time.time()) + 3600)}
        if meta:
            org = int(meta.group(1))
            body = {"login": f"synth-org-{org}", "id": org, "public_repos": self.sizes[org]}
        elif first or later:
            org = int((first or later).group(1))
            size = self.sizes[org]
            pages = max(1, math.ceil(size / 100))
            ids = range((page - 1) * 100, min(size, page * 100))
            body = [{"id": org * 1_000_000 + i, "name": f"r{i}", "full_name": f"synth-org-{org}/r{i}",
                     "html_url": f"https://github.com/synth-org-{org}/r{i}", "private": False,
                     "owner": {"login": f"synth-org-{org}", "html_url": f"https://github.com/synth-org-{org}"},
                     "fork": False, "created_at": "2020-01-01T00:00:00Z", "language": "Python", "license": None,
                     "stargazers_count": 0, "forks_count": 0, "open_issues_count": 0} for i in ids]
            if page < pages:
                port = self.server.server_address[1]
                headers["link"] = (f"<http://127.0.0.1:{port}/organizations/{org}/repos?type=public&per_page=100"
                                   f"&page={page + 1}>; rel=\"next\"")
        else:
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def extraction(ohs, orgs, total):
    """Extracts `orgs` orgs holding `total` repositories from the mock: requests made against
    the minimum pagination needs, wall time, peak RSS."""
    weights = [1 / (i + 1) ** 1.1 for i in range(orgs)]
    MockGithub.sizes = [max(1, round(w / sum(weights) * total)) for w in weights]
    MockGithub.requests = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), MockGithub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    workdir = tempfile.mkdtemp(prefix="ohs-bench-extract-")
    config = os.path.join(workdir, "bench.toml")
    with open(config, "w", encoding="utf-8") as f:
        # Listings only: the per-repository endpoints cost one request per repository
        # (README, "Scale and cost"); this measures what pagination costs.
        f.write("[extract]\nlicence_texts = false\nlanguages_by_bytes = false\n\n")
        f.write("[github]\nrequests_per_second = 200\nconcurrency = 8\n\n")
        f.writelines(f'[[orgs]]\nlogin = "synth-org-{i}"\n' for i in range(orgs))
    seconds, rss = run_measured([ohs, "extract", "-q", "--config", config, "--lake", os.path.join(workdir, "lake"),
                                 "--github-api", f"http://127.0.0.1:{server.server_address[1]}",
                                 "--snapshot-date", "2024-01-01"], workdir)
    server.shutdown()
    shutil.rmtree(workdir)
    minimum = sum(max(1, math.ceil(n / 100)) for n in MockGithub.sizes) + orgs
    return sum(MockGithub.sizes), MockGithub.requests, minimum, seconds, rss


def write_results(results, extractions):
    version = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"], capture_output=True,
                             text=True).stdout.strip()
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (benches/bench.py); do not edit by hand.",
        "",
        f"- machine: {machine()}",
        f"- ohs: commit {version}, release profile; DuckDB {duckdb.__version__} (Python package)",
        f"- data: synthetic bronze (examples/synth.rs), {SNAPSHOTS} daily snapshots, skewed org sizes, churn;",
        "  listings only (no licence-file or language answers, so those tables stay empty)",
        "- ohs: `ohs transform --all-snapshots`: parse bronze JSON, write silver, compute all eight gold",
        "  tables and the site CSV, write Parquet; wall time and peak RSS of the process",
        "- DuckDB: `org_snapshot_counts` and `org_latest` from the same silver Parquet with the same",
        "  `sql/gold/*.sql` files (it starts from silver, so it does strictly less work)",
        "",
        "- DuckDB from bronze: the same two tables from the same bronze JSON pages (read_json with",
        "  the columns the models read, non-public dropped, duplicates kept once), like for like",
        "  but for SPDX licence facts, checksums and writing silver, which DuckDB skips",
        "",
        "| rows | orgs | bronze MiB | ohs s | ohs peak RSS MiB | DuckDB s (from silver) | ratio ohs/DuckDB "
        "| DuckDB s (from bronze) | ratio ohs/DuckDB from bronze |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for rows, orgs, bronze, ours, rss, theirs, ratio, from_bronze, ratio_bronze in results:
        lines.append(f"| {rows:,} | {orgs} | {bronze:.1f} | {ours:.2f} | {rss:.0f} | {theirs:.2f} | {ratio:.2f} "
                     f"| {from_bronze:.2f} | {ratio_bronze:.2f} |")
    lines += [
        "",
        "Extraction against a mock GitHub on 127.0.0.1 (benches/bench.py), paced at 200 requests/s",
        "with 8 orgs at once; the minimum is one `GET /orgs/{org}` plus one request per page of 100:",
        "",
        "| orgs | repositories | requests | minimum | requests / minimum | wall s | pacing floor s | peak RSS MiB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for orgs, repos, made, minimum, seconds, rss in extractions:
        lines.append(f"| {orgs} | {repos:,} | {made} | {minimum} | {made / minimum:.2f} | {seconds:.1f} | "
                     f"{minimum / 200:.1f} | {rss:.0f} |")
    with open(os.path.join(ROOT, "benches/RESULTS.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
