-- language_counts: how many kept repositories have each primary language, per
-- organisation and over all organisations (org_login is null), with their share.
-- grain: one row per snapshot_date, org_login (null = all) and language (null = none)
-- key: (snapshot_date, org_login, language)

with

scoped_repos as (
    select * from {{ ref('int_kept_repos_by_scope') }}
),

scope_totals as (
    select * from {{ ref('int_kept_scope_totals') }}
),

language_counts as (
    select
        snapshot_date,
        scope,
        language_normalised as language,
        count(*) as repositories
    from scoped_repos
    group by snapshot_date, scope, language_normalised
),

final as (
    select
        language_counts.snapshot_date as snapshot_date,
        nullif(language_counts.scope, '') as org_login,
        language_counts.language as language,
        language_counts.repositories as repositories,
        cast(language_counts.repositories as double)
        / scope_totals.total_repositories as share
    from language_counts
    inner join scope_totals using (snapshot_date, scope)
)

select * from final
order by snapshot_date, org_login, language
