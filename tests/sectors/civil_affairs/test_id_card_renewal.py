"""renewIdCard over GraphQL: each refusal code alone, on a card holder made eligible first, the
180-day window at its edge, who may ask, and the new version a renewal adds."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import Update, delete, func, select, update

from hub.contract.principal import Principal
from sectors.civil_affairs.models import IdCardRow
from sectors.traffic.models import ViolationRow
from tests.conftest import PERSONA, TODAY, Api, individual, officer
from tests.sectors.asking import Mutation, ask, change, days, kept, unpaid_violation

RENEW = Mutation(
    "renewIdCard",
    "RenewIdCardInput",
    "... on IdCardRenewed { card { version status issuedOn { gregorian } expiresOn { gregorian } } }",
    "RENEW_ID_CARD",
)


@asynccontextmanager
async def card_holder(api: Api, index: int) -> AsyncIterator[tuple[str, Principal, int]]:
    """A seeded card holder (not a persona) whose latest card expires in 100 days, with no fines;
    with that card's version. Their rows are put back afterwards."""
    rows = await api.hub.db.fetch(
        select(IdCardRow.person_id, func.max(IdCardRow.version))
        .where(IdCardRow.person_id.not_in(list(PERSONA.values())))
        .group_by(IdCardRow.person_id)
        .order_by(IdCardRow.person_id)
        .offset(index)
        .limit(1)
    )
    person, version = str(rows[0][0]), int(rows[0][1])
    async with kept(api, person, IdCardRow, ViolationRow):
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
