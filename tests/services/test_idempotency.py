"""Idempotency keys: a retried mutation with the same key returns the first answer and changes
nothing (every table compared row by row); the same key with another input is refused; a key is
the caller's own; a refusal keeps no key, so the retry is decided anew."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import delete, select

from hub.data.idempotency import KeptAnswer
from sectors.civil_defence.models import IncidentReportRow
from sectors.passports.models import VisaRow
from sectors.traffic.models import ViolationRow
from tests.conftest import PERSONA, Api, individual, officer
from tests.sectors.asking import unpaid_violation
from tests.services.tables import changed, every_row
from tests.services.test_eligibility import ELIGIBILITY, data

REPORT = """mutation($input: ReportIncidentInput!) { reportIncident(input: $input) {
  __typename ... on IncidentReported { report { reference status reportedOn { gregorian } } }
  ... on Refusal { code } } }"""
VISA = """mutation($input: IssueExitReentryVisaInput!) { issueExitReentryVisa(input: $input) {
  __typename ... on ExitReentryVisaIssued { visa { number kind allowedDays validUntil { gregorian } } }
  ... on Refusal { code blockers { code } } } }"""
PAY = """mutation($input: PayTrafficViolationInput!) { payTrafficViolation(input: $input) {
  __typename ... on TrafficViolationPaid { violation { number status } } ... on Refusal { code } } }"""

REPORTER = PERSONA["family_head"]
SMOKE, OTHER = "Smoke from the kitchen of the flat below", "Another fire entirely"


def incident(key: str | None, description: str = SMOKE) -> dict[str, Any]:
    return {
        "input": {
            "personId": REPORTER,
            "kind": "FIRE",
            "city": "Riyadh",
            "district": "Al Olaya",
            "description": description,
            "idempotencyKey": key,
        }
    }


async def _forget_reports(api: Api) -> None:
    async with api.hub.db.connect() as connection:
        await connection.execute(delete(IncidentReportRow).where(IncidentReportRow.description.in_([SMOKE, OTHER])))
        await connection.commit()


async def test_a_retry_with_the_same_key_returns_the_first_answer_and_changes_nothing(api: Api) -> None:
    key = str(uuid.uuid4())
    try:
        first = await api.query(REPORT, incident(key), as_=individual(REPORTER))
        assert first["data"]["reportIncident"]["__typename"] == "IncidentReported", first
        after_first = await every_row(api)
        again = await api.query(REPORT, incident(key), as_=individual(REPORTER))
        assert again == first
        # Kept under the sector whose mutation it is: its database role is given its own rows only.
        kept = await api.hub.db.fetch(select(KeptAnswer.sector, KeptAnswer.caller).where(KeptAnswer.key == key))
        assert [tuple(row) for row in kept] == [("civil_defence", f"individual:{REPORTER}")]
        assert changed(after_first, await every_row(api)) == []
        # Without a key (or with another), the same input is a new report.
        other = await api.query(REPORT, incident(str(uuid.uuid4())), as_=individual(REPORTER))
        reference = other["data"]["reportIncident"]["report"]["reference"]
        assert reference != first["data"]["reportIncident"]["report"]["reference"]
    finally:
        await _forget_reports(api)


async def test_the_same_key_with_another_input_is_refused_and_changes_nothing(api: Api) -> None:
    key = str(uuid.uuid4())
    try:
        await api.query(REPORT, incident(key), as_=individual(REPORTER))
        before = await every_row(api)
        reused = await api.query(REPORT, incident(key, OTHER), as_=individual(REPORTER))
        assert reused["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
        # Another mutation under the same key is another request too.
        violation = {"input": {"personId": REPORTER, "violationNumber": "1", "idempotencyKey": key}}
        other = await api.query(PAY, violation, as_=individual(REPORTER))
        assert other["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
        assert changed(before, await every_row(api)) == []
    finally:
        await _forget_reports(api)


async def test_a_key_is_its_callers_own(api: Api) -> None:
    """An officer filing for the same person with the same key files their own report, and is not
    handed the person's answer."""
    key = str(uuid.uuid4())
    try:
        mine = await api.query(REPORT, incident(key), as_=individual(REPORTER))
        theirs = await api.query(REPORT, incident(key), as_=officer("civil_defence"))
        assert theirs["data"]["reportIncident"]["__typename"] == "IncidentReported", theirs
        assert theirs["data"]["reportIncident"]["report"] != mine["data"]["reportIncident"]["report"]
    finally:
        await _forget_reports(api)


async def _issuable_worker(api: Api) -> str:
    """One of the demo sponsor's workers who may be given an exit/re-entry visa now."""
    async with api.hub.db.connect() as connection:
        from sectors.passports.models import IqamaRow

        workers = list(
            (
                await connection.execute(
                    select(IqamaRow.person_id)
                    .where(IqamaRow.sponsor_id == PERSONA["sponsor"], IqamaRow.status == "valid")
                    .order_by(IqamaRow.person_id)
                )
            ).scalars()
        )
    for worker in workers:
        answer = await api.query(
            ELIGIBILITY, {"id": worker, "service": "ISSUE_EXIT_REENTRY_VISA"}, as_=individual("sponsor")
        )
        if answer["data"]["eligibility"]["allowed"]:
            return worker
    raise AssertionError("the demo sponsor has no worker who may travel")


async def test_a_service_retried_after_it_was_done_replays_its_answer_not_its_rules(api: Api) -> None:
    """Once the visa is issued its rules would refuse a second one (VISA_ALREADY_ISSUED): the retry
    returns the visa issued, as the first answer did."""
    worker = await _issuable_worker(api)
    key = str(uuid.uuid4())
    variables = {"input": {"personId": worker, "kind": "SINGLE", "days": 30, "idempotencyKey": key}}
    try:
        first = await api.query(VISA, variables, as_=individual("sponsor"))
        assert first["data"]["issueExitReentryVisa"]["__typename"] == "ExitReentryVisaIssued", first
        before = await every_row(api)
        again = await api.query(VISA, variables, as_=individual("sponsor"))
        assert again == first
        assert changed(before, await every_row(api)) == []
        unkeyed = {"input": {**variables["input"], "idempotencyKey": None}}
        refused = await api.query(VISA, unkeyed, as_=individual("sponsor"))
        assert refused["data"]["issueExitReentryVisa"]["code"] == "VISA_ALREADY_ISSUED"
    finally:
        number = first["data"]["issueExitReentryVisa"]["visa"]["number"]
        async with api.hub.db.connect() as connection:
            await connection.execute(delete(VisaRow).where(VisaRow.number == number))
            await connection.commit()


async def test_a_refusal_keeps_no_key_so_the_retry_is_decided_anew(api: Api) -> None:
    person, number = PERSONA["unpaid_violations"], "9900000077"
    key = str(uuid.uuid4())
    variables = {"input": {"personId": person, "violationNumber": number, "idempotencyKey": key}}
    before = await every_row(api)
    refused = await api.query(PAY, variables, as_=individual(person))
    assert refused["data"]["payTrafficViolation"]["code"] == "VIOLATION_NOT_FOUND"
    assert changed(before, await every_row(api)) == []
    async with data(
        api, unpaid_violation(person, number), undo=[delete(ViolationRow).where(ViolationRow.number == number)]
    ):
        paid = await api.query(PAY, variables, as_=individual(person))
        assert paid["data"]["payTrafficViolation"]["violation"] == {"number": number, "status": "PAID"}
        assert await api.query(PAY, variables, as_=individual(person)) == paid


async def test_a_key_is_short_printable_text(api: Api) -> None:
    for key in ("", "x" * 65, "tab\there", "مفتاح"):
        answer = await api.query(REPORT, incident(key), as_=individual(REPORTER))
        assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", key
        assert answer["errors"][0]["extensions"]["argument"] == "input.idempotencyKey"


async def test_concurrent_retries_with_the_same_key_do_the_work_once(api: Api) -> None:
    key = str(uuid.uuid4())
    try:
        answers = await asyncio.gather(*(api.query(REPORT, incident(key), as_=individual(REPORTER)) for _ in range(3)))
        # A retry that waited past its sector's budget for SQLite's one write lock is told to retry
        # (SECTOR_UNAVAILABLE, retryable) and wrote nothing; every retry that was answered got the first answer.
        done = [answer for answer in answers if answer.get("data")]
        waited = [answer for answer in answers if not answer.get("data")]
        assert done and all(answer == done[0] for answer in done), answers
        for answer in waited:
            (error,) = answer["errors"]
            assert error["extensions"]["code"] == "SECTOR_UNAVAILABLE" and error["extensions"]["retryable"], answers
        async with api.hub.db.connect() as connection:
            reports = (
                await connection.execute(select(IncidentReportRow).where(IncidentReportRow.description == SMOKE))
            ).all()
        assert len(reports) == 1
    finally:
        await _forget_reports(api)
