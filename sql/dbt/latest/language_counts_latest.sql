-- language_counts_latest: language_counts at the newest snapshot in the lake (the table holds every snapshot).

select * from {{ ref('language_counts') }}
where snapshot_date = (select max(snapshot_date) from {{ ref('language_counts') }})
