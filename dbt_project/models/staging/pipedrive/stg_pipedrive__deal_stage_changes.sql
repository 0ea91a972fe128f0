{#- The stage moves of each deal's changelog (field_key stage_id): from and to stage, when, by whom. The stage a deal
    was created in has no changelog entry: it is the from_stage_id of the deal's first move (or the deal's stage_id
    when it never moved). -#}
with

source as (

    {{ select_source_columns(source('pipedrive', 'deal_stage_changes'), {
        'change_id': 'string',
        'deal_id': 'bigint',
        'from_stage_id': 'bigint',
        'to_stage_id': 'bigint',
        'changed_at': 'timestamp',
        'actor_user_id': 'bigint',
        'change_source': 'string',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        change_id,
        deal_id,
        from_stage_id,
        to_stage_id,
        {{ to_utc('changed_at') }} as changed_at,
        row_number() over (partition by deal_id order by changed_at, change_id) as change_order,
        actor_user_id as changed_by_user_id,
        change_source,
        _dlt_load_id as source_load_id

    from source

)

select * from renamed
