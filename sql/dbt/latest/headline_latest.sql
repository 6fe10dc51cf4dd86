-- headline_latest: headline at the newest snapshot in the lake (the table holds every snapshot).

select * from {{ ref('headline') }}
where snapshot_date = (select max(snapshot_date) from {{ ref('headline') }})
