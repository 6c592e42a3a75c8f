"""Officers activate (or unlock) other people's accounts only: never their own nor a relative's, and
every attempt, refused ones included, is audited with the officer's sector."""

from __future__ import annotations

from sqlalchemy import select

from hub.accounts.lockout import LOCK_AFTER
from hub.accounts.models import AccountRow
from hub.audit.reading import recorded
from hub.contract.principal import Principal, Role
from hub.identity.models import PersonRow
from sectors.civil_affairs.models import BirthRow
from sectors.civil_affairs.relations import latest_adult_birth
from tests.conftest import TODAY, Api
from tests.hub.accounts.flow import (
    ACTIVATE,
    activation,
    active_account,
    latest_code,
    mutate,
    new_username,
    register,
    registered_and_verified,
    sign_in,
    unregistered_person,
    verify_phone,
)
from tests.hub.accounts.test_lockout import set_failures


def officer_of(person_id: str, sector: str = "traffic") -> Principal:
    return Principal(Role.OFFICER, person_id=person_id, sector=sector)


async def _activate(api: Api, username: str, as_: Principal) -> dict[str, object]:
    return await mutate(api, ACTIVATE, activation(username), "activateAccount", as_=as_)


async def _accounts_entries(api: Api, person_id: str) -> list[tuple[str, str, tuple[str, ...]]]:
    entries = await recorded(api.hub.db, subject_id=person_id)
    return [
        (e.action, e.outcome, e.fields) for e in entries if e.sector == "accounts" and e.action == "activateAccount"
    ]


async def test_an_officer_cannot_activate_their_own_account(accounts_api: Api) -> None:
    api = accounts_api
    person_id, _, username = await registered_and_verified(api)

    own = await _activate(api, username, officer_of(person_id))
    unknown = await _activate(api, new_username(), officer_of(person_id))

    assert own == unknown, "the refusal does not confirm the account exists"
    assert own["code"] == "ACCOUNT_NOT_FOUND"
    assert await _accounts_entries(api, person_id) == [
        ("activateAccount", "OFFICER_OWN_ACCOUNT", ("activateAccount", "officerSector:traffic")),
        # the unknown username's lookup, against the officer who made it (here the same person)
        ("activateAccount", "ACCOUNT_NOT_FOUND", ("activateAccount", "officerSector:traffic")),
    ]
    assert (await _activate(api, username, officer_of("1000000008")))["__typename"] == "AccountActivated"


async def test_an_officer_activates_only_the_account_of_the_id_card_presented(accounts_api: Api) -> None:
    """Whoever stands at the desk with their own card and someone else's username gets nothing:
    the officer learns only after the fact whose account it was, too late to refuse."""
    api = accounts_api
    owner, _, username = await registered_and_verified(api)
    stranger, _, _ = await unregistered_person(api)
    desk = officer_of("1000000008", "passports")

    refused = await mutate(api, ACTIVATE, activation(username, stranger), "activateAccount", as_=desk)

    assert refused == await _activate(api, new_username(), desk), "the refusal does not confirm the account"
    assert refused["code"] == "ACCOUNT_NOT_FOUND"
    assert (await _account_state(api, owner))[0] == "pending_activation"
    assert await _accounts_entries(api, owner) == [
        ("activateAccount", "ID_MISMATCH", ("activateAccount", "officerSector:passports"))
    ], "the owner's access log shows the attempt"
    assert (await _activate(api, username, desk))["personId"] == owner  # the owner, with their own card


async def test_an_officer_cannot_activate_a_relatives_account(accounts_api: Api) -> None:
    """A parent officer and their minor child (15 or older: they have a mobile), either way round."""
    api = accounts_api
    rows = await api.hub.db.fetch(
        select(BirthRow.person_id, BirthRow.father_id, PersonRow.mobile)
        .join(PersonRow, PersonRow.id == BirthRow.person_id)
        .where(
            BirthRow.father_id.is_not(None),
            BirthRow.born_on > latest_adult_birth(TODAY),
            PersonRow.mobile.is_not(None),
        )
        .order_by(BirthRow.person_id)
    )
    taken = await _with_accounts(api)
    child, father, mobile = next(row for row in rows if row.person_id not in taken)
    username = new_username()
    assert (await register(api, child, mobile, username))["__typename"] == "RegistrationStarted"
    assert (await verify_phone(api, username, latest_code(api, mobile)))["__typename"] == "PhoneVerified"

    refused = await _activate(api, username, officer_of(father, "civil_affairs"))

    assert refused == await _activate(api, new_username(), officer_of(father, "civil_affairs"))
    assert await _accounts_entries(api, child) == [
        ("activateAccount", "OFFICER_RELATIVE", ("activateAccount", "officerSector:civil_affairs"))
    ]
    unknown = await recorded(api.hub.db, subject_id=father)
    assert [(e.outcome, e.acting_as) for e in unknown if e.action == "activateAccount"] == [
        ("ACCOUNT_NOT_FOUND", "officer")
    ], "a lookup of an unknown username is audited against the officer"


async def _with_accounts(api: Api) -> set[str]:
    return {row[0] for row in await api.hub.db.fetch(select(AccountRow.person_id))}


async def test_an_activation_is_audited_with_the_officers_sector(accounts_api: Api) -> None:
    api = accounts_api
    person_id, _, username = await registered_and_verified(api)
    assert (await _activate(api, username, officer_of("1000000008", "passports")))["status"] == "ACTIVE"
    again = await _activate(api, username, officer_of("1000000008", "passports"))
    assert again["code"] == "NOT_PENDING_ACTIVATION"
    assert await _accounts_entries(api, person_id) == [
        ("activateAccount", "ok", ("activateAccount", "officerSector:passports")),
        ("activateAccount", "NOT_PENDING_ACTIVATION", ("activateAccount", "officerSector:passports")),
    ]


async def test_an_officer_token_naming_nobody_may_not_activate(accounts_api: Api) -> None:
    api = accounts_api
    _, _, username = await registered_and_verified(api)
    result = await api.query(ACTIVATE, activation(username), as_=Principal(Role.OFFICER, sector="traffic"))
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert result["errors"][0]["message"] == (
        "Only an officer at a kiosk or an activation desk may activate an account."
    )


async def test_an_officer_of_no_sector_is_audited_as_such(accounts_api: Api) -> None:
    api = accounts_api
    person_id, _, username = await registered_and_verified(api)
    assert (await _activate(api, username, Principal(Role.OFFICER, person_id="1000000008")))["status"] == "ACTIVE"
    assert await _accounts_entries(api, person_id) == [
        ("activateAccount", "ok", ("activateAccount", "officerSector:none"))
    ]


async def _account_state(api: Api, person_id: str) -> tuple[str, int, bool]:
    """(status, consecutive failures, whether a lock time is kept)."""
    row = (
        await api.hub.db.fetch(
            select(AccountRow.status, AccountRow.failed_attempts, AccountRow.locked_at).where(
                AccountRow.person_id == person_id
            )
        )
    )[0]
    return row.status, row.failed_attempts, row.locked_at is not None


async def test_activating_one_account_leaves_the_others_as_they_were(accounts_api: Api) -> None:
    api = accounts_api
    person_id, _, username = await registered_and_verified(api)
    waiting_id, _, _ = await registered_and_verified(api)
    locked_id, _, locked = await active_account(api)
    await set_failures(api, locked_id, LOCK_AFTER - 1)
    assert (await sign_in(api, locked, "Wrong2026Pass"))["code"] == "ACCOUNT_LOCKED"

    assert (await _activate(api, username, officer_of("1000000008")))["status"] == "ACTIVE"

    assert await _account_state(api, person_id) == ("active", 0, False)
    assert await _account_state(api, waiting_id) == ("pending_activation", 0, False)
    assert await _account_state(api, locked_id) == ("locked", LOCK_AFTER, True)


async def test_a_registration_locked_before_activation_starts_again_when_unlocked(accounts_api: Api) -> None:
    """Its code guessed at until the account locked: the officer's unlock sends it back to verifyPhone
    with the old code spent, and unlocks no other account."""
    api = accounts_api
    person_id, mobile, _ = await unregistered_person(api)
    username = new_username()
    assert (await register(api, person_id, mobile, username))["__typename"] == "RegistrationStarted"
    code = latest_code(api, mobile)
    await set_failures(api, person_id, LOCK_AFTER - 1)
    assert (await verify_phone(api, username, f"{(int(code) + 1) % 10**6:06d}"))["code"] == "ACCOUNT_LOCKED"
    assert await _account_state(api, person_id) == ("locked", LOCK_AFTER, True)
    other_id, _, other = await active_account(api)
    await set_failures(api, other_id, LOCK_AFTER - 1)
    assert (await sign_in(api, other, "Wrong2026Pass"))["code"] == "ACCOUNT_LOCKED"
    waiting_id, waiting_mobile, _ = await unregistered_person(api)
    waiting = new_username()
    assert (await register(api, waiting_id, waiting_mobile, waiting))["__typename"] == "RegistrationStarted"

    unlocked = await _activate(api, username, officer_of("1000000008"))

    assert (unlocked["__typename"], unlocked["status"]) == ("AccountActivated", "PENDING_PHONE")
    assert await _account_state(api, person_id) == ("pending_phone", 0, False)
    assert await _account_state(api, other_id) == ("locked", LOCK_AFTER, True)
    assert (await verify_phone(api, username, code))["code"] == "CODE_INVALID", "the old code was spent"
    verified = await verify_phone(api, waiting, latest_code(api, waiting_mobile))
    assert verified["__typename"] == "PhoneVerified", "another registration's code is its own"
