-- licence_counts: how many kept repositories carry each licence, per organisation and
-- over all organisations (org_login is null), with their share. license_key is null for
-- repositories without a licence; "other" is GitHub's unrecognised licence (NOASSERTION).
-- Two views in one table: GitHub's (group by license_key) and the resolved one (group by
-- license_resolved_spdx_id), where "other" is split by the licence identified from the
-- file's text (license_detected_spdx_id; null when the text named none or was not fetched).
-- Rows never overlap, so sums over either view count each repository once.
-- grain: one row per snapshot_date, org_login (null = all), license_key (null = none) and
-- license_detected_spdx_id (null = not identified)
-- key: (snapshot_date, org_login, license_key, license_detected_spdx_id)

with

kept_repos as (
    select
        *,
        coalesce(license_detected_spdx_id, license_spdx_current) as license_resolved_spdx_id
    from int_kept_repos
),

org_licence_counts as (
    select
        snapshot_date,
        org_login,
        license_key,
        license_name,
        license_spdx_id,
        license_spdx_current,
        license_family,
        license_osi_approved,
        license_detected_spdx_id,
        license_resolved_spdx_id,
        count(*) as repositories
    from kept_repos
    group by
        snapshot_date,
        org_login,
        license_key,
        license_name,
        license_spdx_id,
        license_spdx_current,
        license_family,
        license_osi_approved,
        license_detected_spdx_id,
        license_resolved_spdx_id
),

org_totals as (
    select * from int_kept_org_totals
),

all_licence_counts as (
    select
        snapshot_date,
        license_key,
        license_name,
        license_spdx_id,
        license_spdx_current,
        license_family,
        license_osi_approved,
        license_detected_spdx_id,
        license_resolved_spdx_id,
        count(*) as repositories
    from kept_repos
    group by
        snapshot_date,
        license_key,
        license_name,
        license_spdx_id,
        license_spdx_current,
        license_family,
        license_osi_approved,
        license_detected_spdx_id,
        license_resolved_spdx_id
),

all_totals as (
    select * from int_kept_totals
),

org_shares as (
    select
        org_licence_counts.snapshot_date as snapshot_date,
        org_licence_counts.org_login as org_login,
        org_licence_counts.license_key as license_key,
        org_licence_counts.license_name as license_name,
        org_licence_counts.license_spdx_id as license_spdx_id,
        org_licence_counts.license_spdx_current as license_spdx_current,
        org_licence_counts.license_family as license_family,
        org_licence_counts.license_osi_approved as license_osi_approved,
        org_licence_counts.license_detected_spdx_id as license_detected_spdx_id,
        org_licence_counts.license_resolved_spdx_id as license_resolved_spdx_id,
        org_licence_counts.repositories as repositories,
        cast(org_licence_counts.repositories as double)
        / org_totals.total_repositories as share
    from org_licence_counts
    inner join org_totals
        on
            org_totals.snapshot_date = org_licence_counts.snapshot_date
            and org_totals.org_login = org_licence_counts.org_login
),

all_shares as (
    select
        all_licence_counts.snapshot_date as snapshot_date,
        cast(null as varchar) as org_login,
        all_licence_counts.license_key as license_key,
        all_licence_counts.license_name as license_name,
        all_licence_counts.license_spdx_id as license_spdx_id,
        all_licence_counts.license_spdx_current as license_spdx_current,
        all_licence_counts.license_family as license_family,
        all_licence_counts.license_osi_approved as license_osi_approved,
        all_licence_counts.license_detected_spdx_id as license_detected_spdx_id,
        all_licence_counts.license_resolved_spdx_id as license_resolved_spdx_id,
        all_licence_counts.repositories as repositories,
        cast(all_licence_counts.repositories as double)
        / all_totals.total_repositories as share
    from all_licence_counts
    inner join all_totals
        on all_totals.snapshot_date = all_licence_counts.snapshot_date
),

final as (
    select * from org_shares
    union all
    select * from all_shares
)

select * from final
order by snapshot_date, org_login, license_key, license_detected_spdx_id
