"""Sessions end: at an absolute time refreshing never moves, after an idle spell, and at once with
every access token of theirs on sign-out, a reused refresh token, a password change or a sign-out
everywhere, in this process and (through the revocation rows) in every other."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select, update

from hub.access.tokens import InvalidToken, PublicKeys, TokenVerifier
from hub.accounts import sign_in as sign_in_flow
from hub.accounts.hashing import PasswordHashing
from hub.accounts.lockout import LOCK_AFTER
from hub.accounts.models import ACCOUNTS, AccountRow, AccountStatus, RefreshTokenRow, SessionRow
from hub.accounts.revocations import RevocationFeed
from hub.accounts.sessions import SessionPolicy, token_digest
from hub.audit.reading import recorded
from hub.contract.principal import Principal, Role
from hub.identity.models import PersonRow
from hub.settings import Settings
from tests.conftest import CHEAP_PASSWORDS, Api, individual
from tests.hub.accounts.flow import (
    OWN_NAME,
    PASSWORD,
    REFRESH,
    SIGN_OUT,
    confirm_sign_in,
    latest_code,
    mutate,
    sign_in,
    signed_in,
)
from tests.hub.accounts.test_lockout import failures, set_failures

SIGN_OUT_EVERYWHERE = "mutation { signOutEverywhere { sessionsEnded } }"
CHANGE_PASSWORD = """
mutation Change($input: ChangePasswordInput!) {
  changePassword(input: $input) {
    __typename
    ... on PasswordChanged { otherSessionsEnded message messageAr }
    ... on Refusal { code message messageAr }
  }
}"""


async def _refresh(api: Api, token: str) -> dict[str, Any]:
    return await mutate(api, REFRESH, {"token": token}, "refreshSession")


async def reads_own_record(api: Api, person_id: str, access_token: str) -> int:
    """The HTTP status of reading one's own record with this access token."""
    response = await api.client.post(
        "/graphql",
        json={"query": OWN_NAME, "variables": {"id": person_id}},
        headers={"authorization": f"Bearer {access_token}"},
    )
    return response.status_code


async def second_session(api: Api, username: str, mobile: str) -> dict[str, Any]:
    await sign_in(api, username)
    session = await confirm_sign_in(api, username, latest_code(api, mobile))
    assert session["__typename"] == "Session"
    return session


def at(moment: dt.datetime) -> Any:
    return lambda: moment


async def test_refreshing_never_moves_the_sessions_end(accounts_api: Api) -> None:
    api = accounts_api
    api.hub.accounts.sessions = SessionPolicy(lifetime=dt.timedelta(hours=1), idle=dt.timedelta(minutes=30))
    start = dt.datetime.now(dt.UTC)
    api.hub.accounts.clock = at(start)
    _, _, session = await signed_in(api)
    ends = dt.datetime.fromisoformat(session["sessionExpiresAt"])
    assert ends == start + dt.timedelta(hours=1)

    token = session["refreshToken"]
    for minutes in (20, 40, 59):
        api.hub.accounts.clock = at(start + dt.timedelta(minutes=minutes))
        renewed = await _refresh(api, token)
        assert renewed["__typename"] == "Session", (minutes, renewed)
        assert dt.datetime.fromisoformat(renewed["sessionExpiresAt"]) == ends
        assert dt.datetime.fromisoformat(renewed["refreshExpiresAt"]) <= ends
        assert dt.datetime.fromisoformat(renewed["expiresAt"]) <= ends
        token = renewed["refreshToken"]

    api.hub.accounts.clock = at(start + dt.timedelta(minutes=61))
    assert (await _refresh(api, token))["code"] == "SESSION_EXPIRED"


async def test_no_token_outlives_its_session_and_refresh_tokens_are_256_random_bits(accounts_api: Api) -> None:
    api = accounts_api
    api.hub.accounts.sessions = SessionPolicy(lifetime=dt.timedelta(minutes=1), idle=dt.timedelta(minutes=30))
    _, _, session = await signed_in(api)
    renewed = await _refresh(api, session["refreshToken"])
    for issued in (session, renewed):
        ends = dt.datetime.fromisoformat(issued["sessionExpiresAt"])
        assert dt.datetime.fromisoformat(issued["expiresAt"]) <= ends, "the access token ends with its session"
        assert dt.datetime.fromisoformat(issued["refreshExpiresAt"]) == ends
        assert len(issued["refreshToken"]) == 43, "32 random bytes, URL-safe base64"


async def test_a_session_left_idle_expires(accounts_api: Api) -> None:
    api = accounts_api
    start = dt.datetime.now(dt.UTC)
    api.hub.accounts.clock = at(start)
    _, _, session = await signed_in(api)
    assert dt.datetime.fromisoformat(session["refreshExpiresAt"]) == start + dt.timedelta(minutes=30)
    assert dt.datetime.fromisoformat(session["sessionExpiresAt"]) == start + dt.timedelta(hours=12)

    api.hub.accounts.clock = at(start + dt.timedelta(minutes=30, seconds=1))
    assert (await _refresh(api, session["refreshToken"]))["code"] == "SESSION_EXPIRED"


async def test_signing_out_ends_the_access_token_too(accounts_api: Api) -> None:
    api = accounts_api
    person_id, _, session = await signed_in(api)
    assert await reads_own_record(api, person_id, session["accessToken"]) == 200

    assert await mutate(api, SIGN_OUT, {"token": session["refreshToken"]}, "signOut") == {"revoked": True}

    response = await api.client.post(
        "/graphql",
        json={"query": OWN_NAME, "variables": {"id": person_id}},
        headers={"authorization": f"Bearer {session['accessToken']}"},
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_reused_refresh_token_ends_every_access_token_of_the_account(accounts_api: Api) -> None:
    api = accounts_api
    person_id, _, session = await signed_in(api)
    renewed = await _refresh(api, session["refreshToken"])

    assert (await _refresh(api, session["refreshToken"]))["code"] == "SESSION_INVALID"

    assert await reads_own_record(api, person_id, session["accessToken"]) == 401
    assert await reads_own_record(api, person_id, renewed["accessToken"]) == 401
    assert (await _refresh(api, renewed["refreshToken"]))["code"] == "SESSION_INVALID"


async def test_an_idle_refresh_token_expires_at_its_last_instant(accounts_api: Api) -> None:
    api = accounts_api
    start = dt.datetime.now(dt.UTC)
    api.hub.accounts.clock = at(start)
    _, _, session = await signed_in(api)
    api.hub.accounts.clock = at(dt.datetime.fromisoformat(session["refreshExpiresAt"]))
    assert (await _refresh(api, session["refreshToken"]))["code"] == "SESSION_EXPIRED"


async def test_each_refresh_and_its_refusals_are_audited_against_the_person(accounts_api: Api) -> None:
    api = accounts_api
    person_id, username, first = await signed_in(api)
    mobile = (await api.hub.db.fetch(select(PersonRow.mobile).where(PersonRow.id == person_id)))[0][0]
    renewed = await _refresh(api, first["refreshToken"])
    assert (await _refresh(api, first["refreshToken"]))["code"] == "SESSION_INVALID"  # a copy: all sessions end
    assert (await _refresh(api, renewed["refreshToken"]))["code"] == "SESSION_INVALID"  # ended with the rest
    start = dt.datetime.now(dt.UTC)
    api.hub.accounts.clock = at(start)
    idle = await second_session(api, username, mobile)
    api.hub.accounts.clock = at(start + dt.timedelta(hours=13))
    assert (await _refresh(api, idle["refreshToken"]))["code"] == "SESSION_EXPIRED"
    api.hub.accounts.clock = at(start)
    locked = await second_session(api, username, mobile)
    async with api.hub.db.transaction() as session:
        await session.execute(
            update(ACCOUNTS).where(ACCOUNTS.c.person_id == person_id).values(status=AccountStatus.LOCKED.value)
        )
    assert (await _refresh(api, locked["refreshToken"]))["code"] == "ACCOUNT_LOCKED"

    entries = await recorded(api.hub.db, subject_id=person_id)
    assert [(e.outcome, e.acting_as) for e in entries if e.action == "refreshSession"] == [
        ("ok", "self"),
        ("SESSION_INVALID", "self"),
        ("SESSION_INVALID", "self"),
        ("SESSION_EXPIRED", "self"),
        ("ACCOUNT_LOCKED", "self"),
    ]


async def test_a_refresh_token_a_parallel_refresh_used_first_ends_every_session_of_the_account(
    accounts_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both read the token unused; the one that finds it revoked when it comes to revoke it holds a copy."""
    api = accounts_api
    person_id, username, first = await signed_in(api)
    other = await _other_session(api, person_id, username)
    revoke = sign_in_flow.revoke_token

    async def used_meanwhile(session: Any, token_id: int, now: dt.datetime) -> bool:
        await revoke(session, token_id, now)  # the parallel refresh's revocation, committed first
        return False

    monkeypatch.setattr(sign_in_flow, "revoke_token", used_meanwhile)
    refused = await _refresh(api, first["refreshToken"])
    monkeypatch.undo()

    assert refused == {
        "__typename": "Refusal",
        "code": "SESSION_INVALID",
        "message": "This session is not valid; sign in again.",
    }
    assert await reads_own_record(api, person_id, other["accessToken"]) == 401
    assert (await _refresh(api, other["refreshToken"]))["code"] == "SESSION_INVALID"
    entries = await recorded(api.hub.db, subject_id=person_id)
    assert [(e.outcome, e.acting_as) for e in entries if e.action == "refreshSession"] == [
        ("SESSION_INVALID", "self"),
        ("SESSION_INVALID", "self"),
    ]


async def test_signing_out_ends_that_session_alone_and_is_audited(accounts_api: Api) -> None:
    api = accounts_api
    person_id, username, first = await signed_in(api)
    mobile = (await api.hub.db.fetch(select(PersonRow.mobile).where(PersonRow.id == person_id)))[0][0]
    other = await second_session(api, username, mobile)

    assert await mutate(api, SIGN_OUT, {"token": first["refreshToken"]}, "signOut") == {"revoked": True}

    revoked = await api.hub.db.fetch(
        select(RefreshTokenRow.revoked_at).where(RefreshTokenRow.token_hash == token_digest(first["refreshToken"]))
    )
    assert revoked[0][0] is not None
    assert (await _refresh(api, other["refreshToken"]))["__typename"] == "Session"
    entries = await recorded(api.hub.db, subject_id=person_id)
    assert [(e.outcome, e.acting_as) for e in entries if e.action == "signOut"] == [("ok", "self")]


async def test_signing_out_with_an_unknown_token_revokes_nothing(accounts_api: Api) -> None:
    assert await mutate(accounts_api, SIGN_OUT, {"token": "not-a-token"}, "signOut") == {"revoked": False}


def _change(current: str, new: str) -> dict[str, Any]:
    return {"query": CHANGE_PASSWORD, "variables": {"input": {"currentPassword": current, "newPassword": new}}}


async def test_changing_the_password_ends_every_other_session(accounts_api: Api) -> None:
    api = accounts_api
    person_id, username, session = await signed_in(api)
    other = await _other_session(api, person_id, username)
    bearer = {"authorization": f"Bearer {session['accessToken']}"}

    wrong = await api.client.post(
        "/graphql",
        json=_change("Wrong2026Pass", "Next2026Pass"),
        headers=bearer,
    )
    assert wrong.json()["data"]["changePassword"]["code"] == "INVALID_CREDENTIALS"
    same = await api.client.post(
        "/graphql",
        json=_change(PASSWORD, PASSWORD),
        headers=bearer,
    )
    assert same.json()["data"]["changePassword"]["code"] == "PASSWORD_UNCHANGED"
    changed = await api.client.post(
        "/graphql",
        json=_change(PASSWORD, "Next2026Pass"),
        headers=bearer,
    )

    payload = changed.json()["data"]["changePassword"]
    assert payload["__typename"] == "PasswordChanged" and payload["otherSessionsEnded"] == 1
    assert (payload["message"], payload["messageAr"]) == (
        "Your password was changed; every other session was ended.",
        "تم تغيير كلمة المرور وإنهاء جميع الجلسات الأخرى.",
    )
    assert await reads_own_record(api, person_id, session["accessToken"]) == 200, "the changer stays signed in"
    assert (await _refresh(api, session["refreshToken"]))["__typename"] == "Session", "and may go on refreshing"
    assert await reads_own_record(api, person_id, other["accessToken"]) == 401
    assert (await _refresh(api, other["refreshToken"]))["code"] == "SESSION_INVALID"
    assert (await sign_in(api, username))["code"] == "INVALID_CREDENTIALS"
    assert (await sign_in(api, username, "Next2026Pass"))["__typename"] == "SignInCodeSent"


async def test_ending_and_refreshing_one_accounts_sessions_leaves_other_accounts_alone(accounts_api: Api) -> None:
    api = accounts_api
    _, _, bystander = await signed_in(api)
    _, _, session = await signed_in(api)
    renewed = await _refresh(api, session["refreshToken"])
    await api.client.post(
        "/graphql", json={"query": SIGN_OUT_EVERYWHERE}, headers={"authorization": f"Bearer {renewed['accessToken']}"}
    )
    assert (await _refresh(api, bystander["refreshToken"]))["__typename"] == "Session"


async def test_ending_a_session_revokes_its_refresh_tokens_and_passes_over_sessions_already_over(
    accounts_api: Api,
) -> None:
    """signOutEverywhere counts the sessions it ended: not one that expired at this very instant."""
    api = accounts_api
    start = dt.datetime.now(dt.UTC)
    api.hub.accounts.clock = at(start)
    person_id, username, session = await signed_in(api)
    api.hub.accounts.clock = at(start + dt.timedelta(hours=2))
    later = await _other_session(api, person_id, username)
    api.hub.accounts.clock = at(dt.datetime.fromisoformat(session["sessionExpiresAt"]))
    response = await api.client.post(
        "/graphql", json={"query": SIGN_OUT_EVERYWHERE}, headers={"authorization": f"Bearer {later['accessToken']}"}
    )
    assert response.json()["data"]["signOutEverywhere"] == {"sessionsEnded": 1}
    sessions = await api.hub.db.fetch(
        select(SessionRow.id, SessionRow.ended_at)
        .join(AccountRow, AccountRow.id == SessionRow.account_id)
        .where(AccountRow.person_id == person_id)
    )
    assert sorted(row.ended_at is not None for row in sessions) == [False, True], "the expired one is left as it was"
    assert all(len(row.id) == 32 and int(row.id, 16) >= 0 for row in sessions), "128 random bits, in hex"
    tokens = await api.hub.db.fetch(
        select(RefreshTokenRow.revoked_at)
        .join(AccountRow, AccountRow.id == RefreshTokenRow.account_id)
        .where(AccountRow.person_id == person_id)
    )
    assert all(row.revoked_at is not None for row in tokens)


async def _other_session(api: Api, person_id: str, username: str) -> dict[str, Any]:
    """A second sign-in of the same account (another device)."""
    mobile = (await api.hub.db.fetch(select(PersonRow.mobile).where(PersonRow.id == person_id)))[0][0]
    return await second_session(api, username, mobile)


async def test_signing_out_everywhere_ends_every_session(accounts_api: Api) -> None:
    api = accounts_api
    person_id, username, session = await signed_in(api)
    other = await _other_session(api, person_id, username)

    response = await api.client.post(
        "/graphql",
        json={"query": SIGN_OUT_EVERYWHERE},
        headers={"authorization": f"Bearer {session['accessToken']}"},
    )

    assert response.json() == {"data": {"signOutEverywhere": {"sessionsEnded": 2}}}
    for ended in (session, other):
        assert await reads_own_record(api, person_id, ended["accessToken"]) == 401
        assert (await _refresh(api, ended["refreshToken"]))["code"] == "SESSION_INVALID"


async def test_account_mutations_need_a_sessions_token(accounts_api: Api) -> None:
    api = accounts_api
    person_id, _, _ = await signed_in(api)
    anonymous = await api.query(SIGN_OUT_EVERYWHERE)
    assert anonymous["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    without_session = await api.client.post(
        "/graphql",
        json={"query": SIGN_OUT_EVERYWHERE},
        headers=api.headers(individual(person_id)),
    )
    assert without_session.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_another_process_learns_that_a_session_ended(accounts_api: Api) -> None:
    """Another worker or subgraph (its own verifier, with the public key only) reads the revocation rows."""
    api = accounts_api
    person_id, _, session = await signed_in(api)
    assert api.hub.signer is not None
    key = api.hub.signer.key
    elsewhere = TokenVerifier(PublicKeys({key.kid: key.public}))
    feed = RevocationFeed(api.hub.db, elsewhere, interval=0)
    await feed.catch_up()
    assert (await elsewhere.verify(session["accessToken"], None)).person_id == person_id

    await mutate(api, SIGN_OUT, {"token": session["refreshToken"]}, "signOut")
    assert feed.due()
    await feed.catch_up()

    with pytest.raises(InvalidToken):
        await elsewhere.verify(session["accessToken"], None)


def test_session_lifetimes_are_configurable() -> None:
    settings = Settings.from_env({"RABT_SESSION_LIFETIME_MINUTES": "480", "RABT_SESSION_IDLE_MINUTES": "15"})
    assert (settings.session_lifetime, settings.session_idle) == (dt.timedelta(hours=8), dt.timedelta(minutes=15))
    defaults = Settings.from_env({})
    assert (defaults.session_lifetime, defaults.session_idle) == (dt.timedelta(hours=12), dt.timedelta(minutes=30))


async def test_signing_out_everywhere_is_audited_against_the_person(accounts_api: Api) -> None:
    api = accounts_api
    person_id, _, session = await signed_in(api)
    response = await api.client.post(
        "/graphql",
        json={"query": SIGN_OUT_EVERYWHERE},
        headers={"authorization": f"Bearer {session['accessToken']}"},
    )
    assert response.json() == {"data": {"signOutEverywhere": {"sessionsEnded": 1}}}
    entries = await recorded(api.hub.db, subject_id=person_id)
    assert [(e.action, e.outcome, e.acting_as) for e in entries if e.action == "signOutEverywhere"] == [
        ("signOutEverywhere", "ok", "self")
    ]


async def test_a_session_whose_account_is_gone_may_not_sign_out_everywhere(accounts_api: Api) -> None:
    api = accounts_api
    nobody = Principal(Role.INDIVIDUAL, person_id="1000000016", session="a-session-of-no-account")
    assert api.hub.signer is not None
    token = api.hub.signer.issue(nobody)
    response = await api.client.post(
        "/graphql", json={"query": SIGN_OUT_EVERYWHERE}, headers={"authorization": f"Bearer {token}"}
    )
    (error,) = response.json()["errors"]
    assert (error["extensions"]["code"], error["message"]) == ("FORBIDDEN", "This session's account no longer exists.")


async def test_a_locked_account_may_not_change_its_password_and_the_refusal_is_audited(accounts_api: Api) -> None:
    """Locked while a session of it lives (another client's failures): the password stays; the
    refusal is recorded against the person."""
    api = accounts_api
    person_id, _, session = await signed_in(api)
    async with api.hub.db.transaction() as connection:
        await connection.execute(
            update(ACCOUNTS).where(ACCOUNTS.c.person_id == person_id).values(status=AccountStatus.LOCKED.value)
        )
    response = await api.client.post(
        "/graphql",
        json=_change(PASSWORD, "Next2026Pass"),
        headers={"authorization": f"Bearer {session['accessToken']}"},
    )
    assert response.json()["data"]["changePassword"]["code"] == "ACCOUNT_LOCKED"
    entries = await recorded(api.hub.db, subject_id=person_id)
    assert [(e.outcome, e.acting_as) for e in entries if e.action == "changePassword"] == [("ACCOUNT_LOCKED", "self")]


async def test_a_session_whose_account_is_gone_may_not_change_a_password(accounts_api: Api) -> None:
    api = accounts_api
    nobody = Principal(Role.INDIVIDUAL, person_id="1000000016", session="a-session-of-no-account")
    assert api.hub.signer is not None
    response = await api.client.post(
        "/graphql",
        json=_change(PASSWORD, "Next2026Pass"),
        headers={"authorization": f"Bearer {api.hub.signer.issue(nobody)}"},
    )
    (error,) = response.json()["errors"]
    assert (error["extensions"]["code"], error["message"]) == ("FORBIDDEN", "This session's account no longer exists.")


async def test_a_new_password_against_the_policy_is_refused_saying_why_and_audited(accounts_api: Api) -> None:
    api = accounts_api
    person_id, _, session = await signed_in(api)
    response = await api.client.post(
        "/graphql",
        json=_change(PASSWORD, "short"),
        headers={"authorization": f"Bearer {session['accessToken']}"},
    )
    refused = response.json()["data"]["changePassword"]
    assert refused["code"] == "PASSWORD_POLICY" and refused["message"] and refused["messageAr"]
    entries = await recorded(api.hub.db, subject_id=person_id)
    assert [(e.outcome, e.acting_as) for e in entries if e.action == "changePassword"] == [("PASSWORD_POLICY", "self")]


async def test_each_password_change_is_audited_and_a_wrong_current_password_counts_until_one_succeeds(
    accounts_api: Api,
) -> None:
    api = accounts_api
    person_id, _, session = await signed_in(api)
    bearer = {"authorization": f"Bearer {session['accessToken']}"}

    async def change(current: str, new: str) -> dict[str, Any]:
        response = await api.client.post("/graphql", json=_change(current, new), headers=bearer)
        return response.json()["data"]["changePassword"]  # type: ignore[no-any-return]

    assert (await change("Wrong2026Pass", "Next2026Pass"))["code"] == "INVALID_CREDENTIALS"
    assert await failures(api, person_id) == (1, "active")
    assert (await change(PASSWORD, PASSWORD))["code"] == "PASSWORD_UNCHANGED"
    assert (await change(PASSWORD, "Next2026Pass"))["otherSessionsEnded"] == 0
    assert await failures(api, person_id) == (0, "active")
    entries = await recorded(api.hub.db, subject_id=person_id)
    assert [(e.outcome, e.acting_as) for e in entries if e.action == "changePassword"] == [
        ("INVALID_CREDENTIALS", "self"),
        ("PASSWORD_UNCHANGED", "self"),
        ("ok", "self"),
    ]


class _HashingInStep(PasswordHashing):
    """Hands out each new hash only once `count` are made: the changes asking for them have all
    checked the same current password before any of them writes."""

    def __init__(self, count: int) -> None:
        super().__init__(CHEAP_PASSWORDS.hasher)
        self._made = asyncio.Barrier(count)

    async def hash(self, password: str) -> str:
        made = await super().hash(password)
        await self._made.wait()
        return made


async def test_of_two_changes_at_once_the_one_that_got_there_first_wins_and_the_other_is_refused(
    accounts_api: Api,
) -> None:
    """Both read the same current password; the second to write finds it replaced, is refused as a
    stale current password, and neither counts as a failed attempt nor changes the password again."""
    api = accounts_api
    person_id, username, session = await signed_in(api)
    api.hub.accounts.passwords = _HashingInStep(2)
    bearer = {"authorization": f"Bearer {session['accessToken']}"}
    first, second = await asyncio.gather(
        api.client.post("/graphql", json=_change(PASSWORD, "First2026Pass"), headers=bearer),
        api.client.post("/graphql", json=_change(PASSWORD, "Second2026Pass"), headers=bearer),
    )
    answers = {
        new: response.json()["data"]["changePassword"]
        for new, response in (("First2026Pass", first), ("Second2026Pass", second))
    }
    (winner,) = [new for new, answer in answers.items() if answer["__typename"] == "PasswordChanged"]
    (loser,) = [new for new, answer in answers.items() if answer["__typename"] == "Refusal"]
    assert answers[loser]["code"] == "INVALID_CREDENTIALS"
    assert await failures(api, person_id) == (0, "active")
    assert (await sign_in(api, username, loser))["code"] == "INVALID_CREDENTIALS"
    assert (await sign_in(api, username, winner))["__typename"] == "SignInCodeSent"
    entries = await recorded(api.hub.db, subject_id=person_id)
    assert sorted((e.outcome, e.acting_as) for e in entries if e.action == "changePassword") == [
        ("INVALID_CREDENTIALS", "self"),
        ("ok", "self"),
    ]


async def test_the_wrong_current_password_that_reaches_the_limit_locks_the_account(accounts_api: Api) -> None:
    api = accounts_api
    person_id, _, session = await signed_in(api)
    await set_failures(api, person_id, LOCK_AFTER - 1)
    response = await api.client.post(
        "/graphql",
        json=_change("Wrong2026Pass", "Next2026Pass"),
        headers={"authorization": f"Bearer {session['accessToken']}"},
    )
    assert response.json()["data"]["changePassword"]["code"] == "ACCOUNT_LOCKED"
    assert await failures(api, person_id) == (LOCK_AFTER, "locked")
    locked_at = await api.hub.db.fetch(select(ACCOUNTS.c.locked_at).where(ACCOUNTS.c.person_id == person_id))
    assert locked_at[0][0] is not None, "stamped when it locked"


async def test_a_new_password_holding_a_run_of_the_owners_id_is_refused(accounts_api: Api) -> None:
    api = accounts_api
    person_id, username, session = await signed_in(api)
    response = await api.client.post(
        "/graphql",
        json=_change(PASSWORD, f"Xy{person_id[:6]}zQ"),
        headers={"authorization": f"Bearer {session['accessToken']}"},
    )
    assert response.json()["data"]["changePassword"]["code"] == "PASSWORD_POLICY"
    assert (await sign_in(api, username))["__typename"] == "SignInCodeSent", "the password stays"
