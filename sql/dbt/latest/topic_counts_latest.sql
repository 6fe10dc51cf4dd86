-- topic_counts_latest: topic_counts at the newest snapshot in the lake (the table holds every snapshot).

select * from {{ ref('topic_counts') }}
where snapshot_date = (select max(snapshot_date) from {{ ref('topic_counts') }})
