"""Extending and cancelling exit/re-entry visas and cancelling a final exit, over HTTP: each rule
that refuses them, a refusal writing nothing, and the changes they make."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import insert, update

from sectors.passports.models import IqamaRow, VisaRow
from sectors.passports.types import VisaKind, VisaStatus
from sectors.passports.workflows import visas
from tests.conftest import TODAY, Api, individual, officer
from tests.sectors.asking import change, days, fresh_key
from tests.sectors.passports.helpers import SPONSOR, allowed_worker, blockers, last_notice, mutate, restored
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


async def extend(api: Api, worker: str, days: int, **more: str) -> dict[str, Any]:
    return await mutate(  # type: ignore[no-any-return]
        api,
        "extendExitReentryVisa",
        "ExtendExitReentryVisaInput",
        EXTENDED,
        {"personId": worker, "days": days, **more},
        AS_SPONSOR,
    )


async def iqama_until(api: Api, worker: str, days: int) -> None:
    async with api.hub.db.connect() as connection:
        await connection.execute(
            update(IqamaRow).where(IqamaRow.number == worker).values(expires_on=TODAY + dt.timedelta(days=days))
        )
        await connection.commit()


async def test_a_sponsor_extends_a_visa_used_abroad_and_cancels_an_unused_one(api: Api) -> None:
    today = TODAY
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
        assert await last_notice(api, worker) == (
            "service_completed",
            f"Your exit/re-entry visa {visa['number']} was cancelled.",
            f"أُلغيت تأشيرة الخروج والعودة رقم {visa['number']}.",
        )
        assert await blockers(api, "ISSUE_EXIT_REENTRY_VISA", worker, AS_SPONSOR) == []


async def test_an_extension_is_refused_past_60_days_or_beyond_the_iqama_and_writes_nothing(api: Api) -> None:
    today = TODAY
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
        number = final["visa"]["number"]
        assert cancelled["visa"] == {"number": number, "kind": "FINAL_EXIT", "status": "CANCELLED"}
        assert await last_notice(api, worker) == (
            "service_completed",
            f"Your final exit visa {number} was cancelled.",
            f"أُلغيت تأشيرة الخروج النهائي رقم {number}.",
        )


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


async def test_an_extension_of_1_to_180_days_runs_from_today_past_the_visas_end_and_to_the_iqamas_last_day(
    api: Api,
) -> None:
    async with restored(api):
        worker = await allowed_worker(api, "ISSUE_EXIT_REENTRY_VISA")
        await change(api, update(IqamaRow).where(IqamaRow.number == worker).values(expires_on=days(45)))
        visa = await issue(api, worker, days=10)
        # Ended 60 days ago, the last day it may still be extended: the extension runs from today.
        await change(
            api,
            update(VisaRow).where(VisaRow.number == visa["number"]).values(status="expired", valid_until=days(-60)),
        )
        before = await every_row(api)
        for wrong in (0, 181):
            answer = await extend(api, worker, wrong)
            assert [(e["message"], e["extensions"]["code"], e["extensions"]["argument"]) for e in answer["errors"]] == [
                ("input.days: between 1 and 180.", "BAD_USER_INPUT", "input.days")
            ], wrong
        past_the_iqama = await extend(api, worker, 46)
        assert (past_the_iqama["code"], past_the_iqama["message"], past_the_iqama["messageAr"]) == (
            "IQAMA_TOO_SHORT",
            "The iqama expires before the extended visa would end; renew the iqama first.",
            "تنتهي الإقامة قبل نهاية التأشيرة بعد التمديد؛ جدد الإقامة أولاً.",
        )
        assert changed(before, await every_row(api)) == []
        # To the iqama's last day: issued again, for the days it had and those added.
        to_the_iqama = await extend(api, worker, 45)
        assert to_the_iqama["visa"] == {
            "number": visa["number"],
            "status": "ISSUED",
            "validUntil": {"gregorian": str(days(45))},
            "allowedDays": 55,
        }
        assert await last_notice(api, worker) == (
            "service_completed",
            f"Your exit/re-entry visa {visa['number']} was extended until {days(45)}.",
            f"مُددت تأشيرة الخروج والعودة رقم {visa['number']} حتى {days(45)}.",
        )
        await change(api, update(IqamaRow).where(IqamaRow.number == worker).values(expires_on=days(400)))
        # A visa still running is extended from its end.
        assert (await extend(api, worker, 180))["visa"]["validUntil"] == {"gregorian": str(days(225))}
        one_more = await extend(api, worker, 1)
        assert one_more["visa"] == {
            "number": visa["number"],
            "status": "ISSUED",
            "validUntil": {"gregorian": str(days(226))},
            "allowedDays": 236,
        }


async def test_a_visa_that_changed_after_the_rules_saw_it_is_refused_and_nothing_is_written(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the rules saw is gone when the write comes: the visa went, or its status or number is
    not the row's any more (another request changed it between the two)."""
    changed_meanwhile = (
        "VISA_CHANGED",
        "The visa changed while this request was decided; ask again.",
        "تغيرت التأشيرة أثناء معالجة الطلب؛ أعد المحاولة.",
    )
    async with restored(api):
        worker = await allowed_worker(api, "ISSUE_EXIT_REENTRY_VISA")
        await change(api, update(IqamaRow).where(IqamaRow.number == worker).values(expires_on=days(400)))
        await issue(api, worker, days=10)
        used = "990000000001"  # another of the worker's visas, used: cancelling it is refused
        await change(
            api,
            insert(VisaRow).values(
                number=used,
                person_id=worker,
                sponsor_id=SPONSOR,
                kind=VisaKind.EXIT_REENTRY_SINGLE.value,
                status="used",
                issued_on=days(-20),
                valid_from=days(-20),
                valid_until=days(5),
                allowed_days=25,
            ),
        )
        real_extendable, real_cancellable = visas.extendable_visa, visas.cancellable_visa

        async def gone(*args: Any) -> None:
            return None

        async def used_meanwhile(*args: Any) -> Any:
            seen = await real_extendable(*args)
            assert seen is not None
            return dataclasses.replace(seen, status=VisaStatus.USED)

        async def the_used_one(*args: Any) -> Any:
            seen = await real_cancellable(*args)
            assert seen is not None
            return dataclasses.replace(seen, number=used)

        before = await every_row(api)
        for fake in (gone, used_meanwhile):
            monkeypatch.setattr(visas, "extendable_visa", fake)
            refused = await extend(api, worker, 5)
            assert (refused["code"], refused["message"], refused["messageAr"]) == changed_meanwhile, fake
        monkeypatch.setattr(visas, "extendable_visa", real_extendable)
        for fake in (gone, the_used_one):
            monkeypatch.setattr(visas, "cancellable_visa", fake)
            refused = await mutate(
                api, "cancelExitReentryVisa", "CancelVisaInput", CANCELLED, {"personId": worker}, AS_SPONSOR
            )
            assert (refused["code"], refused["message"], refused["messageAr"]) == changed_meanwhile, fake
        assert changed(before, await every_row(api)) == []


async def test_a_bad_id_is_named_by_each_visa_change(api: Api) -> None:
    for name, input_type, extra in (
        ("extendExitReentryVisa", "ExtendExitReentryVisaInput", {"days": 5}),
        ("cancelExitReentryVisa", "CancelVisaInput", {}),
        ("cancelFinalExitVisa", "CancelVisaInput", {}),
    ):
        answer = await mutate(api, name, input_type, "", {"personId": "1234", **extra}, officer("passports"))
        extensions = answer["errors"][0]["extensions"]
        assert (extensions["code"], extensions["argument"]) == ("INVALID_ID", "input.personId"), name


async def test_an_extension_and_a_cancellation_sent_again_with_their_key_are_answered_again(api: Api) -> None:
    async with restored(api):
        worker = await allowed_worker(api, "ISSUE_EXIT_REENTRY_VISA")
        await iqama_until(api, worker, 400)
        visa = await issue(api, worker, days=30)
        key = fresh_key("visa-extension-sent-twice")
        extended = [await extend(api, worker, 10, idempotencyKey=key) for _ in range(2)]
        assert extended[0]["__typename"] == "ExitReentryVisaExtended" and extended[1] == extended[0]
        assert extended[0]["visa"]["allowedDays"] == 40, "extended once"
        cancel = {"personId": worker, "idempotencyKey": fresh_key("visa-cancellation-sent-twice")}
        cancelled = [
            await mutate(api, "cancelExitReentryVisa", "CancelVisaInput", CANCELLED, cancel, AS_SPONSOR)
            for _ in range(2)
        ]
        assert cancelled[0]["visa"]["number"] == visa["number"] and cancelled[1] == cancelled[0]
