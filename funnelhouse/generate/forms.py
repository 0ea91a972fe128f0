"""Inbound leads: Typeform webhooks, 金数据 data pushes and the website JSONL export, in time order."""

from __future__ import annotations

import random
import string
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from .entities import Person, Universe, landline_in_typed_format, messy_email, messy_phone
from .timeline import (
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    Timeline,
    allocate,
    beijing_text,
    iso_z,
    iso_z_ms,
    ms_of,
    seeded_rng,
    utc_hour_weights,
    utc_month_key,
    weighted_choice,
)
from .vocab import CHANNELS, INDUSTRIES, INDUSTRY_TYPED_VARIANTS, SIZE_BANDS, TRADE_SHOW_MONTHS, Channel
from .writers import FileLog, JsonlWriter, MonthlyJsonl, to_json_line

RESUBMIT_CHANCE = 0.10
TOOL_WEIGHTS = {"typeform": 0.40, "jinshuju": 0.35, "website": 0.25}
_TOOLS, _TOOL_SHARES = tuple(TOOL_WEIGHTS), tuple(TOOL_WEIGHTS.values())
TYPEFORM_FORM_ID = "FHlead01"
JINSHUJU_FORM = "fhTrial"
JINSHUJU_FORM_NAME = "产品试用申请"
_TYPEFORM_FIELDS = (  # (id, ref, type, title)
    ("Vq3nT8aKpL2x", "name", "short_text", "What's your name? 您的姓名"),
    ("Hc7RwM2eYd9s", "email", "email", "Work email 工作邮箱"),
    ("Pz4kJ6uNf1Qb", "phone", "phone_number", "Phone number 联系电话"),
    ("Lm8tX3gWq5Ze", "company", "short_text", "Company name 公司名称"),
    ("Rb2yF9cHn7Ua", "industry", "multiple_choice", "Industry 所属行业"),
    ("Kd6sE1vBm4Tw", "company_size", "multiple_choice", "Company size 公司规模"),
    ("Wn5hG7pLx2Jc", "message", "long_text", "Anything we should know? 需求描述"),
)
_CHINESE_IP_FIRST_OCTETS = (
    36,
    58,
    59,
    60,
    61,
    101,
    106,
    110,
    111,
    112,
    113,
    114,
    115,
    116,
    117,
    118,
    119,
    120,
    121,
    122,
    123,
    124,
    125,
    175,
    180,
    182,
    183,
    218,
    219,
    220,
    221,
    222,
    223,
)
_DEVICES = (  # (info_platform, info_os, info_browser)
    ("Windows", "Windows 10", "Chrome 126.0.0.0"),
    ("Windows", "Windows 11", "Edge 125.0.0.0"),
    ("Macintosh", "OS X 10.15.7", "Safari 17.5"),
    ("Macintosh", "OS X 10.15.7", "Chrome 127.0.0.0"),
    ("iPhone", "iOS 17.5.1", "WeChat 8.0.49"),
    ("Android", "Android 14", "WeChat 8.0.48"),
    ("Android", "Android 13", "Chrome 124.0.0.0"),
)
_MESSAGES_ZH = (
    "希望预约产品演示",
    "请发一份报价和产品介绍",
    "想了解在{industry}行业的客户案例",
    "我们销售团队大约{n}人，想统一管理销售漏斗数据",
    "能否和现有的ERP/CRM系统对接？",
    "需要私有化部署，请联系我",
    "目前用Excel管理线索，太乱了",
    "想申请试用账号",
)
_MESSAGES_EN = (
    "We'd like a demo for our sales team of about {n} people.",
    "Please send pricing.",
    "Do you integrate with HubSpot?",
    "Looking for a funnel dashboard for our {industry} business.",
)
_DEFINITION_PLACEHOLDER = "@@definition@@"
_ENCODED_PLACEHOLDER = b'"@@definition@@"'
_CAMPAIGN_VARIANTS = {
    "search": ("brand_search", "competitor_kw", "generic_kw"),
    "moments": ("moments_ad", "wechat_leadgen"),
    "abm": ("abm", "linkedin_leadgen"),
}


@dataclass
class LeadIndex:
    """When each lead person first submitted a form (person number = position), in time order."""

    first_seen_ms: array = field(default_factory=lambda: array("q"))
    submissions: int = 0
    by_tool: dict[str, int] = field(default_factory=dict)
    by_month_channel: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def people(self) -> int:
        return len(self.first_seen_ms)


def daily_lead_counts(timeline: Timeline, total: int) -> list[int]:
    """Submissions per day: weekday-heavy, growing, with dips at Chinese New Year and Golden Week."""
    hour_weights = utc_hour_weights()
    last_day_share = sum(hour_weights[:10]) / sum(hour_weights)
    weights = []
    for day in timeline.days():
        weight = 1.0 + 0.6 * timeline.growth_fraction(ms_of_day(day))
        weight *= {5: 0.35, 6: 0.25}.get(day.weekday(), 1.0)
        weight *= {1: 0.9, 2: 0.7, 10: 0.85}.get(day.month, 1.0)
        if day == timeline.as_of:
            weight *= last_day_share
        weights.append(weight)
    return allocate(total, weights)


def ms_of_day(day: date) -> int:
    return ms_of(datetime(day.year, day.month, day.day, tzinfo=timezone.utc))


def submission_moments(rng: random.Random, day: date, count: int, timeline: Timeline) -> list[int]:
    """`count` sorted moments on a UTC day, following Beijing office hours, never after the horizon."""
    start = ms_of_day(day)
    weights = utc_hour_weights()
    hours = range(24)
    if day == timeline.as_of:
        hours, weights = range(10), weights[:10]
    moments = [
        start + weighted_choice(rng, hours, weights) * HOUR_MS + rng.randrange(HOUR_MS) for _ in range(count)
    ]
    return sorted(min(m, timeline.horizon_ms - 1) for m in moments)


def channel_for(rng: random.Random, month: int) -> Channel:
    """Trade-show leads cluster in show months; the other channels follow their usual shares."""
    weights = [
        c.weight * ((3.0 if month in TRADE_SHOW_MONTHS else 0.3) if c.name == "展会" else 1.0)
        for c in CHANNELS
    ]
    return weighted_choice(rng, CHANNELS, weights)


def lead_channel(seed: int, pid: int, first_seen_ms: int) -> Channel:
    """The channel that first brought a lead person in (stable, so the CRM can report the same source)."""
    return channel_for(seeded_rng(seed, "lead-channel", pid), int(utc_month_key(first_seen_ms)[5:]))


def utm_for(rng: random.Random, channel: Channel, moment_ms: int) -> dict[str, str]:
    """UTM tags as the landing URL carried them: full, partial, absent, occasionally odd casing."""
    if channel.utm_source is None or rng.random() < 0.15:
        return {}
    source = channel.utm_source
    if rng.random() < 0.07:
        source = source.capitalize() if rng.random() < 0.6 else source.upper()
    if rng.random() < 0.15:
        return {"utm_source": source}
    month = utc_month_key(moment_ms).replace("-", "")
    stem = rng.choice(_CAMPAIGN_VARIANTS.get(channel.campaign_stem, (channel.campaign_stem,)))
    return {"utm_source": source, "utm_medium": channel.utm_medium, "utm_campaign": f"{stem}_{month}"}


def random_token(
    rng: random.Random, length: int, alphabet: str = string.ascii_lowercase + string.digits
) -> str:
    """`length` random characters from `alphabet` (drawn from one big random integer, which is fast)."""
    number, base, chars = rng.getrandbits(6 * length), len(alphabet), []
    for _ in range(length):
        number, digit = divmod(number, base)
        chars.append(alphabet[digit])
    return "".join(chars)


def message_text(rng: random.Random, person: Person, universe: Universe, english: bool) -> str:
    company = universe.company(person.company_number)
    template = rng.choice(_MESSAGES_EN if english else _MESSAGES_ZH)
    industry = company.industry.label_en if english else company.industry.label_zh
    return template.format(industry=industry, n=rng.choice((8, 15, 30, 50, 120)))


def company_as_typed(rng: random.Random, person: Person, universe: Universe, english_share: float) -> str:
    company = universe.company(person.company_number)
    if person.is_junk:
        return "test"
    roll = rng.random()
    if roll < english_share:
        return company.english_name
    return company.short_name if roll < english_share + 0.35 else company.name


# --- Typeform ---------------------------------------------------------------------------------------
def typeform_definition() -> dict:
    fields = []
    for field_id, ref, field_type, title in _TYPEFORM_FIELDS:
        spec = {"id": field_id, "ref": ref, "type": field_type, "title": title, "properties": {}}
        if ref == "industry":
            spec["choices"] = [
                {"id": f"ind{i:02d}", "label": ind.label_en} for i, ind in enumerate(INDUSTRIES)
            ]
        if ref == "company_size":
            spec["choices"] = [
                {"id": f"size{i}", "label": band.label_en} for i, band in enumerate(SIZE_BANDS)
            ]
        fields.append(spec)
    return {"id": TYPEFORM_FORM_ID, "title": "Request a demo", "fields": fields}


def _typeform_field(ref: str) -> dict:
    field_id, _, field_type, _ = next(f for f in _TYPEFORM_FIELDS if f[1] == ref)
    return {"id": field_id, "type": field_type, "ref": ref}


def typeform_payload(
    rng: random.Random,
    person: Person,
    universe: Universe,
    channel: Channel,
    submitted_ms: int,
    definition: dict | str,
) -> dict:
    company = universe.company(person.company_number)
    english_name = rng.random() < 0.15
    name = (
        f"{person.english_given} {person.surname_pinyin.capitalize()}" if english_name else person.full_name
    )
    answers = [
        {"type": "text", "text": name, "field": _typeform_field("name")},
        {"type": "email", "email": messy_email(rng, person.email), "field": _typeform_field("email")},
    ]
    if rng.random() < 0.9:
        phone = "+86" + (person.landline[1:] if rng.random() < 0.06 else person.mobile)
        answers.append({"type": "phone_number", "phone_number": phone, "field": _typeform_field("phone")})
    answers.append(
        {
            "type": "text",
            "text": company_as_typed(rng, person, universe, 0.3),
            "field": _typeform_field("company"),
        }
    )
    if rng.random() < 0.95:
        answers.append(
            {
                "type": "choice",
                "choice": {"label": company.industry.label_en},
                "field": _typeform_field("industry"),
            }
        )
    if rng.random() < 0.92:
        answers.append(
            {
                "type": "choice",
                "choice": {"label": company.size.label_en},
                "field": _typeform_field("company_size"),
            }
        )
    if rng.random() < 0.65:
        answers.append(
            {
                "type": "text",
                "text": message_text(rng, person, universe, english=rng.random() < 0.5),
                "field": _typeform_field("message"),
            }
        )
    response = {
        "form_id": TYPEFORM_FORM_ID,
        "token": random_token(rng, 32),
        "landed_at": iso_z(submitted_ms - rng.randrange(40_000, 15 * MINUTE_MS)),
        "submitted_at": iso_z(submitted_ms),
    }
    hidden = utm_for(rng, channel, submitted_ms)
    if hidden:
        response["hidden"] = hidden
    response["calculated"] = {"score": 0}
    response["definition"] = definition
    response["answers"] = answers
    event_id = "01" + random_token(rng, 24, "0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    return {"event_id": event_id, "event_type": "form_response", "form_response": response}


# --- Jinshuju (金数据) --------------------------------------------------------------------------------
def jinshuju_payload(
    rng: random.Random,
    person: Person,
    universe: Universe,
    channel: Channel,
    submitted_ms: int,
    serial_number: int,
) -> dict:
    """Shape of 金数据's data push: {"form", "form_name", "entry": {serial_number, field_N..., meta}}."""
    company = universe.company(person.company_number)
    platform, os_name, browser = rng.choice(_DEVICES)
    entry = {
        "serial_number": serial_number,
        "field_1": person.full_name,
        "field_2": _jinshuju_mobile(rng, person),
        "field_3": messy_email(rng, person.email),
        "field_4": company_as_typed(rng, person, universe, 0.05),
        "field_5": company.industry.label_zh if rng.random() < 0.95 else "",
        "field_6": company.size.label_zh if rng.random() < 0.93 else "",
        "field_7": message_text(rng, person, universe, english=False) if rng.random() < 0.6 else "",
        "creator_name": ""
        if rng.random() < 0.7
        else rng.choice((person.given, person.english_given, "微信用户")),
        "updater_name": "",
        "created_at": iso_z_ms(submitted_ms),
        "updated_at": iso_z_ms(submitted_ms),
        "info_remote_ip": chinese_ip_address(rng),
        "info_platform": platform,
        "info_os": os_name,
        "info_browser": browser,
    }
    entry.update(utm_for(rng, channel, submitted_ms))
    return {"form": JINSHUJU_FORM, "form_name": JINSHUJU_FORM_NAME, "entry": entry}


def chinese_ip_address(rng: random.Random) -> str:
    first = rng.choice(_CHINESE_IP_FIRST_OCTETS)
    return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _jinshuju_mobile(rng: random.Random, person: Person) -> str:
    """金数据's 手机 field checks for 11 digits; a few people still got a landline or '+86' through."""
    roll = rng.random()
    if roll < 0.04:
        return landline_in_typed_format(rng, person.landline, person.area_code)
    if roll < 0.08:
        return f"+86 {person.mobile}"
    return person.mobile


# --- Website export -----------------------------------------------------------------------------
def website_row(
    rng: random.Random, person: Person, universe: Universe, channel: Channel, submitted_ms: int, number: int
) -> dict:
    company = universe.company(person.company_number)
    row = {
        "submission_id": f"WS-{number:06d}",
        "submitted_at": beijing_text(submitted_ms),
        "name": person.full_name if rng.random() < 0.93 else f" {person.full_name}",
        "email": messy_email(rng, person.email),
        "phone": messy_phone(rng, person, invalid_rate=0.06, landline_rate=0.12),
        "company": company_as_typed(rng, person, universe, 0.05),
        "industry": _typed_industry(rng, company.industry),
        "company_size": company.size.label_zh if rng.random() < 0.9 else "",
    }
    roll = rng.random()
    if roll < 0.7:
        row["channel"] = channel.name
    elif roll < 0.85:
        row["channel"] = ""
    utm = utm_for(rng, channel, submitted_ms)
    for key in ("utm_source", "utm_medium", "utm_campaign"):
        row[key] = utm.get(key, "")
    row["form"] = "website_contact"
    return row


def _typed_industry(rng: random.Random, industry) -> str:
    roll = rng.random()
    if roll < 0.2:
        return rng.choice(INDUSTRY_TYPED_VARIANTS[industry.key])
    if roll < 0.25:
        return ""
    return industry.label_zh


# --- the pass over all days ---------------------------------------------------------------------
class FormOutputs:
    """The three form outputs; the final Typeform month file gets its last line cut short on close."""

    def __init__(self, out_dir: Path, log: FileLog):
        self.typeform = MonthlyJsonl(out_dir / "forms" / "typeform", "form_responses_{month}.jsonl", log)
        self.jinshuju = MonthlyJsonl(out_dir / "forms" / "jinshuju", "entries_{month}.jsonl", log)
        self.website = JsonlWriter(out_dir / "forms" / "export" / "website_leads.jsonl", log)

    def close(self) -> None:
        self.typeform.close(truncate_last_line=True)
        self.jinshuju.close()
        self.website.close()


def earlier_person(rng: random.Random, index: LeadIndex, moment_ms: int) -> int | None:
    """A person who first submitted between 120 days and 1 day ago (a repeat submission), if any."""
    low = bisect_left(index.first_seen_ms, moment_ms - 120 * DAY_MS)
    high = bisect_right(index.first_seen_ms, moment_ms - DAY_MS)
    return rng.randrange(low, high) if high > low else None


def write_forms(
    out_dir: Path, universe: Universe, timeline: Timeline, seed: int, total: int, log: FileLog
) -> LeadIndex:
    """Writes every form submission day by day, in time order; returns when each lead person first came."""
    outputs = FormOutputs(out_dir, log)
    index = LeadIndex(by_tool={tool: 0 for tool in TOOL_WEIGHTS})
    definition = to_json_line(typeform_definition())[:-1]  # encoded once, spliced into every payload
    days = timeline.days()
    counts = daily_lead_counts(timeline, total)
    last_day_with_leads = max(i for i, n in enumerate(counts) if n) if total else -1
    for day_index, (day, count) in enumerate(zip(days, counts, strict=True)):
        if not count:
            continue
        rng = seeded_rng(seed, "lead-day", day.isoformat())
        moments = submission_moments(rng, day, count, timeline)
        for slot, moment in enumerate(moments):
            pid = earlier_person(rng, index, moment) if rng.random() < RESUBMIT_CHANCE else None
            if pid is None:
                pid = index.people
                index.first_seen_ms.append(moment)
            is_very_last = day_index == last_day_with_leads and slot == count - 1
            tool = "typeform" if is_very_last else weighted_choice(rng, _TOOLS, _TOOL_SHARES)
            channel = lead_channel(seed, pid, index.first_seen_ms[pid])
            if index.first_seen_ms[pid] != moment and rng.random() < 0.4:
                channel = channel_for(rng, day.month)
            write_submission(
                outputs, rng, universe, index, tool, universe.lead_person(pid), channel, moment, definition
            )
    outputs.close()
    return index


def write_submission(
    outputs: FormOutputs,
    rng: random.Random,
    universe: Universe,
    index: LeadIndex,
    tool: str,
    person: Person,
    channel: Channel,
    moment: int,
    definition: bytes,
) -> None:
    month = utc_month_key(moment)
    index.submissions += 1
    index.by_tool[tool] += 1
    key = (month, channel.name)
    index.by_month_channel[key] = index.by_month_channel.get(key, 0) + 1
    if tool == "typeform":
        payload = typeform_payload(rng, person, universe, channel, moment, _DEFINITION_PLACEHOLDER)
        line = to_json_line(payload).replace(_ENCODED_PLACEHOLDER, definition, 1)
        outputs.typeform.write_encoded(month, line)
    elif tool == "jinshuju":
        serial = index.by_tool["jinshuju"]
        outputs.jinshuju.write(month, jinshuju_payload(rng, person, universe, channel, moment, serial))
    else:
        outputs.website.write(website_row(rng, person, universe, channel, moment, index.by_tool["website"]))
