{#- Deals of every mapping entry with `entity: deals` and no `table:` (raw_spreadsheets.deals), one row per entry
    (source_name) and deal. Columns an entry does not map are null; the deal id defaults to the entry's key (e.g. the
    lead id of a closed-deals file keyed by lead). stage_source is the funnel_stage_map vocabulary of the entry. -#}
with

source as (

    {{ select_source_columns(source('spreadsheets', 'deals'), {
        'source_name': 'string',
        'record_key': 'string',
        'deal_id': 'string',
        'lead_id': 'string',
        'deal_name': 'string',
        'account_name': 'string',
        'stage_raw': 'string',
        'stage_code': 'string',
        'stage_source': 'string',
        'lost_from_stage_code': 'string',
        'stage_entered_on': 'date',
        'created_on': 'date',
        'owner_name': 'string',
        'amount': 'numeric',
        'channel_field': 'string',
        'channel': 'string',
        'lost_reason': 'string',
        'industry': 'string',
        'company_size': 'string',
        'contact_name': 'string',
        'contact_email': 'string',
        'contact_phone': 'string',
        'currency': 'string',
        'entry_currency': 'string',
        'segment': 'string',
        'lead_type': 'string',
        'product': 'string',
        'declared_revenue': 'numeric',
        'source_file': 'string',
        'source_row': 'bigint',
        'data_issues': 'string',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        source_name,
        coalesce(nullif(trim(deal_id), ''), record_key) as deal_id,
        nullif(trim(lead_id), '') as lead_id,
        coalesce(nullif(trim(deal_name), ''), trim(account_name)) as deal_name,
        trim(account_name) as account_name,
        {{ company_name_squeezed('account_name') }} as account_name_squeezed,
        trim(stage_raw) as stage_raw,
        stage_code as ingested_stage_code,
        stage_source,
        lost_from_stage_code,
        cast(stage_entered_on as date) as stage_entered_on,
        cast(created_on as date) as created_on,
        trim(owner_name) as owner_name,
        {{ person_name_key('owner_name') }} as owner_name_key,
        cast(amount as {{ dbt.type_numeric() }}) as amount,
        -- a currency column wins over the entry's `currency`; neither: CNY
        upper(coalesce(nullif(trim(currency), ''), entry_currency, 'CNY')) as currency_code,
        coalesce(channel_field, 'channel') as channel_field,
        nullif(trim(channel), '') as channel,
        nullif(trim(lost_reason), '') as lost_reason,
        nullif(trim(industry), '') as industry,
        nullif(trim(company_size), '') as company_size,
        {{ person_name_key('contact_name') }} as contact_name_key,
        {{ normalize_email('contact_email') }} as contact_email,
        contact_phone,
        nullif(trim(segment), '') as segment,
        nullif(trim(lead_type), '') as lead_type,
        nullif(trim(product), '') as product,
        cast(declared_revenue as {{ dbt.type_numeric() }}) as declared_revenue,
        source_file,
        source_row,
        data_issues,
        _dlt_load_id as source_load_id

    from source

),

protected as (

    select
        *,
        {{ company_name_key('account_name_squeezed') }} as account_name_key,
        {{ protected_email_columns('contact_email') }},
        {{ protected_phone_columns('contact_phone') }}

    from renamed

)

select * from protected
