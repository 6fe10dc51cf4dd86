-- org_repos_daily_latest: the site CSV's rows of the newest snapshot in the lake (ohs builds
-- org_repos_daily itself, so it is read from the lake).

select * from {{ source('lake', 'gold_org_repos_daily') }}
where snapshot_date = (select max(snapshot_date) from {{ source('lake', 'gold_org_repos_daily') }})
