{#- The records of one Zoho module the deleted-records sweep lists (raw_zoho.deleted_records: module, id, deleted
    time; Zoho's endpoint gives nothing else of the record): record_id and deleted_at (UTC), for the staging model of
    that module to flag its rows. Read from the source, so staging reads only raw. -#}
{% macro zoho_deleted_records(module) -%}
    select
        id as record_id,
        max({{ to_utc('deleted_time') }}) as deleted_at

    from ({{ select_source_columns(source('zoho', 'deleted_records'), {
        'id': 'string',
        'module': 'string',
        'deleted_time': 'timestamp',
    }) }}
    ) as deleted_records

    where module = '{{ module }}'

    group by 1
{%- endmacro %}
