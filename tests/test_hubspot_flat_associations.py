"""HubSpot associations as flat Arrow tables (deal_associations, contact_associations): deals and contacts reach dlt
as Arrow only, the association rows are the emulator's links with their positions, and a re-loaded object's rows
replace its old ones exactly as dlt's nested merge replaced the children of deals__associations (the route before),
including an object re-loaded without any; a warehouse loaded by that route keeps every association across the
change (each object's rows in one of the two tables)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import ingestion.hubspot.source as hubspot_source_module
from emulators.hubspot import HubSpotEmulator
from test_hubspot_source import FIXTURES, TOKEN, load, query, quick_retries  # noqa: F401 (autouse fixture)

# The fixtures' links (tests/fixtures/hubspot), counted by hand: the 12 deals have one company each (12 rows) and
# contacts 5:{1,2} 7:{4} 11:{5,6} 20:{7} 31:{8} 52:{10} 64:{1} 77:{3,4} 88:{6} (12 rows): 24 deal rows; the 9
# contacts have one company each: 9 contact rows. Deal 7: company 8 at position 0, contact 4 at position 1.
DEAL_LINKS, CONTACT_LINKS = 24, 9
FLAT = "select {key}, to_object_type, to_id, association_types, association_position from raw_hubspot.{table}"
NESTED = "select {key}, to_object_type, to_id, association_types, _dlt_list_idx from raw_hubspot.{table}"


def flat(tmp_path: Path, one: str) -> set[tuple]:
    return set(query(tmp_path, FLAT.format(key=f"{one}_id", table=f"{one}_associations")))


def nested(tmp_path: Path, one: str, many: str) -> set[tuple]:
    return set(query(tmp_path, NESTED.format(key=f"{one}_id", table=f"{many}__associations")))


def tables(tmp_path: Path) -> set[str]:
    return {name for (name,) in query(tmp_path, "select table_name from information_schema.tables "
                                                "where table_schema = 'raw_hubspot'")}


def nested_route(monkeypatch: pytest.MonkeyPatch) -> None:
    """The route before: rows keep their `associations` lists, which dlt unnests into deals__associations."""
    monkeypatch.setattr(hubspot_source_module, "association_page", lambda spec, rows, schema: None)


def drop_deal_7_links(emulator: HubSpotEmulator) -> None:
    """Deal 7 loses both its links (HubSpot lists no association to an archived record) and is edited: the night
    re-loads deal 7 with no associations, and contact 4 (archived: read again, its company 8 archived too)."""
    emulator.archive_object("companies", "8")
    emulator.archive_object("contacts", "4")
    emulator.update_object("deals", "7", {"dealname": "Globex (no links)"})


def test_a_full_load_gives_dlt_deals_contacts_and_associations_as_arrow_only(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    rows: dict[tuple[str, str], int] = {}  # (table, "arrow" or "rows") -> rows the loaders yielded
    loader = hubspot_source_module._object_loader

    def counting(spec: Any, tally: Any) -> Any:
        load_page = loader(spec, tally)

        def counted(items: list[Any]) -> Any:
            for item in load_page(items):
                data = getattr(item, "data", item)
                table = item.meta.hints["table_name"] if hasattr(item, "meta") else spec.table
                kind = ("arrow", data.num_rows) if isinstance(data, pa.Table) else ("rows", len(data))
                rows[(table, kind[0])] = rows.get((table, kind[0]), 0) + kind[1]
                yield item

        return counted

    monkeypatch.setattr(hubspot_source_module, "_object_loader", counting)
    with HubSpotEmulator(FIXTURES, token=TOKEN) as emulator:
        summary, _ = load(emulator, tmp_path)
    # every object and association as Arrow, no row list: 12 deals, 9 contacts, 7 companies; the history rows are
    # the fixtures' entries (dealstage 25, lifecyclestage 16; tests/test_hubspot_source.py pins them row by row)
    assert rows == {
        ("deals", "arrow"): 12, ("deal_stage_history", "arrow"): 25,
        ("deal_associations", "arrow"): DEAL_LINKS, ("contacts", "arrow"): 9,
        ("contact_lifecycle_history", "arrow"): 16,
        ("contact_associations", "arrow"): CONTACT_LINKS, ("companies", "arrow"): 7,
    }
    assert "deals__associations" not in tables(tmp_path) and "contacts__associations" not in tables(tmp_path)
    assert summary.table_rows["deal_associations"] == DEAL_LINKS
    assert summary.table_rows["contact_associations"] == CONTACT_LINKS
    deals = flat(tmp_path, "deal")
    assert len(deals) == DEAL_LINKS
    assert {d for d in deals if d[0] == "7"} == {("7", "companies", "8", "deal_to_company", 0),
                                                 ("7", "contacts", "4", "deal_to_contact", 1)}
    assert {d for d in deals if d[0] == "5"} == {("5", "companies", "3", "deal_to_company", 0),
                                                 ("5", "contacts", "1", "deal_to_contact", 1),
                                                 ("5", "contacts", "2", "deal_to_contact", 2)}
    assert len(flat(tmp_path, "contact")) == CONTACT_LINKS


def run_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first_nested: bool, night_nested: bool) -> None:
    with HubSpotEmulator(FIXTURES, token=TOKEN) as emulator:
        with monkeypatch.context() as patch:
            if first_nested:
                nested_route(patch)
            load(emulator, tmp_path)
        drop_deal_7_links(emulator)
        with monkeypatch.context() as patch:
            if night_nested:
                nested_route(patch)
            summary, _ = load(emulator, tmp_path)
    assert summary.table_rows["deals"] == 1


def test_a_deal_reloaded_without_associations_loses_them_as_under_the_nested_merge(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_twice(tmp_path / "nested", monkeypatch, first_nested=True, night_nested=True)
    run_twice(tmp_path / "flat", monkeypatch, first_nested=False, night_nested=False)
    before = nested(tmp_path / "nested", "deal", "deals")
    after = flat(tmp_path / "flat", "deal")
    # deal 7's two rows are gone (24 - 2); deal 77 was not re-loaded and keeps company 8 and contact 4
    assert len(after) == DEAL_LINKS - 2 and not {d for d in after if d[0] == "7"}
    assert {d for d in after if d[0] == "77"} == {("77", "companies", "8", "deal_to_company", 0),
                                                  ("77", "contacts", "3", "deal_to_contact", 1),
                                                  ("77", "contacts", "4", "deal_to_contact", 2)}
    assert after == before
    # contact 4, archived, was read again without its (archived) company: 9 - 1
    assert flat(tmp_path / "flat", "contact") == nested(tmp_path / "nested", "contact", "contacts")
    assert len(flat(tmp_path / "flat", "contact")) == CONTACT_LINKS - 1
    # the marker rows that deleted them never reach the table
    assert query(tmp_path / "flat", "select count(*) from raw_hubspot.deal_associations where no_associations") == [
        (0,)]


def test_a_warehouse_loaded_by_the_nested_route_keeps_every_association(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    run_twice(tmp_path / "nested", monkeypatch, first_nested=True, night_nested=True)
    run_twice(tmp_path / "upgraded", monkeypatch, first_nested=True, night_nested=False)
    upgraded = tmp_path / "upgraded"
    # the night's deal 7 went to the flat table (nothing: it has no links left) and dlt's merge deleted its nested
    # rows; every other deal is still in the nested table: the two together are what the nested route holds
    # (what stg_hubspot__deal_associations reads: the flat table union all the nested one)
    assert flat(upgraded, "deal") == set()
    assert nested(upgraded, "deal", "deals") == nested(tmp_path / "nested", "deal", "deals")
    assert len(nested(upgraded, "deal", "deals")) == DEAL_LINKS - 2
    assert flat(upgraded, "contact") | nested(upgraded, "contact", "contacts") == nested(
        tmp_path / "nested", "contact", "contacts")
