"""Absconding reports over HTTP: the sponsor files one (once per worker) and the worker sees it;
it blocks the worker's iqama renewal and travel; the sponsor cancels it within 15 days."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import insert, update

from hub.contract.principal import Principal
from sectors.passports.models import AbscondingReportRow
from sectors.passports.workflows import absconding
from tests.conftest import PERSONA, TODAY, Api, individual, officer
from tests.sectors.asking import change, days, fresh_key
from tests.sectors.passports.helpers import SPONSOR, allowed_worker, bad_id, blockers, last_notice, mutate, restored
from tests.services.tables import changed, every_row

REPORT = "... on AbscondingReportFiled { report { reference status filedOn { gregorian } } }"
CANCELLED = "... on AbscondingReportCancelled { report { reference status cancelledOn { gregorian } } }"
OWN_REPORTS = """query($id: ID!) { person(id: $id) { passports { abscondingReports {
  reference status filedBy { id } } } } }"""
NOTICES = "{ me { notifications(first: 5) { entries { kind messageEn messageAr } } } }"
AS_SPONSOR = individual(SPONSOR)


async def file(api: Api, worker: str, caller: Principal = AS_SPONSOR, **more: str) -> dict[str, Any]:
    return await mutate(  # type: ignore[no-any-return]
        api, "fileAbscondingReport", "AbscondingReportInput", REPORT, {"personId": worker, **more}, caller
    )


async def cancel(api: Api, worker: str, caller: Principal = AS_SPONSOR, **more: str) -> dict[str, Any]:
    return await mutate(  # type: ignore[no-any-return]
        api, "cancelAbscondingReport", "AbscondingReportInput", CANCELLED, {"personId": worker, **more}, caller
    )


async def test_the_sponsor_files_a_report_the_worker_sees_and_it_blocks_renewal_and_travel(api: Api) -> None:
    async with restored(api):
        worker = await allowed_worker(api, "FILE_ABSCONDING_REPORT")
        filed = await file(api, worker)
        assert filed["__typename"] == "AbscondingReportFiled", filed
        report = filed["report"]
        assert report["status"] == "OPEN" and report["filedOn"] == {"gregorian": str(TODAY)}
        notices = await api.query(NOTICES, as_=individual(worker))
        told = [n for n in notices["data"]["me"]["notifications"]["entries"] if n["kind"] == "ABSCONDING_REPORT"]
        assert told and report["reference"] in told[0]["messageEn"] and report["reference"] in told[0]["messageAr"]
        seen = await api.query(OWN_REPORTS, {"id": worker}, as_=individual(worker))
        assert {"reference": report["reference"], "status": "OPEN", "filedBy": {"id": SPONSOR}} in seen["data"][
            "person"
        ]["passports"]["abscondingReports"]
        for service in ("RENEW_IQAMA", "ISSUE_EXIT_REENTRY_VISA", "FILE_ABSCONDING_REPORT", "TRANSFER_SPONSORSHIP"):
            assert "ABSCONDING_REPORT_OPEN" in await blockers(api, service, worker, officer("passports")), service
        cancelled = await cancel(api, worker)
        assert cancelled["report"] == {
            "reference": report["reference"],
            "status": "CANCELLED",
            "cancelledOn": {"gregorian": str(TODAY)},
        }
        # Once per worker: a second report by the same sponsor is refused, and writes nothing.
        before = await every_row(api)
        again = await file(api, worker)
        assert again["code"] == "ABSCONDING_ALREADY_REPORTED"
        assert changed(before, await every_row(api)) == []


async def test_a_report_is_cancelled_online_only_within_15_days(api: Api) -> None:
    worker = PERSONA["absconding_worker"]  # filed 3 to 11 days ago
    async with restored(api):
        async with api.hub.db.connect() as connection:
            await connection.execute(
                update(AbscondingReportRow)
                .where(AbscondingReportRow.person_id == worker)
                .values(filed_on=TODAY - dt.timedelta(days=16))
            )
            await connection.commit()
        before = await every_row(api)
        late = await cancel(api, worker, officer("passports"))
        assert late["code"] == "REPORT_CANCEL_WINDOW_CLOSED" and late["message"] and late["messageAr"]
        assert changed(before, await every_row(api)) == []
    assert await blockers(api, "CANCEL_ABSCONDING_REPORT", worker, officer("passports")) == []


async def test_reports_are_refused_for_dependants_twice_and_where_nothing_is_open(api: Api) -> None:
    worker = await allowed_worker(api, "FILE_ABSCONDING_REPORT")
    passports = officer("passports")
    assert await blockers(api, "CANCEL_ABSCONDING_REPORT", worker, passports) == ["NO_OPEN_REPORT"]
    assert await blockers(api, "FILE_ABSCONDING_REPORT", PERSONA["sponsor"], passports) == ["NOT_A_RESIDENT"]
    opened = await blockers(api, "FILE_ABSCONDING_REPORT", PERSONA["absconding_worker"], passports)
    assert "ABSCONDING_REPORT_OPEN" in opened


async def test_only_the_sponsor_files_or_cancels_not_the_worker(api: Api) -> None:
    worker = await allowed_worker(api, "FILE_ABSCONDING_REPORT")
    before = await every_row(api)
    for caller in (individual(worker), individual("family_head"), officer("traffic")):
        assert (await file(api, worker, caller))["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert (await cancel(api, worker, caller))["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert changed(before, await every_row(api)) == []


async def test_a_key_sent_to_filing_cannot_replay_as_the_cancellation_of_the_same_input(api: Api) -> None:
    """Filing and cancelling take the same input type: the key stands for the mutation too, so the
    same key and input sent to the other is a reuse, not the filing's answer again."""
    async with restored(api):
        worker = await allowed_worker(api, "FILE_ABSCONDING_REPORT")
        keyed = {"personId": worker, "idempotencyKey": f"absconding-{worker}"}
        filed = await mutate(api, "fileAbscondingReport", "AbscondingReportInput", REPORT, keyed, AS_SPONSOR)
        assert filed["__typename"] == "AbscondingReportFiled", filed
        before = await every_row(api)
        document = """mutation($input: AbscondingReportInput!) { cancelAbscondingReport(input: $input) {
          __typename ... on AbscondingReportCancelled { report { status } } } }"""
        answer = await api.query(document, {"input": keyed}, as_=AS_SPONSOR)
        assert [error["extensions"]["code"] for error in answer.get("errors", [])] == ["IDEMPOTENCY_KEY_REUSED"], answer
        assert changed(before, await every_row(api)) == []


async def test_a_report_is_filed_in_the_sponsors_name_and_each_step_tells_the_worker(api: Api) -> None:
    async with restored(api):
        worker = await allowed_worker(api, "FILE_ABSCONDING_REPORT")
        filed = (await file(api, worker, officer("passports")))["report"]  # keyed in by an officer
        reference = filed["reference"]
        assert re.fullmatch(rf"HR-{TODAY.year}-\d{{8}}", reference), reference
        seen = await api.query(OWN_REPORTS, {"id": worker}, as_=individual(worker))
        assert {"reference": reference, "status": "OPEN", "filedBy": {"id": SPONSOR}} in seen["data"]["person"][
            "passports"
        ]["abscondingReports"]
        assert await last_notice(api, worker) == (
            "absconding_report",
            f"Your sponsor reported you absent from work (report {reference}). Report to Jawazat within 20 days.",
            f"أبلغ كفيلك عن تغيبك عن العمل (بلاغ رقم {reference}). راجع الجوازات خلال 20 يوماً.",
        )
        await cancel(api, worker)
        assert await last_notice(api, worker) == (
            "service_completed",
            f"The absconding report {reference} about you was cancelled.",
            f"أُلغي بلاغ التغيب رقم {reference} المقدم عنك.",
        )


async def test_a_report_that_changed_after_the_rules_saw_it_is_not_cancelled(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The open report the rules saw is gone when the write comes, or is one cancelled meanwhile:
    REPORT_CHANGED, and nothing written."""
    async with restored(api):
        worker = await allowed_worker(api, "FILE_ABSCONDING_REPORT")
        assert (await file(api, worker))["__typename"] == "AbscondingReportFiled"
        done = "HR-2000-00000001"  # one of the worker's, cancelled already
        await change(
            api,
            insert(AbscondingReportRow).values(
                reference=done,
                person_id=worker,
                filed_by_id=SPONSOR,
                filed_on=days(-30),
                status="cancelled",
                cancelled_on=days(-25),
            ),
        )
        real = absconding.open_report

        async def gone(*args: Any) -> None:
            return None

        async def cancelled_meanwhile(*args: Any) -> Any:
            seen = await real(*args)
            assert seen is not None
            return dataclasses.replace(seen, reference=done)

        before = await every_row(api)
        for fake in (gone, cancelled_meanwhile):
            monkeypatch.setattr(absconding, "open_report", fake)
            refused = await cancel(api, worker)
            assert (refused["code"], refused["message"], refused["messageAr"]) == (
                "REPORT_CHANGED",
                "The report changed while this request was decided; ask again.",
                "تغير البلاغ أثناء معالجة الطلب؛ أعد المحاولة.",
            ), fake
        assert changed(before, await every_row(api)) == []


async def test_a_reference_is_hr_the_year_and_eight_digits_and_a_bad_id_is_named(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with restored(api):
        worker = await allowed_worker(api, "FILE_ABSCONDING_REPORT")
        monkeypatch.setattr(absconding.secrets, "randbelow", lambda bound: bound - 1)  # the largest draw
        assert (await file(api, worker))["report"]["reference"] == f"HR-{TODAY.year}-99999999"
    for name in ("fileAbscondingReport", "cancelAbscondingReport"):
        assert await bad_id(api, name, "AbscondingReportInput", {}) == ("INVALID_ID", "input.personId"), name


async def test_a_report_and_its_cancellation_sent_again_with_their_key_are_answered_again(api: Api) -> None:
    async with restored(api):
        worker = await allowed_worker(api, "FILE_ABSCONDING_REPORT")
        filing = fresh_key("report-sent-twice")
        filed = [await file(api, worker, idempotencyKey=filing) for _ in range(2)]
        assert filed[0]["__typename"] == "AbscondingReportFiled" and filed[1] == filed[0]
        cancelling = fresh_key("cancellation-sent-twice")
        cancelled = [await cancel(api, worker, idempotencyKey=cancelling) for _ in range(2)]
        assert cancelled[0]["__typename"] == "AbscondingReportCancelled" and cancelled[1] == cancelled[0]
