"""Establishments (Absher Business) over HTTP: an authorised user acting for an establishment
(`X-On-Behalf-Of`) asks the sponsor's services for its workers and reads their passports records,
audited with the establishment; refused for anyone not its worker, once the authorisation is
revoked, once the worker has another sponsor; a refusal writes nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import delete, insert, select, update

from hub.contract import unified_number
from hub.contract.principal import Principal, Role
from sectors.passports.models import EstablishmentRow, EstablishmentUserRow, IqamaRow
from tests.conftest import PERSONA, Api, individual, officer
from tests.sectors.asking import ELIGIBILITY, Mutation, ask, change, days
from tests.sectors.passports.test_passports_services import RENEW_IQAMA, eligible
from tests.services.tables import changed, every_row

ESTABLISHMENT = unified_number(99_000_001)  # numbers the demo seed does not use
OTHER_ESTABLISHMENT = unified_number(99_000_002)
USER = PERSONA["family_head"]  # a guardian too: acting for the establishment must not open that
AS_ESTABLISHMENT = Principal(Role.INDIVIDUAL, person_id=USER, on_behalf_of=ESTABLISHMENT)

ESTABLISHMENT_QUERY = """query($number: ID!, $first: Int!, $after: String) {
  establishment(unifiedNumber: $number) {
    unifiedNumber nameEn
    workers(first: $first, after: $after) {
      entries {
        iqama { number sponsorEstablishment sponsor { id } }
        person { id nameEn passports { iqama { number } } }
      }
      nextCursor
    }
  }
}"""
ACCESS_LOG = "{ me { accessLog(first: 50) { entries { actor actingAs onBehalfOf sector action outcome } } } }"


def _establishment(number: str) -> Any:
    return insert(EstablishmentRow).values(unified_number=number, name_ar="مؤسسة الاختبار", name_en=f"Test {number}")


def _authorised(number: str, person_id: str = USER, **changes: Any) -> Any:
    values = dict(establishment_number=number, person_id=person_id, status="active", granted_on=days(-30))
    return insert(EstablishmentUserRow).values({**values, "revoked_on": None, **changes})


def _sponsored_by(worker: str, sponsor: str) -> Any:
    return update(IqamaRow).where(IqamaRow.person_id == worker).values(sponsor_id=sponsor)


@asynccontextmanager
async def _establishments(api: Api, *statements: Any) -> AsyncIterator[None]:
    """The test's establishments and authorisations, written, then every establishment the block
    added removed with its users, whichever numbers the test used."""
    seeded = [row[0] for row in await api.hub.db.fetch(select(EstablishmentRow.unified_number))]
    await change(api, *statements)
    try:
        yield
    finally:
        await change(
            api,
            delete(EstablishmentUserRow).where(EstablishmentUserRow.establishment_number.not_in(seeded)),
            delete(EstablishmentRow).where(EstablishmentRow.unified_number.not_in(seeded)),
        )


@asynccontextmanager
async def establishment_worker(api: Api, index: int) -> AsyncIterator[str]:
    """A resident every passports service allows, whose iqama names ESTABLISHMENT as sponsor, and
    USER authorised for it; every row put back afterwards."""
    async with (
        eligible(api, index) as (worker, _),
        _establishments(api, _establishment(ESTABLISHMENT), _authorised(ESTABLISHMENT)),
    ):
        await change(api, _sponsored_by(worker, ESTABLISHMENT))
        yield worker


async def _refused_writing_nothing(api: Api, mutation: Mutation, input: dict[str, Any], caller: Principal) -> str:
    before = await every_row(api)
    answer = await ask(api, mutation, input, caller)
    assert changed(before, await every_row(api)) == [], answer
    assert answer.code is not None, answer
    return answer.code


async def test_an_establishment_user_renews_a_workers_iqama_over_http(api: Api) -> None:
    async with establishment_worker(api, 30) as worker:
        renewed = await ask(api, RENEW_IQAMA, {"personId": worker}, AS_ESTABLISHMENT)
        assert renewed.code is None and renewed.result is not None, renewed
        assert renewed.result["iqama"] == {
            "number": worker,
            "status": "VALID",
            "expiresOn": {"gregorian": days(400 + 365).isoformat()},
        }


async def test_the_user_alone_renews_nothing_without_acting_for_the_establishment(api: Api) -> None:
    async with establishment_worker(api, 30) as worker:
        assert await _refused_writing_nothing(api, RENEW_IQAMA, {"personId": worker}, individual(USER)) == "FORBIDDEN"


async def test_refused_for_someone_who_is_not_its_worker(api: Api) -> None:
    async with establishment_worker(api, 30), eligible(api, 31) as (someone_else, sponsor):
        refused = await _refused_writing_nothing(api, RENEW_IQAMA, {"personId": someone_else}, AS_ESTABLISHMENT)
        assert refused == "FORBIDDEN"
        assert (await ask(api, RENEW_IQAMA, {"personId": someone_else}, sponsor)).code is None  # the rules allow it


async def test_refused_once_the_users_authorisation_is_revoked(api: Api) -> None:
    async with establishment_worker(api, 30) as worker:
        await change(
            api,
            update(EstablishmentUserRow)
            .where(EstablishmentUserRow.person_id == USER)
            .values(status="revoked", revoked_on=days(0)),
        )
        assert await _refused_writing_nothing(api, RENEW_IQAMA, {"personId": worker}, AS_ESTABLISHMENT) == "FORBIDDEN"


async def test_an_authorisation_grants_nothing_before_the_day_it_was_granted(api: Api) -> None:
    async with establishment_worker(api, 30) as worker:
        await change(
            api, update(EstablishmentUserRow).where(EstablishmentUserRow.person_id == USER).values(granted_on=days(1))
        )
        assert await _refused_writing_nothing(api, RENEW_IQAMA, {"personId": worker}, AS_ESTABLISHMENT) == "FORBIDDEN"


async def test_refused_once_the_worker_has_another_sponsor(api: Api) -> None:
    async with establishment_worker(api, 30) as worker:
        # What a completed transfer of sponsorship does: the iqama names the new sponsor.
        await change(api, _sponsored_by(worker, PERSONA["sponsor"]))
        assert await _refused_writing_nothing(api, RENEW_IQAMA, {"personId": worker}, AS_ESTABLISHMENT) == "FORBIDDEN"


async def test_an_authorisation_for_another_establishment_opens_nothing_of_this_one(api: Api) -> None:
    async with (
        establishment_worker(api, 30) as worker,
        _establishments(api, _establishment(OTHER_ESTABLISHMENT), _authorised(OTHER_ESTABLISHMENT, PERSONA["sponsor"])),
    ):
        # The sponsor persona is authorised for the other establishment only, and claims this one.
        claiming = Principal(Role.INDIVIDUAL, person_id=PERSONA["sponsor"], on_behalf_of=ESTABLISHMENT)
        assert await _refused_writing_nothing(api, RENEW_IQAMA, {"personId": worker}, claiming) == "FORBIDDEN"
        other = dataclasses.replace(claiming, on_behalf_of=OTHER_ESTABLISHMENT)
        assert await _refused_writing_nothing(api, RENEW_IQAMA, {"personId": worker}, other) == "FORBIDDEN"


async def test_the_workers_access_log_shows_whom_the_user_acted_for(api: Api) -> None:
    async with establishment_worker(api, 30) as worker:
        assert (await ask(api, RENEW_IQAMA, {"personId": worker}, AS_ESTABLISHMENT)).code is None
        read = await api.query(ESTABLISHMENT_QUERY, {"number": ESTABLISHMENT, "first": 100}, as_=AS_ESTABLISHMENT)
        assert "errors" not in read, read
        log = await api.query(ACCESS_LOG, as_=individual(worker))
        entries = log["data"]["me"]["accessLog"]["entries"]
        by_establishment = {
            (entry["sector"], entry["action"], entry["outcome"])
            for entry in entries
            if entry["onBehalfOf"] == ESTABLISHMENT
            and entry["actor"] == f"individual:{USER}"
            and entry["actingAs"] == "establishment"
        }
        assert {("passports", "renewIqama", "ok"), ("passports", "read", "ok"), ("identity", "read", "ok")} <= (
            by_establishment
        ), entries
        # Someone acting for themself is recorded acting for no one.
        assert all(entry["onBehalfOf"] is None for entry in entries if entry["actingAs"] in ("self", "sponsor"))


async def test_services_outside_the_sponsors_are_refused_to_an_establishment(api: Api) -> None:
    opened = {
        "RENEW_IQAMA",
        "ISSUE_EXIT_REENTRY_VISA",
        "EXTEND_EXIT_REENTRY_VISA",
        "CANCEL_EXIT_REENTRY_VISA",
        "ISSUE_FINAL_EXIT_VISA",
        "FILE_ABSCONDING_REPORT",
        "CANCEL_ABSCONDING_REPORT",
    }
    async with establishment_worker(api, 30) as worker:
        services = await api.query('{ __type(name: "ServiceName") { enumValues { name } } }')
        names = [value["name"] for value in services["data"]["__type"]["enumValues"]]
        allowed = set()
        for name in names:
            answer = await api.query(ELIGIBILITY, {"id": worker, "service": name}, as_=AS_ESTABLISHMENT)
            codes = {error["extensions"]["code"] for error in answer.get("errors", ())}
            assert codes <= {"FORBIDDEN", "BAD_USER_INPUT"}, answer  # an item-bearing service wants its item
            if not codes:
                allowed.add(name)
        assert allowed == opened


async def test_acting_for_an_establishment_opens_none_of_the_users_own_relations(api: Api) -> None:
    async with establishment_worker(api, 30):
        query = "query($id: ID!) { person(id: $id) { passports { passports { number } } } }"
        for someone in (PERSONA["minor_child"], USER):  # the user's ward, the user themself
            as_themself = await api.query(query, {"id": someone}, as_=individual(USER))
            assert "errors" not in as_themself, as_themself
            acting = await api.query(query, {"id": someone}, as_=AS_ESTABLISHMENT)
            assert [error["extensions"]["code"] for error in acting["errors"]] == ["FORBIDDEN"], acting

        # Nor the user's own log and inbox: `me` is theirs, not the establishment's.
        own = "{ me { accessLog(first: 5) { entries { actor } } notifications(first: 5) { entries { kind } } } }"
        as_themself = await api.query(own, as_=individual(USER))
        assert "errors" not in as_themself and as_themself["data"]["me"] is not None, as_themself
        acting = await api.query(own, as_=AS_ESTABLISHMENT)
        assert acting["data"] == {"me": None}
        assert [error["extensions"]["code"] for error in acting["errors"]] == ["FORBIDDEN"], acting


async def test_the_establishment_lists_its_workers_a_page_at_a_time(api: Api) -> None:
    async with (
        establishment_worker(api, 30) as first,
        eligible(api, 32) as (second, _),
        eligible(api, 33) as (third, _),
    ):
        await change(api, _sponsored_by(second, ESTABLISHMENT), _sponsored_by(third, ESTABLISHMENT))
        seen: list[str] = []
        after = None
        for size in (2, 1):
            page = await api.query(
                ESTABLISHMENT_QUERY, {"number": ESTABLISHMENT, "first": 2, "after": after}, as_=AS_ESTABLISHMENT
            )
            assert "errors" not in page, page
            workers = page["data"]["establishment"]["workers"]
            assert len(workers["entries"]) == size
            for entry in workers["entries"]:
                assert entry["iqama"]["sponsorEstablishment"] == ESTABLISHMENT and entry["iqama"]["sponsor"] is None
                assert (
                    entry["person"]["nameEn"]
                    and entry["person"]["passports"]["iqama"]["number"] == entry["person"]["id"]
                )
                seen.append(entry["iqama"]["number"])
            after = workers["nextCursor"]
        assert after is None
        assert seen == sorted([first, second, third])


async def test_the_establishment_answers_only_its_users_acting_for_it(api: Api) -> None:
    async with (
        establishment_worker(api, 30),
        _establishments(api, _establishment(OTHER_ESTABLISHMENT), _authorised(OTHER_ESTABLISHMENT)),
    ):
        variables = {"number": ESTABLISHMENT, "first": 5}
        for caller in (
            individual(USER),  # not acting for it
            dataclasses.replace(AS_ESTABLISHMENT, on_behalf_of=OTHER_ESTABLISHMENT),  # acting for another
            Principal(Role.INDIVIDUAL, person_id=PERSONA["sponsor"], on_behalf_of=ESTABLISHMENT),  # not its user
        ):
            answer = await api.query(ESTABLISHMENT_QUERY, variables, as_=caller)
            assert answer["data"] == {"establishment": None}, answer
            assert [error["extensions"]["code"] for error in answer["errors"]] == ["FORBIDDEN"], answer
        malformed = await api.query(ESTABLISHMENT_QUERY, {**variables, "number": "7000000001"}, as_=AS_ESTABLISHMENT)
        assert [error["extensions"]["code"] for error in malformed["errors"]] == ["INVALID_ID"], malformed


async def test_the_header_is_an_establishments_number_sent_by_an_individual(api: Api) -> None:
    query = "{ __typename }"
    for caller, header in (
        (individual(USER), "7000000001"),  # the check digit does not match
        (individual(USER), PERSONA["sponsor"]),  # a person's ID, not an establishment's
        (officer("passports"), ESTABLISHMENT),  # only an individual acts for an establishment
    ):
        response = await api.post(query, as_=caller, headers={"x-on-behalf-of": header})
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    anonymous = await api.post(query, headers={"x-on-behalf-of": ESTABLISHMENT})
    assert anonymous.status_code == 400, anonymous.text
    eastern = ESTABLISHMENT.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")).encode()  # as phones type it
    response = await api.client.post(
        "/graphql", json={"query": query}, headers={**api.headers(individual(USER)), "x-on-behalf-of": eastern}
    )
    assert response.status_code == 200, response.text
