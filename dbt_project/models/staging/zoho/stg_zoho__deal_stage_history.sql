{#- The Stage_History related list of each deal: Zoho writes a row when Stage, Amount, Closing_Date or Probability
    changes, with the stage the deal is then in (entered at modified_time). The stage history is the rows whose
    stage differs from the deal's previous row (the first row is the stage it was created in); a move back to an
    earlier stage or past several stages is a row like any other. -#}
with

source as (

    {{ select_source_columns(source('zoho', 'deal_stage_history'), {
        'id': 'string',
        'deal_id': 'string',
        'stage': 'string',
        'amount': 'numeric',
        'probability': 'numeric',
        'expected_revenue': 'numeric',
        'closing_date': 'date',
        'duration_days': 'bigint',
        'modified_time': 'timestamp',
        'modified_by_id': 'string',
        'moved_to_s': 'string',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        id as history_id,
        deal_id,
        trim(stage) as stage_name,
        cast(amount as {{ dbt.type_numeric() }}) as amount,
        cast(probability as {{ dbt.type_numeric() }}) as probability,
        closing_date,
        duration_days,
        nullif(trim(moved_to_s), '') as moved_to_stage,
        {{ to_utc('modified_time') }} as changed_at,
        modified_by_id as changed_by_user_id,
        _dlt_load_id as source_load_id

    from source

),

sequenced as (

    select
        *,
        lag(stage_name) over (partition by deal_id order by changed_at, history_id) as from_stage_name

    from renamed

),

stage_moves as (

    select
        history_id,
        deal_id,
        from_stage_name,
        stage_name,
        changed_at,
        row_number() over (partition by deal_id order by changed_at, history_id) as change_order,
        amount,
        probability,
        closing_date,
        duration_days,
        moved_to_stage,
        changed_by_user_id,
        source_load_id

    from sequenced

    where from_stage_name is null or stage_name <> from_stage_name

)

select * from stage_moves
