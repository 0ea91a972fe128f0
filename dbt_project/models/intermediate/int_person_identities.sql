{#- One row per place a person is seen (form submission, HubSpot contact, tracker row, export row, a lead or deal
    row of a spreadsheet entry, record_source = the entry's name), with the
    person_id they resolve to. The rule, on normalised values (staging: lower-cased trimmed email, E.164 phone,
    name without spaces):
      1. same email → same person;
      2. a record with a phone but no email joins the person whose records carry that phone together with an email
         (the smallest such email when several do);
      3. otherwise same phone → same person;
      4. otherwise same name at the same company name → same person;
      5. otherwise the record is a person of its own.
    Only hashes of emails and phones are used here: clear values stay in staging. -#}
with

form_submissions as (

    select * from {{ ref('stg_forms__form_submissions') }}

),

hubspot_contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}

),

tracker_deals as (

    select * from {{ ref('stg_spreadsheets__tracker_deals') }}

),

export_deals as (

    select * from {{ ref('stg_spreadsheets__export_deals') }}

),

sheet_leads as (

    select * from {{ ref('stg_spreadsheets__leads') }}

),

sheet_deals as (

    select * from {{ ref('stg_spreadsheets__deals') }}

),

records as (

    select
        'forms' as record_source,
        submission_id as record_id,
        email_hash,
        phone_hash,
        contact_name_key as name_key,
        company_name_key

    from form_submissions

    union all

    select
        'hubspot_contact' as record_source,
        hubspot_contact_id as record_id,
        email_hash,
        phone_hash,
        contact_name_key as name_key,
        company_name_key

    from hubspot_contacts

    union all

    select
        'tracker_cn' as record_source,
        tracker_deal_id as record_id,
        cast(null as {{ dbt.type_string() }}) as email_hash,
        contact_phone_hash as phone_hash,
        contact_name_key as name_key,
        customer_name_key as company_name_key

    from tracker_deals

    union all

    select
        'export_en' as record_source,
        export_deal_id as record_id,
        contact_email_hash as email_hash,
        contact_phone_hash as phone_hash,
        contact_name_key as name_key,
        account_name_key as company_name_key

    from export_deals

    union all

    select
        source_name as record_source,
        lead_id as record_id,
        contact_email_hash as email_hash,
        contact_phone_hash as phone_hash,
        contact_name_key as name_key,
        company_name_key

    from sheet_leads

    union all

    select
        source_name as record_source,
        deal_id as record_id,
        contact_email_hash as email_hash,
        contact_phone_hash as phone_hash,
        contact_name_key as name_key,
        account_name_key as company_name_key

    from sheet_deals

),

email_of_phone as (

    select
        phone_hash,
        min(email_hash) as email_hash

    from records

    where phone_hash is not null and email_hash is not null

    group by 1

),

keyed as (

    select
        records.record_source,
        records.record_id,
        records.email_hash,
        records.phone_hash,
        case
            when records.email_hash is not null then {{ dbt.concat(["'email:'", "records.email_hash"]) }}
            when email_of_phone.email_hash is not null then {{ dbt.concat(["'email:'", "email_of_phone.email_hash"]) }}
            when records.phone_hash is not null then {{ dbt.concat(["'phone:'", "records.phone_hash"]) }}
            when records.name_key is not null and records.company_name_key is not null
                then {{ dbt.concat(["'name:'", "records.name_key", "'|'", "records.company_name_key"]) }}
            else {{ dbt.concat(["'record:'", "records.record_source", "':'", "records.record_id"]) }}
        end as person_key,
        case
            when records.email_hash is not null then 'email'
            when email_of_phone.email_hash is not null then 'phone_to_email'
            when records.phone_hash is not null then 'phone'
            when records.name_key is not null and records.company_name_key is not null then 'name_and_company'
            else 'none'
        end as matched_by

    from records

    left join email_of_phone
        on records.phone_hash = email_of_phone.phone_hash

),

final as (

    select
        record_source,
        record_id,
        {{ dbt.hash('person_key') }} as person_id,
        matched_by

    from keyed

)

select * from final
