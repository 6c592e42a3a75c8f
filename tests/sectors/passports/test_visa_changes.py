"""Extending and cancelling exit/re-entry visas and cancelling a final exit, over HTTP: each rule
that refuses them, a refusal writing nothing, and the changes they make."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update

from hub.contract.calendar import riyadh_today
from sectors.passports.models import IqamaRow, VisaRow
from tests.conftest import Api, individual, officer
from tests.sectors.passports.helpers import SPONSOR, allowed_worker, blockers, mutate, restored
from tests.services.tables import changed, every_row

VISA = "... on ExitReentryVisaIssued { visa { number kind status validUntil { gregorian } allowedDays } }"
EXTENDED = "... on ExitReentryVisaExtended { visa { number status validUntil { gregorian } allowedDays } }"
CANCELLED = "... on VisaCancelled { visa { number kind status } }"
FINAL = "... on FinalExitVisaIssued { visa { number } }"
AS_SPONSOR = individual(SPONSOR)


async def issue(api: Api, worker: str, days: int = 30, kind: str = "SINGLE") -> dict[str, Any]:
    issued = await mutate(
        api,
        "issueExitReentryVisa",
        "IssueExitReentryVisaInput",
        VISA,
        {"personId": worker, "kind": kind, "days": days},
        AS_SPONSOR,
    )
    assert issued["__typename"] == "ExitReentryVisaIssued", issued
    return issued["visa"]  # type: ignore[no-any-return]


async def extend(api: Api, worker: str, days: int) -> dict[str, Any]:
    return await mutate(  # type: ignore[no-any-return]
        api,
        "extendExitReentryVisa",
        "ExtendExitReentryVisaInput",
        EXTENDED,
        {"personId": worker, "days": days},
        AS_SPONSOR,
    )


async def iqama_until(api: Api, worker: str, days: int) -> None:
    async with api.hub.db.connect() as connection:
        await connection.execute(
            update(IqamaRow)
            .where(IqamaRow.number == worker)
            .values(expires_on=riyadh_today() + dt.timedelta(days=days))
        )
        await connection.commit()


async def test_a_sponsor_extends_a_visa_used_abroad_and_cancels_an_unused_one(api: Api) -> None:
    today = riyadh_today()
    async with restored(api):
        worker = await allowed_worker(api, "ISSUE_EXIT_REENTRY_VISA")
        await iqama_until(api, worker, 400)
        visa = await issue(api, worker, days=30, kind="MULTIPLE")
        async with api.hub.db.connect() as connection:  # the worker left on it
            await connection.execute(update(VisaRow).where(VisaRow.number == visa["number"]).values(status="used"))
            await connection.commit()
        extended = await extend(api, worker, 60)
        assert extended["visa"] == {
            "number": visa["number"],
            "status": "USED",
            "validUntil": {"gregorian": str(today + dt.timedelta(days=90))},
            "allowedDays": 90,
        }
        # A used visa brought the worker back: nothing unused to cancel.
        assert await blockers(api, "CANCEL_EXIT_REENTRY_VISA", worker, AS_SPONSOR) == ["NO_VISA_TO_CANCEL"]
        async with api.hub.db.connect() as connection:
            await connection.execute(update(VisaRow).where(VisaRow.number == visa["number"]).values(status="issued"))
            await connection.commit()
        cancelled = await mutate(
            api, "cancelExitReentryVisa", "CancelVisaInput", CANCELLED, {"personId": worker}, AS_SPONSOR
        )
        assert cancelled["visa"] == {"number": visa["number"], "kind": "EXIT_REENTRY_MULTIPLE", "status": "CANCELLED"}
        assert await blockers(api, "ISSUE_EXIT_REENTRY_VISA", worker, AS_SPONSOR) == []


async def test_an_extension_is_refused_past_60_days_or_beyond_the_iqama_and_writes_nothing(api: Api) -> None:
    today = riyadh_today()
    async with restored(api):
        worker = await allowed_worker(api, "ISSUE_EXIT_REENTRY_VISA")
        await iqama_until(api, worker, 30)
        visa = await issue(api, worker, days=10)
        before = await every_row(api)
        too_long = await extend(api, worker, 30)
        assert too_long["code"] == "IQAMA_TOO_SHORT" and too_long["messageAr"]
        assert changed(before, await every_row(api)) == []
        async with api.hub.db.connect() as connection:  # ended 61 days ago
            await connection.execute(
                update(VisaRow)
                .where(VisaRow.number == visa["number"])
                .values(status="expired", valid_until=today - dt.timedelta(days=61))
            )
            await connection.commit()
        before = await every_row(api)
        late = await extend(api, worker, 5)
        assert late["code"] == "NO_VISA_TO_EXTEND"
        assert [b["code"] for b in late["blockers"]] == ["NO_VISA_TO_EXTEND"]
        assert changed(before, await every_row(api)) == []


async def test_a_final_exit_is_cancelled_while_the_iqama_is_valid(api: Api) -> None:
    async with restored(api):
        worker = await allowed_worker(api, "ISSUE_FINAL_EXIT_VISA")
        assert await blockers(api, "CANCEL_FINAL_EXIT_VISA", worker, AS_SPONSOR) == ["NO_FINAL_EXIT_TO_CANCEL"]
        final = await mutate(
            api, "issueFinalExitVisa", "IssueFinalExitVisaInput", FINAL, {"personId": worker}, AS_SPONSOR
        )
        await iqama_until(api, worker, -1)
        before = await every_row(api)
        refused = await mutate(
            api, "cancelFinalExitVisa", "CancelVisaInput", CANCELLED, {"personId": worker}, AS_SPONSOR
        )
        assert refused["code"] == "IQAMA_NOT_VALID"
        assert changed(before, await every_row(api)) == []
        await iqama_until(api, worker, 100)
        # The resident cancels their own.
        cancelled = await mutate(
            api, "cancelFinalExitVisa", "CancelVisaInput", CANCELLED, {"personId": worker}, individual(worker)
        )
        assert cancelled["visa"] == {"number": final["visa"]["number"], "kind": "FINAL_EXIT", "status": "CANCELLED"}


async def test_only_the_sponsor_or_a_passports_officer_changes_an_exit_reentry_visa(api: Api) -> None:
    worker = await allowed_worker(api, "ISSUE_EXIT_REENTRY_VISA")
    before = await every_row(api)
    for caller in (individual(worker), officer("traffic"), individual("family_head")):
        for name, input_type, extra in (
            ("extendExitReentryVisa", "ExtendExitReentryVisaInput", {"days": 5}),
            ("cancelExitReentryVisa", "CancelVisaInput", {}),
        ):
            answer = await mutate(api, name, input_type, "", {"personId": worker, **extra}, caller)
            assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN", (caller, name)
    assert changed(before, await every_row(api)) == []
