"""COQL, the subset a connector uses (docs: zoho.com/crm/developer/docs/api/v8/COQL-Overview.html and
Get-Records-through-COQL-Query.html): `select f1, f2, Owner.name from Deals where (Modified_Time >= '2026-03-01T00:00:00+00:00'
and Stage != 'Closed Lost') or id in ('1', '2') order by Modified_Time asc, id asc limit 0, 2000`.

Operators `= != <> > >= < <= in, not in, like, not like, is null, is not null, between`, joined by and/or with
parentheses; `limit offset, count` or `limit count offset offset` (count 1..2000, default 200). Values compare as
instants when both sides read as datetimes, as numbers when both are numbers, else as text. A lookup selected plain
answers `{"id": ...}`; `Lookup.name` (or any `Lookup.<field>` but id) answers the lookup's name under the dotted key.
A malformed query raises ApiError 400 SYNTAX_ERROR.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulators.common.records import parse_instant
from emulators.common.vendor import ApiError

MAX_LIMIT = 2000
DEFAULT_LIMIT = 200
MAX_OFFSET = 100_000
_TOKEN = re.compile(r"\s*(?:(?P<string>'(?:[^'\\]|\\.)*')|(?P<number>-?\d+(?:\.\d+)?)|(?P<op><>|!=|>=|<=|[=<>(),])"
                    r"|(?P<word>[A-Za-z_$][A-Za-z0-9_$.]*))")
Row = dict[str, Any]


def syntax_error(message: str, clause: str | None = None) -> ApiError:
    return ApiError(400, message, code="SYNTAX_ERROR", details={"clause": clause} if clause else {})


@dataclass
class Query:
    fields: list[str]
    module: str
    where: Callable[[Row], bool] | None = None
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    offset: int = 0
    limit: int = DEFAULT_LIMIT


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.strip().rstrip(";")
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            if text[position:].strip() == "":
                break
            raise syntax_error(f"error occured while parsing the query near '{text[position:position + 20]}'")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens, self.at = tokens, 0

    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        index = self.at + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def keyword(self, *words: str) -> bool:
        """Consumes the keywords when they come next (case-insensitive)."""
        for n, word in enumerate(words):
            token = self.peek(n)
            if token is None or token[0] != "word" or token[1].lower() != word:
                return False
        self.at += len(words)
        return True

    def take(self, kind: str, clause: str) -> str:
        token = self.peek()
        if token is None or token[0] != kind:
            found = "the end of the query" if token is None else f"'{token[1]}'"
            raise syntax_error(f"error occured while parsing the query: expected a {kind} in {clause}, "
                               f"found {found}", clause)
        self.at += 1
        return token[1]

    def symbol(self, value: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "op" and token[1] == value:
            self.at += 1
            return True
        return False

    # ------------------------------------------------------------ grammar
    def query(self) -> Query:
        if not self.keyword("select"):
            raise syntax_error("error occured while parsing the query: it must start with select", "select")
        fields = [self.take("word", "select")]
        while self.symbol(","):
            fields.append(self.take("word", "select"))
        if not self.keyword("from"):
            raise syntax_error("error occured while parsing the query: from is missing", "from")
        query = Query(fields, self.take("word", "from"))
        if self.keyword("where"):
            query.where = self.disjunction()
        if self.keyword("order", "by"):
            query.order.append(self.order_item())
            while self.symbol(","):
                query.order.append(self.order_item())
        if self.keyword("limit"):
            first = int(self.take("number", "limit"))
            if self.symbol(","):
                query.offset, query.limit = first, int(self.take("number", "limit"))
            else:
                query.limit = first
                if self.keyword("offset"):
                    query.offset = int(self.take("number", "offset"))
        if self.peek() is not None:
            raise syntax_error(f"error occured while parsing the query near '{self.peek()[1]}'")
        return query

    def order_item(self) -> tuple[str, bool]:
        name = self.take("word", "order by")
        if self.keyword("desc"):
            return name, True
        self.keyword("asc")
        return name, False

    def disjunction(self) -> Callable[[Row], bool]:
        parts = [self.conjunction()]
        while self.keyword("or"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))

    def conjunction(self) -> Callable[[Row], bool]:
        parts = [self.condition()]
        while self.keyword("and"):
            parts.append(self.condition())
        return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))

    def condition(self) -> Callable[[Row], bool]:
        if self.symbol("("):
            inner = self.disjunction()
            if not self.symbol(")"):
                raise syntax_error("error occured while parsing the query: unbalanced parentheses", "where")
            return inner
        name = self.take("word", "where")
        if self.keyword("is", "not", "null"):
            return lambda row: value_of(row, name) is not None
        if self.keyword("is", "null"):
            return lambda row: value_of(row, name) is None
        negate = self.keyword("not")
        if self.keyword("in"):
            values = self.value_list()
            return lambda row: any(_compare(value_of(row, name), v) == 0 for v in values) != negate
        if self.keyword("like"):
            pattern = _like(self.value())
            return lambda row: (isinstance(value_of(row, name), str) and bool(pattern.match(value_of(row, name)))) != negate
        if self.keyword("between"):
            low = self.value()
            if not self.keyword("and"):
                raise syntax_error("error occured while parsing the query: between wants 'and'", "where")
            high = self.value()
            return lambda row: (_in_range(value_of(row, name), low, high)) != negate
        if negate:
            raise syntax_error("error occured while parsing the query: 'not' wants in or like", "where")
        token = self.peek()
        if token is None or token[0] != "op" or token[1] not in ("=", "!=", "<>", ">", ">=", "<", "<="):
            raise syntax_error(f"error occured while parsing the query: expected an operator after {name}", "where")
        self.at += 1
        operator, value = token[1], self.value()
        tests = {"=": lambda c: c == 0, "!=": lambda c: c != 0, "<>": lambda c: c != 0, ">": lambda c: c > 0,
                 ">=": lambda c: c >= 0, "<": lambda c: c < 0, "<=": lambda c: c <= 0}
        test = tests[operator]

        def check(row: Row) -> bool:
            compared = _compare(value_of(row, name), value)
            if compared is None:
                return operator in ("!=", "<>") and value is not None
            return test(compared)

        return check

    def value_list(self) -> list[Any]:
        if not self.symbol("("):
            raise syntax_error("error occured while parsing the query: in wants a list in parentheses", "where")
        values = [self.value()]
        while self.symbol(","):
            values.append(self.value())
        if not self.symbol(")"):
            raise syntax_error("error occured while parsing the query: unbalanced parentheses", "where")
        return values

    def value(self) -> Any:
        token = self.peek()
        if token is None:
            raise syntax_error("error occured while parsing the query: a value is missing", "where")
        self.at += 1
        kind, text = token
        if kind == "string":
            return text[1:-1].replace("\\'", "'")
        if kind == "number":
            return float(text) if "." in text else int(text)
        if kind == "word" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        if kind == "word" and text.lower() == "null":
            return None
        raise syntax_error(f"error occured while parsing the query: '{text}' is not a value", "where")


def parse(text: Any) -> Query:
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "select_query is missing", code="REQUIRED_PARAM_MISSING",
                       details={"param_name": "select_query"})
    query = _Parser(tokenize(text)).query()
    if not 1 <= query.limit <= MAX_LIMIT:
        raise ApiError(400, f"limit must be between 1 and {MAX_LIMIT}", code="LIMIT_EXCEEDED",
                       details={"by": "limit", "maximum_length": MAX_LIMIT})
    if query.offset > MAX_OFFSET:
        raise ApiError(400, f"offset must be at most {MAX_OFFSET}", code="LIMIT_EXCEEDED",
                       details={"by": "offset", "maximum_length": MAX_OFFSET})
    return query


def value_of(row: Row, name: str) -> Any:
    """A field's value as COQL compares it: a lookup by its id, `Lookup.id` its id, `Lookup.x` its name."""
    head, _, tail = name.partition(".")
    value = _field(row, head)
    if isinstance(value, dict):
        return value.get("id") if not tail or tail == "id" else value.get("name")
    return None if tail else value


def _field(row: Row, name: str) -> Any:
    if name in row:
        return row[name]
    lowered = name.lower()
    return next((v for k, v in row.items() if k.lower() == lowered), None)


def select(row: Row, fields: list[str]) -> Row:
    """A row as COQL answers it: the fields asked (lookups as {"id"}), and id."""
    out: Row = {}
    for name in fields:
        head, _, tail = name.partition(".")
        value = _field(row, head)
        if tail:
            out[name] = value_of(row, name)
        elif isinstance(value, dict) and "id" in value:
            out[name] = {"id": value["id"]}
        else:
            out[name] = value
    out["id"] = row["id"]
    return out


def run(query: Query, rows: list[Row]) -> tuple[list[Row], bool]:
    """The page of rows the query answers (unshaped), and whether more rows follow it."""
    matched = [r for r in rows if query.where is None or query.where(r)]
    for name, descending in reversed(query.order):
        present = [r for r in matched if value_of(r, name) is not None]
        absent = [r for r in matched if value_of(r, name) is None]
        present.sort(key=lambda r: _sort_key(value_of(r, name)), reverse=descending)
        matched = present + absent
    page = matched[query.offset: query.offset + query.limit]
    return page, query.offset + query.limit < len(matched)


def _sort_key(value: Any) -> tuple:
    moment = parse_instant(value) if isinstance(value, str) and "T" in value else None
    if moment is not None:
        return (0, moment.timestamp(), "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (1, float(value), "")
    return (2, 0.0, str(value))


def _compare(left: Any, right: Any) -> int | None:
    """-1/0/1, or None when either side is null."""
    if left is None or right is None:
        return None
    if isinstance(left, bool) or isinstance(right, bool):
        return 0 if bool(left) == bool(right) else 1
    if isinstance(left, str) and isinstance(right, str) and "T" in left and "T" in right:
        a, b = parse_instant(left), parse_instant(right)
        if a is not None and b is not None:
            return (a > b) - (a < b)
    if isinstance(left, (int, float)) or isinstance(right, (int, float)):
        try:
            a, b = float(left), float(right)
        except (TypeError, ValueError):
            return None
        return (a > b) - (a < b)
    a, b = str(left), str(right)
    if a.isdigit() and b.isdigit():  # ids
        return (int(a) > int(b)) - (int(a) < int(b))
    return (a > b) - (a < b)


def _in_range(value: Any, low: Any, high: Any) -> bool:
    first, second = _compare(value, low), _compare(value, high)
    return first is not None and second is not None and first >= 0 and second <= 0


def _like(pattern: Any) -> re.Pattern[str]:
    text = str(pattern)
    return re.compile("^" + "".join(".*" if c == "%" else re.escape(c) for c in text) + "$", re.IGNORECASE)
