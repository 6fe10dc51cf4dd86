-- int_repo_topics: silver repos' topics, one row per repository and topic (a topic listed
-- twice on one repository counts once; a repository without topics has no row).
-- grain: one row per snapshot_date, forge, repo_id and topic

select distinct
    snapshot_date,
    org_login,
    forge,
    repo_id,
    topic
from (
    select
        snapshot_date,
        org_login,
        forge,
        repo_id,
        {{ ohs_unnest("topics") }} as topic
    from {{ source('lake', 'silver_repos') }}
) as unnested
where topic is not null
