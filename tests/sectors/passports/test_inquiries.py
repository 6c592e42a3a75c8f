"""Public inquiries over HTTP: a status and a date without sign-in, nothing that names anyone,
stable codes for malformed numbers, a per-client limit, and an audit note for the person looked up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from sectors.passports.models import AbscondingReportRow, IqamaRow, VisaRow
from tests.conftest import PERSONA, TODAY, Api, individual, own_hub

VISA = """query($number: ID!, $holder: ID!) { visaInquiry(visaNumber: $number, holderId: $holder) {
  status validUntil { gregorian } } }"""
IQAMA = "query($number: ID!) { iqamaInquiry(iqamaNumber: $number) { status expiresOn { gregorian } } }"
ABSCONDING = "query($number: ID!) { abscondingInquiry(iqamaNumber: $number) { status filedOn { gregorian } } }"
LOG = "{ me { accessLog(first: 50) { entries { actor actingAs sector action fields } } } }"


async def _one(api: Api, statement: Any) -> Any:
    rows = await api.hub.db.fetch(statement.limit(1))
    return rows[0]


async def test_a_visa_is_told_by_number_and_holder_and_never_to_someone_else(api: Api) -> None:
    visa = await _one(
        api,
        select(VisaRow.number, VisaRow.person_id, VisaRow.valid_until)
        .where(VisaRow.status == "issued", VisaRow.valid_from <= TODAY, VisaRow.valid_until >= TODAY)
        .order_by(VisaRow.number),
    )
    found = await api.query(VISA, {"number": visa.number, "holder": visa.person_id})
    assert found == {
        "data": {"visaInquiry": {"status": "VALID", "validUntil": {"gregorian": visa.valid_until.isoformat()}}}
    }
    # Another holder's ID (a valid one) learns nothing, not even that the visa exists.
    other = await api.query(VISA, {"number": visa.number, "holder": "1000000008"})
    assert other == {"data": {"visaInquiry": {"status": "NOT_FOUND", "validUntil": None}}}


async def test_an_iqamas_expiry_and_an_open_absconding_report(api: Api) -> None:
    worker = PERSONA["absconding_worker"]
    iqama = await _one(api, select(IqamaRow.number, IqamaRow.expires_on).where(IqamaRow.person_id == worker))
    report = await _one(
        api,
        select(AbscondingReportRow.filed_on).where(
            AbscondingReportRow.person_id == worker, AbscondingReportRow.status == "open"
        ),
    )
    told = await api.query(IQAMA, {"number": iqama.number})
    assert told["data"]["iqamaInquiry"]["expiresOn"] == {"gregorian": iqama.expires_on.isoformat()}
    assert told["data"]["iqamaInquiry"]["status"] == ("VALID" if iqama.expires_on >= TODAY else "EXPIRED")
    reported = await api.query(ABSCONDING, {"number": iqama.number})
    assert reported == {
        "data": {"abscondingInquiry": {"status": "REPORTED", "filedOn": {"gregorian": report.filed_on.isoformat()}}}
    }
    unreported = await _one(
        api,
        select(IqamaRow.number)
        .where(
            IqamaRow.person_id.not_in(select(AbscondingReportRow.person_id).where(AbscondingReportRow.status == "open"))
        )
        .order_by(IqamaRow.number),
    )
    assert (await api.query(ABSCONDING, {"number": unreported.number}))["data"]["abscondingInquiry"] == {
        "status": "NOT_REPORTED",
        "filedOn": None,
    }
    unknown = "2000000006"  # well formed, held by nobody in the seed
    assert (await api.query(IQAMA, {"number": unknown}))["data"]["iqamaInquiry"]["status"] == "NOT_FOUND"

    # Audited for the worker, as a read by an anonymous caller in the capacity `public`.
    log = await api.query(LOG, as_=individual(worker))
    actions = {
        (entry["actor"], entry["actingAs"], entry["sector"], entry["action"])
        for entry in log["data"]["me"]["accessLog"]["entries"]
    }
    assert {
        ("anonymous", "public", "passports", "iqamaInquiry"),
        ("anonymous", "public", "passports", "abscondingInquiry"),
    } <= actions


async def test_malformed_numbers_have_stable_codes(api: Api) -> None:
    cases = [
        (VISA, {"number": "12ab", "holder": "1000000008"}, "INVALID_NUMBER", "visaNumber"),
        (VISA, {"number": "1" * 13, "holder": "1000000008"}, "INVALID_NUMBER", "visaNumber"),
        (VISA, {"number": "600000001", "holder": "1000000000"}, "INVALID_ID", "holderId"),
        (IQAMA, {"number": "1000000008"}, "INVALID_ID", "iqamaNumber"),  # a citizen's ID is no iqama
        (IQAMA, {"number": "2000000002"}, "INVALID_ID", "iqamaNumber"),  # check digit
        (ABSCONDING, {"number": "20000"}, "INVALID_ID", "iqamaNumber"),
    ]
    for query, variables, code, argument in cases:
        result = await api.query(query, variables)
        assert result["data"] is None, variables
        [error] = result["errors"]
        assert (error["extensions"]["code"], error["extensions"]["argument"]) == (code, argument), variables


async def test_inquiries_are_limited_per_client(tmp_path: Path) -> None:
    async with own_hub(tmp_path) as (_, client):

        async def ask() -> dict[str, Any]:
            response = await client.post("/graphql", json={"query": IQAMA, "variables": {"number": "2000000006"}})
            return response.json()  # type: ignore[no-any-return]

        for _ in range(30):
            assert (await ask())["data"]["iqamaInquiry"]["status"] == "NOT_FOUND"
        refused = await ask()
        assert refused["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
