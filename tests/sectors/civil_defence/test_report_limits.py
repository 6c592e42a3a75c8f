"""reportIncident's input limits at their edges, each refusal naming its field and limit, and the
open-report limit counting only reports not closed."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from sectors.civil_defence.models import IncidentReportRow
from tests.conftest import Api, individual
from tests.sectors.asking import change, days, kept
from tests.sectors.civil_defence.test_civil_defence import incident, person_without_reports, report


@pytest.mark.parametrize(("field", "limit"), [("city", 40), ("district", 60), ("description", 500)])
async def test_each_text_is_1_to_its_limit_characters(api: Api, field: str, limit: int) -> None:
    person_id = await person_without_reports(api, 10)
    async with kept(api, person_id, IncidentReportRow):
        for refused_text in ("   ", "x" * (limit + 1)):
            refused = await report(api, incident(person_id, **{field: refused_text}), as_=individual(person_id))
            assert [(e["extensions"]["code"], e["message"]) for e in refused["errors"]] == [
                ("BAD_USER_INPUT", f"input.{field}: 1 to {limit} characters.")
            ]
        for kept_text in ("x", "y" * limit):
            filed = await report(api, incident(person_id, **{field: kept_text}), as_=individual(person_id))
            assert filed["data"]["reportIncident"]["__typename"] == "IncidentReported", filed


async def test_closed_reports_do_not_count_against_the_open_report_limit(api: Api) -> None:
    person_id = await person_without_reports(api, 11)
    closed = [
        insert(IncidentReportRow).values(
            reference=f"CD-TEST-{person_id}-{n}",
            person_id=person_id,
            kind="fire",
            city="Riyadh",
            district="Al Malaz",
            description="Closed long ago.",
            reported_on=days(-100),
            status="closed",
        )
        for n in range(3)
    ]
    async with kept(api, person_id, IncidentReportRow):
        await change(api, *closed)
        filed = await report(api, incident(person_id), as_=individual(person_id))
        assert filed["data"]["reportIncident"]["__typename"] == "IncidentReported", filed
