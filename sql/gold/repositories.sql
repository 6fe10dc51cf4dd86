-- repositories: every kept repository at a snapshot, with what the site's list of
-- repositories shows (its organisation, name and link, language, licence, stars, topics).
-- grain: one row per repository per snapshot_date
-- key: (snapshot_date, forge, repo_id)

with

kept_repos as (
    select * from {{ ref('int_kept_repos') }}
),

orgs as (
    select snapshot_date, org_login, display_name from {{ source('lake', 'silver_orgs') }}
),

final as (
    select
        kept_repos.snapshot_date as snapshot_date,
        kept_repos.org_login as org_login,
        kept_repos.forge as forge,
        kept_repos.repo_id as repo_id,
        orgs.display_name as display_name,
        kept_repos.name as name,
        kept_repos.full_name as full_name,
        kept_repos.html_url as html_url,
        kept_repos.language_normalised as language,
        kept_repos.license_name as license_name,
        kept_repos.is_archived as is_archived,
        kept_repos.stargazers_count as stars,
        -- One string ("fhir, nhs"), so every reader takes it as it is (the list is in silver).
        {{ ohs_array_to_string("kept_repos.topics, ', '") }} as topics,
        kept_repos.created_at as created_at
    from kept_repos
    inner join orgs
        on
            orgs.snapshot_date = kept_repos.snapshot_date
            and orgs.org_login = kept_repos.org_login
)

select * from final
order by snapshot_date, forge, repo_id
