"""Read a YAML settings file (mapping.yaml, forms.yaml) or stop with one line naming the file and the YAML line."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ingestion.common.errors import FunnelhouseError


def read_yaml(path: Path, error: type[FunnelhouseError], what: str) -> Any:
    """The parsed document; a missing file or invalid YAML raises `error` with a one-line message."""
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError:
        raise error(f"{path}: {what} not found") from None
    except yaml.YAMLError as problem:
        mark = getattr(problem, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise error(f"{path}{where}: not valid YAML ({getattr(problem, 'problem', problem)})") from None
