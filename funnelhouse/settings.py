"""Where things live: project root, data folder, warehouse file and drop folders, overridable by env vars."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# dlt reads .dlt/config.toml and .dlt/secrets.toml from here, whatever the current directory is.
os.environ.setdefault("DLT_PROJECT_DIR", str(PROJECT_ROOT))


def data_dir() -> Path:
    """The project's data folder (git-ignored): env FUNNELHOUSE_DATA_DIR, default ./data."""
    return Path(os.environ.get("FUNNELHOUSE_DATA_DIR", PROJECT_ROOT / "data"))


def warehouse_path() -> Path:
    """The DuckDB warehouse file: env FUNNELHOUSE_WAREHOUSE, default data/funnelhouse.duckdb."""
    return Path(os.environ.get("FUNNELHOUSE_WAREHOUSE", data_dir() / "funnelhouse.duckdb"))


def inputs_dir() -> Path:
    """Root of the drop folders (forms/, spreadsheets/, crm/): env FUNNELHOUSE_INPUTS, default data/inputs."""
    return Path(os.environ.get("FUNNELHOUSE_INPUTS", data_dir() / "inputs"))


def pipelines_dir(warehouse: Path | None = None, kind: str | None = None) -> Path:
    """dlt's working folders (state, load packages), one set per warehouse file (or Postgres database): a pipeline's
    cursors and file fingerprints belong to the warehouse they were loaded into. Env FUNNELHOUSE_PIPELINES_DIR
    overrides. `kind` defaults to warehouse_kind(); on postgres `warehouse` is not used."""
    if "FUNNELHOUSE_PIPELINES_DIR" in os.environ:
        return Path(os.environ["FUNNELHOUSE_PIPELINES_DIR"])
    if (kind or warehouse_kind()) == "postgres":
        server = postgres_settings()
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"postgres_{server.host}_{server.port}_{server.database}")
        return data_dir() / "dlt_pipelines" / name
    warehouse = Path(warehouse or warehouse_path())
    return warehouse.parent / "dlt_pipelines" / warehouse.stem


# DuckDB holds up to 80 % of the machine's memory by default; funnelhouse caps each step that opens the warehouse
# (dlt's load, dbt through profiles.yml, the checks) so that a refresh of a million deals fits in about 2 GB: past
# the cap DuckDB spills joins, sorts and aggregates to disk.
DUCKDB_MEMORY_LIMIT_ENV = "FUNNELHOUSE_DUCKDB_MEMORY_LIMIT"
DUCKDB_MEMORY_LIMIT_DEFAULT = "1GB"  # the same default is written in dbt_project/profiles.yml


def duckdb_config() -> dict[str, str]:
    """Settings for every DuckDB connection to the warehouse: memory_limit from env FUNNELHOUSE_DUCKDB_MEMORY_LIMIT
    (a DuckDB size such as 1GB or 512MB; default 1GB)."""
    return {"memory_limit": os.environ.get(DUCKDB_MEMORY_LIMIT_ENV, "").strip() or DUCKDB_MEMORY_LIMIT_DEFAULT}


# The one setting that chooses the warehouse: dlt loads into it and dbt builds on it (profiles.yml's target).
WAREHOUSE_KIND_ENV = "FUNNELHOUSE_WAREHOUSE_KIND"
WAREHOUSE_KINDS = ("duckdb", "postgres")
POSTGRES_DSN_ENV = "FUNNELHOUSE_POSTGRES_DSN"


def warehouse_kind() -> str:
    """Which warehouse: env FUNNELHOUSE_WAREHOUSE_KIND = duckdb (default, the file warehouse_path()) or postgres
    (the server of postgres_settings())."""
    kind = os.environ.get(WAREHOUSE_KIND_ENV, "").strip().lower() or "duckdb"
    if kind not in WAREHOUSE_KINDS:
        raise ValueError(f"{WAREHOUSE_KIND_ENV} must be one of {', '.join(WAREHOUSE_KINDS)}, got {kind!r}")
    return kind


@dataclass(frozen=True)
class PostgresSettings:
    """Where the Postgres warehouse is. The password never shows in repr() or redacted_dsn()."""

    host: str = "localhost"
    port: int = 5432
    user: str = "funnelhouse"
    password: str = field(default="", repr=False)
    database: str = "funnelhouse"

    @property
    def dsn(self) -> str:
        """postgresql://user:password@host:port/database, password and user percent-encoded (contains the secret)."""
        auth = quote(self.user, safe="") + (f":{quote(self.password, safe='')}" if self.password else "")
        return f"postgresql://{auth}@{self.host}:{self.port}/{quote(self.database, safe='')}"

    def redacted_dsn(self) -> str:
        auth = quote(self.user, safe="") + (":***" if self.password else "")
        return f"postgresql://{auth}@{self.host}:{self.port}/{quote(self.database, safe='')}"

    def libpq_env(self) -> dict[str, str]:
        """The PG* variables libpq and dbt_project/profiles.yml read."""
        return {"PGHOST": self.host, "PGPORT": str(self.port), "PGUSER": self.user, "PGPASSWORD": self.password,
                "PGDATABASE": self.database}


def postgres_settings() -> PostgresSettings:
    """The Postgres warehouse: env FUNNELHOUSE_POSTGRES_DSN (postgresql://user:password@host:port/database) or else the
    usual PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE (defaults localhost, 5432, funnelhouse, -, funnelhouse)."""
    env = os.environ
    dsn = env.get(POSTGRES_DSN_ENV, "").strip()
    if not dsn:
        return PostgresSettings(
            host=env.get("PGHOST") or "localhost", port=_port(env.get("PGPORT") or "5432", "PGPORT"),
            user=env.get("PGUSER") or "funnelhouse", password=env.get("PGPASSWORD", ""),
            database=env.get("PGDATABASE") or "funnelhouse",
        )
    parts = urlsplit(dsn)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError(f"{POSTGRES_DSN_ENV} must look like postgresql://user:password@host:port/database")
    try:
        port = parts.port or 5432
    except ValueError:
        raise ValueError(f"{POSTGRES_DSN_ENV}: the port is not a number") from None
    return PostgresSettings(
        host=unquote(parts.hostname or "localhost"), port=port, user=unquote(parts.username or "funnelhouse"),
        password=unquote(parts.password or ""), database=unquote(parts.path.lstrip("/")) or "funnelhouse",
    )


def _port(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a port number, got {value!r}") from None


# The salt of the contact hashes (email_hash, phone_hash: dbt_project/macros/pii.sql). A secret: without it anyone
# holding a mart could hash a list of known emails and find them. Generated on first use into .dlt/secrets.toml
# (git-ignored, with the other secrets), never printed; env FUNNELHOUSE_PII_SALT overrides it.
PII_SALT_ENV = "FUNNELHOUSE_PII_SALT"
PII_SALT_SECTION, PII_SALT_KEY = "funnelhouse", "pii_salt"


def secrets_file() -> Path:
    """The project's secrets: .dlt/secrets.toml of DLT_PROJECT_DIR (the project root unless set)."""
    return Path(os.environ.get("DLT_PROJECT_DIR") or PROJECT_ROOT) / ".dlt" / "secrets.toml"


class SecretError(ValueError):
    """A secret that can be neither read nor generated; the message says what to do (no secret in it)."""


def _secrets_document(path: Path, text: str):
    import tomlkit

    try:
        return tomlkit.parse(text)
    except ValueError as error:  # tomlkit's parse errors (their text may quote the file: not shown)
        where = f" at line {error.line} column {error.col}" if hasattr(error, "line") else ""
        raise SecretError(f"{path}: not valid TOML{where}, so the PII salt cannot be read; fix the file or set "
                          f"{PII_SALT_ENV}") from None


def _stored_salt(document) -> str:
    section = document.get(PII_SALT_SECTION)
    return str(section.get(PII_SALT_KEY, "")).strip() if hasattr(section, "get") else ""


def pii_salt() -> str:
    """The salt of the contact hashes: env FUNNELHOUSE_PII_SALT, else pii_salt under [funnelhouse] of
    .dlt/secrets.toml, else 32 random bytes (hex) generated now and stored there (file mode 600). Processes that
    start at once agree on one salt: the file is locked while it is generated."""
    import secrets

    import tomlkit

    given = os.environ.get(PII_SALT_ENV, "").strip()
    if given:
        return given
    path = secrets_file()
    try:
        stored = _stored_salt(_secrets_document(path, path.read_text(encoding="utf-8"))) if path.exists() else ""
    except OSError as error:
        raise SecretError(f"{path}: cannot read it for the PII salt ({error.strerror}); fix the file or set "
                          f"{PII_SALT_ENV}") from None
    if stored:
        return stored
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise SecretError(f"{path}: cannot store the generated PII salt ({error.strerror}); make the file "
                          f"writable or set {PII_SALT_ENV}") from None
    with os.fdopen(descriptor, "r+", encoding="utf-8") as handle:
        try:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        except ImportError:  # Windows: no lock
            pass
        document = _secrets_document(path, handle.read())
        stored = _stored_salt(document)
        if stored:  # another process generated it meanwhile
            return stored
        salt = secrets.token_hex(32)
        section = document.get(PII_SALT_SECTION)
        if section is None:
            if document.body:
                document.add(tomlkit.nl())
            document.add(tomlkit.comment("generated by funnelhouse: keep it secret, and keep it (a new salt "
                                         "changes every contact hash)"))
            section = tomlkit.table()
            document.add(PII_SALT_SECTION, section)
        section[PII_SALT_KEY] = salt
        handle.seek(0)
        handle.truncate()
        handle.write(tomlkit.dumps(document))
        if hasattr(os, "fchmod"):
            os.fchmod(handle.fileno(), 0o600)  # an existing secrets file too: only its owner reads it
    return salt
