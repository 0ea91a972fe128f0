"""The canonical raw tables of every YAML CRM (`raw_<name>`, see the issue-17 contract): each table's columns and
types, declared once; the dlt hints and Arrow schemas come from here, and crmdbt's generic staging reads them."""
from __future__ import annotations

from typing import Any

from ingestion.common.api_values import column_hints
from ingestion.common.arrow_pages import arrow_schema

# {table: {column: type}} in column order; the first column is the primary key
CANONICAL: dict[str, dict[str, str]] = {
    "deals": {
        "deal_id": "text", "deal_name": "text", "pipeline_id": "text", "stage": "text", "amount": "decimal",
        "currency_code": "text", "probability": "double", "expected_close_on": "date", "created_at": "timestamp",
        "modified_at": "timestamp", "closed_at": "timestamp", "owner_id": "text", "company_id": "text",
        "contact_id": "text", "lead_id": "text", "channel": "text", "loss_reason": "text", "is_deleted": "bool",
    },
    "deal_stage_changes": {
        "change_id": "text", "deal_id": "text", "stage": "text", "from_stage": "text", "changed_at": "timestamp",
    },
    "owners": {"owner_id": "text", "owner_name": "text", "email": "text", "team_name": "text", "is_active": "bool"},
    "companies": {
        "company_id": "text", "company_name": "text", "industry": "text", "employee_count": "bigint",
        "website": "text", "created_at": "timestamp", "modified_at": "timestamp", "is_deleted": "bool",
    },
    "people": {
        "person_id": "text", "person_type": "text", "person_name": "text", "email": "text", "phone": "text",
        "company_id": "text", "company_name": "text", "lead_status": "text", "channel": "text",
        "created_at": "timestamp", "modified_at": "timestamp", "converted_at": "timestamp", "is_deleted": "bool",
    },
}
SPEC_TABLE = "crm_spec"  # one row, replaced each run: dbt finds the YAML CRMs by this table
SPEC_COLUMNS: dict[str, str] = {"crm_name": "text", "spec_file": "text", "spec_sha256": "text"}
TABLES = tuple(CANONICAL)


def key_of(table: str) -> str:
    """The primary key column of a canonical table (its first column)."""
    return next(iter(CANONICAL[table]))


def hints(table: str) -> dict[str, dict[str, Any]]:
    """dlt column hints of a canonical table: the key not null, the others nullable."""
    columns = CANONICAL[table]
    return column_hints({column: (column, kind) for column, kind in columns.items()}, key=key_of(table))


def schema(table: str) -> Any:
    """The Arrow schema of a canonical table (column order as declared)."""
    return arrow_schema(hints(table))


SCHEMAS = {table: schema(table) for table in TABLES}
SPEC_SCHEMA = arrow_schema({name: {"data_type": kind, "nullable": False} for name, kind in SPEC_COLUMNS.items()})
