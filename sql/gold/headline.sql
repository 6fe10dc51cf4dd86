-- headline: the site's headline facts, computed rather than typed by hand.
-- grain: one row per snapshot_date
-- key: (snapshot_date)

with

orgs as (
    select * from {{ source('lake', 'silver_orgs') }}
),

kept_repos as (
    select * from {{ ref('int_kept_repos') }}
),

org_counts as (
    select
        snapshot_date,
        count(*) as organisations
    from orgs
    group by snapshot_date
),

repo_totals as (
    select
        snapshot_date,
        count(*) as open_repositories
    from kept_repos
    group by snapshot_date
),

repos_by_age as (
    select
        snapshot_date,
        owner_login,
        name,
        created_at,
        row_number() over (
            partition by snapshot_date
            order by created_at asc, repo_id asc
        ) as age_rank
    from kept_repos
),

first_repos as (
    select
        snapshot_date,
        owner_login as first_repo_organisation,
        name as first_repo_name,
        cast(extract(year from created_at) as integer) as first_repo_year
    from repos_by_age
    where age_rank = 1
),

languages_ranked as (
    select
        snapshot_date,
        language,
        language_rank
    from {{ ref('int_language_ranks') }}
    where scope = ''
),

top_languages as (
    select
        snapshot_date,
        max(case when language_rank = 1 then language end) as top_language_1,
        max(case when language_rank = 2 then language end) as top_language_2,
        max(case when language_rank = 3 then language end) as top_language_3
    from languages_ranked
    group by snapshot_date
),

final as (
    select
        org_counts.snapshot_date as snapshot_date,
        org_counts.organisations as organisations,
        coalesce(repo_totals.open_repositories, 0) as open_repositories,
        first_repos.first_repo_organisation as first_repo_organisation,
        first_repos.first_repo_name as first_repo_name,
        first_repos.first_repo_year as first_repo_year,
        top_languages.top_language_1 as top_language_1,
        top_languages.top_language_2 as top_language_2,
        top_languages.top_language_3 as top_language_3
    from org_counts
    left join repo_totals
        on repo_totals.snapshot_date = org_counts.snapshot_date
    left join first_repos
        on first_repos.snapshot_date = org_counts.snapshot_date
    left join top_languages
        on top_languages.snapshot_date = org_counts.snapshot_date
)

select * from final
order by snapshot_date
