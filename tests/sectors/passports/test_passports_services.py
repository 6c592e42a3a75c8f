"""Passports' services over GraphQL: each refusal code of issueExitReentryVisa, renewIqama and
issueFinalExitVisa triggered alone on a resident made eligible first, and what each does when
allowed. Every refusal is checked to write nothing and to match eligibility (tests.sectors.asking)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.contract.principal import Principal
from hub.notifications.models import NotificationRow
from sectors.passports import mutations
from sectors.passports.models import AbscondingReportRow, IqamaRow, MedicalInsuranceRow, PassportRow, VisaRow
from sectors.traffic.models import ViolationRow
from tests.conftest import PERSONA, TODAY, Api, individual, officer
from tests.sectors.asking import (
    Mutation,
    ask,
    change,
    days,
    fresh_key,
    kept,
    newest_notice,
    notices_since,
    unpaid_violation,
)
from tests.sectors.passports.helpers import bad_id, mutate
from tests.services.tables import changed, every_row

EXIT_REENTRY = Mutation(
    "issueExitReentryVisa",
    "IssueExitReentryVisaInput",
    "... on ExitReentryVisaIssued { visa { number kind status validFrom { gregorian } validUntil { gregorian } "
    "allowedDays } }",
    "ISSUE_EXIT_REENTRY_VISA",
)
RENEW_IQAMA = Mutation(
    "renewIqama",
    "RenewIqamaInput",
    "... on IqamaRenewed { iqama { number status expiresOn { gregorian } } }",
    "RENEW_IQAMA",
)
FINAL_EXIT = Mutation(
    "issueFinalExitVisa",
    "IssueFinalExitVisaInput",
    "... on FinalExitVisaIssued { visa { kind status validFrom { gregorian } validUntil { gregorian } allowedDays } }",
    "ISSUE_FINAL_EXIT_VISA",
)
PASSPORTS = officer("passports")
KEPT = (IqamaRow, PassportRow, VisaRow, AbscondingReportRow, ViolationRow, MedicalInsuranceRow, NotificationRow)


async def _residents(api: Api) -> list[tuple[str, str]]:
    """(resident, sponsor) of seeded residents sponsored by a citizen and sponsoring nobody: each
    test takes its own, so their changes never meet."""
    async with api.hub.db.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT i.person_id, i.sponsor_id FROM passports_iqamas i WHERE i.sponsor_id LIKE '1%' "
                "AND NOT EXISTS (SELECT 1 FROM passports_iqamas d WHERE d.sponsor_id = i.person_id) "
                "ORDER BY i.person_id LIMIT 40"
            )
        )
        return [(row[0], row[1]) for row in rows if row[0] not in PERSONA.values()]


@asynccontextmanager
async def eligible(api: Api, index: int) -> AsyncIterator[tuple[str, Principal]]:
    """A resident every passports service allows (valid iqama for 400 days more, a valid passport and
    medical insurance, no report, visa or unpaid fine), and their sponsor; every row is put back afterwards,
    the notices they were sent included."""
    resident, sponsor = (await _residents(api))[index]
    async with kept(api, resident, *KEPT):
        await change(
            api,
            update(IqamaRow).where(IqamaRow.person_id == resident).values(status="valid", expires_on=days(400)),
            update(PassportRow).where(PassportRow.person_id == resident).values(status="valid", expires_on=days(900)),
            update(MedicalInsuranceRow)
            .where(MedicalInsuranceRow.person_id == resident)
            .values(valid_from=days(-10), valid_until=days(400)),
            delete(VisaRow).where(VisaRow.person_id == resident),
            delete(AbscondingReportRow).where(AbscondingReportRow.person_id == resident),
            delete(ViolationRow).where(ViolationRow.person_id == resident),
        )
        yield resident, individual(sponsor)


def absconding_report(person_id: str, sponsor_id: str, status: str) -> Any:
    return insert(AbscondingReportRow).values(
        reference=f"HR{person_id}", person_id=person_id, filed_by_id=sponsor_id, filed_on=days(-5), status=status
    )


def visa(person_id: str, number: str, kind: str, status: str, valid_until: int) -> Any:
    return insert(VisaRow).values(
        number=number,
        person_id=person_id,
        sponsor_id=None,
        kind=kind,
        status=status,
        issued_on=days(-10),
        valid_from=days(-10),
        valid_until=days(valid_until),
        allowed_days=30,
    )


async def visas_of(api: Api, person_id: str) -> int:
    rows = await api.hub.db.fetch(select(VisaRow.number).where(VisaRow.person_id == person_id))
    return len(rows)


def exit_reentry(person_id: str, day_count: int = 30) -> dict[str, Any]:
    return {"personId": person_id, "kind": "SINGLE", "days": day_count}


async def stored_visas(api: Api, person_id: str) -> list[dict[str, Any]]:
    rows = await api.hub.db.fetch(select(VisaRow.__table__).where(VisaRow.person_id == person_id))
    return [dict(row._mapping) for row in rows]


def iqamas_changed(before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]) -> set[str]:
    """The numbers of the iqamas whose rows differ (an iqama row's first column is its number)."""
    return {row[0] for row in set(before["passports_iqamas"]) ^ set(after["passports_iqamas"])}


async def asked_twice(api: Api, mutation: Mutation, input: dict[str, Any], caller: Principal) -> list[Any]:
    """The two answers to the mutation sent twice with one idempotency key (not through `ask`: the
    second answer is the first, kept, while eligibility already sees what the first did)."""
    keyed = {**input, "idempotencyKey": fresh_key(f"{mutation.field}-sent-twice")}
    return [(await api.query(mutation.document(), {"input": keyed}, as_=caller))["data"] for _ in range(2)]


# ---- issueExitReentryVisa -------------------------------------------------------------------------


async def test_an_exit_reentry_visa_is_issued_once_then_refused_while_it_is_unused(api: Api) -> None:
    async with eligible(api, 0) as (resident, sponsor):
        issued = await ask(api, EXIT_REENTRY, exit_reentry(resident, 30), sponsor)
        assert issued.code is None and issued.result is not None
        assert {k: v for k, v in issued.result["visa"].items() if k != "number"} == {
            "kind": "EXIT_REENTRY_SINGLE",
            "status": "ISSUED",
            "validFrom": {"gregorian": TODAY.isoformat()},
            "validUntil": {"gregorian": days(30).isoformat()},
            "allowedDays": 30,
        }
        again = await ask(api, EXIT_REENTRY, exit_reentry(resident, 10), sponsor)
        assert (again.code, again.blockers) == ("VISA_ALREADY_ISSUED", [("passports", "VISA_ALREADY_ISSUED")])
        assert await visas_of(api, resident) == 1


async def test_a_used_or_lapsed_exit_reentry_visa_does_not_block_a_new_one(api: Api) -> None:
    async with eligible(api, 1) as (resident, sponsor):
        await change(
            api,
            visa(resident, "8800000001", "exit_reentry_single", "used", 20),
            visa(resident, "8800000002", "exit_reentry_multiple", "issued", -1),
            visa(resident, "8800000003", "final_exit", "issued", 20),  # another kind
        )
        assert (await ask(api, EXIT_REENTRY, exit_reentry(resident), sponsor)).code is None
    async with eligible(api, 1) as (resident, sponsor):
        await change(api, visa(resident, "8800000004", "exit_reentry_multiple", "issued", 0))  # its last day
        assert (await ask(api, EXIT_REENTRY, exit_reentry(resident), sponsor)).code == "VISA_ALREADY_ISSUED"


async def test_an_exit_reentry_visa_is_refused_past_the_iqamas_end(api: Api) -> None:
    async with eligible(api, 2) as (resident, sponsor):
        await change(api, update(IqamaRow).where(IqamaRow.person_id == resident).values(expires_on=days(20)))
        before = await every_row(api)
        too_long = await ask(api, EXIT_REENTRY, exit_reentry(resident, 21), sponsor)
        assert too_long.result is not None
        assert (too_long.code, too_long.result["message"], too_long.result["messageAr"], too_long.blockers) == (
            "IQAMA_TOO_SHORT",
            "The iqama expires before the visa would end.",
            "تنتهي الإقامة قبل انتهاء التأشيرة.",
            [],
        )
        assert changed(before, await every_row(api)) == []
        assert (await ask(api, EXIT_REENTRY, exit_reentry(resident, 20), sponsor)).code is None  # ends with it


async def test_an_exit_reentry_visa_needs_a_valid_iqama(api: Api) -> None:
    async with eligible(api, 3) as (resident, sponsor):
        await change(api, update(IqamaRow).where(IqamaRow.person_id == resident).values(status="expired"))
        assert (await ask(api, EXIT_REENTRY, exit_reentry(resident), sponsor)).blockers == [
            ("passports", "IQAMA_NOT_VALID")
        ]
        # Marked valid but past its date: the date decides.
        await change(
            api, update(IqamaRow).where(IqamaRow.person_id == resident).values(status="valid", expires_on=days(-1))
        )
        assert (await ask(api, EXIT_REENTRY, exit_reentry(resident), sponsor)).code == "IQAMA_NOT_VALID"


async def test_an_exit_reentry_visa_needs_a_valid_passport(api: Api) -> None:
    async with eligible(api, 4) as (resident, sponsor):
        await change(api, update(PassportRow).where(PassportRow.person_id == resident).values(expires_on=days(-1)))
        refused = await ask(api, EXIT_REENTRY, exit_reentry(resident), sponsor)
        assert refused.blockers == [("passports", "PASSPORT_NOT_VALID")]
        await change(
            api,
            update(PassportRow).where(PassportRow.person_id == resident).values(status="lost", expires_on=days(900)),
        )
        assert (await ask(api, EXIT_REENTRY, exit_reentry(resident), sponsor)).code == "PASSPORT_NOT_VALID"


async def test_an_open_absconding_report_blocks_an_exit_reentry_visa_and_a_closed_one_does_not(api: Api) -> None:
    async with eligible(api, 5) as (resident, sponsor):
        assert sponsor.person_id is not None
        await change(api, absconding_report(resident, sponsor.person_id, "open"))
        refused = await ask(api, EXIT_REENTRY, exit_reentry(resident), sponsor)
        assert refused.blockers == [("passports", "ABSCONDING_REPORT_OPEN")]
        await change(
            api, update(AbscondingReportRow).where(AbscondingReportRow.person_id == resident).values(status="cancelled")
        )
        assert (await ask(api, EXIT_REENTRY, exit_reentry(resident), sponsor)).code is None


async def test_an_exit_reentry_visa_is_asked_for_by_the_sponsor_for_one_to_180_days(api: Api) -> None:
    async with eligible(api, 6) as (resident, sponsor):
        for day_count in (0, 181):
            assert (await ask(api, EXIT_REENTRY, exit_reentry(resident, day_count), sponsor)).code == "BAD_USER_INPUT"
        assert (await ask(api, EXIT_REENTRY, exit_reentry(resident), individual(resident))).code == "FORBIDDEN"
        assert (await ask(api, EXIT_REENTRY, exit_reentry(resident), officer("traffic"))).code == "FORBIDDEN"
        assert await visas_of(api, resident) == 0
        assert (await ask(api, EXIT_REENTRY, exit_reentry(resident, 180), sponsor)).code is None


async def test_a_citizen_holds_no_iqama_for_any_passports_service(api: Api) -> None:
    citizen = PERSONA["sponsor"]
    for mutation, input in (
        (EXIT_REENTRY, exit_reentry(citizen)),
        (RENEW_IQAMA, {"personId": citizen}),
        (FINAL_EXIT, {"personId": citizen}),
    ):
        refused = await ask(api, mutation, input, PASSPORTS)
        assert refused.blockers == [("passports", "NOT_A_RESIDENT")], mutation.field


async def test_a_citizen_is_refused_as_not_a_resident_alone_whatever_else_holds(api: Api) -> None:
    """The other rules are not asked about someone with no iqama: an open report or a fine of theirs
    is not listed beside NOT_A_RESIDENT."""
    citizen = PERSONA["sponsor"]
    async with kept(api, citizen, AbscondingReportRow, ViolationRow):
        await change(api, absconding_report(citizen, "1000000008", "open"), unpaid_violation(citizen, "9810000099"))
        for mutation, input in ((EXIT_REENTRY, exit_reentry(citizen)), (RENEW_IQAMA, {"personId": citizen})):
            refused = await ask(api, mutation, input, PASSPORTS)
            assert refused.blockers == [("passports", "NOT_A_RESIDENT")], mutation.field


async def test_an_iqama_and_a_passport_are_valid_through_their_last_day(api: Api) -> None:
    async with eligible(api, 19) as (resident, sponsor):
        await change(
            api,
            update(IqamaRow).where(IqamaRow.person_id == resident).values(expires_on=TODAY),
            update(PassportRow).where(PassportRow.person_id == resident).values(expires_on=TODAY),
        )
        assert (await ask(api, FINAL_EXIT, {"personId": resident}, sponsor)).code is None


async def test_an_exit_reentry_visa_writes_every_value_and_tells_the_resident(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with eligible(api, 21) as (resident, sponsor):
        monkeypatch.setattr(mutations.secrets, "randbelow", lambda bound: bound - 1)  # the largest draw
        before, last = await every_row(api), await newest_notice(api)
        issued = await ask(api, EXIT_REENTRY, {"personId": resident, "kind": "MULTIPLE", "days": 45}, sponsor)
        assert issued.result is not None and issued.result["visa"] == {
            "number": "6999999999",
            "kind": "EXIT_REENTRY_MULTIPLE",
            "status": "ISSUED",
            "validFrom": {"gregorian": TODAY.isoformat()},
            "validUntil": {"gregorian": days(45).isoformat()},
            "allowedDays": 45,
        }
        assert await stored_visas(api, resident) == [
            {
                "number": "6999999999",
                "person_id": resident,
                "sponsor_id": sponsor.person_id,
                "kind": "exit_reentry_multiple",
                "status": "issued",
                "issued_on": TODAY,
                "valid_from": TODAY,
                "valid_until": days(45),
                "allowed_days": 45,
            }
        ]
        assert changed(before, await every_row(api)) == ["notifications_inbox", "passports_visas"]
        assert await notices_since(api, last) == [
            (
                resident,
                "passports",
                "service_completed",
                f"An exit/re-entry visa 6999999999 was issued for you, valid until {days(45)}.",
                f"صدرت لك تأشيرة خروج وعودة رقم 6999999999، صالحة حتى {days(45)}.",
            )
        ]


async def test_an_exit_reentry_visa_names_its_days_and_each_passports_service_a_malformed_id(api: Api) -> None:
    async with eligible(api, 22) as (resident, sponsor):
        before = await every_row(api)
        for wrong in (0, 181):
            answer = await mutate(
                api, "issueExitReentryVisa", "IssueExitReentryVisaInput", "", exit_reentry(resident, wrong), sponsor
            )
            assert [(e["message"], e["extensions"]["code"], e["extensions"]["argument"]) for e in answer["errors"]] == [
                ("input.days: between 1 and 180.", "BAD_USER_INPUT", "input.days")
            ], wrong
        assert changed(before, await every_row(api)) == []
    for name, input_type, extra in (
        ("issueExitReentryVisa", "IssueExitReentryVisaInput", {"kind": "SINGLE", "days": 30}),
        ("renewIqama", "RenewIqamaInput", {}),
        ("issueFinalExitVisa", "IssueFinalExitVisaInput", {}),
    ):
        assert await bad_id(api, name, input_type, extra) == ("INVALID_ID", "input.personId"), name


async def test_each_passports_service_sent_again_with_its_key_is_answered_again_and_done_once(api: Api) -> None:
    for index, mutation, input in (
        (23, EXIT_REENTRY, exit_reentry(PERSONA["sponsor"], 30)),
        (24, RENEW_IQAMA, {}),
        (25, FINAL_EXIT, {}),
    ):
        async with eligible(api, index) as (resident, sponsor):
            last = await newest_notice(api)
            first, again = await asked_twice(api, mutation, {**input, "personId": resident}, sponsor)
            assert first[mutation.field]["__typename"] != "Refusal" and again == first, mutation.field
            assert len(await notices_since(api, last)) == 1, mutation.field
            if mutation is RENEW_IQAMA:
                assert first["renewIqama"]["iqama"]["expiresOn"] == {"gregorian": days(400 + 365).isoformat()}
            else:
                assert await visas_of(api, resident) == 1, mutation.field


# ---- renewIqama ------------------------------------------------------------------------------------


async def test_an_iqama_is_renewed_for_a_year_from_its_end_or_from_today_once_expired(api: Api) -> None:
    async with eligible(api, 7) as (resident, _):
        renewed = await ask(api, RENEW_IQAMA, {"personId": resident}, individual(resident))
        assert renewed.result is not None
        assert renewed.result["iqama"]["expiresOn"] == {"gregorian": days(400 + 365).isoformat()}
        await change(
            api, update(IqamaRow).where(IqamaRow.person_id == resident).values(status="expired", expires_on=days(-30))
        )
        lapsed = await ask(api, RENEW_IQAMA, {"personId": resident}, PASSPORTS)
        assert lapsed.result is not None
        assert lapsed.result["iqama"] == {
            "number": resident,
            "status": "VALID",
            "expiresOn": {"gregorian": days(365).isoformat()},
        }


async def test_a_cancelled_iqama_is_not_renewed(api: Api) -> None:
    async with eligible(api, 8) as (resident, _):
        await change(api, update(IqamaRow).where(IqamaRow.person_id == resident).values(status="cancelled"))
        refused = await ask(api, RENEW_IQAMA, {"personId": resident}, individual(resident))
        assert refused.blockers == [("passports", "IQAMA_CANCELLED")]


async def test_an_iqama_renewal_needs_a_valid_passport_and_no_open_report(api: Api) -> None:
    async with eligible(api, 9) as (resident, sponsor):
        await change(api, update(PassportRow).where(PassportRow.person_id == resident).values(status="expired"))
        assert (await ask(api, RENEW_IQAMA, {"personId": resident}, sponsor)).blockers == [
            ("passports", "PASSPORT_NOT_VALID")
        ]
    async with eligible(api, 9) as (resident, sponsor):
        assert sponsor.person_id is not None
        await change(api, absconding_report(resident, sponsor.person_id, "open"))
        assert (await ask(api, RENEW_IQAMA, {"personId": resident}, sponsor)).blockers == [
            ("passports", "ABSCONDING_REPORT_OPEN")
        ]


async def test_unpaid_traffic_fines_block_an_iqama_renewal(api: Api) -> None:
    async with eligible(api, 10) as (resident, sponsor):
        await change(api, unpaid_violation(resident, "9810000010"))
        refused = await ask(api, RENEW_IQAMA, {"personId": resident}, sponsor)
        assert refused.blockers == [("traffic", "UNPAID_VIOLATIONS")]
        await change(api, update(ViolationRow).where(ViolationRow.number == "9810000010").values(status="paid"))
        assert (await ask(api, RENEW_IQAMA, {"personId": resident}, sponsor)).code is None


async def test_an_iqama_renewal_is_for_the_resident_the_sponsor_or_a_passports_officer(api: Api) -> None:
    async with eligible(api, 11) as (resident, _):
        for caller in (officer("traffic"), individual(PERSONA["visitor"])):
            assert (await ask(api, RENEW_IQAMA, {"personId": resident}, caller)).code == "FORBIDDEN"


async def test_an_iqama_renewal_writes_its_end_and_status_alone_and_tells_the_resident(api: Api) -> None:
    async with eligible(api, 26) as (resident, sponsor):
        await change(
            api, update(IqamaRow).where(IqamaRow.person_id == resident).values(status="expired", expires_on=days(-3))
        )
        stored = select(IqamaRow.__table__).where(IqamaRow.number == resident)
        [kept_row] = [dict(row._mapping) for row in await api.hub.db.fetch(stored)]
        before, last = await every_row(api), await newest_notice(api)
        renewed = await ask(api, RENEW_IQAMA, {"personId": resident}, sponsor)
        assert renewed.result is not None and renewed.result["iqama"] == {
            "number": resident,
            "status": "VALID",
            "expiresOn": {"gregorian": days(365).isoformat()},
        }
        assert [dict(row._mapping) for row in await api.hub.db.fetch(stored)] == [
            kept_row | {"status": "valid", "expires_on": days(365)}
        ]
        after = await every_row(api)
        assert changed(before, after) == ["notifications_inbox", "passports_iqamas"]
        assert iqamas_changed(before, after) == {resident}
        assert await notices_since(api, last) == [
            (
                resident,
                "passports",
                "service_completed",
                f"Your iqama {resident} was renewed until {days(365)}.",
                f"جُددت إقامتك رقم {resident} حتى {days(365)}.",
            )
        ]


async def test_an_iqama_cancelled_after_the_rules_saw_it_is_refused_not_renewed(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another request cancels the iqama between the rules and the write: the renewal refuses, the
    iqama stays cancelled with its end, and nobody is told it was renewed."""
    async with eligible(api, 20) as (resident, sponsor):
        real_current_iqama = mutations._current_iqama

        async def cancelled_meanwhile(session: AsyncSession, person_id: str) -> Any:
            seen = await real_current_iqama(session, person_id)
            await session.execute(update(IqamaRow).where(IqamaRow.number == seen.number).values(status="cancelled"))
            return seen

        monkeypatch.setattr(mutations, "_current_iqama", cancelled_meanwhile)
        last = await newest_notice(api)
        refused = await ask(api, RENEW_IQAMA, {"personId": resident}, sponsor)
        assert refused.result is not None
        assert (refused.code, refused.result["message"], refused.result["messageAr"], refused.blockers) == (
            "IQAMA_CHANGED",
            "The iqama changed while this request was decided; ask again.",
            "تغيرت الإقامة أثناء معالجة الطلب؛ أعد المحاولة.",
            [],
        )
        iqama = await api.hub.db.fetch(select(IqamaRow.status, IqamaRow.expires_on).where(IqamaRow.number == resident))
        assert [tuple(row) for row in iqama] == [("cancelled", days(400))]
        assert await notices_since(api, last) == []


# ---- issueFinalExitVisa ----------------------------------------------------------------------------


async def test_a_final_exit_visa_is_issued_for_60_days_once(api: Api) -> None:
    async with eligible(api, 12) as (resident, _):
        issued = await ask(api, FINAL_EXIT, {"personId": resident}, individual(resident))
        assert issued.result is not None and issued.result["visa"] == {
            "kind": "FINAL_EXIT",
            "status": "ISSUED",
            "validFrom": {"gregorian": TODAY.isoformat()},
            "validUntil": {"gregorian": days(60).isoformat()},
            "allowedDays": 60,
        }
        again = await ask(api, FINAL_EXIT, {"personId": resident}, individual(resident))
        assert again.blockers == [("passports", "FINAL_EXIT_ALREADY_ISSUED")]


async def test_a_final_exit_visa_writes_every_value_and_tells_the_resident(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with eligible(api, 27) as (resident, sponsor):
        monkeypatch.setattr(mutations.secrets, "randbelow", lambda bound: bound - 1)  # the largest draw
        before, last = await every_row(api), await newest_notice(api)
        assert (await ask(api, FINAL_EXIT, {"personId": resident}, individual(resident))).code is None
        assert await stored_visas(api, resident) == [
            {
                "number": "6999999999",
                "person_id": resident,
                "sponsor_id": sponsor.person_id,
                "kind": "final_exit",
                "status": "issued",
                "issued_on": TODAY,
                "valid_from": TODAY,
                "valid_until": days(60),
                "allowed_days": 60,
            }
        ]
        assert changed(before, await every_row(api)) == ["notifications_inbox", "passports_visas"]
        assert await notices_since(api, last) == [
            (
                resident,
                "passports",
                "service_completed",
                f"A final exit visa 6999999999 was issued for you; leave the Kingdom by {days(60)}.",
                f"صدرت لك تأشيرة خروج نهائي رقم 6999999999؛ غادر المملكة قبل {days(60)}.",
            )
        ]


async def test_a_final_exit_needs_a_valid_iqama_and_passport(api: Api) -> None:
    async with eligible(api, 13) as (resident, sponsor):
        await change(api, update(IqamaRow).where(IqamaRow.person_id == resident).values(expires_on=days(-1)))
        assert (await ask(api, FINAL_EXIT, {"personId": resident}, sponsor)).blockers == [
            ("passports", "IQAMA_NOT_VALID")
        ]
    async with eligible(api, 13) as (resident, sponsor):
        await change(api, update(PassportRow).where(PassportRow.person_id == resident).values(status="cancelled"))
        assert (await ask(api, FINAL_EXIT, {"personId": resident}, sponsor)).blockers == [
            ("passports", "PASSPORT_NOT_VALID")
        ]


async def test_unpaid_fines_of_the_resident_or_a_dependant_block_a_final_exit(api: Api) -> None:
    async with eligible(api, 14) as (resident, sponsor):
        await change(api, unpaid_violation(resident, "9810000014"))
        assert (await ask(api, FINAL_EXIT, {"personId": resident}, sponsor)).blockers == [
            ("traffic", "UNPAID_VIOLATIONS")
        ]
    async with eligible(api, 15) as (resident, sponsor):
        dependant = (await _residents(api))[16][0]
        async with kept(api, dependant, IqamaRow, ViolationRow):
            await change(
                api,
                update(IqamaRow).where(IqamaRow.person_id == dependant).values(sponsor_id=resident, status="valid"),
                unpaid_violation(dependant, "9810000015"),
            )
            refused = await ask(api, FINAL_EXIT, {"personId": resident}, sponsor)
            assert refused.blockers == [("traffic", "DEPENDANT_UNPAID_VIOLATIONS")]
            assert dependant not in str(refused.result)
            await change(api, update(IqamaRow).where(IqamaRow.person_id == dependant).values(status="cancelled"))
            assert (await ask(api, FINAL_EXIT, {"personId": resident}, sponsor)).code is None


async def test_a_final_exit_is_for_the_resident_the_sponsor_or_a_passports_officer(api: Api) -> None:
    async with eligible(api, 17) as (resident, _):
        assert (await ask(api, FINAL_EXIT, {"personId": resident}, officer("civil_affairs"))).code == "FORBIDDEN"
        assert (await ask(api, FINAL_EXIT, {"personId": "1234"}, PASSPORTS)).code == "INVALID_ID"


# ---- the hub's today --------------------------------------------------------------------------------


async def test_the_rules_decide_on_the_hubs_today(api: Api) -> None:
    """The day after the iqama ends, by the hub's clock alone, it is no longer valid."""
    async with eligible(api, 18) as (resident, sponsor):
        await change(api, update(IqamaRow).where(IqamaRow.person_id == resident).values(expires_on=days(10)))
        kept_today = api.hub.today
        api.hub.today = lambda: days(11)
        try:
            refused = await ask(api, EXIT_REENTRY, exit_reentry(resident, 1), sponsor)
        finally:
            api.hub.today = kept_today
        assert refused.blockers == [("passports", "IQAMA_NOT_VALID")]
        assert (await ask(api, EXIT_REENTRY, exit_reentry(resident, 1), sponsor)).code is None
