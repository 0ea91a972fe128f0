-- The floor's raw layer: every input read once by DuckDB's own readers into the raw tables the pipeline's dbt models
-- read (raw_forms, raw_spreadsheets, raw_hubspot; the same names, columns and types as dlt writes them), so that the
-- SQL dbt compiled for the pipeline's build runs on them unchanged.
--
-- The helper macros (clean, parse_day, parse_ts, parse_amount, parse_days) come from bench/sql/lower_bound.sql and
-- are prepended by bench/floor.py. Inputs:
--   forms         every JSONL line read with read_text, parsed with DuckDB's JSON reader (json_transform); a line
--                 that is not JSON or lacks an id, a time or a contact is quarantined with its reason
--   trackers      the UTF-8 CSV trackers (read_csv), the GBK ones decoded to UTF-8 first, the XLSX sheets handed
--                 over as an Arrow table `xlsx_trackers` (all text, same headers) by bench/floor.py
--   export        the English export and its stage history (read_csv); marketing spend (read_csv)
--   HubSpot       the API pages bench/floor_http.py downloaded, one page per line (read_json on ${pages})
-- A CSV row's number is its place in the file from `read_csv(...) with ordinality` (the reading order;
-- row_number() without an order is not, once DuckDB reads in parallel): the header is row 1.
-- Quarantine rules follow the loaders' (a missing or unparseable required field); a repeated natural key keeps
-- its first row. Placeholders: ${typeform_files}, ${jinshuju_files}, ${export_form_files}, ${tracker_files},
-- ${export_files}, ${history_files}, ${spend_files} (SQL lists), ${pages} (folder), ${seeds}, ${load_id}.

create schema if not exists raw_forms;
create schema if not exists raw_spreadsheets;
create schema if not exists raw_hubspot;

create or replace temp macro email(raw) as
    case when regexp_full_match(lower(replace(clean(raw), ' ', '')),
        '[a-z0-9._%+''-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}') then lower(replace(clean(raw), ' ', '')) end;

-- a phone in E.164 as ingestion/common/parsing.py normalizes it (+86 mobiles and landlines, other + numbers)
create or replace temp macro phone(raw) as (
    with v as (
        select clean(raw) as text, regexp_replace(clean(raw), '[\s\-().（）]', '', 'g') as d
    ),
    national as (
        select text, d, case
            when d like '+86%' then d[4:]
            when d like '0086%' then d[5:]
            when d like '86%' and length(d) = 13 then d[3:]
            else d
        end as n
        from v
    ),
    trunk as (
        select d, n, case
            when regexp_full_match(n, '\d+') and not regexp_full_match(n, '1[3-9]\d{9}') and not n like '0%'
                and (ltrim(text) like '+86%' or ltrim(text) like '0086%') then '0' || n
            else n
        end as t
        from national
    )
    select case
        when d is null then null
        when regexp_full_match(n, '1[3-9]\d{9}') then '+86' || n
        when regexp_full_match(t, '0\d{2,3}\d{7,8}') then '+86' || t[2:]
        when regexp_full_match(d, '\+\d{8,15}') and not d like '+86%' then d
    end from trunk
);

-- the loaders' words for a value that is set but not usable (the row loads without it, the issue in data_issues)
create or replace temp macro phone_issue(name, raw) as
    case when clean(raw) is not null and phone(raw) is null then name || ': invalid phone number '''
        || clean(raw) || ''' (expected e.g. 13800138000 or +86 21 6234 5678)' end;

create or replace temp macro email_issue(name, raw) as
    case when clean(raw) is not null and email(raw) is null then name || ': invalid email address '''
        || clean(raw) || '''' end;

create or replace temp table stage_lookup as
select map.source as stage_source, stage_key(map.source_stage) as source_stage_key, min(map.stage_code) as stage_code
from read_csv('${seeds}/funnel_stage_map.csv', header = true, all_varchar = true) as map
group by 1, 2;

-- @step forms
create or replace temp table form_lines as
with files as (
    select filename, content from read_text(${typeform_files} || ${jinshuju_files} || ${export_form_files})
),
lines as (
    select filename, unnest(string_split(content, chr(10))) as line, unnest(range(1, 1 + len(string_split(content,
        chr(10))))) as source_row
    from files
)
select
    regexp_extract(filename, '(typeform|jinshuju|export)/[^/]*$', 0) as source_file,
    regexp_extract(filename, '(typeform|jinshuju|export)/[^/]*$', 1) as tool,
    source_row, line, json_valid(line) as is_json,
    source_row = max(source_row) over (partition by filename) as is_last
from lines
where trim(line) <> '';

create or replace temp table form_rows as
with typeform as (
    select source_file, source_row, line, json_transform(line, '{"form_response": {"form_id": "VARCHAR",
        "token": "VARCHAR", "submitted_at": "VARCHAR", "hidden": "MAP(VARCHAR, VARCHAR)",
        "definition": {"title": "VARCHAR"},
        "answers": [{"type": "VARCHAR", "text": "VARCHAR", "email": "VARCHAR", "phone_number": "VARCHAR",
                     "number": "VARCHAR", "file_url": "VARCHAR", "choice": {"label": "VARCHAR"},
                     "choices": {"labels": ["VARCHAR"]}, "field": {"type": "VARCHAR", "ref": "VARCHAR"}}]}}')
        .form_response as r
    from form_lines where tool = 'typeform' and is_json
),
typeform_answers as (
    select
        source_file, source_row, line, r,
        map_from_entries(list_transform(r.answers, lambda a: {'k': case a.field.type
            when 'email' then 'email' when 'phone_number' then 'phone' when 'file_upload' then 'attachments'
            else a.field.ref end,
            'v': coalesce(a.text, a.email, a.phone_number, a.number, a.file_url, a.choice.label,
                          array_to_string(a.choices.labels, ', '))})) as answers
    from typeform
),
jinshuju as (
    select source_file, source_row, line, json_transform(line, '{"form": "VARCHAR", "form_name": "VARCHAR",
        "entry": {"serial_number": "VARCHAR", "field_1": "VARCHAR", "field_2": "VARCHAR", "field_3": "VARCHAR",
                  "field_4": "VARCHAR", "field_5": "VARCHAR", "field_6": "VARCHAR", "field_7": "VARCHAR",
                  "utm_source": "VARCHAR", "utm_medium": "VARCHAR", "utm_campaign": "VARCHAR",
                  "utm_term": "VARCHAR", "utm_content": "VARCHAR", "x_field_channel": "VARCHAR",
                  "created_at": "VARCHAR"}}') as r
    from form_lines where tool = 'jinshuju' and is_json
),
export as (
    select source_file, source_row, line, json_transform(line, '{"submission_id": "VARCHAR",
        "submitted_at": "VARCHAR", "form": "VARCHAR", "name": "VARCHAR", "email": "VARCHAR", "phone": "VARCHAR",
        "company": "VARCHAR", "industry": "VARCHAR", "company_size": "VARCHAR", "message": "VARCHAR",
        "channel": "VARCHAR", "utm_source": "VARCHAR", "utm_medium": "VARCHAR", "utm_campaign": "VARCHAR",
        "utm_term": "VARCHAR", "utm_content": "VARCHAR"}') as r
    from form_lines where tool = 'export' and is_json
)
select
    'typeform:' || r.token as submission_id, 'typeform' as form_tool, r.form_id, r.definition.title as form_name,
    r.submitted_at as submitted_text, answers['email'] as email_text, answers['phone'] as phone_text,
    answers['name'] as name, answers['company'] as company, answers['industry'] as industry,
    answers['company_size'] as company_size, answers['message'] as message,
    r.hidden['utm_source'] as utm_source, r.hidden['utm_medium'] as utm_medium,
    r.hidden['utm_campaign'] as utm_campaign, coalesce(r.hidden['channel'], r.hidden['source']) as channel,
    r.hidden['utm_term'] as utm_term, r.hidden['utm_content'] as utm_content, answers['attachments'] as attachments,
    source_file, source_row, line
from typeform_answers
union all by name
select
    'jinshuju:' || r.form || '-' || r.entry.serial_number as submission_id, 'jinshuju' as form_tool,
    r.form as form_id, r.form_name, r.entry.created_at as submitted_text, r.entry.field_3 as email_text,
    r.entry.field_2 as phone_text, r.entry.field_1 as name, r.entry.field_4 as company, r.entry.field_5 as industry,
    r.entry.field_6 as company_size, r.entry.field_7 as message, r.entry.utm_source, r.entry.utm_medium,
    r.entry.utm_campaign, r.entry.x_field_channel as channel, r.entry.utm_term, r.entry.utm_content,
    null as attachments, source_file, source_row, line
from jinshuju
union all by name
select
    'export:' || r.submission_id as submission_id, 'export' as form_tool, r.form as form_id, r.form as form_name,
    r.submitted_at as submitted_text, r.email as email_text, r.phone as phone_text, r.name, r.company, r.industry,
    r.company_size, r.message, r.utm_source, r.utm_medium, r.utm_campaign, r.channel, r.utm_term, r.utm_content,
    null as attachments, source_file, source_row, line
from export;

create or replace temp table form_checked as
select
    *,
    coalesce(timezone('UTC', try_cast(replace(clean(submitted_text), ' UTC', 'Z') as timestamptz)),
             case when regexp_full_match(clean(submitted_text), '\d{12,}')
                 then make_timestamp(cast(submitted_text as bigint) * 1000) end) as submitted_ts,
    email(email_text) as email, phone(phone_text) as phone,
    case
        when submission_id is null or submission_id like '%:' then 'no submission id'
        when clean(submitted_text) is null then 'no submission time'
        when email(email_text) is null and phone(phone_text) is null then 'no usable email or phone'
    end as reason
from form_rows;

create or replace table raw_forms.form_submissions as
select
    submission_id, form_tool, form_id, form_name, timezone('UTC', submitted_ts) as submitted_at, email, phone,
    clean(name) as name, clean(company) as company, clean(industry) as industry, clean(company_size) as company_size,
    clean(message) as message, clean(utm_source) as utm_source, clean(utm_medium) as utm_medium,
    clean(utm_campaign) as utm_campaign, clean(channel) as channel, clean(utm_term) as utm_term,
    clean(utm_content) as utm_content, clean(attachments) as attachments,
    nullif(concat_ws('; ',
        email_issue('email', email_text), phone_issue('phone', phone_text)), '')
        as data_issues,
    source_file, cast(source_row as bigint) as source_row, '${load_id}' as _dlt_load_id,
    md5(submission_id) as _dlt_id
from form_checked
where reason is null and submitted_ts is not null
qualify row_number() over (partition by submission_id order by source_file, source_row) = 1;

create or replace table raw_forms.quarantine as
select
    source_file as input_name, cast(source_row as bigint) as row_number, 'form_submissions' as entity,
    'json' as field, line as raw_value,
    case when is_last then 'truncated: the last line ends mid-record' else 'not a JSON object' end as reason,
    line as raw_record,
    now() as quarantined_at, '${load_id}' as _dlt_load_id, md5(source_file || source_row) as _dlt_id
from form_lines where not is_json
union all
select
    source_file, cast(source_row as bigint), 'form_submissions',
    case when reason is null then 'submitted_at' else 'record' end, submitted_text,
    coalesce(reason, 'submission time not readable'), line, now(), '${load_id}', md5(source_file || source_row)
from form_checked where reason is not null or submitted_ts is null;

create or replace table raw_forms.reconciliation as
select
    'forms' as source, source_file as input_name, 'file' as input_kind, count(*) as rows_read,
    count(*) - count(q.row_number) as rows_loaded, count(q.row_number) as rows_quarantined, 'loaded' as status,
    '' as detail, '${load_id}' as load_id, now() as reconciled_at, '${load_id}' as _dlt_load_id,
    md5(source_file) as _dlt_id
from form_lines as l
left join raw_forms.quarantine as q on q.input_name = l.source_file and q.row_number = l.source_row
group by source_file;

-- @step spreadsheets
-- Rows are ranked within their natural key in the order the loader reads them (the workbooks, then the CSVs, each
-- top to bottom): the first loads, a later one with the same values is the same record, a later one with other
-- values is quarantined as a duplicate key (as ingestion/spreadsheets/tables.py does).
-- A row's content: its values but the provenance (source_*, data_issues) and the k_ columns of the parsing.
create or replace temp macro keyed(rows_table) as table
select
    *, row_number() over w as k_rank, first_value(k_input_name) over w as k_first_input,
    first_value(source_row) over w as k_first_row, first_value(k_content) over w as k_first_content
from (
    select *, md5(cast(row(*columns(lambda c: not starts_with(c, 'k_') and not starts_with(c, 'source_')
                                    and c <> 'data_issues')) as varchar)) as k_content
    from query_table(rows_table)
    where k_is_valid
)
window w as (partition by k_key_text order by k_read_order);

-- the rows a raw table loads: the first of each key, without the k_ columns of the parsing
create or replace temp macro loaded(rows_table) as table
select columns(lambda c: not starts_with(c, 'k_')), '${load_id}' as _dlt_load_id, md5(k_input_name || source_row) as _dlt_id
from keyed(rows_table)
where k_rank = 1;

create or replace temp macro shown(x) as '''' || x || '''';

create or replace temp table tracker_raw as
select * exclude (ordinality), parse_filename(filename) as source_file, cast(null as varchar) as source_sheet,
    cast(ordinality - min(ordinality) over (partition by filename) + 2 as bigint) as source_row,
    list_position(${tracker_files}, filename) as file_order
from read_csv(${tracker_files}, header = true, all_varchar = true, filename = true, union_by_name = true) with ordinality
union all by name
select * exclude (source_row), cast(source_row as bigint) as source_row, 0 as file_order from xlsx_trackers;

create or replace temp table tracker_parsed as
with parsed as (
    select
        clean(客户名称) as customer_name, clean(所属行业) as industry, clean(公司规模) as company_size,
        clean(联系人) as contact_name, clean(职务) as contact_title, phone(联系方式) as contact_phone,
        clean(当前阶段) as stage_raw, lookup.stage_code, parse_day(进入阶段时间) as stage_entered_on,
        parse_days(上一阶段停留时长) as previous_stage_days, clean(关键动作记录) as key_actions,
        clean(下一步计划) as next_step, clean(负责人) as owner_name,
        parse_amount("预估金额(万)", 10000) as amount_cny, clean(风险提示) as risk_note,
        regexp_extract(source_file, '^销售跟进表_([^_.]+)', 1) as team, source_file, source_sheet, source_row,
        phone_issue('contact_phone', 联系方式) as data_issues, clean("预估金额(万)") as k_amount_text,
        coalesce(source_file || '[' || source_sheet || ']', source_file) as k_input_name,
        cast(file_order as bigint) * 100000000 + coalesce(xlsx_order, source_row) as k_read_order
    from tracker_raw
    left join stage_lookup as lookup
        on lookup.stage_source = 'tracker_cn' and lookup.source_stage_key = stage_key(clean(tracker_raw.当前阶段))
    where coalesce(客户名称, 所属行业, 公司规模, 联系人, 职务, 联系方式, 当前阶段, 进入阶段时间, 上一阶段停留时长,
                   关键动作记录, 下一步计划, 负责人, "预估金额(万)", 风险提示) is not null
)
select
    *,
    customer_name is not null and stage_code is not null and stage_entered_on is not null
        and (k_amount_text is null or amount_cny is not null) as k_is_valid,
    concat_ws(', ', 'team=' || shown(team), 'customer_name=' || shown(customer_name),
              'stage_code=' || shown(stage_code), 'stage_entered_on=' || stage_entered_on) as k_key_text,
    '客户名称' as k_key_header
from parsed;

create or replace table raw_spreadsheets.tracker_deals as select * from loaded('tracker_parsed');

-- English export
create or replace temp table export_parsed as
with parsed as (
    select
        clean("Deal ID") as deal_id, clean("Account Name") as account_name, clean(Industry) as industry,
        clean("Company Size") as company_size, clean("Contact Name") as contact_name, clean(Title) as contact_title,
        phone(Phone) as contact_phone, email(Email) as contact_email, clean(Stage) as stage_raw, lookup.stage_code,
        parse_day("Stage Entered") as stage_entered_on, parse_day(Created) as created_on,
        clean(Owner) as owner_name, parse_amount("Amount (CNY)", 1) as amount_cny,
        clean("Lost Reason") as lost_reason, clean(Channel) as channel, parse_filename(filename) as source_file,
        cast(null as varchar) as source_sheet,
        cast(ordinality - min(ordinality) over (partition by filename) + 2 as bigint) as source_row,
        nullif(concat_ws('; ', phone_issue('contact_phone', Phone), email_issue('contact_email', Email)), '')
            as data_issues,
        clean("Stage Entered") as k_entered_text, clean(Created) as k_created_text,
        clean("Amount (CNY)") as k_amount_text, parse_filename(filename) as k_input_name,
        cast(list_position(${export_files}, filename) as bigint) * 100000000 + source_row as k_read_order
    from read_csv(${export_files}, header = true, all_varchar = true, filename = true, union_by_name = true) with ordinality as raw
    left join stage_lookup as lookup
        on lookup.stage_source = 'export_en' and lookup.source_stage_key = stage_key(clean(raw.Stage))
)
select
    *,
    deal_id is not null and account_name is not null and stage_code is not null
        and (k_entered_text is null or stage_entered_on is not null)
        and (k_created_text is null or created_on is not null)
        and (k_amount_text is null or amount_cny is not null) as k_is_valid,
    'deal_id=' || shown(deal_id) as k_key_text, 'Deal ID' as k_key_header
from parsed;

create or replace table raw_spreadsheets.export_deals as select * from loaded('export_parsed');

create or replace temp table history_parsed as
with parsed as (
    select
        clean("Deal ID") as deal_id, clean("From Stage") as from_stage_raw,
        from_lookup.stage_code as from_stage_code, clean("To Stage") as to_stage_raw,
        to_lookup.stage_code as to_stage_code, timezone('UTC', parse_ts("Changed At")) as changed_at,
        clean("Changed By") as changed_by, parse_filename(filename) as source_file,
        cast(null as varchar) as source_sheet,
        cast(ordinality - min(ordinality) over (partition by filename) + 2 as bigint) as source_row,
        cast(null as varchar) as data_issues, parse_filename(filename) as k_input_name,
        cast(list_position(${history_files}, filename) as bigint) * 100000000 + source_row as k_read_order
    from read_csv(${history_files}, header = true, all_varchar = true, filename = true, union_by_name = true) with ordinality as raw
    left join stage_lookup as from_lookup
        on from_lookup.stage_source = 'export_en'
            and from_lookup.source_stage_key = stage_key(clean(raw."From Stage"))
    left join stage_lookup as to_lookup
        on to_lookup.stage_source = 'export_en' and to_lookup.source_stage_key = stage_key(clean(raw."To Stage"))
)
select
    *,
    deal_id is not null and to_stage_code is not null and changed_at is not null
        and (from_stage_raw is null or from_stage_code is not null) as k_is_valid,
    concat_ws(', ', 'deal_id=' || shown(deal_id), 'changed_at=' || strftime(changed_at, '%Y-%m-%dT%H:%M:%S+00:00'),
              'to_stage_code=' || shown(to_stage_code)) as k_key_text, 'Deal ID' as k_key_header
from parsed;

create or replace table raw_spreadsheets.export_stage_changes as select * from loaded('history_parsed');

create or replace table raw_spreadsheets.marketing_spend as
with raw as (
    select 月份 as month_text, 渠道 as channel_text, "花费(元)" as amount_text, parse_filename(filename) as source_file,
        cast(ordinality - min(ordinality) over (partition by filename) + 2 as bigint) as source_row
    from read_csv(${spend_files}, header = true, all_varchar = true, filename = true) with ordinality
),
parsed as (
    select
        coalesce(try_strptime(clean(month_text) || '-01', '%Y-%m-%d'),
                 try_strptime(clean(month_text) || '1日', '%Y年%m月%d日'))::date as month,
        clean(channel_text) as channel, parse_amount(amount_text, 1) as amount_cny, source_file,
        cast(null as varchar) as source_sheet, source_row, cast(null as varchar) as data_issues
    from raw
)
select *, '${load_id}' as _dlt_load_id, md5(source_file || source_row) as _dlt_id
from parsed where month is not null and channel is not null and amount_cny is not null
qualify row_number() over (partition by month, channel order by source_row) = 1;

create or replace table raw_spreadsheets.quarantine as
with invalid as (
    select k_input_name as input_name, source_row, 'tracker_deals' as entity, customer_name as raw_value
    from tracker_parsed where not k_is_valid
    union all
    select k_input_name, source_row, 'export_deals', deal_id from export_parsed where not k_is_valid
    union all
    select k_input_name, source_row, 'export_stage_changes', deal_id from history_parsed where not k_is_valid
),
duplicates as (
    select k_input_name as input_name, source_row, 'tracker_deals' as entity, k_key_header as key_header,
        k_key_text as key_text, k_first_input as first_input, k_first_row as first_row
    from keyed('tracker_parsed') where k_rank > 1 and k_content <> k_first_content
    union all
    select k_input_name, source_row, 'export_deals', k_key_header, k_key_text, k_first_input, k_first_row
    from keyed('export_parsed') where k_rank > 1 and k_content <> k_first_content
    union all
    select k_input_name, source_row, 'export_stage_changes', k_key_header, k_key_text, k_first_input, k_first_row
    from keyed('history_parsed') where k_rank > 1 and k_content <> k_first_content
)
select
    input_name, source_row as row_number, entity, 'record' as field, raw_value,
    'a required field is missing or unreadable' as reason, raw_value as raw_record, now() as quarantined_at,
    '${load_id}' as _dlt_load_id, md5(input_name || source_row) as _dlt_id
from invalid
union all
select
    input_name, source_row, entity, key_header, key_text,
    'duplicate key (' || key_text || ') with different values than ' || first_input || ' row ' || first_row,
    key_text, now(), '${load_id}', md5(input_name || source_row)
from duplicates;

create or replace table raw_spreadsheets.reconciliation as
with read_rows as (
    select k_input_name as input_name, count(*) as rows_read from tracker_parsed group by 1
    union all select k_input_name, count(*) from export_parsed group by 1
    union all select k_input_name, count(*) from history_parsed group by 1
    union all select source_file, count(*) from raw_spreadsheets.marketing_spend group by 1
),
quarantined as (select input_name, count(*) as n from raw_spreadsheets.quarantine group by 1)
select
    'spreadsheets' as source, r.input_name, 'file' as input_kind, r.rows_read, r.rows_read - coalesce(q.n, 0)
        as rows_loaded, coalesce(q.n, 0) as rows_quarantined, 'loaded' as status, '' as detail,
    '${load_id}' as load_id, now() as reconciled_at, '${load_id}' as _dlt_load_id, md5(r.input_name) as _dlt_id
from read_rows as r left join quarantined as q on q.input_name = r.input_name;

-- @step hubspot
create or replace temp macro hs_ts(x) as try_cast(x as timestamptz);

-- one row per value a property ever had (propertiesWithHistory), as ingestion/hubspot/rows.py writes them
create or replace temp macro history_rows(objects, property) as table
select distinct
    object_id, coalesce(entry.value, '') as value, hs_ts(entry."timestamp") as changed_at,
    entry.sourceType as source_type, entry.sourceId as source_id, entry.updatedByUserId as updated_by_user_id,
    '${load_id}' as _dlt_load_id, md5(object_id || entry."timestamp" || coalesce(entry.value, '')) as _dlt_id
from (
    select id as object_id, unnest(struct_extract(propertiesWithHistory, property)) as entry
    from query_table(objects)
);

create or replace temp table hs_deals as
select unnest(results, max_depth := 2)
from read_json('${pages}/deals_*.ndjson', format = 'newline_delimited', columns = {'results': 'struct(
    id varchar, createdAt varchar, updatedAt varchar, archived boolean, archivedAt varchar,
    properties struct(dealname varchar, amount varchar, deal_currency_code varchar, pipeline varchar,
        dealstage varchar, closedate varchar, createdate varchar, hs_lastmodifieddate varchar,
        hubspot_owner_id varchar, dealtype varchar, hs_is_closed varchar, hs_is_closed_won varchar,
        hs_deal_stage_probability varchar, closed_lost_reason varchar, hs_analytics_source varchar),
    propertiesWithHistory struct(dealstage struct(value varchar, "timestamp" varchar, sourceType varchar,
        sourceId varchar, updatedByUserId bigint)[]),
    associations struct(companies struct(results struct(id varchar, "type" varchar)[]),
        contacts struct(results struct(id varchar, "type" varchar)[])))[]'});

create or replace table raw_hubspot.deals as
select
    id, hs_ts(createdAt) as created_at, hs_ts(updatedAt) as updated_at, coalesce(archived, false) as archived,
    hs_ts(archivedAt) as archived_at, properties.dealname, cast(properties.amount as decimal(38, 9)) as amount,
    properties.deal_currency_code, properties.pipeline, properties.dealstage, hs_ts(properties.closedate) as closedate,
    hs_ts(properties.createdate) as createdate, hs_ts(properties.hs_lastmodifieddate) as hs_lastmodifieddate,
    properties.hubspot_owner_id, properties.dealtype, cast(properties.hs_is_closed as boolean) as hs_is_closed,
    cast(properties.hs_is_closed_won as boolean) as hs_is_closed_won,
    cast(properties.hs_deal_stage_probability as decimal(38, 9)) as hs_deal_stage_probability,
    properties.closed_lost_reason, properties.hs_analytics_source, '${load_id}' as _dlt_load_id, md5(id) as _dlt_id
from hs_deals;

create or replace table raw_hubspot.deal_stage_history as
select object_id as deal_id, value as stage, * exclude (object_id, value) from history_rows('hs_deals', 'dealstage');

create or replace table raw_hubspot.deal_associations as
select deal_id, to_object_type, a.id as to_id, string_agg(distinct a."type", ',') as association_types,
    cast(row_number() over (partition by deal_id order by min(position), min(idx)) - 1 as bigint)
        as association_position,
    cast(null as boolean) as no_associations, '${load_id}' as _dlt_load_id,
    md5(deal_id || to_object_type || a.id) as _dlt_id
from (
    select id as deal_id, 'companies' as to_object_type, unnest(associations.companies.results) as a,
        unnest(range(len(associations.companies.results))) as idx, 0 as position
    from hs_deals
    union all
    select id, 'contacts', unnest(associations.contacts.results), unnest(range(len(associations.contacts.results))),
        1
    from hs_deals
)
group by deal_id, to_object_type, a.id;

create or replace temp table hs_contacts as
select unnest(results, max_depth := 2)
from read_json('${pages}/contacts_*.ndjson', format = 'newline_delimited', columns = {'results': 'struct(
    id varchar, createdAt varchar, updatedAt varchar, archived boolean, archivedAt varchar,
    properties struct(email varchar, firstname varchar, lastname varchar, jobtitle varchar, phone varchar,
        company varchar, lifecyclestage varchar, hs_lead_status varchar, hubspot_owner_id varchar,
        createdate varchar, lastmodifieddate varchar, hs_analytics_source varchar),
    propertiesWithHistory struct(lifecyclestage struct(value varchar, "timestamp" varchar, sourceType varchar,
        sourceId varchar, updatedByUserId bigint)[]),
    associations struct(companies struct(results struct(id varchar, "type" varchar)[])))[]'});

create or replace table raw_hubspot.contacts as
select
    id, hs_ts(createdAt) as created_at, hs_ts(updatedAt) as updated_at, coalesce(archived, false) as archived,
    hs_ts(archivedAt) as archived_at, properties.email, properties.firstname, properties.lastname,
    properties.jobtitle, properties.phone, properties.company, properties.lifecyclestage, properties.hs_lead_status,
    properties.hubspot_owner_id, hs_ts(properties.createdate) as createdate,
    hs_ts(properties.lastmodifieddate) as lastmodifieddate, properties.hs_analytics_source,
    '${load_id}' as _dlt_load_id, md5(id) as _dlt_id
from hs_contacts;

create or replace table raw_hubspot.contact_lifecycle_history as
select object_id as contact_id, value as lifecycle_stage, * exclude (object_id, value)
from history_rows('hs_contacts', 'lifecyclestage');

create or replace table raw_hubspot.contact_associations as
select contact_id, 'companies' as to_object_type, a.id as to_id, string_agg(distinct a."type", ',')
        as association_types,
    cast(row_number() over (partition by contact_id order by min(idx)) - 1 as bigint) as association_position,
    cast(null as boolean) as no_associations, '${load_id}' as _dlt_load_id, md5(contact_id || a.id) as _dlt_id
from (
    select id as contact_id, unnest(associations.companies.results) as a,
        unnest(range(len(associations.companies.results))) as idx
    from hs_contacts
)
group by contact_id, a.id;

create or replace table raw_hubspot.companies as
with hs_companies as (
    select unnest(results, max_depth := 2)
    from read_json('${pages}/companies_*.ndjson', format = 'newline_delimited', columns = {'results': 'struct(
        id varchar, createdAt varchar, updatedAt varchar, archived boolean, archivedAt varchar,
        properties struct(name varchar, domain varchar, industry varchar, city varchar, country varchar,
            numberofemployees varchar, annualrevenue varchar, lifecyclestage varchar, hubspot_owner_id varchar,
            createdate varchar, hs_lastmodifieddate varchar))[]'})
)
select
    id, hs_ts(createdAt) as created_at, hs_ts(updatedAt) as updated_at, coalesce(archived, false) as archived,
    hs_ts(archivedAt) as archived_at, properties.name, properties.domain, properties.industry, properties.city,
    properties.country, cast(properties.numberofemployees as bigint) as numberofemployees,
    cast(properties.annualrevenue as decimal(38, 9)) as annualrevenue, properties.lifecyclestage,
    properties.hubspot_owner_id, hs_ts(properties.createdate) as createdate,
    hs_ts(properties.hs_lastmodifieddate) as hs_lastmodifieddate, '${load_id}' as _dlt_load_id, md5(id) as _dlt_id
from hs_companies;

create or replace temp table hs_owners as
select unnest(results, max_depth := 2)
from read_json('${pages}/owners_*.ndjson', format = 'newline_delimited', columns = {'results': 'struct(
    id varchar, email varchar, firstName varchar, lastName varchar, userId bigint, "type" varchar,
    createdAt varchar, updatedAt varchar, archived boolean,
    teams struct(id varchar, "name" varchar, "primary" boolean)[])[]'});

create or replace table raw_hubspot.owners as
select
    id, email, firstName as first_name, lastName as last_name, userId as user_id, "type",
    list_filter(teams, lambda t: t."primary")[1].id as primary_team_id,
    list_filter(teams, lambda t: t."primary")[1]."name" as primary_team_name,
    hs_ts(createdAt) as created_at, hs_ts(updatedAt) as updated_at, coalesce(archived, false) as archived,
    '${load_id}' as _dlt_load_id, md5(id) as _dlt_id
from hs_owners;

create or replace table raw_hubspot.owners__teams as
select owner_id, team.id as team_id, team."name" as team_name, coalesce(team."primary", false) as is_primary,
    md5(owner_id) as _dlt_root_id, md5(owner_id) as _dlt_parent_id, cast(position - 1 as bigint) as _dlt_list_idx,
    md5(owner_id || team.id) as _dlt_id
from (select id as owner_id, unnest(teams) as team, unnest(range(1, 1 + len(teams))) as position from hs_owners);

create or replace temp table hs_pipelines as
select unnest(results, max_depth := 2)
from read_json('${pages}/pipelines_*.ndjson', format = 'newline_delimited', columns = {'results': 'struct(
    id varchar, label varchar, displayOrder bigint, createdAt varchar, updatedAt varchar, archived boolean,
    stages struct(id varchar, label varchar, displayOrder bigint, createdAt varchar, updatedAt varchar,
        archived boolean, metadata struct(isClosed varchar, probability varchar))[])[]'});

create or replace table raw_hubspot.pipelines as
select id, 'deals' as object_type, label, displayOrder as display_order, coalesce(archived, false) as archived,
    hs_ts(createdAt) as created_at, hs_ts(updatedAt) as updated_at, '${load_id}' as _dlt_load_id, md5(id) as _dlt_id
from hs_pipelines;

create or replace table raw_hubspot.pipeline_stages as
select pipeline_id, stage.id as stage_id, stage.label, stage.displayOrder as display_order,
    cast(stage.metadata.isClosed as boolean) as is_closed, cast(stage.metadata.probability as decimal(38, 9))
        as probability, coalesce(stage.archived, false) as archived, hs_ts(stage.createdAt) as created_at,
    hs_ts(stage.updatedAt) as updated_at, '${load_id}' as _dlt_load_id, md5(pipeline_id || stage.id) as _dlt_id
from (select id as pipeline_id, unnest(stages) as stage from hs_pipelines);

create or replace table raw_hubspot.quarantine as
select * from raw_forms.quarantine where false;

create or replace table raw_hubspot.reconciliation as
select
    'hubspot' as source, 'hubspot/' || name as input_name, 'api' as input_kind, n as rows_read, n as rows_loaded,
    cast(0 as bigint) as rows_quarantined, 'loaded' as status,
    case when name = 'owners' then 'listed all; loaded those updated since the last run'
        else 'listed all (first run)' end as detail,
    '${load_id}' as load_id, now() as reconciled_at, '${load_id}' as _dlt_load_id, md5(name) as _dlt_id
from (
    select 'deals' as name, count(*) as n from raw_hubspot.deals
    union all select 'contacts', count(*) from raw_hubspot.contacts
    union all select 'companies', count(*) from raw_hubspot.companies
    union all select 'owners', count(*) from raw_hubspot.owners
);
