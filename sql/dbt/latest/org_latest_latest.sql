-- org_latest_latest: org_latest at the newest snapshot in the lake (the table holds every snapshot).

select * from {{ ref('org_latest') }}
where snapshot_date = (select max(snapshot_date) from {{ ref('org_latest') }})
