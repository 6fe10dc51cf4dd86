-- licence_counts_latest: licence_counts at the newest snapshot in the lake (the table holds every snapshot).

select * from {{ ref('licence_counts') }}
where snapshot_date = (select max(snapshot_date) from {{ ref('licence_counts') }})
