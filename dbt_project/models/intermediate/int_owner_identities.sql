{#- Which owner (sales rep) a CRM owner id or a name written in a spreadsheet means. The CRM owners are those of
    var('owner_sources'), each through its canonical model int_<source>__owners (macros/union_sources.sql). A
    spreadsheet name finds the CRM owner with that name in either order, without spaces or case (周文 = 周 + 文,
    "Ryan Han"; the least owner_id when several have it); a name no CRM owner has is an owner of its own,
    'sheet:<name>'. -#}
with

crm_owners as (

    {{ union_sources('owners', var('owner_sources')) | indent(4) }}

),

tracker_deals as (

    select * from {{ ref('stg_spreadsheets__tracker_deals') }}

),

export_deals as (

    select * from {{ ref('stg_spreadsheets__export_deals') }}

),

sheet_records as (

    -- owners named by spreadsheet entries without `table:` (deals, leads and their attribute files)
    select
        owner_name,
        owner_name_key

    from {{ ref('stg_spreadsheets__deals') }}

    union all

    select
        owner_name,
        owner_name_key

    from {{ ref('stg_spreadsheets__leads') }}

    union all

    select
        owner_name,
        owner_name_key

    from {{ ref('stg_spreadsheets__deal_attributes') }}

    union all

    select
        owner_name,
        owner_name_key

    from {{ ref('stg_spreadsheets__lead_attributes') }}

),

crm_names as (

    select
        owner_name_key_surname_first as owner_name_key,
        owner_id,
        source_name,
        owner_source_id

    from crm_owners

    union all

    select
        owner_name_key_given_first as owner_name_key,
        owner_id,
        source_name,
        owner_source_id

    from crm_owners

),

crm_by_name as (

    select
        owner_name_key,
        owner_id,
        source_name,
        owner_source_id,
        row_number() over (partition by owner_name_key order by owner_id) as name_rank

    from crm_names

    where owner_name_key is not null

),

sheet_names as (

    select
        owner_name_key,
        min(owner_name) as owner_name,
        min(team) as team_name

    from tracker_deals

    where owner_name_key is not null

    group by 1

    union all

    select
        owner_name_key,
        min(owner_name) as owner_name,
        cast(null as {{ dbt.type_string() }}) as team_name

    from export_deals

    where owner_name_key is not null

    group by 1

    union all

    select
        owner_name_key,
        min(owner_name) as owner_name,
        cast(null as {{ dbt.type_string() }}) as team_name

    from sheet_records

    where owner_name_key is not null

    group by 1

),

sheet_owners as (

    select
        owner_name_key,
        min(owner_name) as owner_name,
        min(team_name) as team_name

    from sheet_names

    group by 1

),

final as (

    select
        {{ dbt.concat(["source_name", "'_owner'"]) }} as record_source,
        owner_source_id as record_key,
        owner_id,
        owner_name,
        team_name,
        source_name as owner_source,
        owner_source_id,
        is_archived

    from crm_owners

    union all

    select
        'owner_name' as record_source,
        sheet_owners.owner_name_key as record_key,
        coalesce(crm_by_name.owner_id, {{ dbt.concat(["'sheet:'", "sheet_owners.owner_name_key"]) }}) as owner_id,
        sheet_owners.owner_name,
        sheet_owners.team_name,
        crm_by_name.source_name as owner_source,
        crm_by_name.owner_source_id,
        false as is_archived

    from sheet_owners

    left join crm_by_name
        on
            sheet_owners.owner_name_key = crm_by_name.owner_name_key
            and crm_by_name.name_rank = 1

)

select * from final
