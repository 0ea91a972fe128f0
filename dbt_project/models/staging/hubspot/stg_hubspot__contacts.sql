with

source as (

    {{ select_source_columns(source('hubspot', 'contacts'), {
        'id': 'string',
        'created_at': 'timestamp',
        'updated_at': 'timestamp',
        'archived': 'boolean',
        'email': 'string',
        'firstname': 'string',
        'lastname': 'string',
        'jobtitle': 'string',
        'phone': 'string',
        'company': 'string',
        'lifecyclestage': 'string',
        'hs_lead_status': 'string',
        'hubspot_owner_id': 'string',
        'createdate': 'timestamp',
        'lastmodifieddate': 'timestamp',
        'hs_analytics_source': 'string',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        id as hubspot_contact_id,
        trim(firstname) as first_name,
        trim(lastname) as last_name,
        -- Chinese names (no letter case) are written surname first: 卢怡文; others first name first: Ryan Han
        case
            when lower(coalesce(firstname, '')) = upper(coalesce(firstname, ''))
                then trim({{ dbt.concat(["coalesce(lastname, '')", "coalesce(firstname, '')"]) }})
            else trim({{ dbt.concat(["coalesce(firstname, '')", "' '", "coalesce(lastname, '')"]) }})
        end as contact_name,
        {{ normalize_email('email') }} as email,
        {{ phone_digits('phone') }} as phone_digits,
        trim(jobtitle) as job_title,
        trim(company) as company_name,
        {{ company_name_squeezed('company') }} as company_name_squeezed,
        lifecyclestage as lifecycle_stage,
        hs_lead_status as lead_status,
        nullif(trim(hubspot_owner_id), '') as hubspot_owner_id,
        nullif(trim(hs_analytics_source), '') as analytics_source,
        {{ to_utc('coalesce(createdate, created_at)') }} as created_at,
        {{ to_utc('coalesce(lastmodifieddate, updated_at)') }} as modified_at,
        coalesce(archived, false) as is_archived,
        _dlt_load_id as source_load_id

    from source

),

normalised as (

    select
        *,
        {{ company_name_key('company_name_squeezed') }} as company_name_key,
        {{ phone_e164('phone_digits') }} as phone

    from renamed

),

protected as (

    select
        *,
        {{ person_name_key('contact_name') }} as contact_name_key,
        {{ protected_email_columns('email') }},
        {{ protected_phone_columns('phone') }}

    from normalised

)

select * from protected
