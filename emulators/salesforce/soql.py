"""A subset of SOQL: parse `SELECT f, ... | COUNT() FROM Obj [WHERE f op lit [AND ...]] [ORDER BY f [ASC|DESC]] [LIMIT n]`
against the org's fields and evaluate it over records; errors are Salesforce's (MALFORMED_QUERY, INVALID_TYPE,
INVALID_FIELD) with its caret-and-column message."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from emulators.salesforce.errors import (
    SalesforceError,
    no_such_column,
    query_error,
    unexpected_token,
    unsupported_type,
)

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<string>'(?:[^'\\]|\\.)*')
      | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
      | (?P<date>\d{4}-\d{2}-\d{2})
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op><=|>=|!=|<>|=|<|>)
      | (?P<punct>[,()])
      | (?P<ident>[A-Za-z_][A-Za-z0-9_.]*)""",
    re.VERBOSE,
)
_NUMERIC = {"int", "double", "currency", "percent"}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


@dataclass(frozen=True)
class Token:
    kind: str  # string, datetime, date, number, op, punct, ident, eof
    text: str
    position: int


@dataclass(frozen=True)
class Condition:
    field: str
    op: str  # =, !=, <, <=, >, >=, IN, NOT IN
    values: tuple[Any, ...]  # typed literal(s): str, float, bool, date, datetime or None


@dataclass(frozen=True)
class Query:
    """A bound query: canonical object and field names, typed literals."""

    sobject: str
    fields: tuple[str, ...]
    conditions: tuple[Condition, ...]
    order_by: tuple[tuple[str, bool, bool], ...]  # (field, descending, nulls_last)
    limit: int | None
    field_types: Mapping[str, str]
    count: bool = False  # SELECT COUNT(): the answer is totalSize and no records


def tokenize(soql: str) -> list[Token]:
    tokens, position = [], 0
    while position < len(soql):
        match = _TOKEN.match(soql, position)
        if match is None:
            raise unexpected_token(soql, position, soql[position])
        if match.lastgroup != "space":
            tokens.append(Token(match.lastgroup, match.group(), position))
        position = match.end()
    tokens.append(Token("eof", "<EOF>", len(soql)))
    return tokens


class _Parser:
    def __init__(self, soql: str, schema: Mapping[str, Mapping[str, str]]):
        self.soql, self.tokens, self.index = soql, tokenize(soql), 0
        self.objects = {name.lower(): name for name in schema}
        self.schema = schema

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, token: Token | None = None) -> SalesforceError:
        token = token or self.token
        return unexpected_token(self.soql, token.position, token.text)

    def keyword(self, *words: str) -> bool:
        """Consumes the keyword sequence if it is next."""
        for offset, word in enumerate(words):
            token = self.tokens[min(self.index + offset, len(self.tokens) - 1)]
            if token.kind != "ident" or token.text.upper() != word:
                return False
        self.index += len(words)
        return True

    def expect_keyword(self, *words: str) -> None:
        if not self.keyword(*words):
            raise self.fail()

    def identifier(self) -> Token:
        if self.token.kind != "ident":
            raise self.fail()
        return self.take()

    def parse(self) -> Query:
        self.expect_keyword("SELECT")
        if self.keyword("COUNT"):
            for punct in "()":
                if self.token.text != punct:
                    raise self.fail()
                self.take()
            selected = []
        else:
            selected = [self.identifier()]
            while self.token.text == ",":
                self.take()
                selected.append(self.identifier())
        self.expect_keyword("FROM")
        object_token = self.identifier()
        where: list[tuple[Token, Token, list[Token]]] = []
        if self.keyword("WHERE"):
            where.append(self.condition())
            while self.keyword("AND"):
                where.append(self.condition())
        order: list[tuple[Token, bool, bool]] = []
        if self.keyword("ORDER", "BY"):
            order.append(self.order_item())
            while self.token.text == ",":
                self.take()
                order.append(self.order_item())
        limit = None
        if self.keyword("LIMIT"):
            token = self.take()
            if token.kind != "number" or not token.text.isdigit():
                raise self.fail(token)
            limit = int(token.text)
        if self.token.kind != "eof":
            raise self.fail()
        return self.bind(selected, object_token, where, order, limit)

    def condition(self) -> tuple[Token, Token, list[Token]]:
        field = self.identifier()
        if self.keyword("NOT", "IN"):
            op = Token("op", "NOT IN", field.position)
        elif self.keyword("IN"):
            op = Token("op", "IN", field.position)
        elif self.token.kind == "op":
            op = self.take()
            return field, op, [self.literal()]
        else:
            raise self.fail()
        if self.token.text != "(":
            raise self.fail()
        self.take()
        values = [self.literal()]
        while self.token.text == ",":
            self.take()
            values.append(self.literal())
        if self.token.text != ")":
            raise self.fail()
        self.take()
        return field, op, values

    def literal(self) -> Token:
        token = self.token
        if token.kind in ("string", "datetime", "date", "number") or (
            token.kind == "ident" and token.text.lower() in ("true", "false", "null")
        ):
            return self.take()
        raise self.fail()

    def order_item(self) -> tuple[Token, bool, bool]:
        field = self.identifier()
        descending = False
        if self.keyword("DESC"):
            descending = True
        else:
            self.keyword("ASC")
        nulls_last = descending
        if self.keyword("NULLS", "FIRST"):
            nulls_last = False
        elif self.keyword("NULLS", "LAST"):
            nulls_last = True
        return field, descending, nulls_last

    # ---------------------------------------------------------------- binding to the org's fields
    def bind(self, selected, object_token, where, order, limit) -> Query:
        sobject = self.objects.get(object_token.text.lower())
        if sobject is None:
            raise unsupported_type(self.soql, object_token.position, object_token.text)
        types = self.schema[sobject]
        by_lower = {name.lower(): name for name in types}

        def field(token: Token) -> str:
            name = by_lower.get(token.text.lower())
            if name is None:
                raise no_such_column(self.soql, token.position, token.text, sobject)
            return name

        fields = tuple(dict.fromkeys(field(token) for token in selected))
        conditions = []
        for field_token, op, literals in where:
            name = field(field_token)
            values = tuple(self.typed(literal, name, types[name]) for literal in literals)
            if None in values and op.text not in ("=", "!=", "<>"):
                raise self.fail(literals[0])
            conditions.append(Condition(name, "!=" if op.text == "<>" else op.text, values))
        order_by = tuple((field(token), descending, nulls_last) for token, descending, nulls_last in order)
        return Query(sobject, fields, tuple(conditions), order_by, limit, types, count=not selected)

    def typed(self, token: Token, field: str, field_type: str) -> Any:
        if token.kind == "ident" and token.text.lower() == "null":
            return None
        if field_type == "datetime":
            expected, ok = "dateTime", token.kind == "datetime"
        elif field_type == "date":
            expected, ok = "date", token.kind == "date"
        elif field_type == "boolean":
            expected, ok = "boolean", token.kind == "ident"
        elif field_type in _NUMERIC:
            expected, ok = ("int" if field_type == "int" else "double"), token.kind == "number"
        else:
            expected, ok = "string", token.kind == "string"
        if not ok:
            quotes = "be enclosed in quotes" if expected == "string" else "not be enclosed in quotes"
            raise query_error(
                "INVALID_FIELD",
                self.soql,
                token.position,
                f"value of filter criterion for field '{field}' must be of type {expected} and should {quotes}",
            )
        if token.kind == "string":
            return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), token.text[1:-1])
        return comparable(token.text, field_type)


def parse(soql: str, schema: Mapping[str, Mapping[str, str]]) -> Query:
    """Parses and binds `soql`; `schema` maps each object name to {field name: describe type}."""
    return _Parser(soql, schema).parse()


def comparable(value: Any, field_type: str) -> Any:
    """A record value (or literal text) as a value that compares the way Salesforce compares it."""
    if value is None:
        return None
    if field_type == "datetime":
        return datetime.fromisoformat(value)
    if field_type == "date":
        return date.fromisoformat(value)
    if field_type == "boolean":
        return value if isinstance(value, bool) else value.lower() == "true"
    if field_type in _NUMERIC:
        return float(value)
    return str(value).casefold()


def _matches(record: Mapping[str, Any], condition: Condition, field_type: str) -> bool:
    value = comparable(record.get(condition.field), field_type)
    wanted = [v.casefold() if isinstance(v, str) else v for v in condition.values]
    op = condition.op
    if op == "IN":
        return value is not None and value in wanted
    if op == "NOT IN":
        return value is None or value not in wanted
    target = wanted[0]
    if op == "=":
        return value == target
    if op == "!=":
        return value != target
    if value is None or target is None:
        return False
    return {"<": value < target, "<=": value <= target, ">": value > target, ">=": value >= target}[op]


def evaluate(query: Query, records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The records that match, in ORDER BY order (stable: ties keep the store's order), cut at LIMIT."""
    types = query.field_types
    matched = [r for r in records if all(_matches(r, c, types[c.field]) for c in query.conditions)]
    for field, descending, nulls_last in reversed(query.order_by):
        present = [r for r in matched if r.get(field) is not None]
        absent = [r for r in matched if r.get(field) is None]
        present.sort(key=lambda r: comparable(r[field], types[field]), reverse=descending)
        matched = present + absent if nulls_last else absent + present
    return matched if query.limit is None else matched[: query.limit]
