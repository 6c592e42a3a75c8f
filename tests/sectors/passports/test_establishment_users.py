"""An establishment's authorised users, granted and revoked by a passports officer over HTTP: the
user acts for it from the grant's next request and no more from the revocation's; each write is
audited against the user, who is told of it; a refusal writes nothing; a retry with the same key changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hub.contract import unified_number
from hub.contract.principal import Principal, Role
from sectors.passports.models import EstablishmentUserRow
from tests.conftest import PERSONA, Api, individual, officer
from tests.sectors.asking import Mutation, ask, days, fresh_key
from tests.sectors.passports.helpers import workers_of
from tests.sectors.passports.test_establishments import (
    AS_ESTABLISHMENT,
    ESTABLISHMENT,
    OTHER_ESTABLISHMENT,
    USER,
    _authorised,
    _establishment,
    _establishments,
)
from tests.services.tables import changed, every_row

_USER = "... on {} {{ user {{ unifiedNumber userId active grantedOn {{ gregorian }} revokedOn {{ gregorian }} }} }}"
GRANT = Mutation("grantEstablishmentUser", "GrantEstablishmentUserInput", _USER.format("EstablishmentUserGranted"))
REVOKE = Mutation("revokeEstablishmentUser", "RevokeEstablishmentUserInput", _USER.format("EstablishmentUserRevoked"))
OFFICER = officer("passports")
READ = "query($number: ID!) { establishment(unifiedNumber: $number) { unifiedNumber } }"


def _input(number: str = ESTABLISHMENT, person_id: str = USER, **more: Any) -> dict[str, Any]:
    return {"unifiedNumber": number, "personId": person_id, **more}


async def _acts_for_it(api: Api, caller: Principal = AS_ESTABLISHMENT) -> bool:
    answer = await api.query(READ, {"number": caller.on_behalf_of}, as_=caller)
    if "errors" in answer:
        assert [error["extensions"]["code"] for error in answer["errors"]] == ["FORBIDDEN"], answer
        return False
    assert answer["data"]["establishment"] == {"unifiedNumber": caller.on_behalf_of}, answer
    return True


async def _refused(api: Api, mutation: Mutation, input: dict[str, Any], caller: Principal = OFFICER) -> str:
    before = await every_row(api)
    answer = await ask(api, mutation, input, caller)
    assert changed(before, await every_row(api)) == [], answer
    assert answer.code is not None, answer
    return answer.code


async def _authorisation(api: Api, number: str = ESTABLISHMENT, person_id: str = USER) -> tuple[Any, ...] | None:
    async with api.hub.db.connect() as connection:
        users = EstablishmentUserRow.__table__.c
        found = await connection.execute(
            select(users.status, users.granted_on, users.revoked_on).where(
                users.establishment_number == number, users.person_id == person_id
            )
        )
        row = found.first()
        return None if row is None else tuple(row)


async def test_an_officer_grants_then_revokes_and_each_takes_effect_on_the_next_request(api: Api) -> None:
    async with _establishments(api, _establishment(ESTABLISHMENT)):
        assert not await _acts_for_it(api)
        granted = await ask(api, GRANT, _input(), OFFICER)
        assert granted.code is None and granted.result is not None, granted
        assert granted.result["user"] == {
            "unifiedNumber": ESTABLISHMENT,
            "userId": USER,
            "active": True,
            "grantedOn": {"gregorian": days(0).isoformat()},
            "revokedOn": None,
        }
        assert await _acts_for_it(api)
        revoked = await ask(api, REVOKE, _input(), OFFICER)
        assert revoked.code is None and revoked.result is not None, revoked
        assert revoked.result["user"]["active"] is False
        assert revoked.result["user"]["revokedOn"] == {"gregorian": days(0).isoformat()}
        assert not await _acts_for_it(api)
        assert await _authorisation(api) == ("revoked", days(0), days(0))  # kept on record


async def test_a_former_user_granted_again_acts_for_it_from_today(api: Api) -> None:
    revoked = _authorised(ESTABLISHMENT, status="revoked", granted_on=days(-300), revoked_on=days(-20))
    async with _establishments(api, _establishment(ESTABLISHMENT), revoked):
        assert not await _acts_for_it(api)
        granted = await ask(api, GRANT, _input(), OFFICER)
        assert granted.code is None, granted
        assert await _authorisation(api) == ("active", days(0), None)
        assert await _acts_for_it(api)


async def test_the_user_sees_each_write_in_their_access_log(api: Api) -> None:
    async with _establishments(api, _establishment(ESTABLISHMENT)):
        assert (await ask(api, GRANT, _input(), OFFICER)).code is None
        assert (await ask(api, REVOKE, _input(), OFFICER)).code is None
        log = await api.query(
            "{ me { accessLog(first: 50) { entries { actor actingAs sector action outcome } } } }",
            as_=individual(USER),
        )
        entries = log["data"]["me"]["accessLog"]["entries"]
        seen = {(entry["action"], entry["outcome"]) for entry in entries if entry["actingAs"] == "officer"}
        assert {("grantEstablishmentUser", "ok"), ("revokeEstablishmentUser", "ok")} <= seen, entries
        notices = await api.query(
            "{ me { notifications(first: 5) { entries { sector kind messageEn messageAr } } } }", as_=individual(USER)
        )
        told = [
            (entry["sector"], entry["messageEn"]) for entry in notices["data"]["me"]["notifications"]["entries"][:2]
        ]
        assert told == [
            ("passports", f"You may no longer act for establishment {ESTABLISHMENT}."),
            ("passports", f"You may now act for establishment {ESTABLISHMENT}."),
        ], notices


async def test_refusals_say_why_and_write_nothing(api: Api) -> None:
    async with _establishments(
        api, _establishment(ESTABLISHMENT), _establishment(OTHER_ESTABLISHMENT), _authorised(ESTABLISHMENT)
    ):
        assert await _refused(api, GRANT, _input()) == "ALREADY_AUTHORISED"
        assert await _refused(api, REVOKE, _input(OTHER_ESTABLISHMENT)) == "NOT_AUTHORISED"
        unregistered = unified_number(99_000_003)
        for mutation in (GRANT, REVOKE):
            assert await _refused(api, mutation, _input(unregistered)) == "ESTABLISHMENT_NOT_FOUND"
        assert await _refused(api, GRANT, _input("7000000001")) == "INVALID_ID"
        assert await _refused(api, REVOKE, _input(ESTABLISHMENT, USER[:-1])) == "INVALID_ID"
        assert await _refused(api, GRANT, _input(OTHER_ESTABLISHMENT, "1111111116")) == "NOT_FOUND"
        assert await _authorisation(api, OTHER_ESTABLISHMENT) is None


async def test_a_revoked_user_is_not_revoked_again(api: Api) -> None:
    revoked = _authorised(ESTABLISHMENT, status="revoked", granted_on=days(-300), revoked_on=days(-20))
    async with _establishments(api, _establishment(ESTABLISHMENT), revoked):
        assert await _refused(api, REVOKE, _input()) == "NOT_AUTHORISED"
        assert await _authorisation(api) == ("revoked", days(-300), days(-20))


@pytest.mark.parametrize(
    ("field", "input"), [("unifiedNumber", _input("7000000001")), ("personId", _input(ESTABLISHMENT, "12"))]
)
async def test_an_invalid_number_is_refused_naming_its_field(api: Api, field: str, input: dict[str, Any]) -> None:
    for mutation in (GRANT, REVOKE):
        answer = await api.query(mutation.document(), {"input": input}, as_=OFFICER)
        assert answer["errors"][0]["extensions"] == {"code": "INVALID_ID", "argument": f"input.{field}"}, answer


async def test_each_write_touches_its_own_user_at_its_own_establishment(api: Api) -> None:
    """Three users of one establishment (two of them former), and one user of two: a grant or
    revocation changes only the authorisation it names."""
    other_user, other_former = PERSONA["sponsor"], PERSONA["unpaid_violations"]
    former = dict(status="revoked", granted_on=days(-300), revoked_on=days(-20))
    async with _establishments(
        api,
        _establishment(ESTABLISHMENT),
        _establishment(OTHER_ESTABLISHMENT),
        _authorised(ESTABLISHMENT, other_user),
        _authorised(ESTABLISHMENT, **former),
        _authorised(ESTABLISHMENT, other_former, **former),
        _authorised(OTHER_ESTABLISHMENT, **former),
    ):
        granted = await ask(api, GRANT, _input(), OFFICER)
        assert granted.code is None and granted.result is not None, granted
        assert granted.result["user"]["userId"] == USER and granted.result["user"]["active"] is True
        assert await _authorisation(api, OTHER_ESTABLISHMENT) == ("revoked", days(-300), days(-20))
        assert await _authorisation(api, ESTABLISHMENT, other_former) == ("revoked", days(-300), days(-20))
        revoked = await ask(api, REVOKE, _input(ESTABLISHMENT, other_user), OFFICER)
        assert revoked.code is None and revoked.result is not None, revoked
        assert revoked.result["user"]["userId"] == other_user
        assert await _authorisation(api) == ("active", days(0), None)


async def test_only_passports_officers_grant_or_revoke(api: Api) -> None:
    acting = Principal(Role.INDIVIDUAL, person_id=USER, on_behalf_of=ESTABLISHMENT)
    async with _establishments(
        api, _establishment(ESTABLISHMENT), _establishment(OTHER_ESTABLISHMENT), _authorised(ESTABLISHMENT)
    ):
        for caller in (acting, individual(USER), individual(PERSONA["sponsor"]), officer("traffic")):
            assert await _refused(api, GRANT, _input(OTHER_ESTABLISHMENT), caller) == "FORBIDDEN"
            assert await _refused(api, REVOKE, _input(), caller) == "FORBIDDEN"
        assert await _acts_for_it(api)


async def test_a_retry_with_the_same_key_returns_the_first_answer_and_changes_nothing(api: Api) -> None:
    async with _establishments(api, _establishment(ESTABLISHMENT)):
        keyed = _input(idempotencyKey=fresh_key("grant-establishment-user"))
        first = await ask(api, GRANT, keyed, OFFICER)
        assert first.code is None, first
        before = await every_row(api)
        again = await ask(api, GRANT, keyed, OFFICER)
        assert again == first
        assert changed(before, await every_row(api)) == []
        reused = await ask(api, REVOKE, keyed, OFFICER)
        assert reused.code == "IDEMPOTENCY_KEY_REUSED", reused
        revoking = _input(idempotencyKey=fresh_key("revoke-establishment-user"))
        revoked = await ask(api, REVOKE, revoking, OFFICER)
        assert revoked.code is None and revoked.result is not None, revoked
        assert await ask(api, REVOKE, revoking, OFFICER) == revoked


MINE = """query($id: ID!) { person(id: $id) { passports {
  iqama { number } establishments { unifiedNumber nameEn nameAr grantedOn { gregorian } }
} } }"""
MY_OWN = "{ me { person { passports { establishments { unifiedNumber nameEn grantedOn { gregorian } } } } } }"


async def _mine(api: Api) -> list[str]:
    answer = await api.query(MY_OWN, as_=individual(USER))
    assert "errors" not in answer, answer
    return [found["unifiedNumber"] for found in answer["data"]["me"]["person"]["passports"]["establishments"]]


async def test_a_user_finds_the_establishments_they_may_act_for_today(api: Api) -> None:
    third = unified_number(99_000_003)
    async with _establishments(
        api,
        _establishment(ESTABLISHMENT),
        _establishment(OTHER_ESTABLISHMENT),
        _establishment(third),
        _authorised(ESTABLISHMENT),
        _authorised(OTHER_ESTABLISHMENT, status="revoked", revoked_on=days(-1)),
        _authorised(third, granted_on=days(1)),  # not yet
    ):
        answer = await api.query(MY_OWN, as_=individual(USER))
        assert answer["data"]["me"]["person"]["passports"]["establishments"] == [
            {
                "unifiedNumber": ESTABLISHMENT,
                "nameEn": f"Test {ESTABLISHMENT}",
                "grantedOn": {"gregorian": days(-30).isoformat()},
            }
        ], answer
        assert (await ask(api, GRANT, _input(OTHER_ESTABLISHMENT), OFFICER)).code is None
        assert await _mine(api) == [ESTABLISHMENT, OTHER_ESTABLISHMENT]
        assert (await ask(api, REVOKE, _input(), OFFICER)).code is None
        assert await _mine(api) == [OTHER_ESTABLISHMENT]


async def test_reading_them_is_audited_as_the_users_own_read(api: Api) -> None:
    async with _establishments(api, _establishment(ESTABLISHMENT), _authorised(ESTABLISHMENT)):
        assert await _mine(api) == [ESTABLISHMENT]
        log = await api.query(
            "{ me { accessLog(first: 20, includeOwn: true) { entries { actingAs sector fields action } } } }",
            as_=individual(USER),
        )
        entries = log["data"]["me"]["accessLog"]["entries"]
        assert any(
            entry["actingAs"] == "self" and entry["sector"] == "passports" and "establishments" in entry["fields"]
            for entry in entries
        ), entries


async def test_a_sponsor_does_not_learn_which_establishments_their_worker_acts_for(api: Api) -> None:
    worker = (await workers_of(api))[0]
    async with _establishments(api, _establishment(ESTABLISHMENT), _authorised(ESTABLISHMENT, worker)):
        as_sponsor = await api.query(MINE, {"id": worker}, as_=individual(PERSONA["sponsor"]))
        passports = as_sponsor["data"]["person"]["passports"]
        assert passports["iqama"] == {"number": worker} and passports["establishments"] == [], as_sponsor
        for caller in (individual(worker), OFFICER):
            answer = await api.query(MINE, {"id": worker}, as_=caller)
            found = answer["data"]["person"]["passports"]["establishments"]
            assert [entry["unifiedNumber"] for entry in found] == [ESTABLISHMENT], answer
