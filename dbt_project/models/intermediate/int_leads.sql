{#- Every lead up to the as-of day: form submissions, HubSpot contacts and the leads of every spreadsheet entry
    with `entity: leads`, with the person and company they resolve to and their channel (seed channel_map). A
    spreadsheet lead's channel is its `channel` value under the entry's channel_field (default channel). A form's channel is its `channel` field, else its utm_source, else —
    no campaign tag at all — the website's organic traffic ('(none)' in the map); a HubSpot contact's is its
    original source (hs_analytics_source). Values the map does not know are 'other'. -#}
with

form_submissions as (

    select * from {{ ref('stg_forms__form_submissions') }}

),

hubspot_contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}

),

sheet_leads as (

    select * from {{ ref('stg_spreadsheets__leads') }}

),

sheet_lead_attributes as (

    select * from {{ ref('stg_spreadsheets__lead_attributes') }}

),

owner_identities as (

    select * from {{ ref('int_owner_identities') }}

),

attributes as (

    {{ attributes_by_record('sheet_lead_attributes', 'lead_id') }}

),

person_identities as (

    select * from {{ ref('int_person_identities') }}

),

company_identities as (

    select * from {{ ref('int_company_identities') }}

),

channel_map as (

    select * from {{ ref('channel_map') }}

),

form_leads as (

    select
        {{ dbt.concat(["'forms:'", "form_submissions.submission_id"]) }} as lead_id,
        'forms' as lead_source,
        'forms' as record_source,
        form_submissions.submission_id as record_id,
        form_submissions.form_tool,
        form_submissions.submitted_at as created_at,
        coalesce(by_channel.channel_code, by_utm.channel_code, 'other') as channel_code,
        form_submissions.email_hash,
        form_submissions.phone_masked,
        cast(null as {{ dbt.type_string() }}) as lifecycle_stage,
        cast(null as {{ dbt.type_string() }}) as hubspot_owner_id,
        cast(null as {{ dbt.type_string() }}) as owner_name_key,
        cast(null as {{ dbt.type_string() }}) as segment,
        cast(null as {{ dbt.type_string() }}) as lead_type,
        cast(null as {{ dbt.type_numeric() }}) as declared_revenue

    from form_submissions

    left join channel_map as by_channel
        on
            by_channel.source_field = 'channel'
            and {{ lookup_key('form_submissions.channel') }} = {{ lookup_key('by_channel.source_value') }}

    left join channel_map as by_utm
        on
            by_utm.source_field = 'utm_source'
            and coalesce({{ lookup_key('form_submissions.utm_source') }}, '(none)')
            = {{ lookup_key('by_utm.source_value') }}

),

contact_leads as (

    select
        {{ dbt.concat(["'hubspot:'", "hubspot_contacts.hubspot_contact_id"]) }} as lead_id,
        'hubspot' as lead_source,
        'hubspot_contact' as record_source,
        hubspot_contacts.hubspot_contact_id as record_id,
        cast(null as {{ dbt.type_string() }}) as form_tool,
        hubspot_contacts.created_at,
        coalesce(by_source.channel_code, 'other') as channel_code,
        hubspot_contacts.email_hash,
        hubspot_contacts.phone_masked,
        hubspot_contacts.lifecycle_stage,
        hubspot_contacts.hubspot_owner_id,
        cast(null as {{ dbt.type_string() }}) as owner_name_key,
        cast(null as {{ dbt.type_string() }}) as segment,
        cast(null as {{ dbt.type_string() }}) as lead_type,
        cast(null as {{ dbt.type_numeric() }}) as declared_revenue

    from hubspot_contacts

    left join channel_map as by_source
        on
            by_source.source_field = 'hs_analytics_source'
            and {{ lookup_key('hubspot_contacts.analytics_source') }} = {{ lookup_key('by_source.source_value') }}

    where not hubspot_contacts.is_archived

),

spreadsheet_leads as (

    select
        {{ dbt.concat(["sheet_leads.source_name", "':'", "sheet_leads.lead_id"]) }} as lead_id,
        'spreadsheets' as lead_source,
        sheet_leads.source_name as record_source,
        sheet_leads.lead_id as record_id,
        cast(null as {{ dbt.type_string() }}) as form_tool,
        sheet_leads.created_at,
        coalesce(by_channel.channel_code, 'other') as channel_code,
        sheet_leads.contact_email_hash as email_hash,
        sheet_leads.contact_phone_masked as phone_masked,
        cast(null as {{ dbt.type_string() }}) as lifecycle_stage,
        cast(null as {{ dbt.type_string() }}) as hubspot_owner_id,
        coalesce(sheet_leads.owner_name_key, attributes.owner_name_key) as owner_name_key,
        coalesce(sheet_leads.segment, attributes.segment) as segment,
        coalesce(sheet_leads.lead_type, attributes.lead_type) as lead_type,
        coalesce(sheet_leads.declared_revenue, attributes.declared_revenue) as declared_revenue

    from sheet_leads

    left join attributes
        on
            sheet_leads.source_name = attributes.attribute_of
            and sheet_leads.lead_id = attributes.lead_id

    left join channel_map as by_channel
        on
            sheet_leads.channel_field = by_channel.source_field
            and {{ lookup_key('sheet_leads.channel') }} = {{ lookup_key('by_channel.source_value') }}

),

unioned as (

    select * from form_leads
    union all
    select * from contact_leads
    union all
    select * from spreadsheet_leads

),

resolved as (

    select
        unioned.lead_id,
        unioned.lead_source,
        unioned.record_source,
        unioned.record_id as source_lead_id,
        unioned.form_tool,
        unioned.created_at,
        person_identities.person_id,
        company_identities.company_id,
        unioned.channel_code,
        unioned.email_hash,
        unioned.phone_masked,
        unioned.lifecycle_stage,
        case
            when unioned.hubspot_owner_id is not null then {{ dbt.concat(["'hubspot:'", "unioned.hubspot_owner_id"]) }}
            else owner_identities.owner_id
        end as owner_id,
        unioned.segment,
        unioned.lead_type,
        unioned.declared_revenue

    from unioned

    left join person_identities
        on
            unioned.record_source = person_identities.record_source
            and unioned.record_id = person_identities.record_id

    left join company_identities
        on
            unioned.record_source = company_identities.record_source
            and unioned.record_id = company_identities.record_id

    left join owner_identities
        on
            owner_identities.record_source = 'owner_name'
            and unioned.owner_name_key = owner_identities.record_key

    where unioned.created_at < {{ as_of_cutoff() }}

),

final as (

    select
        *,
        row_number() over (partition by person_id order by created_at, lead_id) = 1 as is_first_touch

    from resolved

)

select * from final
