-- int_kept_scope_totals: kept repositories per scope (an organisation, or '' for all), the
-- denominator of every share.
-- grain: one row per snapshot_date and scope

select
    snapshot_date,
    scope,
    count(*) as total_repositories
from {{ ref('int_kept_repos_by_scope') }}
group by snapshot_date, scope
