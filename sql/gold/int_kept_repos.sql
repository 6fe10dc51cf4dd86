-- int_kept_repos: the repositories every gold table counts: public and not forks (archived
-- ones count), existing on the snapshot day.
-- grain: one row per repository per snapshot_date

select * from {{ ref('int_snapshot_repos') }}
where not is_fork
