"""The root cause of a failure in one line: walks an exception chain (or Dagster's serialized copy of one), names
the process holding a locked warehouse, and never ends in a wrapper's "with exception:" with nothing after it."""
from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ingestion.common.errors import FunnelhouseError

LOCK_WAIT_ENV = "FUNNELHOUSE_WAREHOUSE_LOCK_WAIT"
SERVING_FILE_ENV = "FUNNELHOUSE_SERVING_FILE"
_LOCK = re.compile(r'Could not set lock on file "(?P<file>[^"]+)": Conflicting lock is held in (?P<program>.+?) '
                   r"\(PID (?P<pid>\d+)\)")


@dataclass(frozen=True)
class Link:
    """One exception of a chain: its class name (and its bases', when known) and its message."""

    names: tuple[str, ...]
    message: str


def exception_chain(exc: BaseException) -> list[BaseException]:
    """exc and what it wraps (dlt's `.exception`, then `__cause__`, then `__context__`), breadth first."""
    seen: set[int] = set()
    queue: list[BaseException | None] = [exc]
    found: list[BaseException] = []
    while queue:
        current = queue.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        wrapped = getattr(current, "exception", None)
        context = None if current.__suppress_context__ else current.__context__
        queue.extend([wrapped if isinstance(wrapped, BaseException) else None, current.__cause__, context])
    return found


def links_of(exc: BaseException) -> list[Link]:
    return [Link(tuple(cls.__name__ for cls in type(e).__mro__), str(e)) for e in exception_chain(exc)]


def links_of_error_info(info: object) -> list[Link]:
    """The chain of a Dagster SerializableErrorInfo (cls_name, message, cause, context), outermost first."""
    known = _funnelhouse_error_names()
    found, queue = [], [info]
    while queue:
        current = queue.pop(0)
        if current is None:
            continue
        name = getattr(current, "cls_name", None) or "Exception"
        # Dagster writes "dlt.pipeline.exceptions.PipelineStepFailed: ..." (or "KeyError: ...") before the text
        prefix = re.compile(rf"^(?:[\w.]+\.)?{re.escape(name)}: ")
        message = prefix.sub("", str(getattr(current, "message", "")).strip(), count=1)
        found.append(Link((name, "FunnelhouseError") if name in known else (name,), message))
        queue.extend([getattr(current, "cause", None), getattr(current, "context", None)])
    return found


def _funnelhouse_error_names() -> set[str]:
    names, pending = set(), [FunnelhouseError]
    while pending:
        cls = pending.pop()
        names.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return names


def serving_copy(warehouse: Path) -> Path:
    """Where BI tools read: env FUNNELHOUSE_SERVING_FILE, default serving/funnelhouse_serving.duckdb beside it."""
    return Path(os.environ.get(SERVING_FILE_ENV) or Path(warehouse).parent / "serving" / "funnelhouse_serving.duckdb")


def _process(pid: int, program: str) -> str:
    """'PID 4711: python -m some.tool' (the command line when this system shows it, else DuckDB's program)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        command = " ".join(part.decode(errors="replace") for part in argv if part)
    except OSError:
        command = ""
    command = " ".join(command.split()) or program  # one line, whatever the arguments hold
    return f"PID {pid}: {command if len(command) <= 120 else command[:117] + '...'}"


def lock_holder(text: str) -> tuple[Path, str] | None:
    """(warehouse file, 'PID n: command') from DuckDB's "Could not set lock" error in `text`, or None."""
    match = _LOCK.search(text)
    return (Path(match["file"]), _process(int(match["pid"]), match["program"])) if match else None


def lock_message(text: str, waited: float | None = None) -> str | None:
    """The one-line message for DuckDB's "Could not set lock" error in `text`, or None when it is not one."""
    holder = lock_holder(text)
    if holder is None:
        return None
    warehouse, process = holder
    waited_text = f" (still locked after waiting {waited:.0f} s, {LOCK_WAIT_ENV})" if waited is not None else ""
    return (f"the warehouse {warehouse} is locked by another process ({process}){waited_text}: stop that process, "
            f"and point dashboards and BI tools at the serving copy {serving_copy(warehouse)} instead of the "
            "warehouse")


def _first_line(text: str) -> str:
    """The first line; when it ends in a colon (a heading, as "1 blocking asset check failed:"), the lines it
    introduces too, up to 300 characters."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    shown = " ".join(lines[:5]) if lines[0].endswith(":") else lines[0]
    return shown if len(shown) <= 300 else shown[:297] + "..."


def one_line(chain: Iterable[Link]) -> str:
    """The cause to show: a locked warehouse; else the first FunnelhouseError (it says what to do); else the
    innermost exception that has a message, as "Type: first line"."""
    chain = list(chain)
    for link in chain:
        message = lock_message(link.message)
        if message:
            return message
    for link in chain:
        if "FunnelhouseError" in link.names and link.message.strip():
            return " ".join(link.message.split())
    for link in reversed(chain):
        line = _first_line(link.message)
        if line and not line.endswith(":"):
            return f"{link.names[0]}: {line}"
    return chain[0].names[0] if chain else "unknown error"


def explain_exception(exc: BaseException) -> str:
    return one_line(links_of(exc))


def step_failure_cause(event: object) -> str:
    """'<step>: <cause>' of a Dagster STEP_FAILURE event (its error is serialized: no exception objects)."""
    data = getattr(event, "step_failure_data", None)
    info = getattr(data, "error", None)
    cause = one_line(links_of_error_info(info)) if info is not None else (getattr(event, "message", "") or "")
    return f"{getattr(event, 'step_key', None) or 'a step'}: {cause}"
