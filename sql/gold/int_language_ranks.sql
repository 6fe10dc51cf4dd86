-- int_language_ranks: each scope's primary languages (an organisation's, or '' for all
-- together) ranked by kept repositories, most first; a tie goes to the name last in
-- code-point order, as the site series breaks ties.
-- grain: one row per snapshot_date, scope and language

with

language_totals as (
    select
        snapshot_date,
        scope,
        language_normalised as language,
        count(*) as repositories
    from {{ ref('int_kept_repos_by_scope') }}
    where language_normalised is not null
    group by snapshot_date, scope, language_normalised
)

select
    snapshot_date,
    scope,
    language,
    row_number() over (
        partition by snapshot_date, scope
        order by repositories desc, language desc
    ) as language_rank
from language_totals
