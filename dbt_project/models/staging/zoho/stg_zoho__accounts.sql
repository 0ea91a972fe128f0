{#- One row per Zoho account (company); an account the deleted-records sweep lists (module Accounts) is kept and
    flagged. The phone stays in raw. -#}
with

source as (

    {{ select_source_columns(source('zoho', 'accounts'), {
        'id': 'string',
        'owner_id': 'string',
        'created_time': 'timestamp',
        'modified_time': 'timestamp',
        'account_name': 'string',
        'account_type': 'string',
        'industry': 'string',
        'employees': 'bigint',
        'annual_revenue': 'numeric',
        'website': 'string',
        'billing_city': 'string',
        'billing_country': 'string',
        'parent_account_id': 'string',
        '_dlt_load_id': 'string',
    }) }}

),

deleted as (

    {{ zoho_deleted_records('Accounts') | indent(4) }}

),

renamed as (

    select
        source.id as account_id,
        source.owner_id,
        trim(source.account_name) as account_name,
        {{ company_name_squeezed('source.account_name') }} as company_name_squeezed,
        source.account_type,
        nullif(trim(source.industry), '') as industry,
        source.employees as employee_count,
        cast(source.annual_revenue as {{ dbt.type_numeric() }}) as annual_revenue,
        -- a website as typed (https://www.globex.com/, www.globex.com): the host, lower case, without www.
        nullif({{ dbt.split_part(
            "replace(replace(replace(lower(trim(source.website)), 'https://', ''), 'http://', ''), 'www.', '')",
            "'/'", 1
        ) }}, '') as domain,
        trim(source.billing_city) as billing_city,
        trim(source.billing_country) as billing_country,
        source.parent_account_id,
        {{ to_utc('source.created_time') }} as created_at,
        {{ to_utc('source.modified_time') }} as modified_at,
        deleted.record_id is not null as is_deleted,
        source._dlt_load_id as source_load_id

    from source

    left join deleted
        on source.id = deleted.record_id

),

normalised as (

    select
        *,
        {{ company_name_key('company_name_squeezed') }} as company_name_key

    from renamed

)

select * from normalised
