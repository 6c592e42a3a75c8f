"""Registration as Absher does it: register (ID, the registry's mobile, username, password, terms)
-> verifyPhone (the SMS code) -> activateAccount (a kiosk or an officer, with the person present)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import strawberry
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.codes import CodeCheck, check_code, issue_code
from hub.accounts.context import enforce_code_attempts, note, refused, services_of
from hub.accounts.models import ACCOUNTS, AccountStatus, CodePurpose
from hub.accounts.passwords import (
    describe_password,
    describe_username,
    hash_password,
    password_problems,
    username_key,
    username_problems,
)
from hub.accounts.phones import InvalidMobile, mask_mobile, normalize_mobile
from hub.accounts.ratelimit import enforce
from hub.accounts.refusals import policy_refusal, refusal
from hub.accounts.sms import code_message
from hub.accounts.types import (
    AccountActivated,
    ActivateAccountInput,
    ActivateAccountResult,
    PhoneVerified,
    RegisterInput,
    RegisterResult,
    RegistrationStarted,
    VerifyPhoneInput,
    VerifyPhoneResult,
)
from hub.contract import ActingAs, Code, Info, RabtError, Refusal, parse_person_id
from hub.contract.principal import Role
from hub.identity.models import PersonRow


async def register(info: Info, input: RegisterInput) -> RegisterResult:
    person_id = parse_person_id(input.id, "input.id")
    try:
        mobile = normalize_mobile(input.mobile)
    except InvalidMobile as error:
        raise RabtError(Code.BAD_USER_INPUT, f"input.mobile: {error}.", argument="input.mobile") from None
    services = services_of(info)
    limits = services.limits
    try:
        await enforce(
            services.limiter,
            "register",
            [
                ("id", person_id, limits.register_per_id),
                ("ip", info.context.client_ip, limits.register_per_ip),
            ],
        )
    except RabtError:
        note(info, person_id, ActingAs.SELF, Code.RATE_LIMITED.value)
        raise
    if not input.accept_terms:
        return refused(info, person_id, ActingAs.SELF, refusal("TERMS_NOT_ACCEPTED"))
    username = input.username.strip()
    if broken_username := username_problems(username):
        return refused(
            info, person_id, ActingAs.SELF, policy_refusal("USERNAME_POLICY", describe_username(broken_username))
        )
    if broken_password := password_problems(input.password, person_id):
        return refused(
            info, person_id, ActingAs.SELF, policy_refusal("PASSWORD_POLICY", describe_password(broken_password))
        )
    password_hash = await hash_password(input.password)  # before the transaction: it takes a while
    now = services.clock()
    account = _NewAccount(person_id, mobile, username, password_hash, input.language.value)
    try:
        async with services.db.transaction() as session:
            created = await _create_account(session, account, services.pepper, now)
    except IntegrityError as error:
        # A parallel registration took the username or the ID between our check and our insert.
        created = refusal("USERNAME_TAKEN" if "username" in str(error.orig) else "ALREADY_REGISTERED")
    if isinstance(created, Refusal):
        return refused(info, person_id, ActingAs.SELF, created)
    account_id, code, expires_at = created
    await services.sms.send(mobile, code_message(CodePurpose.REGISTRATION, code, input.language.value))
    note(info, person_id, ActingAs.SELF, "ok")
    return RegistrationStarted(
        account_id=strawberry.ID(str(account_id)),
        username=username,
        sent_to=mask_mobile(mobile),
        code_expires_at=expires_at,
        message="Enter the code sent to your mobile with verifyPhone.",
        message_ar="أدخل الرمز المرسل إلى جوالك لإكمال التحقق.",
    )


@dataclass(frozen=True)
class _NewAccount:
    person_id: str
    mobile: str
    username: str
    password_hash: str
    language: str


async def _create_account(
    session: AsyncSession, account: _NewAccount, pepper: str, now: dt.datetime
) -> tuple[int, str, dt.datetime] | Refusal:
    """Creates (or restarts) the pending account and issues its registration code, or refuses."""
    registered_mobile = await session.scalar(select(PersonRow.mobile).where(PersonRow.id == account.person_id))
    if registered_mobile is None or registered_mobile != account.mobile:
        # Unknown ID and wrong mobile answer alike: the answer must not tell which IDs exist.
        return refusal("REGISTRATION_MISMATCH")
    existing = (
        await session.execute(select(ACCOUNTS.c.id, ACCOUNTS.c.status).where(ACCOUNTS.c.person_id == account.person_id))
    ).first()
    if existing is not None and existing.status != AccountStatus.PENDING_PHONE.value:
        return refusal("ALREADY_REGISTERED")
    key = username_key(account.username)
    holder = await session.scalar(select(ACCOUNTS.c.id).where(ACCOUNTS.c.username_key == key))
    if holder is not None and (existing is None or holder != existing.id):
        return refusal("USERNAME_TAKEN")
    values = dict(
        username=account.username,
        username_key=key,
        password_hash=account.password_hash,
        status=AccountStatus.PENDING_PHONE.value,
        language=account.language,
        created_at=now,
    )
    if existing is None:
        account_id: int = (
            await session.execute(
                ACCOUNTS.insert().values(person_id=account.person_id, **values).returning(ACCOUNTS.c.id)
            )
        ).scalar_one()
    else:
        # Registered but never verified (the SMS was lost, the code ran out): start again. Only the
        # holder of the registered mobile can finish, so nobody else gains from restarting it.
        account_id = existing.id
        await session.execute(update(ACCOUNTS).where(ACCOUNTS.c.id == account_id).values(**values))
    code, expires_at = await issue_code(session, account_id, CodePurpose.REGISTRATION, pepper, now)
    return account_id, code, expires_at


async def verify_phone(info: Info, input: VerifyPhoneInput) -> VerifyPhoneResult:
    services = services_of(info)
    key = username_key(input.username)
    await enforce_code_attempts(info, key)
    now = services.clock()
    async with services.db.transaction() as session:
        account = (
            await session.execute(
                select(ACCOUNTS.c.id, ACCOUNTS.c.person_id, ACCOUNTS.c.username, ACCOUNTS.c.status).where(
                    ACCOUNTS.c.username_key == key
                )
            )
        ).first()
        if account is None or account.status != AccountStatus.PENDING_PHONE.value:
            # No registration waits for a code here; saying why would tell which usernames exist.
            return refused(info, None, ActingAs.SELF, refusal("CODE_INVALID"))
        checked = await check_code(session, account.id, CodePurpose.REGISTRATION, input.code, services.pepper, now)
        if checked is CodeCheck.ACCEPTED:
            await session.execute(
                update(ACCOUNTS)
                .where(ACCOUNTS.c.id == account.id)
                .values(status=AccountStatus.PENDING_ACTIVATION.value)
            )
    # A wrong code is committed too: counting the attempt is the point of the refusal.
    note(info, account.person_id, ActingAs.SELF, checked.value)
    if checked is not CodeCheck.ACCEPTED:
        return refusal(checked.value)
    return PhoneVerified(
        username=account.username,
        status=AccountStatus.PENDING_ACTIVATION,
        message="Your mobile is verified. Activate your account at a self-service kiosk or with an activation officer.",
        message_ar="تم التحقق من جوالك. فعّل حسابك عبر أجهزة الخدمة الذاتية أو لدى الموظف المختص.",
    )


async def activate_account(info: Info, input: ActivateAccountInput) -> ActivateAccountResult:
    principal = info.context.principal
    if principal.role is not Role.OFFICER:
        raise RabtError(Code.FORBIDDEN, "Only an officer at a kiosk or an activation desk may activate an account.")
    services = services_of(info)
    now = services.clock()
    async with services.db.transaction() as session:
        account = (
            await session.execute(
                select(ACCOUNTS.c.id, ACCOUNTS.c.person_id, ACCOUNTS.c.username, ACCOUNTS.c.status).where(
                    ACCOUNTS.c.username_key == username_key(input.username)
                )
            )
        ).first()
        if account is None:
            return refusal("ACCOUNT_NOT_FOUND")
        if account.status != AccountStatus.PENDING_ACTIVATION.value:
            return refused(info, account.person_id, ActingAs.OFFICER, refusal("NOT_PENDING_ACTIVATION"))
        await session.execute(
            update(ACCOUNTS)
            .where(ACCOUNTS.c.id == account.id)
            .values(status=AccountStatus.ACTIVE.value, activated_at=now, activated_by=principal.actor)
        )
    note(info, account.person_id, ActingAs.OFFICER, "ok")
    return AccountActivated(username=account.username, person_id=account.person_id, activated_at=now)
