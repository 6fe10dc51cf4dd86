-- int_kept_totals: kept repositories over all organisations, the denominator of every share
-- of the whole.
-- grain: one row per snapshot_date

select
    snapshot_date,
    count(*) as total_repositories
from int_kept_repos
group by snapshot_date
