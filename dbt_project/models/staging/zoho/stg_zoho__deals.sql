{#- One row per Zoho deal, with UTC timestamps; a deal the deleted-records sweep lists (module Deals) is kept and
    flagged. The stage is Stage as Zoho gives it (funnel_stage_map, source zoho). -#}
with

source as (

    {{ select_source_columns(source('zoho', 'deals'), {
        'id': 'string',
        'owner_id': 'string',
        'owner_name': 'string',
        'created_time': 'timestamp',
        'modified_time': 'timestamp',
        'deal_name': 'string',
        'stage': 'string',
        'amount': 'numeric',
        'currency': 'string',
        'exchange_rate': 'numeric',
        'closing_date': 'date',
        'probability': 'numeric',
        'expected_revenue': 'numeric',
        'pipeline_id': 'string',
        'pipeline_name': 'string',
        'type': 'string',
        'lead_source': 'string',
        'reason_for_loss_s': 'string',
        'account_name_id': 'string',
        'account_name_name': 'string',
        'contact_name_id': 'string',
        'contact_name_name': 'string',
        '_dlt_load_id': 'string',
    }) }}

),

deleted as (

    {{ zoho_deleted_records('Deals') | indent(4) }}

),

renamed as (

    select
        source.id as deal_id,
        trim(source.deal_name) as deal_name,
        source.owner_id,
        source.owner_name,
        source.account_name_id as account_id,
        source.account_name_name as account_name,
        source.contact_name_id as contact_id,
        source.contact_name_name as contact_name,
        source.pipeline_id,
        source.pipeline_name,
        trim(source.stage) as stage_name,
        cast(source.amount as {{ dbt.type_numeric() }}) as amount,
        upper(nullif(trim(source.currency), '')) as currency_code,
        cast(source.exchange_rate as {{ dbt.type_numeric() }}) as exchange_rate,
        source.closing_date,
        cast(source.probability as {{ dbt.type_numeric() }}) as probability,
        cast(source.expected_revenue as {{ dbt.type_numeric() }}) as expected_revenue,
        source.type as deal_type,
        nullif(trim(source.lead_source), '') as lead_source,
        nullif(trim(source.reason_for_loss_s), '') as loss_reason,
        {{ to_utc('source.created_time') }} as created_at,
        {{ to_utc('source.modified_time') }} as modified_at,
        deleted.record_id is not null as is_deleted,
        deleted.deleted_at,
        source._dlt_load_id as source_load_id

    from source

    left join deleted
        on source.id = deleted.record_id

)

select * from renamed
