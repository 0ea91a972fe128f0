"""The raw tables each dataset holds, read from the dbt sources (the one list of raw tables and their meaning)."""
from functools import lru_cache
from pathlib import Path

import yaml

from funnelhouse.transform import DBT_PROJECT_DIR


@lru_cache(maxsize=1)
def raw_tables() -> dict[str, dict[str, str]]:
    """{schema: {table: description}} from dbt_project/models/staging/*/_*__sources.yml."""
    tables: dict[str, dict[str, str]] = {}
    for path in sorted(Path(DBT_PROJECT_DIR, "models", "staging").glob("*/_*__sources.yml")):
        for source in yaml.safe_load(path.read_text(encoding="utf-8")).get("sources", []):
            schema = source.get("schema", source["name"])
            for table in source.get("tables", []):
                tables.setdefault(schema, {})[table["name"]] = " ".join((table.get("description") or "").split())
    return tables
