"""Guessing ends for good (a lock after LOCK_AFTER consecutive failures, which the owner lifts), and
nobody else's guessing locks the owner out of their own sign-in, code or registration."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from hub.accounts.lockout import LOCK_AFTER, RECOVERY_ALLOWANCE
from hub.accounts.models import AccountRow
from hub.accounts.ratelimit import AccountLimits, Limit
from tests.conftest import Api, officer
from tests.hub.accounts.flow import (
    ACTIVATE,
    PASSWORD,
    SIGN_IN,
    activation,
    active_account,
    challenge_of,
    confirm_sign_in,
    from_address,
    latest_code,
    messages_to,
    mutate,
    new_username,
    other_mobile,
    register,
    sign_in,
    unregistered_person,
)

SEND_RECOVERY = """
mutation Send($input: SendRecoveryCodeInput!) {
  sendRecoveryCode(input: $input) { __typename sentTo codeExpiresAt challenge message messageAr }
}"""
RECOVER = """
mutation Recover($input: RecoverAccountInput!) {
  recoverAccount(input: $input) {
    __typename
    ... on AccountRecovered { username status }
    ... on Refusal { code message messageAr }
  }
}"""
NEW_PASSWORD = "Fresh2026Start"


async def failures(api: Api, person_id: str) -> tuple[int, str]:
    rows = await api.hub.db.fetch(
        select(AccountRow.failed_attempts, AccountRow.status).where(AccountRow.person_id == person_id)
    )
    return rows[0][0], rows[0][1]


async def set_failures(api: Api, person_id: str, count: int) -> None:
    async with api.hub.db.transaction() as session:
        await session.execute(update(AccountRow).where(AccountRow.person_id == person_id).values(failed_attempts=count))


async def recover(api: Api, person_id: str, mobile: str, password: str = NEW_PASSWORD) -> dict[str, Any]:
    sent = await mutate(api, SEND_RECOVERY, {"input": {"id": person_id, "mobile": mobile}}, "sendRecoveryCode")
    variables = {
        "input": {
            "id": person_id,
            "code": latest_code(api, mobile),
            "challenge": sent["challenge"],
            "newPassword": password,
        }
    }
    return await mutate(api, RECOVER, variables, "recoverAccount")


async def test_the_hundredth_consecutive_failure_locks_the_account_whatever_the_password(accounts_api: Api) -> None:
    api = accounts_api
    person_id, _, username = await active_account(api)
    assert (await sign_in(api, username, "Wrong2026Pass"))["code"] == "INVALID_CREDENTIALS"
    async with from_address(api, "198.51.100.7") as elsewhere:
        assert (await sign_in(elsewhere, username, "Wrong2026Pass"))["code"] == "INVALID_CREDENTIALS"
    assert await failures(api, person_id) == (2, "active"), "every client's failures count against the account"
    await set_failures(api, person_id, LOCK_AFTER - 1)

    locked = await sign_in(api, username, "Wrong2026Pass")
    assert locked["code"] == "ACCOUNT_LOCKED"
    assert "recoverAccount" in locked["message"] and locked["messageAr"]
    assert await failures(api, person_id) == (LOCK_AFTER, "locked")
    assert (await sign_in(api, username))["code"] == "ACCOUNT_LOCKED", "the right password no longer helps"


async def test_a_completed_sign_in_starts_the_count_again(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, username = await active_account(api)
    await set_failures(api, person_id, LOCK_AFTER - 5)
    await sign_in(api, username)
    assert await failures(api, person_id) == (LOCK_AFTER - 5, "active"), "a password alone resets nothing"
    assert (await confirm_sign_in(api, username, latest_code(api, mobile)))["__typename"] == "Session"
    assert await failures(api, person_id) == (0, "active")


async def test_wrong_sign_in_codes_count_and_lock(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, username = await active_account(api)
    await sign_in(api, username)
    wrong = f"{(int(latest_code(api, mobile)) + 1) % 10**6:06d}"
    await set_failures(api, person_id, LOCK_AFTER - 1)
    assert (await confirm_sign_in(api, username, wrong))["code"] == "ACCOUNT_LOCKED"
    assert await failures(api, person_id) == (LOCK_AFTER, "locked")
    locked_at = await api.hub.db.fetch(select(AccountRow.locked_at).where(AccountRow.person_id == person_id))
    assert locked_at[0][0] is not None, "the lock is stamped with its time"


async def test_the_owner_unlocks_a_locked_account_with_recovery(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, username = await active_account(api)
    await set_failures(api, person_id, LOCK_AFTER - 1)
    assert (await sign_in(api, username, "Wrong2026Pass"))["code"] == "ACCOUNT_LOCKED"

    recovered = await recover(api, person_id, mobile)

    assert recovered == {"__typename": "AccountRecovered", "username": username, "status": "ACTIVE"}
    assert await failures(api, person_id) == (0, "active")
    assert (await sign_in(api, username))["code"] == "INVALID_CREDENTIALS", "the old password is gone"
    assert (await sign_in(api, username, NEW_PASSWORD))["__typename"] == "SignInCodeSent"


async def test_past_its_allowance_recovery_is_closed_and_an_officer_unlocks(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, username = await active_account(api)
    await set_failures(api, person_id, LOCK_AFTER + RECOVERY_ALLOWANCE)
    assert (await sign_in(api, username, "Wrong2026Pass"))["code"] == "ACCOUNT_LOCKED"
    sent_before = len(messages_to(api, mobile))

    refused = await recover(api, person_id, mobile)

    assert refused["code"] == "RECOVERY_LOCKED"
    assert len(messages_to(api, mobile)) == sent_before, "no recovery code is sent any more"
    unlocked = await mutate(api, ACTIVATE, activation(username), "activateAccount", as_=officer("passports"))
    assert unlocked["__typename"] == "AccountActivated"
    assert await failures(api, person_id) == (0, "active")
    assert (await sign_in(api, username))["__typename"] == "SignInCodeSent"


async def test_another_clients_wrong_passwords_do_not_lock_the_owner_out(accounts_api: Api) -> None:
    api = accounts_api
    _, _, username = await active_account(api)
    async with from_address(api, "203.0.113.20") as attacker:
        for _ in range(10):
            assert (await sign_in(attacker, username, "Wrong2026Pass"))["code"] == "INVALID_CREDENTIALS"
        limited = await attacker.query(SIGN_IN, {"input": {"username": username, "password": PASSWORD}})
        assert limited["errors"][0]["extensions"]["code"] == "RATE_LIMITED"

    assert (await sign_in(api, username))["__typename"] == "SignInCodeSent"


async def test_failures_from_many_clients_fill_the_accounts_backstop(accounts_api: Api) -> None:
    api = accounts_api
    api.hub.accounts.limits = AccountLimits(sign_in_failures_per_account=Limit(4, 3600))
    _, _, username = await active_account(api)
    for address in ("203.0.113.31", "203.0.113.32"):
        async with from_address(api, address) as attacker:
            for _ in range(2):
                assert (await sign_in(attacker, username, "Wrong2026Pass"))["code"] == "INVALID_CREDENTIALS"

    result = await api.query(SIGN_IN, {"input": {"username": username, "password": PASSWORD}})
    assert result["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_the_owners_successes_do_not_fill_the_backstop(accounts_api: Api) -> None:
    api = accounts_api
    api.hub.accounts.limits = AccountLimits(sign_in_failures_per_account=Limit(2, 3600))
    _, _, username = await active_account(api)
    for _ in range(4):
        assert (await sign_in(api, username))["__typename"] == "SignInCodeSent"


async def test_wrong_codes_from_someone_else_do_not_kill_the_owners_sign_in_code(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, username = await active_account(api)
    assert (await sign_in(api, username))["__typename"] == "SignInCodeSent"
    code = latest_code(api, mobile)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    async with from_address(api, "203.0.113.40") as attacker:
        for _ in range(5):
            assert (await confirm_sign_in(attacker, username, wrong, "not the challenge"))["code"] == "CODE_INVALID"

    assert await failures(api, person_id) == (0, "active")
    assert (await confirm_sign_in(api, username, code, challenge_of(username)))["__typename"] == "Session"


async def test_wrong_mobiles_from_another_client_do_not_block_the_owners_registration(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, _ = await unregistered_person(api)
    async with from_address(api, "203.0.113.50") as attacker:
        for _ in range(5):
            refused = await register(attacker, person_id, other_mobile(mobile), new_username())
            assert refused["code"] == "REGISTRATION_MISMATCH"

    assert (await register(api, person_id, mobile, new_username()))["__typename"] == "RegistrationStarted"


async def test_a_recovery_request_answers_alike_whether_or_not_a_code_was_sent(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, _ = await active_account(api)
    stranger, stranger_mobile, _ = await unregistered_person(api)
    sent_before = len(messages_to(api, other_mobile(mobile))) + len(messages_to(api, stranger_mobile))

    answers = [
        await mutate(api, SEND_RECOVERY, {"input": {"id": pid, "mobile": m}}, "sendRecoveryCode")
        for pid, m in ((person_id, other_mobile(mobile)), (stranger, stranger_mobile), (person_id, mobile))
    ]

    shapes = [
        {key: value for key, value in answer.items() if key not in ("challenge", "sentTo", "codeExpiresAt")}
        for answer in answers
    ]
    assert shapes[0] == shapes[1] == shapes[2]
    assert all(len(answer["challenge"]) >= 43 for answer in answers)
    assert len(messages_to(api, other_mobile(mobile))) + len(messages_to(api, stranger_mobile)) == sent_before
    assert "recovery code" in messages_to(api, mobile)[-1]
