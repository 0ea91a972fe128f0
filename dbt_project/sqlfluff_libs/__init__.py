"""Stand-ins for dbt's Jinja context so sqlfluff's jinja templater can render the models (see ../.sqlfluff).

sqlfluff puts every public name of this package into the Jinja context: the cross-database macros under `dbt`
render like dbt's default implementations, `var` reads the defaults of dbt_project.yml, and the introspection
helpers (`adapter`, `load_relation`, `execute`) behave as during dbt's parse, when nothing is queried. Only the
linter uses this; dbt never imports it.
"""
from __future__ import annotations

import datetime as _datetime
import re as _re
from pathlib import Path as _Path
from types import SimpleNamespace as _Namespace

import yaml as _yaml

_PROJECT = _yaml.safe_load((_Path(__file__).resolve().parents[1] / "dbt_project.yml").read_text(encoding="utf-8"))
_ENV_VAR_DEFAULT = _re.compile(r"""^\{\{\s*env_var\(\s*'[^']*'\s*,\s*'([^']*)'\s*\)\s*\}\}$""")
# a var whose default reads the environment ("{{ env_var('NAME', 'CNY') }}") lints with that default
_VARS = {
    name: (_ENV_VAR_DEFAULT.sub(r"\1", value) if isinstance(value, str) else value)
    for name, value in (_PROJECT.get("vars") or {}).items()
}
_TYPES = {"string": "varchar", "timestamp": "timestamp", "float": "float", "integer": "integer"}


def var(name, default=None):
    return _VARS.get(name, default)


def env_var(name, default=""):
    return default


execute = False
run_started_at = _datetime.datetime(2026, 1, 1, tzinfo=_datetime.timezone.utc)
modules = _Namespace(datetime=_datetime)
target = _Namespace(type="duckdb", name="lint", schema="main")


def load_relation(relation):
    return None


def _raise(message):
    raise RuntimeError(message)


exceptions = _Namespace(raise_compiler_error=_raise, warn=lambda message: "")
api = _Namespace(Column=_Namespace(translate_type=lambda name: _TYPES.get(name, name)))

_DISPATCHED = {
    "percentile": lambda expr, fraction: f"percentile_cont({fraction}) within group (order by {expr})",
    "to_utc": lambda expr: f"timezone('UTC', {expr})",
    "days_between": lambda start_ts, end_ts: (
        f"cast(date_diff('second', {start_ts}, {end_ts}) as numeric(28, 6)) / 86400"
    ),
    "safe_divide": lambda numerator, denominator: (
        f"cast({numerator} as numeric(28, 6)) / nullif({denominator}, 0)"
    ),
    "type_timestamp_tz": lambda: "timestamp with time zone",
    "sorted_listagg": lambda measure, delimiter_text: (
        f"string_agg({measure}, {delimiter_text} order by {measure})"
    ),
    # the incremental configs (macros/incremental.sql): their hooks are not linted
    "entity_materialization": lambda: "incremental",
    "entity_strategy": lambda: "replace_entities",
    "drop_vanished": lambda key, upstream, versions=(), where=None: "",
    "delete_rows_where": lambda condition: "",
    "day_strategy": lambda: "delete+insert",
    "day_partitions": lambda day_column: None,
    "add_column_if_missing": lambda column, data_type: "",
    "drop_days_after": lambda day_column, last_day: "",
}
adapter = _Namespace(
    dispatch=lambda name, package=None: _DISPATCHED[name],
    get_columns_in_relation=lambda relation: [],
)


def _listagg(measure, delimiter_text="','", order_by_clause=None, limit_num=None):
    order = f" {order_by_clause}" if order_by_clause else ""
    return f"string_agg({measure}, {delimiter_text}{order})"


def _date_spine(datepart, start_date, end_date):
    return f"select cast({start_date} as date) as date_{datepart}"


dbt = _Namespace(
    concat=lambda fields: f"concat({', '.join(fields)})",
    hash=lambda field: f"md5(cast({field} as varchar))",
    type_string=lambda: "varchar",
    type_timestamp=lambda: "timestamp",
    type_int=lambda: "integer",
    type_bigint=lambda: "bigint",
    type_numeric=lambda: "numeric(28, 6)",
    type_boolean=lambda: "boolean",
    type_float=lambda: "float",
    datediff=lambda first, second, datepart: f"date_diff('{datepart}', {first}, {second})",
    dateadd=lambda datepart, interval, ts: f"date_add({ts}, to_days({interval}))",
    date_trunc=lambda datepart, date: f"date_trunc('{datepart}', {date})",
    split_part=lambda string_text, delimiter_text, part_number: (
        f"split_part({string_text}, {delimiter_text}, {part_number})"
    ),
    position=lambda substring_text, string_text: f"position({substring_text} in {string_text})",
    right=lambda string_text, length_expression: f"right({string_text}, {length_expression})",
    safe_cast=lambda field, type_: f"try_cast({field} as {type_})",
    listagg=_listagg,
    date_spine=_date_spine,
)
