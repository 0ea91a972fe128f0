with

source as (

    {{ select_source_columns(source('hubspot', 'deals'), {
        'id': 'string',
        'created_at': 'timestamp',
        'updated_at': 'timestamp',
        'archived': 'boolean',
        'archived_at': 'timestamp',
        'dealname': 'string',
        'amount': 'numeric',
        'deal_currency_code': 'string',
        'pipeline': 'string',
        'dealstage': 'string',
        'closedate': 'timestamp',
        'createdate': 'timestamp',
        'hs_lastmodifieddate': 'timestamp',
        'hubspot_owner_id': 'string',
        'dealtype': 'string',
        'closed_lost_reason': 'string',
        'hs_analytics_source': 'string',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        id as hubspot_deal_id,
        trim(dealname) as deal_name,
        cast(amount as {{ dbt.type_numeric() }}) as amount,
        upper(nullif(trim(deal_currency_code), '')) as currency_code,
        pipeline as pipeline_id,
        dealstage as deal_stage_id,
        {{ to_utc('coalesce(createdate, created_at)') }} as created_at,
        {{ to_utc('closedate') }} as closed_at,
        {{ to_utc('coalesce(hs_lastmodifieddate, updated_at)') }} as modified_at,
        nullif(trim(hubspot_owner_id), '') as hubspot_owner_id,
        dealtype as deal_type,
        nullif(trim(closed_lost_reason), '') as closed_lost_reason,
        nullif(trim(hs_analytics_source), '') as analytics_source,
        coalesce(archived, false) as is_archived,
        {{ to_utc('archived_at') }} as archived_at,
        _dlt_load_id as source_load_id

    from source

)

select * from renamed
