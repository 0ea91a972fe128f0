{#- The companies web-form submissions name, in the canonical company-record shape (macros/union_sources.sql). -#}
with

form_submissions as (

    select * from {{ ref('stg_forms__form_submissions') }}

),

final as (

    select
        'forms' as record_source,
        5 as source_priority,
        submission_id as record_id,
        company_name,
        company_name_key,
        email_domain,
        industry,
        company_size

    from form_submissions

)

select * from final
