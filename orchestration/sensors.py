"""Sensor: a refresh when a new or changed file lands in the forms or spreadsheets drop folder."""
import hashlib
import json
from pathlib import Path

import dagster as dg

from funnelhouse import settings

DROP_FOLDERS = ("forms", "spreadsheets")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def scan_drop_folders(inputs: Path, known: dict[str, list]) -> tuple[dict[str, list], list[str]]:
    """Files of the drop folders as {relative path: [size, mtime_ns, sha256]} and the paths whose content is new.

    A file whose size and mtime are unchanged is not read again; a re-dropped identical file (new mtime, same
    content) is hashed, found identical and not reported."""
    files: dict[str, list] = {}
    changed: list[str] = []
    for folder in DROP_FOLDERS:
        root = inputs / folder
        if not root.is_dir():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
            name = path.relative_to(inputs).as_posix()
            stat = path.stat()
            previous = known.get(name)
            if previous and previous[0] == stat.st_size and previous[1] == stat.st_mtime_ns:
                files[name] = previous
                continue
            sha = _sha256(path)
            files[name] = [stat.st_size, stat.st_mtime_ns, sha]
            if not previous or previous[2] != sha:
                changed.append(name)
    return files, changed


def drop_folder_sensor(job) -> dg.SensorDefinition:
    @dg.sensor(name="new_drop_files", job=job, minimum_interval_seconds=60,
               default_status=dg.DefaultSensorStatus.RUNNING,
               description="Starts a refresh when a new or changed file lands in data/inputs/forms or spreadsheets.")
    def _sensor(context: dg.SensorEvaluationContext):
        known = json.loads(context.cursor) if context.cursor else {}
        files, changed = scan_drop_folders(settings.inputs_dir(), known)
        context.update_cursor(json.dumps(files, sort_keys=True))
        if not changed:
            return dg.SkipReason("no new or changed file in the drop folders")
        run_key = hashlib.sha256(
            json.dumps([[name, files[name][2]] for name in changed]).encode()
        ).hexdigest()[:32]
        return dg.RunRequest(run_key=run_key, tags={"funnelhouse/new_files": ", ".join(changed)[:1000]})

    return _sensor
