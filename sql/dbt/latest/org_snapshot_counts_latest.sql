-- org_snapshot_counts_latest: org_snapshot_counts at the newest snapshot in the lake (the table holds every snapshot).

select * from {{ ref('org_snapshot_counts') }}
where snapshot_date = (select max(snapshot_date) from {{ ref('org_snapshot_counts') }})
