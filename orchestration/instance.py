"""The project's Dagster instance: dagster.yaml of the project root, its data/ paths resolved under the data folder."""
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

from funnelhouse import settings

DATA_PREFIX = "data/"


def _rebase(node: Any) -> Any:
    """Every `base_dir: data/...` of the config, moved under settings.data_dir() as an absolute path."""
    if isinstance(node, dict):
        return {
            key: str(settings.data_dir() / value[len(DATA_PREFIX):])
            if key == "base_dir" and isinstance(value, str) and value.startswith(DATA_PREFIX) else _rebase(value)
            for key, value in node.items()
        }
    return node


def instance_home() -> Path:
    """<data>/dagster with a dagster.yaml whose storage paths are absolute: the DAGSTER_HOME of the demo and UI."""
    config = _rebase(yaml.safe_load((settings.PROJECT_ROOT / "dagster.yaml").read_text(encoding="utf-8")))
    home = settings.data_dir() / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    text = "# Written from the project's dagster.yaml with paths under this data folder; edit that one.\n"
    text += yaml.safe_dump(config, sort_keys=False)
    target = home / "dagster.yaml"
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    return home


def project_instance() -> dg.DagsterInstance:
    """The persistent instance the UI shows (runs of the demo included)."""
    return dg.DagsterInstance.from_config(str(instance_home()))
