"""Steps of the accounts flow over HTTP, shared by the accounts tests."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
from sqlalchemy import select

from hub.accounts.models import AccountRow
from hub.accounts.sms import OUTBOX_NAME
from hub.identity.models import PersonRow
from tests.conftest import PERSONA, Api, officer

PASSWORD = "Rabt2026Sahm"

REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) {
    __typename
    ... on RegistrationStarted { accountId username sentTo codeExpiresAt challenge message messageAr }
    ... on Refusal { code message messageAr }
  }
}"""
VERIFY_PHONE = """
mutation Verify($input: VerifyPhoneInput!) {
  verifyPhone(input: $input) {
    __typename
    ... on PhoneVerified { username status }
    ... on Refusal { code message }
  }
}"""
ACTIVATE = """
mutation Activate($input: ActivateAccountInput!) {
  activateAccount(input: $input) {
    __typename
    ... on AccountActivated { username personId activatedAt status }
    ... on Refusal { code message }
  }
}"""
SIGN_IN = """
mutation SignIn($input: SignInInput!) {
  signIn(input: $input) {
    __typename
    ... on SignInCodeSent { sentTo codeExpiresAt challenge message messageAr }
    ... on Refusal { code message messageAr }
  }
}"""
CONFIRM_SIGN_IN = """
mutation Confirm($input: ConfirmSignInInput!) {
  confirmSignIn(input: $input) {
    __typename
    ... on Session { accessToken refreshToken expiresAt refreshExpiresAt sessionExpiresAt }
    ... on Refusal { code message }
  }
}"""
REFRESH = """
mutation Refresh($token: String!) {
  refreshSession(refreshToken: $token) {
    __typename
    ... on Session { accessToken refreshToken expiresAt refreshExpiresAt sessionExpiresAt }
    ... on Refusal { code message }
  }
}"""
SIGN_OUT = "mutation SignOut($token: String!) { signOut(refreshToken: $token) { revoked } }"
OWN_NAME = "query Own($id: ID!) { person(id: $id) { nameEn } }"

_challenges: dict[str, str] = {}
_owners: dict[str, str] = {}  # who registered each username: the ID card they present to an officer
"""The challenge of the latest code each username asked for, as a front end keeps it."""


@contextlib.asynccontextmanager
async def from_address(api: Api, address: str) -> AsyncIterator[Api]:
    """The same hub, called from another client address (another device, another network)."""
    transport = httpx.ASGITransport(app=api.client._transport.app, client=(address, 50000))  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url="http://rabt.test") as client:
        yield Api(hub=api.hub, client=client, backend=api.backend)


def new_username() -> str:
    return f"user{uuid.uuid4().hex[:10]}7"


async def unregistered_person(api: Api) -> tuple[str, str, str]:
    """(ID, registered mobile, English name) of a seeded person with a mobile and no account yet.
    The personas are left alone: other tests read their audit trail."""
    rows = await api.hub.db.fetch(
        select(PersonRow.id, PersonRow.mobile, PersonRow.name_en)
        .where(
            PersonRow.mobile.is_not(None),
            PersonRow.id.not_in(select(AccountRow.person_id)),
            PersonRow.id.not_in(list(PERSONA.values())),
        )
        .order_by(PersonRow.id.desc())
        .limit(1)
    )
    assert rows, "the seed has people with a mobile"
    row = rows[0]
    return row.id, row.mobile, row.name_en


def other_mobile(mobile: str) -> str:
    return mobile[:-1] + str((int(mobile[-1]) + 1) % 10)


def messages_to(api: Api, mobile: str) -> list[str]:
    """The texts the embedded SMS outbox holds for `mobile`, oldest first."""
    path = api.hub.settings.data_dir / OUTBOX_NAME
    if not path.exists():
        return []
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    return [line["text"] for line in lines if line["to"] == mobile]


def latest_code(api: Api, mobile: str) -> str:
    texts = messages_to(api, mobile)
    assert texts, f"no SMS was sent to {mobile}"
    found = re.search(r"(?<!\d)(\d{6})(?!\d)", texts[-1])
    assert found, texts[-1]
    return found.group(1)


async def mutate(api: Api, document: str, variables: dict[str, Any], field: str, **options: Any) -> dict[str, Any]:
    """The field's payload; fails on any GraphQL error."""
    result = await api.query(document, variables, **options)
    assert "errors" not in result, result["errors"]
    return result["data"][field]  # type: ignore[no-any-return]


async def register(
    api: Api, person_id: str, mobile: str, username: str, password: str = PASSWORD, **extra: Any
) -> dict[str, Any]:
    payload = {
        "id": person_id,
        "mobile": mobile,
        "username": username,
        "password": password,
        "acceptTerms": True,
        "language": "EN",
        **extra,
    }
    started = await mutate(api, REGISTER, {"input": payload}, "register")
    if started["__typename"] == "RegistrationStarted":
        _challenges[username.lower()] = started["challenge"]
        _owners[username.lower()] = person_id
    return started


def owner_of(username: str) -> str:
    """The ID its registrant would present at the desk (a demo person's for a username nobody registered)."""
    return _owners.get(username.lower(), PERSONA["sponsor"])


def activation(username: str, presented: str | None = None) -> dict[str, Any]:
    """ACTIVATE's variables: the username, and the ID card presented (by default its registrant's)."""
    return {"input": {"username": username, "id": presented or owner_of(username)}}


def challenge_of(username: str) -> str:
    return _challenges.get(username.lower(), "no challenge was given")


async def verify_phone(api: Api, username: str, code: str, challenge: str | None = None) -> dict[str, Any]:
    variables = {"input": {"username": username, "code": code, "challenge": challenge or challenge_of(username)}}
    return await mutate(api, VERIFY_PHONE, variables, "verifyPhone")


async def activate(api: Api, username: str) -> dict[str, Any]:
    return await mutate(api, ACTIVATE, activation(username), "activateAccount", as_=officer("civil_affairs"))


async def sign_in(api: Api, username: str, password: str = PASSWORD) -> dict[str, Any]:
    sent = await mutate(api, SIGN_IN, {"input": {"username": username, "password": password}}, "signIn")
    if sent["__typename"] == "SignInCodeSent":
        _challenges[username.lower()] = sent["challenge"]
    return sent


async def confirm_sign_in(api: Api, username: str, code: str, challenge: str | None = None) -> dict[str, Any]:
    variables = {"input": {"username": username, "code": code, "challenge": challenge or challenge_of(username)}}
    return await mutate(api, CONFIRM_SIGN_IN, variables, "confirmSignIn")


async def registered_and_verified(api: Api) -> tuple[str, str, str]:
    """(ID, mobile, username) of a new account waiting for activation."""
    person_id, mobile, _ = await unregistered_person(api)
    username = new_username()
    assert (await register(api, person_id, mobile, username))["__typename"] == "RegistrationStarted"
    assert (await verify_phone(api, username, latest_code(api, mobile)))["__typename"] == "PhoneVerified"
    return person_id, mobile, username


async def active_account(api: Api) -> tuple[str, str, str]:
    """(ID, mobile, username) of a new active account."""
    person_id, mobile, username = await registered_and_verified(api)
    assert (await activate(api, username))["__typename"] == "AccountActivated"
    return person_id, mobile, username


async def signed_in(api: Api) -> tuple[str, str, dict[str, Any]]:
    """(ID, username, session) of a new account, signed in."""
    person_id, mobile, username = await active_account(api)
    assert (await sign_in(api, username))["__typename"] == "SignInCodeSent"
    session = await confirm_sign_in(api, username, latest_code(api, mobile))
    assert session["__typename"] == "Session", session
    return person_id, username, session
