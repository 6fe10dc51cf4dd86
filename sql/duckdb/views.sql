-- Views over the lake for DuckDB, so the models in sql/gold/ run unchanged and the
-- published tables can be queried by name. Run from the directory that holds lake/:
--
--     duckdb -c ".read sql/duckdb/views.sql" -c "select * from org_latest"
--
-- Every timestamp is UTC: days and years are cut in UTC, as ohs cuts them.

set timezone = 'UTC';

-- silver: what the gold models read
create or replace view silver_repos as
select * from read_parquet('lake/silver/repos/*/*.parquet', hive_partitioning = true);

create or replace view silver_orgs as
select * from read_parquet('lake/silver/orgs/*/*.parquet', hive_partitioning = true);

create or replace view silver_repo_languages as
select * from read_parquet('lake/silver/repo_languages/*/*.parquet', hive_partitioning = true);

-- One row per (repository, topic), each topic once per repository; ohs builds the same
-- frame in memory rather than storing it.
create or replace view silver_repo_topics as
select distinct snapshot_date, org_login, repo_id, unnest(topics) as topic
from silver_repos;

-- intermediate models, as sql/gold/int_*.sql define them (a test keeps the two the same):
-- the repositories every gold model counts, and the denominators of their shares
create or replace view int_snapshot_repos as
select * from silver_repos
where not is_private and not created_after_snapshot;

create or replace view int_kept_repos as
select * from int_snapshot_repos
where not is_fork;

create or replace view int_kept_repos_by_scope as
select
    *,
    org_login as scope
from int_kept_repos
union all
select
    *,
    '' as scope
from int_kept_repos;

create or replace view int_kept_scope_totals as
select
    snapshot_date,
    scope,
    count(*) as total_repositories
from int_kept_repos_by_scope
group by snapshot_date, scope;
create or replace view int_language_ranks as
with

language_totals as (
    select
        snapshot_date,
        scope,
        language_normalised as language,
        count(*) as repositories
    from int_kept_repos_by_scope
    where language_normalised is not null
    group by snapshot_date, scope, language_normalised
)

select
    snapshot_date,
    scope,
    language,
    row_number() over (
        partition by snapshot_date, scope
        order by repositories desc, language desc
    ) as language_rank
from language_totals;

-- gold: the published tables
create or replace view org_repos_daily as
select * from read_parquet('lake/gold/org_repos_daily/*/*.parquet', hive_partitioning = true);

create or replace view org_latest as
select * from read_parquet('lake/gold/org_latest/*/*.parquet', hive_partitioning = true);

create or replace view org_snapshot_counts as
select * from read_parquet('lake/gold/org_snapshot_counts/*/*.parquet', hive_partitioning = true);

create or replace view language_counts as
select * from read_parquet('lake/gold/language_counts/*/*.parquet', hive_partitioning = true);

create or replace view licence_counts as
select * from read_parquet('lake/gold/licence_counts/*/*.parquet', hive_partitioning = true);

create or replace view headline as
select * from read_parquet('lake/gold/headline/*/*.parquet', hive_partitioning = true);

create or replace view language_bytes as
select * from read_parquet('lake/gold/language_bytes/*/*.parquet', hive_partitioning = true);

create or replace view topic_counts as
select * from read_parquet('lake/gold/topic_counts/*/*.parquet', hive_partitioning = true);
