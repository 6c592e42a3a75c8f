"""Signing in: the password, then a code by SMS, then a session refreshed by rotation."""

from __future__ import annotations

import datetime as dt

from argon2 import PasswordHasher
from sqlalchemy import select, update

from hub.accounts.hashing import PasswordHashing
from hub.accounts.lockout import LOCK_AFTER
from hub.accounts.models import AccountRow, AccountStatus, RefreshTokenRow
from hub.accounts.sessions import token_digest
from hub.audit.reading import recorded
from hub.identity.models import PersonRow
from tests.conftest import Api
from tests.hub.accounts.flow import (
    OWN_NAME,
    PASSWORD,
    REFRESH,
    SIGN_IN,
    SIGN_OUT,
    active_account,
    confirm_sign_in,
    latest_code,
    messages_to,
    mutate,
    new_username,
    registered_and_verified,
    sign_in,
    signed_in,
)
from tests.hub.accounts.test_lockout import set_failures


async def _refresh(api: Api, token: str) -> dict[str, object]:
    return await mutate(api, REFRESH, {"token": token}, "refreshSession")


async def test_signing_in_before_activation_is_refused(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, username = await registered_and_verified(api)
    sent_before = len(messages_to(api, mobile))

    refused = await sign_in(api, username)

    assert refused["code"] == "ACCOUNT_NOT_ACTIVE"
    assert len(messages_to(api, mobile)) == sent_before, "no sign-in code for an inactive account"
    assert await _sign_in_outcomes(api, person_id) == [("signIn", "ACCOUNT_NOT_ACTIVE", "self")]


async def _sign_in_outcomes(api: Api, person_id: str) -> list[tuple[str, str, str]]:
    entries = await recorded(api.hub.db, subject_id=person_id)
    return [(e.action, e.outcome, e.acting_as) for e in entries if e.action in ("signIn", "confirmSignIn")]


async def test_each_sign_in_step_and_its_refusals_are_audited_against_the_person(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, username = await active_account(api)
    assert (await sign_in(api, username, "Wrong2026Pass"))["code"] == "INVALID_CREDENTIALS"
    sent = await sign_in(api, username)
    assert (sent["message"], sent["messageAr"]) == (
        "Enter the code sent to your mobile with confirmSignIn.",
        "أدخل الرمز المرسل إلى جوالك لإكمال الدخول.",
    )
    assert messages_to(api, mobile)[-1].startswith("Rabt: your sign-in code is "), "in the account's language"
    wrong = f"{(int(latest_code(api, mobile)) + 1) % 10**6:06d}"
    assert (await confirm_sign_in(api, username, wrong))["code"] == "CODE_INVALID"
    assert (await confirm_sign_in(api, username, latest_code(api, mobile)))["__typename"] == "Session"
    await set_failures(api, person_id, LOCK_AFTER - 1)
    assert (await sign_in(api, username, "Wrong2026Pass"))["code"] == "ACCOUNT_LOCKED"
    assert (await sign_in(api, username))["code"] == "ACCOUNT_LOCKED"

    assert await _sign_in_outcomes(api, person_id) == [
        ("signIn", "INVALID_CREDENTIALS", "self"),
        ("signIn", "ok", "self"),
        ("confirmSignIn", "CODE_INVALID", "self"),
        ("confirmSignIn", "ok", "self"),
        ("signIn", "ACCOUNT_LOCKED", "self"),
        ("signIn", "ACCOUNT_LOCKED", "self"),
    ]
    locked_at = await api.hub.db.fetch(select(AccountRow.locked_at).where(AccountRow.person_id == person_id))
    assert locked_at[0][0] is not None, "the lock is stamped with its time"


async def test_an_account_whose_mobile_the_registry_no_longer_holds_cannot_sign_in(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, username = await active_account(api)
    await _set_mobile(api, person_id, None)
    try:
        refused = await sign_in(api, username)
    finally:
        await _set_mobile(api, person_id, mobile)
    assert refused["code"] == "MOBILE_UNAVAILABLE"
    assert await _sign_in_outcomes(api, person_id) == [("signIn", "MOBILE_UNAVAILABLE", "self")]


async def _set_mobile(api: Api, person_id: str, mobile: str | None) -> None:
    async with api.hub.db.transaction() as session:
        await session.execute(update(PersonRow).where(PersonRow.id == person_id).values(mobile=mobile))


async def test_a_hash_made_with_other_parameters_is_made_again_at_sign_in(accounts_api: Api) -> None:
    api = accounts_api
    person_id, _, username = await active_account(api)
    other_id, _, _ = await active_account(api)
    older = PasswordHashing(PasswordHasher(time_cost=2, memory_cost=64, parallelism=1))
    async with api.hub.db.transaction() as session:
        await session.execute(
            update(AccountRow).where(AccountRow.person_id == person_id).values(password_hash=await older.hash(PASSWORD))
        )
    other_before = await _hash_of(api, other_id)

    assert (await sign_in(api, username))["__typename"] == "SignInCodeSent"

    assert not api.hub.accounts.passwords.needs_rehash(await _hash_of(api, person_id))
    assert await api.hub.accounts.passwords.verify(await _hash_of(api, person_id), PASSWORD)
    assert await _hash_of(api, other_id) == other_before


async def _hash_of(api: Api, person_id: str) -> str:
    return str(
        (await api.hub.db.fetch(select(AccountRow.password_hash).where(AccountRow.person_id == person_id)))[0][0]
    )


async def test_an_unknown_username_and_a_wrong_password_answer_alike(accounts_api: Api) -> None:
    api = accounts_api
    _, mobile, username = await active_account(api)
    sent_before = len(messages_to(api, mobile))

    wrong_password = await sign_in(api, username, "Wrong2026Pass")
    unknown_user = await sign_in(api, new_username())

    assert wrong_password["code"] == "INVALID_CREDENTIALS"
    assert wrong_password == unknown_user
    assert len(messages_to(api, mobile)) == sent_before


async def test_a_wrong_password_does_not_reveal_that_the_account_is_inactive(accounts_api: Api) -> None:
    api = accounts_api
    _, _, username = await registered_and_verified(api)
    assert (await sign_in(api, username, "Wrong2026Pass"))["code"] == "INVALID_CREDENTIALS"


async def test_the_username_is_not_case_sensitive_at_sign_in(accounts_api: Api) -> None:
    api = accounts_api
    _, _, username = await active_account(api)
    assert (await sign_in(api, username.upper()))["__typename"] == "SignInCodeSent"


async def test_five_wrong_sign_in_codes_use_the_code_up(accounts_api: Api) -> None:
    api = accounts_api
    _, mobile, username = await active_account(api)
    await sign_in(api, username)
    code = latest_code(api, mobile)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    answers = [(await confirm_sign_in(api, username, wrong))["code"] for _ in range(5)]

    assert answers == ["CODE_INVALID"] * 4 + ["TOO_MANY_ATTEMPTS"]
    assert (await confirm_sign_in(api, username, code))["code"] == "TOO_MANY_ATTEMPTS"
    await sign_in(api, username)
    assert (await confirm_sign_in(api, username, latest_code(api, mobile)))["__typename"] == "Session"


async def test_a_sign_in_code_works_once(accounts_api: Api) -> None:
    api = accounts_api
    _, mobile, username = await active_account(api)
    await sign_in(api, username)
    code = latest_code(api, mobile)
    assert (await confirm_sign_in(api, username, code))["__typename"] == "Session"
    assert (await confirm_sign_in(api, username, code))["code"] == "CODE_INVALID"


async def test_a_locked_account_cannot_use_the_sign_in_code_waiting_for_it(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, username = await active_account(api)
    await sign_in(api, username)
    async with api.hub.db.transaction() as session:
        await session.execute(
            update(AccountRow).where(AccountRow.person_id == person_id).values(status=AccountStatus.LOCKED.value)
        )
    assert (await confirm_sign_in(api, username, latest_code(api, mobile)))["code"] == "CODE_INVALID"


async def test_a_code_for_an_unknown_username_is_invalid(accounts_api: Api) -> None:
    assert (await confirm_sign_in(accounts_api, new_username(), "123456", "any"))["code"] == "CODE_INVALID"


async def test_a_registration_code_does_not_sign_in(accounts_api: Api) -> None:
    api = accounts_api
    _, mobile, username = await active_account(api)
    registration_code = latest_code(api, mobile)
    await sign_in(api, username)
    if latest_code(api, mobile) != registration_code:  # one chance in a million that they are equal
        assert (await confirm_sign_in(api, username, registration_code))["code"] == "CODE_INVALID"
    assert (await confirm_sign_in(api, username, latest_code(api, mobile)))["__typename"] == "Session"


async def test_signing_in_too_often_is_rate_limited(accounts_api: Api) -> None:
    api = accounts_api
    username = new_username()
    for _ in range(10):
        assert (await sign_in(api, username))["code"] == "INVALID_CREDENTIALS"
    result = await api.query(SIGN_IN, {"input": {"username": username, "password": "Wrong2026Pass"}})
    assert result["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert result["data"] is None


async def test_a_refresh_rotates_the_refresh_token(accounts_api: Api) -> None:
    api = accounts_api
    person_id, _, session = await signed_in(api)

    renewed = await _refresh(api, str(session["refreshToken"]))

    assert renewed["__typename"] == "Session"
    assert renewed["refreshToken"] != session["refreshToken"]
    bearer = {"authorization": f"Bearer {renewed['accessToken']}"}
    own = await api.client.post("/graphql", json={"query": OWN_NAME, "variables": {"id": person_id}}, headers=bearer)
    assert own.json()["data"]["person"]["nameEn"]
    old_digest = token_digest(str(session["refreshToken"]))
    revoked = await api.hub.db.fetch(select(RefreshTokenRow.revoked_at).where(RefreshTokenRow.token_hash == old_digest))
    assert revoked[0][0] is not None


async def test_a_refresh_token_used_twice_ends_every_session_of_the_account(accounts_api: Api) -> None:
    api = accounts_api
    _, _, session = await signed_in(api)
    renewed = await _refresh(api, str(session["refreshToken"]))

    assert (await _refresh(api, str(session["refreshToken"])))["code"] == "SESSION_INVALID"
    assert (await _refresh(api, str(renewed["refreshToken"])))["code"] == "SESSION_INVALID"


async def test_an_expired_refresh_token_is_refused(accounts_api: Api) -> None:
    api = accounts_api
    _, _, session = await signed_in(api)
    api.hub.accounts.clock = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(days=30, seconds=1)
    assert (await _refresh(api, str(session["refreshToken"])))["code"] == "SESSION_EXPIRED"


async def test_an_unknown_refresh_token_is_invalid(accounts_api: Api) -> None:
    assert (await _refresh(accounts_api, "not a token"))["code"] == "SESSION_INVALID"


async def test_signing_out_revokes_the_refresh_token(accounts_api: Api) -> None:
    api = accounts_api
    _, _, session = await signed_in(api)
    token = str(session["refreshToken"])

    assert await mutate(api, SIGN_OUT, {"token": token}, "signOut") == {"revoked": True}
    assert await mutate(api, SIGN_OUT, {"token": token}, "signOut") == {"revoked": False}
    assert (await _refresh(api, token))["code"] == "SESSION_INVALID"
