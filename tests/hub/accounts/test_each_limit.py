"""Every account limit refuses on its own: with that one limit set to a single attempt (and a window
no other limit has, so the refusal names it by `retryAfterSeconds`), the second knock on its door is
RATE_LIMITED while the others stay at their defaults. Removing any one limit from its mutation
fails its case here."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from hub.accounts.ratelimit import AccountLimits, Limit, RateLimiter
from hub.accounts.services import AccountServices
from hub.contract.national_id import with_check_digit
from tests.conftest import Api
from tests.hub.accounts.flow import (
    CONFIRM_SIGN_IN,
    PASSWORD,
    REFRESH,
    REGISTER,
    SIGN_IN,
    VERIFY_PHONE,
    active_account,
    challenge_of,
    from_address,
    new_username,
    other_mobile,
    register,
    sign_in,
    signed_in,
    unregistered_person,
)

WINDOW = 77  # seconds: no default limit has it
SEND_RECOVERY = "mutation($input: SendRecoveryCodeInput!) { sendRecoveryCode(input: $input) { __typename } }"
RECOVER = "mutation($input: RecoverAccountInput!) { recoverAccount(input: $input) { __typename } }"
CHANGE_PASSWORD = "mutation($input: ChangePasswordInput!) { changePassword(input: $input) { __typename } }"
Knock = Callable[[Api, int], Awaitable[dict[str, Any]]]
"""One attempt (the n-th, from 0) at the limited door: the whole GraphQL answer."""


@pytest.fixture
def limited_api(sqlite_api: Api) -> Iterator[Api]:
    """The SQLite hub with its limits counted from zero, restored afterwards (the tests set them)."""
    services: AccountServices = sqlite_api.hub.accounts
    saved = services.limiter, services.limits
    services.limiter = RateLimiter.in_memory()
    try:
        yield sqlite_api
    finally:
        services.limiter, services.limits = saved


def stranger(n: int) -> str:
    """An ID no one holds (nine digits of its own, the check digit completed)."""
    return with_check_digit(f"19999{n:04d}")


async def _register_mismatch(api: Api, person: tuple[str, str, str], n: int) -> dict[str, Any]:
    person_id, mobile, _ = person
    variables = {
        "input": {
            "id": person_id,
            "mobile": other_mobile(mobile),
            "username": new_username(),
            "password": PASSWORD,
            "acceptTerms": True,
        }
    }
    return await api.query(REGISTER, variables)


def _code(username: str, n: int, challenge: str = "not-the-challenge") -> dict[str, Any]:
    return {"input": {"username": username, "code": f"{n:06d}", "challenge": challenge}}


async def case(api: Api, name: str) -> Knock:
    """The door each limit guards, and how to knock on it (setting up what the knocks need)."""
    if name == "register_per_account_client":
        person = await unregistered_person(api)
        return lambda api, n: _register_mismatch(api, person, n)
    if name == "register_per_client":
        return lambda api, n: api.query(
            REGISTER,
            {
                "input": {
                    "id": stranger(n),
                    "mobile": "0500000000",
                    "username": new_username(),
                    "password": PASSWORD,
                    "acceptTerms": True,
                }
            },
        )
    if name == "register_failures_per_account":
        person = await unregistered_person(api)

        async def mismatch_from_elsewhere(api: Api, n: int) -> dict[str, Any]:
            async with from_address(api, f"10.9.0.{n + 1}") as other:
                return await _register_mismatch(other, person, n)

        return mismatch_from_elsewhere
    if name.startswith("sign_in_"):
        username = new_username()
        usernames = {"sign_in_per_client": lambda n: f"{username}{n}"}.get(name, lambda n: username)
        address = {"sign_in_failures_per_account": lambda n: f"10.9.1.{n + 1}"}.get(name, lambda n: "127.0.0.1")

        async def wrong_password(api: Api, n: int) -> dict[str, Any]:
            async with from_address(api, address(n)) as caller:
                return await caller.query(SIGN_IN, {"input": {"username": usernames(n), "password": "Wrong2026Pass"}})

        return wrong_password
    if name == "code_per_account_client":  # verifyPhone: the code of a pending registration
        person_id, mobile, _ = await unregistered_person(api)
        username = new_username()
        assert (await register(api, person_id, mobile, username))["__typename"] == "RegistrationStarted"
        return lambda api, n: api.query(VERIFY_PHONE, _code(username, n))
    if name == "code_per_client":  # confirmSignIn, each for another username
        username = new_username()
        return lambda api, n: api.query(CONFIRM_SIGN_IN, _code(f"{username}{n}", n))
    if name == "code_failures_per_account":  # confirmSignIn's wrong codes, from two addresses
        _, _, username = await active_account(api)
        assert (await sign_in(api, username))["__typename"] == "SignInCodeSent"

        async def wrong_code(api: Api, n: int) -> dict[str, Any]:
            async with from_address(api, f"10.9.2.{n + 1}") as caller:
                # With the code's own challenge: a guess without it counts as no guess at all.
                return await caller.query(CONFIRM_SIGN_IN, _code(username, n, challenge_of(username)))

        return wrong_code
    if name.startswith("recovery_codes_"):
        person_id, mobile, _ = await active_account(api)
        ids = {"recovery_codes_per_client": stranger}.get(name, lambda n: person_id)
        address = {"recovery_codes_per_account": lambda n: f"10.9.3.{n + 1}"}.get(name, lambda n: "127.0.0.1")

        async def send(api: Api, n: int) -> dict[str, Any]:
            async with from_address(api, address(n)) as caller:
                return await caller.query(SEND_RECOVERY, {"input": {"id": ids(n), "mobile": mobile}})

        return send
    if name == "refresh_per_client":
        return lambda api, n: api.query(REFRESH, {"token": f"not-a-token-{n}"})
    raise AssertionError(f"no case for {name}")


@pytest.mark.parametrize("name", [field.name for field in dataclasses.fields(AccountLimits)])
async def test_each_limit_refuses_the_attempt_past_it(limited_api: Api, name: str) -> None:
    api = limited_api
    knock = await case(api, name)
    api.hub.accounts.limits = dataclasses.replace(AccountLimits(), **{name: Limit(1, WINDOW)})
    first = await knock(api, 0)
    assert all(error["extensions"]["code"] != "RATE_LIMITED" for error in first.get("errors", ())), first
    second = await knock(api, 1)
    assert [error["extensions"] for error in second.get("errors", ())] == [
        {"code": "RATE_LIMITED", "retryAfterSeconds": WINDOW}
    ], second


async def _signing_in(api: Api) -> Knock:
    """confirmSignIn's wrong codes (with the code's challenge) for a new account that signed in."""
    _, _, username = await active_account(api)
    assert (await sign_in(api, username))["__typename"] == "SignInCodeSent"
    return lambda api, n: api.query(CONFIRM_SIGN_IN, _code(username, n, challenge_of(username)))


async def _verifying(api: Api) -> Knock:
    return await case(api, "code_per_account_client")


@pytest.mark.parametrize("door", [_verifying, _signing_in], ids=["verifyPhone", "confirmSignIn"])
async def test_a_limit_per_account_counts_each_account_apart(
    limited_api: Api, door: Callable[[Api], Awaitable[Knock]]
) -> None:
    """One account's code attempts past its limit leave another account's open."""
    api = limited_api
    knock, other = [await door(api) for _ in range(2)]
    api.hub.accounts.limits = dataclasses.replace(AccountLimits(), code_per_account_client=Limit(1, WINDOW))
    assert "errors" not in await knock(api, 0)
    assert (await knock(api, 1))["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert "errors" not in await other(api, 0)


async def test_a_recovery_code_attempt_and_a_password_change_are_limited_too(limited_api: Api) -> None:
    """recoverAccount counts on the code limits, on one count with the account's other codes;
    changePassword on the sign-in ones."""
    api = limited_api
    person_id, username, session = await signed_in(api)
    api.hub.accounts.limits = dataclasses.replace(
        AccountLimits(),
        code_per_account_client=Limit(1, WINDOW),
        sign_in_per_account_client=Limit(1, WINDOW),
    )
    limited = [{"code": "RATE_LIMITED", "retryAfterSeconds": WINDOW}]
    recovering = {"input": {"id": person_id, "code": "000000", "challenge": "x", "newPassword": "Fresh2026Start"}}
    assert "errors" not in await api.query(RECOVER, recovering)
    signing_in = await api.query(CONFIRM_SIGN_IN, _code(username, 0, challenge_of(username)))
    assert [error["extensions"] for error in signing_in["errors"]] == limited, "the account's codes share a count"
    bearer = {"authorization": f"Bearer {session['accessToken']}"}
    wrong = {"input": {"currentPassword": "Wrong2026Pass", "newPassword": "Next2026Pass"}}
    changes = [
        (await api.client.post("/graphql", json={"query": CHANGE_PASSWORD, "variables": wrong}, headers=bearer)).json()
        for _ in range(2)
    ]
    assert "errors" not in changes[0], changes[0]
    assert [error["extensions"] for error in changes[1]["errors"]] == limited
