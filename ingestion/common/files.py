"""Find the files in a drop folder that are new or changed since the last load, by content fingerprint."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class DropFile:
    """A file found in a drop folder: its path, its name relative to the drop root, its fingerprint."""

    path: Path
    name: str
    sha256: str


def list_files(root: Path, patterns: Iterable[str]) -> list[Path]:
    """Files under root matching any glob pattern, in a stable order, each once; hidden and temp files skipped."""
    found: dict[Path, None] = {}
    for pattern in patterns:
        for path in sorted(root.glob(pattern)):
            if path.is_file() and not path.name.startswith((".", "~$")):
                found[path] = None
    return list(found)


def scan(root: Path, patterns: Iterable[str], seen: dict[str, str]) -> Iterator[tuple[DropFile, bool]]:
    """Yield (file, is_new_or_changed) for every matching file; `seen` maps relative name -> last loaded sha256."""
    for path in list_files(root, patterns):
        name = path.relative_to(root).as_posix()
        fingerprint = sha256_file(path)
        yield DropFile(path, name, fingerprint), seen.get(name) != fingerprint
