{#- Web-form submissions in the canonical person-record shape (macros/union_sources.sql). -#}
with

form_submissions as (

    select * from {{ ref('stg_forms__form_submissions') }}

),

final as (

    select
        'forms' as record_source,
        submission_id as record_id,
        email_hash,
        phone_hash,
        contact_name_key as name_key,
        company_name_key

    from form_submissions

)

select * from final
