-- The functions polars SQL and DuckDB spell one way and Spark another. Everything else in
-- sql/gold/ is SQL the three engines run as written; where a model needs one of these, it
-- calls the macro with the function's arguments as SQL text, {{ ohs_unnest("topics") }}.
-- Without dbt, ohs (src/transform/gold/mod.rs) and DuckDB (sql/duckdb/views.sql) turn each
-- {{ ohs_<f>("<arguments>") }} into <f>(<arguments>): the default__ forms below are exactly
-- that. dbt-spark, and dbt-databricks (which falls back to spark__), run the spark__ forms.

-- unnest(list): a row per element (polars gives a null row for an empty or null list,
-- which the model filters out; Spark's explode gives none).
{% macro ohs_unnest(arguments) %}
    {{- return(adapter.dispatch('ohs_unnest')(arguments)) -}}
{% endmacro %}

{% macro default__ohs_unnest(arguments) -%}
    unnest({{ arguments }})
{%- endmacro %}

{% macro spark__ohs_unnest(arguments) -%}
    explode({{ arguments }})
{%- endmacro %}

-- array_to_string(list, separator): the elements joined, nulls skipped; null for a null list.
{% macro ohs_array_to_string(arguments) %}
    {{- return(adapter.dispatch('ohs_array_to_string')(arguments)) -}}
{% endmacro %}

{% macro default__ohs_array_to_string(arguments) -%}
    array_to_string({{ arguments }})
{%- endmacro %}

{% macro spark__ohs_array_to_string(arguments) -%}
    array_join({{ arguments }})
{%- endmacro %}
