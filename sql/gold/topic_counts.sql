-- topic_counts: how many kept repositories carry each topic, per organisation and over all
-- organisations (org_login is null), with the share of the kept repositories that carry it
-- (a repository has any number of topics, so shares do not sum to 1). Topics are GitHub's:
-- lower case, one per repository at most once. Older responses have no topics.
-- grain: one row per snapshot_date, org_login (null = all) and topic
-- key: (snapshot_date, org_login, topic)

with

kept_repos as (
    select snapshot_date, org_login, repo_id from int_kept_repos
),

repo_topics as (
    select * from silver_repo_topics
),

kept_topics as (
    select
        kept_repos.snapshot_date as snapshot_date,
        kept_repos.org_login as org_login,
        repo_topics.topic as topic
    from repo_topics
    inner join kept_repos
        on
            kept_repos.snapshot_date = repo_topics.snapshot_date
            and kept_repos.repo_id = repo_topics.repo_id
),

org_topic_counts as (
    select
        snapshot_date,
        org_login,
        topic,
        count(*) as repositories
    from kept_topics
    group by snapshot_date, org_login, topic
),

org_totals as (
    select * from int_kept_org_totals
),

all_topic_counts as (
    select
        snapshot_date,
        topic,
        count(*) as repositories
    from kept_topics
    group by snapshot_date, topic
),

all_totals as (
    select * from int_kept_totals
),

org_shares as (
    select
        org_topic_counts.snapshot_date as snapshot_date,
        org_topic_counts.org_login as org_login,
        org_topic_counts.topic as topic,
        org_topic_counts.repositories as repositories,
        cast(org_topic_counts.repositories as double)
        / org_totals.total_repositories as share
    from org_topic_counts
    inner join org_totals
        on
            org_totals.snapshot_date = org_topic_counts.snapshot_date
            and org_totals.org_login = org_topic_counts.org_login
),

all_shares as (
    select
        all_topic_counts.snapshot_date as snapshot_date,
        cast(null as varchar) as org_login,
        all_topic_counts.topic as topic,
        all_topic_counts.repositories as repositories,
        cast(all_topic_counts.repositories as double)
        / all_totals.total_repositories as share
    from all_topic_counts
    inner join all_totals
        on all_totals.snapshot_date = all_topic_counts.snapshot_date
),

final as (
    select * from org_shares
    union all
    select * from all_shares
)

select * from final
order by snapshot_date, org_login, topic
