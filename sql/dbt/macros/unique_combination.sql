-- A generic test: no two rows of `model` share `columns` (nulls compare equal, so each
-- all-organisations row, org_login null, counts once). Built in, as `dbt deps` would need
-- the network for dbt_utils.
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
