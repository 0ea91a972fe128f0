-- The lower bound: one hand-written DuckDB script from the raw files to the core marts, no framework.
--
-- Reads the HubSpot emulator's seed files (crm/deals*.jsonl) with read_json, the English export and its stage
-- history with read_csv, and the Chinese trackers with read_csv: the 华东 .xlsx workbooks and GBK-encoded CSVs are
-- converted once to UTF-8 CSV before the clock starts (DuckDB reads neither without an extension), everything else
-- is read in place. The funnel definition is read from the dbt seeds (dbt_project/seeds/funnel/*.csv).
--
-- It parses the way the loaders do (dates in five spellings and Excel serial numbers, amounts in 万 or 元 with
-- thousands separators, durations such as 3周, stage names through funnel_stage_map; rows with a missing or
-- unparseable required or strict field are dropped, as the loaders quarantine them; a repeated natural key keeps
-- its first row) and then derives what dbt derives: stage changes (recorded or inferred), stage events, fct_deals
-- and the marts funnel conversion (overall), stage velocity, stale deals and loss reasons.
--
-- Like any hand-written script it knows its files: the column headers are those the sources write (the loaders'
-- alias lists in ingestion/spreadsheets/mapping.yaml are not consulted).
--
-- Not computed (they need the identity resolution of int_*_identities and the forms): owner_id, company_id,
-- person_id and channel_code of fct_deals, and the funnel's segments other than 'overall'.
--
-- Placeholders filled in by bench/lower_bound.py: ${deal_files}, ${tracker_files}, ${export_files},
-- ${history_files} (SQL lists of paths), ${seeds} (folder), ${as_of} (YYYY-MM-DD), ${cutoff} (the next day).

set TimeZone = 'UTC';

-- ------------------------------------------------------------------------------------------------ helpers
create or replace temp macro clean(x) as
    nullif(regexp_replace(replace(cast(x as varchar), '　', ' '), '^\s+|\s+$', '', 'g'), '');

create or replace temp macro stage_key(x) as lower(regexp_replace(x, '\s', '', 'g'));

-- a day from 2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日, 03/05/2024 (month first), 45356 (Excel serial),
-- 2024-03-05T..., 2024-03-05 10:22[:01]; null when it is none of them
create or replace temp macro parse_day(raw) as (
    with v as (select clean(raw) as t)
    select case
        when t is null then null
        when regexp_full_match(t, '\d{5}(\.\d+)?') then
            case when cast(t as double) between 20000 and 80000
                then date '1899-12-30' + cast(trunc(cast(t as double)) as integer) end
        when regexp_matches(t, '^\d{4}-\d{2}-\d{2}T') then
            try(make_date(cast(t[1:4] as integer), cast(t[6:7] as integer), cast(t[9:10] as integer)))
        when regexp_full_match(t, '\d{4}[-/.]\d{1,2}[-/.]\d{1,2}') then
            try(make_date(
                cast(regexp_extract(t, '^(\d{4})', 1) as integer),
                cast(regexp_extract(t, '^\d{4}[-/.](\d{1,2})', 1) as integer),
                cast(regexp_extract(t, '(\d{1,2})$', 1) as integer)))
        when regexp_full_match(t, '\d{4}年\d{1,2}月\d{1,2}日?') then
            try(make_date(
                cast(regexp_extract(t, '^(\d{4})', 1) as integer),
                cast(regexp_extract(t, '年(\d{1,2})月', 1) as integer),
                cast(regexp_extract(t, '月(\d{1,2})', 1) as integer)))
        when regexp_full_match(t, '\d{1,2}/\d{1,2}/\d{4}') then
            try(make_date(
                cast(regexp_extract(t, '(\d{4})$', 1) as integer),
                cast(regexp_extract(t, '^(\d{1,2})', 1) as integer),
                cast(regexp_extract(t, '^\d{1,2}/(\d{1,2})', 1) as integer)))
        else cast(try_strptime(t, ['%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y/%m/%d %H:%M:%S', '%Y/%m/%d %H:%M'])
                  as date)
    end from v
);

-- a UTC timestamp from ISO 8601 (Z or an offset; no zone = UTC) or a day (midnight)
create or replace temp macro parse_ts(raw) as coalesce(
    timezone('UTC', try_cast(clean(raw) as timestamptz)),
    cast(parse_day(raw) as timestamp)
);

-- an amount in 元: '35.5万', '355,000元', '¥1,200', or a bare number in `unit` (10000 for 万, 1 for 元);
-- null when blank; the string 'bad' marks a value that is not a non-negative number
create or replace temp macro amount_text(raw) as
    replace(replace(replace(replace(clean(raw), ',', ''), '，', ''), '¥', ''), '￥', '');
create or replace temp macro parse_amount(raw, unit) as (
    with v as (select amount_text(raw) as t)
    select case
        when t is null then null
        when t like '%万元' or t like '%万' then
            case when regexp_full_match(trim(regexp_replace(t, '万?元?$', '')), '\+?\d+(\.\d+)?')
                then cast(round_even(cast(trim(regexp_replace(t, '万?元?$', '')) as decimal(24, 6)) * 10000, 2)
                          as decimal(18, 2)) end
        when t like '%元' then
            case when regexp_full_match(trim(t[:-2]), '\+?\d+(\.\d+)?')
                then cast(round_even(cast(trim(t[:-2]) as decimal(24, 6)), 2) as decimal(18, 2)) end
        when regexp_full_match(t, '\+?\d+(\.\d+)?')
            then cast(round_even(cast(t as decimal(24, 6)) * unit, 2) as decimal(18, 2))
    end from v
);

-- days from '12天', '3周', '2个月', '15', '15 days'
create or replace temp macro parse_days(raw) as (
    with v as (select regexp_extract(clean(raw),
        '^(\d+(?:\.\d+)?)\s*(天|日|d|days?|周|星期|w|weeks?|个月|月|months?)?$', ['n', 'unit'], 'i') as m)
    select case when m.n <> '' then cast(round_even(cast(m.n as double) * case
        when lower(m.unit) in ('周', '星期', 'w', 'week', 'weeks') then 7
        when lower(m.unit) in ('个月', '月', 'month', 'months') then 30
        else 1 end, 0) as bigint) end
    from v
);

-- ------------------------------------------------------------------------------------------------ the funnel
create or replace temp table funnel_stages as
select * from read_csv('${seeds}/funnel_stages.csv', header = true, columns = {
    'stage_code': 'varchar', 'stage_order': 'integer', 'name_zh': 'varchar', 'name_en': 'varchar',
    'stage_type': 'varchar', 'stale_after_days': 'integer', 'entry_criteria': 'varchar'});

create or replace temp table stage_lookup as
select
    map.source as stage_source,
    stage_key(map.source_stage) as source_stage_key,
    min(map.stage_code) as stage_code,
    min(coalesce(map.pipeline_id, 'default')) as pipeline_id
from read_csv('${seeds}/funnel_stage_map.csv', header = true, all_varchar = true) as map
inner join funnel_stages on map.stage_code = funnel_stages.stage_code
group by 1, 2;

create or replace temp table pipeline_stages as
with pairs as (
    select distinct
        map.source as stage_source, coalesce(map.pipeline_id, 'default') as pipeline_id,
        s.stage_code, s.stage_order, s.stage_type
    from read_csv('${seeds}/funnel_stage_map.csv', header = true, all_varchar = true) as map
    inner join funnel_stages as s on map.stage_code = s.stage_code
)
select
    *,
    case when stage_type <> 'lost' then dense_rank() over (
        partition by stage_source, pipeline_id, stage_type <> 'lost' order by stage_order) end as pipeline_stage_rank
from pairs;

create or replace temp table fx_rates as
select * from read_csv('${seeds}/fx_rates.csv', header = true, columns = {
    'currency_code': 'varchar', 'valid_from': 'date', 'cny_per_unit': 'decimal(18,6)'});

create or replace temp table loss_reason_map as
select * from read_csv('${seeds}/loss_reason_map.csv', header = true, all_varchar = true);

create or replace temp table loss_reasons as
select * from read_csv('${seeds}/loss_reasons.csv', header = true, columns = {
    'reason_code': 'varchar', 'reason_order': 'integer', 'name_zh': 'varchar', 'name_en': 'varchar'});

-- ------------------------------------------------------------------------------------------------ HubSpot deals
create or replace temp table hubspot_json as
select *
from read_json(${deal_files}, format = 'newline_delimited', columns = {
    'id': 'varchar',
    'properties': 'struct(amount varchar, closed_lost_reason varchar, closedate varchar, createdate varchar,
        deal_currency_code varchar, dealname varchar, dealstage varchar, pipeline varchar)',
    'propertiesWithHistory': 'struct(dealstage struct(value varchar, "timestamp" varchar)[])',
    'createdAt': 'varchar',
    'archived': 'boolean',
    'archivedAt': 'varchar'
});

create or replace temp table hubspot_deals as
select
    id as source_deal_id,
    properties.pipeline as pipeline_id,
    trim(properties.dealname) as deal_name,
    timezone('UTC', cast(coalesce(properties.createdate, createdAt) as timestamptz)) as created_at,
    properties.dealstage as current_stage_value,
    timezone('UTC', cast(properties.closedate as timestamptz)) as closed_at,
    cast(properties.amount as decimal(38, 9)) as amount,
    coalesce(upper(nullif(trim(properties.deal_currency_code), '')), 'CNY') as currency_code,
    nullif(trim(properties.closed_lost_reason), '') as loss_reason_text,
    coalesce(archived, false) as is_archived,
    timezone('UTC', cast(archivedAt as timestamptz)) as archived_at
from hubspot_json;

-- the API answers a deal without a stored history with its current stage at its creation
create or replace temp table hubspot_history as
select distinct source_deal_id, stage, changed_at
from (
    select
        id as source_deal_id,
        coalesce(entry.value, '') as stage,
        timezone('UTC', cast(entry."timestamp" as timestamptz)) as changed_at
    from (
        select id, unnest(coalesce(propertiesWithHistory.dealstage, case
            when properties.dealstage is not null
                then [{'value': properties.dealstage, 'timestamp': createdAt}]
            else [] end)) as entry
        from hubspot_json
    )
);

-- ------------------------------------------------------------------------------------------------ trackers
create or replace temp table tracker_rows as
with raw as (
    select *, row_number() over () as read_order
    from read_csv(${tracker_files}, header = true, all_varchar = true, filename = true, union_by_name = true)
),
parsed as (
    select
        regexp_extract(parse_filename(filename), '^销售跟进表_([^_.]+)', 1) as team,
        clean(客户名称) as customer_name,
        clean(当前阶段) as stage_raw,
        lookup.stage_code,
        parse_day(进入阶段时间) as stage_entered_on,
        clean(进入阶段时间) as stage_entered_text,
        parse_days(上一阶段停留时长) as previous_stage_days,
        clean(关键动作记录) as key_actions,
        clean(负责人) as owner_name,
        parse_amount("预估金额(万)", 10000) as amount_cny,
        clean("预估金额(万)") as amount_text,
        read_order
    from raw
    left join stage_lookup as lookup
        on lookup.stage_source = 'tracker_cn' and lookup.source_stage_key = stage_key(clean(raw.当前阶段))
    where coalesce(客户名称, 所属行业, 公司规模, 联系人, 职务, 联系方式, 当前阶段, 进入阶段时间, 上一阶段停留时长,
                   关键动作记录, 下一步计划, 负责人, "预估金额(万)", 风险提示) is not null
),
valid as (
    select * from parsed
    where customer_name is not null and stage_code is not null and stage_entered_on is not null
        and (amount_text is null or amount_cny is not null)
)
select
    md5(coalesce(team, '') || '|' || coalesce(customer_name, '') || '|' || coalesce(stage_code, '') || '|'
        || coalesce(cast(stage_entered_on as varchar), '')) as source_deal_id,
    *
from valid
qualify row_number() over (partition by team, customer_name, stage_code, stage_entered_on order by read_order) = 1;

-- ------------------------------------------------------------------------------------------------ English export
create or replace temp table export_rows as
with raw as (
    select *, row_number() over () as read_order
    from read_csv(${export_files}, header = true, all_varchar = true, union_by_name = true)
),
parsed as (
    select
        clean("Deal ID") as source_deal_id,
        clean("Account Name") as account_name,
        clean(Stage) as stage_raw,
        lookup.stage_code,
        parse_day("Stage Entered") as stage_entered_on,
        clean("Stage Entered") as stage_entered_text,
        parse_day(Created) as created_on,
        clean(Created) as created_text,
        parse_amount("Amount (CNY)", 1) as amount_cny,
        clean("Amount (CNY)") as amount_text,
        clean("Lost Reason") as lost_reason,
        read_order
    from raw
    left join stage_lookup as lookup
        on lookup.stage_source = 'export_en' and lookup.source_stage_key = stage_key(clean(raw.Stage))
),
valid as (
    select * from parsed
    where source_deal_id is not null and account_name is not null and stage_code is not null
        and (stage_entered_text is null or stage_entered_on is not null)
        and (created_text is null or created_on is not null)
        and (amount_text is null or amount_cny is not null)
)
select * from valid
qualify row_number() over (partition by source_deal_id order by read_order) = 1;

create or replace temp table export_history as
with raw as (
    select *, row_number() over () as read_order
    from read_csv(${history_files}, header = true, all_varchar = true, union_by_name = true)
),
parsed as (
    select
        clean("Deal ID") as source_deal_id,
        clean("From Stage") as from_stage_raw,
        from_lookup.stage_code as from_stage_code,
        clean("To Stage") as to_stage_raw,
        to_lookup.stage_code as to_stage_code,
        parse_ts("Changed At") as changed_at,
        read_order
    from raw
    left join stage_lookup as from_lookup
        on from_lookup.stage_source = 'export_en' and from_lookup.source_stage_key = stage_key(clean(raw."From Stage"))
    left join stage_lookup as to_lookup
        on to_lookup.stage_source = 'export_en' and to_lookup.source_stage_key = stage_key(clean(raw."To Stage"))
),
valid as (
    select * from parsed
    where source_deal_id is not null and to_stage_code is not null and changed_at is not null
        and (from_stage_raw is null or from_stage_code is not null)
)
select * from valid
qualify row_number() over (partition by source_deal_id, changed_at, to_stage_code order by read_order) = 1;

-- ------------------------------------------------------------------------------------------------ all deals
create or replace temp table deals_unioned as
select
    'hubspot:' || source_deal_id as deal_id, 'hubspot' as source, source_deal_id, pipeline_id, deal_name,
    created_at, current_stage_value, cast(null as varchar) as ingested_stage_code,
    cast(null as date) as stage_entered_on, cast(null as integer) as previous_stage_days,
    cast(null as integer) as key_action_count, closed_at, amount, currency_code, loss_reason_text, is_archived,
    archived_at
from hubspot_deals
union all
select
    'tracker_cn:' || source_deal_id, 'tracker_cn', source_deal_id, 'default', customer_name,
    cast(null as timestamp), stage_raw, stage_code, stage_entered_on, cast(previous_stage_days as integer),
    case when key_actions is not null then length(key_actions) - length(replace(key_actions, '；', '')) + 1 end,
    cast(null as timestamp), amount_cny, 'CNY', cast(null as varchar), false, cast(null as timestamp)
from tracker_rows
union all
select
    'export_en:' || source_deal_id, 'export_en', source_deal_id, 'default', account_name,
    cast(created_on as timestamp), stage_raw, stage_code, stage_entered_on, cast(null as integer),
    cast(null as integer), cast(null as timestamp), amount_cny, 'CNY', lost_reason, false, cast(null as timestamp)
from export_rows;

-- ------------------------------------------------------------------------------------------------ stage changes
-- recorded (HubSpot history, export history and the entry a history opening with a move out of a stage implies)
-- or, for deals without any history, inferred: one stage at a time from the first up to the current one
create or replace temp table stage_changes as
with recorded as (
    select d.deal_id, d.source, h.stage as source_stage, cast(null as varchar) as ingested_stage_code, h.changed_at,
        false as is_inferred, true as is_entry_time_known
    from hubspot_history as h
    inner join deals_unioned as d on d.source = 'hubspot' and d.source_deal_id = h.source_deal_id
    union all
    select d.deal_id, d.source, h.to_stage_raw, h.to_stage_code, h.changed_at, false, true
    from export_history as h
    inner join deals_unioned as d on d.source = 'export_en' and d.source_deal_id = h.source_deal_id
    union all
    select d.deal_id, d.source, m.from_stage_raw, m.from_stage_code,
        case when d.created_at <= m.changed_at then d.created_at else m.changed_at end, true,
        coalesce(d.created_at <= m.changed_at, false)
    from (
        select *, row_number() over (partition by source_deal_id order by changed_at, read_order) as move_rank
        from export_history
    ) as m
    inner join deals_unioned as d on d.source = 'export_en' and d.source_deal_id = m.source_deal_id
    where m.move_rank = 1 and m.from_stage_raw is not null
),
recorded_mapped as (
    select r.deal_id, r.source, coalesce(l.stage_code, s.stage_code) as stage_code,
        coalesce(l.pipeline_id, 'default') as pipeline_id, r.changed_at, r.is_inferred, r.is_entry_time_known
    from recorded as r
    left join stage_lookup as l on r.source = l.stage_source and stage_key(r.source_stage) = l.source_stage_key
    left join funnel_stages as s on r.ingested_stage_code = s.stage_code
),
snapshots as (
    select d.*, coalesce(l.stage_code, s.stage_code) as stage_code, coalesce(l.pipeline_id, 'default') as lookup_pipeline
    from deals_unioned as d
    left join stage_lookup as l
        on d.source = l.stage_source and stage_key(d.current_stage_value) = l.source_stage_key
    left join funnel_stages as s on d.ingested_stage_code = s.stage_code
    where d.deal_id not in (select deal_id from recorded)
),
open_ranks as (
    select stage_source, pipeline_id, max(pipeline_stage_rank) as last_open_rank
    from pipeline_stages where stage_type = 'open' group by 1, 2
),
snapshot_timed as (
    select
        sn.deal_id, sn.source, sn.stage_code, sn.lookup_pipeline as pipeline_id, sn.created_at, st.stage_type,
        e.entered_at, e.is_entered_at_known,
        case when sn.previous_stage_days is not null and e.entered_at is not null
            then e.entered_at - to_days(sn.previous_stage_days) end as previous_entered_at,
        case
            when st.stage_type = 'lost' then case
                when sn.key_action_count - 1 > o.last_open_rank then o.last_open_rank
                when sn.key_action_count - 1 >= 1 then sn.key_action_count - 1
                else 1 end
            else cur.pipeline_stage_rank
        end as path_last_rank
    from snapshots as sn
    inner join funnel_stages as st on sn.stage_code = st.stage_code
    cross join lateral (
        select
            case
                when sn.stage_entered_on is not null then cast(sn.stage_entered_on as timestamp)
                when st.stage_type in ('won', 'lost') and sn.closed_at is not null then sn.closed_at
                else sn.created_at
            end as entered_at,
            (sn.stage_entered_on is not null or (st.stage_type in ('won', 'lost') and sn.closed_at is not null))
                as is_entered_at_known
    ) as e
    left join pipeline_stages as cur
        on sn.source = cur.stage_source and sn.lookup_pipeline = cur.pipeline_id and sn.stage_code = cur.stage_code
    left join open_ranks as o on sn.source = o.stage_source and sn.lookup_pipeline = o.pipeline_id
),
snapshot_path as (
    select
        t.deal_id, t.source, p.stage_code, t.pipeline_id,
        case
            when p.pipeline_stage_rank = t.path_last_rank and t.stage_type <> 'lost' then t.entered_at
            when p.pipeline_stage_rank = 1 and t.created_at <= coalesce(t.previous_entered_at, t.entered_at)
                then t.created_at
            else coalesce(t.previous_entered_at, t.entered_at)
        end as changed_at,
        true as is_inferred,
        case
            when p.pipeline_stage_rank = t.path_last_rank and t.stage_type <> 'lost' then t.is_entered_at_known
            when p.pipeline_stage_rank = 1 and t.created_at <= coalesce(t.previous_entered_at, t.entered_at)
                then true
            when p.pipeline_stage_rank = t.path_last_rank
                or (p.pipeline_stage_rank = t.path_last_rank - 1 and t.stage_type <> 'lost')
                then t.is_entered_at_known and t.previous_entered_at is not null
            else false
        end as is_entry_time_known
    from snapshot_timed as t
    inner join pipeline_stages as p
        on t.source = p.stage_source and t.pipeline_id = p.pipeline_id and t.path_last_rank >= p.pipeline_stage_rank
),
snapshot_lost as (
    select deal_id, source, stage_code, pipeline_id, entered_at as changed_at, true as is_inferred,
        is_entered_at_known as is_entry_time_known
    from snapshot_timed where stage_type = 'lost'
)
select * from recorded_mapped
union all select * from snapshot_path
union all select * from snapshot_lost;

-- ------------------------------------------------------------------------------------------------ stage events
create or replace temp table stage_events as
with in_scope as (
    select c.deal_id, c.source, c.pipeline_id, c.stage_code, s.stage_order, s.stage_type, c.changed_at,
        c.is_inferred, c.is_entry_time_known
    from stage_changes as c
    inner join funnel_stages as s on c.stage_code = s.stage_code
    where c.changed_at < timestamp '${cutoff}'
),
ordered as (
    select *,
        lag(stage_code) over w as previous_stage_code,
        row_number() over w as change_order
    from in_scope
    window w as (partition by deal_id order by changed_at, stage_order, is_inferred)
),
sequenced as (
    select
        deal_id, source, pipeline_id, stage_code as to_stage_code, stage_order as to_stage_order,
        stage_type as to_stage_type, changed_at, is_inferred, is_entry_time_known,
        row_number() over w as event_sequence,
        lag(stage_code) over w as from_stage_code,
        lag(stage_order) over w as from_stage_order,
        lag(stage_type) over w as from_stage_type,
        lag(pipeline_id) over w as from_pipeline_id,
        lead(changed_at) over w as exited_at,
        lead(is_entry_time_known) over w as is_exit_time_known
    from ordered
    where previous_stage_code is null or previous_stage_code <> stage_code
    window w as (partition by deal_id order by change_order)
),
directed as (
    select q.*, tr.pipeline_stage_rank as to_stage_rank, fr.pipeline_stage_rank as from_stage_rank,
        case
            when q.from_stage_code is null then 'entry'
            when q.to_stage_type = 'lost' then 'lost'
            when q.from_stage_type in ('won', 'lost') then 'reopened'
            when q.to_stage_order > q.from_stage_order then 'forward'
            else 'backward'
        end as direction
    from sequenced as q
    left join pipeline_stages as tr
        on q.source = tr.stage_source and q.pipeline_id = tr.pipeline_id and q.to_stage_code = tr.stage_code
    left join pipeline_stages as fr
        on q.source = fr.stage_source and q.from_pipeline_id = fr.pipeline_id and q.from_stage_code = fr.stage_code
)
select
    deal_id || '#' || cast(event_sequence as varchar) as stage_event_id,
    deal_id, source, pipeline_id, event_sequence, from_stage_code, to_stage_code, changed_at, direction,
    case
        when direction = 'entry' then coalesce(to_stage_rank - 1, 0)
        when direction = 'forward' and to_stage_rank - from_stage_rank - 1 > 0 then to_stage_rank - from_stage_rank - 1
        else 0
    end as stages_skipped,
    is_inferred, is_entry_time_known, exited_at,
    case when exited_at is not null and is_entry_time_known and is_exit_time_known
        then datediff('day', cast(changed_at as date), cast(exited_at as date)) end as days_in_stage,
    exited_at is null as is_current_stage
from directed;

-- ------------------------------------------------------------------------------------------------ loss reasons
create or replace temp table deal_loss_reasons as
with reasons as (
    select deal_id, lower(trim(loss_reason_text)) as reason_key
    from deals_unioned where nullif(trim(loss_reason_text), '') is not null
),
exact_matches as (
    select r.deal_id, min(m.reason_code) as reason_code
    from reasons as r
    inner join loss_reason_map as m on m.match_type = 'exact' and r.reason_key = lower(trim(m.reason_text))
    group by 1
),
keyword_matches as (
    select r.deal_id, m.reason_code
    from reasons as r
    inner join loss_reason_map as m
        on m.match_type = 'contains' and position(lower(trim(m.reason_text)) in r.reason_key) > 0
    qualify row_number() over (partition by r.deal_id order by length(trim(m.reason_text)) desc, m.reason_code) = 1
)
select r.deal_id, coalesce(e.reason_code, k.reason_code, 'other') as loss_reason_code
from reasons as r
left join exact_matches as e on r.deal_id = e.deal_id
left join keyword_matches as k on r.deal_id = k.deal_id;

-- ------------------------------------------------------------------------------------------------ the marts
create or replace table fct_deals as
with mapped_changes as (
    select deal_id, min(changed_at) as first_change_at from stage_changes where stage_code is not null group by 1
),
event_summary as (
    select deal_id, count(*) as stage_changes,
        sum(case when direction = 'backward' then 1 else 0 end) as backward_moves,
        sum(stages_skipped) as stages_skipped,
        max(case when is_inferred then 1 else 0 end) as has_inferred_events
    from stage_events group by 1
),
current_events as (
    select e.deal_id, e.to_stage_code as current_stage_code, e.from_stage_code as previous_stage_code,
        e.changed_at as current_stage_entered_at, s.stage_type as current_stage_type
    from stage_events as e inner join funnel_stages as s on e.to_stage_code = s.stage_code
    where e.is_current_stage
),
dated as (
    select d.*, coalesce(d.created_at, m.first_change_at) as resolved_created_at,
        d.created_at is null as is_created_at_inferred, m.deal_id is not null as has_mapped_stage
    from deals_unioned as d left join mapped_changes as m on d.deal_id = m.deal_id
),
fx as (
    select d.deal_id, f.cny_per_unit
    from dated as d
    inner join fx_rates as f
        on upper(d.currency_code) = upper(f.currency_code)
        and f.valid_from <= cast(coalesce(d.resolved_created_at, timestamp '${cutoff}') as date)
    qualify row_number() over (partition by d.deal_id order by f.valid_from desc) = 1
),
enriched as (
    select
        d.deal_id, d.source, d.source_deal_id, d.pipeline_id, d.deal_name, d.resolved_created_at as created_at,
        d.is_created_at_inferred, c.current_stage_code, c.current_stage_type, c.current_stage_entered_at,
        case when c.current_stage_type in ('won', 'lost') then c.current_stage_entered_at end as closed_at,
        case when c.current_stage_type = 'lost' then c.previous_stage_code end as lost_from_stage_code,
        d.amount as amount_original, d.currency_code,
        cast(d.amount * fx.cny_per_unit as decimal(28, 6)) as amount_cny,
        case when c.current_stage_type = 'lost' then coalesce(lr.loss_reason_code, 'unspecified') end
            as loss_reason_code,
        coalesce(es.stage_changes, 0) as stage_changes,
        coalesce(es.backward_moves, 0) as backward_moves,
        coalesce(es.stages_skipped, 0) as stages_skipped,
        coalesce(es.has_inferred_events, 0) = 1 as has_inferred_stages,
        case
            when d.is_archived and (d.archived_at is null or d.archived_at < timestamp '${cutoff}') then 'archived'
            when not d.has_mapped_stage then 'unmapped_stage'
            when d.resolved_created_at >= timestamp '${cutoff}' then 'created_after_as_of'
            when c.deal_id is null then 'no_stage_as_of'
        end as exclusion_reason
    from dated as d
    left join current_events as c on d.deal_id = c.deal_id
    left join event_summary as es on d.deal_id = es.deal_id
    left join fx on d.deal_id = fx.deal_id
    left join deal_loss_reasons as lr on d.deal_id = lr.deal_id
)
select
    deal_id, source, source_deal_id, pipeline_id, deal_name, current_stage_code, current_stage_entered_at,
    case when current_stage_type = 'open'
        then cast(datediff('day', cast(current_stage_entered_at as date), date '${as_of}') as integer)
    end as days_in_current_stage,
    current_stage_type = 'open' as is_open,
    current_stage_type = 'won' as is_won,
    current_stage_type = 'lost' as is_lost,
    created_at, cast(date_trunc('month', created_at) as date) as cohort_month, is_created_at_inferred, closed_at,
    cast(case when closed_at is not null and not is_created_at_inferred
        then datediff('day', cast(created_at as date), cast(closed_at as date)) end
        as integer) as cycle_days,
    cast(round(amount_cny, 2) as decimal(28, 6)) as amount_cny,
    cast(amount_original as decimal(28, 6)) as amount_original,
    currency_code, loss_reason_code, lost_from_stage_code,
    cast(stage_changes as integer) as stage_changes, cast(backward_moves as integer) as backward_moves,
    cast(stages_skipped as integer) as stages_skipped, has_inferred_stages
from enriched
where exclusion_reason is null;

create or replace table fct_deal_stage_events as
select
    e.stage_event_id, e.deal_id, e.source, cast(e.event_sequence as integer) as event_sequence, e.from_stage_code,
    e.to_stage_code, e.changed_at, cast(e.changed_at as date) as changed_date, e.direction,
    cast(e.stages_skipped as integer) as stages_skipped, e.is_inferred, e.is_entry_time_known, e.exited_at,
    cast(e.days_in_stage as integer) as days_in_stage, e.is_current_stage
from stage_events as e
inner join fct_deals as d on e.deal_id = d.deal_id;

create or replace table mart_funnel_conversion as
with deals as (select deal_id, is_won from fct_deals),
entries as (select distinct deal_id, to_stage_code as stage_code from fct_deal_stage_events),
advances as (
    select distinct deal_id, from_stage_code as stage_code from fct_deal_stage_events where direction = 'forward'
),
losses as (
    select distinct deal_id, from_stage_code as stage_code from fct_deal_stage_events where direction = 'lost'
),
furthest as (
    select e.deal_id, max(s.stage_order) as furthest_stage_order
    from fct_deal_stage_events as e inner join funnel_stages as s on e.to_stage_code = s.stage_code
    where s.stage_type <> 'lost' group by 1
),
reaches as (
    select f.deal_id, s.stage_code
    from furthest as f inner join funnel_stages as s
        on f.furthest_stage_order >= s.stage_order and s.stage_type <> 'lost'
    union all
    select distinct e.deal_id, e.stage_code
    from entries as e inner join funnel_stages as s on e.stage_code = s.stage_code
    where s.stage_type = 'lost'
),
counts as (
    select r.stage_code, count(*) as reached,
        count(en.deal_id) as entered, count(ad.deal_id) as advanced,
        sum(case when d.is_won then 1 else 0 end) as won_later, count(lo.deal_id) as lost_here
    from reaches as r
    inner join deals as d on r.deal_id = d.deal_id
    left join entries as en on r.deal_id = en.deal_id and r.stage_code = en.stage_code
    left join advances as ad on r.deal_id = ad.deal_id and r.stage_code = ad.stage_code
    left join losses as lo on r.deal_id = lo.deal_id and r.stage_code = lo.stage_code
    group by 1
),
grid as (
    select s.stage_code, s.stage_order, s.stage_type, (select count(*) from deals) as deals_in_segment,
        coalesce(c.reached, 0) as reached, coalesce(c.entered, 0) as entered, coalesce(c.advanced, 0) as advanced,
        coalesce(c.won_later, 0) as won_later, coalesce(c.lost_here, 0) as lost_here
    from funnel_stages as s left join counts as c on s.stage_code = c.stage_code
),
next_reached as (
    select stage_code, lead(reached) over (order by stage_order) as next_stage_reached
    from grid where stage_type <> 'lost'
)
select
    'overall' as segment_type, 'all' as segment_value, g.stage_code, g.stage_order, g.stage_type,
    cast(g.deals_in_segment as integer) as deals_in_segment, cast(g.reached as integer) as reached,
    cast(g.entered as integer) as entered, cast(g.advanced as integer) as advanced,
    cast(g.won_later as integer) as won_later, cast(g.lost_here as integer) as lost_here,
    cast(case when g.stage_type = 'open'
        then round(cast(n.next_stage_reached as decimal(28, 6)) / nullif(g.reached, 0), 4) end as decimal(28, 6))
        as adjacent_conversion_rate,
    cast(round(cast(g.reached as decimal(28, 6)) / nullif(g.deals_in_segment, 0), 4) as decimal(28, 6))
        as cumulative_conversion_rate,
    cast(round(cast(g.won_later as decimal(28, 6)) / nullif(g.reached, 0), 4) as decimal(28, 6)) as win_rate
from grid as g left join next_reached as n on g.stage_code = n.stage_code
order by g.stage_order;

create or replace table mart_stage_velocity as
with measured as (
    select to_stage_code as stage_code, sum(days_in_stage) as days
    from fct_deal_stage_events where days_in_stage is not null group by deal_id, to_stage_code
    union all
    select case when is_won then 'won' else 'lost' end, cycle_days
    from fct_deals where cycle_days is not null and (is_won or is_lost)
),
stats as (
    select stage_code, count(*) as deals_measured, avg(days) as avg_days,
        percentile_cont(0.5) within group (order by days) as median_days,
        percentile_cont(0.9) within group (order by days) as p90_days,
        min(days) as min_days, max(days) as max_days
    from measured group by 1
)
select
    s.stage_code, s.stage_order, s.stage_type,
    case when s.stage_type = 'open' then 'time_in_stage' else 'cycle_length' end as measure,
    cast(coalesce(t.deals_measured, 0) as integer) as deals_measured,
    cast(round(t.avg_days, 2) as decimal(28, 6)) as avg_days,
    cast(round(t.median_days, 2) as decimal(28, 6)) as median_days,
    cast(round(t.p90_days, 2) as decimal(28, 6)) as p90_days,
    cast(t.min_days as integer) as min_days,
    cast(t.max_days as integer) as max_days
from funnel_stages as s left join stats as t on s.stage_code = t.stage_code
order by s.stage_order;

create or replace table mart_stale_deals as
select
    d.deal_id, d.source, d.current_stage_code, d.current_stage_entered_at, e.is_entry_time_known as is_stage_entry_known,
    cast(datediff('day', cast(d.current_stage_entered_at as date), date '${as_of}') as integer) as days_in_stage,
    s.stale_after_days,
    cast(datediff('day', cast(d.current_stage_entered_at as date), date '${as_of}') - s.stale_after_days as integer)
        as days_over_threshold,
    d.amount_cny as amount_reporting  -- the bench builds at the default reporting currency, CNY
from fct_deals as d
inner join funnel_stages as s on d.current_stage_code = s.stage_code
left join fct_deal_stage_events as e on d.deal_id = e.deal_id and e.is_current_stage
where d.is_open and datediff('day', cast(d.current_stage_entered_at as date), date '${as_of}') > s.stale_after_days;

create or replace table mart_loss_reasons as
with lost as (
    select deal_id, cast(date_trunc('month', closed_at) as date) as lost_month, loss_reason_code,
        lost_from_stage_code, amount_cny
    from fct_deals where is_lost
),
grouped as (
    select lost_month, loss_reason_code, lost_from_stage_code, count(*) as lost_deals,
        sum(amount_cny) as amount_lost_reporting
    from lost group by 1, 2, 3
),
month_totals as (select lost_month, count(*) as month_lost_deals from lost group by 1),
reason_ranks as (
    select l.loss_reason_code,
        row_number() over (order by count(*) desc, coalesce(sum(l.amount_cny), 0) desc, min(r.reason_order),
            l.loss_reason_code) as reason_rank
    from lost as l left join loss_reasons as r on l.loss_reason_code = r.reason_code
    where l.loss_reason_code <> 'unspecified'
    group by 1
)
select
    g.lost_month, g.loss_reason_code, g.lost_from_stage_code, cast(g.lost_deals as integer) as lost_deals,
    cast(round(g.lost_deals * 1.0 / m.month_lost_deals, 4) as decimal(28, 6)) as share_of_month,
    cast(g.amount_lost_reporting as decimal(28, 6)) as amount_lost_reporting,
    cast(rr.reason_rank as integer) as reason_rank, coalesce(rr.reason_rank <= 3, false) as is_top3_reason
from grouped as g
inner join month_totals as m on g.lost_month = m.lost_month
left join reason_ranks as rr on g.loss_reason_code = rr.loss_reason_code;
