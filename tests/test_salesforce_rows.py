"""Salesforce rows and SOQL: records shaped as the REST query and Bulk API 2.0 docs show them become the same typed
rows; the SOQL text for first and incremental reads; describe decides the fields; bad values name what to do."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pyarrow as pa
import pytest
from dlt.common.normalizers.naming.snake_case import NamingConvention

from ingestion.common.parsing import FieldError
from ingestion.salesforce.rows import COLUMNS, SCHEMAS, csv_records, row_reader, sobject_schema, text_lines
from ingestion.salesforce.settings import (
    OPPORTUNITIES,
    OPPORTUNITY_HISTORY,
    OPPORTUNITY_STAGES,
    SOBJECTS,
    count_soql,
    query_field_types,
    soql,
)
from ingestion.common.api_values import column_name

UTC = timezone.utc


def describe(spec, drop=(), custom=()):
    """describe's `fields` for the spec's standard fields (less `drop`), plus custom (name, type) pairs."""
    fields = [{"name": name, "type": kind, "label": name, "custom": name.endswith("__c"), "compoundFieldName": None}
              for name, kind in spec.fields.items() if name not in drop]
    fields.append({"name": "BillingAddress", "type": "address", "custom": False, "compoundFieldName": None})
    return fields + [{"name": name, "type": kind, "custom": True, "compoundFieldName": None} for name, kind in custom]


CUSTOM = (("Partner_Channel__c", "picklist"), ("Discount__c", "percent"))
OPP_TYPES = query_field_types(OPPORTUNITIES, describe(OPPORTUNITIES, custom=CUSTOM))

# A query record as /services/data/v62.0/query returns it (attributes, +0000 datetimes, JSON numbers and booleans)
OPPORTUNITY = {
    "attributes": {"type": "Opportunity", "url": "/services/data/v62.0/sobjects/Opportunity/006RO00000AbCdEYAZ"},
    "Id": "006RO00000AbCdEYAZ", "IsDeleted": False, "CreatedDate": "2026-01-12T09:30:00.000+0000",
    "CreatedById": "005RO0000012AbcYAE", "LastModifiedDate": "2026-03-05T14:02:11.000+0000",
    "LastModifiedById": "005RO0000012AbcYAE", "SystemModstamp": "2026-03-05T14:02:11.000+0000",
    "Name": "Acme - 200 Widgets", "AccountId": "001RO00000XyZabYAB", "ContactId": None, "StageName": "Closed Lost",
    "Amount": 12000.5, "CurrencyIsoCode": "USD", "Probability": 0, "ExpectedRevenue": 0, "CloseDate": "2026-03-05",
    "Type": "New Customer",
    "LeadSource": "Web", "IsClosed": True, "IsWon": False, "ForecastCategory": "Omitted",
    "ForecastCategoryName": "Omitted", "OwnerId": "005RO0000012AbcYAE",
    "LastStageChangeDate": "2026-03-04T23:59:59.000-0800", "FiscalYear": 2026, "FiscalQuarter": 1,
    "Loss_Reason__c": "Price", "Partner_Channel__c": None, "Discount__c": 7.5,
}
# The same record from a Bulk API 2.0 result: CSV, SELECT order, every value quoted, Z datetimes, null = empty
BULK_CSV = (
    '"' + '","'.join(OPP_TYPES) + '"\n'
    '"006RO00000AbCdEYAZ","false","2026-01-12T09:30:00.000Z","005RO0000012AbcYAE","2026-03-05T14:02:11.000Z",'
    '"005RO0000012AbcYAE","2026-03-05T14:02:11.000Z","Acme - 200 Widgets","001RO00000XyZabYAB","","Closed Lost",'
    '"12000.5","USD","0","0","2026-03-05","New Customer","Web","true","false","Omitted","Omitted",'
    '"005RO0000012AbcYAE",'
    '"2026-03-05T07:59:59.000Z","2026","1","Price","","7.5"\n'
)
EXPECTED = {
    "id": "006RO00000AbCdEYAZ", "is_deleted": False, "created_date": datetime(2026, 1, 12, 9, 30, tzinfo=UTC),
    "created_by_id": "005RO0000012AbcYAE", "last_modified_date": datetime(2026, 3, 5, 14, 2, 11, tzinfo=UTC),
    "last_modified_by_id": "005RO0000012AbcYAE", "system_modstamp": datetime(2026, 3, 5, 14, 2, 11, tzinfo=UTC),
    "name": "Acme - 200 Widgets", "account_id": "001RO00000XyZabYAB", "contact_id": None,
    "stage_name": "Closed Lost", "amount": Decimal("12000.5"), "currency_iso_code": "USD", "probability": Decimal(0),
    "expected_revenue": Decimal(0),
    "close_date": date(2026, 3, 5), "type": "New Customer", "lead_source": "Web", "is_closed": True,
    "is_won": False, "forecast_category": "Omitted", "forecast_category_name": "Omitted",
    "owner_id": "005RO0000012AbcYAE",
    # 23:59:59 at -08:00 is 07:59:59 UTC the next day
    "last_stage_change_date": datetime(2026, 3, 5, 7, 59, 59, tzinfo=UTC), "fiscal_year": 2026,
    "fiscal_quarter": 1, "loss_reason_c": "Price", "partner_channel_c": None, "discount_c": Decimal("7.5"),
}


def test_soql_first_run_reads_every_listed_field_in_cursor_order():
    # BillingAddress (compound) is never read; the custom fields come after the standard ones
    assert soql(OPPORTUNITIES, describe(OPPORTUNITIES, custom=CUSTOM)) == (
        "SELECT Id, IsDeleted, CreatedDate, CreatedById, LastModifiedDate, LastModifiedById, SystemModstamp, Name, "
        "AccountId, ContactId, StageName, Amount, CurrencyIsoCode, Probability, ExpectedRevenue, CloseDate, Type, "
        "LeadSource, IsClosed, IsWon, "
        "ForecastCategory, ForecastCategoryName, OwnerId, LastStageChangeDate, FiscalYear, FiscalQuarter, "
        "Loss_Reason__c, Partner_Channel__c, Discount__c FROM Opportunity ORDER BY SystemModstamp ASC"
    )


def test_soql_incremental_run_starts_after_the_saved_cursor():
    # the saved cursor as Salesforce wrote it; the literal is the documented YYYY-MM-DDThh:mm:ssZ form
    fields = describe(OPPORTUNITY_STAGES)
    assert soql(OPPORTUNITY_STAGES, fields, "2026-03-05T14:02:11.000+0000") == (
        "SELECT Id, CreatedDate, CreatedById, LastModifiedDate, LastModifiedById, SystemModstamp, ApiName, "
        "MasterLabel, Description, IsActive, IsClosed, IsWon, SortOrder, DefaultProbability, ForecastCategory, "
        "ForecastCategoryName FROM OpportunityStage WHERE SystemModstamp > 2026-03-05T14:02:11Z "
        "ORDER BY SystemModstamp ASC"
    )
    # a cursor 0.9 s into a second starts at that second: rows of it are read again (merged), none skipped;
    # an offset is converted to UTC
    assert count_soql(OPPORTUNITY_HISTORY, datetime(2026, 3, 5, 15, 2, 11, 900000,
                                                         tzinfo=timezone(timedelta(hours=1)))) == (
        "SELECT COUNT() FROM OpportunityHistory WHERE SystemModstamp > 2026-03-05T14:02:11Z")


def test_soql_leaves_out_a_standard_field_the_org_does_not_have():
    # a single-currency org: describe lists no CurrencyIsoCode (nor the custom Loss_Reason__c here)
    fields = describe(OPPORTUNITY_HISTORY, drop=("CurrencyIsoCode",))
    assert soql(OPPORTUNITY_HISTORY, fields) == (
        "SELECT Id, IsDeleted, CreatedDate, CreatedById, SystemModstamp, OpportunityId, StageName, Amount, "
        "ExpectedRevenue, CloseDate, Probability, ForecastCategory, PrevAmount, PrevCloseDate "
        "FROM OpportunityHistory ORDER BY SystemModstamp ASC"
    )
    types = query_field_types(OPPORTUNITIES, describe(OPPORTUNITIES, drop=("CurrencyIsoCode", "Loss_Reason__c")))
    assert "CurrencyIsoCode" not in types and "Loss_Reason__c" not in types and len(types) == 25  # 7 audit + 20 - 2


def test_rest_record_becomes_typed_row():
    row = row_reader(OPPORTUNITIES, OPP_TYPES)(OPPORTUNITY)
    assert row == EXPECTED
    assert list(row) == list(EXPECTED)  # attributes dropped, one column per queried field, in SELECT order


def test_bulk_csv_row_equals_rest_row():
    records = list(csv_records(text_lines([BULK_CSV.encode()])))
    assert len(records) == 1 and records[0]["Partner_Channel__c"] is None
    assert row_reader(OPPORTUNITIES, OPP_TYPES)(records[0]) == EXPECTED


def test_a_field_missing_from_an_older_record_is_null_as_in_csv():
    # Partner_Channel__c was created after this record's last change: the key is absent, the column null
    record = {k: v for k, v in OPPORTUNITY.items() if k != "Partner_Channel__c"}
    assert row_reader(OPPORTUNITIES, OPP_TYPES)(record)["partner_channel_c"] is None


def test_custom_field_typed_by_describe_in_the_table_schema():
    schema = sobject_schema(OPPORTUNITIES, OPP_TYPES)
    assert schema.field("discount_c").type == pa.decimal128(38, 9)  # describe type percent
    assert schema.field("partner_channel_c").type == pa.string()
    assert schema.field("loss_reason_c").type == pa.string()
    assert schema.field("close_date").type == pa.date32()
    assert schema.field("fiscal_year").type == pa.int64()
    assert not schema.field("id").nullable
    table = pa.Table.from_pylist([row_reader(OPPORTUNITIES, OPP_TYPES)(OPPORTUNITY)], schema=schema)
    assert table.column("discount_c").to_pylist() == [Decimal("7.500000000")]
    assert table.column("amount").to_pylist() == [Decimal("12000.500000000")]


def test_raw_tables_are_declared_once_with_dlt_column_names():
    assert sorted(SCHEMAS) == ["accounts", "contacts", "leads", "opportunities", "opportunity_history",
                               "opportunity_stages", "users"]
    naming = NamingConvention()
    for spec in SOBJECTS:
        for name in spec.fields:
            assert column_name(name) == naming.normalize_identifier(name), name
    for name in ("Partner channel", "Discount %", "My2ndField__c", "URL__c", "End.", "8a1b2c", "a  b"):
        assert column_name(name) == naming.normalize_identifier(name), name
    assert list(COLUMNS["opportunity_history"]) == [
        "id", "is_deleted", "created_date", "created_by_id", "system_modstamp", "opportunity_id", "stage_name",
        "amount", "expected_revenue", "close_date", "probability", "forecast_category", "prev_amount",
        "prev_close_date", "currency_iso_code"]
    assert "is_deleted" not in COLUMNS["opportunity_stages"] and len(COLUMNS["users"]) == 21  # 7 audit + 14


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("Amount", "12k", "Amount is not a number: '12k'; correct the value in Salesforce"),
    ("Amount", 1e30, "Amount 1e+30 has more than 29 digits before the decimal point, more than the warehouse "
                     "holds; correct the value in Salesforce"),
    ("FiscalYear", 2026.5, "FiscalYear is not a whole number that fits 64 bits: 2026.5; correct the value in "
                           "Salesforce"),
    ("IsWon", "yes", "IsWon is not true or false: 'yes'; correct the value in Salesforce"),
    ("CloseDate", "03/05/2026", "CloseDate is not a date written YYYY-MM-DD: '03/05/2026'; correct the value in "
                                "Salesforce"),
    ("CloseDate", "2026-02-30", "CloseDate is not on the calendar: '2026-02-30'; correct the value in Salesforce"),
    ("CloseDate", "0026-03-05", "date '0026-03-05' is outside 1900-01-01 .. 2199-12-31; correct the year"),
    ("SystemModstamp", "2026-03-05T24:30:00Z", "SystemModstamp is not on the calendar: '2026-03-05T24:30:00Z'; "
                                               "correct the value in Salesforce"),
    ("SystemModstamp", "yesterday", "SystemModstamp is not a date and time such as 2026-03-05T14:02:11Z: "
                                    "'yesterday'; correct the value in Salesforce"),
    ("Name", {"first": "Acme"}, "Name is a JSON object where Salesforce sends text; check the field's type in "
                                "Salesforce and report the record if it is a plain text field"),
    ("Id", None, "the Opportunity record has no Id; report the raw record"),
])
def test_bad_value_raises_field_error_saying_what_to_do(field, value, reason):
    with pytest.raises(FieldError) as caught:
        row_reader(OPPORTUNITIES, OPP_TYPES)({**OPPORTUNITY, field: value})
    assert (caught.value.field, caught.value.raw_value, caught.value.reason) == (field, value, reason)


def test_bulk_csv_streams_across_chunk_boundaries_and_keeps_line_breaks_in_values():
    body = ('"Id","Name","Description"\r\n"00QRO0000001AAAAA1","Jane ""JD"" Dunn","line one\r\nline two"\r\n'
            '"00QRO0000002AAAAA2","Jürgen Groß",""\r\n').encode()
    chunks = [body[i:i + 7] for i in range(0, len(body), 7)]  # 7 bytes: splits ü and ß, and \r from \n
    assert list(csv_records(text_lines(chunks))) == [
        {"Id": "00QRO0000001AAAAA1", "Name": 'Jane "JD" Dunn', "Description": "line one\r\nline two"},
        {"Id": "00QRO0000002AAAAA2", "Name": "Jürgen Groß", "Description": None},
    ]
    assert list(csv_records(["Id|Name\n", "001|Acme\n"], "PIPE")) == [{"Id": "001", "Name": "Acme"}]
    assert list(csv_records([])) == []
