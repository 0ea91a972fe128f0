"""Small Zoho CRM records as its v8 API returns them (shaped by ingestion/zoho/rows.py) and the canonical rows of two
YAML CRMs (fxiaoke, a China team in CNY, and `acme`, an English one in EUR), each loaded by a real dlt pipeline
through ingestion.pipeline.run_source into raw_zoho / raw_fxiaoke / raw_acme (with the quarantine and
reconciliation tables every source has, and each YAML CRM's crm_spec row): the raw input of
tests/test_crm_staging_zoho_rest.py.

Zoho (USD): a won deal whose Stage_History skips Needs Analysis and has an Amount-only row, a lost deal that moves
back from Proposal/Price Quote to Needs Analysis (Reason_For_Loss__s Lost to Competitor), a deal listed by the
deleted-records sweep, a deal with an unreadable Amount (quarantined); a converted lead and a deleted one.
fxiaoke: 中文 stage labels (a backward move, a skip), a won and a lost 商机 and an invalid one (is_deleted), a bad
amount (quarantined). acme: deals, stage changes and people only (no owners, no companies table). One person is
a Zoho lead (email and phone), a fxiaoke contact (the same email) and an acme contact (the same phone, no email).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import dlt
import pyarrow as pa

from ingestion.common.api_values import PARSERS
from ingestion.common.arrow_pages import arrow_schema
from ingestion.common.parsing import FieldError
from ingestion.common.reconcile import Reconciliation
from ingestion.common.schema import declare_table
from ingestion.common.shaping import record_id_number, shape_page
from ingestion.pipeline import LoadSummary, make_pipeline, run_source
from ingestion.zoho import rows as zoho_rows

# ---------------------------------------------------------------- Zoho records (Get Records `data` items)
ZOHO_PIPELINE = "5725767000000091023"
U1, U2 = "5725767000000411001", "5725767000000411002"
A1, A2 = "5725767000000520001", "5725767000000520002"
C1 = "5725767000000530001"
L1, L2 = "5725767000000510001", "5725767000000510002"
D_WON, D_LOST, D_DELETED, D_BAD = (f"57257670000005400{n:02d}" for n in range(1, 5))
SHARED_EMAIL = "wei.zhang@huaxin.example"  # the Zoho lead and the fxiaoke contact
SHARED_PHONE = "+86 138 0013 8000"  # the Zoho lead and the acme contact (13800138000 as fxiaoke writes it)


def _lookup(name: str, record_id: str) -> dict[str, str]:
    return {"name": name, "id": record_id}


ZOHO_USERS = [
    {"id": U1, "full_name": "Patricia Boyle", "first_name": "Patricia", "last_name": "Boyle",
     "email": "Patricia.Boyle@zylker.example", "status": "active", "role": _lookup("CEO", "5725767000000026005"),
     "profile": _lookup("Administrator", "5725767000000026011"), "time_zone": "America/Los_Angeles",
     "created_time": "2024-01-08T09:00:00-08:00", "Modified_Time": "2025-11-02T10:15:00-08:00"},
    {"id": U2, "full_name": "Ravi Menon", "first_name": "Ravi", "last_name": "Menon",
     "email": "ravi.menon@zylker.example", "status": "disabled", "role": _lookup("Sales", "5725767000000026006"),
     "profile": _lookup("Standard", "5725767000000026012"), "time_zone": "Asia/Kolkata",
     "created_time": "2024-02-01T09:00:00+05:30", "Modified_Time": "2025-11-02T10:15:00+05:30"},
]
ZOHO_ACCOUNTS = [
    {"id": A1, "Account_Name": "Huaxin Software", "Account_Type": "Customer", "Industry": "Technology",
     "Employees": 200, "Annual_Revenue": 5000000, "Website": "https://www.huaxin.example/", "Phone": "+1 555 0100",
     "Billing_City": "Shanghai", "Billing_Country": "China", "Parent_Account": None,
     "Owner": _lookup("Patricia Boyle", U1),
     "Created_Time": "2025-09-01T09:00:00-07:00", "Modified_Time": "2025-09-01T09:00:00-07:00"},
    {"id": A2, "Account_Name": "Chemel Industries", "Account_Type": "Prospect", "Industry": "Manufacturing",
     "Employees": 40, "Website": None, "Owner": _lookup("Ravi Menon", U2),
     "Created_Time": "2025-09-02T09:00:00-07:00", "Modified_Time": "2025-09-02T09:00:00-07:00"},
]
ZOHO_CONTACTS = [
    {"id": C1, "First_Name": "Kris", "Last_Name": "Marrier", "Full_Name": "Kris Marrier",
     "Email": " Kris@Chemel.example ", "Phone": None, "Mobile": "+1 (605) 555-0144", "Title": "CFO",
     "Lead_Source": "Employee Referral", "Mailing_Country": "USA", "Account_Name": _lookup("Chemel Industries", A2),
     "Owner": _lookup("Ravi Menon", U2), "Created_Time": "2025-09-02T10:00:00-07:00",
     "Modified_Time": "2025-09-02T10:00:00-07:00"},
]
ZOHO_LEADS = [
    {"id": L1, "First_Name": "Wei", "Last_Name": "Zhang", "Full_Name": "Wei Zhang", "Company": "Huaxin Software",
     "Email": "Wei.Zhang@huaxin.example", "Phone": SHARED_PHONE, "Mobile": None, "Designation": "CTO",
     "Lead_Status": "Contacted", "Lead_Source": "Web Download", "Industry": "Technology", "No_of_Employees": 200,
     "Owner": _lookup("Patricia Boyle", U1), "Created_Time": "2025-09-01T08:00:00-07:00",
     "Modified_Time": "2025-09-01T09:00:00-07:00", "$converted": True,
     "$converted_detail": {"converted_time": "2025-09-01T09:00:00-07:00", "deal": D_WON, "account": A1,
                           "contact": None}},
    {"id": L2, "First_Name": "Test", "Last_Name": "Lead", "Full_Name": "Test Lead", "Company": "Nowhere",
     "Email": None, "Phone": None, "Lead_Status": "Junk Lead", "Owner": _lookup("Ravi Menon", U2),
     "Created_Time": "2025-10-01T08:00:00-07:00", "Modified_Time": "2025-10-01T08:00:00-07:00",
     "$converted": False, "$converted_detail": {}},
]


def _zoho_deal(record_id: str, name: str, stage: str, amount: Any, closing: str, created: str, modified: str, *,
               account: tuple[str, str], source: str, loss: str | None = None,
               contact: tuple[str, str] | None = None) -> dict[str, Any]:
    return {"id": record_id, "Deal_Name": name, "Stage": stage, "Amount": amount, "Currency": "USD",
            "Exchange_Rate": 1, "Closing_Date": closing, "Probability": 50, "Expected_Revenue": None,
            "Pipeline": _lookup("Standard (Standard)", ZOHO_PIPELINE), "Type": "New Business", "Lead_Source": source,
            "Reason_For_Loss__s": loss, "Owner": _lookup("Patricia Boyle", U1),
            "Account_Name": _lookup(*account), "Contact_Name": _lookup(*contact) if contact else None,
            "Created_Time": created, "Modified_Time": modified}


ZOHO_DEALS = [
    _zoho_deal(D_WON, "Huaxin platform", "Closed Won", 48000, "2025-11-20", "2025-09-01T09:00:00-07:00",
               "2025-11-20T17:00:00-08:00", account=("Huaxin Software", A1), source="Web Download"),
    _zoho_deal(D_LOST, "Chemel pilot", "Closed Lost", 9000.5, "2025-11-25", "2025-09-05T10:00:00+05:30",
               "2025-11-25T18:00:00+05:30", account=("Chemel Industries", A2), source="Employee Referral",
               loss="Lost to Competitor", contact=("Kris Marrier", C1)),
    _zoho_deal(D_DELETED, "Chemel renewal", "Needs Analysis", 3000, "2026-01-31", "2025-10-01T10:00:00-07:00",
               "2025-10-10T10:00:00-07:00", account=("Chemel Industries", A2), source="Cold Call"),
    # an Amount the API would never send: quarantined (field Amount), the other three load
    _zoho_deal(D_BAD, "Chemel add-on", "Qualification", "12k", "2026-02-28", "2025-11-01T10:00:00-07:00",
               "2025-11-01T10:00:00-07:00", account=("Chemel Industries", A2), source="Trade Show"),
]


def _history(record_id: int, stage: str, at: str, amount: float, moved_to: str | None) -> dict[str, Any]:
    return {"id": f"57257670000005500{record_id:02d}", "Stage": stage, "Amount": amount, "Probability": 50,
            "Expected_Revenue": None, "Closing_Date": "2025-11-30", "Duration_Days": None, "Modified_Time": at,
            "Modified_By": _lookup("Patricia Boyle", U1), "Moved_To__s": moved_to}


ZOHO_STAGE_HISTORY = {
    # won: Qualification, (Amount only), Proposal/Price Quote (Needs Analysis skipped), Closed Won: 4 rows, 3 moves
    D_WON: [_history(1, "Qualification", "2025-09-01T09:00:00-07:00", 40000, "Proposal/Price Quote"),
            _history(2, "Qualification", "2025-09-10T09:00:00-07:00", 48000, "Proposal/Price Quote"),
            _history(3, "Proposal/Price Quote", "2025-10-01T09:00:00-07:00", 48000, "Closed Won"),
            _history(4, "Closed Won", "2025-11-20T17:00:00-08:00", 48000, None)],
    # lost: Qualification, Needs Analysis, Proposal/Price Quote, back to Needs Analysis, Closed Lost: 5 moves
    D_LOST: [_history(5, "Qualification", "2025-09-05T10:00:00+05:30", 9000.5, "Needs Analysis"),
             _history(6, "Needs Analysis", "2025-09-20T10:00:00+05:30", 9000.5, "Proposal/Price Quote"),
             _history(7, "Proposal/Price Quote", "2025-10-10T10:00:00+05:30", 9000.5, "Needs Analysis"),
             _history(8, "Needs Analysis", "2025-10-30T10:00:00+05:30", 9000.5, "Closed Lost"),
             _history(9, "Closed Lost", "2025-11-25T18:00:00+05:30", 9000.5, None)],
    D_DELETED: [_history(10, "Qualification", "2025-10-01T10:00:00-07:00", 3000, "Needs Analysis"),
                _history(11, "Needs Analysis", "2025-10-10T10:00:00-07:00", 3000, None)],
}
_STANDARD_STAGES = [  # Zoho's standard pipeline: (display value, sequence, probability, forecast type)
    ("Qualification", 1, 10, "Open"), ("Needs Analysis", 2, 20, "Open"), ("Value Proposition", 3, 40, "Open"),
    ("Identify Decision Makers", 4, 60, "Open"), ("Proposal/Price Quote", 5, 75, "Open"),
    ("Negotiation/Review", 6, 90, "Open"), ("Closed Won", 7, 100, "Closed Won"), ("Closed Lost", 8, 0, "Closed Lost"),
    ("Closed Lost to Competition", 9, 0, "Closed Lost"),
]
ZOHO_PIPELINES = [{"id": ZOHO_PIPELINE, "display_value": "Standard (Standard)", "default": True, "maps": [
    {"id": f"57257670000000066{order:02d}", "display_value": name, "actual_value": name, "sequence_number": order,
     "probability": probability, "forecast_type": forecast, "forecast_category": {"name": forecast}}
    for name, order, probability, forecast in _STANDARD_STAGES]}]
ZOHO_DELETED = {"Deals": [{"id": D_DELETED, "display_name": "Chemel renewal", "type": "recycle",
                           "deleted_by": _lookup("Ravi Menon", U2), "created_by": _lookup("Ravi Menon", U2),
                           "deleted_time": "2025-11-21T09:15:00+05:30"}],
                "Leads": [{"id": L2, "display_name": "Test Lead", "type": "permanent",
                           "deleted_by": _lookup("Ravi Menon", U2), "created_by": _lookup("Ravi Menon", U2),
                           "deleted_time": "2025-10-02T09:15:00+05:30"}]}


# ---------------------------------------------------------------- YAML CRMs: canonical rows (the issue-17 contract)
CANONICAL: dict[str, dict[str, str]] = {  # {table: {column: kind}}, the first column the key
    "deals": {"deal_id": "text", "deal_name": "text", "pipeline_id": "text", "stage": "text", "amount": "decimal",
              "currency_code": "text", "probability": "double", "expected_close_on": "date",
              "created_at": "timestamp", "modified_at": "timestamp", "closed_at": "timestamp", "owner_id": "text",
              "company_id": "text", "contact_id": "text", "lead_id": "text", "channel": "text",
              "loss_reason": "text", "is_deleted": "bool"},
    "deal_stage_changes": {"change_id": "text", "deal_id": "text", "stage": "text", "from_stage": "text",
                           "changed_at": "timestamp"},
    "owners": {"owner_id": "text", "owner_name": "text", "email": "text", "team_name": "text", "is_active": "bool"},
    "companies": {"company_id": "text", "company_name": "text", "industry": "text", "employee_count": "bigint",
                  "website": "text", "created_at": "timestamp", "modified_at": "timestamp", "is_deleted": "bool"},
    "people": {"person_id": "text", "person_type": "text", "person_name": "text", "email": "text", "phone": "text",
               "company_id": "text", "company_name": "text", "lead_status": "text", "channel": "text",
               "created_at": "timestamp", "modified_at": "timestamp", "converted_at": "timestamp",
               "is_deleted": "bool"},
}


def _at(text: str) -> str:
    return f"{text}T00:00:00Z" if len(text) == 10 else text


def _fx_deal(deal_id: str, name: str, stage: str, amount: str, created: str, modified: str, *, channel: str,
             closed: str | None = None, loss: str | None = None, deleted: bool = False) -> dict[str, Any]:
    return {"deal_id": deal_id, "deal_name": name, "pipeline_id": "sp_default", "stage": stage, "amount": amount,
            "currency_code": "CNY", "probability": 50.0, "expected_close_on": "2026-03-31", "created_at": created,
            "modified_at": modified, "closed_at": closed, "owner_id": "FSUID_1", "company_id": "FC1",
            "contact_id": "FP1", "lead_id": None, "channel": channel, "loss_reason": loss, "is_deleted": deleted}


def _moves(deal_id: str, stages: list[str], times: list[str]) -> list[dict[str, Any]]:
    """A deal's stage-change records: the first has no from_stage."""
    return [{"change_id": f"{deal_id}-{n}", "deal_id": deal_id, "stage": stage,
             "from_stage": stages[n - 1] if n else None, "changed_at": at}
            for n, (stage, at) in enumerate(zip(stages, times))]


FXIAOKE = {
    "owners": [{"owner_id": "FSUID_1", "owner_name": "周文", "email": "zhou.wen@huaxin-crm.example",
                "team_name": "华东销售部", "is_active": True}],
    "companies": [{"company_id": "FC1", "company_name": "华信软件有限公司", "industry": "软件/互联网",
                   "employee_count": 200, "website": "www.huaxin.example", "created_at": "2026-01-05T02:00:00Z",
                   "modified_at": "2026-01-05T02:00:00Z", "is_deleted": False}],
    "people": [
        {"person_id": "FP1", "person_type": "contact", "person_name": "张伟", "email": SHARED_EMAIL,
         "phone": None, "company_id": "FC1", "company_name": None, "lead_status": None, "channel": None,
         "created_at": "2026-01-05T02:00:00Z", "modified_at": "2026-01-05T02:00:00Z", "converted_at": None,
         "is_deleted": False},
        {"person_id": "FL1", "person_type": "lead", "person_name": "李娜", "email": None, "phone": "13900139000",
         "company_id": None, "company_name": "远航物流", "lead_status": "已转换", "channel": "展会",
         "created_at": "2026-01-06T02:00:00Z", "modified_at": "2026-01-06T02:00:00Z",
         "converted_at": "2026-01-07T02:00:00Z", "is_deleted": False},
    ],
    "deals": [
        _fx_deal("FD1", "华信CRM项目", "赢单", "350000.00", "2026-01-06T02:00:00Z", "2026-03-02T08:00:00Z",
                 channel="客户介绍", closed="2026-03-02T08:00:00Z"),
        _fx_deal("FD2", "华信二期", "输单", "120000.00", "2026-01-10T02:00:00Z", "2026-02-20T08:00:00Z",
                 channel="展会", closed="2026-02-20T08:00:00Z", loss="价格原因"),
        _fx_deal("FD3", "重复商机", "无效", "80000.00", "2026-01-12T02:00:00Z", "2026-01-13T02:00:00Z",
                 channel="展会", deleted=True),
        # an amount no CNY field holds: quarantined (field amount), the other three load
        _fx_deal("FD4", "华信三期", "验证客户", "三十万", "2026-02-01T02:00:00Z", "2026-02-01T02:00:00Z",
                 channel="其他"),
    ],
    "deal_stage_changes": [
        # won: 验证客户, 需求确定, 方案/报价, back to 需求确定, 方案/报价, 谈判审核, 赢单: 7 records
        *_moves("FD1", ["验证客户", "需求确定", "方案/报价", "需求确定", "方案/报价", "谈判审核", "赢单"],
                ["2026-01-06T02:00:00Z", "2026-01-15T02:00:00Z", "2026-01-25T02:00:00Z", "2026-02-01T02:00:00Z",
                 "2026-02-10T02:00:00Z", "2026-02-20T02:00:00Z", "2026-03-02T08:00:00Z"]),
        # lost: 验证客户, 谈判审核 (需求确定 and 方案/报价 skipped), 输单: 3 records
        *_moves("FD2", ["验证客户", "谈判审核", "输单"],
                ["2026-01-10T02:00:00Z", "2026-02-01T02:00:00Z", "2026-02-20T08:00:00Z"]),
        *_moves("FD3", ["验证客户", "无效"], ["2026-01-12T02:00:00Z", "2026-01-13T02:00:00Z"]),
    ],
}
ACME = {  # no owners, no companies: those tables are absent from raw_acme
    "people": [{"person_id": "P-7", "person_type": "contact", "person_name": "Wei Zhang", "email": None,
                "phone": SHARED_PHONE, "company_id": None, "company_name": "Huaxin Software", "lead_status": None,
                "channel": "Website", "created_at": "2026-02-01T10:00:00Z", "modified_at": "2026-02-01T10:00:00Z",
                "converted_at": None, "is_deleted": False}],
    "deals": [{"deal_id": "D-100", "deal_name": "Huaxin EU rollout", "pipeline_id": None, "stage": "Demo",
               "amount": "20000", "currency_code": "eur", "probability": None, "expected_close_on": None,
               "created_at": "2026-02-02T10:00:00Z", "modified_at": "2026-02-20T10:00:00Z", "closed_at": None,
               "owner_id": "u-1", "company_id": None, "contact_id": "P-7", "lead_id": None, "channel": "Website",
               "loss_reason": None, "is_deleted": False}],
    "deal_stage_changes": _moves("D-100", ["New", "Demo"], ["2026-02-02T10:00:00Z", "2026-02-20T10:00:00Z"]),
}
# the acme CRM's stage labels, added by the test to its copy of seeds/funnel/funnel_stage_map.csv
ACME_STAGE_MAP = [("New", "lead"), ("Demo", "interest"), ("Proposal", "proposal"), ("Won", "won"), ("Lost", "lost")]


def _as_double(field: str, value: Any, vendor: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FieldError(field, value, f"{field} is not a number: {value!r}; correct the value in {vendor}")
    return float(value)


_CANONICAL_PARSERS = {**PARSERS, "double": _as_double}


def _canonical_reader(table: str, crm: str) -> Callable[[Any], dict[str, Any]]:
    columns = CANONICAL[table]
    return lambda record: {column: _CANONICAL_PARSERS[kind](column, record.get(column), crm)
                           for column, kind in columns.items()}


def _canonical_hints(table: str) -> dict[str, dict[str, Any]]:
    key = next(iter(CANONICAL[table]))
    return {column: {"data_type": kind, "nullable": column != key} for column, kind in CANONICAL[table].items()}


def _canonical_schema(table: str) -> pa.Schema:
    hints = _canonical_hints(table)
    return pa.schema([pa.field(name, pa.float64()) if hint["data_type"] == "double"
                      else arrow_schema({name: hint}).field(0) for name, hint in hints.items()])


# ---------------------------------------------------------------- sources
def _resource(table: str, key: str | list[str], records: list[Any], to_row: Callable[[Any], dict],
              schema: pa.Schema, tally: Any, id_field: str) -> Any:
    page, bad = shape_page(records, to_row, tally, schema, table, row_number=record_id_number(id_field))
    return dlt.resource([*bad, page], name=table, primary_key=key, write_disposition="merge")


@dlt.source(name="zoho", max_table_nesting=0)
def zoho_fixture_source(recon: Reconciliation) -> list[Any]:
    inputs = {  # table -> (records, row function)
        "users": (ZOHO_USERS, zoho_rows.READERS["users"]()),
        "leads": (ZOHO_LEADS, zoho_rows.READERS["leads"]()),
        "accounts": (ZOHO_ACCOUNTS, zoho_rows.READERS["accounts"]()),
        "contacts": (ZOHO_CONTACTS, zoho_rows.READERS["contacts"]()),
        "deals": (ZOHO_DEALS, zoho_rows.READERS["deals"]()),
        "deal_stage_history": ([{**item, "deal_id": deal} for deal, items in ZOHO_STAGE_HISTORY.items()
                                for item in items], zoho_rows.READERS["deal_stage_history"]()),
        "stages": ([row for pipeline in ZOHO_PIPELINES for row in zoho_rows.stage_rows(pipeline)], lambda row: row),
        "deleted_records": ([{**item, "module": module} for module, items in ZOHO_DELETED.items() for item in items],
                            zoho_rows.deleted_reader()),
    }
    resources = []
    for table, (records, to_row) in inputs.items():
        keys = list(zoho_rows.KEYS[table])
        declare_table(table, zoho_rows.COLUMNS[table], primary_key=keys)
        resources.append(_resource(table, keys, records, to_row, zoho_rows.SCHEMAS[table],
                                   recon.tally(f"zoho/{table}", "api"), "id"))
    return resources


def yaml_crm_fixture_source(crm: str, tables: dict[str, list[dict[str, Any]]]) -> Any:
    @dlt.source(name=crm, max_table_nesting=0)
    def source(recon: Reconciliation) -> list[Any]:
        resources = []
        for table, records in tables.items():
            key = next(iter(CANONICAL[table]))
            declare_table(table, _canonical_hints(table), primary_key=[key])
            resources.append(_resource(table, key, records, _canonical_reader(table, crm), _canonical_schema(table),
                                       recon.tally(f"{crm}/{table}", "api"), key))
        declare_table("crm_spec", {name: {"data_type": "text", "nullable": False}
                                   for name in ("crm_name", "spec_file", "spec_sha256")},
                      primary_key=None, write_disposition="replace")
        resources.append(dlt.resource([{"crm_name": crm, "spec_file": f"{crm}.yaml", "spec_sha256": "0" * 64}],
                                      name="crm_spec", write_disposition="replace"))
        return resources

    return source


def load_crm_raw_2(warehouse: Path | None, pipelines_dir: Path, kind: str = "duckdb") -> dict[str, LoadSummary]:
    """raw_zoho, raw_fxiaoke and raw_acme of the DuckDB file `warehouse` (kind postgres: the Postgres database of
    the settings), each through ingestion.pipeline.run_source: {source: its LoadSummary}."""
    summaries = {}
    for name, source, tables in (
        ("zoho", zoho_fixture_source, set(zoho_rows.SCHEMAS)),
        ("fxiaoke", yaml_crm_fixture_source("fxiaoke", FXIAOKE), set(FXIAOKE)),
        ("acme", yaml_crm_fixture_source("acme", ACME), set(ACME)),
    ):
        recon = Reconciliation(name)
        pipeline = make_pipeline(name, warehouse=warehouse, pipelines_dir=pipelines_dir, kind=kind)
        summaries[name] = run_source(name, source(recon), recon, tables, pipeline=pipeline)
    return summaries

