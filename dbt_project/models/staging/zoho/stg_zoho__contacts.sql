{#- One row per Zoho contact; a contact the deleted-records sweep lists (module Contacts) is kept and flagged. Email
    and phone (else the mobile) normalised and protected. -#}
with

source as (

    {{ select_source_columns(source('zoho', 'contacts'), {
        'id': 'string',
        'owner_id': 'string',
        'created_time': 'timestamp',
        'modified_time': 'timestamp',
        'first_name': 'string',
        'last_name': 'string',
        'full_name': 'string',
        'email': 'string',
        'phone': 'string',
        'mobile': 'string',
        'title': 'string',
        'lead_source': 'string',
        'mailing_country': 'string',
        'account_name_id': 'string',
        'account_name_name': 'string',
        '_dlt_load_id': 'string',
    }) }}

),

deleted as (

    {{ zoho_deleted_records('Contacts') | indent(4) }}

),

renamed as (

    select
        source.id as contact_id,
        source.owner_id,
        trim(source.first_name) as first_name,
        trim(source.last_name) as last_name,
        trim(coalesce(
            source.full_name,
            {{ dbt.concat(["coalesce(source.first_name, '')", "' '", "coalesce(source.last_name, '')"]) }}
        )) as contact_name,
        {{ normalize_email('source.email') }} as email,
        {{ phone_digits('coalesce(source.phone, source.mobile)') }} as phone_digits,
        trim(source.title) as job_title,
        nullif(trim(source.lead_source), '') as lead_source,
        trim(source.mailing_country) as mailing_country,
        source.account_name_id as account_id,
        source.account_name_name as account_name,
        {{ to_utc('source.created_time') }} as created_at,
        {{ to_utc('source.modified_time') }} as modified_at,
        deleted.record_id is not null as is_deleted,
        source._dlt_load_id as source_load_id

    from source

    left join deleted
        on source.id = deleted.record_id

),

protected as (

    {{ protect_contact('renamed', name='contact_name') }}

)

select * from protected
