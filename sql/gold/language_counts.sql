-- language_counts: how many kept repositories have each primary language, per
-- organisation and over all organisations (org_login is null), with their share.
-- grain: one row per snapshot_date, org_login (null = all) and language (null = none)
-- key: (snapshot_date, org_login, language)

with

kept_repos as (
    select * from int_kept_repos
),

org_language_counts as (
    select
        snapshot_date,
        org_login,
        language_normalised as language,
        count(*) as repositories
    from kept_repos
    group by snapshot_date, org_login, language_normalised
),

org_totals as (
    select * from int_kept_org_totals
),

all_language_counts as (
    select
        snapshot_date,
        language_normalised as language,
        count(*) as repositories
    from kept_repos
    group by snapshot_date, language_normalised
),

all_totals as (
    select * from int_kept_totals
),

org_shares as (
    select
        org_language_counts.snapshot_date as snapshot_date,
        org_language_counts.org_login as org_login,
        org_language_counts.language as language,
        org_language_counts.repositories as repositories,
        cast(org_language_counts.repositories as double)
        / org_totals.total_repositories as share
    from org_language_counts
    inner join org_totals
        on
            org_totals.snapshot_date = org_language_counts.snapshot_date
            and org_totals.org_login = org_language_counts.org_login
),

all_shares as (
    select
        all_language_counts.snapshot_date as snapshot_date,
        cast(null as varchar) as org_login,
        all_language_counts.language as language,
        all_language_counts.repositories as repositories,
        cast(all_language_counts.repositories as double)
        / all_totals.total_repositories as share
    from all_language_counts
    inner join all_totals
        on all_totals.snapshot_date = all_language_counts.snapshot_date
),

final as (
    select * from org_shares
    union all
    select * from all_shares
)

select * from final
order by snapshot_date, org_login, language
