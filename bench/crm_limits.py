"""Each CRM vendor's published API limits as data (with the page they come from), and what a load's requests cost
against them: days of the daily allowance and the hours the burst limit needs at least.

The figures assume one org / account / tenant of SEATS users on the plan named; change the plan here, not in code.
Pages read on 2026-12-06:
- Salesforce: developer.salesforce.com/docs/platform/salesforce-app-limits-cheatsheet/guide/
  salesforce-app-limits-platform-api.html (a 24-hour allocation of 100,000 + 1,000 per Enterprise licence; no
  per-second limit, 25 concurrent requests of 20 s or longer).
- Pipedrive: pipedrive.readme.io/docs/core-api-concepts-rate-limiting (a daily token budget of 30,000 x plan
  multiplier x seats, Premium multiplier 5; burst per API token per rolling 2 s: Premium 100; "Get list of
  entities" costs 20 tokens on v1) and .../guide-for-optimizing-api-usage (v2 endpoints cost half: a v2 list 10).
- Zoho CRM: help.zoho.com/portal/en/community/topic/kaizen-34-api-credits and zoho.com/crm/developer/docs/api/v8/
  api-limits.html (credits per rolling 24 h: Enterprise 15,000 + 1,000 per user licence, at most 1,000,000; a
  Get Records / related list / deleted records call is 1 credit). The v2 and v4 pages still say 50,000 + 1,000
  per user (the Zoho emulator's `--rate-limits zoho` profile, 60,000 for 10 users, follows them).
- fxiaoke: developer.fxiaoke.com/openapi_v2/start/guide/rate.html (单接口 100 calls per 20 s; the daily total is
  the Open API resource pack the tenant bought, 100,000 calls a pack, reset at 0:00).
- HubSpot: developers.hubspot.com/changelog/increasing-our-api-limits and developers.hubspot.com/docs/api/
  usage-details (a private app on Professional: 190 requests per 10 s and 650,000 a day; search 5 a second).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

SEATS = 10  # users / licences / seats of the org assumed for every vendor
FIXED_UP_TO = 3  # a route asked at most this often in a full load of thousands of deals is taken as fixed


@dataclass(frozen=True)
class VendorLimits:
    """A vendor's limits for one plan. `daily`: units a day (requests, tokens or credits); `unit_cost(route)`:
    units a request on that route spends; `burst`: (requests, seconds) per client, or per route when
    `burst_per_route`."""

    plan: str
    daily: int
    daily_rule: str
    unit: str
    burst: tuple[int, float] | None
    burst_rule: str
    source: str
    unit_cost: Callable[[str], int] = lambda route: 1
    burst_per_route: bool = False


def _pipedrive_tokens(route: str) -> int:
    """v2 lists 10 tokens, v1 lists (users, changelog, dealFields) 20: the rate-limiting page's table and the
    optimizing guide's "v2 costs half"."""
    return 10 if route.startswith("/api/v2/") else 20


LIMITS: dict[str, VendorLimits] = {
    "salesforce": VendorLimits(
        plan=f"Enterprise, {SEATS} licences", daily=100_000 + 1_000 * SEATS,
        daily_rule="100,000 + 1,000 per licence a rolling 24 h", unit="requests", burst=None,
        burst_rule="no per-second limit (25 concurrent requests running 20 s or longer)",
        source="https://developer.salesforce.com/docs/platform/salesforce-app-limits-cheatsheet/guide/"
               "salesforce-app-limits-platform-api.html"),
    "pipedrive": VendorLimits(
        plan=f"Premium, {SEATS} seats", daily=30_000 * 5 * SEATS,
        daily_rule="30,000 tokens x plan multiplier (Premium 5) x seats a day; v2 list 10 tokens, v1 list 20",
        unit="tokens", burst=(100, 2.0), burst_rule="100 requests per rolling 2 s per API token (Premium)",
        source="https://pipedrive.readme.io/docs/core-api-concepts-rate-limiting", unit_cost=_pipedrive_tokens),
    "zoho": VendorLimits(
        plan=f"Enterprise, {SEATS} users", daily=15_000 + 1_000 * SEATS,
        daily_rule="15,000 + 1,000 credits per user licence a rolling 24 h (at most 1,000,000); 1 credit a read",
        unit="credits", burst=None, burst_rule="a concurrency limit per org, no per-second figure",
        source="https://www.zoho.com/crm/developer/docs/api/v8/api-limits.html"),
    "fxiaoke": VendorLimits(
        plan="one Open API resource pack", daily=100_000,
        daily_rule="the purchased resource pack: 100,000 calls a day per pack, reset at 0:00", unit="calls",
        burst=(100, 20.0), burst_rule="100 calls per 20 s per interface", burst_per_route=True,
        source="https://developer.fxiaoke.com/openapi_v2/start/guide/rate.html"),
    "hubspot": VendorLimits(
        plan="Professional, private app", daily=650_000, daily_rule="650,000 requests a day per account",
        unit="requests", burst=(190, 10.0), burst_rule="190 requests per 10 s (search: 5 a second)",
        source="https://developers.hubspot.com/changelog/increasing-our-api-limits"),
}


def extrapolate(full: dict[str, int], incremental: dict[str, int] | None, deals: int,
                target: int) -> dict[str, int]:
    """Requests per route of a first load of `target` deals from a first load of `deals` (`full`): a route asked
    at most FIXED_UP_TO times, or as often by the incremental load as by the full one, is read whole every run
    (token, settings, describe, users) and stays; every other grows with the deals (pages and per-deal reads
    both do: the generator grows every object with the deals)."""
    factor = target / deals

    def fixed(route: str, count: int) -> bool:
        return count <= FIXED_UP_TO or (incremental is not None and incremental.get(route) == count)

    return {route: count if fixed(route, count) else math.ceil(count * factor) for route, count in full.items()}


def cost(crm: str, requests: dict[str, int]) -> dict[str, Any]:
    """What `requests` per route spend of the vendor's limits: units, days of the daily allowance, and the least
    hours the burst limit allows them in (None when the vendor publishes no burst figure)."""
    limits = LIMITS[crm]
    units = sum(limits.unit_cost(route) * count for route, count in requests.items())
    hours = None
    if limits.burst is not None:
        calls, seconds = limits.burst
        busiest = max(requests.values(), default=0) if limits.burst_per_route else sum(requests.values())
        hours = round(busiest / calls * seconds / 3600, 2)
    return {"plan": limits.plan, "unit": limits.unit, "units": units, "daily": limits.daily,
            "days": round(units / limits.daily, 2), "burst_hours": hours, "daily_rule": limits.daily_rule,
            "burst_rule": limits.burst_rule, "source": limits.source}
