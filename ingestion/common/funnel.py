"""Read the funnel definition (dbt seeds under dbt_project/seeds/funnel/) so ingestion can reject unknown stages."""
from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from funnelhouse.settings import PROJECT_ROOT

FUNNEL_SEEDS = PROJECT_ROOT / "dbt_project" / "seeds" / "funnel"


@lru_cache(maxsize=None)
def stage_map(seeds_dir: Path = FUNNEL_SEEDS) -> dict[str, dict[str, str]]:
    """{source: {source_stage_value: stage_code}} from funnel_stage_map.csv."""
    mapping: dict[str, dict[str, str]] = {}
    with (seeds_dir / "funnel_stage_map.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            mapping.setdefault(row["source"], {})[row["source_stage"].strip()] = row["stage_code"]
    return mapping


def known_stages(source: str) -> dict[str, str]:
    """Stage values the funnel knows for `source` (empty when the source is not mapped)."""
    return stage_map().get(source, {})
