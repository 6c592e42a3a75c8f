"""Safety permits over HTTP: applying (a retail shop or an office at once, the others pending an
inspection; never a visitor) and renewing (the owner's own permit, not suspended or pending, from
90 days before expiry). Refusals match eligibility and change no table."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from hub.contract.calendar import years_after
from hub.notifications.models import NotificationRow
from sectors.civil_defence import mutations
from sectors.civil_defence.models import SafetyPermitRow
from tests.conftest import PERSONA, TODAY, Api, individual, officer
from tests.sectors.asking import change, committed_before_first_update, fresh_key, kept, newest_notice, notices_since
from tests.services.tables import changed, every_row
from tests.services.test_eligibility import asked, codes, data

APPLY = """mutation($input: ApplySafetyPermitInput!) { applySafetyPermit(input: $input) {
  __typename ... on SafetyPermitApplied { permit { number status establishmentKind expiresOn { gregorian } } }
  ... on Refusal { code } } }"""
RENEW = """mutation($input: RenewSafetyPermitInput!) { renewSafetyPermit(input: $input) {
  __typename ... on SafetyPermitRenewed { permit { number status issuedOn { gregorian } expiresOn { gregorian } } }
  ... on Refusal { code } } }"""

SPONSOR, HEAD = PERSONA["sponsor"], PERSONA["family_head"]
CIVIL_DEFENCE = officer("civil_defence")


def application(kind: str, person_id: str = HEAD) -> dict[str, Any]:
    return {
        "input": {
            "personId": person_id,
            "establishmentNameAr": "مخبز الحي",
            "establishmentNameEn": "Neighbourhood Bakery",
            "establishmentKind": kind,
            "city": "Riyadh",
        }
    }


async def permit_of(api: Api, owner: str, status: str) -> SafetyPermitRow:
    async with api.hub.db.connect() as connection:
        return (  # type: ignore[no-any-return]
            await connection.execute(
                select(SafetyPermitRow)
                .where(SafetyPermitRow.owner_id == owner, SafetyPermitRow.status == status)
                .order_by(SafetyPermitRow.number)
                .limit(1)
            )
        ).one()


async def test_a_shop_gets_its_permit_at_once_and_a_restaurant_waits_for_inspection(api: Api) -> None:
    numbers = []
    try:
        for kind, status in (("RETAIL", "VALID"), ("RESTAURANT", "PENDING")):
            answer = await api.query(APPLY, application(kind), as_=individual(HEAD))
            permit = answer["data"]["applySafetyPermit"]["permit"]
            numbers.append(permit["number"])
            assert (permit["status"], permit["establishmentKind"]) == (status, kind), answer
            assert permit["expiresOn"]["gregorian"] == str(years_after(TODAY, 1))
        assert codes(await asked(api, "RENEW_SAFETY_PERMIT", HEAD, individual(HEAD), numbers[1])) == [
            ("civil_defence", "PERMIT_PENDING")
        ]
    finally:
        async with api.hub.db.connect() as connection:
            await connection.execute(delete(SafetyPermitRow).where(SafetyPermitRow.number.in_(numbers)))
            await connection.commit()


async def test_a_visitor_cannot_apply_and_nobody_else_may_for_an_owner(api: Api) -> None:
    assert codes(await asked(api, "APPLY_SAFETY_PERMIT", PERSONA["visitor"], CIVIL_DEFENCE)) == [
        ("civil_defence", "VISITOR_CANNOT_OWN")
    ]
    before = await every_row(api)
    stranger = await api.query(APPLY, application("OFFICE"), as_=individual("sponsor"))
    assert stranger["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    empty = await api.query(APPLY, {"input": {**application("OFFICE")["input"], "city": " "}}, as_=individual(HEAD))
    assert empty["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "input.city"}
    assert changed(before, await every_row(api)) == []


async def test_an_expired_permit_is_renewed_for_a_year_from_today(api: Api) -> None:
    permit = await permit_of(api, SPONSOR, "expired")
    kept = {"issued_on": permit.issued_on, "expires_on": permit.expires_on, "status": permit.status}
    try:
        answer = await api.query(
            RENEW, {"input": {"personId": SPONSOR, "number": permit.number.lower()}}, as_=individual(SPONSOR)
        )
        renewed = answer["data"]["renewSafetyPermit"]["permit"]
        assert renewed["status"] == "VALID", answer
        assert renewed["issuedOn"]["gregorian"] == str(TODAY)
        assert renewed["expiresOn"]["gregorian"] == str(years_after(TODAY, 1))
    finally:
        async with api.hub.db.connect() as connection:
            await connection.execute(
                update(SafetyPermitRow).where(SafetyPermitRow.number == permit.number).values(kept)
            )
            await connection.commit()


async def test_each_renewal_rule_blocks_as_eligibility_says(api: Api) -> None:
    valid = await permit_of(api, HEAD, "valid")
    number = valid.number
    assert codes(await asked(api, "RENEW_SAFETY_PERMIT", SPONSOR, CIVIL_DEFENCE, number)) == [
        ("civil_defence", "PERMIT_NOT_FOUND")
    ]
    assert codes(await asked(api, "RENEW_SAFETY_PERMIT", HEAD, individual(HEAD), number)) == [
        ("civil_defence", "TOO_EARLY_TO_RENEW")
    ]
    restore = (
        update(SafetyPermitRow)
        .where(SafetyPermitRow.number == number)
        .values(status=valid.status, expires_on=valid.expires_on)
    )
    soon = TODAY + dt.timedelta(days=90)
    async with data(
        api,
        update(SafetyPermitRow).where(SafetyPermitRow.number == number).values(status="suspended"),
        undo=[restore],
    ):
        assert codes(await asked(api, "RENEW_SAFETY_PERMIT", HEAD, individual(HEAD), number)) == [
            ("civil_defence", "PERMIT_SUSPENDED"),
            ("civil_defence", "TOO_EARLY_TO_RENEW"),
        ]
    async with data(
        api, update(SafetyPermitRow).where(SafetyPermitRow.number == number).values(expires_on=soon), undo=[restore]
    ):
        assert await asked(api, "RENEW_SAFETY_PERMIT", HEAD, individual(HEAD), number) == []
    bad = await api.query(RENEW, {"input": {"personId": HEAD, "number": "XX1234567890"}}, as_=individual(HEAD))
    assert bad["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "input.number"}


async def test_an_application_for_a_malformed_id_is_refused_naming_the_argument(api: Api) -> None:
    before = await every_row(api)
    bad = await api.query(APPLY, {"input": {**application("OFFICE")["input"], "personId": "12345"}}, as_=CIVIL_DEFENCE)
    assert bad["errors"][0]["extensions"] == {"code": "INVALID_ID", "argument": "input.personId"}
    assert changed(before, await every_row(api)) == []


FULL = """permit { number establishmentNameAr establishmentNameEn establishmentKind city status
  issuedOn { gregorian } expiresOn { gregorian } }"""
APPLY_ALL = f"""mutation($input: ApplySafetyPermitInput!) {{ applySafetyPermit(input: $input) {{
  __typename ... on SafetyPermitApplied {{ {FULL} }} ... on Refusal {{ code message messageAr }} }} }}"""
RENEW_ALL = f"""mutation($input: RenewSafetyPermitInput!) {{ renewSafetyPermit(input: $input) {{
  __typename ... on SafetyPermitRenewed {{ {FULL} }} ... on Refusal {{ code message messageAr }} }} }}"""


async def _forget(api: Api, *numbers: str) -> None:
    async with api.hub.db.connect() as connection:
        await connection.execute(delete(SafetyPermitRow).where(SafetyPermitRow.number.in_(numbers)))
        await connection.commit()


async def _permit_row(api: Api, number: str) -> tuple[Any, ...]:
    rows = await api.hub.db.fetch(select(SafetyPermitRow.__table__).where(SafetyPermitRow.number == number))
    [row] = rows
    return tuple(row)


@pytest.mark.parametrize(
    ("kind", "status", "told_en", "told_ar"),
    [
        ("OFFICE", "valid", "is issued.", "صدرت."),
        ("WAREHOUSE", "pending", "awaits civil defence's inspection.", "بانتظار معاينة الدفاع المدني."),
    ],
)
async def test_an_application_writes_every_value_with_the_largest_draw_and_tells_the_owner(
    api: Api, monkeypatch: pytest.MonkeyPatch, kind: str, status: str, told_en: str, told_ar: str
) -> None:
    monkeypatch.setattr(mutations.secrets, "randbelow", lambda bound: bound - 1)  # the largest draw
    number = f"SL{TODAY:%y}99999999"
    given = {"establishmentNameAr": " مكتب الحي ", "establishmentNameEn": " Corner Office  ", "city": "  Dammam "}
    try:
        async with kept(api, HEAD, NotificationRow):
            last = await newest_notice(api)
            answer = await api.query(APPLY_ALL, {"input": application(kind)["input"] | given}, as_=individual(HEAD))
            expires = years_after(TODAY, 1)
            assert answer["data"]["applySafetyPermit"]["permit"] == {
                "number": number,
                "establishmentNameAr": "مكتب الحي",
                "establishmentNameEn": "Corner Office",
                "establishmentKind": kind,
                "city": "Dammam",
                "status": status.upper(),
                "issuedOn": {"gregorian": TODAY.isoformat()},
                "expiresOn": {"gregorian": expires.isoformat()},
            }, answer
            assert await _permit_row(api, number) == (
                number,
                HEAD,
                "مكتب الحي",
                "Corner Office",
                kind.lower(),
                "Dammam",
                TODAY,
                expires,
                status,
            )
            assert await notices_since(api, last) == [
                (
                    HEAD,
                    "civil_defence",
                    "service_completed",
                    f"Safety permit {number} {told_en}",
                    f"رخصة السلامة رقم {number} {told_ar}",
                )
            ]
    finally:
        await _forget(api, number)


@pytest.mark.parametrize(
    ("field", "argument", "limit"),
    [
        ("establishmentNameAr", "input.establishmentNameAr", 80),
        ("establishmentNameEn", "input.establishmentNameEn", 80),
        ("city", "input.city", 40),
    ],
)
async def test_each_text_of_an_application_is_1_to_its_limit_characters_named_when_refused(
    api: Api, field: str, argument: str, limit: int
) -> None:
    before = await api.hub.db.fetch(select(SafetyPermitRow.number).where(SafetyPermitRow.owner_id == HEAD))
    for refused_text in ("  ", "x" * (limit + 1)):
        refused = await api.query(
            APPLY, {"input": application("RETAIL")["input"] | {field: refused_text}}, as_=individual(HEAD)
        )
        assert [(e["message"], e["extensions"]) for e in refused["errors"]] == [
            (f"{argument}: 1 to {limit} characters.", {"code": "BAD_USER_INPUT", "argument": argument})
        ]
    assert await api.hub.db.fetch(select(SafetyPermitRow.number).where(SafetyPermitRow.owner_id == HEAD)) == before
    async with kept(api, HEAD, NotificationRow):
        filed = await api.query(
            APPLY, {"input": application("RETAIL")["input"] | {field: "y" * limit}}, as_=individual(HEAD)
        )
        number = filed["data"]["applySafetyPermit"]["permit"]["number"]
        await _forget(api, number)


async def test_an_application_sent_again_with_its_idempotency_key_is_answered_again_and_made_once(api: Api) -> None:
    sent = {"input": application("RETAIL")["input"] | {"idempotencyKey": fresh_key("safety-permit-applied-twice")}}
    numbers: list[str] = []
    try:
        async with kept(api, HEAD, NotificationRow):
            last = await newest_notice(api)
            answers = [await api.query(APPLY_ALL, sent, as_=individual(HEAD)) for _ in range(2)]
            numbers.append(answers[0]["data"]["applySafetyPermit"]["permit"]["number"])
            assert answers[1] == answers[0]
            made = await api.hub.db.fetch(
                select(SafetyPermitRow.number).where(
                    SafetyPermitRow.owner_id == HEAD, SafetyPermitRow.issued_on == TODAY
                )
            )
            assert [row[0] for row in made] == numbers
            assert len(await notices_since(api, last)) == 1
    finally:
        await _forget(api, *numbers)


@asynccontextmanager
async def _valid_permit_expiring_in(api: Api, days: int) -> AsyncIterator[SafetyPermitRow]:
    """HEAD's valid permit, made to expire in `days`; it and HEAD's notices put back afterwards."""
    valid = await permit_of(api, HEAD, "valid")
    restore = (
        update(SafetyPermitRow)
        .where(SafetyPermitRow.number == valid.number)
        .values(owner_id=valid.owner_id, issued_on=valid.issued_on, expires_on=valid.expires_on, status=valid.status)
    )
    async with (
        kept(api, HEAD, NotificationRow),
        data(
            api,
            update(SafetyPermitRow)
            .where(SafetyPermitRow.number == valid.number)
            .values(expires_on=TODAY + dt.timedelta(days=days)),
            undo=[restore],
        ),
    ):
        yield valid


async def test_a_valid_permit_renewed_90_days_before_expiry_writes_every_value_and_tells_the_owner(api: Api) -> None:
    async with _valid_permit_expiring_in(api, 90) as permit:
        last = await newest_notice(api)
        answer = await api.query(
            RENEW_ALL, {"input": {"personId": HEAD, "number": permit.number}}, as_=individual(HEAD)
        )
        expires = years_after(TODAY + dt.timedelta(days=90), 1)
        assert answer["data"]["renewSafetyPermit"]["permit"] == {
            "number": permit.number,
            "establishmentNameAr": permit.establishment_name_ar,
            "establishmentNameEn": permit.establishment_name_en,
            "establishmentKind": permit.establishment_kind.upper(),
            "city": permit.city,
            "status": "VALID",
            "issuedOn": {"gregorian": TODAY.isoformat()},
            "expiresOn": {"gregorian": expires.isoformat()},
        }, answer
        assert await _permit_row(api, permit.number) == (
            permit.number,
            HEAD,
            permit.establishment_name_ar,
            permit.establishment_name_en,
            permit.establishment_kind,
            permit.city,
            TODAY,
            expires,
            "valid",
        )
        assert await notices_since(api, last) == [
            (
                HEAD,
                "civil_defence",
                "service_completed",
                f"Safety permit {permit.number} was renewed until {expires.isoformat()}.",
                f"جُددت رخصة السلامة رقم {permit.number} حتى {expires.isoformat()}.",
            )
        ]


async def test_a_renewal_sent_again_with_its_idempotency_key_is_answered_again_and_done_once(api: Api) -> None:
    async with _valid_permit_expiring_in(api, 30) as permit:
        last = await newest_notice(api)
        sent = {
            "input": {
                "personId": HEAD,
                "number": permit.number,
                "idempotencyKey": fresh_key("safety-permit-renewed-twice"),
            }
        }
        answers = [await api.query(RENEW_ALL, sent, as_=individual(HEAD)) for _ in range(2)]
        expires = years_after(TODAY + dt.timedelta(days=30), 1)
        assert answers[0]["data"]["renewSafetyPermit"]["permit"]["expiresOn"] == {"gregorian": expires.isoformat()}
        assert answers[1] == answers[0]
        assert (await _permit_row(api, permit.number))[7] == expires
        assert len(await notices_since(api, last)) == 1


@pytest.mark.parametrize("meanwhile", [{"status": "suspended"}, {"owner_id": SPONSOR}])
async def test_a_permit_suspended_or_sold_between_the_rules_and_the_write_is_refused_not_renewed(
    api: Api, meanwhile: dict[str, str]
) -> None:
    """The rules saw HEAD's valid permit; a change committed before the renewal's write leaves
    that write nothing to change, and it says so rather than answer "renewed"."""
    async with _valid_permit_expiring_in(api, 30) as permit:
        meanwhile_change = update(SafetyPermitRow).where(SafetyPermitRow.number == permit.number).values(meanwhile)
        last = await newest_notice(api)
        with committed_before_first_update(api, SafetyPermitRow.__tablename__, meanwhile_change) as changed_first:
            body = await api.query(
                RENEW_ALL, {"input": {"personId": HEAD, "number": permit.number}}, as_=individual(HEAD)
            )
        assert changed_first == [True]
        assert body["data"]["renewSafetyPermit"] == {
            "__typename": "Refusal",
            "code": "PERMIT_NOT_FOUND",
            "message": "No safety permit with this number is held by this person.",
            "messageAr": "لا توجد رخصة سلامة بهذا الرقم لهذا الشخص.",
        }, body
        row = await _permit_row(api, permit.number)
        assert (row[6], row[7]) == (permit.issued_on, TODAY + dt.timedelta(days=30))
        assert await notices_since(api, last) == []


async def test_a_renewal_for_a_malformed_id_is_refused_naming_the_argument(api: Api) -> None:
    before = await every_row(api)
    bad = await api.query(RENEW, {"input": {"personId": "12345", "number": "SL0000000000"}}, as_=CIVIL_DEFENCE)
    assert bad["errors"][0]["extensions"] == {"code": "INVALID_ID", "argument": "input.personId"}
    assert changed(before, await every_row(api)) == []


async def test_a_renewal_91_days_before_expiry_is_too_early_and_a_suspended_permit_is_refused_alone(api: Api) -> None:
    async with _valid_permit_expiring_in(api, 91) as permit:
        assert codes(await asked(api, "RENEW_SAFETY_PERMIT", HEAD, individual(HEAD), permit.number)) == [
            ("civil_defence", "TOO_EARLY_TO_RENEW")
        ]
        await change(
            api,
            update(SafetyPermitRow)
            .where(SafetyPermitRow.number == permit.number)
            .values(status="suspended", expires_on=TODAY + dt.timedelta(days=90)),
        )
        assert codes(await asked(api, "RENEW_SAFETY_PERMIT", HEAD, CIVIL_DEFENCE, permit.number)) == [
            ("civil_defence", "PERMIT_SUSPENDED")
        ]
