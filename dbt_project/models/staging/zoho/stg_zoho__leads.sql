{#- One row per Zoho lead, converted or not, with its conversion targets; a lead the deleted-records sweep lists
    (module Leads) is kept and flagged. Email and phone (else the mobile) normalised and protected. -#}
with

source as (

    {{ select_source_columns(source('zoho', 'leads'), {
        'id': 'string',
        'owner_id': 'string',
        'created_time': 'timestamp',
        'modified_time': 'timestamp',
        'first_name': 'string',
        'last_name': 'string',
        'full_name': 'string',
        'company': 'string',
        'email': 'string',
        'phone': 'string',
        'mobile': 'string',
        'designation': 'string',
        'lead_status': 'string',
        'lead_source': 'string',
        'industry': 'string',
        'no_of_employees': 'bigint',
        'annual_revenue': 'numeric',
        'city': 'string',
        'country': 'string',
        'converted': 'boolean',
        'converted_time': 'timestamp',
        'converted_deal_id': 'string',
        'converted_account_id': 'string',
        'converted_contact_id': 'string',
        '_dlt_load_id': 'string',
    }) }}

),

deleted as (

    {{ zoho_deleted_records('Leads') | indent(4) }}

),

renamed as (

    select
        source.id as lead_id,
        source.owner_id,
        trim(source.first_name) as first_name,
        trim(source.last_name) as last_name,
        trim(coalesce(
            source.full_name,
            {{ dbt.concat(["coalesce(source.first_name, '')", "' '", "coalesce(source.last_name, '')"]) }}
        )) as lead_name,
        {{ normalize_email('source.email') }} as email,
        {{ phone_digits('coalesce(source.phone, source.mobile)') }} as phone_digits,
        trim(source.designation) as job_title,
        trim(source.company) as company_name,
        {{ company_name_squeezed('source.company') }} as company_name_squeezed,
        source.lead_status,
        nullif(trim(source.lead_source), '') as lead_source,
        nullif(trim(source.industry), '') as industry,
        source.no_of_employees as employee_count,
        cast(source.annual_revenue as {{ dbt.type_numeric() }}) as annual_revenue,
        trim(source.city) as city,
        trim(source.country) as country,
        coalesce(source.converted, false) as is_converted,
        {{ to_utc('source.converted_time') }} as converted_at,
        source.converted_deal_id,
        source.converted_account_id,
        source.converted_contact_id,
        {{ to_utc('source.created_time') }} as created_at,
        {{ to_utc('source.modified_time') }} as modified_at,
        deleted.record_id is not null as is_deleted,
        source._dlt_load_id as source_load_id

    from source

    left join deleted
        on source.id = deleted.record_id

),

keyed as (

    select
        *,
        {{ company_name_key('company_name_squeezed') }} as company_name_key

    from renamed

),

protected as (

    {{ protect_contact('keyed', name='lead_name') }}

)

select * from protected
