{#- One row per place a person is seen (form submission, HubSpot contact, tracker row, export row, a lead or deal
    row of a spreadsheet entry, record_source = the entry's name: every source of var('person_sources') through its
    canonical model int_<source>__people, macros/union_sources.sql), with the
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

records as (

    {{ union_sources('people', var('person_sources')) | indent(4) }}

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
