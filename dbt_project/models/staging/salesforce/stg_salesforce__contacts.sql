with

source as (

    {{ select_source_columns(source('salesforce', 'contacts'), {
        'id': 'string',
        'is_deleted': 'boolean',
        'created_date': 'timestamp',
        'last_modified_date': 'timestamp',
        'system_modstamp': 'timestamp',
        'first_name': 'string',
        'last_name': 'string',
        'name': 'string',
        'email': 'string',
        'phone': 'string',
        'title': 'string',
        'account_id': 'string',
        'lead_source': 'string',
        'mailing_country': 'string',
        'owner_id': 'string',
        'currency_iso_code': 'string',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        id as contact_id,
        trim(first_name) as first_name,
        trim(last_name) as last_name,
        trim(coalesce(name, {{ dbt.concat(["coalesce(first_name, '')", "' '", "coalesce(last_name, '')"]) }}))
            as contact_name,
        {{ normalize_email('email') }} as email,
        {{ phone_digits('phone') }} as phone_digits,
        trim(title) as job_title,
        nullif(trim(account_id), '') as account_id,
        nullif(trim(lead_source), '') as lead_source,
        trim(mailing_country) as mailing_country,
        nullif(trim(owner_id), '') as owner_id,
        upper(nullif(trim(currency_iso_code), '')) as currency_code,
        {{ to_utc('created_date') }} as created_at,
        {{ to_utc('coalesce(last_modified_date, system_modstamp)') }} as modified_at,
        coalesce(is_deleted, false) as is_deleted,
        _dlt_load_id as source_load_id

    from source

),

protected as (

    {{ protect_contact('renamed', name='contact_name') }}

)

select * from protected
