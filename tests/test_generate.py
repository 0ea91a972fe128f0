"""Tests for the deterministic demo-data generator (funnelhouse.generate)."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from funnelhouse.generate import generate

AS_OF = date(2026, 9, 30)
HORIZON = "2026-09-30T10:00:00.000Z"  # as_of 18:00 Beijing: nothing may be later
TRACKER_HEADER = [
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

# Computed once with seed=42, scale=1, as_of=2026-09-30 and pinned here: any change to the generator
# that changes these numbers changes the demo data everybody downstream relies on.
EXPECTED_COUNTS_SCALE_1 = {
    "crm_owners": 12,
    "crm_companies": 120,
    "crm_contacts": 250,
    "crm_contacts_from_forms": 104,
    "crm_deals": 200,
    "crm_deals_archived": 8,
    "crm_stage_changes": 869,
    "deals": 400,
    "east_tracker_deals": 80,
    "south_tracker_deals": 60,
    "english_export_deals": 60,
    "stage_changes": 1779,
    "stage_history_rows": 1156,
    "leads": 800,
    "lead_people": 729,
    "leads_typeform": 333,
    "leads_jinshuju": 254,
    "leads_website": 213,
    "files": 74,  # 48 + salesforce/ 7 .jsonl and fields.json + pipedrive/ 8 .jsonl + zoho/ 7 .jsonl and 3 .json
}


def file_hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture(scope="module")
def scale_1(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("scale1")
    return out, generate(out, seed=42, scale=1.0, as_of=AS_OF)


def test_same_seed_gives_byte_identical_files(scale_1, tmp_path):
    out, _ = scale_1
    generate(tmp_path, seed=42, scale=1.0, as_of=AS_OF)
    first, second = file_hashes(out), file_hashes(tmp_path)
    assert first == second
    assert any(name.endswith(".xlsx") for name in first)


def test_different_seed_gives_different_data(scale_1, tmp_path):
    out, _ = scale_1
    generate(tmp_path, seed=7, scale=1.0, as_of=AS_OF)
    first, second = file_hashes(out), file_hashes(tmp_path)
    for name in (
        "crm/deals.jsonl",
        "crm/contacts.jsonl",
        "forms/export/website_leads.jsonl",
        "spreadsheets/销售跟进表_华东.xlsx",
        "spreadsheets/销售跟进表_华南.csv",
    ):
        assert first[name] != second[name], name


def test_counts_at_scale_1(scale_1):
    out, counts = scale_1
    # the Salesforce and Pipedrive counts are pinned with their files in test_generate_vendors.py, Zoho's in
    # test_zoho_emulator.py
    vendors = ("salesforce_", "pipedrive_", "zoho_")
    assert {k: v for k, v in counts.items() if not k.startswith(vendors)} == EXPECTED_COUNTS_SCALE_1
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"] == counts
    assert len(manifest["files"]) + 1 == counts["files"]
    assert "time" not in json.dumps(manifest).lower().replace("timeline", "")


def test_manifest_rows_match_jsonl_files(scale_1):
    out, _ = scale_1
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        if entry["path"].endswith(".jsonl"):
            text = (out / entry["path"]).read_text(encoding="utf-8")
            assert len(text.splitlines()) == entry["rows"], entry["path"]


def test_layout(scale_1):
    out, _ = scale_1
    typeform = sorted((out / "forms" / "typeform").glob("form_responses_*.jsonl"))
    jinshuju = sorted((out / "forms" / "jinshuju").glob("entries_*.jsonl"))
    assert [p.name for p in typeform][0] == "form_responses_2025-04.jsonl"
    assert [p.name for p in typeform][-1] == "form_responses_2026-09.jsonl"
    assert len(typeform) == len(jinshuju) == 18
    for name in (
        "forms/export/website_leads.jsonl",
        "spreadsheets/销售跟进表_华东.xlsx",
        "spreadsheets/销售跟进表_华南.csv",
        "spreadsheets/pipeline_export_en.csv",
        "spreadsheets/pipeline_export_en_stage_history.csv",
        "spreadsheets/marketing_spend.csv",
        "crm/owners.jsonl",
        "crm/pipelines.json",
        "crm/companies.jsonl",
        "crm/contacts.jsonl",
        "crm/deals.jsonl",
        "manifest.json",
    ):
        assert (out / name).is_file(), name


def test_exactly_one_truncated_forms_line(scale_1):
    out, _ = scale_1
    broken = []
    for path in sorted((out / "forms").rglob("*.jsonl")):
        data = path.read_bytes()
        for number, line in enumerate(data.split(b"\n")):
            if line:
                try:
                    json.loads(line)
                except json.JSONDecodeError:
                    broken.append((path.name, number, data.endswith(b"\n")))
    assert broken == [("form_responses_2026-09.jsonl", broken[0][1], False)]


def test_typeform_and_jinshuju_payload_shapes(scale_1):
    out, _ = scale_1
    payload = jsonl(out / "forms" / "typeform" / "form_responses_2026-03.jsonl")[0]
    assert payload["event_type"] == "form_response"
    response = payload["form_response"]
    assert response["form_id"] == response["definition"]["id"] == "FHlead01"
    assert {f["ref"] for f in response["definition"]["fields"]} == {
        "name",
        "email",
        "phone",
        "company",
        "industry",
        "company_size",
        "message",
    }
    assert response["submitted_at"].endswith("Z") and response["landed_at"] < response["submitted_at"]
    refs = [a["field"]["ref"] for a in response["answers"]]
    assert refs[:2] == ["name", "email"]
    entry_payload = jsonl(out / "forms" / "jinshuju" / "entries_2026-03.jsonl")[0]
    assert entry_payload["form"] == "fhTrial" and entry_payload["form_name"] == "产品试用申请"
    entry = entry_payload["entry"]
    for key in (
        "serial_number",
        "field_1",
        "field_2",
        "field_3",
        "field_4",
        "field_5",
        "field_6",
        "field_7",
        "creator_name",
        "created_at",
        "updated_at",
        "info_remote_ip",
    ):
        assert key in entry
    website = jsonl(out / "forms" / "export" / "website_leads.jsonl")
    assert website[0]["submission_id"] == "WS-000001" and website[0]["form"] == "website_contact"


def test_repeat_submitters_and_cross_source_people(scale_1):
    out, _ = scale_1
    emails: list[str] = []
    for path in (out / "forms").rglob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if "form_response" in obj:
                emails += [a["email"] for a in obj["form_response"]["answers"] if a["type"] == "email"]
            elif "entry" in obj:
                emails.append(obj["entry"]["field_3"])
            else:
                emails.append(obj["email"])
    normalized = [e.strip().lower() for e in emails]
    # seed 42 pins them: 799 submissions carry an email, 724 distinct once trimmed and lower-cased → 75 repeats
    # (~10 % submit twice); 104 of the 250 CRM contacts also sent a form
    assert (len(normalized), len(set(normalized))) == (799, 724)
    crm_emails = {c["properties"]["email"] for c in jsonl(out / "crm" / "contacts.jsonl")}
    assert (len(crm_emails), len(crm_emails & set(normalized))) == (250, 104)


def test_gbk_tracker_csv(scale_1):
    out, _ = scale_1
    raw = (out / "spreadsheets" / "销售跟进表_华南.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    rows = list(csv.reader(raw.decode("gbk").splitlines()))
    assert rows[0] == TRACKER_HEADER
    assert rows[-1] == [""] * len(TRACKER_HEADER)  # blank trailing lines, as Excel saves them
    assert len([r for r in rows[1:] if any(r)]) == 60


def test_east_workbook_sheets_title_and_header(scale_1):
    out, _ = scale_1
    workbook = openpyxl.load_workbook(out / "spreadsheets" / "销售跟进表_华东.xlsx")
    assert workbook.sheetnames == ["进行中", "已结束"]
    data_rows = 0
    for sheet in workbook.worksheets:
        assert [str(r) for r in sheet.merged_cells.ranges] == ["A1:N1"]
        assert sheet["A1"].value.startswith("华东区销售跟进表（2026年9月）")
        assert [c.value for c in sheet[2]] == TRACKER_HEADER
        rows = list(sheet.iter_rows(min_row=3, values_only=True))
        assert all(v in (None, "") for v in rows[-1])
        data_rows += len([r for r in rows if any(v not in (None, "") for v in r)])
    assert data_rows == 80


def test_english_export_and_history(scale_1):
    out, _ = scale_1
    with open(out / "spreadsheets" / "pipeline_export_en.csv", encoding="utf-8-sig", newline="") as f:
        deals = list(csv.DictReader(f))
    assert (out / "spreadsheets" / "pipeline_export_en.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert len(deals) == 60
    with open(
        out / "spreadsheets" / "pipeline_export_en_stage_history.csv", encoding="utf-8-sig", newline=""
    ) as f:
        history = list(csv.DictReader(f))
    assert list(history[0]) == ["Deal ID", "From Stage", "To Stage", "Changed At", "Changed By"]
    for deal in deals:
        moves = [h for h in history if h["Deal ID"] == deal["Deal ID"]]
        assert moves[0]["From Stage"] == "" and moves[-1]["To Stage"] == deal["Stage"]
    order = ["Lead", "Interested", "Qualified", "Proposal", "Negotiation"]
    backward = [
        h
        for h in history
        if h["From Stage"] in order
        and h["To Stage"] in order
        and order.index(h["To Stage"]) < order.index(h["From Stage"])
    ]
    assert backward


def test_crm_deals_history_and_archiving(scale_1):
    out, _ = scale_1
    deals = jsonl(out / "crm" / "deals.jsonl")
    assert [int(d["id"]) for d in deals] == sorted(int(d["id"]) for d in deals)
    for deal in deals:
        history = deal["propertiesWithHistory"]["dealstage"]
        assert deal["properties"]["dealstage"] == history[0]["value"]
        timestamps = [h["timestamp"] for h in history]
        assert timestamps == sorted(timestamps, reverse=True)
        assert timestamps[-1] == deal["properties"]["createdate"] == deal["createdAt"]
        assert deal["updatedAt"] == deal["properties"]["hs_lastmodifieddate"] <= HORIZON
        assert all(isinstance(v, str) or v is None for v in deal["properties"].values())
        if deal["archived"]:
            assert deal["archivedAt"] > deal["updatedAt"]
        else:
            assert "archivedAt" not in deal
    assert sum(d["archived"] for d in deals) == EXPECTED_COUNTS_SCALE_1["crm_deals_archived"]
    lost = [d for d in deals if d["properties"]["dealstage"] in ("closedlost", "1006")]
    assert lost and all(d["properties"]["closed_lost_reason"] for d in lost)


def test_crm_contacts_companies_owners_pipelines(scale_1):
    out, _ = scale_1
    contacts = jsonl(out / "crm" / "contacts.jsonl")
    companies = {c["id"]: c for c in jsonl(out / "crm" / "companies.jsonl")}
    for contact in contacts:
        history = contact["propertiesWithHistory"]["lifecyclestage"]
        assert contact["properties"]["lifecyclestage"] == history[0]["value"]
        assert contact["updatedAt"] == contact["properties"]["lastmodifieddate"] <= HORIZON
        (company_id,) = contact["associations"]["companies"]
        assert contact["id"] in companies[company_id]["associations"]["contacts"]
    owners = jsonl(out / "crm" / "owners.jsonl")
    assert len({o["teams"][0]["name"] for o in owners}) == 3
    pipelines = json.loads((out / "crm" / "pipelines.json").read_text(encoding="utf-8"))["results"]
    assert [s["id"] for s in pipelines[0]["stages"]] == [
        "appointmentscheduled",
        "qualifiedtobuy",
        "presentationscheduled",
        "decisionmakerboughtin",
        "contractsent",
        "closedwon",
        "closedlost",
    ]
    assert [s["id"] for s in pipelines[1]["stages"]] == ["1001", "1002", "1003", "1004", "1005", "1006"]


def test_marketing_spend(scale_1):
    out, _ = scale_1
    with open(out / "spreadsheets" / "marketing_spend.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["月份", "渠道", "花费(元)"]
    assert len(rows) == 1 + 18 * 7
    assert {r[1] for r in rows[1:]} == {
        "百度搜索",
        "微信广告",
        "官网自然流量",
        "展会",
        "客户推荐",
        "LinkedIn",
        "邮件营销",
    }
    assert rows[1][0] == "2025-04" and rows[-1][0] == "2026-09"


def test_small_scale_works(tmp_path):
    counts = generate(tmp_path, seed=3, scale=0.1, as_of=AS_OF)
    assert counts["deals"] == 40 and counts["leads"] == 80
    assert (tmp_path / "spreadsheets" / "销售跟进表_华东.xlsx").is_file()
    assert (tmp_path / "forms" / "typeform" / "form_responses_2026-09.jsonl").is_file()
