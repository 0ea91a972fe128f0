"""What an alert says: run failures, failed checks and the daily stale-deals digest, as channel-neutral text."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

KINDS = ("run_failed", "check_failed", "stale_deals_digest")
UNASSIGNED = "未分配 unassigned"
MAX_DEALS_PER_OWNER = 10
MAX_ERROR_LINES = 20
ERROR_HEAD_LINES = 5
MAX_ERROR_FACT_CHARS = 500

# Emails and phone numbers never leave the warehouse in an alert, whatever a free-text field holds.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![0-9A-Za-z+])(?:\+\d{8,15}|1[3-9]\d{9})(?![0-9A-Za-z])")


@dataclass(frozen=True)
class Notification:
    """One alert: a kind, a one-line title, a plain-text body and JSON-serialisable facts for machines."""

    kind: str
    title: str
    text: str
    facts: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown notification kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if "\n" in self.title or "\r" in self.title:
            raise ValueError("a notification title must be one line")


def run_failed(job_name: str, run_id: str, error: str, *, ui_url: str | None = None) -> Notification:
    """A Dagster run failed: the job, the run and the error (its first and, when long, its last lines)."""
    job_name, run_id = _one_line(job_name), _one_line(run_id)
    title = f"funnelhouse: job {job_name} failed (run {run_id[:8]})"
    lines = [f"Job: {job_name}", f"Run: {run_id}", *_error_lines(error)]
    if ui_url:
        lines.append(f"Dagster UI: {_one_line(ui_url)}")
    facts: dict[str, Any] = {"job": job_name, "run_id": run_id, "error": _error_summary(error)[:MAX_ERROR_FACT_CHARS]}
    if ui_url:
        facts["ui_url"] = _one_line(ui_url)
    return _notification("run_failed", title, "\n".join(lines), facts)


def check_failed(check_name: str, asset: str, failing_rows: int, severity: str, description: str) -> Notification:
    """A data-quality check failed: its name, the asset, how many rows fail it and how bad that is."""
    check_name, asset, severity = _one_line(check_name), _one_line(asset), _one_line(severity).upper()
    failing_rows = int(failing_rows)
    rows = f"{failing_rows:,} failing row{'' if failing_rows == 1 else 's'}"
    title = f"funnelhouse: check {check_name} failed on {asset} ({rows}, {severity})"
    lines = [f"Check: {check_name}", f"Asset: {asset}", f"Severity: {severity}", f"Failing rows: {failing_rows:,}"]
    if description and description.strip():
        lines.append(f"Description: {description.strip()}")
    facts = {"check_name": check_name, "asset": asset, "severity": severity, "failing_rows": failing_rows,
             "description": (description or "").strip()}
    return _notification("check_failed", title, "\n".join(lines), facts)


def stale_deals_digest(rows: Iterable[Mapping[str, Any]], as_of: date) -> Notification:
    """Open deals past their stage's threshold (rows of mart_stale_deals), grouped per owner, busiest first."""
    groups = _group_by_owner(rows)
    total_deals = sum(len(deals) for _, _, deals in groups)
    total_amount = sum((_amount_of(deals) for _, _, deals in groups), Decimal(0))
    currency = _currency_of([deal for _, _, deals in groups for deal in deals])
    facts: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "stale_deals": total_deals,
        "amount_reporting": float(total_amount),
        "reporting_currency": currency,
        "owners": [{"owner": owner, "team": team, "stale_deals": len(deals),
                    "amount_reporting": float(_amount_of(deals))} for owner, team, deals in groups],
    }
    if not groups:
        text = f"No open deal is past its stage's threshold as of {as_of.isoformat()}."
        return _notification("stale_deals_digest", f"funnelhouse: no stale deals on {as_of.isoformat()}", text, facts)
    owners = _plural(len(groups), "owner")
    total = _money(total_amount, currency)
    title = f"funnelhouse: {_plural(total_deals, 'stale deal')} on {as_of.isoformat()} ({owners}, {total})"
    lines = [f"Open deals past their stage's threshold as of {as_of.isoformat()}: "
             f"{_plural(total_deals, 'deal')} worth {total}, {owners}."]
    for owner, team, deals in groups:
        lines += ["", *_owner_lines(owner, team, deals)]
    return _notification("stale_deals_digest", title, "\n".join(lines), facts)


def _group_by_owner(rows: Iterable[Mapping[str, Any]]) -> list[tuple[str, str | None, list[Mapping[str, Any]]]]:
    """(owner, team, deals) per owner: most stale deals first, then by name; deals most overdue first."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(_one_line(row.get("owner_name") or "") or UNASSIGNED, []).append(row)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    return [(owner, _team_of(deals), sorted(deals, key=_deal_order)) for owner, deals in ordered]


def _team_of(deals: list[Mapping[str, Any]]) -> str | None:
    teams = sorted({_one_line(deal["team_name"]) for deal in deals if deal.get("team_name")})
    return " / ".join(teams) or None


def _deal_order(deal: Mapping[str, Any]) -> tuple:
    amount = deal.get("amount_reporting")
    return (-int(deal.get("days_over_threshold") or 0), -(Decimal(amount) if amount is not None else Decimal(0)),
            str(deal.get("deal_name") or ""), str(deal.get("deal_id") or ""))


def _owner_lines(owner: str, team: str | None, deals: list[Mapping[str, Any]]) -> list[str]:
    heading = f"{owner} ({team})" if team else owner
    lines = [f"{heading}: {_plural(len(deals), 'stale deal')}, {_money(_amount_of(deals), _currency_of(deals))}"]
    lines += [f"  - {_deal_line(deal)}" for deal in deals[:MAX_DEALS_PER_OWNER]]
    if len(deals) > MAX_DEALS_PER_OWNER:
        lines.append(f"  … and {len(deals) - MAX_DEALS_PER_OWNER} more")
    return lines


def _deal_line(deal: Mapping[str, Any]) -> str:
    name = _one_line(deal.get("deal_name") or deal.get("company_name") or deal.get("deal_id") or "?")
    stage = " ".join(_one_line(deal[key]) for key in ("stage_name_zh", "stage_name_en") if deal.get(key))
    stage = stage or _one_line(deal.get("current_stage_code") or "?")
    inferred = " (entry date inferred)" if deal.get("is_stage_entry_known") is False else ""
    amount = deal.get("amount_reporting")
    return (f"{name} · {stage} · {deal.get('days_in_stage')} days in stage{inferred}, "
            f"{deal.get('days_over_threshold')} over the {deal.get('stale_after_days')}-day limit · "
            f"{_money(Decimal(amount), _currency_of([deal])) if amount is not None else 'amount unknown'}")


def _amount_of(deals: list[Mapping[str, Any]]) -> Decimal:
    return sum((Decimal(deal["amount_reporting"]) for deal in deals if deal.get("amount_reporting") is not None),
               Decimal(0))


def _currency_of(deals: list[Mapping[str, Any]]) -> str:
    """The reporting currency the mart rows say (column reporting_currency); CNY, the default, when they say none."""
    return next((str(deal["reporting_currency"]) for deal in deals if deal.get("reporting_currency")), "CNY")


def _money(amount: Decimal, currency: str) -> str:
    return f"{currency} {amount:,.2f}"


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _error_lines(error: str) -> list[str]:
    """The error's first lines and, for a long one (a stack trace), its last lines, where the exception is."""
    lines = [line.rstrip() for line in (error or "").strip().splitlines() if line.strip()]
    if not lines:
        return ["Error: (no message)"]
    if len(lines) > MAX_ERROR_LINES:
        tail = MAX_ERROR_LINES - ERROR_HEAD_LINES
        skipped = len(lines) - MAX_ERROR_LINES
        lines = [*lines[:ERROR_HEAD_LINES], f"… {skipped} line{'' if skipped == 1 else 's'} skipped …", *lines[-tail:]]
    return [f"Error: {lines[0]}", *(f"  {line}" for line in lines[1:])]


def _error_summary(error: str) -> str:
    """One line for machines: the exception line of a Python traceback, else the first line."""
    lines = [line.strip() for line in (error or "").splitlines() if line.strip()]
    if not lines:
        return ""
    return lines[-1] if lines[0].startswith("Traceback") else lines[0]


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


def scrub(text: str) -> str:
    """Mask anything that looks like an email address or a phone number."""
    return _PHONE.sub("[phone hidden]", _EMAIL.sub("[email hidden]", text))


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: _scrub_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub_value(item) for item in value]
    return value


def _notification(kind: str, title: str, text: str, facts: dict[str, Any]) -> Notification:
    return Notification(kind=kind, title=scrub(title), text=scrub(text), facts=_scrub_value(facts))
