"""Forms source on payloads shaped as Typeform and 金数据 document them (tests/fixtures/forms/vendor/README.md):
exact lead fields, quarantine reasons, forms.yaml errors, and a forms.yaml fix re-reading the files it maps."""
from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from ingestion.common.parsing import FieldError
from ingestion.common.reconcile import Reconciliation
from ingestion.forms import DEFAULT_MAPPING, ENTITY_TABLES, FormsConfigError, forms_source, load_mapping
from ingestion.forms.values import submitted_at
from ingestion.pipeline import make_pipeline, run_source
from support.warehouse import query as query_warehouse

TIME_FORMATS = "ISO 8601 such as 2025-03-05T10:22:01Z or +08:00, 2025-03-05 10:22:01 UTC, or epoch milliseconds"
# the 金数据 form of the docs example has its own field numbering; every other form token uses the default map
RYGPW3 = {"field_1": "name", "field_16": "company", "field_4": "phone", "field_17": "email", "field_6": "message",
          "field_9": "attachments", "x_field_1": "channel"}
COLUMNS = ("submission_id, form_id, form_name, submitted_at, email, phone, name, company, industry, company_size, "
           "message, utm_source, utm_medium, utm_campaign, utm_term, utm_content, channel, attachments")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def write_config(tmp_path: Path, form_map: dict[str, str]) -> Path:
    document = yaml.safe_load(DEFAULT_MAPPING.read_text(encoding="utf-8"))
    document["jinshuju"]["forms"] = {"RygpW3": {"entry_fields": form_map}}
    path = tmp_path / "forms.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def load(drop: Path, tmp_path: Path, config: Path):
    recon = Reconciliation("forms")
    pipeline = make_pipeline("forms", warehouse=tmp_path / "w.duckdb", pipelines_dir=tmp_path / "pl")
    source = forms_source(drop_dir=str(drop), mapping_path=str(config), reconciliation=recon)
    summary = run_source("forms", source, recon, ENTITY_TABLES, pipeline)
    return {t.input_name: (t.rows_read, t.rows_loaded, t.rows_quarantined, t.status) for t in summary.tallies}


def query(tmp_path: Path, sql: str) -> list[tuple]:
    return query_warehouse(tmp_path / "w.duckdb", f"set TimeZone = 'UTC'; {sql}")


@pytest.fixture
def drop(tmp_path: Path, fixtures_dir: Path) -> Path:
    target = tmp_path / "forms"
    shutil.copytree(fixtures_dir / "forms" / "vendor", target, ignore=shutil.ignore_patterns("*.md"))
    return target


def test_vendor_payloads_load_with_exact_lead_fields(drop: Path, tmp_path: Path) -> None:
    tallies = load(drop, tmp_path, write_config(tmp_path, RYGPW3))
    assert tallies == {
        "typeform/example_payload.json": (1, 1, 0, "loaded"),
        "typeform/stock_contact_form.jsonl": (6, 2, 4, "loaded"),
        "jinshuju/pushes.jsonl": (6, 4, 2, "loaded"),
    }
    # input rows = loaded + quarantined: 13 = 7 + 6
    totals = "select sum(rows_read), sum(rows_loaded), sum(rows_quarantined) from raw_forms.reconciliation"
    assert query(tmp_path, totals) == [(13, 7, 6)]
    rows = query(tmp_path, f"select {COLUMNS} from raw_forms.form_submissions order by submission_id")
    url = "https://jinshuju.net/attachments/RygpW3/2/"
    upload = ("https://api.typeform.com/forms/Kt3vR8pQ/responses/5b1d9f3c7a2e4c6b8d0f1a3c5e7b9d2f/fields/Up3wX4yZ5aB6"
              "/files/3f9a1c7e5b2d-requirements.pdf")
    assert rows == [
        # 金数据, docs entry shape: phone as {"value", "verified"}, time with milliseconds and Z
        ("jinshuju:RygpW3-1", "RygpW3", "展会报名表", utc(2024, 12, 2, 3, 4, 5, 678000), "xiaojin@example.cn",
         "+8618612345678", "小金", "金桥软件", None, None, "想了解企业版价格", None, None, None, None, None,
         "wechat_article", None),
        # 'YYYY-MM-DD HH:MM:SS UTC'; two uploaded files kept as links; a landline phone object
        ("jinshuju:RygpW3-2", "RygpW3", "展会报名表", utc(2024, 12, 2, 8, 30), None, "+8657187654321", "周敏",
         "西湖物流", None, None, None, None, None, None, None, None, None,
         f"{url}quote-request.pdf {url}floor-plan.png"),
        # no serial_number: id = 'h' + first 16 hex of sha256 over the entry's sorted-key JSON; epoch ms 1733130000000
        ("jinshuju:RygpW3-h10a26b3cee79ac4f", "RygpW3", "展会报名表", utc(2024, 12, 2, 9), "chen.li@example.cn",
         "+8613700002222", "陈立", None, None, None, None, None, None, None, None, None, None, None),
        # another form token: the default map; 10:00 at +08:00 is 02:00 UTC
        ("jinshuju:fhTrial-7", "fhTrial", "产品试用申请", utc(2024, 12, 3, 2), "wang.fang@example.cn",
         "+8613900001111", "王芳", "远山教育", None, None, None, None, None, None, None, None, None, None),
        # stock template, no configuration: type (email, phone_number, file_upload), then titles; hidden UTM + source
        ("typeform:5b1d9f3c7a2e4c6b8d0f1a3c5e7b9d2f", "Kt3vR8pQ", "Contact us", utc(2024, 11, 6, 2, 15, 44),
         "zhang.wei@example.cn", "+8613812345678", "Wei", "Hangzhou Lakeside Robotics", "Manufacturing", "50-199",
         "We need a quote for 40 seats.", "baidu", "cpc", "q4_brand", "crm software", "ad_b", "partner_site", upload),
        # refs named after lead fields; the answer of type email beats the short_text whose ref is "email"
        ("typeform:7c3e1a5f9b4d2e8c6a0b4d8f2e6a1c3b", "Kt3vR8pQ", "Partner sign-up", utc(2024, 11, 6, 3, 20),
         "li.na@example.cn", None, "Li Na", "Chengdu Panda Foods", None, None, None, "wechat", None, None, None, None,
         None, None),
        # the documentation example: email by type, name by the title "What is your first name?"
        ("typeform:9f2c1e7a5b3d4c6e8a0b2d4f6a8c0e1f", "hG4kWq7Z", "City survey", utc(2024, 11, 5, 9, 41, 27),
         "laura.chen@example.com", None, "Laura", None, None, None, None, None, None, None, None, None, None, None),
    ]


def test_malformed_times_and_wrong_json_types_are_quarantined(drop: Path, tmp_path: Path) -> None:
    load(drop, tmp_path, write_config(tmp_path, RYGPW3))
    sql = "select input_name, row_number, field, raw_value, reason from raw_forms.quarantine order by 1, 2"
    rows = query(tmp_path, sql)
    assert rows == [
        ("jinshuju/pushes.jsonl", 5, "submitted_at", "2024-02-30 10:00:00 UTC",
         f"entry.created_at: unparseable timestamp '2024-02-30 10:00:00 UTC' (use {TIME_FORMATS})"),
        ("jinshuju/pushes.jsonl", 6, "entry", '[{"serial_number": 6, "field_1": "钱伟"}]',
         "entry: expected a JSON object, got array"),
        ("typeform/stock_contact_form.jsonl", 3, "form_response.answers", '{"email": "wrong.shape@example.cn"}',
         "form_response.answers: expected a JSON array, got object"),
        ("typeform/stock_contact_form.jsonl", 4, "form_response.hidden", '["utm_source=baidu"]',
         "form_response.hidden: expected a JSON object, got array"),
        ("typeform/stock_contact_form.jsonl", 5, "submitted_at", "2024-11-07T25:10:00Z",
         f"form_response.submitted_at: unparseable timestamp '2024-11-07T25:10:00Z' (use {TIME_FORMATS})"),
        ("typeform/stock_contact_form.jsonl", 6, "submitted_at", "2024-11-07",
         f"form_response.submitted_at: unparseable timestamp '2024-11-07' (use {TIME_FORMATS})"),
    ]
    # neither bad time became a (midnight) row
    bad_tokens = "'typeform:badtime00000000000000000000000c', 'typeform:dateonly0000000000000000000000d'"
    sql = f"select count(*) from raw_forms.form_submissions where submission_id in ({bad_tokens})"
    assert query(tmp_path, sql) == [(0,)]


def test_a_forms_yaml_fix_rereads_the_files_it_maps(drop: Path, tmp_path: Path) -> None:
    without_phone = {key: value for key, value in RYGPW3.items() if key != "field_4"}
    first = load(drop, tmp_path, write_config(tmp_path, without_phone))
    # RygpW3 row 2 has only a phone: unmapped, it has no contact -> 3 loaded, 3 quarantined
    assert first["jinshuju/pushes.jsonl"] == (6, 3, 3, "loaded")

    fixed = load(drop, tmp_path, write_config(tmp_path, RYGPW3))
    assert fixed == {
        "typeform/example_payload.json": (0, 0, 0, "unchanged"),
        "typeform/stock_contact_form.jsonl": (0, 0, 0, "unchanged"),
        "jinshuju/pushes.jsonl": (6, 4, 2, "loaded"),
    }
    sql = "select phone from raw_forms.form_submissions where submission_id = 'jinshuju:RygpW3-2'"
    assert query(tmp_path, sql) == [("+8657187654321",)]
    again = load(drop, tmp_path, write_config(tmp_path, RYGPW3))
    assert {status for *_, status in again.values()} == {"unchanged"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("typeform:\n  hiden: {utm: channel}\n",
         "forms.yaml: typeform.hiden: unknown key (known: globs, answers_by_ref, title_keywords, hidden)"),
        ("jinshuju:\n  forms:\n    RygpW3:\n      entry_fields: {field_4: mobile}\n",
         "forms.yaml: jinshuju.forms.RygpW3.entry_fields.field_4: expected a lead field (name, email, phone, company, "
         "industry, company_size, message, attachments, utm_source, utm_medium, utm_campaign, utm_term, utm_content, "
         "channel), not 'mobile'"),
        ("export:\n  globs: export/*.jsonl\n", "forms.yaml: export.globs: expected a list, not 'export/*.jsonl'"),
        ("hubspot: {}\n", "forms.yaml: hubspot: unknown key (known: typeform, jinshuju, export)"),
    ],
)
def test_forms_yaml_errors_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "forms.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FormsConfigError) as error:
        load_mapping(path)
    assert str(error.value) == message


def test_the_shipped_forms_yaml_is_valid() -> None:
    assert sorted(load_mapping().tools()) == ["export", "jinshuju", "typeform"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-12-02T03:04:05.678Z", utc(2024, 12, 2, 3, 4, 5, 678000)),
        ("2024-12-02T11:04:05+08:00", utc(2024, 12, 2, 3, 4, 5)),
        ("2024-12-02 03:04:05 UTC", utc(2024, 12, 2, 3, 4, 5)),
        (1733130000000, utc(2024, 12, 2, 9)),  # 1,733,130,000 s = 20,059 days (2024-12-02) + 32,400 s (09:00)
        ("1733130000000", utc(2024, 12, 2, 9)),
    ],
)
def test_vendor_time_formats(value, expected) -> None:
    assert submitted_at(value, "entry.created_at") == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (1733130000, f"entry.created_at: number 1733130000 is not epoch milliseconds (use {TIME_FORMATS})"),
        (True, f"entry.created_at: not a timestamp: True (use {TIME_FORMATS})"),
        ("2024-12-02", f"entry.created_at: unparseable timestamp '2024-12-02' (use {TIME_FORMATS})"),
        ("2024-12-02 24:00:00 UTC",
         f"entry.created_at: unparseable timestamp '2024-12-02 24:00:00 UTC' (use {TIME_FORMATS})"),
        ("", "entry.created_at: submission time is missing"),
    ],
)
def test_bad_times_name_the_field_and_the_value(value, reason) -> None:
    with pytest.raises(FieldError) as error:
        submitted_at(value, "entry.created_at")
    assert (error.value.field, error.value.reason) == ("submitted_at", reason)


def test_a_stock_typeform_maps_with_an_empty_section(drop: Path, tmp_path: Path) -> None:
    config = tmp_path / "forms.yaml"
    config.write_text("typeform: {}\n", encoding="utf-8")  # no jinshuju section: its files are not read
    assert load(drop, tmp_path, config) == {
        "typeform/example_payload.json": (1, 1, 0, "loaded"),
        "typeform/stock_contact_form.jsonl": (6, 2, 4, "loaded"),
    }
    sql = "select name, company, company_size, industry, message, channel from raw_forms.form_submissions order by 1"
    assert query(tmp_path, sql) == [
        ("Laura", None, None, None, None, None),
        ("Li Na", "Chengdu Panda Foods", None, None, None, None),
        ("Wei", "Hangzhou Lakeside Robotics", "50-199", "Manufacturing", "We need a quote for 40 seats.", "partner_site"),
    ]
