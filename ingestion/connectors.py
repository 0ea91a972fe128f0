"""The one list of sources: per source its dlt source function, raw dataset, kind (files / api) and the settings
ingest needs. Read by ingestion.run (ingest), orchestration.assets.ingestion (Dagster) and funnelhouse.cli, so
adding a CRM is one entry here."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any, Literal


@dataclass(frozen=True)
class Setting:
    """One value an API source needs, read by dlt from `[sources.<source>] <key>` in .dlt/config.toml (secrets
    in .dlt/secrets.toml), from `env` when the CLI sets it, or from `option` of IngestOptions when given."""

    key: str
    secret: bool = False
    env: str = ""  # e.g. FUNNELHOUSE_HUBSPOT_TOKEN, read by `funnelhouse ingest`
    option: str = ""  # an IngestOptions attribute that overrides it (hubspot_base_url)
    optional: bool = False  # the source runs without it (a default or another grant applies)

    def where(self, source: str) -> str:
        """Where the user sets it, as the skip line and the errors say it."""
        place = f"{self.key} under [sources.{source}] in .dlt/{'secrets' if self.secret else 'config'}.toml"
        return f"{place} or {self.env}" if self.env else place


@dataclass(frozen=True)
class Connector:
    """A source: `module` exposes `function` (the dlt source) and ENTITY_TABLES (the tables checked for rows)."""

    name: str
    kind: Literal["files", "api"]
    module: str
    function: str
    settings: tuple[Setting, ...] = ()
    # setting values that build the source without reading anything (Dagster's asset specs)
    describe_with: Mapping[str, str] = field(default_factory=dict)

    @property
    def dataset(self) -> str:
        return f"raw_{self.name}"

    def source_function(self) -> Any:
        return getattr(import_module(self.module), self.function)

    def entity_tables(self) -> set[str]:
        return set(import_module(self.module).ENTITY_TABLES)

    def given(self, options: Any) -> dict[str, str]:
        """The settings given for this run (IngestOptions.api_settings, then the `option` attributes); dlt reads
        the others from its config and secrets."""
        values = {key: value for key, value in (getattr(options, "api_settings", {}) or {}).get(self.name, {}).items()
                  if value}
        for setting in self.settings:
            value = getattr(options, setting.option, None) if setting.option else None
            if value:
                values[setting.key] = value
        return values

    def explain(self, exc: BaseException) -> str | None:
        """The source's one line for a setting dlt found missing while building it (its module's `explain`), or
        None when the missing setting is not this source's (dlt names the config spec after the source function:
        hubspot_source -> HubspotSourceConfiguration)."""
        from dlt.common.configuration.exceptions import ConfigFieldMissingException

        from ingestion.common.explain import exception_chain

        spec = "".join(part.capitalize() for part in self.function.split("_")) + "Configuration"
        for error in exception_chain(exc):
            if isinstance(error, ConfigFieldMissingException) and error.spec_name == spec:
                explain = getattr(import_module(self.module), "explain", None)
                return explain(exc) if explain else None
        return None

    def build(self, options: Any, reconciliation: Any) -> Any:
        """The dlt source for one run: a files source reads `<inputs>/<name>/`, an API source gets its settings."""
        make = self.source_function()
        if self.kind == "files":
            return make(drop_dir=str(Path(options.inputs_dir) / self.name), reconciliation=reconciliation)
        return make(reconciliation=reconciliation, **self.given(options))

    def describe(self, reconciliation: Any) -> Any:
        """The dlt source built only to describe its resources (nothing is read)."""
        make = self.source_function()
        if self.kind == "files":
            return make(drop_dir="", reconciliation=reconciliation)
        return make(reconciliation=reconciliation, **self.describe_with)


CONNECTORS: tuple[Connector, ...] = (
    Connector("forms", "files", "ingestion.forms", "forms_source"),
    Connector("spreadsheets", "files", "ingestion.spreadsheets", "spreadsheets_source"),
    Connector(
        "hubspot", "api", "ingestion.hubspot", "hubspot_source",
        settings=(Setting("base_url", env="FUNNELHOUSE_HUBSPOT_BASE_URL", option="hubspot_base_url"),
                  Setting("api_token", secret=True, env="FUNNELHOUSE_HUBSPOT_TOKEN", option="hubspot_token")),
        describe_with={"base_url": "http://127.0.0.1", "api_token": "unused"},
    ),
    Connector(
        "salesforce", "api", "ingestion.salesforce", "salesforce_source",
        settings=(Setting("login_url", env="FUNNELHOUSE_SALESFORCE_LOGIN_URL"),
                  Setting("client_id", secret=True, env="FUNNELHOUSE_SALESFORCE_CLIENT_ID"),
                  Setting("client_secret", secret=True, env="FUNNELHOUSE_SALESFORCE_CLIENT_SECRET"),
                  Setting("refresh_token", secret=True, env="FUNNELHOUSE_SALESFORCE_REFRESH_TOKEN", optional=True),
                  Setting("instance_url", env="FUNNELHOUSE_SALESFORCE_INSTANCE_URL", optional=True)),
        describe_with={"login_url": "http://127.0.0.1", "client_id": "unused", "client_secret": "unused",
                       "instance_url": "http://127.0.0.1"},
    ),
    Connector(
        "pipedrive", "api", "ingestion.pipedrive", "pipedrive_source",
        settings=(Setting("base_url", env="FUNNELHOUSE_PIPEDRIVE_BASE_URL"),
                  Setting("api_token", secret=True, env="FUNNELHOUSE_PIPEDRIVE_TOKEN")),
        describe_with={"base_url": "http://127.0.0.1", "api_token": "unused"},
    ),
    Connector(
        "zoho", "api", "ingestion.zoho", "zoho_source",
        settings=(Setting("accounts_url", env="FUNNELHOUSE_ZOHO_ACCOUNTS_URL"),
                  Setting("api_domain", env="FUNNELHOUSE_ZOHO_API_DOMAIN", optional=True),
                  Setting("client_id", secret=True, env="FUNNELHOUSE_ZOHO_CLIENT_ID"),
                  Setting("client_secret", secret=True, env="FUNNELHOUSE_ZOHO_CLIENT_SECRET"),
                  Setting("refresh_token", secret=True, env="FUNNELHOUSE_ZOHO_REFRESH_TOKEN")),
        describe_with={"accounts_url": "http://127.0.0.1", "api_domain": "http://127.0.0.1", "client_id": "unused",
                       "client_secret": "unused", "refresh_token": "unused"},
    ),
)
SOURCES: tuple[str, ...] = tuple(c.name for c in CONNECTORS)
BY_NAME: dict[str, Connector] = {c.name: c for c in CONNECTORS}


def explain_missing_setting(exc: BaseException) -> str | None:
    """The one line of the API source whose setting dlt found missing (e.g. "HubSpot API token is not
    configured: set ..."), or None."""
    for entry in CONNECTORS:
        if entry.kind == "api":
            message = entry.explain(exc)
            if message:
                return message
    return None


def settings_from_env(environ: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """{source: {key: value}} of the API settings set in FUNNELHOUSE_* env vars (Setting.env)."""
    found: dict[str, dict[str, str]] = {}
    for entry in CONNECTORS:
        for setting in entry.settings:
            if setting.env and environ.get(setting.env):
                found.setdefault(entry.name, {})[setting.key] = environ[setting.env]
    return found


def connector(name: str) -> Connector:
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown source {name!r}: one of {', '.join(SOURCES)}") from None
