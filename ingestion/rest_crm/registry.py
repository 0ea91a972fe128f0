"""The YAML CRMs as connector entries: every `crms/*.yaml` beside this module and in the folders named by
FUNNELHOUSE_REST_CRM_DIR (several joined with the path separator) becomes a connector `<name>` loading
`raw_<name>`. A file with an error still gets its entry: building it raises the file's one-line error."""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any

from ingestion.common.errors import FunnelhouseError
from ingestion.rest_crm.spec import NAME, load_spec

CRMS_DIR = Path(__file__).with_name("crms")
DIR_ENV = "FUNNELHOUSE_REST_CRM_DIR"


@cache
def connector_class() -> Any:
    """YamlConnector, made on first use: ingestion.connectors calls this module while it is being imported, so
    this module imports it only once its Connector class exists (importing either module first works)."""
    from ingestion.connectors import Connector

    @dataclass(frozen=True)
    class YamlConnector(Connector):
        """A connector whose source is the YAML CRM in `spec_file`."""

        spec_file: str = ""
        error: str = ""  # the file's one-line error, raised when the source is built

        def source_function(self) -> Any:
            if self.error:
                raise FunnelhouseError(self.error)
            from ingestion.rest_crm.source import rest_crm_source

            return partial(rest_crm_source, self.spec_file)

        def entity_tables(self) -> set[str]:
            from ingestion.rest_crm.source import entity_tables

            return entity_tables(self.spec_file)

        def explain(self, exc: BaseException) -> str | None:
            return None  # its settings are read by the source itself, which says what is missing in one line

    return YamlConnector


def spec_files(environ: Mapping[str, str] | None = None) -> list[Path]:
    """The YAML CRM files: crms/*.yaml here, then those of the folders in FUNNELHOUSE_REST_CRM_DIR."""
    environ = os.environ if environ is None else environ
    folders = [CRMS_DIR, *(Path(part) for part in environ.get(DIR_ENV, "").split(os.pathsep) if part)]
    return [path for folder in folders if folder.is_dir() for path in sorted(folder.glob("*.yaml"))]


def yaml_connector(path: Path) -> Any:
    """The connector of one YAML CRM file (its settings from the file; an invalid file keeps its error)."""
    from ingestion.connectors import Setting

    YamlConnector = connector_class()  # noqa: N806 - a class
    try:
        spec = load_spec(path)
    except FunnelhouseError as problem:
        name = re.sub(r"[^a-z0-9_]", "_", path.stem.lower())  # its entry is named even when the name is wrong
        return YamlConnector(name if NAME.fullmatch(name) else f"crm_{name}", "api", "ingestion.rest_crm",
                             "rest_crm_source", spec_file=str(path), error=str(problem))
    name = spec.name or path.stem
    env = f"FUNNELHOUSE_{name.upper()}_"
    settings = (Setting("base_url", env=env + "BASE_URL", optional=True),
                *(Setting(key, secret=setting.secret, env=env + key.upper(), optional=setting.default is not None)
                  for key, setting in spec.settings.items()))
    return YamlConnector(name, "api", "ingestion.rest_crm", "rest_crm_source", settings=settings,
                         describe_with={"base_url": "http://127.0.0.1", **{key: "unused" for key in spec.settings}},
                         spec_file=str(path))


def yaml_connectors(taken: set[str], environ: Mapping[str, str] | None = None) -> tuple[Any, ...]:
    """The YAML CRMs' connectors, the first file of a name winning; a name of a Python source is not taken."""
    found: dict[str, Any] = {}
    for path in spec_files(environ):
        entry = yaml_connector(path)
        if entry.name not in taken and entry.name not in found:
            found[entry.name] = entry
    return tuple(found.values())
