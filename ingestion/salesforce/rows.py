"""Salesforce records into typed raw rows, the same from a REST query page (JSON) and a Bulk API 2.0 result (CSV);
the raw tables' columns and Arrow schemas, declared once from the object specs."""
from __future__ import annotations

import codecs
import csv
from typing import Any, Callable, Iterable, Iterator

import pyarrow as pa

from ingestion.common.arrow_pages import arrow_schema
from ingestion.salesforce.settings import DESCRIBE_TO_DLT_TYPE, SOBJECTS, VENDOR, SObjectSpec
from ingestion.common.api_values import PARSERS, Row, column_name, record_reader

# Bulk API 2.0 `columnDelimiter` -> the character in the CSV
COLUMN_DELIMITERS = {"COMMA": ",", "TAB": "\t", "SEMICOLON": ";", "PIPE": "|", "CARET": "^", "BACKQUOTE": "`"}


def dlt_type(describe_type: str) -> str:
    return DESCRIBE_TO_DLT_TYPE.get(describe_type, "text")


def sobject_columns(spec: SObjectSpec, field_types: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """Column hints of the object's raw table: every standard field of the spec (null where the org lacks it), then
    the fields of `field_types` (query_field_types: describe's custom fields) the spec does not name."""
    fields = {**spec.fields, **{k: v for k, v in (field_types or {}).items() if k not in spec.fields}}
    return {column_name(name): {"data_type": dlt_type(kind), "nullable": name != "Id"}
            for name, kind in fields.items()}


def sobject_schema(spec: SObjectSpec, field_types: dict[str, str] | None = None) -> pa.Schema:
    return arrow_schema(sobject_columns(spec, field_types))


COLUMNS: dict[str, dict[str, dict[str, Any]]] = {spec.table: sobject_columns(spec) for spec in SOBJECTS}
SCHEMAS: dict[str, pa.Schema] = {table: arrow_schema(columns) for table, columns in COLUMNS.items()}


def row_reader(spec: SObjectSpec, field_types: dict[str, str]) -> Callable[[Any], Row]:
    """The row function of one query: a record (REST JSON, or a Bulk CSV row from csv_records) -> its typed row,
    one column per queried field (null when the record lacks it, `attributes` dropped); FieldError names the first
    unusable field."""
    plan = [(name, column_name(name), PARSERS[dlt_type(kind)]) for name, kind in field_types.items()]
    return record_reader(spec.name, plan, VENDOR, id_field="Id")


# -------------------------------------------------------------- Bulk API 2.0 CSV results
def text_lines(chunks: Iterable[bytes], encoding: str = "utf-8") -> Iterator[str]:
    """Lines of a streamed response body (e.g. response.iter_content(65536)) with their line endings kept, so a
    quoted value holding a line break reaches the csv reader whole."""
    decoder = codecs.getincrementaldecoder(encoding)()
    rest = ""
    for chunk in chunks:
        *lines, rest = (rest + decoder.decode(chunk)).split("\n")
        yield from (line + "\n" for line in lines)
    rest += decoder.decode(b"", final=True)
    if rest:
        yield rest


def csv_records(lines: Iterable[str], column_delimiter: str = "COMMA") -> Iterator[dict[str, str | None]]:
    """The records of one Bulk API 2.0 result set (a header row, then one row per record), read as they stream;
    an empty value is null, as the Bulk API writes null."""
    reader = csv.reader(lines, delimiter=COLUMN_DELIMITERS[column_delimiter])
    header = next(reader, None)
    if header is None:
        return
    for values in reader:
        if values:
            yield {name: value or None for name, value in zip(header, values)}
