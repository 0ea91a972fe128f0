{#- The canonical company, person and owner records of a CRM whose staging has accounts, contacts, leads and users
    in the shared column names (stg_<crm>__accounts: account_id, account_name, company_name_key, domain, industry,
    employee_count; __contacts: contact_id, account_id, email_domain, email_hash, phone_hash, contact_name_key;
    __leads: lead_id, email_hash, phone_hash, lead_name_key, company_name_key; __users: user_id, user_name,
    first_name, last_name, is_active). Salesforce and Zoho use them; each macro is the body of the model's final
    CTE, over its import CTEs named accounts, contacts, leads and users. -#}

{#- Accounts, and the account of each contact with the contact's email domain (int_<crm>__companies). -#}
{% macro crm_account_companies(source) -%}
    select
        '{{ source }}_company' as record_source,
        1 as source_priority,
        account_id as record_id,
        account_id as company_source_id,
        account_name as company_name,
        company_name_key,
        domain as email_domain,
        industry,
        employee_count

    from accounts

    union all

    select
        '{{ source }}_contact' as record_source,
        4 as source_priority,
        contacts.contact_id as record_id,
        contacts.account_id as company_source_id,
        accounts.account_name as company_name,
        accounts.company_name_key,
        contacts.email_domain,
        cast(null as {{ dbt.type_string() }}) as industry,
        cast(null as {{ dbt.type_bigint() }}) as employee_count

    from contacts

    left join accounts
        on contacts.account_id = accounts.account_id
{%- endmacro %}

{#- Contacts and leads, with the name key of their account (contacts) or company (leads) (int_<crm>__people). -#}
{% macro crm_contact_and_lead_people(source) -%}
    select
        '{{ source }}_contact' as record_source,
        contacts.contact_id as record_id,
        contacts.email_hash,
        contacts.phone_hash,
        contacts.contact_name_key as name_key,
        accounts.company_name_key

    from contacts

    left join accounts
        on contacts.account_id = accounts.account_id

    union all

    select
        '{{ source }}_lead' as record_source,
        lead_id as record_id,
        email_hash,
        phone_hash,
        lead_name_key as name_key,
        company_name_key

    from leads
{%- endmacro %}

{#- Users as owners: the name keys both ways round for matching spreadsheet names, an inactive user archived, and
    the column that names the team, if the CRM has one (int_<crm>__owners). -#}
{% macro crm_user_owners(source, team_column=none) -%}
    select
        {{ dbt.concat(["'" ~ source ~ ":'", "user_id"]) }} as owner_id,
        user_id as owner_source_id,
        user_name as owner_name,
        {%- if team_column %}
        {{ team_column }} as team_name,
        {%- endif %}
        {{ person_name_key(dbt.concat(["coalesce(last_name, '')", "coalesce(first_name, '')"])) }}
            as owner_name_key_surname_first,
        {{ person_name_key(dbt.concat(["coalesce(first_name, '')", "coalesce(last_name, '')"])) }}
            as owner_name_key_given_first,
        not is_active as is_archived

    from users
{%- endmacro %}
