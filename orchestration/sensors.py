"""Sensor: a refresh when a new or changed file lands in the forms or spreadsheets drop folder."""
import hashlib
import json
from pathlib import Path

import dagster as dg

from funnelhouse import settings
from ingestion.connectors import CONNECTORS

DROP_FOLDERS = tuple(entry.name for entry in CONNECTORS if entry.kind == "files")  # forms, spreadsheets


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def loaded_fingerprints(pipelines: Path | None = None) -> dict[str, str]:
    """What ingestion recorded as loaded, or read and rejected whole (reported on every run, but no reason for a
    refresh until it changes): {drop-folder path (forms/..., spreadsheets/...): sha256}, read from the
    local state of the dlt pipelines funnelhouse_forms and funnelhouse_spreadsheets (empty when never loaded)."""
    pipelines = Path(pipelines or settings.pipelines_dir())
    loaded: dict[str, str] = {}
    for folder in DROP_FOLDERS:
        try:
            state = json.loads((pipelines / f"funnelhouse_{folder}" / "state.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for resource in (state.get("sources", {}).get(folder, {}).get("resources") or {}).values():
            for kind in ("rejected", "fingerprints"):  # a file rejected whole was seen: unchanged, it is not new
                for name, sha in ((resource or {}).get(kind) or {}).items():
                    loaded[f"{folder}/{name}"] = sha
    return loaded


def _form_files(root: Path) -> set[Path] | None:
    """The files of the forms folder that a tool's globs in forms.yaml match (what ingestion reads); None when
    forms.yaml does not load (then every file counts, and the refresh reports the configuration error)."""
    from ingestion.common.files import list_files
    from ingestion.forms.settings import load_mapping

    try:
        tools = load_mapping().tools().values()
    except Exception:  # noqa: BLE001 - the refresh names the error; the sensor only decides whether to start it
        return None
    return {path for tool in tools for path in list_files(root, tool.globs)}


def drop_files(inputs: Path) -> list[Path]:
    """The files of the drop folders that ingestion reads: forms files matched by forms.yaml (an example payload or
    a README beside them is not), every spreadsheet (one no mapping entry matches is reported by the refresh)."""
    found: list[Path] = []
    for folder in DROP_FOLDERS:
        root = inputs / folder
        if not root.is_dir():
            continue
        files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
        readable = _form_files(root) if folder == "forms" else None
        found += [path for path in files if readable is None or path in readable]
    return found


def scan_drop_folders(inputs: Path, known: dict[str, list],
                      loaded: dict[str, str] | None = None) -> tuple[dict[str, list], list[str]]:
    """Files of the drop folders as {relative path: [size, mtime_ns, sha256]} and the paths whose content is new.

    A file whose size and mtime are unchanged is not read again; a re-dropped identical file (new mtime, same
    content) is hashed, found identical and not reported. A file whose content is what ingestion last loaded
    (`loaded`, from loaded_fingerprints) is not new either: a first tick after the demo, or after a refresh run
    from the CLI, starts from the files already loaded."""
    loaded = loaded or {}
    files: dict[str, list] = {}
    changed: list[str] = []
    for path in drop_files(inputs):
        name = path.relative_to(inputs).as_posix()
        stat = path.stat()
        previous = known.get(name)
        if previous and previous[0] == stat.st_size and previous[1] == stat.st_mtime_ns:
            files[name] = previous
            continue
        sha = _sha256(path)
        files[name] = [stat.st_size, stat.st_mtime_ns, sha]
        if (not previous or previous[2] != sha) and loaded.get(name) != sha:
            changed.append(name)
    return files, changed


def drop_folder_sensor(job) -> dg.SensorDefinition:
    @dg.sensor(name="new_drop_files", job=job, minimum_interval_seconds=60,
               default_status=dg.DefaultSensorStatus.RUNNING,
               description="Starts a refresh when a new or changed file lands in data/inputs/forms or spreadsheets "
                           "(files already loaded by ingestion do not count).")
    def _sensor(context: dg.SensorEvaluationContext):
        known = json.loads(context.cursor) if context.cursor else {}
        files, changed = scan_drop_folders(settings.inputs_dir(), known, loaded_fingerprints())
        context.update_cursor(json.dumps(files, sort_keys=True))
        if not changed:
            return dg.SkipReason("no new or changed file in the drop folders")
        run_key = hashlib.sha256(
            json.dumps([[name, files[name][2]] for name in changed]).encode()
        ).hexdigest()[:32]
        return dg.RunRequest(run_key=run_key, tags={"funnelhouse/new_files": ", ".join(changed)[:1000]})

    return _sensor
