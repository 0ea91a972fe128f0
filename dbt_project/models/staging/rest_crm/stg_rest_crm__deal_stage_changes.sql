{#- Every stage move of every YAML CRM's deals as the CRM records them, backward moves and skipped stages as they
    happened; change_order orders a deal's moves in time. -#}
with

source as (

    {{ union_rest_crm('deal_stage_changes', {
        'change_id': 'string',
        'deal_id': 'string',
        'stage': 'string',
        'from_stage': 'string',
        'changed_at': 'timestamp',
        '_dlt_load_id': 'string',
    }) | indent(4) }}

),

renamed as (

    select
        source_name,
        change_id,
        deal_id,
        nullif(trim(from_stage), '') as from_stage_label,
        trim(stage) as stage_label,
        {{ to_utc('changed_at') }} as changed_at,
        row_number() over (partition by source_name, deal_id order by changed_at, change_id) as change_order,
        _dlt_load_id as source_load_id

    from source

)

select * from renamed
