"""renewDrivingLicence over GraphQL: each refusal code alone, on a holder made eligible first, the
180-day window at its edge, who may ask, and the ten years a renewal gives."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import delete, event, select, update
from sqlalchemy.engine import Connection

from hub.contract.principal import Principal
from sectors.traffic.models import DrivingLicenceRow, ViolationRow
from tests.conftest import PERSONA, TODAY, Api, individual, officer
from tests.sectors.asking import Mutation, ask, change, days, kept, unpaid_violation

RENEW = Mutation(
    "renewDrivingLicence",
    "RenewDrivingLicenceInput",
    "... on DrivingLicenceRenewed { licence { number status issuedOn { gregorian } expiresOn { gregorian } } }",
    "RENEW_DRIVING_LICENCE",
)


@asynccontextmanager
async def holder(api: Api, index: int) -> AsyncIterator[tuple[str, Principal]]:
    """A seeded licence holder (not a persona) whose one licence is valid and expires in 100 days,
    with no fines; their rows are put back afterwards."""
    rows = await api.hub.db.fetch(
        select(DrivingLicenceRow.person_id)
        .where(DrivingLicenceRow.person_id.not_in(list(PERSONA.values())))
        .group_by(DrivingLicenceRow.person_id)
        .order_by(DrivingLicenceRow.person_id)
        .offset(index)
        .limit(1)
    )
    person = str(rows[0][0])
    async with kept(api, person, DrivingLicenceRow, ViolationRow):
        await change(
            api,
            update(DrivingLicenceRow)
            .where(DrivingLicenceRow.person_id == person)
            .values(status="valid", expires_on=days(100)),
            delete(ViolationRow).where(ViolationRow.person_id == person),
        )
        yield person, individual(person)


async def test_a_licence_is_renewed_for_ten_years_from_its_expiry(api: Api) -> None:
    async with holder(api, 0) as (person, self):
        renewed = await ask(api, RENEW, {"personId": person}, self)
        assert renewed.result is not None
        expiry = days(100)
        assert renewed.result["licence"]["status"] == "VALID"
        assert renewed.result["licence"]["issuedOn"] == {"gregorian": TODAY.isoformat()}
        assert renewed.result["licence"]["expiresOn"] == {
            "gregorian": dt.date(expiry.year + 10, expiry.month, min(expiry.day, 28)).isoformat()
        }
        stored = await api.hub.db.fetch(
            select(DrivingLicenceRow.expires_on).where(DrivingLicenceRow.person_id == person)
        )
        assert [str(row[0]) for row in stored] == [renewed.result["licence"]["expiresOn"]["gregorian"]]


async def test_an_expired_licence_is_renewed_from_today(api: Api) -> None:
    async with holder(api, 1) as (person, _):
        await change(
            api,
            update(DrivingLicenceRow)
            .where(DrivingLicenceRow.person_id == person)
            .values(status="expired", expires_on=days(-40)),
        )
        renewed = await ask(api, RENEW, {"personId": person}, officer("traffic"))
        assert renewed.result is not None
        assert renewed.result["licence"]["expiresOn"] == {
            "gregorian": dt.date(TODAY.year + 10, TODAY.month, min(TODAY.day, 28)).isoformat()
        }


async def test_a_licence_is_renewed_from_180_days_before_its_expiry(api: Api) -> None:
    async with holder(api, 2) as (person, self):
        await change(
            api, update(DrivingLicenceRow).where(DrivingLicenceRow.person_id == person).values(expires_on=days(181))
        )
        early = await ask(api, RENEW, {"personId": person}, self)
        assert (early.code, early.blockers) == ("TOO_EARLY_TO_RENEW", [("traffic", "TOO_EARLY_TO_RENEW")])
        await change(
            api, update(DrivingLicenceRow).where(DrivingLicenceRow.person_id == person).values(expires_on=days(180))
        )
        assert (await ask(api, RENEW, {"personId": person}, self)).code is None


async def test_a_suspended_licence_is_not_renewed(api: Api) -> None:
    async with holder(api, 3) as (person, self):
        await change(
            api, update(DrivingLicenceRow).where(DrivingLicenceRow.person_id == person).values(status="suspended")
        )
        assert (await ask(api, RENEW, {"personId": person}, self)).blockers == [("traffic", "LICENCE_SUSPENDED")]


async def test_a_licence_suspended_between_the_rules_and_the_write_is_refused_not_renewed(api: Api) -> None:
    """The rules saw a valid licence; a suspension commits before the renewal's write, which then
    changes nothing and must say so rather than answer "renewed"."""
    async with holder(api, 5) as (person, self):
        suspend = update(DrivingLicenceRow).where(DrivingLicenceRow.person_id == person).values(status="suspended")
        suspended: list[bool] = []

        def before(connection: Connection, cursor: Any, statement: str, *_: Any) -> None:
            if not suspended and statement.startswith("UPDATE traffic_driving_licences"):
                suspended.append(True)  # first, so that the suspension's own UPDATE passes through
                connection.execute(suspend)

        engine = api.hub.db.engine.sync_engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            body = await api.query(RENEW.document(), {"input": {"personId": person}}, as_=self)
        finally:
            event.remove(engine, "before_cursor_execute", before)
        assert suspended == [True]
        result = body["data"]["renewDrivingLicence"]
        assert result["__typename"] == "Refusal" and result["code"] == "LICENCE_SUSPENDED", body
        stored = await api.hub.db.fetch(
            select(DrivingLicenceRow.status, DrivingLicenceRow.expires_on).where(DrivingLicenceRow.person_id == person)
        )
        assert [(row[0], row[1]) for row in stored] == [("suspended", days(100))]


async def test_unpaid_fines_block_a_licence_renewal(api: Api) -> None:
    async with holder(api, 4) as (person, self):
        await change(api, unpaid_violation(person, "9820000004"))
        assert (await ask(api, RENEW, {"personId": person}, self)).blockers == [("traffic", "UNPAID_VIOLATIONS")]


async def test_no_licence_no_renewal(api: Api) -> None:
    child = PERSONA["minor_child"]
    refused = await ask(api, RENEW, {"personId": child}, officer("traffic"))
    assert refused.blockers == [("traffic", "NO_DRIVING_LICENCE")]


async def test_a_licence_is_renewed_by_its_holder_or_a_traffic_officer_only(api: Api) -> None:
    async with holder(api, 5) as (person, _):
        for caller in (officer("passports"), individual(PERSONA["visitor"])):
            assert (await ask(api, RENEW, {"personId": person}, caller)).code == "FORBIDDEN"
        assert (await ask(api, RENEW, {"personId": "12"}, officer("traffic"))).code == "INVALID_ID"
