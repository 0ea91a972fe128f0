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
    kind = kind or warehouse_kind()
    if kind == "postgres":
        server = postgres_settings()
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"postgres_{server.host}_{server.port}_{server.database}")
        return data_dir() / "dlt_pipelines" / name
    if kind == "spark":
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"spark_{spark_settings().warehouse_url}").strip("_")
        return data_dir() / "dlt_pipelines" / name[-120:]
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
WAREHOUSE_KINDS = ("duckdb", "postgres", "spark")
POSTGRES_DSN_ENV = "FUNNELHOUSE_POSTGRES_DSN"


def warehouse_kind() -> str:
    """Which warehouse: env FUNNELHOUSE_WAREHOUSE_KIND = duckdb (default, the file warehouse_path()), postgres
    (the server of postgres_settings()) or spark (the folder or bucket of spark_settings())."""
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


# Spark: dlt writes each raw dataset as Parquet under <warehouse>/raw, dbt-spark keeps its tables under
# <warehouse>/tables; the local metastore (Derby: one JVM at a time) lives in the data folder.
SPARK_WAREHOUSE_ENV = "FUNNELHOUSE_SPARK_WAREHOUSE"
SPARK_SMALL_QUERIES_ENV = "FUNNELHOUSE_SPARK_SMALL_QUERIES"
SPARK_METHODS = ("session", "thrift")
SPARK_FILE_FORMATS = ("parquet", "delta")


@dataclass(frozen=True)
class SparkSettings:
    """Where the Spark warehouse is and how dbt reaches Spark. No secret is held here (a Thrift server's password,
    or a bucket's keys, come from the environment of Spark / dlt)."""

    warehouse_url: str  # a local folder or s3://, abfss://, gs:// URL
    method: str = "session"  # dbt-spark's method: session (in-process, local[*]) or thrift (a Spark Thrift Server)
    master: str = "local[*]"
    host: str = "localhost"
    port: int = 10000
    file_format: str = "parquet"  # delta: where the cluster has Delta (Databricks); not exercised by the tests
    metastore_dir: str = ""  # Derby's home for the local metastore (session method)
    small_queries: bool = True  # a local session tuned for a dbt build's many short queries (spark_session.py)

    @property
    def is_local(self) -> bool:
        return "://" not in self.warehouse_url or self.warehouse_url.startswith("file://")

    def _url(self, name: str) -> str:
        base = self.warehouse_url.rstrip("/")
        return f"{base}/{name}" if "://" in base else str(Path(base) / name)

    @property
    def raw_url(self) -> str:
        """dlt's filesystem bucket: one folder per raw dataset (raw_<source>) below it."""
        return self._url("raw")

    @property
    def tables_url(self) -> str:
        """spark.sql.warehouse.dir: dbt's schemas and tables (Parquet) below it."""
        return self._url("tables")


def spark_settings() -> SparkSettings:
    """The Spark warehouse: env FUNNELHOUSE_SPARK_WAREHOUSE (a folder, or s3:// abfss:// gs://; default
    <data>/spark), FUNNELHOUSE_SPARK_METHOD (session | thrift), FUNNELHOUSE_SPARK_MASTER (default local[*]),
    FUNNELHOUSE_SPARK_HOST / FUNNELHOUSE_SPARK_PORT (thrift, default localhost:10000), FUNNELHOUSE_SPARK_FILE_FORMAT
    (parquet | delta), FUNNELHOUSE_SPARK_METASTORE (Derby's folder, default <data>/spark_metastore),
    FUNNELHOUSE_SPARK_SMALL_QUERIES (1, the default: a local session tuned for many short queries; 0: Spark's own
    defaults, for big data on one machine)."""
    env = os.environ
    url = env.get(SPARK_WAREHOUSE_ENV, "").strip() or str(data_dir() / "spark")
    if "://" not in url:
        url = str(Path(url).expanduser().resolve())
    method = env.get("FUNNELHOUSE_SPARK_METHOD", "").strip().lower() or "session"
    if method not in SPARK_METHODS:
        raise ValueError(f"FUNNELHOUSE_SPARK_METHOD must be one of {', '.join(SPARK_METHODS)}, got {method!r}")
    file_format = env.get("FUNNELHOUSE_SPARK_FILE_FORMAT", "").strip().lower() or "parquet"
    if file_format not in SPARK_FILE_FORMATS:
        raise ValueError(f"FUNNELHOUSE_SPARK_FILE_FORMAT must be one of {', '.join(SPARK_FILE_FORMATS)}, "
                         f"got {file_format!r}")
    metastore = env.get("FUNNELHOUSE_SPARK_METASTORE", "").strip() or str(data_dir() / "spark_metastore")
    small = env.get(SPARK_SMALL_QUERIES_ENV, "").strip() or "1"
    if small not in ("0", "1"):
        raise ValueError(f"{SPARK_SMALL_QUERIES_ENV} must be 1 or 0, got {small!r}")
    return SparkSettings(
        warehouse_url=url, method=method, master=env.get("FUNNELHOUSE_SPARK_MASTER", "").strip() or "local[*]",
        host=env.get("FUNNELHOUSE_SPARK_HOST", "").strip() or "localhost",
        port=_port(env.get("FUNNELHOUSE_SPARK_PORT", "").strip() or "10000", "FUNNELHOUSE_SPARK_PORT"),
        file_format=file_format, metastore_dir=str(Path(metastore).expanduser().resolve()),
        small_queries=small == "1",
    )


def restore_env(previous: dict[str, str | None]) -> None:
    """Put back environment variables as they were (None: it was not set), after a block that set them."""
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


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
