-- int_kept_org_totals: kept repositories per organisation, the denominator of every share
-- by organisation.
-- grain: one row per snapshot_date and org_login

select
    snapshot_date,
    org_login,
    count(*) as total_repositories
from int_kept_repos
group by snapshot_date, org_login
