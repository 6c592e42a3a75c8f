"""renewDrivingLicence over GraphQL: each refusal code alone, on a holder made eligible first, the
180-day window at its edge, who may ask, and the ten years a renewal gives."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import delete, insert, select, update

from hub.contract.principal import Principal
from hub.notifications.models import NotificationRow
from sectors.traffic.models import DrivingLicenceRow, ViolationRow
from tests.conftest import PERSONA, TODAY, Api, individual, officer
from tests.sectors.asking import (
    Mutation,
    ask,
    change,
    committed_before_first_update,
    days,
    fresh_key,
    kept,
    newest_notice,
    notices_since,
    unpaid_violation,
)

RENEW = Mutation(
    "renewDrivingLicence",
    "RenewDrivingLicenceInput",
    "... on DrivingLicenceRenewed { licence { number status issuedOn { gregorian } expiresOn { gregorian } } }",
    "RENEW_DRIVING_LICENCE",
)


@asynccontextmanager
async def holder(api: Api, index: int) -> AsyncIterator[tuple[str, Principal]]:
    """A seeded licence holder (not a persona) whose one licence is valid and expires in 100 days,
    with no fines; their rows (and notices) are put back afterwards."""
    rows = await api.hub.db.fetch(
        select(DrivingLicenceRow.person_id)
        .where(DrivingLicenceRow.person_id.not_in(list(PERSONA.values())))
        .group_by(DrivingLicenceRow.person_id)
        .order_by(DrivingLicenceRow.person_id)
        .offset(index)
        .limit(1)
    )
    person = str(rows[0][0])
    async with kept(api, person, DrivingLicenceRow, ViolationRow, NotificationRow):
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
        with committed_before_first_update(api, DrivingLicenceRow.__tablename__, suspend) as suspended:
            body = await api.query(RENEW.document(), {"input": {"personId": person}}, as_=self)
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


RENEW_ALL = """mutation($input: RenewDrivingLicenceInput!) { renewDrivingLicence(input: $input) {
  __typename
  ... on DrivingLicenceRenewed { licence { number licenceClass status issuedOn { gregorian } expiresOn { gregorian } } }
  ... on Refusal { code }
} }"""


def ten_years_on(day: dt.date) -> dt.date:
    """The renewal's rule: ten years from `day`, the day of the month no later than the 28th."""
    return dt.date(day.year + 10, day.month, min(day.day, 28))


async def test_a_renewal_tells_the_holder_exactly_and_sent_again_with_its_key_is_answered_again_and_done_once(
    api: Api,
) -> None:
    async with holder(api, 6) as (person, self):
        [(number, licence_class)] = await api.hub.db.fetch(
            select(DrivingLicenceRow.number, DrivingLicenceRow.licence_class).where(
                DrivingLicenceRow.person_id == person
            )
        )
        last = await newest_notice(api)
        sent = {"input": {"personId": person, "idempotencyKey": fresh_key("driving-licence-renewed-twice")}}
        answers = [await api.query(RENEW_ALL, sent, as_=self) for _ in range(2)]
        until = ten_years_on(days(100))
        assert answers[0]["data"]["renewDrivingLicence"]["licence"] == {
            "number": number,
            "licenceClass": licence_class.upper(),
            "status": "VALID",
            "issuedOn": {"gregorian": TODAY.isoformat()},
            "expiresOn": {"gregorian": until.isoformat()},
        }, answers[0]
        assert answers[1] == answers[0]
        stored = await api.hub.db.fetch(
            select(DrivingLicenceRow.issued_on, DrivingLicenceRow.expires_on).where(
                DrivingLicenceRow.person_id == person
            )
        )
        assert [tuple(row) for row in stored] == [(TODAY, until)]
        assert await notices_since(api, last) == [
            (
                person,
                "traffic",
                "service_completed",
                f"Your driving licence {number} was renewed until {until.isoformat()}.",
                f"جُددت رخصة قيادتك رقم {number} حتى {until.isoformat()}.",
            )
        ]


async def test_a_licence_expiring_on_the_31st_is_renewed_to_the_28th_ten_years_on(api: Api) -> None:
    expiry = next(day for day in (days(n) for n in range(1, 181)) if day.day == 31)
    async with holder(api, 7) as (person, self):
        await change(
            api, update(DrivingLicenceRow).where(DrivingLicenceRow.person_id == person).values(expires_on=expiry)
        )
        renewed = await ask(api, RENEW, {"personId": person}, self)
        assert renewed.result is not None
        assert renewed.result["licence"]["expiresOn"] == {
            "gregorian": dt.date(expiry.year + 10, expiry.month, 28).isoformat()
        }


async def test_of_two_licences_the_latest_issued_is_renewed_and_of_two_issued_the_same_day_the_lower_number(
    api: Api,
) -> None:
    async with holder(api, 8) as (person, self):
        [held] = await api.hub.db.fetch(
            select(DrivingLicenceRow.__table__).where(DrivingLicenceRow.person_id == person)
        )
        later, lower = "9999999991", "0000000001"
        # The later one's number is above the held one's: ordered by number alone, the held one would come first.
        await change(
            api,
            insert(DrivingLicenceRow).values(
                dict(held._mapping) | {"number": later, "issued_on": held.issued_on + dt.timedelta(days=1)}
            ),
        )
        assert (await ask(api, RENEW, {"personId": person}, self)).result["licence"]["number"] == later  # type: ignore[index]
        await change(
            api,
            delete(DrivingLicenceRow).where(DrivingLicenceRow.number == later),
            insert(DrivingLicenceRow).values(dict(held._mapping) | {"number": lower}),
        )
        assert (await ask(api, RENEW, {"personId": person}, self)).result["licence"]["number"] == lower  # type: ignore[index]
        stored = await api.hub.db.fetch(
            select(DrivingLicenceRow.number, DrivingLicenceRow.expires_on).where(DrivingLicenceRow.person_id == person)
        )
        assert sorted(tuple(row) for row in stored) == [(lower, ten_years_on(days(100))), (held.number, days(100))]


async def test_a_malformed_id_is_refused_naming_the_argument(api: Api) -> None:
    refused = await api.query(RENEW_ALL, {"input": {"personId": "12"}}, as_=officer("traffic"))
    assert refused["errors"][0]["extensions"] == {"code": "INVALID_ID", "argument": "input.personId"}
