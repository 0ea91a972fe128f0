"""What every HubSpot account has before any data: default properties, association types, scopes, rate limits."""

from __future__ import annotations

from typing import Any

# (name, type, fieldType, options) of the properties HubSpot defines in every account, as its property docs list
# them (crm/properties: "default properties"). Enumeration options are HubSpot's internal values and labels.
_LIFECYCLE_STAGES = (
    ("subscriber", "Subscriber"),
    ("lead", "Lead"),
    ("marketingqualifiedlead", "Marketing Qualified Lead"),
    ("salesqualifiedlead", "Sales Qualified Lead"),
    ("opportunity", "Opportunity"),
    ("customer", "Customer"),
    ("evangelist", "Evangelist"),
    ("other", "Other"),
)
_LEAD_STATUSES = (
    ("NEW", "New"),
    ("OPEN", "Open"),
    ("IN_PROGRESS", "In Progress"),
    ("OPEN_DEAL", "Open Deal"),
    ("UNQUALIFIED", "Unqualified"),
    ("ATTEMPTED_TO_CONTACT", "Attempted to Contact"),
    ("CONNECTED", "Connected"),
    ("BAD_TIMING", "Bad Timing"),
)
_ANALYTICS_SOURCES = (
    ("ORGANIC_SEARCH", "Organic Search"),
    ("PAID_SEARCH", "Paid Search"),
    ("EMAIL_MARKETING", "Email Marketing"),
    ("SOCIAL_MEDIA", "Organic Social"),
    ("REFERRALS", "Referrals"),
    ("OTHER_CAMPAIGNS", "Other Campaigns"),
    ("DIRECT_TRAFFIC", "Direct Traffic"),
    ("OFFLINE", "Offline Sources"),
    ("PAID_SOCIAL", "Paid Social"),
)
_DEAL_TYPES = (("newbusiness", "New Business"), ("existingbusiness", "Existing Business"))
_PRIORITIES = (("low", "Low"), ("medium", "Medium"), ("high", "High"))

Definition = tuple[str, str, tuple[tuple[str, str], ...]]  # type, fieldType, options
_TEXT: Definition = ("string", "text", ())
_NUMBER: Definition = ("number", "number", ())
_DATETIME: Definition = ("datetime", "date", ())
_OWNER: Definition = ("enumeration", "select", ())  # options are the account's owners
_CALCULATED_BOOL: Definition = ("bool", "calculation_equation", (("true", "True"), ("false", "False")))
_COMMON: dict[str, Definition] = {
    "createdate": _DATETIME,
    "hs_object_id": _NUMBER,
    "hubspot_owner_id": _OWNER,
    "hs_analytics_source": ("enumeration", "select", _ANALYTICS_SOURCES),
}
HUBSPOT_DEFINED: dict[str, dict[str, Definition]] = {
    "deals": {
        **_COMMON,
        "amount": _NUMBER,
        "closedate": _DATETIME,
        "closed_lost_reason": ("string", "textarea", ()),
        "closed_won_reason": ("string", "textarea", ()),
        "deal_currency_code": ("enumeration", "select", ()),
        "dealname": _TEXT,
        "dealstage": ("enumeration", "radio", ()),  # options are the pipelines' stages
        "dealtype": ("enumeration", "radio", _DEAL_TYPES),
        "description": ("string", "textarea", ()),
        "hs_deal_stage_probability": ("number", "calculation_equation", ()),
        "hs_is_closed": _CALCULATED_BOOL,
        "hs_is_closed_won": _CALCULATED_BOOL,
        "hs_lastmodifieddate": _DATETIME,
        "hs_priority": ("enumeration", "select", _PRIORITIES),
        "pipeline": ("enumeration", "select", ()),
    },
    "contacts": {
        **_COMMON,
        "city": _TEXT,
        "company": _TEXT,
        "country": _TEXT,
        "email": _TEXT,
        "firstname": _TEXT,
        "hs_lead_status": ("enumeration", "radio", _LEAD_STATUSES),
        "jobtitle": _TEXT,
        "lastmodifieddate": _DATETIME,
        "lastname": _TEXT,
        "lifecyclestage": ("enumeration", "radio", _LIFECYCLE_STAGES),
        "mobilephone": ("string", "phonenumber", ()),
        "phone": ("string", "phonenumber", ()),
        "website": _TEXT,
    },
    "companies": {
        **_COMMON,
        "annualrevenue": _NUMBER,
        "city": _TEXT,
        "country": _TEXT,
        "description": ("string", "textarea", ()),
        "domain": _TEXT,
        "hs_lastmodifieddate": _DATETIME,
        "hs_lead_status": ("enumeration", "radio", _LEAD_STATUSES),
        "industry": ("enumeration", "select", ()),
        "lifecyclestage": ("enumeration", "radio", _LIFECYCLE_STAGES),
        "name": _TEXT,
        "numberofemployees": _NUMBER,
        "phone": ("string", "phonenumber", ()),
        "website": _TEXT,
    },
}
# Deal properties HubSpot calculates from the deal's pipeline stage (metadata.isClosed, metadata.probability).
STAGE_CALCULATED = frozenset({"hs_deal_stage_probability", "hs_is_closed", "hs_is_closed_won"})
# Pipeline stage metadata keys HubSpot documents for deal stages; anything else is refused when the seed loads.
DEAL_STAGE_METADATA = frozenset({"isClosed", "probability"})


def stage_calculated(name: str, metadata: dict[str, Any] | None) -> str | None:
    """The value HubSpot calculates for `name` from a stage's metadata, or None (no stage, no metadata)."""
    if not metadata:
        return None
    closed = str(metadata.get("isClosed", "false")).lower() == "true"
    probability = metadata.get("probability")
    if name == "hs_is_closed":
        return "true" if closed else "false"
    if name == "hs_deal_stage_probability":
        return None if probability is None else str(probability)
    try:
        won = closed and float(probability) == 1.0
    except (TypeError, ValueError):
        won = False
    return "true" if won else "false"


def options(object_type: str, name: str) -> list[dict[str, Any]]:
    definition = HUBSPOT_DEFINED.get(object_type, {}).get(name)
    return [
        {"label": label, "value": value, "displayOrder": order, "hidden": False}
        for order, (value, label) in enumerate(definition[2] if definition else ())
    ]


# HubSpot-defined association type ids (v4 associations: category HUBSPOT_DEFINED, unlabeled).
ASSOCIATION_TYPE_IDS = {
    ("contacts", "companies"): 279,
    ("companies", "contacts"): 280,
    ("deals", "contacts"): 3,
    ("contacts", "deals"): 4,
    ("deals", "companies"): 341,
    ("companies", "deals"): 342,
}


def read_scope(object_type: str) -> str:
    """The private-app scope that reads a CRM object type (crm.objects.deals.read, ...)."""
    return f"crm.objects.{object_type}.read"


# `funnelhouse emulate hubspot --rate-limits NAME`: the emulator's knobs for each profile. "hubspot" is what HubSpot
# publishes for a private app on a Professional or Enterprise account: 190 requests per rolling 10 s, and the CRM
# search endpoints 5 requests per second.
RATE_LIMIT_PROFILES: dict[str, dict[str, int | None]] = {
    "off": {"rate_limit_per_second": None, "rate_limit_per_ten_seconds": None, "search_rate_limit_per_second": None},
    "hubspot": {"rate_limit_per_second": None, "rate_limit_per_ten_seconds": 190, "search_rate_limit_per_second": 5},
}
