"""renewIdCard over GraphQL: each refusal code alone, on a card holder made eligible first, the
180-day window at its edge, who may ask, and the new version a renewal adds."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import Update, delete, func, select, update

from hub.contract.principal import Principal
from hub.notifications.models import NotificationRow
from sectors.civil_affairs.models import IdCardRow
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
from tests.services.tables import changed, every_row

RENEW = Mutation(
    "renewIdCard",
    "RenewIdCardInput",
    "... on IdCardRenewed { card { version status issuedOn { gregorian } expiresOn { gregorian } } }",
    "RENEW_ID_CARD",
)


@asynccontextmanager
async def card_holder(api: Api, index: int) -> AsyncIterator[tuple[str, Principal, int]]:
    """A seeded card holder (not a persona) whose latest card expires in 100 days, with no fines;
    with that card's version. Their rows and notices are put back afterwards."""
    rows = await api.hub.db.fetch(
        select(IdCardRow.person_id, func.max(IdCardRow.version))
        .where(IdCardRow.person_id.not_in(list(PERSONA.values())))
        .group_by(IdCardRow.person_id)
        .order_by(IdCardRow.person_id)
        .offset(index)
        .limit(1)
    )
    person, version = str(rows[0][0]), int(rows[0][1])
    async with kept(api, person, IdCardRow, ViolationRow, NotificationRow):
        await change(
            api,
            update(IdCardRow)
            .where(IdCardRow.person_id == person, IdCardRow.version == version)
            .values(status="valid", expires_on=days(100)),
            delete(ViolationRow).where(ViolationRow.person_id == person),
        )
        yield person, individual(person), version


def _latest(person: str, version: int) -> Update:
    return update(IdCardRow).where(IdCardRow.person_id == person, IdCardRow.version == version)


async def test_a_renewal_adds_a_card_for_ten_years_and_replaces_the_old_one(api: Api) -> None:
    async with card_holder(api, 0) as (person, self, version):
        renewed = await ask(api, RENEW, {"personId": person}, self)
        assert renewed.result is not None and renewed.result["card"] == {
            "version": version + 1,
            "status": "VALID",
            "issuedOn": {"gregorian": TODAY.isoformat()},
            "expiresOn": {"gregorian": dt.date(TODAY.year + 10, TODAY.month, min(TODAY.day, 28)).isoformat()},
        }
        stored = await api.hub.db.fetch(
            select(IdCardRow.version, IdCardRow.status).where(
                IdCardRow.person_id == person, IdCardRow.version >= version
            )
        )
        assert sorted(tuple(row) for row in stored) == [(version, "replaced"), (version + 1, "valid")]


async def test_a_renewal_writes_the_new_card_and_replaces_the_holders_latest_alone_and_tells_them(api: Api) -> None:
    async with card_holder(api, 4) as (person, self, version):
        before, last = await every_row(api), await newest_notice(api)
        renewed = await ask(api, RENEW, {"personId": person}, self)
        assert renewed.code is None
        after = await every_row(api)
        assert changed(before, after) == ["civil_affairs_id_cards", "notifications_inbox"]
        # A card row: (person, version, issued, expires, status); no other holder's, no earlier version.
        [latest] = [row for row in before["civil_affairs_id_cards"] if row[:2] == (person, version)]
        ends = dt.date(TODAY.year + 10, TODAY.month, min(TODAY.day, 28))
        cards_before, cards_after = set(before["civil_affairs_id_cards"]), set(after["civil_affairs_id_cards"])
        assert cards_before - cards_after == {latest}
        assert cards_after - cards_before == {(*latest[:4], "replaced"), (person, version + 1, TODAY, ends, "valid")}
        assert await notices_since(api, last) == [
            (
                person,
                "civil_affairs",
                "service_completed",
                f"A new national ID card was issued for you, valid until {ends}.",
                f"صدرت لك بطاقة هوية وطنية جديدة، صالحة حتى {ends}.",
            )
        ]


async def test_a_card_is_renewed_from_180_days_before_its_expiry(api: Api) -> None:
    async with card_holder(api, 1) as (person, self, version):
        await change(api, _latest(person, version).values(expires_on=days(181)))
        early = await ask(api, RENEW, {"personId": person}, self)
        assert (early.code, early.blockers) == ("TOO_EARLY_TO_RENEW", [("civil_affairs", "TOO_EARLY_TO_RENEW")])
        await change(api, _latest(person, version).values(expires_on=days(180)))
        assert (await ask(api, RENEW, {"personId": person}, self)).code is None


async def test_unpaid_traffic_fines_block_an_id_card_renewal(api: Api) -> None:
    async with card_holder(api, 2) as (person, self, _):
        await change(api, unpaid_violation(person, "9830000002"))
        assert (await ask(api, RENEW, {"personId": person}, self)).blockers == [("traffic", "UNPAID_VIOLATIONS")]


async def test_no_card_no_renewal(api: Api) -> None:
    refused = await ask(api, RENEW, {"personId": PERSONA["absconding_worker"]}, officer("civil_affairs"))
    assert refused.blockers == [("civil_affairs", "NO_ID_CARD")]


async def test_an_id_card_is_renewed_by_its_holder_a_guardian_or_a_civil_affairs_officer_only(api: Api) -> None:
    async with card_holder(api, 3) as (person, _, _version):
        for caller in (officer("traffic"), individual(PERSONA["visitor"])):
            assert (await ask(api, RENEW, {"personId": person}, caller)).code == "FORBIDDEN"
        assert (await ask(api, RENEW, {"personId": person}, officer("civil_affairs"))).code is None


async def test_a_card_renewed_late_in_a_month_expires_on_the_28th_ten_years_on(api: Api) -> None:
    """A card issued on the 29th, 30th or 31st ends on the 28th of that month ten years later (a
    day every month has)."""
    late = TODAY.replace(day=1) - dt.timedelta(days=1)  # the last day of the month before
    if late.day < 29:  # February of a common year: the month before it ends on the 31st
        late = late.replace(day=1) - dt.timedelta(days=1)
    async with card_holder(api, 5) as (person, self, version):
        kept_today = api.hub.today
        api.hub.today = lambda: late
        try:
            renewed = await ask(api, RENEW, {"personId": person}, self)
        finally:
            api.hub.today = kept_today
        assert renewed.result is not None and renewed.result["card"] == {
            "version": version + 1,
            "status": "VALID",
            "issuedOn": {"gregorian": late.isoformat()},
            "expiresOn": {"gregorian": dt.date(late.year + 10, late.month, 28).isoformat()},
        }


async def test_a_renewal_sent_again_with_its_key_is_answered_again_and_adds_one_card(api: Api) -> None:
    async with card_holder(api, 6) as (person, self, version):
        keyed = {"input": {"personId": person, "idempotencyKey": fresh_key("id-card-renewal-sent-twice")}}
        first, again = [(await api.query(RENEW.document(), keyed, as_=self))["data"] for _ in range(2)]
        assert first["renewIdCard"]["card"]["version"] == version + 1 and again == first
        versions = await api.hub.db.fetch(select(func.max(IdCardRow.version)).where(IdCardRow.person_id == person))
        assert versions[0][0] == version + 1


async def test_a_malformed_id_is_named_by_a_renewal(api: Api) -> None:
    answer = await api.query(RENEW.document(), {"input": {"personId": "1234"}}, as_=officer("civil_affairs"))
    extensions = answer["errors"][0]["extensions"]
    assert (extensions["code"], extensions["argument"]) == ("INVALID_ID", "input.personId")
