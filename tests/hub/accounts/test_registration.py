"""Registration over HTTP: register with the registry's mobile, verify the SMS code, be activated by
an officer, sign in with a second code, and read your own record with the token you get."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select

from hub.accounts.models import AccountRow, OneTimeCodeRow, RefreshTokenRow
from hub.accounts.phones import mask_mobile
from hub.audit.reading import recorded
from hub.contract.national_id import with_check_digit
from hub.contract.principal import ANONYMOUS
from hub.identity.models import PersonRow
from tests.conftest import Api, individual, officer
from tests.hub.accounts.flow import (
    ACTIVATE,
    OWN_NAME,
    PASSWORD,
    REGISTER,
    activate,
    activation,
    confirm_sign_in,
    from_address,
    latest_code,
    messages_to,
    new_username,
    other_mobile,
    register,
    registered_and_verified,
    sign_in,
    unregistered_person,
    verify_phone,
)


async def _account(api: Api, person_id: str) -> dict[str, object] | None:
    rows = await api.hub.db.fetch(
        select(AccountRow.username, AccountRow.status, AccountRow.password_hash, AccountRow.activated_by).where(
            AccountRow.person_id == person_id
        )
    )
    return rows[0]._asdict() if rows else None


async def test_a_person_registers_is_activated_signs_in_and_reads_their_own_record(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, name_en = await unregistered_person(api)
    username = new_username()

    started = await register(api, person_id, mobile, username)
    assert started["__typename"] == "RegistrationStarted", started
    assert started["username"] == username
    assert started["sentTo"] == mask_mobile(mobile)
    assert (started["message"], started["messageAr"]) == (
        "Enter the code sent to your mobile with verifyPhone.",
        "أدخل الرمز المرسل إلى جوالك لإكمال التحقق.",
    )
    registration_code = latest_code(api, mobile)
    assert "registration code" in messages_to(api, mobile)[-1]

    verified = await verify_phone(api, username, registration_code)
    assert verified == {"__typename": "PhoneVerified", "username": username, "status": "PENDING_ACTIVATION"}

    activated = await activate(api, username)
    assert activated["__typename"] == "AccountActivated"
    assert activated["personId"] == person_id

    sent_before = len(messages_to(api, mobile))
    code_sent = await sign_in(api, username)
    assert code_sent["__typename"] == "SignInCodeSent"
    assert len(messages_to(api, mobile)) == sent_before + 1
    assert "sign-in code" in messages_to(api, mobile)[-1]

    session = await confirm_sign_in(api, username, latest_code(api, mobile))
    assert session["__typename"] == "Session", session
    expires_at = dt.datetime.fromisoformat(session["expiresAt"])
    assert dt.timedelta(minutes=14) < expires_at - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=15)

    bearer = {"authorization": f"Bearer {session['accessToken']}"}
    own = await api.client.post("/graphql", json={"query": OWN_NAME, "variables": {"id": person_id}}, headers=bearer)
    assert own.status_code == 200
    assert own.json() == {"data": {"person": {"nameEn": name_en}}}
    someone_else = await api.client.post(
        "/graphql", json={"query": OWN_NAME, "variables": {"id": (await unregistered_person(api))[0]}}, headers=bearer
    )
    assert someone_else.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_secrets_are_stored_only_as_hashes(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, username = await registered_and_verified(api)
    await activate(api, username)
    await sign_in(api, username)
    code = latest_code(api, mobile)
    session = await confirm_sign_in(api, username, code)

    account = await _account(api, person_id)
    assert account is not None and account["status"] == "active"
    assert str(account["password_hash"]).startswith("$argon2id$") and PASSWORD not in str(account["password_hash"])
    assert account["activated_by"] == "officer:1000000008"
    code_hashes = [row[0] for row in await api.hub.db.fetch(select(OneTimeCodeRow.code_hash))]
    assert code_hashes and all(len(digest) == 64 and code not in digest for digest in code_hashes)
    token_hashes = [row[0] for row in await api.hub.db.fetch(select(RefreshTokenRow.token_hash))]
    assert session["refreshToken"] not in token_hashes


async def test_each_step_is_audited_against_the_person(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, username = await registered_and_verified(api)
    await activate(api, username)
    await register(api, person_id, other_mobile(mobile), new_username())

    entries = await recorded(api.hub.db, subject_id=person_id)
    assert [(e.action, e.outcome, e.acting_as, e.actor) for e in entries if e.sector == "accounts"] == [
        ("register", "ok", "self", "anonymous"),
        ("verifyPhone", "ok", "self", "anonymous"),
        ("activateAccount", "ok", "officer", "officer:1000000008"),
        ("register", "REGISTRATION_MISMATCH", "self", "anonymous"),
    ]


async def test_each_refusal_of_a_registration_is_audited_against_the_person(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, _ = await unregistered_person(api)
    await register(api, person_id, mobile, new_username(), acceptTerms=False)
    await register(api, person_id, mobile, "1st_user")
    await register(api, person_id, mobile, new_username(), password="weak")

    entries = await recorded(api.hub.db, subject_id=person_id)
    assert [(e.action, e.outcome, e.acting_as) for e in entries if e.sector == "accounts"] == [
        ("register", "TERMS_NOT_ACCEPTED", "self"),
        ("register", "USERNAME_POLICY", "self"),
        ("register", "PASSWORD_POLICY", "self"),
    ]


async def test_a_mobile_other_than_the_registered_one_is_a_mismatch(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, _ = await unregistered_person(api)
    sent_before = len(messages_to(api, other_mobile(mobile)))

    refused = await register(api, person_id, other_mobile(mobile), new_username())

    assert refused["__typename"] == "Refusal"
    assert refused["code"] == "REGISTRATION_MISMATCH"
    assert await _account(api, person_id) is None
    assert len(messages_to(api, other_mobile(mobile))) == sent_before


async def test_the_registered_mobile_typed_locally_is_the_same_number(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, _ = await unregistered_person(api)
    started = await register(api, person_id, "0" + mobile[4:], new_username())
    assert started["__typename"] == "RegistrationStarted"


async def test_an_unknown_id_is_refused_exactly_like_a_wrong_mobile(accounts_api: Api) -> None:
    api = accounts_api
    rng = random.Random(7)
    while True:
        unknown = with_check_digit("1" + f"{rng.randrange(10**8):08d}")
        if not await api.hub.db.fetch(select(PersonRow.id).where(PersonRow.id == unknown)):
            break
    person_id, mobile, _ = await unregistered_person(api)

    unknown_answer = await register(api, unknown, mobile, new_username())
    wrong_mobile_answer = await register(api, person_id, other_mobile(mobile), new_username())

    assert unknown_answer == wrong_mobile_answer
    assert unknown_answer["code"] == "REGISTRATION_MISMATCH"


async def test_a_malformed_id_is_invalid_id(accounts_api: Api) -> None:
    result = await accounts_api.query(
        REGISTER,
        {
            "input": {
                "id": "1000000000",
                "mobile": "+966512345678",
                "username": new_username(),
                "password": PASSWORD,
                "acceptTerms": True,
            }
        },
    )
    assert result["errors"][0]["extensions"]["code"] == "INVALID_ID"
    assert result["errors"][0]["path"] == ["register"]


async def test_a_weak_password_is_refused_saying_what_is_missing(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, _ = await unregistered_person(api)

    refused = await register(api, person_id, mobile, new_username(), password="weakpass")

    assert refused["code"] == "PASSWORD_POLICY"
    assert refused["message"] == "The password needs: an uppercase letter; a digit."
    assert "حرف كبير" in refused["messageAr"]
    assert await _account(api, person_id) is None


async def test_a_password_holding_six_digits_of_the_id_is_refused(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, _ = await unregistered_person(api)
    refused = await register(api, person_id, mobile, new_username(), password=f"Ab{person_id[3:9]}cd")
    assert refused["code"] == "PASSWORD_POLICY"
    assert "digits of your ID" in refused["message"]


async def test_a_username_against_the_policy_is_refused(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, _ = await unregistered_person(api)
    refused = await register(api, person_id, mobile, "1st_user")
    assert refused["code"] == "USERNAME_POLICY"
    assert "Latin letters and digits only" in refused["message"] and "a letter first" in refused["message"]


async def test_terms_must_be_accepted(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, _ = await unregistered_person(api)
    refused = await register(api, person_id, mobile, new_username(), acceptTerms=False)
    assert refused["code"] == "TERMS_NOT_ACCEPTED"
    assert await _account(api, person_id) is None


async def test_a_username_is_taken_whatever_its_case(accounts_api: Api) -> None:
    api = accounts_api
    first_id, first_mobile, _ = await unregistered_person(api)
    username = new_username()
    assert (await register(api, first_id, first_mobile, username))["__typename"] == "RegistrationStarted"
    second_id, second_mobile, _ = await unregistered_person(api)
    assert second_id != first_id

    refused = await register(api, second_id, second_mobile, username[0].upper() + username[1:])
    assert refused["code"] == "USERNAME_TAKEN"
    assert await _account(api, second_id) is None


async def test_a_verified_id_cannot_register_again(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, _ = await registered_and_verified(api)
    refused = await register(api, person_id, mobile, new_username())
    assert refused["code"] == "ALREADY_REGISTERED"


async def test_a_pending_registration_cannot_be_taken_over(accounts_api: Api) -> None:
    """Someone who knows the ID and the registry's mobile re-registers it with the owner's username and
    their own password while the owner waits for the SMS: refused, and the owner's code still works."""
    api = accounts_api
    person_id, mobile, _ = await unregistered_person(api)
    username = new_username()
    assert (await register(api, person_id, mobile, username))["__typename"] == "RegistrationStarted"
    owners_code = latest_code(api, mobile)
    sent_before = len(messages_to(api, mobile))

    async with from_address(api, "203.0.113.9") as attacker:
        taken = await register(attacker, person_id, mobile, username, password="Stolen2026Pass")
        other_name = await register(attacker, person_id, mobile, new_username(), password="Stolen2026Pass")
        mismatch = await register(attacker, person_id, other_mobile(mobile), new_username())

    assert (
        taken
        == other_name
        == {
            "__typename": "Refusal",
            "code": "REGISTRATION_PENDING",
            "message": "A registration for this ID is waiting for its SMS code; try again once that code has expired.",
            "messageAr": "يوجد تسجيل لهذه الهوية بانتظار رمز التحقق المرسل؛ أعد المحاولة بعد انتهاء صلاحية ذلك الرمز.",
        }
    )
    assert taken.keys() == mismatch.keys(), "the same shape as any other refusal"
    assert len(messages_to(api, mobile)) == sent_before, "no new code replaced the owner's"
    assert (await verify_phone(api, username, owners_code))["__typename"] == "PhoneVerified"
    assert (await activate(api, username))["__typename"] == "AccountActivated"
    assert (await sign_in(api, username, "Stolen2026Pass"))["code"] == "INVALID_CREDENTIALS"
    assert (await sign_in(api, username))["__typename"] == "SignInCodeSent"


async def test_a_registration_whose_code_expired_starts_again_keeping_its_failures(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, _ = await unregistered_person(api)
    first_username = new_username()
    started = await register(api, person_id, mobile, first_username)
    first_code = latest_code(api, mobile)
    wrong = f"{(int(first_code) + 1) % 10**6:06d}"
    assert (await verify_phone(api, first_username, wrong))["code"] == "CODE_INVALID"
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5, seconds=1)
    api.hub.accounts.clock = lambda: later

    second_username = new_username()
    restarted = await register(api, person_id, mobile, second_username)

    assert restarted["__typename"] == "RegistrationStarted"
    assert restarted["accountId"] == started["accountId"]
    assert (await verify_phone(api, second_username, wrong))["code"] == "CODE_INVALID"
    rows = await api.hub.db.fetch(select(AccountRow.failed_attempts).where(AccountRow.person_id == person_id))
    assert rows[0][0] == 2, "starting again does not forget the failed codes"
    assert (await verify_phone(api, second_username, latest_code(api, mobile)))["__typename"] == "PhoneVerified"
    rows = await api.hub.db.fetch(select(AccountRow.failed_attempts).where(AccountRow.person_id == person_id))
    assert rows[0][0] == 0, "the right code starts the count of failures again"


async def test_account_references_are_opaque(accounts_api: Api) -> None:
    api = accounts_api
    references = []
    for _ in range(2):
        person_id, mobile, _ = await unregistered_person(api)
        references.append((await register(api, person_id, mobile, new_username()))["accountId"])
    ids = [row[0] for row in await api.hub.db.fetch(select(AccountRow.id).order_by(AccountRow.id.desc()).limit(2))]
    assert all(len(reference) == 22 and not reference.isdigit() for reference in references), "16 random bytes"
    assert not {str(found) for found in ids} & set(references)
    assert references[0] != references[1]


async def test_a_code_answers_only_whoever_asked_for_it(accounts_api: Api) -> None:
    """Wrong codes sent without the challenge neither use the owner's code up nor count against the account."""
    api = accounts_api
    person_id, mobile, _ = await unregistered_person(api)
    username = new_username()
    await register(api, person_id, mobile, username)
    code = latest_code(api, mobile)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    async with from_address(api, "203.0.113.10") as attacker:
        answers = [(await verify_phone(attacker, username, wrong, "a guessed challenge"))["code"] for _ in range(5)]
        stolen_code = await verify_phone(attacker, username, code, "a guessed challenge")

    assert answers == ["CODE_INVALID"] * 5 and stolen_code["code"] == "CODE_INVALID"
    rows = await api.hub.db.fetch(select(AccountRow.failed_attempts).where(AccountRow.person_id == person_id))
    assert rows[0][0] == 0
    assert (await verify_phone(api, username, code))["__typename"] == "PhoneVerified"


async def test_five_wrong_codes_use_the_code_up(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, _ = await unregistered_person(api)
    username = new_username()
    await register(api, person_id, mobile, username)
    code = latest_code(api, mobile)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    answers = [(await verify_phone(api, username, wrong))["code"] for _ in range(5)]
    assert answers == ["CODE_INVALID"] * 4 + ["TOO_MANY_ATTEMPTS"]
    assert (await verify_phone(api, username, code))["code"] == "TOO_MANY_ATTEMPTS"
    account = await _account(api, person_id)
    assert account is not None and account["status"] == "pending_phone"


async def test_an_expired_code_is_refused(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, _ = await unregistered_person(api)
    username = new_username()
    await register(api, person_id, mobile, username)
    api.hub.accounts.clock = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5, seconds=1)

    assert (await verify_phone(api, username, latest_code(api, mobile)))["code"] == "CODE_EXPIRED"


async def test_a_verified_phone_says_what_comes_next_in_both_languages(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, _ = await unregistered_person(api)
    username = new_username()
    started = await register(api, person_id, mobile, username)
    asked = await api.query(
        "mutation($input: VerifyPhoneInput!) {"
        " verifyPhone(input: $input) { ... on PhoneVerified { message messageAr } } }",
        {"input": {"username": username, "code": latest_code(api, mobile), "challenge": started["challenge"]}},
    )
    assert asked["data"]["verifyPhone"] == {
        "message": "Your mobile is verified. Activate your account at a self-service kiosk or with an activation "
        "officer.",
        "messageAr": "تم التحقق من جوالك. فعّل حسابك عبر أجهزة الخدمة الذاتية أو لدى الموظف المختص.",
    }


async def test_an_unknown_username_gets_no_hint_from_verify_phone(accounts_api: Api) -> None:
    assert (await verify_phone(accounts_api, new_username(), "123456"))["code"] == "CODE_INVALID"


async def test_only_an_officer_may_activate(accounts_api: Api) -> None:
    api = accounts_api
    person_id, _, username = await registered_and_verified(api)
    for caller in (ANONYMOUS, individual(person_id)):
        result = await api.query(ACTIVATE, activation(username), as_=caller)
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert result["data"] is None
    account = await _account(api, person_id)
    assert account is not None and account["status"] == "pending_activation"


async def test_an_officer_of_any_sector_activates_once(accounts_api: Api) -> None:
    api = accounts_api
    _, _, username = await registered_and_verified(api)
    result = await api.query(ACTIVATE, activation(username), as_=officer("traffic"))
    assert result["data"]["activateAccount"]["__typename"] == "AccountActivated"
    again = await api.query(ACTIVATE, activation(username), as_=officer("traffic"))
    assert again["data"]["activateAccount"]["code"] == "NOT_PENDING_ACTIVATION"
    unknown = await api.query(ACTIVATE, activation(new_username()), as_=officer("traffic"))
    assert unknown["data"]["activateAccount"]["code"] == "ACCOUNT_NOT_FOUND"


async def test_registering_too_often_for_one_id_is_rate_limited(accounts_api: Api) -> None:
    api = accounts_api
    person_id, mobile, _ = await unregistered_person(api)
    for _ in range(5):
        assert (await register(api, person_id, other_mobile(mobile), new_username()))["code"] == "REGISTRATION_MISMATCH"

    result = await api.query(
        REGISTER,
        {
            "input": {
                "id": person_id,
                "mobile": mobile,
                "username": new_username(),
                "password": PASSWORD,
                "acceptTerms": True,
            }
        },
    )

    assert result["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert result["errors"][0]["path"] == ["register"]
    assert result["data"] is None
    assert await _account(api, person_id) is None, "the right mobile, but refused before any write"
    entries = await recorded(api.hub.db, subject_id=person_id)
    assert [(e.action, e.outcome) for e in entries if e.sector == "accounts"][-1] == ("register", "RATE_LIMITED")
