-- repositories_latest: repositories at the newest snapshot in the lake (the table holds every snapshot).

select * from {{ ref('repositories') }}
where snapshot_date = (select max(snapshot_date) from {{ ref('repositories') }})
