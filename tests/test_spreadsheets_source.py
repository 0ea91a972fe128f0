"""Spreadsheets source: Chinese XLSX trackers, a GBK CSV, the English export, marketing spend; bad rows and bad files."""
from __future__ import annotations

import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import PatternFill

from ingestion.common.reconcile import Reconciliation
from ingestion.pipeline import make_pipeline, run_source
from ingestion.spreadsheets import ENTITY_TABLES, MappingError, entity_tables, load_mapping, spreadsheets_source
from ingestion.spreadsheets import tables as spreadsheet_tables
from ingestion.spreadsheets.mapping import DEFAULT_MAPPING
from support.warehouse import query as query_warehouse

HEADER = [
    "客户名称", "所属行业", "公司规模", "联系人", "职务", "联系方式", "当前阶段", "进入阶段时间", "上一阶段停留时长",
    "关键动作记录", "下一步计划", "负责人", "预估金额(万)", "风险提示",
]
# sheet 进行中: title row 1, header row 2, data from row 3; row 12 blank; blank rows after row 13
ONGOING = [
    ["上海云杉科技有限公司", "软件", "100-500人", "赵磊", "CTO", "138 0013 8000", "意向", "2024-03-05", "12天",
     "电话沟通", "安排演示", "王强", 35.5, None],
    ["杭州西湖电子", "制造业", "500人以上", "钱多", "采购总监", "+86 139-0013-9000", "方案/报价", datetime(2024, 3, 6),
     "3周", "发送方案", "跟进报价", "王强", "35.5万", "竞品低价"],
    ["南京紫金物流", "物流", "50-100人", "孙丽", "运营经理", "1380013", "报价", 45356, 15, "报价", "谈判", "李娜",
     "355,000元", None],
    ["苏州园区医疗", "医疗", "100-500人", "周伟", "院长", None, "谈判", "2024-13-45", None, None, None, "李娜", 50, None],
    ["宁波港口贸易", "贸易", "50-100人", "吴军", "经理", None, "初步接触", "2024-03-05", None, None, None, "王强", 10, None],
    ["合肥科大讯达", "软件", "50-100人", "郑洁", "经理", None, "线索", "2024-03-05", None, None, None, "王强", -5, None],
    ["无锡太湖纺织", "纺织", "100-500人", "冯刚", "厂长", None, "线索", "2024-03-05", None, None, None, "李娜", "面议", None],
    [None, "软件", "50-100人", "陈晨", "经理", "13700137000", "线索", "2024-03-05", None, None, None, "李娜", 10, None],
    ["温州商贸城", "零售", "1000人以上", "褚明", "总监", None, "线索", "2024年3月5日", None, None, None, "王强", None, None],
    [],
    ["常州新能源", "能源", "100-500人", "卫东", "总经理", "0519-8888 6666", "商务谈判", "2024/3/5", "2个月", None, None,
     "李娜", 100, None],
]
CLOSED = [
    ["北京中关村软件", "软件", "100-500人", "蒋涛", "CIO", None, "成交", "2024-01-15", "1个月", "签约", None, "王强", 200, None],
    ["天津港航", "物流", "500人以上", "沈静", "总监", None, "输单", "2024-02-01", None, None, None, "李娜", 50, "预算取消"],
    # same customer, stage and date as 进行中 row 3 but another amount: a conflicting duplicate key
    ["上海云杉科技有限公司", "软件", "100-500人", "赵磊", "CTO", "13800138000", "意向", "2024-03-05", "12天", None, None,
     "王强", 40, None],
    ["北京中关村软件", "软件", "100-500人", "蒋涛", "CIO", None, "成交", "2024-01-15", "1个月", "签约", None, "王强", 200, None],
]


def write_tracker(path: Path, sheets: dict[str, list[list]], header: list[str] = HEADER, title: str = "华东区销售跟进表") -> None:
    """A tracker as people keep it: a merged title row above the header, then rows, then blank formatted rows."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        last = sheet.max_row
        for number in range(last + 1, last + 4):
            sheet.cell(row=number, column=1).fill = PatternFill("solid", fgColor="FFFF00")
            sheet.cell(row=number, column=2, value="  ")
    workbook.save(path)


@pytest.fixture
def drop(tmp_path: Path, fixtures_dir: Path) -> Path:
    target = tmp_path / "spreadsheets"
    shutil.copytree(fixtures_dir / "spreadsheets" / "drop", target)
    write_tracker(target / "销售跟进表_华东.xlsx", {"进行中": ONGOING, "已结束": CLOSED})
    return target


def load(drop: Path, tmp_path: Path, mapping_path: Path | None = None):
    recon = Reconciliation("spreadsheets")
    pipeline = make_pipeline("spreadsheets", warehouse=tmp_path / "w.duckdb", pipelines_dir=tmp_path / "pl")
    source = spreadsheets_source(
        drop_dir=str(drop), mapping_path=str(mapping_path) if mapping_path else None, reconciliation=recon
    )
    summary = run_source("spreadsheets", source, recon, entity_tables(mapping_path), pipeline)
    return summary, recon


def query(tmp_path: Path, sql: str) -> list[tuple]:
    return query_warehouse(tmp_path / "w.duckdb", sql)


def tallies(summary) -> dict[str, tuple]:
    return {t.input_name: (t.rows_read, t.rows_loaded, t.rows_quarantined, t.status) for t in summary.tallies}


def test_each_file_loads_with_exact_counts(drop: Path, tmp_path: Path) -> None:
    summary, recon = load(drop, tmp_path)
    assert tallies(summary) == {
        "销售跟进表_华东.xlsx[进行中]": (10, 5, 5, "loaded"),  # title row, blank row 12 and trailing rows not counted
        "销售跟进表_华东.xlsx[已结束]": (4, 3, 1, "loaded"),  # row 6 repeats row 3 exactly: loaded, merged
        "销售跟进表_华南.csv": (4, 3, 1, "loaded"),
        "pipeline_export_en.csv": (6, 3, 3, "loaded"),
        "pipeline_export_en_stage_history.csv": (6, 4, 2, "loaded"),
        "marketing_spend.csv": (5, 4, 1, "loaded"),
    }
    assert recon.errors == []
    assert ENTITY_TABLES == {"tracker_deals", "export_deals", "export_stage_changes", "marketing_spend"}
    counts = {
        table: query(tmp_path, f"select count(*) from raw_spreadsheets.{table}")[0][0] for table in sorted(ENTITY_TABLES)
    }
    assert counts == {"export_deals": 3, "export_stage_changes": 4, "marketing_spend": 4, "tracker_deals": 10}
    assert summary.table_rows["tracker_deals"] == 11  # the exact duplicate is normalized, then merged away


def test_tracker_values_are_normalised(drop: Path, tmp_path: Path) -> None:
    load(drop, tmp_path)
    rows = query(
        tmp_path,
        "select team, customer_name, stage_raw, stage_code, stage_entered_on, previous_stage_days, amount_cny, "
        "contact_phone, data_issues, source_file, source_sheet, source_row "
        "from raw_spreadsheets.tracker_deals order by team, source_file, source_sheet, source_row",
    )
    east, south = "销售跟进表_华东.xlsx", "销售跟进表_华南.csv"
    assert rows == [
        ("华东", "北京中关村软件", "成交", "won", date(2024, 1, 15), 30, Decimal("2000000.00"), None, None, east, "已结束", 3),
        ("华东", "天津港航", "输单", "lost", date(2024, 2, 1), None, Decimal("500000.00"), None, None, east, "已结束", 4),
        ("华东", "上海云杉科技有限公司", "意向", "interest", date(2024, 3, 5), 12, Decimal("355000.00"),
         "+8613800138000", None, east, "进行中", 3),
        ("华东", "杭州西湖电子", "方案/报价", "proposal", date(2024, 3, 6), 21, Decimal("355000.00"),
         "+8613900139000", None, east, "进行中", 4),
        # Excel serial 45356 is 2024-03-05; '355,000元' is already in 元; the invalid phone is nulled and noted
        ("华东", "南京紫金物流", "报价", "proposal", date(2024, 3, 5), 15, Decimal("355000.00"), None,
         "contact_phone: invalid phone number '1380013' (expected e.g. 13800138000 or +86 21 6234 5678)", east, "进行中", 5),
        ("华东", "温州商贸城", "线索", "lead", date(2024, 3, 5), None, None, None, None, east, "进行中", 11),
        ("华东", "常州新能源", "商务谈判", "negotiation", date(2024, 3, 5), 60, Decimal("1000000.00"),
         "+8651988886666", None, east, "进行中", 13),
        # 华南 (GBK CSV): same customer name as in 华东 is another key (team, customer_name)
        ("华南", "广州云帆科技有限公司", "需求确认", "need", date(2024, 3, 5), 12, Decimal("125000.00"),
         "+8613800138000", None, south, None, 2),
        ("华南", "深圳星河零售有限公司", "商务谈判", "negotiation", date(2024, 3, 5), 21, Decimal("800000.00"),
         "+862088886666", None, south, None, 3),
        ("华南", "上海云杉科技有限公司", "成交", "won", date(2024, 2, 20), 60, Decimal("150000.00"),
         "+8613700137000", None, south, None, 5),
    ]


def test_export_and_spend_values_are_normalised(drop: Path, tmp_path: Path) -> None:
    load(drop, tmp_path)
    assert query(
        tmp_path,
        "select deal_id, stage_raw, stage_code, stage_entered_on, created_on, amount_cny, contact_email, data_issues "
        "from raw_spreadsheets.export_deals order by deal_id",
    ) == [
        ("D-001", "Closed Won", "won", date(2025, 3, 5), date(2025, 1, 10), Decimal("1250000.00"),
         "alice@acme.example", None),
        ("D-002", "Qualified", "need", date(2025, 3, 5), date(2025, 2, 1), Decimal("1250000.00"), None,
         "contact_email: invalid email address 'bob@@beta'"),
        ("D-005", "Closed Lost", "lost", date(2025, 3, 10), date(2025, 1, 15), Decimal("800000.00"),
         "eve@epsilon.example", None),
    ]
    assert query(
        tmp_path,
        "select deal_id, from_stage_code, to_stage_code, strftime(changed_at at time zone 'UTC', '%Y-%m-%d %H:%M') "
        "from raw_spreadsheets.export_stage_changes order by changed_at",
    ) == [
        ("D-001", None, "lead", "2025-01-10 09:00"),
        ("D-001", "lead", "need", "2025-02-01 10:30"),
        ("D-001", "need", "won", "2025-03-05 08:00"),  # 16:00+08:00
        ("D-002", "lead", "need", "2025-03-05 09:00"),  # no zone: taken as UTC
    ]
    assert query(tmp_path, "select month, channel, amount_cny from raw_spreadsheets.marketing_spend order by 1, 2") == [
        (date(2025, 3, 1), "微信", Decimal("8500.50")),
        (date(2025, 3, 1), "百度", Decimal("12000.00")),
        (date(2025, 4, 1), "微信", Decimal("9000.00")),
        (date(2025, 4, 1), "百度", Decimal("13000.00")),
    ]


DUPLICATE_KEY = "team='华东', customer_name='上海云杉科技有限公司', stage_code='interest', stage_entered_on=2024-03-05"


def test_bad_rows_are_quarantined_with_reasons(drop: Path, tmp_path: Path) -> None:
    load(drop, tmp_path)
    rows = query(
        tmp_path, "select input_name, row_number, field, raw_value, reason from raw_spreadsheets.quarantine order by 1, 2"
    )
    assert rows == [
        ("marketing_spend.csv", 5, "花费(元)", "-100", "amount is negative: '-100'"),
        ("pipeline_export_en.csv", 4, "Stage", "Discovery",
         "unknown stage 'Discovery' for stage_source export_en: add a row 'export_en,Discovery,<stage_code>' to "
         "dbt_project/seeds/funnel/funnel_stage_map.csv"),
        ("pipeline_export_en.csv", 5, "Stage Entered", "13/45/2025",
         "unparseable date '13/45/2025' (use 2024-03-05, 2024/3/5 or 2024年3月5日)"),
        ("pipeline_export_en.csv", 6, "Deal ID", "deal_id='D-001'",
         "duplicate key (deal_id='D-001') with different values than pipeline_export_en.csv row 2"),
        ("pipeline_export_en_stage_history.csv", 6, "To Stage", "Sourcing",
         "unknown stage 'Sourcing' for stage_source export_en: add a row 'export_en,Sourcing,<stage_code>' to "
         "dbt_project/seeds/funnel/funnel_stage_map.csv"),
        ("pipeline_export_en_stage_history.csv", 7, "Changed At", "next tuesday",
         "unparseable timestamp 'next tuesday' (use ISO 8601, e.g. 2025-03-05T10:22:01Z)"),
        ("销售跟进表_华东.xlsx[已结束]", 5, "客户名称", DUPLICATE_KEY,
         f"duplicate key ({DUPLICATE_KEY}) with different values than 销售跟进表_华东.xlsx[进行中] row 3"),
        ("销售跟进表_华东.xlsx[进行中]", 6, "进入阶段时间", "2024-13-45",
         "unparseable date '2024-13-45' (use 2024-03-05, 2024/3/5 or 2024年3月5日)"),
        ("销售跟进表_华东.xlsx[进行中]", 7, "当前阶段", "初步接触",
         "unknown stage '初步接触' for stage_source tracker_cn: add a row 'tracker_cn,初步接触,<stage_code>' to "
         "dbt_project/seeds/funnel/funnel_stage_map.csv"),
        ("销售跟进表_华东.xlsx[进行中]", 8, "预估金额(万)", "-5", "amount is negative: -5"),
        ("销售跟进表_华东.xlsx[进行中]", 9, "预估金额(万)", "面议", "amount is not a number: '面议'"),
        ("销售跟进表_华东.xlsx[进行中]", 10, "客户名称", None, "missing required field 客户名称 (customer_name)"),
        ("销售跟进表_华南.csv", 4, "当前阶段", "", "missing required field 当前阶段 (stage)"),
    ]
    raw_record = query(
        tmp_path, "select raw_record from raw_spreadsheets.quarantine where input_name = '销售跟进表_华南.csv'"
    )[0][0]
    assert '"客户名称": "佛山恒力机械"' in raw_record and '"预估金额(万)": "20"' in raw_record


def add_broken_files(drop: Path, fixtures_dir: Path) -> None:
    for path in (fixtures_dir / "spreadsheets" / "broken").iterdir():
        shutil.copy(path, drop / path.name)
    (drop / "notes.csv").write_text("anything,else\n1,2\n", encoding="utf-8")


def test_bad_files_are_rejected_whole_and_the_others_still_load(drop: Path, tmp_path: Path, fixtures_dir: Path) -> None:
    add_broken_files(drop, fixtures_dir)
    summary, recon = load(drop, tmp_path)
    assert {name: tally for name, tally in tallies(summary).items() if tally[3] == "rejected"} == {
        "销售跟进表_华北.csv": (0, 0, 0, "rejected"),
        "销售跟进表_华中.csv": (0, 0, 0, "rejected"),
        "销售跟进表_西南.csv": (0, 0, 0, "rejected"),
        "notes.csv": (0, 0, 0, "rejected"),
    }
    missing_column = (
        "销售跟进表_华中.csv: header has no column for required field 客户名称 (customer_name); "
        "looked for: 客户名称, 客户, 公司名称, Account Name, Customer"
    )
    unmapped = (
        "notes.csv: no entry in ingestion/spreadsheets/mapping.yaml matches this file; add one (see the example at "
        "its top)"
    )
    wrong_encoding = "销售跟进表_西南.csv: file is neither UTF-8 nor GBK/GB18030 text; save it as UTF-8 or GBK"
    assert sorted(recon.errors) == sorted(
        ["销售跟进表_华北.csv: file is empty", missing_column, wrong_encoding, unmapped]
    )
    assert summary.rows_loaded == 22  # every good file still loaded
    rejected = query(
        tmp_path, "select input_name, field, reason from raw_spreadsheets.quarantine where row_number = 0 order by 1"
    )
    assert rejected == [
        ("notes.csv", "file", unmapped),
        ("销售跟进表_华中.csv", "客户名称", missing_column),
        ("销售跟进表_华北.csv", "file", "销售跟进表_华北.csv: file is empty"),
        ("销售跟进表_西南.csv", "file", wrong_encoding),
    ]


def test_invalid_bytes_after_the_detection_sample_reject_the_file(tmp_path: Path) -> None:
    drop = tmp_path / "spreadsheets"
    drop.mkdir()
    line = "广州云帆科技有限公司,制造业,100-500人,李明,采购经理,13800138000,线索,2024-03-05,,,,张伟,12.5,\r\n"
    body = ",".join(HEADER).encode("gbk") + b"\r\n" + line.encode("gbk") * 1500  # > 64 KB of valid GBK
    (drop / "销售跟进表_华南.csv").write_bytes(body + b"\x80\x80\r\n")
    summary, recon = load(drop, tmp_path)
    assert recon.errors == [
        "销售跟进表_华南.csv: line 1502 is not valid GBK/GB18030 text (the file starts as GBK/GB18030 text); "
        "save the file as UTF-8"
    ]
    assert tallies(summary) == {"销售跟进表_华南.csv": (0, 0, 0, "rejected")}


def test_rerun_loads_nothing_and_a_changed_file_reloads_without_duplicates(drop: Path, tmp_path: Path) -> None:
    first, _ = load(drop, tmp_path)
    again, _ = load(drop, tmp_path)
    assert (again.rows_loaded, again.rows_quarantined) == (0, 0)
    assert {t.status for t in again.tallies} == {"unchanged"}
    assert set(tallies(again)) == set(tallies(first))  # the sheets of a workbook are remembered by name

    # marketing fixes the negative row and adds a month: the file is read again, merged on (month, channel)
    spend = drop / "marketing_spend.csv"
    fixed = spend.read_text(encoding="utf-8").replace("抖音,-100", "抖音,100") + '2025-05,百度,"14,000"\n'
    spend.write_text(fixed, encoding="utf-8")
    # 华东 moves 杭州西湖电子 on to 谈判 (its key changes) and deletes 温州商贸城 and the bad rows
    ongoing = ONGOING[:3] + ONGOING[-1:]
    ongoing[1] = ongoing[1][:6] + ["谈判", "2024-04-02"] + ongoing[1][8:]
    write_tracker(drop / "销售跟进表_华东.xlsx", {"进行中": ongoing, "已结束": CLOSED})
    third, _ = load(drop, tmp_path)
    assert tallies(third) == {
        "销售跟进表_华东.xlsx[进行中]": (4, 4, 0, "loaded"),
        "销售跟进表_华东.xlsx[已结束]": (4, 3, 1, "loaded"),
        "销售跟进表_华南.csv": (0, 0, 0, "unchanged"),
        "pipeline_export_en.csv": (0, 0, 0, "unchanged"),
        "pipeline_export_en_stage_history.csv": (0, 0, 0, "unchanged"),
        "marketing_spend.csv": (6, 6, 0, "loaded"),
    }
    assert query(tmp_path, "select count(*), count(distinct (month, channel)) from raw_spreadsheets.marketing_spend") == [
        (6, 6)
    ]
    assert query(
        tmp_path,
        "select customer_name, stage_code, stage_entered_on from raw_spreadsheets.tracker_deals "
        "where team = '华东' and source_sheet = '进行中' order by source_row",
    ) == [
        ("上海云杉科技有限公司", "interest", date(2024, 3, 5)),
        ("杭州西湖电子", "negotiation", date(2024, 4, 2)),  # its old 'proposal' row is gone, not left stale
        ("南京紫金物流", "proposal", date(2024, 3, 5)),
        ("常州新能源", "negotiation", date(2024, 3, 5)),
    ]
    assert query(tmp_path, "select count(*) from raw_spreadsheets.tracker_deals") == [(9,)]


def test_reconciliation_rows_balance(drop: Path, tmp_path: Path, fixtures_dir: Path) -> None:
    load(drop, tmp_path)
    add_broken_files(drop, fixtures_dir)
    load(drop, tmp_path)
    rows = query(
        tmp_path,
        "select input_name, status, rows_read, rows_loaded, rows_quarantined from raw_spreadsheets.reconciliation "
        "order by load_id, input_name",
    )
    assert all(read == loaded + quarantined for _, _, read, loaded, quarantined in rows)
    assert [(name, status) for name, status, *_ in rows[6:]] == sorted(
        [(name, "unchanged") for name, *_ in rows[:6]]
        + [("notes.csv", "rejected"), ("销售跟进表_华中.csv", "rejected"), ("销售跟进表_华北.csv", "rejected"),
           ("销售跟进表_西南.csv", "rejected")]
    )
    assert query(
        tmp_path, "select sum(rows_read), sum(rows_loaded), sum(rows_quarantined) from raw_spreadsheets.reconciliation"
    ) == [(35, 22, 13)]


def test_state_does_not_advance_when_extraction_fails(
    drop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_read_sheet = spreadsheet_tables.TableReader._read_sheet

    def fail_on_spend(self, sheet, *args):
        if sheet.input_name == "marketing_spend.csv":
            raise RuntimeError("disk went away")
        yield from real_read_sheet(self, sheet, *args)

    monkeypatch.setattr(spreadsheet_tables.TableReader, "_read_sheet", fail_on_spend)
    with pytest.raises(Exception, match="disk went away"):
        load(drop, tmp_path)
    monkeypatch.undo()
    summary, _ = load(drop, tmp_path)
    assert (summary.rows_loaded, summary.rows_quarantined) == (22, 13)


NORTH_ENTRY = """
north_tracker:                  # 华北 keeps an English tracker with its own headers
  files: ["north/sales_tracker*.xlsx"]
  entity: deals
  table: tracker_deals
  key: [team, customer_name, stage_code, stage_entered_on]
  stage_source: export_en
  amount_unit: yuan
  date_order: day_first
  constants: {team: 华北}
  fields:
    customer_name:    {type: text, required: true, aliases: [Customer]}
    stage:            {type: stage, required: true, aliases: [Pipeline Stage]}
    stage_entered_on: {type: date, required: true, aliases: [Stage Since]}
    owner_name:       {type: text, aliases: [Rep]}
    amount_cny:       {type: amount, aliases: [Deal Size (CNY)]}
    contact_phone:    {type: phone, aliases: [Mobile]}
"""


def test_a_new_teams_sheet_is_mapped_by_the_mapping_file_alone(drop: Path, tmp_path: Path) -> None:
    (drop / "north").mkdir()
    write_tracker(
        drop / "north" / "sales_tracker_2025.xlsx",
        {"Pipeline": [
            ["Beijing Sunrise Tech", "Proposal", "05/03/2025", "Li Hua", "1,200,000", "13600136000"],
            ["Tianjin Harbor Ltd", "Closed Won", "2025-02-01", "Li Hua", 300000, None],
        ]},
        header=["Customer", "Pipeline Stage", "Stage Since", "Rep", "Deal Size (CNY)", "Mobile"],
        title="North team pipeline",
    )
    _, recon = load(drop, tmp_path)
    assert recon.errors == [
        "north/sales_tracker_2025.xlsx: no entry in ingestion/spreadsheets/mapping.yaml matches this file; add one "
        "(see the example at its top)"
    ]

    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(DEFAULT_MAPPING.read_text(encoding="utf-8") + NORTH_ENTRY, encoding="utf-8")
    summary, recon = load(drop, tmp_path, mapping_path=mapping)
    assert recon.errors == []
    assert tallies(summary)["north/sales_tracker_2025.xlsx[Pipeline]"] == (2, 2, 0, "loaded")
    assert query(
        tmp_path,
        "select team, customer_name, stage_code, stage_entered_on, owner_name, amount_cny, contact_phone "
        "from raw_spreadsheets.tracker_deals where team = '华北' order by customer_name",
    ) == [
        ("华北", "Beijing Sunrise Tech", "proposal", date(2025, 3, 5), "Li Hua", Decimal("1200000.00"), "+8613600136000"),
        ("华北", "Tianjin Harbor Ltd", "won", date(2025, 2, 1), "Li Hua", Decimal("300000.00"), None),
    ]


def test_mapping_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        DEFAULT_MAPPING.read_text(encoding="utf-8").replace("{type: duration_days,", "{type: days,"), encoding="utf-8"
    )
    with pytest.raises(MappingError) as error:
        load_mapping(mapping)
    assert str(error.value) == (
        "mapping.yaml, entry sales_trackers: field previous_stage_days: type must be one of text, date, month, "
        "timestamp, amount, phone, email, stage, duration_days, integer, not 'days'"
    )
