{#- The deals of every YAML CRM (macros/rest_crm.sql: each raw_<name> holding a crm_spec), source_name = the CRM's
    name; the stage as the CRM labels it (its option values already translated by ingestion), deleted deals kept and
    flagged. -#}
with

source as (

    {{ union_rest_crm('deals', {
        'deal_id': 'string',
        'deal_name': 'string',
        'pipeline_id': 'string',
        'stage': 'string',
        'amount': 'numeric',
        'currency_code': 'string',
        'probability': 'numeric',
        'expected_close_on': 'date',
        'created_at': 'timestamp',
        'modified_at': 'timestamp',
        'closed_at': 'timestamp',
        'owner_id': 'string',
        'company_id': 'string',
        'contact_id': 'string',
        'lead_id': 'string',
        'channel': 'string',
        'loss_reason': 'string',
        'is_deleted': 'boolean',
        '_dlt_load_id': 'string',
    }) | indent(4) }}

),

renamed as (

    select
        source_name,
        deal_id,
        trim(deal_name) as deal_name,
        nullif(trim(pipeline_id), '') as pipeline_id,
        trim(stage) as stage_label,
        cast(amount as {{ dbt.type_numeric() }}) as amount,
        upper(nullif(trim(currency_code), '')) as currency_code,
        cast(probability as {{ dbt.type_numeric() }}) as probability,
        expected_close_on,
        {{ to_utc('created_at') }} as created_at,
        {{ to_utc('modified_at') }} as modified_at,
        {{ to_utc('closed_at') }} as closed_at,
        nullif(trim(owner_id), '') as owner_id,
        nullif(trim(company_id), '') as company_id,
        nullif(trim(contact_id), '') as contact_id,
        nullif(trim(lead_id), '') as lead_id,
        nullif(trim(channel), '') as channel,
        nullif(trim(loss_reason), '') as loss_reason,
        coalesce(is_deleted, false) as is_deleted,
        _dlt_load_id as source_load_id

    from source

)

select * from renamed
