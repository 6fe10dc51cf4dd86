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

scoped_repos as (
    select
        *,
        coalesce(license_detected_spdx_id, license_spdx_current) as license_resolved_spdx_id
    from {{ ref('int_kept_repos_by_scope') }}
),

scope_totals as (
    select * from {{ ref('int_kept_scope_totals') }}
),

licence_counts as (
    select
        snapshot_date,
        scope,
        license_key,
        license_name,
        license_spdx_id,
        license_spdx_current,
        license_family,
        license_osi_approved,
        license_detected_spdx_id,
        license_resolved_spdx_id,
        count(*) as repositories
    from scoped_repos
    group by all
),

final as (
    select
        licence_counts.snapshot_date as snapshot_date,
        nullif(licence_counts.scope, '') as org_login,
        licence_counts.license_key as license_key,
        licence_counts.license_name as license_name,
        licence_counts.license_spdx_id as license_spdx_id,
        licence_counts.license_spdx_current as license_spdx_current,
        licence_counts.license_family as license_family,
        licence_counts.license_osi_approved as license_osi_approved,
        licence_counts.license_detected_spdx_id as license_detected_spdx_id,
        licence_counts.license_resolved_spdx_id as license_resolved_spdx_id,
        licence_counts.repositories as repositories,
        cast(licence_counts.repositories as double)
        / scope_totals.total_repositories as share
    from licence_counts
    inner join scope_totals using (snapshot_date, scope)
)

select * from final
order by snapshot_date, org_login, license_key, license_detected_spdx_id
