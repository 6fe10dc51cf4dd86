"""What extraction costs at the wider field's scale, in requests and GraphQL points: three
days of 2,000 organisations and 100,000 repositories (skewed sizes) from a mock of GitHub's
documented REST and GraphQL shapes served on 127.0.0.1.

Day 1 is a first run with a token; day 2 has the same token; day 3 a new one (an App's
hourly token: every ETag of the day before is stale). Between days 2% of the repositories
are pushed (pushed_at and size move, and their languages change). The mock follows GitHub's
rules: ETags per token and content (a 304 only for the same token and an unchanged answer),
GraphQL's price (the connection requests a query may need, / 100, at least 1), `nodes(ids:)`
of at most 100. The hours of budget are computed from the limits (5,000 REST requests and
5,000 GraphQL points an hour; an authorised 304 is free), not slept.

Used by bench.py; alone: python benches/extract_cost.py OHS_BINARY [ORGS REPOS]
"""
import hashlib
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from measure import set_aside

REST_PER_HOUR = 5000
POINTS_PER_HOUR = 5000
PUSHED_SHARE = 0.02


class World:
    """The organisations and repositories the mock serves, and what each day changed."""

    def __init__(self, orgs, total, seed=11):
        weights = [1 / (i + 1) ** 1.1 for i in range(orgs)]
        self.sizes = [max(1, round(w / sum(weights) * total)) for w in weights]
        self.version = {}  # repo id -> times pushed
        self.rng = random.Random(seed)
        self.ids = [org * 1_000_000 + i for org, size in enumerate(self.sizes) for i in range(size)]

    def push(self, share):
        pushed = self.rng.sample(self.ids, max(1, int(len(self.ids) * share)))
        for repo_id in pushed:
            self.version[repo_id] = self.version.get(repo_id, 0) + 1
        return set(pushed)

    def repo(self, org, i):
        repo_id = org * 1_000_000 + i
        v = self.version.get(repo_id, 0)
        other = i % 25 == 3  # 4% "Other"
        licence = ({"key": "other", "name": "Other", "spdx_id": "NOASSERTION"} if other
                   else {"key": "mit", "name": "MIT License", "spdx_id": "MIT"})
        return {"id": repo_id, "node_id": f"R_{repo_id}", "name": f"r{i}",
                "full_name": f"synth-org-{org}/r{i}", "html_url": f"https://github.com/synth-org-{org}/r{i}",
                "private": False, "fork": False, "default_branch": "main", "size": 100 + v,
                "owner": {"login": f"synth-org-{org}", "html_url": f"https://github.com/synth-org-{org}"},
                "created_at": "2020-01-01T00:00:00Z", "pushed_at": f"2021-0{1 + min(v, 8)}-01T00:00:00Z",
                "language": "Python", "license": licence,
                "stargazers_count": 0, "forks_count": 0, "open_issues_count": 0}

    def languages(self, repo_id):
        v = self.version.get(repo_id, 0)
        return {"Python": 1000 + v, "Shell": 10}


class Counts:
    def __init__(self):
        self.lock = threading.Lock()
        self.by_kind = {}

    def add(self, kind, n=1):
        with self.lock:
            self.by_kind[kind] = self.by_kind.get(kind, 0) + n


def handler(world, counts):
    class Mock(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def token(self):
            return self.headers.get("authorization", "")

        def reply(self, status, body=None, etag=None, link=None):
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("x-ratelimit-limit", "5000")
            self.send_header("x-ratelimit-remaining", "4999")
            self.send_header("x-ratelimit-reset", str(int(time.time()) + 3600))
            if etag:
                self.send_header("etag", etag)
            if link:
                self.send_header("link", link)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def conditional(self, kind, body, link=None):
            content = json.dumps(body, sort_keys=True)
            etag = '"' + hashlib.sha256((self.token() + content).encode()).hexdigest()[:20] + '"'
            if self.headers.get("if-none-match") == etag:
                counts.add(kind + " 304")
                return self.reply(304, etag=etag, link=link)
            counts.add(kind)
            self.reply(200, body, etag=etag, link=link)

        def do_GET(self):
            path, _, query = self.path.partition("?")
            page = int(dict(p.split("=") for p in query.split("&") if "=" in p).get("page", "1"))
            if m := re.fullmatch(r"/orgs/synth-org-(\d+)", path):
                org = int(m.group(1))
                return self.conditional("orgs", {"login": f"synth-org-{org}", "id": org,
                                                 "public_repos": world.sizes[org]})
            if m := (re.fullmatch(r"/orgs/synth-org-(\d+)/repos", path)
                     or re.fullmatch(r"/organizations/(\d+)/repos", path)):
                org = int(m.group(1))
                size = world.sizes[org]
                pages = max(1, math.ceil(size / 100))
                body = [world.repo(org, i) for i in range((page - 1) * 100, min(size, page * 100))]
                link = None
                if page < pages:
                    port = self.server.server_address[1]
                    link = (f"<http://127.0.0.1:{port}/organizations/{org}/repos?type=public&per_page=100"
                            f"&page={page + 1}>; rel=\"next\"")
                return self.conditional("listing pages", body, link)
            if m := re.fullmatch(r"/repos/synth-org-(\d+)/r(\d+)/(languages|license)", path):
                org, i, endpoint = int(m.group(1)), int(m.group(2)), m.group(3)
                repo_id = org * 1_000_000 + i
                if endpoint == "languages":
                    return self.conditional("REST per repository", world.languages(repo_id))
                return self.conditional("REST per repository", {
                    "path": "LICENSE", "content": "T0dMIFYz", "encoding": "base64"})
            counts.add("404")
            self.reply(404, {"message": "Not Found"})

        def do_POST(self):
            length = int(self.headers.get("content-length", "0"))
            request = json.loads(self.rfile.read(length))
            ids, others = request["variables"]["ids"], request["variables"]["others"]
            assert len(ids) <= 100 and len(others) <= 100
            nodes = []
            for node_id in ids:
                repo_id = int(node_id[2:])
                langs = world.languages(repo_id)
                nodes.append({"databaseId": repo_id, "licenseInfo": None, "languages": {
                    "totalCount": len(langs), "totalSize": sum(langs.values()),
                    "edges": [{"size": s, "node": {"name": n}} for n, s in langs.items()]}})
            other_nodes = [{"databaseId": int(node_id[2:]),
                            "root": {"entries": [{"name": "README.md", "mode": 33188},
                                                 {"name": "LICENSE", "mode": 33188}]},
                            "f0": {"text": "OGL V3", "isBinary": False, "isTruncated": False,
                                   "byteSize": 6}}
                           for node_id in others]
            # GitHub's price: the connection requests the query may need, / 100, at least 1.
            cost = max(1, round((1 + len(ids)) / 100))
            counts.add("GraphQL queries")
            counts.add("GraphQL points", cost)
            self.reply(200, {"data": {"repos": nodes, "others": other_nodes, "rateLimit": {
                "cost": cost, "remaining": 4000, "resetAt": "2099-01-01T00:00:00Z"}}})

    return Mock


def run_day(ohs, config, lake, date, token, port, workdir):
    env = dict(os.environ, GITHUB_TOKEN=token)
    started = time.perf_counter()
    out = subprocess.run([ohs, "extract", "-q", "--config", config, "--lake", lake,
                          "--github-api", f"http://127.0.0.1:{port}", "--snapshot-date", date],
                         cwd=workdir, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"ohs extract failed ({out.returncode}): {out.stderr[-2000:]}")
    return time.perf_counter() - started


def measure(ohs, orgs=2000, total=100_000):
    """Rows of (day, what it needs at least, counts by kind, budget hours)."""
    world = World(orgs, total)
    counts = Counts()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(world, counts))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    workdir = tempfile.mkdtemp(prefix="ohs-bench-cost-")
    config = os.path.join(workdir, "bench.toml")
    with open(config, "w", encoding="utf-8") as f:
        f.write("[github]\nrequests_per_second = 500\nconcurrency = 8\n\n")
        f.writelines(f'[[orgs]]\nlogin = "synth-org-{i}"\n' for i in range(orgs))
    lake = os.path.join(workdir, "lake")
    port = server.server_address[1]
    pages = sum(max(1, math.ceil(n / 100)) for n in world.sizes)
    rows = []
    days = [("day 1: first run", "2024-01-01", "token-a", None),
            ("day 2: same token, 2% pushed", "2024-01-02", "token-a", PUSHED_SHARE),
            ("day 3: new token, 2% pushed", "2024-01-03", "token-b", PUSHED_SHARE)]
    for name, date, token, pushed_share in days:
        pushed = world.push(pushed_share) if pushed_share else set(world.ids)
        counts.by_kind = {}
        seconds = run_day(ohs, config, lake, date, token, port, workdir)
        c = dict(counts.by_kind)
        rest = sum(n for k, n in c.items() if k in ("orgs", "listing pages", "REST per repository"))
        free = sum(n for k, n in c.items() if k.endswith(" 304"))
        points = c.get("GraphQL points", 0)
        hours = max(rest / REST_PER_HOUR, points / POINTS_PER_HOUR)
        rows.append({"day": name, "pushed": len(pushed) if pushed_share else 0, "orgs": orgs,
                     "pages": pages, "repos": len(world.ids), "counts": c, "rest": rest, "free_304": free,
                     "points": points, "queries": c.get("GraphQL queries", 0), "hours": hours,
                     "seconds": seconds})
    server.shutdown()
    set_aside(workdir)
    return rows


def check_targets(rows):
    """Each day against its target, as (day, target, met)."""
    first, same, new = rows
    orgs, pages = first["orgs"], first["pages"]
    return [
        (first["day"], f"REST <= {REST_PER_HOUR:,} and points <= {POINTS_PER_HOUR:,}",
         first["rest"] <= REST_PER_HOUR and first["points"] <= POINTS_PER_HOUR),
        (same["day"], "REST: listing pages the pushed repositories changed (the rest 304s), "
         f"no org record and nothing per repository; GraphQL for the {same['pushed']:,} pushed",
         same["counts"].get("REST per repository", 0) == 0
         and same["counts"].get("orgs", 0) == 0
         and same["counts"].get("listing pages", 0) <= min(pages, same["pushed"])
         and same["queries"] <= same["pushed"]),
        (new["day"], f"REST <= listing pages + orgs ({pages + orgs:,}); GraphQL for the {new['pushed']:,} pushed",
         new["rest"] <= pages + orgs and new["queries"] <= new["pushed"]),
    ]


def markdown(rows):
    lines = ["| day | REST requests (orgs / pages / per repository) | 304s (free) | GraphQL queries | points | budget hours |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        c = r["counts"]
        lines.append(f"| {r['day']} | {r['rest']:,} ({c.get('orgs', 0):,} / {c.get('listing pages', 0):,} / "
                     f"{c.get('REST per repository', 0):,}) | {r['free_304']:,} | {r['queries']:,} | "
                     f"{r['points']:,} | {r['hours']:.2f} |")
    lines.append("")
    for day, target, met in check_targets(rows):
        lines.append(f"- {day}: {target}: {'met' if met else 'NOT MET'}")
    return lines


if __name__ == "__main__":
    args = sys.argv[1:]
    sizes = (int(args[1]), int(args[2])) if len(args) == 3 else (2000, 100_000)
    result = measure(args[0], *sizes)
    print("\n".join(markdown(result)))
