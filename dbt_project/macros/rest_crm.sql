{#- The YAML CRMs (ingestion/rest_crm): each loads its own dataset raw_<name> with the same canonical tables and a
    one-row table crm_spec (crm_name, spec_file, spec_sha256). Every schema of the warehouse holding a crm_spec table
    is a YAML CRM, found when the model runs through the adapter's own introspection (the list_schemas macro and
    adapter.get_relation: DuckDB, Postgres and Spark each answer in their own way), never a fixed list, so a new
    YAML file needs no change here. -#}

{#- The schemas holding a crm_spec table, sorted; none while dbt parses (nothing is queried then). Left out: the
    schemas beside a dataset that hold its rows on the way (dlt's <dataset>_staging, the Spark warehouse's
    <dataset>_files of every load's rows). -#}
{% macro rest_crm_schemas() -%}
    {%- set found = [] -%}
    {%- if execute -%}
        {%- for row in list_schemas(warehouse_database()) -%}
            {%- set schema = row[0] -%}
            {%- if not schema.endswith(('_staging', '_files'))
                  and adapter.get_relation(database=warehouse_database(), schema=schema, identifier='crm_spec')
                      is not none -%}
                {%- do found.append(schema) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(found | sort) }}
{%- endmacro %}

{#- The target's database (catalog), none where the adapter has no such level (Spark's profile names none). -#}
{% macro warehouse_database() -%}
    {{ return(target.database if target.database is defined else none) }}
{%- endmacro %}

{#- The rows of canonical table `table` of every YAML CRM, `columns` (name -> type key of column_type) selected as
    select_source_columns does (a column or table the CRM's YAML does not map: typed nulls, no rows), each row stamped
    with its CRM's name (crm_spec.crm_name) as source_name. No YAML CRM at all: the columns, no rows. -#}
{% macro union_rest_crm(table, columns) -%}
    {%- set schemas = rest_crm_schemas() -%}
    {%- if not schemas -%}
        {%- set named = {'source_name': 'string'} -%}
        {%- do named.update(columns) -%}
        {{ typed_empty_select(named) }}
    {%- endif -%}
    {%- for schema in schemas %}
    {%- set relation = api.Relation.create(database=warehouse_database(), schema=schema, identifier=table) %}
    {%- set spec = api.Relation.create(database=warehouse_database(), schema=schema, identifier='crm_spec') %}
    select
        crm.crm_name as source_name,
        crm_rows.*

    from ({{ select_source_columns(relation, columns) | indent(8) }}
    ) as crm_rows

    cross join (select max(crm_name) as crm_name from {{ spec }}) as crm
    {% if not loop.last %}
    union all
    {% endif -%}
    {%- endfor %}
{%- endmacro %}
