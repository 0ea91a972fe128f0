{#- Many sources into one canonical model (STYLE (c)). Each source ends in a model int_<source>__<entity>
    (models/intermediate/<source folder>/) that writes the canonical columns it has and nothing else;
    union_sources(entity, sources) unions them in the order of canonical_columns(entity), an absent column as a
    typed null (select_source_columns), each row stamped with its source_name (the entry of `sources`), then the
    columns of var('<entity>_passthrough_columns') (a customer's own fields, e.g. [{name: loss_reason_c,
    type: string}], or just the name for a string), null for a source without them.
    Adding a source = its int_<source>__<entity> models + one entry in the var <entity>-sources of
    dbt_project.yml (deal_sources, deal_stage_change_sources). -#}

{#- The canonical columns of an entity: name -> type key of column_type (macros/source_columns.sql), kept once. -#}
{% macro canonical_columns(entity) -%}
    {%- if entity == 'deals' -%}
        {{ return({
            'deal_id': 'string',
            'source': 'string',
            'stage_source': 'string',
            'source_deal_id': 'string',
            'source_lead_id': 'string',
            'pipeline_id': 'string',
            'deal_name': 'string',
            'created_at': 'utc_timestamp',
            'current_stage_value': 'string',
            'ingested_stage_code': 'string',
            'stage_entered_on': 'date',
            'previous_stage_days': 'integer',
            'key_action_count': 'integer',
            'closed_at': 'utc_timestamp',
            'amount': 'numeric',
            'currency_code': 'string',
            'owner_source_id': 'string',
            'owner_name': 'string',
            'owner_name_key': 'string',
            'team_hint': 'string',
            'company_source_id': 'string',
            'contact_source_id': 'string',
            'company_name': 'string',
            'company_name_key': 'string',
            'industry': 'string',
            'company_size': 'string',
            'contact_email_hash': 'string',
            'contact_email_domain': 'string',
            'contact_phone_hash': 'string',
            'contact_name_key': 'string',
            'channel_field': 'string',
            'channel_value': 'string',
            'loss_reason_text': 'string',
            'is_archived': 'boolean',
            'archived_at': 'utc_timestamp',
            'segment': 'string',
            'lead_type': 'string',
            'product': 'string',
            'declared_revenue': 'numeric',
            'is_undated': 'boolean',
            'lost_from_stage_code': 'string',
            'source_load_id': 'string',
        }) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("no canonical columns for entity " ~ entity) }}
    {%- endif -%}
{%- endmacro %}

{#- var('<entity>_passthrough_columns') as name -> type key (a bare name is a string column). -#}
{% macro passthrough_columns(entity) -%}
    {%- set columns = {} -%}
    {%- for column in var(entity ~ '_passthrough_columns', []) -%}
        {%- if column is mapping -%}
            {%- do columns.update({column['name']: column.get('type', 'string')}) -%}
        {%- else -%}
            {%- do columns.update({column: 'string'}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}

{% macro union_sources(entity, sources) -%}
    {%- set columns = {} -%}
    {%- do columns.update(canonical_columns(entity)) -%}
    {%- do columns.update(passthrough_columns(entity)) -%}
    {%- for source in sources %}
    select
        '{{ source }}' as source_name,
        {{ source }}_{{ entity }}.*

    from (
        {{ select_source_columns(ref('int_' ~ source ~ '__' ~ entity), columns) | indent(8) }}
    ) as {{ source }}_{{ entity }}
    {% if not loop.last %}
    union all
    {% endif -%}
    {%- endfor %}
{%- endmacro %}
