"""The raw tables each dataset holds, read from the dbt sources (the one list of raw tables and their meaning); a YAML
CRM's raw_<name>, which one generic dbt model set stages without a source file, from ingestion/rest_crm."""
from functools import lru_cache
from pathlib import Path

import yaml

from funnelhouse.transform import DBT_PROJECT_DIR

# what each table of a YAML CRM's raw_<name> holds (ingestion/rest_crm/columns.py declares their columns)
YAML_CRM_TABLES = {
    "deals": "One row per deal of the CRM, mapped onto the canonical deal columns (stage as the CRM labels it).",
    "deal_stage_changes": "One row per stage change of a deal (stage, from_stage, changed_at).",
    "owners": "The CRM's users who own records.",
    "companies": "One row per company (account).",
    "people": "One row per lead or contact (person_type), with email and phone as the CRM gives them.",
    "crm_spec": "One row: the CRM's name and the YAML file (name, sha256) it was loaded with; dbt finds the YAML "
                "CRMs by this table.",
    "quarantine": "Records of the CRM that could not be used, with the reason.",
    "reconciliation": "Per endpoint and run: records read = loaded + quarantined.",
}


@lru_cache(maxsize=1)
def raw_tables() -> dict[str, dict[str, str]]:
    """{schema: {table: description}} from dbt_project/models/staging/*/_*__sources.yml, then every YAML CRM's."""
    tables: dict[str, dict[str, str]] = {}
    for path in sorted(Path(DBT_PROJECT_DIR, "models", "staging").glob("*/_*__sources.yml")):
        for source in yaml.safe_load(path.read_text(encoding="utf-8")).get("sources", []):
            schema = source.get("schema", source["name"])
            for table in source.get("tables", []):
                tables.setdefault(schema, {})[table["name"]] = " ".join((table.get("description") or "").split())
    for schema, declared in yaml_crm_tables().items():
        tables.setdefault(schema, declared)
    return tables


def yaml_crm_tables() -> dict[str, dict[str, str]]:
    """raw_<name> of each YAML CRM of the registry: the canonical tables its file maps (in ingestion/rest_crm's
    order), crm_spec, quarantine and reconciliation. A file with an error has only the last three: ingesting it
    says the error in one line."""
    from ingestion.common.errors import FunnelhouseError
    from ingestion.common.quarantine import QUARANTINE_TABLE
    from ingestion.common.reconcile import RECONCILIATION_TABLE
    from ingestion.connectors import CONNECTORS

    found: dict[str, dict[str, str]] = {}
    for entry in [entry for entry in CONNECTORS if getattr(entry, "spec_file", "")]:
        from ingestion.rest_crm.columns import SPEC_TABLE, TABLES

        try:
            mapped = entry.entity_tables()
        except FunnelhouseError:
            mapped = set()
        names = [*(table for table in TABLES if table in mapped), SPEC_TABLE, QUARANTINE_TABLE, RECONCILIATION_TABLE]
        found[entry.dataset] = {table: YAML_CRM_TABLES[table] for table in names}
    return found
