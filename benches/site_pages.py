"""`make bench`'s site rows: the pages at 30, 200 and 2,000 organisations (issue 30).

For each size, one snapshot of synthetic bronze (examples/synth.rs, full repository objects
and every per-repository answer, org sizes skewed so the largest holds about 12%), then
`ohs transform`, which stages the index and a page per organisation. Measured: the index's
bytes, the organisation pages' (how many, the largest, all together), the report's steps
(`ohs -v`), and how long headless Chromium takes to have each page ready (its load event,
after the page's own script drew the chart: median of five loads from disk).
"""
import os
import statistics
import subprocess
import tempfile

from measure import run_measured, set_aside

DATE = "2024-01-01"
SIZES = [(30, 2_000), (200, 100_000), (2_000, 100_000)]
# The targets of issue 30, at 2,000 organisations and 100,000 repositories.
MAX_INDEX_BYTES = 1_000_000
MAX_READY_SECONDS = 1.0
LOADS = 5
# A laptop screen: what is first shown, and what the browser lays out before anything below.
HEIGHT = 800

# Appended to a copy of a page: at its load event (after the page's own script ran) it
# writes the milliseconds since navigation began where --dump-dom shows them.
TIMER = ("<script>window.addEventListener('load', function () { var p = document.createElement('pre');"
         " p.id = 'ready-ms'; p.textContent = performance.now(); document.body.appendChild(p); });"
         "</script></body>")


class Result:
    """One size's pages."""

    def __init__(self, orgs, repos, index_bytes, pages, ready, steps, shared):
        self.orgs, self.repos, self.index_bytes = orgs, repos, index_bytes
        self.page_count = len(pages)
        self.largest_page = max(pages)
        self.pages_bytes = sum(pages) + shared
        self.index_ready, self.largest_ready = ready
        self.steps = steps


def ready_seconds(page, workdir):
    """Median seconds headless Chromium takes to load `page` from disk, script run."""
    copy = os.path.join(os.path.dirname(page), "timed-" + os.path.basename(page))
    with open(page, encoding="utf-8") as f:
        html = f.read()
    with open(copy, "w", encoding="utf-8") as f:
        f.write(html.replace("</body>", TIMER, 1))
    times = []
    for run in range(LOADS):
        profile = os.path.join(workdir, f"profile-{run}")
        out = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                              "--disable-background-networking", "--disable-component-update",
                              "--no-first-run", f"--window-size=1280,{HEIGHT}",
                              f"--user-data-dir={profile}", "--dump-dom", f"file://{copy}"],
                             capture_output=True, text=True, check=True)
        found = out.stdout.split('<pre id="ready-ms">', 1)[1].split("</pre>", 1)[0]
        times.append(float(found) / 1000)
    os.remove(copy)
    return statistics.median(times)


def run(ohs, synth):
    """Every size's Result."""
    results = []
    for orgs, repos in SIZES:
        workdir = tempfile.mkdtemp(prefix=f"ohs-bench-site-{orgs}-")
        lake = os.path.join(workdir, "lake")
        subprocess.run([synth, "--lake", lake, "--rows", str(repos), "--orgs", str(orgs),
                        "--snapshots", "1", "--start", DATE, "--seed", "7", "--largest-share", "0.12",
                        "--full-objects", "--answers"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        config = os.path.join(workdir, "bench.toml")
        with open(config, "w", encoding="utf-8") as f:
            f.write('[[orgs]]\nlogin = "synth-org-0"\n')
        measured = run_measured([ohs, "-v", "--log-format", "json", "transform", "--snapshot-date", DATE,
                                 "--config", config, "--lake", lake], workdir)
        site = os.path.join(lake, "staging", f"snapshot_date={DATE}", "site")
        index = os.path.join(site, "index.html")
        pages = {os.path.join(d, f): os.path.getsize(os.path.join(d, f))
                 for d, _, fs in os.walk(os.path.join(site, "orgs")) for f in fs}
        largest = max(pages, key=pages.get)
        ready = (ready_seconds(index, workdir), ready_seconds(largest, workdir))
        steps = {step: s for (stage, step), s in measured.steps.items() if stage == "report"}
        # The pages share one copy of the site's style and script: counted once, with them.
        shared = sum(os.path.getsize(os.path.join(site, f)) for f in ("style.css", "script.js"))
        result = Result(orgs, repos, os.path.getsize(index), list(pages.values()), ready, steps, shared)
        results.append(result)
        print(f"site {orgs:>5} orgs {repos:>7,} repos: index {result.index_bytes / 1e6:.2f} MB ready in "
              f"{result.index_ready:.2f} s; {result.page_count} organisation pages, the largest "
              f"{result.largest_page / 1e6:.2f} MB ready in {result.largest_ready:.2f} s", flush=True)
        set_aside(workdir)
    return results


def markdown(results):
    """benches/RESULTS.md's site section."""
    lines = [
        "",
        "The site (benches/site_pages.py): one snapshot of synthetic bronze (full objects, every answer, the",
        "largest org 12% of the repositories), `ohs transform`, then the staged pages: the index, and a",
        "page per organisation listing every one of its repositories (\"all pages\": with the one copy of",
        "the style and script they share). Ready: headless Chromium's load event, after the page's own",
        "script drew its chart (median of five loads from disk, a 1280 by 800 window).",
        "",
        "| orgs | repositories | index MB | index ready s | organisation pages | largest page MB | largest ready s | all pages MB | report: render s | report: organisation pages s |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(f"| {r.orgs:,} | {r.repos:,} | {r.index_bytes / 1e6:.2f} | {r.index_ready:.2f} | "
                     f"{r.page_count:,} | {r.largest_page / 1e6:.2f} | {r.largest_ready:.2f} | "
                     f"{r.pages_bytes / 1e6:.1f} | {r.steps.get('render', 0.0):.3f} | "
                     f"{r.steps.get('organisation pages', 0.0):.3f} |")
    at_scale = [r for r in results if r.orgs == 2_000]
    if at_scale:
        r = at_scale[0]
        size_met = r.index_bytes <= MAX_INDEX_BYTES
        ready_met = r.index_ready < MAX_READY_SECONDS
        lines += [
            "",
            "The targets of issue 30, at 2,000 organisations and 100,000 repositories:",
            "",
            "| target | measured | met |",
            "| --- | ---: | --- |",
            f"| index <= 1 MB | {r.index_bytes / 1e6:.2f} MB | {'met' if size_met else '**not met**'} |",
            f"| index ready in headless Chromium < 1 s | {r.index_ready:.2f} s | "
            f"{'met' if ready_met else '**not met**'} |",
        ]
    return lines


if __name__ == "__main__":
    import sys
    print("\n".join(markdown(run(os.path.join(sys.argv[1], "ohs"),
                                 os.path.join(sys.argv[1], "examples", "synth")))))
