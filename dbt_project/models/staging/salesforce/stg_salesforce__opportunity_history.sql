{#- OpportunityHistory gets a row whenever Amount, CloseDate, Probability or StageName changes: the stage history is
    the rows whose StageName differs from the opportunity's previous row (the first row is the stage it was created
    in). A move back to an earlier stage is a row like any other. -#}
with

source as (

    {{ select_source_columns(source('salesforce', 'opportunity_history'), {
        'id': 'string',
        'is_deleted': 'boolean',
        'created_date': 'timestamp',
        'opportunity_id': 'string',
        'stage_name': 'string',
        'amount': 'numeric',
        'close_date': 'date',
        'probability': 'numeric',
        'forecast_category': 'string',
        'currency_iso_code': 'string',
        '_dlt_load_id': 'string',
    }) }}

),

renamed as (

    select
        id as history_id,
        opportunity_id,
        stage_name,
        cast(amount as {{ dbt.type_numeric() }}) as amount,
        upper(nullif(trim(currency_iso_code), '')) as currency_code,
        close_date,
        cast(probability as {{ dbt.type_numeric() }}) as probability,
        forecast_category,
        {{ to_utc('created_date') }} as changed_at,
        coalesce(is_deleted, false) as is_deleted,
        _dlt_load_id as source_load_id

    from source

),

sequenced as (

    select
        *,
        lag(stage_name) over (partition by opportunity_id order by changed_at, history_id) as from_stage_name

    from renamed

),

stage_moves as (

    select
        history_id,
        opportunity_id,
        from_stage_name,
        stage_name,
        changed_at,
        row_number() over (partition by opportunity_id order by changed_at, history_id) as change_order,
        amount,
        currency_code,
        close_date,
        probability,
        forecast_category,
        is_deleted,
        source_load_id

    from sequenced

    where from_stage_name is null or stage_name <> from_stage_name

)

select * from stage_moves
