-- org_latest: each organisation's numbers at a snapshot; the site's Table 1.
-- grain: one row per organisation per snapshot_date
-- key: (snapshot_date, org_login)
-- kept repositories: public and not forks (archived ones count).

with

orgs as (
    select * from {{ source('lake', 'silver_orgs') }}
),

repos as (
    select * from {{ ref('int_snapshot_repos') }}
),

kept_repos as (
    select * from {{ ref('int_kept_repos') }}
),

repo_totals as (
    select
        snapshot_date,
        org_login,
        count(*) as open_repositories,
        sum(case when is_archived then 1 else 0 end) as archived_repositories,
        sum(stargazers_count) as stars,
        sum(forks_count) as forks,
        sum(open_issues_count) as open_issues,
        sum(case when license_name is not null then 1 else 0 end) as licensed,
        sum(case when license_osi_approved then 1 else 0 end) as osi_approved,
        min(created_at) as first_repo_created_at,
        max(created_at) as latest_repo_created_at
    from kept_repos
    group by snapshot_date, org_login
),

fork_totals as (
    select
        snapshot_date,
        org_login,
        count(*) as forks_excluded
    from repos
    where is_fork
    group by snapshot_date, org_login
),

top_languages as (
    select
        snapshot_date,
        scope as org_login,
        language as top_language
    from {{ ref('int_language_ranks') }}
    where language_rank = 1 and scope <> ''
),

-- top licence: most repositories first; a tie goes to the name last in code-point order
licence_totals as (
    select
        snapshot_date,
        org_login,
        license_name,
        count(*) as repositories
    from kept_repos
    where license_name is not null
    group by snapshot_date, org_login, license_name
),

licences_ranked as (
    select
        snapshot_date,
        org_login,
        license_name,
        row_number() over (
            partition by snapshot_date, org_login
            order by repositories desc, license_name desc
        ) as licence_rank
    from licence_totals
),

top_licences as (
    select
        snapshot_date,
        org_login,
        license_name as top_license
    from licences_ranked
    where licence_rank = 1
),

final as (
    select
        orgs.snapshot_date as snapshot_date,
        orgs.org_login as org_login,
        orgs.forge as forge,
        orgs.organisation as organisation,
        orgs.display_name as display_name,
        orgs.url as url,
        coalesce(repo_totals.open_repositories, 0) as open_repositories,
        coalesce(repo_totals.archived_repositories, 0) as archived_repositories,
        coalesce(fork_totals.forks_excluded, 0) as forks_excluded,
        top_languages.top_language as top_language,
        top_licences.top_license as top_license,
        coalesce(repo_totals.stars, 0) as stars,
        coalesce(repo_totals.forks, 0) as forks,
        coalesce(repo_totals.open_issues, 0) as open_issues,
        case
            when repo_totals.open_repositories > 0
                then cast(repo_totals.licensed as double) * 100
                / repo_totals.open_repositories
        end as pct_licensed,
        case
            when repo_totals.open_repositories > 0
                then cast(repo_totals.osi_approved as double) * 100
                / repo_totals.open_repositories
        end as pct_osi_approved,
        repo_totals.first_repo_created_at as first_repo_created_at,
        repo_totals.latest_repo_created_at as latest_repo_created_at
    from orgs
    left join repo_totals using (snapshot_date, org_login)
    left join fork_totals using (snapshot_date, org_login)
    left join top_languages using (snapshot_date, org_login)
    left join top_licences using (snapshot_date, org_login)
)

select * from final
order by snapshot_date, org_login
