"""A throwaway PostgreSQL server from Debian's packages (apt-get install postgresql): initdb in a temporary folder,
start on a free port of 127.0.0.1, one database and one owner role with a password, stopped and removed at the end.

initdb and postgres refuse to run as root: as root the server runs as the `postgres` OS user (which Debian's package
creates) in folders that user owns; as any other user it runs as that user.
"""
from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REQUIRE_ENV = "FUNNELHOUSE_REQUIRE_POSTGRES"  # tests: "1" fails instead of skipping when the binaries are missing
OS_USER = "postgres"


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries (initdb, pg_ctl, postgres) are not installed."""


def find_bindir() -> Path | None:
    """The folder of initdb/pg_ctl/postgres: env PG_BINDIR, Debian's newest /usr/lib/postgresql/<n>/bin, or PATH."""
    candidates = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]))
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted((Path(p) for p in versions), key=lambda p: _version_key(p.parent.name), reverse=True)
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).resolve().parent)
    for folder in candidates:
        if all((folder / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


START_ATTEMPTS = 5  # a free port may be taken by another process before the server binds it: try another


def free_port() -> int:
    """A port of 127.0.0.1 free a moment ago (the server binds it later: see START_ATTEMPTS)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _port_taken(error: RuntimeError) -> bool:
    return "Address already in use" in str(error) or "could not create any TCP/IP sockets" in str(error)


@dataclass
class PostgresServer:
    """A running throwaway server: connect with `dsn` (the owner, a superuser) or `connect(user, password)`."""

    port: int
    database: str
    user: str
    password: str = field(repr=False)
    host: str = "127.0.0.1"
    root: Path | None = None

    @property
    def dsn(self) -> str:
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{self.database}"

    def dsn_for(self, user: str, password: str) -> str:
        return f"postgresql://{user}:{password}@{self.host}:{self.port}/{self.database}"

    def connect(self, user: str | None = None, password: str | None = None, **kwargs):
        import psycopg2

        return psycopg2.connect(
            host=self.host, port=self.port, dbname=self.database,
            user=user or self.user, password=self.password if password is None else password, **kwargs,
        )

    def execute(self, sql: str, params: tuple | list | None = None) -> list[tuple]:
        """Run one statement as the owner (autocommit) and return its rows (none for statements without)."""
        connection = self.connect()
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", OS_USER, "--", *command]
    return command


def _run(command: list[str], log: Path | None = None) -> None:
    result = subprocess.run(_as_server_user(command), capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:] if log is not None and log.exists() else ""
        raise RuntimeError(
            f"{' '.join(command[:2])} failed ({result.returncode}):\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
            + (f"\nserver log:\n{tail}" if tail else "")
        )


@contextmanager
def throwaway_postgres(database: str = "funnelhouse", user: str = "funnelhouse_owner") -> Iterator[PostgresServer]:
    """Start a fresh server (fsync off: it is thrown away) and yield it; stop it and delete its files at the end.

    Raises PostgresUnavailable when the binaries are missing. The cluster has locale C and encoding UTF8: text sorts
    by code point, as DuckDB sorts it.
    """
    bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable("the PostgreSQL server is not installed: apt-get install postgresql (or set "
                                  "FUNNELHOUSE_POSTGRES_DSN to a server of yours)")
    as_root = os.geteuid() == 0
    if as_root:
        import pwd

        try:
            owner = pwd.getpwnam(OS_USER)
        except KeyError:
            raise PostgresUnavailable(f"running as root needs the OS user {OS_USER!r} (Debian's package creates it)")
    # directly under the temp dir: pytest's own folders are private to the current user
    root = Path(tempfile.mkdtemp(prefix="funnelhouse-pg-"))
    data, sockets, log = root / "data", root / "socket", root / "server.log"
    password = secrets.token_urlsafe(16)
    pwfile = root / "pwfile"
    pwfile.write_text(password + "\n")
    sockets.mkdir()
    if as_root:
        for path in (root, sockets, pwfile):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    started = False
    try:
        _run([
            str(bindir / "initdb"), "-D", str(data), "-U", user, f"--pwfile={pwfile}", "--auth=scram-sha-256",
            "--encoding=UTF8", "--no-locale", "--no-sync",
        ])
        pwfile.unlink()
        for attempt in range(1, START_ATTEMPTS + 1):
            port = free_port()
            options = " ".join([
                f"-p {port}", f"-k {sockets}", "-c listen_addresses=127.0.0.1", "-c fsync=off",
                "-c synchronous_commit=off", "-c full_page_writes=off", "-c timezone=UTC", "-c max_connections=40",
            ])
            log.unlink(missing_ok=True)  # this attempt's log only
            try:
                _run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60",
                      "start"], log)
                break
            except RuntimeError as error:
                if attempt == START_ATTEMPTS or not _port_taken(error):
                    raise
        started = True
        server = PostgresServer(port=port, database="postgres", user=user, password=password, root=root)
        server.execute(f'create database "{database}"')
        server.database = database
        yield server
    finally:
        if started:
            try:
                _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(root, ignore_errors=True)
