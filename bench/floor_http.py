"""The floor's HubSpot download: a bare concurrent HTTP client fetching the pages a full refresh reads, nothing else.

The listings are those of the pipeline's first run (ingestion/hubspot/source.py, its settings in
ingestion/hubspot/settings.py): per object type the live and the archived listing with the same properties, history
and associations and page size, the owners (live and archived) and the deal pipelines. HubSpot's paging cursor is
opaque (`paging.next.after`), so each listing is a chain of requests; the chains run at once on a few keep-alive
connections. A page is not decoded: its cursor is cut out of the bytes, and the body is appended as one line to
<out>/<listing>.ndjson for DuckDB's read_json."""
from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

CONNECTIONS = 4
_AFTER = re.compile(rb'"after"\s*:\s*"([^"]+)"')


def listings() -> list[tuple[str, str, dict[str, Any]]]:
    """(file stem, path, query) of every listing a full HubSpot extract pages through."""
    from ingestion.hubspot.settings import LIST_PAGE_SIZE, OBJECT_SPECS, OWNERS_PAGE_SIZE

    found = []
    for spec in OBJECT_SPECS:
        params: dict[str, Any] = {"properties": ",".join(spec.properties)}
        if spec.history_property:
            params["propertiesWithHistory"] = spec.history_property
        if spec.associations:
            params["associations"] = ",".join(spec.associations)
        for archived in ("false", "true"):
            found.append((f"{spec.object_type}_{'archived' if archived == 'true' else 'live'}",
                          f"crm/v3/objects/{spec.object_type}",
                          {**params, "limit": LIST_PAGE_SIZE, "archived": archived}))
    for archived in ("false", "true"):
        found.append((f"owners_{'archived' if archived == 'true' else 'live'}", "crm/v3/owners",
                      {"limit": OWNERS_PAGE_SIZE, "archived": archived}))
    found.append(("pipelines_deals", "crm/v3/pipelines/deals", {}))
    return found


def next_after(body: bytes) -> str | None:
    """The `paging.next.after` cursor of a page, read from its bytes (paging comes after the results)."""
    start = body.rfind(b'"paging"')
    if start < 0:
        return None
    match = _AFTER.search(body, start)
    return match.group(1).decode() if match else None


def download(base_url: str, token: str, out_dir: Path, connections: int = CONNECTIONS) -> dict[str, Any]:
    """Fetch every page of every listing into out_dir; pages and bytes per listing, requests in all, seconds."""
    import httpx

    out_dir.mkdir(parents=True, exist_ok=True)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
    counts: dict[str, dict[str, int]] = {}
    lock = threading.Lock()
    started = time.perf_counter()

    with httpx.Client(base_url=base_url.rstrip("/") + "/", headers=headers, limits=limits, timeout=60) as client:
        def chain(stem: str, path: str, query: dict[str, Any]) -> None:
            pages = size = 0
            after: str | None = None
            with (out_dir / f"{stem}.ndjson").open("wb") as sink:
                while True:
                    params = dict(query, after=after) if after else query
                    response = client.get(path, params=params)
                    response.raise_for_status()
                    body = response.content
                    sink.write(body.replace(b"\n", b" ") + b"\n")
                    pages += 1
                    size += len(body)
                    after = next_after(body)
                    if not after:
                        break
            with lock:
                counts[stem] = {"pages": pages, "bytes": size}

        with ThreadPoolExecutor(max_workers=len(listings())) as pool:
            for future in [pool.submit(chain, *listing) for listing in listings()]:
                future.result()
    return {
        "seconds": round(time.perf_counter() - started, 3),
        "requests": sum(entry["pages"] for entry in counts.values()),
        "bytes": sum(entry["bytes"] for entry in counts.values()),
        "connections": connections,
        "listings": dict(sorted(counts.items())),
    }
