"""manifest.json: every written file with its row count (no timestamps, so it is deterministic too)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from .writers import FileLog


def write_manifest(
    out_dir: Path, log: FileLog, seed: int, scale: float, as_of: date, counts: dict[str, int]
) -> Path:
    files = [
        {"path": path, "rows": rows, **({"note": log.notes[path]} if path in log.notes else {})}
        for path, rows in sorted(log.rows.items())
    ]
    manifest = {
        "generator": "funnelhouse.generate",
        "seed": seed,
        "scale": scale,
        "as_of": as_of.isoformat(),
        "counts": counts,
        "files": files,
    }
    path = out_dir / "manifest.json"
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
