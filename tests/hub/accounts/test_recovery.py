"""Recovery's rules one by one: sendRecoveryCode answers alike whether or not it sent a code (and
sends one only to the registry's mobile of an ID with an account, within the recovery allowance);
recoverAccount checks the password policy first, takes the code once and only a recovery code, and
then sets the new password, unlocks, forgets the failures, ends every session and gives a
registration somebody else started back to its owner. Each answer is audited against the ID typed."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from hub.accounts.lockout import LOCK_AFTER, RECOVERY_ALLOWANCE
from hub.accounts.models import ACCOUNTS, CodePurpose
from hub.accounts.otp import CODE_TTL
from hub.accounts.passwords import describe_password, password_problems
from hub.accounts.phones import mask_mobile, normalize_mobile
from hub.accounts.ratelimit import AccountLimits, Limit
from hub.accounts.sms import code_message
from hub.audit.reading import recorded
from hub.audit.records import AuditRecord
from hub.identity.models import PersonRow
from tests.conftest import Api
from tests.hub.accounts.flow import (
    PASSWORD,
    REFRESH,
    active_account,
    challenge_of,
    latest_code,
    messages_to,
    mutate,
    new_username,
    other_mobile,
    register,
    sign_in,
    signed_in,
    unregistered_person,
)
from tests.hub.accounts.test_each_limit import stranger
from tests.hub.accounts.test_lockout import NEW_PASSWORD, RECOVER, SEND_RECOVERY, failures, recover, set_failures
from tests.hub.accounts.test_sessions import reads_own_record, second_session

SENT_MESSAGES = (
    "If this ID has an account and this is its registered mobile, a code was sent to it.",
    "إذا كان لهذه الهوية حساب وكان هذا رقم جوالها المسجل فقد أُرسل إليه رمز.",
)
RECOVERED_MESSAGES = (
    "Your new password is set and every session was ended. Sign in again.",
    "تم تعيين كلمة المرور الجديدة وإنهاء جميع الجلسات. سجّل الدخول مجدداً.",
)
RECOVERED = """
mutation Recover($input: RecoverAccountInput!) {
  recoverAccount(input: $input) {
    __typename
    ... on AccountRecovered { username status message messageAr }
    ... on Refusal { code message messageAr }
  }
}"""


async def send(api: Api, person_id: str, mobile: str) -> dict[str, Any]:
    return await mutate(api, SEND_RECOVERY, {"input": {"id": person_id, "mobile": mobile}}, "sendRecoveryCode")


async def attempt(
    api: Api, person_id: str, code: str, challenge: str, password: str = NEW_PASSWORD, document: str = RECOVER
) -> dict[str, Any]:
    variables = {"input": {"id": person_id, "code": code, "challenge": challenge, "newPassword": password}}
    return await mutate(api, document, variables, "recoverAccount")


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


async def audit_mark(api: Api) -> int:
    """The newest audit record's id: the people these tests pick may have entries from earlier tests."""
    return int((await api.hub.db.fetch(select(func.coalesce(func.max(AuditRecord.id), 0))))[0][0])


async def audited(api: Api, person_id: str, action: str, after: int) -> list[tuple[str, str]]:
    """(outcome, capacity) of each `action` audited against the person since the mark `after`."""
    entries = await recorded(api.hub.db, subject_id=person_id)
    return [(e.outcome, e.acting_as) for e in entries if e.action == action and e.audit_id > after]


async def locked_at(api: Api, person_id: str) -> object:
    return (await api.hub.db.fetch(select(ACCOUNTS.c.locked_at).where(ACCOUNTS.c.person_id == person_id)))[0][0]


async def test_a_recovery_request_answers_the_same_whether_or_not_a_code_was_sent_and_is_audited(
    accounts_api: Api,
) -> None:
    api = accounts_api
    mark = await audit_mark(api)
    now = dt.datetime.now(dt.UTC)
    api.hub.accounts.clock = lambda: now
    person_id, mobile, _ = await active_account(api)
    stranger_id, stranger_mobile, _ = await unregistered_person(api)
    # A wrong mobile; an ID without an account, with its mobile and with the account's: only the last sends.
    asked = (
        (person_id, other_mobile(mobile)),
        (stranger_id, stranger_mobile),
        (stranger_id, mobile),
        (person_id, mobile),
    )
    sent_before = {m: len(messages_to(api, m)) for _, m in asked}

    answers = [await send(api, pid, m) for pid, m in asked]

    for (_, m), answer in zip(asked, answers, strict=True):
        assert answer["__typename"] == "RecoveryCodeSent"
        assert answer["sentTo"] == mask_mobile(m)
        assert dt.datetime.fromisoformat(answer["codeExpiresAt"]) == now + CODE_TTL
        assert (answer["message"], answer["messageAr"]) == SENT_MESSAGES
        assert len(answer["challenge"]) == 43, "256 random bits, URL-safe"
    assert len({answer["challenge"] for answer in answers}) == len(asked)
    assert len(messages_to(api, other_mobile(mobile))) == sent_before[other_mobile(mobile)], "a wrong mobile: none"
    assert len(messages_to(api, stranger_mobile)) == sent_before[stranger_mobile], "no account: none"
    assert len(messages_to(api, mobile)) == sent_before[mobile] + 1
    assert messages_to(api, mobile)[-1] == code_message(CodePurpose.RECOVERY, latest_code(api, mobile), "en")
    assert await audited(api, person_id, "sendRecoveryCode", mark) == [("NOT_SENT", "self"), ("ok", "self")]
    assert await audited(api, stranger_id, "sendRecoveryCode", mark) == [("NOT_SENT", "self")] * 2


async def test_an_id_nobody_holds_gets_the_same_answer_and_no_code(accounts_api: Api) -> None:
    api = accounts_api
    mark = await audit_mark(api)
    nobody, mobile = stranger(4242), normalize_mobile("0500000000")
    answer = await send(api, nobody, "0500000000")
    assert (answer["sentTo"], answer["message"], answer["messageAr"]) == (mask_mobile(mobile), *SENT_MESSAGES)
    assert messages_to(api, mobile) == []
    assert await audited(api, nobody, "sendRecoveryCode", mark) == [("NOT_SENT", "self")]


async def test_past_the_recovery_allowance_no_code_is_sent_and_that_is_audited(accounts_api: Api) -> None:
    api = accounts_api
    mark = await audit_mark(api)
    person_id, mobile, _ = await active_account(api)
    await set_failures(api, person_id, LOCK_AFTER + RECOVERY_ALLOWANCE - 1)
    await send(api, person_id, mobile)
    sent = len(messages_to(api, mobile))
    await set_failures(api, person_id, LOCK_AFTER + RECOVERY_ALLOWANCE)

    answer = await send(api, person_id, mobile)

    assert (answer["sentTo"], answer["message"], answer["messageAr"]) == (mask_mobile(mobile), *SENT_MESSAGES)
    assert len(messages_to(api, mobile)) == sent, "the last failure allowed still got one, this one none"
    assert await audited(api, person_id, "sendRecoveryCode", mark) == [("ok", "self"), ("NOT_SENT", "self")]


async def test_the_password_policy_is_checked_before_anything_and_audited(accounts_api: Api) -> None:
    api = accounts_api
    mark = await audit_mark(api)
    person_id, mobile, username = await active_account(api)
    challenge = (await send(api, person_id, mobile))["challenge"]
    code = latest_code(api, mobile)
    holding_the_id = f"Xy{person_id[:6]}zQ"
    expected = describe_password(password_problems(holding_the_id, person_id))

    refused = await attempt(api, person_id, code, challenge, holding_the_id)
    assert (refused["code"], refused["message"], refused["messageAr"]) == ("PASSWORD_POLICY", *expected)
    assert (await attempt(api, stranger(4243), code, challenge, "short"))["code"] == "PASSWORD_POLICY"
    await set_failures(api, person_id, LOCK_AFTER + RECOVERY_ALLOWANCE)
    assert (await attempt(api, person_id, code, challenge, "short"))["code"] == "PASSWORD_POLICY"
    assert await audited(api, person_id, "recoverAccount", mark) == [("PASSWORD_POLICY", "self")] * 2
    assert await audited(api, stranger(4243), "recoverAccount", mark) == [("PASSWORD_POLICY", "self")]
    assert await failures(api, person_id) == (LOCK_AFTER + RECOVERY_ALLOWANCE, "active"), "nothing counted"
    await set_failures(api, person_id, 0)
    assert (await attempt(api, person_id, code, challenge))["__typename"] == "AccountRecovered", "the code lives on"
    assert (await sign_in(api, username, NEW_PASSWORD))["__typename"] == "SignInCodeSent"


async def test_an_id_without_an_account_is_code_invalid_and_audited_against_it(accounts_api: Api) -> None:
    api = accounts_api
    mark = await audit_mark(api)
    stranger_id, stranger_mobile, _ = await unregistered_person(api)
    challenge = (await send(api, stranger_id, stranger_mobile))["challenge"]

    refused = await attempt(api, stranger_id, "123456", challenge)

    assert refused == {
        "__typename": "Refusal",
        "code": "CODE_INVALID",
        "message": "The code is not correct.",
        "messageAr": "الرمز غير صحيح.",
    }
    assert await audited(api, stranger_id, "recoverAccount", mark) == [("CODE_INVALID", "self")]


async def test_past_the_allowance_recovery_is_refused_and_audited(accounts_api: Api) -> None:
    api = accounts_api
    mark = await audit_mark(api)
    person_id, mobile, _ = await active_account(api)
    challenge = (await send(api, person_id, mobile))["challenge"]
    code = latest_code(api, mobile)
    await set_failures(api, person_id, LOCK_AFTER + RECOVERY_ALLOWANCE)

    assert (await attempt(api, person_id, code, challenge))["code"] == "RECOVERY_LOCKED"

    assert await audited(api, person_id, "recoverAccount", mark) == [("RECOVERY_LOCKED", "self")]
    assert await failures(api, person_id) == (LOCK_AFTER + RECOVERY_ALLOWANCE, "active"), "the code is not tried"


async def test_a_wrong_code_counts_a_failure_and_is_refused_and_the_right_one_still_works(accounts_api: Api) -> None:
    api = accounts_api
    mark = await audit_mark(api)
    person_id, mobile, username = await active_account(api)
    await set_failures(api, person_id, 7)
    challenge = (await send(api, person_id, mobile))["challenge"]
    code = latest_code(api, mobile)

    refused = await attempt(api, person_id, wrong(code), challenge)

    assert (refused["code"], refused["message"]) == ("CODE_INVALID", "The code is not correct.")
    assert await failures(api, person_id) == (8, "active")
    assert (await sign_in(api, username, NEW_PASSWORD))["code"] == "INVALID_CREDENTIALS", "no new password"
    assert (await attempt(api, person_id, code, challenge))["__typename"] == "AccountRecovered"
    assert await audited(api, person_id, "recoverAccount", mark) == [("CODE_INVALID", "self"), ("ok", "self")]


async def test_a_wrong_recovery_code_that_reaches_the_limit_locks_the_account_at_that_time(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, _ = await active_account(api)
    await set_failures(api, person_id, LOCK_AFTER - 1)
    challenge = (await send(api, person_id, mobile))["challenge"]

    await attempt(api, person_id, wrong(latest_code(api, mobile)), challenge)

    assert await failures(api, person_id) == (LOCK_AFTER, "locked")
    locked_at = await api.hub.db.fetch(select(ACCOUNTS.c.locked_at).where(ACCOUNTS.c.person_id == person_id))
    assert locked_at[0][0] is not None


async def test_recovery_sets_the_password_unlocks_and_ends_every_session(
    accounts_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = accounts_api
    mark = await audit_mark(api)
    person_id, username, first = await signed_in(api)
    mobile = await _mobile_of(api, person_id)
    other = await second_session(api, username, mobile)
    await set_failures(api, person_id, LOCK_AFTER - 1)
    assert (await sign_in(api, username, "Wrong2026Pass"))["code"] == "ACCOUNT_LOCKED"
    assert await locked_at(api, person_id) is not None
    challenge = (await send(api, person_id, mobile))["challenge"]

    recovered = await attempt(api, person_id, latest_code(api, mobile), challenge, document=RECOVERED)

    assert recovered == {
        "__typename": "AccountRecovered",
        "username": username,
        "status": "ACTIVE",
        "message": RECOVERED_MESSAGES[0],
        "messageAr": RECOVERED_MESSAGES[1],
    }
    assert await failures(api, person_id) == (0, "active")
    assert await locked_at(api, person_id) is None, "unlocked: the lock's time goes too"
    # This process turns the ended sessions' tokens away at once, not when it next reads the revocation rows.
    monkeypatch.setattr(api.hub.revocations, "due", lambda: False)
    for session in (first, other):
        assert await reads_own_record(api, person_id, session["accessToken"]) == 401
        refreshed = await mutate(api, REFRESH, {"token": session["refreshToken"]}, "refreshSession")
        assert refreshed["code"] == "SESSION_INVALID"
    assert (await sign_in(api, username))["code"] == "INVALID_CREDENTIALS", "the old password is gone"
    assert (await sign_in(api, username, NEW_PASSWORD))["__typename"] == "SignInCodeSent"
    assert await audited(api, person_id, "recoverAccount", mark) == [("ok", "self")]


async def _mobile_of(api: Api, person_id: str) -> str:
    return str((await api.hub.db.fetch(select(PersonRow.mobile).where(PersonRow.id == person_id)))[0][0])


async def test_the_owner_takes_back_a_registration_somebody_else_started(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, _ = await unregistered_person(api)
    username = new_username()
    assert (await register(api, person_id, mobile, username, "Other2026Pass"))["__typename"] == "RegistrationStarted"

    recovered = await recover(api, person_id, mobile)

    assert recovered == {"__typename": "AccountRecovered", "username": username, "status": "PENDING_ACTIVATION"}
    assert await failures(api, person_id) == (0, "pending_activation")
    assert (await sign_in(api, username, NEW_PASSWORD))["code"] == "ACCOUNT_NOT_ACTIVE"


async def test_a_recovery_code_works_once(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, username = await active_account(api)
    challenge = (await send(api, person_id, mobile))["challenge"]
    code = latest_code(api, mobile)
    assert (await attempt(api, person_id, code, challenge))["__typename"] == "AccountRecovered"

    assert (await attempt(api, person_id, code, challenge, "Again2026Pass"))["code"] == "CODE_INVALID"
    assert (await sign_in(api, username, NEW_PASSWORD))["__typename"] == "SignInCodeSent", "the first one stays"


async def test_a_sign_in_or_registration_code_is_not_a_recovery_code(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, username = await active_account(api)
    assert (await sign_in(api, username))["__typename"] == "SignInCodeSent"
    assert (await attempt(api, person_id, latest_code(api, mobile), challenge_of(username)))["code"] == "CODE_INVALID"
    assert (await sign_in(api, username, PASSWORD))["__typename"] == "SignInCodeSent", "the password stays"

    pending_id, pending_mobile, _ = await unregistered_person(api)
    pending = new_username()
    assert (await register(api, pending_id, pending_mobile, pending))["__typename"] == "RegistrationStarted"
    refused = await attempt(api, pending_id, latest_code(api, pending_mobile), challenge_of(pending))
    assert refused["code"] == "CODE_INVALID"
    assert await failures(api, pending_id) == (0, "pending_phone"), "not a guess at a recovery code"


async def test_recovery_code_attempts_are_limited_per_account(accounts_api: Api) -> None:
    """One account's attempts past its limit leave another account's open."""
    api = accounts_api
    first, second = [(await active_account(api))[0] for _ in range(2)]
    api.hub.accounts.limits = dataclasses.replace(AccountLimits(), code_per_account_client=Limit(1, 77))
    assert (await attempt(api, first, "000000", "x"))["code"] == "CODE_INVALID"
    assert (await api.query(RECOVER, _input(first)))["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert (await attempt(api, second, "000000", "x"))["code"] == "CODE_INVALID"


def _input(person_id: str) -> dict[str, Any]:
    return {"input": {"id": person_id, "code": "000000", "challenge": "x", "newPassword": NEW_PASSWORD}}


async def test_a_malformed_id_is_invalid_id_naming_the_argument(accounts_api: Api) -> None:
    answer = await accounts_api.query(RECOVER, {"input": {**_input("12345")["input"]}})
    assert answer["errors"][0]["extensions"]["code"] == "INVALID_ID"
    assert answer["errors"][0]["extensions"]["argument"] == "input.id"
    assert answer["errors"][0]["message"].startswith("input.id: ")
