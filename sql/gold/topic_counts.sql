-- topic_counts: how many kept repositories carry each topic, per organisation and over all
-- organisations (org_login is null), with the share of the kept repositories that carry it
-- (a repository has any number of topics, so shares do not sum to 1). Topics are as the
-- forge gives them (GitHub's are lower case), each once per repository. Older responses have no topics.
-- grain: one row per snapshot_date, org_login (null = all) and topic
-- key: (snapshot_date, org_login, topic)

with

scoped_repos as (
    select snapshot_date, scope, forge, repo_id from {{ ref('int_kept_repos_by_scope') }}
),

scope_totals as (
    select * from {{ ref('int_kept_scope_totals') }}
),

repo_topics as (
    select * from {{ ref('int_repo_topics') }}
),

scoped_topics as (
    select
        scoped_repos.snapshot_date as snapshot_date,
        scoped_repos.scope as scope,
        repo_topics.topic as topic
    from repo_topics
    inner join scoped_repos
        on
            scoped_repos.snapshot_date = repo_topics.snapshot_date
            and scoped_repos.forge = repo_topics.forge
            and scoped_repos.repo_id = repo_topics.repo_id
),

topic_counts as (
    select
        snapshot_date,
        scope,
        topic,
        count(*) as repositories
    from scoped_topics
    group by snapshot_date, scope, topic
),

final as (
    select
        topic_counts.snapshot_date as snapshot_date,
        nullif(topic_counts.scope, '') as org_login,
        topic_counts.topic as topic,
        topic_counts.repositories as repositories,
        cast(topic_counts.repositories as double)
        / scope_totals.total_repositories as share
    from topic_counts
    inner join scope_totals using (snapshot_date, scope)
)

select * from final
order by snapshot_date, org_login, topic
