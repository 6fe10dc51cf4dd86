-- int_snapshot_repos: the public repositories that existed on the snapshot day. A snapshot
-- observed later than its date keeps the ones created since in silver, flagged
-- `created_after_snapshot`; every gold table leaves them out through this model.
-- grain: one row per repository per snapshot_date

select * from {{ source('lake', 'silver_repos') }}
where not is_private and not created_after_snapshot
