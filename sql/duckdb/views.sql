-- Views over the lake for DuckDB, so the models in sql/gold/ run unchanged and the
-- published tables can be queried by name. Run from the directory that holds lake/ and sql/:
--
--     duckdb -c ".read sql/duckdb/views.sql" -c "select * from org_latest"
--
-- Every timestamp is UTC: days and years are cut in UTC, as ohs cuts them.

set timezone = 'UTC';

-- silver: what the gold models read
create or replace view silver_repos as
select * from read_parquet('lake/silver/repos/snapshot_date=*/*.parquet', hive_partitioning = true);

create or replace view silver_orgs as
select * from read_parquet('lake/silver/orgs/snapshot_date=*/*.parquet', hive_partitioning = true);

create or replace view silver_repo_languages as
select * from read_parquet('lake/silver/repo_languages/snapshot_date=*/*.parquet', hive_partitioning = true);

-- intermediate models: the repositories every gold model counts, their totals and the
-- language ranking. Each view runs its file in sql/gold/ as ohs does (read as text, so
-- there is one copy of each model); a variable per view holds that file's query, with the
-- dbt calls turned into plain SQL as ohs turns them (src/transform/gold/mod.rs): the calls that
-- name what it reads ({{ ref('int_x') }}, {{ source('lake', 'silver_x') }}) into those
-- names, and the functions Spark spells differently ({{ ohs_unnest("topics") }}, macros in
-- sql/dbt/macros/engine_functions.sql) into DuckDB's spelling (unnest(topics)).
create or replace temp macro resolve_dbt_calls(model) as regexp_replace(
    regexp_replace(model, '\{\{ *(?:ref|source)\([^)]*''([a-z_]+)'' *\) *\}\}', '\1', 'g'),
    '\{\{ *ohs_([a-z_]+)\("([^"]*)"\) *\}\}', '\1(\2)', 'g'
);

set variable int_snapshot_repos = (select resolve_dbt_calls(content) from read_text('sql/gold/int_snapshot_repos.sql'));
create or replace view int_snapshot_repos as from query(getvariable('int_snapshot_repos'));

set variable int_kept_repos = (select resolve_dbt_calls(content) from read_text('sql/gold/int_kept_repos.sql'));
create or replace view int_kept_repos as from query(getvariable('int_kept_repos'));

set variable int_kept_repos_by_scope = (select resolve_dbt_calls(content) from read_text('sql/gold/int_kept_repos_by_scope.sql'));
create or replace view int_kept_repos_by_scope as from query(getvariable('int_kept_repos_by_scope'));

set variable int_kept_scope_totals = (select resolve_dbt_calls(content) from read_text('sql/gold/int_kept_scope_totals.sql'));
create or replace view int_kept_scope_totals as from query(getvariable('int_kept_scope_totals'));

set variable int_language_ranks = (select resolve_dbt_calls(content) from read_text('sql/gold/int_language_ranks.sql'));
create or replace view int_language_ranks as from query(getvariable('int_language_ranks'));

set variable int_repo_topics = (select resolve_dbt_calls(content) from read_text('sql/gold/int_repo_topics.sql'));
create or replace view int_repo_topics as from query(getvariable('int_repo_topics'));

-- gold: the published tables
create or replace view org_repos_daily as
select * from read_parquet('lake/gold/org_repos_daily/snapshot_date=*/*.parquet', hive_partitioning = true);

create or replace view org_latest as
select * from read_parquet('lake/gold/org_latest/snapshot_date=*/*.parquet', hive_partitioning = true);

create or replace view org_snapshot_counts as
select * from read_parquet('lake/gold/org_snapshot_counts/snapshot_date=*/*.parquet', hive_partitioning = true);

create or replace view language_counts as
select * from read_parquet('lake/gold/language_counts/snapshot_date=*/*.parquet', hive_partitioning = true);

create or replace view licence_counts as
select * from read_parquet('lake/gold/licence_counts/snapshot_date=*/*.parquet', hive_partitioning = true);

create or replace view headline as
select * from read_parquet('lake/gold/headline/snapshot_date=*/*.parquet', hive_partitioning = true);

create or replace view language_bytes as
select * from read_parquet('lake/gold/language_bytes/snapshot_date=*/*.parquet', hive_partitioning = true);

create or replace view topic_counts as
select * from read_parquet('lake/gold/topic_counts/snapshot_date=*/*.parquet', hive_partitioning = true);

create or replace view repositories as
select * from read_parquet('lake/gold/repositories/snapshot_date=*/*.parquet', hive_partitioning = true);

-- The newest snapshot of each gold table (each holds every snapshot).
create or replace view org_repos_daily_latest as
select * from org_repos_daily where snapshot_date = (select max(snapshot_date) from org_repos_daily);

create or replace view org_latest_latest as
select * from org_latest where snapshot_date = (select max(snapshot_date) from org_latest);

create or replace view org_snapshot_counts_latest as
select * from org_snapshot_counts where snapshot_date = (select max(snapshot_date) from org_snapshot_counts);

create or replace view language_counts_latest as
select * from language_counts where snapshot_date = (select max(snapshot_date) from language_counts);

create or replace view licence_counts_latest as
select * from licence_counts where snapshot_date = (select max(snapshot_date) from licence_counts);

create or replace view headline_latest as
select * from headline where snapshot_date = (select max(snapshot_date) from headline);

create or replace view language_bytes_latest as
select * from language_bytes where snapshot_date = (select max(snapshot_date) from language_bytes);

create or replace view topic_counts_latest as
select * from topic_counts where snapshot_date = (select max(snapshot_date) from topic_counts);

create or replace view repositories_latest as
select * from repositories where snapshot_date = (select max(snapshot_date) from repositories);
