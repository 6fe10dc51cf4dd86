-- org_snapshot_counts: the open repositories each organisation had as observed on each
-- snapshot day. True history: a past day's numbers never change, as each snapshot only
-- reads its own silver partition.
-- grain: one row per organisation per snapshot_date
-- key: (snapshot_date, org_login)

with

orgs as (
    select * from {{ source('lake', 'silver_orgs') }}
),

repos as (
    select * from {{ ref('int_snapshot_repos') }}
),

repo_totals as (
    select
        snapshot_date,
        org_login,
        count(*) as public_repositories,
        sum(case when is_fork then 1 else 0 end) as fork_repositories,
        sum(case when not is_fork then 1 else 0 end) as open_repositories,
        sum(
            case when not is_fork and is_archived then 1 else 0 end
        ) as archived_repositories
    from repos
    group by snapshot_date, org_login
),

final as (
    select
        orgs.snapshot_date as snapshot_date,
        orgs.org_login as org_login,
        orgs.forge as forge,
        orgs.organisation as organisation,
        coalesce(repo_totals.open_repositories, 0) as open_repositories,
        coalesce(repo_totals.archived_repositories, 0) as archived_repositories,
        coalesce(repo_totals.fork_repositories, 0) as fork_repositories,
        coalesce(repo_totals.public_repositories, 0) as public_repositories
    from orgs
    left join repo_totals
        on
            repo_totals.snapshot_date = orgs.snapshot_date
            and repo_totals.org_login = orgs.org_login
)

select * from final
order by snapshot_date, org_login
