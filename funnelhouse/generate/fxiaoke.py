"""Seed data for the fxiaoke (纷享销客) emulator: a China sales team's tenant, its records as
`/cgi/crm/v2/data/query` returns them (emulators/fxiaoke/README.md holds the folder's format).

Writes `<out>/fxiaoke/`: LeadsObj, AccountObj, ContactObj, NewOpportunityObj, NewOpportunityStageChangeObj .jsonl
(one `data.dataList` record per line: times in epoch ms, amounts as text, employee fields as lists of openUserIds,
select_one fields as option values, null fields left out as the platform leaves them out), describe/<apiName>.json
(fields with 中文 labels and options), employees.jsonl and departments.jsonl (the address book). A 作废 record
has life_status "invalid"; one deleted from the recycle bin also is_deleted true.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .china_plan import ChinaPlan
from .timeline import DAY_MS, HOUR_MS
from .vendor_plan import PARTNER_CHANNELS, Change, Deal, WalkShape
from .vocab import JOB_TITLES, LOST_REASON_WORDINGS, PRODUCTS_ZH
from .writers import FileLog, JsonlWriter, write_jsonl

# 商机 2.0's preset sales stages (option value, 中文 label, 赢率 %): four open, then 赢单 and 输单.
STAGES = (("1", "验证客户", 10), ("2", "需求确定", 30), ("3", "方案/报价", 60), ("4", "谈判审核", 80),
          ("5", "赢单", 100), ("6", "输单", 0))
SHAPES = ((WalkShape((6.0, 10.0, 14.0, 12.0), (0.12, 0.12, 0.18, 0.2)), 1.0),)
LEAD_SOURCES = {"Web": ("1", "官网"), "Phone Inquiry": ("2", "电话咨询"), "Partner Referral": ("3", "转介绍"),
                "Purchased List": ("4", "购买名单"), "Other": ("other", "其他")}
LEAD_STATUS = {"open": ("un_processed", "未处理"), "working": ("processed", "跟进中"),
               "unqualified": ("closed", "无效"), "converted": ("transformed", "已转换")}
LIFE_STATUS = (("normal", "正常"), ("invalid", "作废"), ("ineffective", "未生效"), ("under_review", "审核中"),
               ("in_change", "变更中"))
USER_TITLES = {"Head of Sales": "销售总监", "Sales Manager": "销售经理", "Account Executive": "客户经理"}
JOB_TITLES_ZH = {english: chinese for chinese, english in JOB_TITLES}
PARTNER_CHANNELS_ZH = dict(zip(PARTNER_CHANNELS, ("代理商", "合作伙伴转介绍", "应用市场", "系统集成商"), strict=True))
CHINESE_LOST_REASONS = {key: [w for w in words if not w.isascii()] for key, words in LOST_REASON_WORDINGS.items()}
PARTNER_FIELD = "field_hzqd1__c"  # a custom field (合作渠道) added mid-history
REGIONS_ZH = ("华东大区", "华北大区", "华南大区", "西南大区", "华中大区", "西北大区")
TOP_DEPARTMENT = 1000
SALES_PROCESS = ("5f1e0c2a7b3d4e5f6a7b8c9d", "默认销售流程")
_ID_MULTIPLIER = 0x9E3779B97F4A7C15F39CC07
OBJECT_CODES = {"AccountObj": 1, "ContactObj": 2, "LeadsObj": 3, "NewOpportunityObj": 4,
                "NewOpportunityStageChangeObj": 5}

_AUDIT = (("owner", "负责人", "employee"), ("life_status", "生命状态", "select_one"),
          ("create_time", "创建时间", "date_time"), ("created_by", "创建人", "employee"),
          ("last_modified_time", "最后修改时间", "date_time"), ("last_modified_by", "最后修改人", "employee"))
FIELDS: dict[str, tuple[str, tuple[tuple[str, str, str], ...]]] = {  # apiName -> (display name, fields)
    "AccountObj": ("客户", (("_id", "ID", "text"), ("name", "客户名称", "text"), ("industry", "行业", "text"),
                            ("address", "详细地址", "text"), ("url", "网址", "url"), *_AUDIT)),
    "ContactObj": ("联系人", (("_id", "ID", "text"), ("name", "姓名", "text"),
                              ("account_id", "客户名称", "object_reference"), ("mobile1", "手机1", "phone_number"),
                              ("email", "邮件", "email"), ("job_title", "职务", "text"), *_AUDIT)),
    "LeadsObj": ("销售线索", (("_id", "ID", "text"), ("name", "姓名", "text"), ("company", "公司名称", "text"),
                              ("mobile", "手机", "phone_number"), ("email", "邮件", "email"),
                              ("job_title", "职务", "text"), ("source", "线索来源", "select_one"),
                              ("biz_status", "线索状态", "select_one"), ("transform_time", "转换时间", "date_time"),
                              ("account_id", "客户", "object_reference"), ("contact_id", "联系人", "object_reference"),
                              ("new_opportunity_id", "商机", "object_reference"), *_AUDIT)),
    "NewOpportunityObj": ("商机", (("_id", "ID", "text"), ("name", "商机名称", "text"),
                                   ("account_id", "客户名称", "object_reference"),
                                   ("contact_id", "联系人", "object_reference"),
                                   ("leads_id", "来源线索", "object_reference"), ("amount", "商机金额", "currency"),
                                   ("sales_stage", "商机阶段", "select_one"), ("probability", "赢率", "percentile"),
                                   ("close_date", "预计成交日期", "date"),
                                   ("sales_process_id", "销售流程", "object_reference"),
                                   ("lost_reason", "输单原因", "long_text"),
                                   ("stg_changed_time", "阶段变更时间", "date_time"), *_AUDIT,
                                   (PARTNER_FIELD, "合作渠道", "text"))),
    "NewOpportunityStageChangeObj": ("商机阶段变更记录", (
        ("_id", "ID", "text"), ("name", "编号", "auto_number"),
        ("new_opportunity_id", "商机", "object_reference"), ("before_stage", "变更前阶段", "select_one"),
        ("after_stage", "变更后阶段", "select_one"), ("change_time", "变更时间", "date_time"),
        ("changed_by", "变更人", "employee"), *_AUDIT)),
}
OPTIONS = {
    "sales_stage": STAGES, "before_stage": STAGES, "after_stage": STAGES, "life_status": LIFE_STATUS,
    "source": tuple(LEAD_SOURCES.values()), "biz_status": tuple(LEAD_STATUS.values()),
}


def fx_id(api_name: str, number: int) -> str:
    """A 24-hex-digit record id, distinct per object and number."""
    mixed = (number + 1) * _ID_MULTIPLIER % (1 << 88)  # an odd multiplier: a bijection on 88-bit numbers
    return f"6{OBJECT_CODES[api_name]:x}{mixed:022x}"


def describe(api_name: str) -> dict:
    """The object's describe as /cgi/crm/v2/object/describe returns it in data.describe."""
    display, fields = FIELDS[api_name]
    document: dict = {"api_name": api_name, "display_name": display, "define_type": "package", "fields": {}}
    for name, label, kind in fields:
        field = {"api_name": name, "label": label, "type": kind,
                 "define_type": "custom" if name.endswith("__c") else "package", "is_active": True}
        if kind == "select_one":
            field["options"] = [{"label": option[1], "value": option[0]} for option in OPTIONS[name]]
        document["fields"][name] = field
    return document


def china_midnight_ms(day_number: int) -> int:
    """A date field: epoch ms of 00:00 China time (UTC+8) of that day."""
    return day_number * DAY_MS - 8 * HOUR_MS


def _stage_of(change: Change) -> tuple[str, str, int]:
    if change.status == "won":
        return STAGES[4]
    if change.status == "lost":
        return STAGES[5]
    return STAGES[change.stage]


def _present(record: dict) -> dict:
    """The platform leaves null fields out of query answers (includeNull false)."""
    return {k: v for k, v in record.items() if v is not None}


class FxiaokeTenant:
    """Renders a ChinaPlan as fxiaoke records."""

    def __init__(self, plan: ChinaPlan):
        self.plan = plan
        self.n_teams = max(1, sum(u.role == 1 for u in plan.users))

    def open_user_id(self, index: int) -> str:
        digest = hashlib.md5(f"fxiaoke:{self.plan.seed}:{index}".encode()).hexdigest().upper()
        return f"FSUID_{digest}"

    def owner(self, index: int) -> list[str]:
        return [self.open_user_id(index)]

    def department_of(self, user) -> int:
        if user.role == 0:
            return TOP_DEPARTMENT
        team = user.index if user.role == 1 else user.manager
        return TOP_DEPARTMENT + team

    def departments(self) -> list[dict]:
        rows = [{"id": TOP_DEPARTMENT, "name": "销售中心", "parentId": 999999, "isStop": False, "order": 1}]
        for u in self.plan.users:
            if u.role == 1:
                rows.append({"id": TOP_DEPARTMENT + u.index, "name": REGIONS_ZH[(u.index - 1) % len(REGIONS_ZH)],
                             "parentId": TOP_DEPARTMENT, "isStop": False, "order": u.index + 1})
        return rows

    def employee(self, u) -> dict:
        department = self.department_of(u)
        leader = self.open_user_id(u.manager) if u.manager is not None else None
        return _present({
            "openUserId": self.open_user_id(u.index), "account": u.email.split("@")[0],
            "name": u.last_name + u.first_name, "nickName": u.last_name + u.first_name, "email": u.email,
            "mobile": f"1390{(u.index * 7_919 + self.plan.seed) % 10_000_000:07d}", "position": USER_TITLES[u.title],
            "leaderId": leader, "isStop": not u.active, "departmentIds": [department], "mainDepartmentId": department,
        })

    def _audit(self, owner: int, created_ms: int, modified_ms: int, invalid: bool = False,
               deleted: bool = False) -> dict:
        by = self.owner(owner)
        return {"owner": by, "life_status": "invalid" if invalid else "normal", "is_deleted": deleted,
                "create_time": created_ms, "created_by": by, "last_modified_time": modified_ms,
                "last_modified_by": by}

    def city(self, a: int) -> str:
        account = self.plan.account(a)
        if account.universe_company is not None:
            return self.plan.universe.company(account.universe_company).city.name
        return self.plan.own_company(a).city.name

    def account(self, a: int) -> dict:
        plan, account = self.plan, self.plan.account(a)
        modified = min(account.created_ms + plan.spread(a + 13, 5 * DAY_MS), plan.timeline.horizon_ms)
        return _present({"_id": fx_id("AccountObj", a), "name": account.name, "industry": account.industry.label_zh,
                         "address": self.city(a), "url": f"www.{account.domain}",
                         **self._audit(account.owner, account.created_ms, modified)})

    def contact(self, k: int) -> dict:
        contact = self.plan.contact(k)
        return _present({"_id": fx_id("ContactObj", k), "name": contact.last_name + contact.first_name,
                         "account_id": fx_id("AccountObj", contact.account),
                         "account_id__r": self.plan.account(contact.account).name, "mobile1": contact.phone,
                         "email": contact.email, "job_title": JOB_TITLES_ZH.get(contact.title, contact.title),
                         **self._audit(contact.owner, contact.created_ms, contact.created_ms)})

    def lead(self, n: int) -> dict:
        plan, lead = self.plan, self.plan.lead(n)
        converted = lead.contact is not None
        deal = plan.converted_deal_of_contact(lead.contact) if converted else None
        deleted = lead.deleted_ms is not None
        modified = lead.deleted_ms if deleted else lead.modified_ms
        return _present({
            "_id": fx_id("LeadsObj", n), "name": lead.last_name + lead.first_name, "company": lead.company,
            "mobile": lead.phone, "email": lead.email, "job_title": JOB_TITLES_ZH.get(lead.title, lead.title),
            "source": LEAD_SOURCES[lead.source][0], "biz_status": LEAD_STATUS[lead.status][0],
            "transform_time": lead.modified_ms if converted else None,
            "account_id": fx_id("AccountObj", plan.contact(lead.contact).account) if converted else None,
            "contact_id": fx_id("ContactObj", lead.contact) if converted else None,
            "new_opportunity_id": fx_id("NewOpportunityObj", deal) if deal is not None else None,
            **self._audit(lead.owner, lead.created_ms, modified, invalid=deleted, deleted=deleted),
        })

    def deal_is_purged(self, deal: Deal) -> bool:
        """Of the 作废 (invalid) deals, about half were then deleted from the recycle bin too."""
        return deal.deleted_ms is not None and self.plan.spread(deal.index + 29, 2) == 0

    def opportunity(self, deal: Deal) -> dict:
        plan, final = self.plan, deal.final
        value, _, probability = _stage_of(final)
        stage_moves = [c.ms for c in deal.changes if c.what not in ("amount", "close_date")]
        lost = None
        if deal.lost_category:
            wordings = CHINESE_LOST_REASONS[deal.lost_category]
            lost = wordings[plan.spread(deal.index + 31, len(wordings))]
        contact = plan.contact(deal.contact)
        from_lead = plan.converted_deal_of_contact(deal.contact) == deal.index and contact.lead_created_ms
        product = PRODUCTS_ZH[plan.spread(deal.index + 17, len(PRODUCTS_ZH))]
        record = {
            "_id": fx_id("NewOpportunityObj", deal.index), "name": f"{plan.account(deal.account).name}-{product}",
            "account_id": fx_id("AccountObj", deal.account), "account_id__r": plan.account(deal.account).name,
            "contact_id": fx_id("ContactObj", deal.contact), "contact_id__r": contact.last_name + contact.first_name,
            "leads_id": fx_id("LeadsObj", deal.contact) if from_lead else None, "amount": f"{final.amount}.00",
            "sales_stage": value, "probability": probability, "close_date": china_midnight_ms(final.close_day),
            "sales_process_id": SALES_PROCESS[0], "sales_process_id__r": SALES_PROCESS[1], "lost_reason": lost,
            "stg_changed_time": stage_moves[-1],
            **self._audit(deal.owner, deal.created_ms, deal.modified_ms, invalid=deal.deleted_ms is not None,
                          deleted=self.deal_is_purged(deal)),
        }
        if plan.has_partner_field(deal):
            record[PARTNER_FIELD] = PARTNER_CHANNELS_ZH.get(deal.partner_channel)
        return _present(record)

    def stage_changes(self, deal: Deal, first_number: int) -> list[dict]:
        """One record per save that moved the stage (creation, moves, 赢单/输单, reopening), oldest first; those
        of a 作废 deal are 作废 with it."""
        rows, before = [], None
        name = f"{self.plan.account(deal.account).name}"
        invalid, purged = deal.deleted_ms is not None, self.deal_is_purged(deal)
        for change in deal.changes:
            if change.what in ("amount", "close_date"):
                continue
            number = first_number + len(rows)
            after = _stage_of(change)[0]
            modified = deal.deleted_ms if invalid else change.ms
            rows.append(_present({
                "_id": fx_id("NewOpportunityStageChangeObj", number), "name": f"SC{number:08d}",
                "new_opportunity_id": fx_id("NewOpportunityObj", deal.index), "new_opportunity_id__r": name,
                "before_stage": before, "after_stage": after, "change_time": change.ms,
                "changed_by": self.owner(deal.owner),
                **self._audit(deal.owner, change.ms, modified, invalid=invalid, deleted=purged),
            }))
            before = after
        return rows


def write_fxiaoke(out_dir: Path, plan: ChinaPlan, log: FileLog) -> dict[str, int]:
    """Writes fxiaoke/*.jsonl and describe/*.json; returns counts for the manifest."""
    folder = out_dir / "fxiaoke"
    tenant = FxiaokeTenant(plan)
    write_jsonl(folder / "employees.jsonl", log, (tenant.employee(u) for u in plan.users))
    write_jsonl(folder / "departments.jsonl", log, tenant.departments())
    write_jsonl(folder / "AccountObj.jsonl", log, (tenant.account(a) for a in range(plan.n_accounts)))
    write_jsonl(folder / "ContactObj.jsonl", log, (tenant.contact(k) for k in range(plan.n_contacts)))
    leads = JsonlWriter(folder / "LeadsObj.jsonl", log)
    converted = invalid_leads = 0
    for n in range(plan.n_leads):
        record = tenant.lead(n)
        converted += record["biz_status"] == "transformed"
        invalid_leads += record["life_status"] == "invalid"
        leads.write(record)
    leads.close()
    deals = JsonlWriter(folder / "NewOpportunityObj.jsonl", log)
    changes = JsonlWriter(folder / "NewOpportunityStageChangeObj.jsonl", log)
    invalid = purged = 0
    for d in range(plan.n_deals):
        deal = plan.deal(d)
        record = tenant.opportunity(deal)
        invalid += record["life_status"] == "invalid"
        purged += record["is_deleted"]
        deals.write(record)
        for row in tenant.stage_changes(deal, changes.rows + 1):
            changes.write(row)
    deals.close()
    changes.close()
    for api_name in FIELDS:
        path = folder / "describe" / f"{api_name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(describe(api_name), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        log.record(path, len(FIELDS[api_name][1]))
    return {
        "fxiaoke_employees": len(plan.users),
        "fxiaoke_accounts": plan.n_accounts,
        "fxiaoke_contacts": plan.n_contacts,
        "fxiaoke_leads": plan.n_leads,
        "fxiaoke_leads_converted": converted,
        "fxiaoke_leads_invalid": invalid_leads,
        "fxiaoke_opportunities": plan.n_deals,
        "fxiaoke_opportunities_invalid": invalid,
        "fxiaoke_opportunities_deleted": purged,
        "fxiaoke_stage_changes": changes.rows,
    }
