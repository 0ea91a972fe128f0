{#- Incremental models keyed on changed entities (STYLE.md (e)): the same reasons for every model.

    A model stores, beside its rows, the versions of each entity it was built from (a fingerprint of the deal's
    source row, the funnel definition, ...). A run re-derives an entity when one of its versions upstream is not
    the one stored (new or changed: changed_entities) or when a row of it was loaded since the newest load stored
    (loaded_since), and replaces all its rows (strategy replace_entities: delete+insert on the key, counting the
    rows written). drop_vanished removes, after the run, the entities whose current versions are not upstream any
    more (deleted, archived, moved out of scope). -#}

{#- A fingerprint of a row: the hash of its columns as text, a null distinct from every text. -#}
{% macro row_fingerprint(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '~')") -%}
        {%- if not loop.last -%}{%- do parts.append("'|'") -%}{%- endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}

{#- A fingerprint of a whole (small) relation, e.g. a seed: the hash of its rows' fingerprints in order. -#}
{% macro relation_fingerprint(relation, columns) -%}
    select {{ dbt.hash(dbt.listagg(row_fingerprint(columns), "','", 'order by ' ~ row_fingerprint(columns))) }}
    from {{ relation }}
{%- endmacro %}

{#- The keys of `relation` whose (key, versions) is not stored in this model: new and changed entities. -#}
{% macro changed_entities(relation, key, versions) -%}
    select changed.{{ key }}

    from (
        select
            {{ key }},
            {{ versions | join(', ') }}

        from {{ relation }}

        except

        select
            {{ key }},
            {{ versions | join(', ') }}

        from {{ this }}
    ) as changed
{%- endmacro %}

{#- The rows of `relation` to build: on an incremental run those of the keys in CTE `changed` only. -#}
{% macro entities_to_build(relation, key, changed='changed_deals') -%}
    select {{ relation }}.*

    from {{ relation }}
    {%- if is_incremental() %}

    where {{ relation }}.{{ key }} in (select {{ changed }}.{{ key }} from {{ changed }})
    {%- endif %}
{%- endmacro %}

{#- The keys of `relation` with a row loaded (dlt load id) after the newest load this model stored. -#}
{% macro loaded_since(relation, key, load_column='source_load_id', stored_load_column='source_load_id') -%}
    select {{ key }}

    from {{ relation }}

    where {{ load_column }} > (select coalesce(max({{ stored_load_column }}), '') from {{ this }})
{%- endmacro %}

{#- The entities whose events lie across a moved as-of day: events of `relation` (key, changed_at) past the newest
    one stored (the day moved forward), and stored events on or after the as-of day (it moved back). -#}
{% macro moved_as_of_day(relation, key) -%}
    select {{ relation }}.{{ key }}

    from {{ relation }}

    where {{ relation }}.changed_at > (select max(stored_events.changed_at) from {{ this }} as stored_events)

    union

    select {{ key }}

    from {{ this }}

    where changed_at >= {{ as_of_cutoff() }}
{%- endmacro %}

{#- Post-hook: delete the rows whose key (and versions) is no longer in model `upstream` (optionally filtered).
    Returns the hook's text with {{ this }} and ref() left to render when the hook runs. -#}
{% macro drop_vanished(key, upstream, versions=[], where=none) -%}
    {%- set columns = [key] + versions -%}
    {%- if columns | length == 1 -%}
        {%- set expression = key -%}
    {%- else -%}
        {%- set parts = [] -%}
        {%- for column in columns -%}
            {%- do parts.append("coalesce(" ~ column ~ ", '')") -%}
            {%- if not loop.last -%}{%- do parts.append("'|'") -%}{%- endif -%}
        {%- endfor -%}
        {%- set expression = dbt.concat(parts) -%}
    {%- endif -%}
    {%- set target_text = '{{ this }}' -%}
    {%- set upstream_text = "{{ ref('" ~ upstream ~ "') }}" -%}
    {%- set filter_text = (' where ' ~ where) if where else '' -%}
    {{ return('delete from ' ~ target_text ~ ' where ' ~ expression ~ ' not in (select ' ~ expression ~ ' from '
              ~ upstream_text ~ filter_text ~ ')') }}
{%- endmacro %}

{#- The funnel definition as one hash (funnel_stages, funnel_stage_map through int_funnel_pipeline_stages and
    int_stage_lookup): when it changes, every deal is re-derived. A select of one row, column funnel_version. -#}
{% macro funnel_version(pipeline_stages, stage_lookup) -%}
    select {{ dbt.hash(dbt.listagg('definition_line', "','", 'order by definition_line')) }} as funnel_version

    from (
        select
            {{ dbt.concat([
                "stage_source", "'|'", "pipeline_id", "'|'", "stage_code", "'|'",
                "cast(stage_order as " ~ dbt.type_string() ~ ")", "'|'", "stage_type", "'|'",
                "coalesce(cast(pipeline_stage_rank as " ~ dbt.type_string() ~ "), '')"
            ]) }} as definition_line

        from {{ pipeline_stages }}

        union all

        select
            {{ dbt.concat(["stage_source", "'|'", "source_stage_key", "'|'", "stage_code", "'|'", "pipeline_id"]) }}
                as definition_line

        from {{ stage_lookup }}
    ) as funnel_definition
{%- endmacro %}

{#- Strategy replace_entities (incremental_strategy='replace_entities'): dbt's delete+insert on unique_key, and
    the number of rows it inserted recorded in dbt_audit.rows_written (model, invocation, rows) — what a night
    cost, model by model; tests/test_incremental_rows.py reads it. A full refresh is not recorded. -#}
{% macro get_incremental_replace_entities_sql(arg_dict) -%}
    {{ get_incremental_delete_insert_sql(arg_dict) }};
    create schema if not exists dbt_audit;
    create table if not exists dbt_audit.rows_written (
        model_name {{ dbt.type_string() }},
        invocation_id {{ dbt.type_string() }},
        run_started_at {{ dbt.type_string() }},
        rows_written {{ dbt.type_bigint() }}
    );
    insert into dbt_audit.rows_written (model_name, invocation_id, run_started_at, rows_written)
    select
        '{{ arg_dict["target_relation"].identifier }}',
        '{{ invocation_id }}',
        '{{ run_started_at.isoformat() }}',
        count(*)
    from {{ arg_dict["temp_relation"] }}
{%- endmacro %}
