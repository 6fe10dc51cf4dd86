"""The like-for-like baseline of `make bench`: ohs's transform done by DuckDB, as a user's
script would do it (the Python package, one process, threads = cores).

From the same bronze to the same outputs: silver repos, orgs and repo_languages as Parquet
(zstd, the same row groups), every gold table from the same `sql/gold/*.sql` files,
`org_repos_daily` and the site CSV from SQL (a running arg-max over cumulative counts gives
each day's top language and licence). `check` then compares every output with ohs's, so the
baseline is known to do the whole job.

Where bronze holds per-repository answers, it applies them as ohs does
(src/transform/details.rs): each repository's first answer with a body, among the
repositories in silver. Languages answers (bytes per language) become silver
`repo_languages`, shares over the repository's bytes; GitHub's answer names no primary
language, so the listing's stays, as in ohs. A licence answer's file is decoded from base64
and hashed; its SHA-256 gives the licence identified from the text. The synthetic lakes have
answers for every org or for none, so the job does not check, as ohs does, that every org has
them before using any.

Reference tables a DuckDB user would load from files are taken from ohs's silver before the
clock starts: Linguist's language types, the SPDX licence facts and the configured language
renames. So is what identifying a licence text needs, a detector DuckDB lacks: each text's
SHA-256 -> the SPDX id ohs identified and its confidence (silver `licence_texts`). What only
ohs does: check every page against its checksum and each org's completeness, identify
licence texts, write the build record and silver `licence_texts`, draw each snapshot's page.
`verify` does the first of those as such a script would, with Python's hashlib (OpenSSL's
SHA-256, through the CPU's SHA extensions where it has them) on a thread per core: `make bench`
times it apart from the job, so the job's own figure stays comparable with earlier runs.
"""
import csv
import glob
import hashlib
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "duckdb"))
from compare import resolve_refs  # noqa: E402  (one rule for dbt's calls, as the tests use)

ROW_GROUP = 122_880
PARQUET = f"(format parquet, compression zstd, row_group_size {ROW_GROUP}, partition_by (snapshot_date))"

# Every field of the listing that silver keeps, typed as GitHub sends it.
PAGES = """
read_json('lake/bronze/github/repos/*/*/page-????.json', format = 'array',
    hive_partitioning = true, filename = true,
    columns = {id: 'BIGINT', name: 'VARCHAR', full_name: 'VARCHAR', html_url: 'VARCHAR',
        owner: 'STRUCT(login VARCHAR, html_url VARCHAR)', private: 'BOOLEAN',
        visibility: 'VARCHAR', fork: 'BOOLEAN', archived: 'BOOLEAN', created_at: 'TIMESTAMPTZ',
        pushed_at: 'TIMESTAMPTZ', language: 'VARCHAR',
        license: 'STRUCT(key VARCHAR, name VARCHAR, spdx_id VARCHAR)',
        stargazers_count: 'BIGINT', forks_count: 'BIGINT', open_issues_count: 'BIGINT',
        topics: 'VARCHAR[]'})
"""

# An org's answers file holds up to a repository's answers; the largest of 1e6 are ~150 MB.
MAX_ANSWERS_FILE = 2**30


def answers(endpoint, body):
    """One row per stored answer of `endpoint` (snapshot_date, org, response), its body read
    as `body`; no rows when bronze has none."""
    pattern = f"lake/bronze/github/{endpoint}/*/*/responses.json"
    response = f"STRUCT(repo_id BIGINT, body {body})"
    if not glob.glob(pattern):
        return f"(select null::date as snapshot_date, null::varchar as org, null::{response} as response limit 0)"
    return f"""(select snapshot_date, org, unnest(responses) as response
        from read_json('{pattern}', hive_partitioning = true,
            maximum_object_size = {MAX_ANSWERS_FILE}, columns = {{responses: '{response}[]'}}))"""


def first_answers(endpoint, body, repos):
    """Each repository's first answer with a body (orgs in login order), of those in `repos`."""
    return f"""
    select snapshot_date, response.repo_id as repo_id, response.body as body
    from {answers(endpoint, body)} as stored
    where response.body is not null
        and exists (select 1 from {repos} as r where r.snapshot_date = stored.snapshot_date
                    and r.repo_id = stored.response.repo_id)
    qualify row_number() over (partition by snapshot_date, response.repo_id order by org) = 1
    """


def silver_repos(licence_answers):
    """Public repositories, each once per snapshot (the first listed: orgs in login order, then
    pages in order), with the columns and order of ohs's silver repos, and the licence
    identified from the text of each licence answer."""
    return f"""
create table silver_repos as
with listed as (
    select *, org as org_login, id as repo_id from {PAGES}
    where not coalesce(private, false) and coalesce(visibility, 'public') = 'public'
    qualify row_number() over (partition by snapshot_date, id order by filename) = 1
),
licence_files as ({licence_answers}),
detected as (
    select licence_files.snapshot_date, licence_files.repo_id, licence_detections.spdx_id,
        licence_detections.confidence
    from licence_files
    left join licence_detections on licence_detections.text_sha256 = sha256(
        case when body.encoding = 'base64'
            then from_base64(regexp_replace(coalesce(body.content, ''), '\\s', '', 'g'))
            else encode(coalesce(body.content, '')) end)
)
select
    listed.org_login, 'github' as forge, listed.repo_id, name, full_name, html_url,
    owner.login as owner_login, owner.html_url as owner_html_url,
    fork as is_fork, coalesce(private, false) as is_private,
    coalesce(archived, false) as is_archived, visibility, created_at,
    created_at::date > listed.snapshot_date as created_after_snapshot, pushed_at,
    listed.language, languages.language_normalised, languages.language_type,
    license.key as license_key, license.name as license_name,
    license.spdx_id as license_spdx_id,
    licences.license_spdx_current, licences.license_family, licences.license_osi_approved,
    licences.license_fsf_libre,
    detected.spdx_id as license_detected_spdx_id,
    detected.confidence as license_detection_confidence,
    stargazers_count, forks_count, open_issues_count, coalesce(topics, []) as topics,
    listed.snapshot_date
from listed
left join languages on languages.language = listed.language
left join licences
    on licences.has_licence = (listed.license is not null)
    and licences.spdx_id is not distinct from listed.license.spdx_id
left join detected
    on detected.snapshot_date = listed.snapshot_date and detected.repo_id = listed.repo_id
order by snapshot_date, org_login, repo_id
"""

# Each member org: named as its first repository's owner spells it, else as its manifest.
SILVER_ORGS = """
create table silver_orgs as
with members as (
    select snapshot_date, org as org_login, canonical_login
    from read_json('lake/bronze/github/repos/*/*/_manifest.json', hive_partitioning = true,
        columns = {canonical_login: 'VARCHAR'})
),
owners as (
    select snapshot_date, org_login, arg_min(owner_login, repo_id) as organisation,
        arg_min(owner_html_url, repo_id) as url
    from silver_repos
    group by all
)
select
    members.snapshot_date, members.org_login, 'github' as forge,
    coalesce(owners.organisation, members.canonical_login, members.org_login) as organisation,
    members.org_login as display_name,
    coalesce(owners.url, 'https://github.com/'
        || coalesce(members.canonical_login, members.org_login)) as url
from members
left join owners using (snapshot_date, org_login)
order by snapshot_date, org_login
"""


def silver_languages(languages_answers):
    """Each repository's bytes per language, renamed by the language map, with its share of
    the repository's bytes (none when it has no bytes)."""
    return f"""
create table silver_repo_languages as
with sizes as (
    select snapshot_date, repo_id, unnest(map_entries(body)) as size
    from ({languages_answers})
)
select
    snapshot_date, 'github' as forge, repo_id, size.key as language,
    coalesce(renames.language_normalised, size.key) as language_normalised,
    size.value as bytes,
    case when total > 0 then size.value / total end as share
from (select *, cast(sum(size.value) over (partition by snapshot_date, repo_id) as double) as total
      from sizes)
left join renames on renames.language = size.key
order by snapshot_date, forge, repo_id, language
"""

# The site series: one row per org per day a kept repository was created, and one at the
# snapshot date. A day's top is the running arg-max of (count so far, name) over every
# earlier count of a name: counts only grow, so the largest pair seen is the current top.
ORG_REPOS_DAILY = """
create table org_repos_daily as
with
kept as (
    select snapshot_date, org_login, created_at::date as day, language_normalised as language,
        license_name as licence
    from int_kept_repos
),
days as (
    select snapshot_date, org_login, day, count(*) as created from kept group by all
    union all
    select snapshot_date, org_login, snapshot_date, 0 from silver_orgs
),
counts as (
    select snapshot_date, org_login, day, cast(sum(created) as bigint) as created
    from days group by all
),
language_counts as (
    select snapshot_date, org_login, day, language, count(*) as n
    from kept where language is not null group by all
),
licence_counts as (
    select snapshot_date, org_login, day, licence, count(*) as n
    from kept where licence is not null group by all
),
events as (
    select snapshot_date, org_login, day, created,
        null::struct(n bigint, name varchar) as language, null::struct(n bigint, name varchar) as licence
    from counts
    union all
    select snapshot_date, org_login, day, 0,
        {'n': cast(sum(n) over (partition by snapshot_date, org_login, language order by day) as bigint),
         'name': language},
        null
    from language_counts
    union all
    select snapshot_date, org_login, day, 0, null,
        {'n': cast(sum(n) over (partition by snapshot_date, org_login, licence order by day) as bigint),
         'name': licence}
    from licence_counts
),
running as (
    select snapshot_date, org_login, day,
        cast(sum(created) over w as bigint) as open_repositories,
        max(language) over w as top_language,
        max(licence) over w as top_license
    from events
    window w as (partition by snapshot_date, org_login order by day
        range between unbounded preceding and current row)
)
select distinct
    running.snapshot_date, silver_orgs.organisation, silver_orgs.forge, running.day as date,
    running.open_repositories, running.top_language.name as top_language,
    running.top_license.name as top_license, silver_orgs.url
from running
join silver_orgs using (snapshot_date, org_login)
where running.day <= running.snapshot_date
order by running.snapshot_date, organisation, date
"""

# The CSV escapes what a spreadsheet would run as a formula, as ohs's does.
SITE_CSV = """
copy (
    select
        {safe}(organisation) as "Organisation", strftime(date, '%Y-%m-%d') as "Date",
        open_repositories as "Open Repositories", {safe}(top_language) as "Top Language",
        {safe}(top_license) as "Top License", {safe}(url) as "URL"
    from org_repos_daily where snapshot_date = '{date}' order by organisation, date
) to '{path}' (header, delimiter ',', quote '"')
"""


def lookups(con):
    """Linguist's language types, the SPDX facts, the language renames and the licence
    identified in each licence file text, as reference tables (from ohs's silver)."""
    con.execute("""
        create table languages as
        select distinct language, language_normalised, language_type
        from read_parquet('lake/silver/repos/*/*.parquet') where language is not null;
        create table licences as
        select distinct license_key is not null as has_licence, license_spdx_id as spdx_id,
            license_spdx_current, license_family, license_osi_approved, license_fsf_libre
        from read_parquet('lake/silver/repos/*/*.parquet');
        create table renames as
        select distinct language, language_normalised from (
            select language, language_normalised from read_parquet('lake/silver/repos/*/*.parquet')
            union all
            select language, language_normalised
            from read_parquet('lake/silver/repo_languages/*/*.parquet'))
        where language <> language_normalised;
        create table licence_detections as
        select distinct text_sha256, license_detected_spdx_id as spdx_id,
            license_detection_confidence as confidence
        from read_parquet('lake/silver/licence_texts/*/*.parquet');
        create macro safe(value) as
            case when regexp_matches(value, '^[=+\\-@\\t\\r]') then '''' || value else value end;
    """)


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def verify(lake):
    """Checks bronze as ohs does before reading it: every org complete (a sidecar per page its
    manifest counts, their checksums the manifest's), every page and answers file matching
    the checksum that vouches for it. Returns its wall time in seconds; raises naming the
    first file that fails."""
    start = time.perf_counter()
    vouched = []  # (path, sha256) of every file whose bytes are to be checked
    for manifest_path in glob.glob(f"{lake}/bronze/*/repos/*/org=*/_manifest.json"):
        folder = os.path.dirname(manifest_path)
        with open(manifest_path, encoding="utf-8") as f:
            manifest = json.load(f)
        checksums = []
        for n in range(1, manifest["pages"] + 1):
            with open(f"{folder}/page-{n:04}.meta.json", encoding="utf-8") as f:
                checksums.append(json.load(f)["sha256"])
            vouched.append((f"{folder}/page-{n:04}.json", checksums[-1]))
        if hashlib.sha256("\n".join(checksums).encode()).hexdigest() != manifest["sha256"]:
            raise AssertionError(f"{manifest_path}: pages do not match the manifest's checksum")
        forge, _, snapshot, org = os.path.relpath(folder, f"{lake}/bronze").split(os.sep)
        for section, endpoint in [("licences", "license"), ("languages", "languages")]:
            if section in manifest:
                answers = os.path.join(lake, "bronze", forge, endpoint, snapshot, org, "responses.json")
                vouched.append((answers, manifest[section]["sha256"]))
    with ThreadPoolExecutor(len(os.sched_getaffinity(0))) as pool:
        found = pool.map(sha256_of, [path for path, _ in vouched], chunksize=16)
        for (path, expected), actual in zip(vouched, found):
            if actual != expected:
                raise AssertionError(f"{path}: bytes do not match their checksum")
    return time.perf_counter() - start


def run(con, root, out):
    """The whole job; returns its wall time in seconds."""
    def model(name):
        with open(os.path.join(root, f"sql/gold/{name}.sql"), encoding="utf-8") as f:
            return resolve_refs(f.read())

    gold = sorted(n[:-4] for n in os.listdir(os.path.join(root, "sql/gold"))
                  if n.endswith(".sql") and not n.startswith("int_"))
    intermediate = ["int_snapshot_repos", "int_kept_repos", "int_kept_repos_by_scope",
                    "int_kept_scope_totals", "int_language_ranks", "int_repo_topics"]
    for layer in ["silver", "gold", "site"]:
        os.makedirs(os.path.join(out, layer), exist_ok=True)
    start = time.perf_counter()
    con.execute(f"set threads = {len(os.sched_getaffinity(0))}")
    con.execute("set timezone = 'UTC'")
    licence_answers = first_answers("license", "STRUCT(content VARCHAR, encoding VARCHAR)", "listed")
    con.execute(silver_repos(licence_answers))
    con.execute(SILVER_ORGS)
    languages_answers = first_answers("languages", "MAP(VARCHAR, BIGINT)", "silver_repos")
    con.execute(silver_languages(languages_answers))
    for table in ["repos", "orgs", "repo_languages"]:
        con.execute(f"copy silver_{table} to '{out}/silver/{table}' {PARQUET}")
    for name in intermediate:
        con.execute(f"create view {name} as {model(name)}")
    con.execute(ORG_REPOS_DAILY)
    con.execute(f"copy org_repos_daily to '{out}/gold/org_repos_daily' {PARQUET}")
    for name in gold:
        con.execute(f"copy ({model(name)}) to '{out}/gold/{name}' {PARQUET}")
    for (date,) in con.sql("select distinct snapshot_date from silver_orgs").fetchall():
        path = f"{out}/site/snapshot_date={date}"
        os.mkdir(path)
        con.execute(SITE_CSV.format(safe="safe", date=date, path=f"{path}/org_repos_agg.csv"))
    return time.perf_counter() - start


def check(con, root, out):
    """Every output DuckDB wrote equals ohs's for every snapshot; raises naming the first that
    differs. Doubles are compared to 12 significant digits (the two sum in other orders)."""
    gold = sorted(n[:-4] for n in os.listdir(os.path.join(root, "sql/gold"))
                  if n.endswith(".sql") and not n.startswith("int_"))
    pairs = [(f"silver/{t}", f"'lake/silver/{t}/*/*.parquet'") for t in ["repos", "orgs", "repo_languages"]]
    pairs += [(f"gold/{t}", f"'lake/staging/*/gold/{t}/part-0.parquet'") for t in ["org_repos_daily"] + gold]
    for ours_dir, theirs in pairs:
        ohs = f"read_parquet({theirs}, hive_partitioning = false)"
        if not glob.glob(f"{out}/{ours_dir}/*/*.parquet"):
            # DuckDB writes no partition of an empty table.
            rows = con.sql(f"select count(*) from {ohs}").fetchone()[0]
            if rows:
                raise AssertionError(f"{ours_dir}: {rows} rows only in ohs")
            continue
        duck = f"read_parquet('{out}/{ours_dir}/*/*.parquet', hive_partitioning = true)"
        columns = con.sql(f"describe select * from {ohs}").fetchall()
        select = ", ".join(
            f"round({name}, 12 - cast(ceil(log10(abs({name}) + 1e-300)) as int))" if dtype == "DOUBLE"
            else name for name, dtype, *_ in columns)
        for a, b, side in [(ohs, duck, "only in ohs"), (duck, ohs, "only in DuckDB")]:
            rows = con.sql(f"select count(*) from (select {select} from {a} except all "
                           f"select {select} from {b})").fetchone()[0]
            if rows:
                raise AssertionError(f"{ours_dir}: {rows} rows {side}")
    for (date,) in con.sql(f"select distinct snapshot_date from read_parquet('{out}/silver/orgs/*/*.parquet', "
                           "hive_partitioning = true)").fetchall():
        # The same cells: DuckDB quotes a few more of them (such as C#) than it needs to.
        ours = read_csv(f"lake/staging/snapshot_date={date}/site/org_repos_agg.csv")
        theirs = read_csv(f"{out}/site/snapshot_date={date}/org_repos_agg.csv")
        if ours != theirs:
            raise AssertionError(f"site CSV of {date} differs")


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))
