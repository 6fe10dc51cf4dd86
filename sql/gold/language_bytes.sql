-- language_bytes: bytes of code in each language over kept repositories, per organisation
-- and over all organisations (org_login is null), with each language's share of the bytes.
-- From GitHub's per-repository language breakdown in bytes (silver_repo_languages), languages
-- normalised as in language_counts. Empty for a snapshot whose breakdown was not collected.
-- grain: one row per snapshot_date, org_login (null = all) and language
-- key: (snapshot_date, org_login, language)

with

kept_repos as (
    select snapshot_date, org_login, forge, repo_id from {{ ref('int_kept_repos') }}
),

repo_languages as (
    select * from {{ source('lake', 'silver_repo_languages') }}
),

kept_bytes as (
    select
        kept_repos.snapshot_date as snapshot_date,
        kept_repos.org_login as org_login,
        repo_languages.language_normalised as language,
        repo_languages.bytes as bytes
    from repo_languages
    inner join kept_repos
        on
            kept_repos.snapshot_date = repo_languages.snapshot_date
            and kept_repos.forge = repo_languages.forge
            and kept_repos.repo_id = repo_languages.repo_id
    -- GitLab gives each language's share, not its bytes: its projects are not in this table.
    where repo_languages.bytes is not null
),

org_language_bytes as (
    select
        snapshot_date,
        org_login,
        language,
        sum(bytes) as bytes
    from kept_bytes
    group by snapshot_date, org_login, language
),

org_totals as (
    select
        snapshot_date,
        org_login,
        sum(bytes) as total_bytes
    from kept_bytes
    group by snapshot_date, org_login
),

all_language_bytes as (
    select
        snapshot_date,
        language,
        sum(bytes) as bytes
    from kept_bytes
    group by snapshot_date, language
),

all_totals as (
    select
        snapshot_date,
        sum(bytes) as total_bytes
    from kept_bytes
    group by snapshot_date
),

org_shares as (
    select
        org_language_bytes.snapshot_date as snapshot_date,
        org_language_bytes.org_login as org_login,
        org_language_bytes.language as language,
        org_language_bytes.bytes as bytes,
        cast(org_language_bytes.bytes as double) / org_totals.total_bytes as share
    from org_language_bytes
    inner join org_totals
        on
            org_totals.snapshot_date = org_language_bytes.snapshot_date
            and org_totals.org_login = org_language_bytes.org_login
),

all_shares as (
    select
        all_language_bytes.snapshot_date as snapshot_date,
        cast(null as string) as org_login,
        all_language_bytes.language as language,
        all_language_bytes.bytes as bytes,
        cast(all_language_bytes.bytes as double) / all_totals.total_bytes as share
    from all_language_bytes
    inner join all_totals
        on all_totals.snapshot_date = all_language_bytes.snapshot_date
),

final as (
    select * from org_shares
    union all
    select * from all_shares
)

select * from final
order by snapshot_date, org_login, language
