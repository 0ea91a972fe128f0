{#- The leads and contacts of every YAML CRM (person_type lead | contact), email and phone normalised and protected
    (clear values stay in staging), deleted ones kept and flagged. -#}
with

source as (

    {{ union_rest_crm('people', {
        'person_id': 'string',
        'person_type': 'string',
        'person_name': 'string',
        'email': 'string',
        'phone': 'string',
        'company_id': 'string',
        'company_name': 'string',
        'lead_status': 'string',
        'channel': 'string',
        'created_at': 'timestamp',
        'modified_at': 'timestamp',
        'converted_at': 'timestamp',
        'is_deleted': 'boolean',
        '_dlt_load_id': 'string',
    }) | indent(4) }}

),

renamed as (

    select
        source_name,
        person_id,
        lower(trim(person_type)) as person_type,
        trim(person_name) as person_name,
        {{ normalize_email('email') }} as email,
        {{ phone_digits('phone') }} as phone_digits,
        nullif(trim(company_id), '') as company_id,
        trim(company_name) as company_name,
        {{ company_name_squeezed('company_name') }} as company_name_squeezed,
        nullif(trim(lead_status), '') as lead_status,
        nullif(trim(channel), '') as channel,
        {{ to_utc('created_at') }} as created_at,
        {{ to_utc('modified_at') }} as modified_at,
        {{ to_utc('converted_at') }} as converted_at,
        coalesce(is_deleted, false) as is_deleted,
        _dlt_load_id as source_load_id

    from source

),

keyed as (

    select
        *,
        {{ company_name_key('company_name_squeezed') }} as company_name_key

    from renamed

),

protected as (

    {{ protect_contact('keyed', name='person_name') }}

)

select * from protected
