"""Declare a source's table columns in its dlt schema, so quarantine variants do not inherit resource column hints."""
from __future__ import annotations

from typing import Any

import dlt
from dlt.common.schema.utils import new_table


def declare_table(
    name: str,
    columns: dict[str, dict[str, Any]],
    primary_key: list[str] | None = None,
    write_disposition: str = "merge",
) -> None:
    """Call inside a @dlt.source function: fixes column types/nullability of table `name` in the source schema.

    Column hints given on a resource are inherited by every table variant it yields (the `quarantine` rows too),
    so data tables declare their columns here instead.
    """
    keys = set(primary_key or [])
    specs = [{"name": column, **hint, **({"primary_key": True} if column in keys else {})} for column, hint in columns.items()]
    dlt.current.source_schema().update_table(new_table(name, write_disposition=write_disposition, columns=specs))
