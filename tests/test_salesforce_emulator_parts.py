"""The Salesforce emulator's pure parts: SOQL subset, error texts, query paging, Bulk API 2.0 jobs, OAuth grants,
the daily cap, describe and the org's edits, over the hand-written org in tests/fixtures/salesforce/."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from emulators.salesforce.auth import TokenGrants
from emulators.salesforce.bulk import BulkJobs
from emulators.salesforce.describe import describe_global, describe_object
from emulators.salesforce.errors import SalesforceError
from emulators.salesforce.org import Org, SeedError, salesforce_id
from emulators.salesforce.paging import Cursors, batch_size

FIXTURE = Path(__file__).parent / "fixtures" / "salesforce"
OPP = "006Hx00000Opp00{}AA".format
FIELD_HINT = (
    "If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. "
    "Please reference your WSDL or the describe call for the appropriate names."
)


def fixed_clock() -> datetime:
    return datetime(2026, 12, 6, 18, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
def org() -> Org:
    return Org(FIXTURE, clock=fixed_clock)


def ids(rows) -> list[str]:
    return [row["Id"] for row in rows]


def big_org(tmp_path: Path, count: int) -> Org:
    """The fixture's fields with `count` opportunities Opp-1..Opp-count (one a second apart)."""
    shutil.copy(FIXTURE / "fields.json", tmp_path / "fields.json")
    with (tmp_path / "Opportunity.jsonl").open("w") as out:
        for n in range(1, count + 1):
            stamp = f"2026-03-01T{n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}.000+0000"
            record = {
                "Id": salesforce_id("006", n),
                "IsDeleted": False,
                "Name": f"Opp-{n}",
                "SystemModstamp": stamp,
            }
            out.write(json.dumps(record) + "\n")
    return Org(tmp_path)


# ---------------------------------------------------------------- SOQL
def test_where_datetime_literals_and_query_versus_query_all(org):
    # modstamps: Opp1 03-01 09:00, Opp2 03-05 14:02:11, Opp3 03-10 08:30, Opp4 (deleted) 03-12 10:00
    text = "SELECT Id FROM Opportunity WHERE SystemModstamp > 2026-03-01T09:00:00Z"
    assert ids(org.select(text, include_deleted=False)[1]) == [OPP(2), OPP(3)]
    assert ids(org.select(text, include_deleted=True)[1]) == [OPP(2), OPP(3), OPP(4)]
    same_instant = "SELECT Id FROM Opportunity WHERE SystemModstamp >= 2026-03-05T14:02:11.000+0000"
    assert ids(org.select(same_instant, include_deleted=False)[1]) == [OPP(2), OPP(3)]
    offset = "SELECT Id FROM Opportunity WHERE SystemModstamp <= 2026-03-05T15:02:11+01:00"  # = 14:02:11Z
    assert ids(org.select(offset, include_deleted=False)[1]) == [OPP(1), OPP(2)]


def test_order_limit_and_case_insensitive_names(org):
    query, rows = org.select(
        "select id, stagename from opportunity where isdeleted = false order by systemmodstamp desc limit 2",
        False,
    )
    assert ids(rows) == [OPP(3), OPP(2)]
    assert query.fields == ("Id", "StageName") and query.sobject == "Opportunity"
    rendered = Org.render(query, rows[0])
    assert rendered == {
        "attributes": {"type": "Opportunity", "url": f"/services/data/v62.0/sobjects/Opportunity/{OPP(3)}"},
        "Id": OPP(3),
        "StageName": "Closed Won",
    }


def test_string_in_null_and_number_filters(org):
    def run(where: str) -> list[str]:
        return ids(org.select(f"SELECT Id FROM Opportunity WHERE {where}", True)[1])

    assert run("StageName = 'closed won'") == [OPP(3)]  # SOQL compares strings case-insensitively
    assert run("StageName IN ('Closed Won', 'Closed Lost')") == [OPP(2), OPP(3)]
    assert run("Loss_Reason__c != null") == [OPP(2)]
    assert run("LeadSource = null") == [OPP(3)]
    assert run("Amount > 12000 AND IsWon = false AND CloseDate < 2026-04-01") == [OPP(2)]
    assert run("LeadSource != 'Web'") == [OPP(2), OPP(3)]  # != keeps the null row, as SOQL does


def test_count_answers_total_size_only(org):
    query, rows = org.select("SELECT COUNT() FROM Opportunity WHERE IsClosed = true", True)
    assert Cursors().first_page(query, rows, 2000) == {
        "totalSize": 2,
        "done": True,
        "records": [],
    }  # Opp2, Opp3
    with pytest.raises(SalesforceError) as caught:
        BulkJobs(org).create({"operation": "query", "query": "SELECT COUNT() FROM Opportunity"})
    assert caught.value.error_code == "INVALIDJOB"


def test_absent_custom_field_renders_null(org):
    query, rows = org.select("SELECT Partner_Channel__c FROM Opportunity", False)
    assert [Org.render(query, r)["Partner_Channel__c"] for r in rows] == [None, "Reseller", None]


@pytest.mark.parametrize(
    ("soql", "code", "message"),
    [
        (
            "SELECT Id, Foo__c FROM Opportunity",
            "INVALID_FIELD",
            (
                "\nSELECT Id, Foo__c FROM Opportunity\n           ^\nERROR at Row:1:Column:12\n"
                f"No such column 'Foo__c' on entity 'Opportunity'. {FIELD_HINT}"
            ),
        ),
        (
            "SELECT Id FROM Opportunityx",
            "INVALID_TYPE",
            (
                "\nSELECT Id FROM Opportunityx\n               ^\nERROR at Row:1:Column:16\n"
                "sObject type 'Opportunityx' is not supported. If you are attempting to use a custom object, be sure to "
                "append the '__c' after the entity name. Please reference your WSDL or the describe call for the "
                "appropriate names."
            ),
        ),
        (
            "SELECT Id FROM Opportunity WHERE",
            "MALFORMED_QUERY",
            (
                "\nSELECT Id FROM Opportunity WHERE\n                                ^\nERROR at Row:1:Column:33\n"
                "unexpected token: <EOF>"
            ),
        ),
        (
            "SELECT Id FROM Opportunity WHERE IsWon = true OR IsClosed = true",
            "MALFORMED_QUERY",
            (
                "\nSELECT Id FROM Opportunity WHERE IsWon = true OR IsClosed = true\n"
                "                                              ^\nERROR at Row:1:Column:47\nunexpected token: OR"
            ),
        ),
        (
            "SELECT Id FROM Opportunity\nWHERE SystemModstamp > 2026-03-01",
            "INVALID_FIELD",
            (
                "\nWHERE SystemModstamp > 2026-03-01\n                       ^\nERROR at Row:2:Column:24\n"
                "value of filter criterion for field 'SystemModstamp' must be of type dateTime and should not be "
                "enclosed in quotes"
            ),
        ),
        (
            "SELECT Id FROM Opportunity WHERE Name = 5",
            "INVALID_FIELD",
            (
                "\nSELECT Id FROM Opportunity WHERE Name = 5\n                                        ^\n"
                "ERROR at Row:1:Column:41\nvalue of filter criterion for field 'Name' must be of type string and "
                "should be enclosed in quotes"
            ),
        ),
    ],
)
def test_query_errors_as_salesforce_words_them(org, soql, code, message):
    with pytest.raises(SalesforceError) as caught:
        org.select(soql, False)
    assert (caught.value.status, caught.value.body()) == (400, [{"message": message, "errorCode": code}])


# ---------------------------------------------------------------- paging
def test_query_pages_of_2000_then_the_rest(tmp_path):
    org, cursors = big_org(tmp_path, 2450), Cursors()
    query, rows = org.select("SELECT Id, Name FROM Opportunity", False)
    first = cursors.first_page(query, rows, batch_size(None))
    locator = salesforce_id("01g", 1)
    assert (first["totalSize"], first["done"], len(first["records"])) == (2450, False, 2000)
    assert first["nextRecordsUrl"] == f"/services/data/v62.0/query/{locator}-2000"
    second = cursors.next_page(f"{locator}-2000")
    assert (second["totalSize"], second["done"], len(second["records"])) == (2450, True, 450)
    assert "nextRecordsUrl" not in second
    assert second["records"][-1]["Name"] == "Opp-2450"
    with pytest.raises(SalesforceError) as caught:  # the finished cursor is closed
        cursors.next_page(f"{locator}-2000")
    assert caught.value.body() == [{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}]


def test_batch_size_header_is_held_between_200_and_2000(tmp_path):
    assert [batch_size(v) for v in (None, "batchSize=1000", "batchSize=50", "batchSize=5000")] == [
        2000,
        1000,
        200,
        2000,
    ]
    org, cursors = big_org(tmp_path, 450), Cursors()
    query, rows = org.select("SELECT Id FROM Opportunity", False)
    page = cursors.first_page(query, rows, batch_size("batchSize=200"))
    sizes = [len(page["records"])]
    while not page["done"]:
        page = cursors.next_page(page["nextRecordsUrl"].rsplit("/", 1)[1])
        sizes.append(len(page["records"]))
    assert sizes == [200, 200, 50]  # 450 = 200 + 200 + 50


# ---------------------------------------------------------------- Bulk API 2.0
def test_bulk_query_job_states_and_csv_sets(org):
    jobs = BulkJobs(org)
    job = jobs.create(
        {
            "operation": "queryAll",
            "query": "SELECT Id, Amount, IsWon, SystemModstamp, Loss_Reason__c FROM Opportunity",
        }
    )
    assert (job["id"], job["state"], job["object"], job["apiVersion"]) == (
        salesforce_id("750", 1),
        "UploadComplete",
        "Opportunity",
        62.0,
    )
    with pytest.raises(SalesforceError) as caught:
        jobs.results(job["id"], None, None)
    assert (caught.value.status, caught.value.error_code) == (412, "JOB_NOT_COMPLETE")
    assert jobs.poll(job["id"])["state"] == "InProgress"
    done = jobs.poll(job["id"])
    assert (done["state"], done["numberRecordsProcessed"]) == ("JobComplete", 4)
    text, locator, count = jobs.results(job["id"], None, 3)
    assert (locator, count) == ("Mw", 3)  # base64 of "3"
    assert text == (
        '"Id","Amount","IsWon","SystemModstamp","Loss_Reason__c"\n'
        f'"{OPP(1)}","50000.0","false","2026-03-01T09:00:00.000Z",""\n'
        f'"{OPP(2)}","18000.0","false","2026-03-05T14:02:11.000Z","Price"\n'
        f'"{OPP(3)}","12000.5","true","2026-03-10T08:30:00.000Z",""\n'
    )
    text, locator, count = jobs.results(job["id"], "Mw", 3)
    assert (locator, count) == ("null", 1)
    assert list(csv.reader(io.StringIO(text)))[1][0] == OPP(4)


def test_bulk_rejects_a_bad_job(org):
    with pytest.raises(SalesforceError) as caught:
        BulkJobs(org).create({"operation": "insert", "query": "SELECT Id FROM Opportunity"})
    assert (caught.value.status, caught.value.error_code) == (400, "INVALIDJOB")
    with pytest.raises(SalesforceError) as caught:
        BulkJobs(org).poll("750EM0000000099AAA")
    assert caught.value.body() == [
        {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    ]


# ---------------------------------------------------------------- OAuth
def test_token_grants():
    grants = TokenGrants("cid", "secret", "refresh-1")
    invalid = (400, {"error": "invalid_grant", "error_description": "authentication failure"})
    assert grants.grant({"grant_type": "client_credentials"}, ("cid", "wrong"), "https://x") == invalid
    assert grants.grant({"grant_type": "refresh_token", "refresh_token": "old"}, None, "https://x") == invalid
    assert grants.grant({}, None, "https://x") == (
        400,
        {"error": "invalid_request", "error_description": "grant type is missing"},
    )
    status, body = grants.grant(
        {"grant_type": "client_credentials"}, ("cid", "secret"), "https://127.0.0.1:1"
    )
    assert (status, body["instance_url"], body["token_type"]) == (200, "https://127.0.0.1:1", "Bearer")
    assert sorted(body) == ["access_token", "id", "instance_url", "issued_at", "signature", "token_type"]
    assert body["issued_at"].isdigit() and body["access_token"].startswith("00DEM0000000001!")
    form = {"grant_type": "refresh_token", "refresh_token": "refresh-1", "client_id": "cid"}
    status, again = grants.grant(form, None, "https://x")
    assert status == 200 and again["access_token"] != body["access_token"]


# ---------------------------------------------------------------- describe, edits, seed errors
def test_describe_renders_fields_json_and_drift(org):
    described = describe_object("Opportunity", org.object_fields("Opportunity"))
    fields = {f["name"]: f for f in described["fields"]}
    assert (described["keyPrefix"], len(fields)) == ("006", 19)  # 5 system + 12 standard + 2 custom
    loss = fields["Loss_Reason__c"]
    assert (loss["type"], loss["custom"], loss["compoundFieldName"], loss["nillable"]) == (
        "picklist",
        True,
        None,
        True,
    )
    assert [p["value"] for p in loss["picklistValues"]] == ["Price", "Timing", "No Decision"]
    assert (fields["AccountId"]["referenceTo"], fields["AccountId"]["relationshipName"]) == (
        ["Account"],
        "Account",
    )
    org.set_drift("Opportunity", "Renewal_Risk__c", "High")
    assert (
        describe_object("Opportunity", org.object_fields("Opportunity"))["fields"][-1]["name"]
        == "Renewal_Risk__c"
    )
    query, rows = org.select("SELECT Id, Renewal_Risk__c FROM Opportunity", False)
    assert [Org.render(query, r)["Renewal_Risk__c"] for r in rows] == ["High", "High", "High"]
    assert [o["name"] for o in describe_global(sorted(org.fields))["sobjects"]] == [
        "Account",
        "Opportunity",
        "OpportunityHistory",
        "OpportunityStage",
        "User",
    ]


def test_update_writes_history_and_delete_moves_to_recycle_bin(org):
    updated = org.update("Opportunity", OPP(1), {"StageName": "Closed Won"}, "005Hx00000Usr001AA")
    # from the Closed Won stage row: closed, won, 100 %, forecast category Closed
    facts = [updated[k] for k in ("IsClosed", "IsWon", "Probability", "ForecastCategoryName")]
    assert facts == [True, True, 100.0, "Closed"]
    assert updated["SystemModstamp"] == updated["LastModifiedDate"] == "2026-12-06T18:00:00.123+0000"
    _, history = org.select(f"SELECT Id FROM OpportunityHistory WHERE OpportunityId = '{OPP(1)}'", False)
    assert [h["StageName"] for h in history] == ["Prospecting", "Negotiation/Review", "Closed Won"]
    assert history[-1]["Id"] == salesforce_id("008", 1) and history[-1]["CreatedById"] == "005Hx00000Usr001AA"
    org.update(
        "Opportunity", OPP(1), {"Name": "Acme expansion II"}
    )  # no stage, amount or date change: no row
    assert len(org.records["OpportunityHistory"]) == 6  # 5 seed rows + 1
    deleted = org.delete("Opportunity", OPP(3))
    assert deleted["SystemModstamp"] == "2026-12-06T18:00:00.125+0000"  # 1 ms after the second edit's .124
    text = "SELECT Id FROM Opportunity WHERE SystemModstamp > 2026-12-01T00:00:00Z"
    assert ids(org.select(text, False)[1]) == [OPP(1)]
    assert ids(org.select(text, True)[1]) == [OPP(1), OPP(3)]
    with pytest.raises(SalesforceError) as caught:
        org.delete("Opportunity", "006Hx00000Nope00AA")
    assert caught.value.status == 404


def test_seed_errors_name_file_line_and_field(tmp_path):
    shutil.copy(FIXTURE / "fields.json", tmp_path / "fields.json")
    (tmp_path / "Opportunity.jsonl").write_text(
        '{"Id": "006A", "IsDeleted": false}\n{"Id": "006B", "Stage": "x"}\n'
    )
    with pytest.raises(SeedError) as caught:
        Org(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / 'Opportunity.jsonl'}:2: field 'Stage' is not in fields.json for Opportunity; add it there"
    )
    (tmp_path / "fields.json").unlink()
    with pytest.raises(SeedError, match="fields.json\\): not found|fields.json: not found"):
        Org(tmp_path)


def test_seed_with_a_repeated_id_is_refused(tmp_path):
    shutil.copy(FIXTURE / "fields.json", tmp_path / "fields.json")
    (tmp_path / "Account.jsonl").write_text('{"Id": "001A"}\n\n{"Id": "001B"}\n{"Id": "001A"}\n')
    with pytest.raises(SeedError) as caught:
        Org(tmp_path)
    assert (
        str(caught.value) == f"{tmp_path / 'Account.jsonl'}:4: Id 001A repeats line 1; keep one record per Id"
    )


def test_main_wants_certificate_and_key_together(capsys):
    from emulators.salesforce.__main__ import main

    with pytest.raises(SystemExit) as caught:
        main([str(FIXTURE), "--certfile", "cert.pem"])
    assert caught.value.code == 2 and "--certfile and --keyfile go together" in capsys.readouterr().err
