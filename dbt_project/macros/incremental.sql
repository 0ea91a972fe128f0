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

{#- The texts of `measure` joined by `delimiter_text` (a SQL string literal) in their order: dbt.listagg,
    whose order by dbt-spark leaves out (Spark has no ordered string_agg: it sorts the collected list). -#}
{% macro sorted_listagg(measure, delimiter_text) -%}
    {{ return(adapter.dispatch('sorted_listagg')(measure, delimiter_text)) }}
{%- endmacro %}

{% macro default__sorted_listagg(measure, delimiter_text) -%}
    {{ dbt.listagg(measure, delimiter_text, 'order by ' ~ measure) }}
{%- endmacro %}

{% macro spark__sorted_listagg(measure, delimiter_text) -%}
    array_join(array_sort(collect_list({{ measure }})), {{ delimiter_text }})
{%- endmacro %}

{#- A fingerprint of a whole (small) relation, e.g. a seed: the hash of its rows' fingerprints in order. -#}
{% macro relation_fingerprint(relation, columns) -%}
    select {{ dbt.hash(sorted_listagg(row_fingerprint(columns), "','")) }}
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
    Returns the hook's text with {{ this }} and ref() left to render when the hook runs; no hook where the
    model is a table rebuilt whole (Spark on Parquet: entity_materialization). -#}
{% macro drop_vanished(key, upstream, versions=[], where=none) -%}
    {{ return(adapter.dispatch('drop_vanished')(key, upstream, versions, where)) }}
{%- endmacro %}

{% macro spark__drop_vanished(key, upstream, versions=[], where=none) -%}
    {%- set on_delta = spark_file_format() == 'delta' -%}
    {{ return(default__drop_vanished(key, upstream, versions, where) if on_delta else '') }}
{%- endmacro %}

{% macro default__drop_vanished(key, upstream, versions=[], where=none) -%}
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
    select {{ dbt.hash(sorted_listagg('definition_line', "','")) }} as funnel_version

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

{#- Spark: the file format of dbt's tables as dbt_project.yml sets it (env FUNNELHOUSE_SPARK_FILE_FORMAT). -#}
{% macro spark_file_format() -%}
    {{ return(env_var('FUNNELHOUSE_SPARK_FILE_FORMAT', '') | trim | lower or 'parquet') }}
{%- endmacro %}

{#- The materialization of the entity-keyed models (int_deals, int_deal_stage_changes, int_deal_stage_events,
    fct_deal_stage_events): incremental where the engine replaces an entity's rows (DuckDB, Postgres:
    delete+insert by replace_entities; Spark on Delta: merge), a table rebuilt whole on Spark's Parquet, which
    has no delete or merge: insert_overwrite replaces whole partitions, and a partition per deal would be
    thousands of tiny folders while a changed night touches deals all over any coarser partitioning. -#}
{% macro entity_materialization() -%}
    {{ return(adapter.dispatch('entity_materialization')()) }}
{%- endmacro %}

{% macro default__entity_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__entity_materialization() -%}
    {{ return('incremental' if spark_file_format() == 'delta' else 'table') }}
{%- endmacro %}

{#- ... and their incremental strategy: replace_entities (below); on Spark (Delta) merge on the key. -#}
{% macro entity_strategy() -%}
    {{ return(adapter.dispatch('entity_strategy')()) }}
{%- endmacro %}

{% macro default__entity_strategy() -%}
    {{ return('replace_entities') }}
{%- endmacro %}

{% macro spark__entity_strategy() -%}
    {{ return('merge') }}
{%- endmacro %}

{#- Post-hook text deleting the rows of {{ this }} that meet `condition` (SQL, rendered when the hook runs);
    none where the model is a table rebuilt whole (Spark on Parquet). -#}
{% macro delete_rows_where(condition) -%}
    {{ return(adapter.dispatch('delete_rows_where')(condition)) }}
{%- endmacro %}

{% macro default__delete_rows_where(condition) -%}
    {{ return('delete from {{ this }} where ' ~ condition) }}
{%- endmacro %}

{% macro spark__delete_rows_where(condition) -%}
    {{ return(default__delete_rows_where(condition) if spark_file_format() == 'delta' else '') }}
{%- endmacro %}

{#- Day-keyed incremental models (fct_pipeline_daily_snapshot): delete+insert by the day on DuckDB and
    Postgres; insert_overwrite of the day partitions on Spark (Parquet and Delta alike: the rebuilt days'
    partitions are replaced whole, spark.sql.sources.partitionOverwriteMode dynamic). -#}
{% macro day_strategy() -%}
    {{ return(adapter.dispatch('day_strategy')()) }}
{%- endmacro %}

{% macro default__day_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__day_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}

{#- ... partitioned by their day column on Spark; unpartitioned elsewhere. -#}
{% macro day_partitions(day_column) -%}
    {{ return(adapter.dispatch('day_partitions')(day_column)) }}
{%- endmacro %}

{% macro default__day_partitions(day_column) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro spark__day_partitions(day_column) -%}
    {{ return(day_column) }}
{%- endmacro %}

{#- Hook text adding a column to an incremental model's stored table when missing (a table built before the
    column existed), before the run reads it; on Spark dbt's on_schema_change adds it (Spark has no add column
    if not exists). -#}
{% macro add_column_if_missing(column, data_type) -%}
    {{ return(adapter.dispatch('add_column_if_missing')(column, data_type)) }}
{%- endmacro %}

{% macro default__add_column_if_missing(column, data_type) -%}
    {{ return('{% if is_incremental() %}alter table {{ this }} add column if not exists ' ~ column ~ ' '
              ~ data_type ~ '{% endif %}') }}
{%- endmacro %}

{% macro spark__add_column_if_missing(column, data_type) -%}
    {{ return('') }}
{%- endmacro %}

{#- Post-hook text removing the days after the day of `last_day` (a Jinja expression giving a SQL date,
    rendered when the hook runs, e.g. 'as_of_date()') from a day-keyed model's table (the as-of day moved
    back): a delete; on Spark's Parquet (no delete there) each such day's partition dropped. -#}
{% macro drop_days_after(day_column, last_day) -%}
    {{ return(adapter.dispatch('drop_days_after')(day_column, last_day)) }}
{%- endmacro %}

{% macro default__drop_days_after(day_column, last_day) -%}
    {{ return('delete from {{ this }} where ' ~ day_column ~ ' > {{ ' ~ last_day ~ ' }}') }}
{%- endmacro %}

{% macro spark__drop_days_after(day_column, last_day) -%}
    {%- if spark_file_format() == 'delta' -%}
        {{ return(default__drop_days_after(day_column, last_day)) }}
    {%- endif -%}
    {{ return("{{ drop_day_partitions_after(this, '" ~ day_column ~ "', " ~ last_day ~ ") }}") }}
{%- endmacro %}

{#- Run when the hook runs: one `alter table ... drop partition` per day of `relation` after `last_day`; the
    hook's own text is then a no-op select. -#}
{% macro drop_day_partitions_after(relation, day_column, last_day) -%}
    {%- if execute -%}
        {%- set days = run_query('select distinct cast(' ~ day_column ~ ' as ' ~ dbt.type_string() ~ ') from '
                                 ~ relation ~ ' where ' ~ day_column ~ ' > ' ~ last_day) -%}
        {%- for row in days.rows -%}
            {%- do run_query('alter table ' ~ relation ~ ' drop if exists partition ('
                             ~ day_column ~ " = date'" ~ row[0] ~ "')") -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
