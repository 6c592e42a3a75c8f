"""Registration as Absher does it: register (ID, the registry's mobile, username, password, terms)
-> verifyPhone (the SMS code) -> activateAccount (a kiosk or an officer, with the person present)."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import strawberry
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.codes import IssuedCode, check_code, has_live_code, issue_code
from hub.accounts.context import (
    Info,
    code_outcome,
    id_and_mobile,
    limit_attempts,
    limit_code_attempts,
    note,
    refused,
    services_of,
)
from hub.accounts.lockout import count_failure, count_success
from hub.accounts.models import ACCOUNTS, ONE_TIME_CODES, AccountStatus, CodePurpose
from hub.accounts.passwords import (
    describe_password,
    describe_username,
    password_problems,
    username_key,
    username_problems,
)
from hub.accounts.phones import mask_mobile
from hub.accounts.refusals import policy_refusal, refusal
from hub.accounts.sms import code_message
from hub.accounts.types import (
    AccountActivated,
    ActivateAccountArgument,
    ActivateAccountResult,
    PhoneVerified,
    RegisterArgument,
    RegisterResult,
    RegistrationStarted,
    VerifyPhoneArgument,
    VerifyPhoneResult,
)
from hub.contract import ActingAs, Code, RabtError, Refusal, parse_person_id
from hub.contract.principal import Role
from hub.identity.models import PersonRow


async def register(info: Info, input: RegisterArgument) -> RegisterResult:
    person_id, mobile = id_and_mobile(input.id, input.mobile)
    services = services_of(info)
    limits = services.limits
    try:
        backstop = await limit_attempts(
            info,
            "register",
            person_id,
            limits.register_per_account_client,
            limits.register_per_client,
            limits.register_failures_per_account,
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
    # Before the transaction (it takes a while), and on every path from here: the refusals below
    # answer after the same work as a registration, so their timing tells nothing.
    password_hash = await services.passwords.hash(input.password)
    now = services.clock()
    account = _NewAccount(person_id, mobile, username, password_hash, input.language.value)
    try:
        async with services.db.transaction() as session:
            created = await _create_account(session, account, services.pepper, now)
    except IntegrityError as error:
        # Another account holds the username, or a parallel registration took the ID between our
        # check and our insert.
        created = refusal("USERNAME_TAKEN" if "username" in str(error.orig) else "ALREADY_REGISTERED")
    if isinstance(created, Refusal):
        if created.code == "REGISTRATION_MISMATCH":
            await backstop.failed()
        return refused(info, person_id, ActingAs.SELF, created)
    reference, issued = created
    await services.sms.send(mobile, code_message(CodePurpose.REGISTRATION, issued.code, input.language.value))
    note(info, person_id, ActingAs.SELF, "ok")
    return RegistrationStarted(
        account_id=strawberry.ID(reference),
        username=username,
        sent_to=mask_mobile(mobile),
        code_expires_at=issued.expires_at,
        challenge=issued.challenge,
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
) -> tuple[str, IssuedCode] | Refusal:
    """Creates (or restarts) the pending account and issues its registration code, or refuses."""
    registered_mobile = await session.scalar(select(PersonRow.mobile).where(PersonRow.id == account.person_id))
    if registered_mobile is None or registered_mobile != account.mobile:
        # Unknown ID and wrong mobile answer alike: the answer must not tell which IDs exist.
        return refusal("REGISTRATION_MISMATCH")
    existing = (
        await session.execute(
            select(ACCOUNTS.c.id, ACCOUNTS.c.reference, ACCOUNTS.c.status).where(
                ACCOUNTS.c.person_id == account.person_id
            )
        )
    ).first()
    if existing is not None and existing.status != AccountStatus.PENDING_PHONE.value:
        return refusal("ALREADY_REGISTERED")
    if existing is not None and await has_live_code(session, existing.id, CodePurpose.REGISTRATION, now):
        # The registration belongs to whoever started it until its code expires: nobody else may
        # change its username or password, nor replace the code its starter is about to type.
        return refusal("REGISTRATION_PENDING")
    # A username another account holds is refused by its unique key (USERNAME_TAKEN, in register).
    values = dict(
        username=account.username,
        username_key=username_key(account.username),
        password_hash=account.password_hash,
        status=AccountStatus.PENDING_PHONE.value,
        language=account.language,
        created_at=now,
    )
    if existing is None:
        reference = secrets.token_urlsafe(16)  # opaque: tells neither how many accounts exist nor when
        account_id: int = (
            await session.execute(
                ACCOUNTS.insert()
                .values(person_id=account.person_id, reference=reference, **values)
                .returning(ACCOUNTS.c.id)
            )
        ).scalar_one()
    else:
        # Registered but never verified, and its code expired: start again. The count of failed
        # codes stays with the account, so starting again gives a guesser nothing.
        account_id, reference = existing.id, existing.reference
        await session.execute(update(ACCOUNTS).where(ACCOUNTS.c.id == account_id).values(**values))
    issued = await issue_code(session, account_id, CodePurpose.REGISTRATION, pepper, now)
    return reference, issued


async def verify_phone(info: Info, input: VerifyPhoneArgument) -> VerifyPhoneResult:
    services = services_of(info)
    key = username_key(input.username)
    found = await services.db.fetch(
        select(ACCOUNTS.c.id, ACCOUNTS.c.person_id, ACCOUNTS.c.username, ACCOUNTS.c.status).where(
            ACCOUNTS.c.username_key == key
        )
    )
    account = found[0] if found else None
    backstop = await limit_code_attempts(info, str(account.id) if account else key)
    if account is None or account.status != AccountStatus.PENDING_PHONE.value:
        # No registration waits for a code here; saying why would tell which usernames exist. Not
        # audited: nobody's account was shown.
        return refusal("CODE_INVALID")
    now = services.clock()
    locked = False
    async with services.db.transaction() as session:
        checked = await check_code(
            session, account.id, CodePurpose.REGISTRATION, input.code, input.challenge, services.pepper, now
        )
        if checked.accepted:
            await count_success(session, account.id)
            await session.execute(
                update(ACCOUNTS)
                .where(ACCOUNTS.c.id == account.id)
                .values(status=AccountStatus.PENDING_ACTIVATION.value)
            )
        elif checked.wrong_guess:
            locked = await count_failure(session, account.id, now)
    # A wrong code is committed too: counting the attempt is the point of the refusal.
    outcome = await code_outcome(info, backstop, checked, locked, account.person_id)
    if not checked.accepted:
        return refusal(outcome)
    return PhoneVerified(
        username=account.username,
        status=AccountStatus.PENDING_ACTIVATION,
        message="Your mobile is verified. Activate your account at a self-service kiosk or with an activation officer.",
        message_ar="تم التحقق من جوالك. فعّل حسابك عبر أجهزة الخدمة الذاتية أو لدى الموظف المختص.",
    )


async def activate_account(info: Info, input: ActivateAccountArgument) -> ActivateAccountResult:
    """Activates a verified account, or unlocks a locked one, for its owner standing at the desk.

    Only the account of the person presenting the ID card (`input.id`): the officer cannot be led
    to activate someone else's. Never the officer's own account nor a relative's (any relation a
    sector knows, either way). Each of those is refused as an unknown username is, so the refusal
    does not confirm that anyone has an account. Every attempt is audited with the officer's
    sector, refused ones included.
    """
    principal = info.context.principal
    if principal.role is not Role.OFFICER or principal.person_id is None:
        raise RabtError(Code.FORBIDDEN, "Only an officer at a kiosk or an activation desk may activate an account.")
    presented = parse_person_id(input.id, "input.id")
    services = services_of(info)
    officer_id = principal.person_id
    desk = frozenset({f"officerSector:{principal.sector or 'none'}"})
    found = await services.db.fetch(
        select(ACCOUNTS.c.id, ACCOUNTS.c.person_id, ACCOUNTS.c.username, ACCOUNTS.c.activated_at).where(
            ACCOUNTS.c.username_key == username_key(input.username)
        )
    )
    if not found:
        note(info, officer_id, ActingAs.OFFICER, "ACCOUNT_NOT_FOUND", desk)
        return refusal("ACCOUNT_NOT_FOUND")
    account = found[0]
    if account.person_id == officer_id:
        note(info, account.person_id, ActingAs.OFFICER, "OFFICER_OWN_ACCOUNT", desk)
        return refusal("ACCOUNT_NOT_FOUND")
    if await info.context.access.related(officer_id, account.person_id):
        note(info, account.person_id, ActingAs.OFFICER, "OFFICER_RELATIVE", desk)
        return refusal("ACCOUNT_NOT_FOUND")
    if account.person_id != presented:
        # Someone else's account, asked for by whoever stands at the desk: its owner's log shows it.
        note(info, account.person_id, ActingAs.OFFICER, "ID_MISMATCH", desk)
        return refusal("ACCOUNT_NOT_FOUND")
    now = services.clock()
    status = AccountStatus.ACTIVE if account.activated_at is not None else AccountStatus.PENDING_PHONE
    async with services.db.transaction() as session:
        accounts = ACCOUNTS.c
        activated = await session.execute(
            update(ACCOUNTS)
            .where(accounts.id == account.id, accounts.status == AccountStatus.PENDING_ACTIVATION.value)
            .values(status=AccountStatus.ACTIVE.value, activated_at=now, activated_by=principal.actor)
        )
        if activated.rowcount:  # type: ignore[attr-defined]
            status = AccountStatus.ACTIVE
        else:
            # A locked account: unlocked for the owner present. One locked before it was ever
            # activated (its registration code guessed at) starts its registration again.
            unlocked = await session.execute(
                update(ACCOUNTS)
                .where(accounts.id == account.id, accounts.status == AccountStatus.LOCKED.value)
                .values(status=status.value, failed_attempts=0, locked_at=None)
            )
            if not unlocked.rowcount:  # type: ignore[attr-defined]
                note(info, account.person_id, ActingAs.OFFICER, "NOT_PENDING_ACTIVATION", desk)
                return refusal("NOT_PENDING_ACTIVATION")
            if status is AccountStatus.PENDING_PHONE:
                codes = ONE_TIME_CODES.c
                await session.execute(
                    update(ONE_TIME_CODES)
                    .where(codes.account_id == account.id, codes.consumed_at.is_(None))
                    .values(consumed_at=now)
                )
    note(info, account.person_id, ActingAs.OFFICER, "ok", desk)
    return AccountActivated(username=account.username, person_id=account.person_id, activated_at=now, status=status)
