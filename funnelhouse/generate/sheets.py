"""The sales teams' spreadsheets: 华东 XLSX tracker, 华南 GBK CSV, English CRM export, marketing spend."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from .crm import Owner
from .entities import Company, Person, Universe, messy_phone
from .forms import LeadIndex, lead_channel
from .funnel import StagePath, days_between, deal_amount_cny, lost_reason, simulate_stage_path
from .timeline import (
    DAY_MS,
    Timeline,
    beijing_date,
    excel_serial,
    iso_z,
    later_working_moment,
    seeded_rng,
    weighted_choice,
)
from .vocab import (
    CHANNELS,
    INDUSTRY_TYPED_VARIANTS,
    KEY_ACTIONS_BY_STAGE_ZH,
    LOST_REASON_WORDINGS,
    NEXT_STEPS_BY_STAGE_ZH,
    RISK_NOTES_ZH,
    STAGE_ZH_TYPED_VARIANTS,
    STAGES_EN,
    STAGES_ZH,
    TRADE_SHOW_MONTHS,
)
from .writers import MAX_SPREADSHEET_ROWS, FileLog, PartedCsv, TrackerWorkbook, stream_parts

TRACKER_COLUMNS = [
    "客户名称",
    "所属行业",
    "公司规模",
    "联系人",
    "职务",
    "联系方式",
    "当前阶段",
    "进入阶段时间",
    "上一阶段停留时长",
    "关键动作记录",
    "下一步计划",
    "负责人",
    "预估金额(万)",
    "风险提示",
]
TRACKER_COLUMN_WIDTHS = [30, 12, 12, 10, 14, 18, 10, 14, 14, 60, 20, 10, 14, 16]
ENGLISH_COLUMNS = [
    "Deal ID",
    "Account Name",
    "Industry",
    "Company Size",
    "Contact Name",
    "Title",
    "Phone",
    "Email",
    "Stage",
    "Stage Entered",
    "Created",
    "Owner",
    "Amount (CNY)",
    "Lost Reason",
    "Channel",
]
HISTORY_COLUMNS = ["Deal ID", "From Stage", "To Stage", "Changed At", "Changed By"]
SPEND_COLUMNS = ["月份", "渠道", "花费(元)"]
_ENTERED_COLUMN = TRACKER_COLUMNS.index("进入阶段时间")
_OFFLINE_CHANNELS = ("展会", "客户推荐", "官网自然流量", "百度搜索", "LinkedIn")
_OFFLINE_CHANNEL_WEIGHTS = (0.3, 0.3, 0.2, 0.1, 0.1)
_ENGLISH_HISTORY_ROWS_PER_DEAL_MAX = 8  # 1 + 5 open stages + won/lost + one backward move


@dataclass(frozen=True)
class SheetDeal:
    index: int
    company: Company
    person: Person
    created_ms: int
    path: StagePath
    owner: Owner
    amount_cny: int
    lost_reason: str | None
    channel: str


class SheetDealMaker:
    """Deals kept outside the CRM by one team; customers overlap with form leads and CRM companies."""

    def __init__(
        self,
        seed: int,
        kind: str,
        universe: Universe,
        timeline: Timeline,
        leads: LeadIndex,
        owners: list[Owner],
        crm_companies: int,
        region: str | None,
        person_base: int,
    ):
        self.seed, self.kind, self.universe, self.timeline, self.leads = seed, kind, universe, timeline, leads
        self.owners, self.crm_companies, self.region, self.person_base = (
            owners,
            crm_companies,
            region,
            person_base,
        )

    def pick_company(self, rng: random.Random) -> int:
        for _ in range(40):
            pool = self.crm_companies if rng.random() < 0.35 else self.universe.n_companies
            c = rng.randrange(pool)
            if self.region is None or self.universe.company(c).city.region == self.region:
                return c
        return c

    def deal(self, e: int) -> SheetDeal:
        rng = seeded_rng(self.seed, self.kind, e)
        c = self.pick_company(rng)
        person, created, channel = None, 0, ""
        horizon = self.timeline.horizon_ms
        eligible = [
            p
            for p in self.universe.lead_persons_of_company(c, self.leads.people, limit=2)
            if self.leads.first_seen_ms[p] < horizon - 2 * DAY_MS
        ]
        if eligible and rng.random() < 0.6:
            pid = rng.choice(eligible)
            candidate = self.universe.lead_person(pid)
            if not candidate.is_junk:
                person = candidate
                first_seen = self.leads.first_seen_ms[pid]
                delay = int(rng.lognormvariate(math.log(5 * DAY_MS), 0.8))
                created = later_working_moment(rng, first_seen, delay, self.timeline)
                channel = lead_channel(self.seed, pid, first_seen).name
        if person is None:
            person = self.universe.person(self.person_base + e, c)
            created = self.timeline.growing_moment(rng)
            channel = weighted_choice(rng, _OFFLINE_CHANNELS, _OFFLINE_CHANNEL_WEIGHTS)
        path = simulate_stage_path(rng, created, self.timeline)
        company = self.universe.company(c)
        return SheetDeal(
            index=e,
            company=company,
            person=person,
            created_ms=created,
            path=path,
            owner=rng.choice(self.owners),
            amount_cny=deal_amount_cny(rng, company.employees),
            lost_reason=lost_reason(rng, path) if path.is_lost else None,
            channel=channel,
        )


# --- Chinese trackers -----------------------------------------------------------------------------
def typed_stage_zh(rng: random.Random, stage_index: int) -> str:
    label = STAGES_ZH[stage_index]
    variants = STAGE_ZH_TYPED_VARIANTS.get(label)
    return rng.choice(variants) if variants and rng.random() < 0.06 else label


def entered_date_value(rng: random.Random, day: date, allow_cells: bool):
    """2024-03-05 | 2024/3/5 | 2024年3月5日 | a real date cell | an Excel serial number (45356)."""
    roll = rng.random()
    if roll < 0.3:
        return day.isoformat()
    if roll < 0.45:
        return f"{day.year}/{day.month}/{day.day}"
    if roll < 0.6:
        return f"{day.year}年{day.month}月{day.day}日"
    if roll < 0.9:
        return day if allow_cells else f"{day.year}-{day.month}-{day.day}"
    return excel_serial(day) if allow_cells else str(excel_serial(day))


def stay_text(rng: random.Random, days: int) -> str:
    """How long the deal sat in the previous stage: 12天 | 3周 | 15."""
    roll = rng.random()
    if days >= 14 and roll < 0.25:
        return f"{round(days / 7)}周"
    if roll < 0.7:
        return f"{days}天"
    return str(days)


def key_actions_text(rng: random.Random, path: StagePath) -> str:
    """The rep's running log: one dated note per stage change (this is where the stage history lives)."""
    notes = []
    for stage, ms in path.entries:
        day = beijing_date(ms)
        notes.append(f"{day.month}/{day.day} {rng.choice(KEY_ACTIONS_BY_STAGE_ZH[stage])}")
    return "；".join(notes)


def amount_wan_value(rng: random.Random, amount_cny: int, allow_numbers: bool):
    """35.5 | "35.5万" | "355,000元" | empty."""
    wan = round(amount_cny / 10_000, 1)
    wan_value = int(wan) if wan == int(wan) else wan
    roll = rng.random()
    if roll < 0.8:
        return wan_value if allow_numbers else str(wan_value)
    if roll < 0.9:
        return f"{wan_value}万"
    if roll < 0.98:
        return f"{amount_cny:,}元"
    return ""


def risk_note(rng: random.Random, deal: SheetDeal, horizon_ms: int) -> str:
    if deal.path.is_closed:
        return "" if rng.random() < 0.9 else rng.choice(RISK_NOTES_ZH)
    if days_between(deal.path.entered_current_ms, horizon_ms) > 30:
        return rng.choice(("停滞超过30天", "长时间无进展", "客户失联"))
    return rng.choice(RISK_NOTES_ZH) if rng.random() < 0.25 else ""


def tracker_row(rng: random.Random, deal: SheetDeal, horizon_ms: int, allow_cells: bool) -> list:
    company, person, path = deal.company, deal.person, deal.path
    previous_stay = ""
    if len(path.entries) > 1:
        previous_stay = stay_text(rng, days_between(path.entries[-2][1], path.entries[-1][1]))
    roll = rng.random()
    customer = company.name if roll < 0.7 else company.short_name if roll < 0.95 else company.name + " "
    industry = company.industry.label_zh
    if rng.random() < 0.15:
        industry = rng.choice(INDUSTRY_TYPED_VARIANTS[company.industry.key])
    return [
        customer,
        industry,
        company.size.label_zh if rng.random() < 0.95 else "",
        person.full_name,
        person.title_zh,
        messy_phone(rng, person, invalid_rate=0.05, landline_rate=0.12),
        typed_stage_zh(rng, path.current_stage),
        entered_date_value(rng, beijing_date(path.entered_current_ms), allow_cells),
        previous_stay,
        key_actions_text(rng, path),
        rng.choice(NEXT_STEPS_BY_STAGE_ZH[path.current_stage]),
        deal.owner.display_name,
        amount_wan_value(rng, deal.amount_cny, allow_cells),
        risk_note(rng, deal, horizon_ms),
    ]


def tracker_title(region_zh: str, as_of: date) -> str:
    return f"{region_zh}区销售跟进表（{as_of.year}年{as_of.month}月）"


def write_east_workbooks(out_dir: Path, maker: SheetDealMaker, count: int, log: FileLog) -> int:
    """销售跟进表_华东.xlsx (or _partNN.xlsx, ≤50,000 deals each): sheets 进行中 / 已结束."""
    timeline = maker.timeline
    part_of = stream_parts(count, MAX_SPREADSHEET_ROWS)
    title = tracker_title("华东", timeline.as_of)
    created = datetime(timeline.as_of.year, timeline.as_of.month, timeline.as_of.day, 9, 30)
    workbook, current_part, stage_changes = None, "unset", 0
    for e in range(count):
        part = part_of(e)
        if part != current_part:
            if workbook:
                workbook.close(trailing_blank_rows=3)
            stem = "销售跟进表_华东" if part is None else f"销售跟进表_华东_part{part:02d}"
            workbook = TrackerWorkbook(
                out_dir / "spreadsheets" / f"{stem}.xlsx",
                {"进行中": title, "已结束": f"{title} 已结束"},
                TRACKER_COLUMNS,
                created,
                TRACKER_COLUMN_WIDTHS,
                log,
                author=maker.owners[0].display_name,
            )
            current_part = part
        deal = maker.deal(e)
        stage_changes += len(deal.path.entries)
        row = tracker_row(seeded_rng(maker.seed, "east-row", e), deal, timeline.horizon_ms, allow_cells=True)
        entered = row[_ENTERED_COLUMN]
        formats = (
            {_ENTERED_COLUMN: "yyyy/m/d" if e % 2 else "yyyy-mm-dd"} if isinstance(entered, date) else {}
        )
        workbook.append("已结束" if deal.path.is_closed else "进行中", row, formats)
    if workbook:
        workbook.close(trailing_blank_rows=3)
    return stage_changes


def write_south_csv(out_dir: Path, maker: SheetDealMaker, count: int, log: FileLog) -> int:
    """销售跟进表_华南.csv: one header row, GBK, blank trailing lines (_partNN files past 50,000 rows)."""
    csv_file = PartedCsv(
        out_dir / "spreadsheets",
        "销售跟进表_华南",
        TRACKER_COLUMNS,
        "gbk",
        log,
        split=count > MAX_SPREADSHEET_ROWS,
        trailing_blank_rows=2,
    )
    stage_changes = 0
    for e in range(count):
        if e and e % MAX_SPREADSHEET_ROWS == 0:
            csv_file.rotate()
        deal = maker.deal(e)
        stage_changes += len(deal.path.entries)
        csv_file.write(
            tracker_row(seeded_rng(maker.seed, "south-row", e), deal, maker.timeline.horizon_ms, False)
        )
    csv_file.close()
    return stage_changes


# --- English CRM export -------------------------------------------------------------------------
def us_or_iso_date(rng: random.Random, day: date) -> str:
    return f"{day.month:02d}/{day.day:02d}/{day.year}" if rng.random() < 0.6 else day.isoformat()


def english_amount(rng: random.Random, amount_cny: int) -> str:
    return f"{amount_cny:,}" if rng.random() < 0.6 else f"{amount_cny}.00"


def english_lost_reason(rng: random.Random, deal: SheetDeal) -> str:
    if not deal.path.is_lost:
        return ""
    english = [w for words in LOST_REASON_WORDINGS.values() for w in words if w.isascii()]
    return deal.lost_reason if rng.random() < 0.25 or deal.lost_reason.isascii() else rng.choice(english)


def english_row(rng: random.Random, deal_id: str, deal: SheetDeal) -> list:
    company, person, path = deal.company, deal.person, deal.path
    contact_name = (
        person.pinyin_name
        if rng.random() < 0.7
        else f"{person.english_given} {person.surname_pinyin.capitalize()}"
    )
    email = person.email.upper() if rng.random() < 0.03 else person.email
    return [
        deal_id,
        company.english_name if rng.random() < 0.85 else company.name,
        company.industry.label_en,
        company.size.label_en,
        contact_name,
        person.title_en,
        messy_phone(rng, person, 0.03, 0.15),
        email,
        STAGES_EN[path.current_stage],
        us_or_iso_date(rng, beijing_date(path.entered_current_ms)),
        us_or_iso_date(rng, beijing_date(deal.created_ms)),
        deal.owner.display_name,
        english_amount(rng, deal.amount_cny),
        english_lost_reason(rng, deal),
        deal.channel if rng.random() < 0.85 else "",
    ]


def history_rows(deal_id: str, deal: SheetDeal) -> list[list[str]]:
    rows, previous = [], ""
    for stage, ms in deal.path.entries:
        rows.append([deal_id, previous, STAGES_EN[stage], iso_z(ms), deal.owner.display_name])
        previous = STAGES_EN[stage]
    return rows


def write_english_export(out_dir: Path, maker: SheetDealMaker, count: int, log: FileLog) -> int:
    """pipeline_export_en.csv + ..._stage_history.csv (UTF-8 with BOM), split into parts together."""
    deals_per_part = MAX_SPREADSHEET_ROWS // _ENGLISH_HISTORY_ROWS_PER_DEAL_MAX
    split = count > deals_per_part
    directory = out_dir / "spreadsheets"
    export = PartedCsv(directory, "pipeline_export_en", ENGLISH_COLUMNS, "utf-8-sig", log, split)
    history = PartedCsv(
        directory, "pipeline_export_en_stage_history", HISTORY_COLUMNS, "utf-8-sig", log, split
    )
    stage_changes = 0
    for e in range(count):
        if e and e % deals_per_part == 0:
            export.rotate()
            history.rotate()
        deal = maker.deal(e)
        deal_id = f"OPP-{100_001 + e}"
        export.write(english_row(seeded_rng(maker.seed, "english-row", e), deal_id, deal))
        for row in history_rows(deal_id, deal):
            history.write(row)
            stage_changes += 1
    export.close()
    history.close()
    return stage_changes


# --- marketing spend ----------------------------------------------------------------------------
def write_marketing_spend(
    out_dir: Path, seed: int, timeline: Timeline, leads: LeadIndex, scale: float, log: FileLog
) -> None:
    """marketing_spend.csv: one row per month × channel; spend follows the leads each channel brought."""
    csv_file = PartedCsv(
        out_dir / "spreadsheets", "marketing_spend", SPEND_COLUMNS, "utf-8", log, split=False
    )
    for month in timeline.months():
        key = month.strftime("%Y-%m")
        for channel in CHANNELS:
            rng = seeded_rng(seed, "spend", key, channel.name)
            spend = (
                leads.by_month_channel.get((key, channel.name), 0)
                * channel.cost_per_lead
                * rng.uniform(0.8, 1.25)
            )
            if channel.name == "官网自然流量":
                spend += 6_000 * scale * rng.uniform(0.9, 1.1)
            elif channel.name == "邮件营销":
                spend += 1_500 * scale
            elif channel.name == "展会" and month.month in TRADE_SHOW_MONTHS:
                spend += 80_000 * scale * rng.uniform(0.7, 1.4)
            csv_file.write([key, channel.name, f"{int(round(spend, -1)):,}"])
    csv_file.close()
