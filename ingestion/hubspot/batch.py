"""The night's reads of changed (or newly archived) ids: batch read with history plus v4 batch associations.

A search page (or a page of archived ids) is a list of objects with ids. They are read in full with
POST /crm/v3/objects/{type}/batch/read (100 ids, propertiesWithHistory) and, per associated type,
POST /crm/v4/associations/{type}/{to}/batch/read (1,000 ids); the associations are put on each object in the
shape the v3 objects API gives (`associations.<to>.results[].id/type`), so rows.py shapes them as before. When a
page holds so few ids that one GET each costs fewer requests, each is read with GET /crm/v3/objects/{type}/{id}.
rest_api cannot say "one request per 100 parent items", hence this module.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from math import ceil
from typing import Any

from dlt.sources.helpers.rest_client import RESTClient
from requests import Response

from ingestion.hubspot.errors import refuse_errors
from ingestion.hubspot.settings import ASSOCIATIONS_BATCH_SIZE, BATCH_READ_SIZE, SINGULAR, ObjectSpec


def _checked(response: Response) -> Response:
    """401, 403 and the other 4xx end the run in one line (errors.py); 200 and 207 (some ids missing) go on."""
    refuse_errors(response)
    return response


def requests_for(ids: int, targets: int) -> int:
    """Requests the batch route makes for `ids` ids with `targets` associated types."""
    return ceil(ids / BATCH_READ_SIZE) + targets * ceil(ids / ASSOCIATIONS_BATCH_SIZE) if ids else 0


@dataclass(frozen=True)
class BatchReader:
    """Reads the objects of one type in full, live (`archived` False) or archived."""

    spec: ObjectSpec
    client: RESTClient
    archived: bool
    batch_reads: bool = True  # False: always one GET per id (the per-object route, kept to compare with)

    def __call__(self, items: list[Any]) -> Iterator[list[Any]]:
        usable = [obj for obj in items if isinstance(obj, dict) and str(obj.get("id", "")).strip().isdigit()]
        kept = {id(obj) for obj in usable}
        unusable = [obj for obj in items if id(obj) not in kept]
        if unusable:  # the loader quarantines them, with their raw record
            yield unusable
        ids = list(dict.fromkeys(str(obj["id"]).strip() for obj in usable))
        if not ids:
            return
        per_object = not self.batch_reads or len(ids) < requests_for(len(ids), len(self.spec.associations))
        read: Callable[[list[str]], list[Any]] = self._get_each if per_object else self._batch
        for start in range(0, len(ids), ASSOCIATIONS_BATCH_SIZE):
            found = read(ids[start : start + ASSOCIATIONS_BATCH_SIZE])
            if found:
                yield found

    # ------------------------------------------------------------------ one GET per id
    def _get_each(self, ids: list[str]) -> list[Any]:
        params: dict[str, Any] = {"properties": ",".join(self.spec.properties), "archived": self._flag}
        if self.spec.history_property:
            params["propertiesWithHistory"] = self.spec.history_property
        if self.spec.associations:
            params["associations"] = ",".join(self.spec.associations)
        found = []
        for object_id in ids:
            response = self.client.get(f"crm/v3/objects/{self.spec.object_type}/{object_id}", params=params)
            if response.status_code == 404:  # archived (or restored) since it was listed: the other sweep has it
                continue
            found.append(_checked(response).json())
        return found

    # ------------------------------------------------------------------ batch read + v4 associations
    @property
    def _flag(self) -> str:
        return "true" if self.archived else "false"

    def _batch(self, ids: list[str]) -> list[Any]:
        objects: list[Any] = []
        body: dict[str, Any] = {"properties": list(self.spec.properties)}
        if self.spec.history_property:
            body["propertiesWithHistory"] = [self.spec.history_property]
        for start in range(0, len(ids), BATCH_READ_SIZE):
            inputs = [{"id": i} for i in ids[start : start + BATCH_READ_SIZE]]
            response = self.client.post(
                f"crm/v3/objects/{self.spec.object_type}/batch/read",
                params={"archived": self._flag},
                json={**body, "inputs": inputs},
            )
            # 207: some ids were archived (or restored) since they were listed; the other sweep reads them
            objects.extend(_checked(response).json().get("results") or [])
        read = [str(obj.get("id")) for obj in objects if isinstance(obj, dict)]
        for target in self.spec.associations:
            links = self._associations(read, target)
            for obj in objects:
                found = links.get(str(obj.get("id"))) if isinstance(obj, dict) else None
                if found:
                    obj.setdefault("associations", {})[target] = {"results": found}
        return objects

    def _associations(self, ids: list[str], target: str) -> dict[str, list[dict[str, str]]]:
        """{from id: [{"id": to id, "type": v3 type name}]}, following each input's paging.next.after."""
        links: dict[str, list[dict[str, str]]] = {}
        inputs: list[dict[str, str]] = [{"id": i} for i in ids]
        while inputs:
            response = self.client.post(
                f"crm/v4/associations/{self.spec.object_type}/{target}/batch/read", json={"inputs": inputs}
            )
            # 207: inputs without any association are listed as errors (NO_ASSOCIATIONS_FOUND)
            inputs = []
            for result in _checked(response).json().get("results") or []:
                from_id = str((result.get("from") or {}).get("id"))
                for to in result.get("to") or []:
                    for kind in to.get("associationTypes") or [{}]:
                        links.setdefault(from_id, []).append(
                            {"id": str(to.get("toObjectId")), "type": self._type_name(kind, target)}
                        )
                after = ((result.get("paging") or {}).get("next") or {}).get("after")
                if after:
                    inputs.append({"id": from_id, "after": str(after)})
        return links

    def _type_name(self, kind: dict[str, Any], target: str) -> str:
        """The v3 name of one association type: its label when it has one, else '<from>_to_<to>' as the v3 objects
        API names HubSpot's unlabeled type (rows.association_rows joins several types of one pair)."""
        return str(kind["label"]) if kind.get("label") else f"{self.spec.singular}_to_{SINGULAR[target]}"
