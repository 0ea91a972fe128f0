{#- Many sources into one canonical model (STYLE (c)). Each source ends in a model int_<source>__<entity>
    (models/intermediate/<source folder>/) that writes the canonical columns it has and nothing else;
    union_sources(entity, sources) unions them in the order of canonical_columns(entity), a column the model's
    yml does not list as a typed null (filled_columns in macros/source_columns.sql), each row stamped with its source_name (the entry of `sources`, or the
    model's own source_name column when its yml lists one: int_rest_crm__* holds every YAML CRM, each row its CRM's name), then the
    columns of var('<entity>_passthrough_columns') (a customer's own fields, e.g. [{name: loss_reason_c,
    type: string}], or just the name for a string), null for a source without them.
    Adding a source = its int_<source>__<entity> models + one entry in each var of dbt_project.yml that lists the
    sources of an entity (deal_sources, deal_stage_change_sources, owner_sources, person_sources,
    company_sources). -#}

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
    {%- elif entity == 'deal_stage_changes' -%}
        {#- a recorded entry into a stage; the stage it left (from_*), when the source says, dates that stage too
            when it opens the deal's history (int_deal_stage_changes); change_order orders moves at one time -#}
        {{ return({
            'deal_id': 'string',
            'source_stage': 'string',
            'ingested_stage_code': 'string',
            'from_source_stage': 'string',
            'ingested_from_stage_code': 'string',
            'changed_at': 'utc_timestamp',
            'change_order': 'bigint',
            'source_load_id': 'string',
        }) }}
    {%- elif entity == 'owners' -%}
        {#- a CRM's sales reps; spreadsheet owner names are matched to them by either name key -#}
        {{ return({
            'owner_id': 'string',
            'owner_source_id': 'string',
            'owner_name': 'string',
            'team_name': 'string',
            'owner_name_key_surname_first': 'string',
            'owner_name_key_given_first': 'string',
            'is_archived': 'boolean',
        }) }}
    {%- elif entity == 'people' -%}
        {#- every place a person is seen, for identity resolution (int_person_identities); a CRM's contacts have
            record_source <source>_contact, which int_deal_links joins a deal's contact_source_id on -#}
        {{ return({
            'record_source': 'string',
            'record_id': 'string',
            'email_hash': 'string',
            'phone_hash': 'string',
            'name_key': 'string',
            'company_name_key': 'string',
        }) }}
    {%- elif entity == 'companies' -%}
        {#- every place a company is seen, for identity resolution (int_company_identities); a CRM's own companies
            are record_source <source>_company with company_source_id, which int_deal_links joins a deal's on -#}
        {{ return({
            'record_source': 'string',
            'source_priority': 'integer',
            'record_id': 'string',
            'company_source_id': 'string',
            'company_name': 'string',
            'company_name_key': 'string',
            'email_domain': 'string',
            'industry': 'string',
            'company_size': 'string',
            'employee_count': 'bigint',
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
    {%- if not sources %}
    {#- no source (a unit test sets the var to []): the columns, no rows -#}
    {%- set named = {'source_name': 'string'} -%}
    {%- do named.update(columns) %}
    {{ typed_empty_select(named) }}
    {%- endif %}
    {%- for source in sources %}
    {%- set model_name = 'int_' ~ source ~ '__' ~ entity %}
    {%- set written = documented_columns(model_name) if execute and graph.nodes is defined else columns | list %}
    {#- a model that unions several accounts itself (int_rest_crm__*: one per YAML CRM) names each row's #}
    select
        {{ 'source_name' if 'source_name' in written else "'" ~ source ~ "'" }} as source_name,
        {{- filled_columns(columns, written) }}

    from {{ ref(model_name) }}
    {% if not loop.last %}
    union all
    {% endif -%}
    {%- endfor %}
{%- endmacro %}

{#- The columns a model writes, as its yml lists them (test_dbt_models holds every model's yml to its built
    columns): read from the manifest, so the union compiles before its parents are built. A unit test has no
    manifest: every canonical column is read, so a unit test of a model that unions sets the sources var to []. -#}
{% macro documented_columns(model_name) -%}
    {%- set names = [] -%}
    {%- if execute and graph.nodes is defined -%}
        {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == model_name -%}
            {%- for column in node.columns -%}
                {%- do names.append(column | lower) -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- if not names -%}
            {{ exceptions.raise_compiler_error(model_name ~ " lists no columns: describe them in its yml") }}
        {%- endif -%}
    {%- endif -%}
    {{ return(names) }}
{%- endmacro %}
