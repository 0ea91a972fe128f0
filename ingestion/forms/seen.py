"""The submissions a forms load has read, kept in an in-process DuckDB table, not as Python objects per row.

A submission id read twice in one load is fine when both records carry the same values, and quarantined when they
differ: that needs, for every id read so far, a fingerprint of its values and where it was first read. In Python
that costs ~350 bytes per row (~700 MiB for 2M submissions); here a row of a table DuckDB keeps within MEMORY_LIMIT,
spilling past it. Records are looked up a batch at a time: one join per batch, not one query per row (1M records:
2.7 CPU seconds, against 0.7 s for a dict).
"""
from __future__ import annotations

from typing import NamedTuple

import duckdb
import pyarrow as pa

MEMORY_LIMIT = "256MB"  # the table spills to a temporary file past this


class First(NamedTuple):
    """Where a submission id was first read in this load, and the fingerprint of its values there."""

    input_name: str
    row_number: int
    fingerprint: bytes


class SeenSubmissions:
    """Submission ids read in one load: `first_reads` tells, for a batch of records, where each id was read first."""

    def __init__(self) -> None:
        self._db = duckdb.connect(config={"memory_limit": MEMORY_LIMIT})
        # looked up by a hash of the key (an integer join); the key itself tells two keys of one hash apart; the
        # input is a number into self._inputs (one name per file, not per row)
        self._db.execute("create table seen (hashed bigint, key varchar, fingerprint blob, input integer, "
                         "row_number bigint)")
        self._inputs: list[str] = []
        self._rows = 0

    def close(self) -> None:
        self._db.close()

    def first_reads(self, records: list[tuple[str, bytes, str, int]]) -> list[First]:
        """For each record (key, fingerprint, input name, row number) in the order read: where its key (the tool
        and the submission id) was read first (the record itself when it is the first). New keys are remembered."""
        earlier: dict[str, First] = {}
        hashes = [hash(record[0]) for record in records]  # Python's own string hash: fixed within this process
        if self._rows and records:
            batch = pa.table({"hashed": pa.array(hashes, pa.int64())})  # noqa: F841 - read by name in the query
            found = self._db.execute("select key, input, row_number, fingerprint from seen semi join batch "
                                     "on seen.hashed = batch.hashed").fetchall()
            earlier = {key: First(self._inputs[input], number, fingerprint)
                       for key, input, number, fingerprint in found}
        firsts: list[First] = []
        new_hashes, new_keys, new_fingerprints, new_inputs, new_rows = [], [], [], [], []
        for hashed, (key, fingerprint, input_name, row_number) in zip(hashes, records):
            first = earlier.get(key)
            if first is None:
                first = earlier[key] = First(input_name, row_number, fingerprint)
                if not self._inputs or self._inputs[-1] != input_name:
                    self._inputs.append(input_name)
                new_hashes.append(hashed)
                new_keys.append(key)
                new_fingerprints.append(fingerprint)
                new_inputs.append(len(self._inputs) - 1)
                new_rows.append(row_number)
            firsts.append(first)
        if new_keys:
            added = pa.table({  # noqa: F841 - read by name below
                "hashed": pa.array(new_hashes, pa.int64()), "key": pa.array(new_keys, pa.string()),
                "fingerprint": pa.array(new_fingerprints, pa.binary()), "input": pa.array(new_inputs, pa.int32()),
                "row_number": pa.array(new_rows, pa.int64())})
            self._db.execute("insert into seen select * from added")
            self._rows += len(new_keys)
        return firsts
