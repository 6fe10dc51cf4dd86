-- language_bytes_latest: language_bytes at the newest snapshot in the lake (the table holds every snapshot).

select * from {{ ref('language_bytes') }}
where snapshot_date = (select max(snapshot_date) from {{ ref('language_bytes') }})
