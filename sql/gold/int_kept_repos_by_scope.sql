-- int_kept_repos_by_scope: every kept repository twice, once in its organisation's scope
-- and once in the scope of all organisations together (`scope` is the org_login, or '' for
-- all), so that one aggregation by scope gives the rows of both.
-- grain: one row per repository per snapshot_date per scope

select
    *,
    org_login as scope
from {{ ref('int_kept_repos') }}
union all
select
    *,
    '' as scope
from {{ ref('int_kept_repos') }}
