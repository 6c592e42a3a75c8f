"""Recovering an account, as Absher resets a password: the ID and the mobile the identity registry
holds for it (sendRecoveryCode), then the SMS code and a new password (recoverAccount).

Recovery is also how an owner unlocks an account locked by failed attempts, and how they take back
a registration somebody else started with their ID. It ends every session of the account.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.codes import check_code, issue_code
from hub.accounts.context import Info, code_outcome, id_and_mobile, limit_code_attempts, note, refused, services_of
from hub.accounts.lockout import count_failure, recovery_open
from hub.accounts.models import ACCOUNTS, AccountStatus, CodePurpose
from hub.accounts.otp import CODE_TTL
from hub.accounts.passwords import describe_password, password_problems
from hub.accounts.phones import mask_mobile
from hub.accounts.ratelimit import Backstop, enforce
from hub.accounts.refusals import policy_refusal, refusal
from hub.accounts.sessions import EndedSession, end_sessions
from hub.accounts.sms import code_message
from hub.accounts.types import (
    AccountRecovered,
    RecoverAccountArgument,
    RecoverAccountResult,
    RecoveryCodeSent,
    SendRecoveryCodeArgument,
)
from hub.contract import ActingAs, parse_person_id
from hub.identity.models import PersonRow


async def send_recovery_code(info: Info, input: SendRecoveryCodeArgument) -> RecoveryCodeSent:
    """Sends a recovery code when the ID has an account and the mobile is the registry's; answers
    the same, with a challenge, either way, so the answer tells nobody which IDs have accounts."""
    person_id, mobile = id_and_mobile(input.id, input.mobile)
    services = services_of(info)
    limits = services.limits
    await enforce(
        services.limiter,
        "recovery",
        [
            ("account-client", (person_id, info.context.client_ip), limits.recovery_codes_per_account_client),
            ("client", (info.context.client_ip,), limits.recovery_codes_per_client),
        ],
    )
    # Codes sent for one account from every client: an SMS is not free, nor a flood of them harmless.
    sent = Backstop(services.limiter, "recovery", person_id, limits.recovery_codes_per_account)
    await sent.check()
    now = services.clock()
    challenge, expires_at = secrets.token_urlsafe(32), now + CODE_TTL
    async with services.db.transaction() as session:
        account = (
            await session.execute(
                select(ACCOUNTS.c.id, ACCOUNTS.c.language, ACCOUNTS.c.failed_attempts)
                .join(PersonRow, PersonRow.id == ACCOUNTS.c.person_id)
                .where(ACCOUNTS.c.person_id == person_id, PersonRow.mobile == mobile)
            )
        ).first()
        issued = None
        if account is not None and recovery_open(account.failed_attempts):
            issued = await issue_code(session, account.id, CodePurpose.RECOVERY, services.pepper, now)
            challenge, expires_at = issued.challenge, issued.expires_at
    if account is not None and issued is not None:
        await sent.failed()
        await services.sms.send(mobile, code_message(CodePurpose.RECOVERY, issued.code, account.language))
    note(info, person_id, ActingAs.SELF, "ok" if issued is not None else "NOT_SENT")
    return RecoveryCodeSent(
        sent_to=mask_mobile(mobile),
        code_expires_at=expires_at,
        challenge=challenge,
        message="If this ID has an account and this is its registered mobile, a code was sent to it.",
        message_ar="إذا كان لهذه الهوية حساب وكان هذا رقم جوالها المسجل فقد أُرسل إليه رمز.",
    )


async def recover_account(info: Info, input: RecoverAccountArgument) -> RecoverAccountResult:
    person_id = parse_person_id(input.id, "input.id")
    services = services_of(info)
    if broken := password_problems(input.new_password, person_id):
        return refused(info, person_id, ActingAs.SELF, policy_refusal("PASSWORD_POLICY", describe_password(broken)))
    found = await services.db.fetch(
        select(ACCOUNTS.c.id, ACCOUNTS.c.username, ACCOUNTS.c.activated_at, ACCOUNTS.c.failed_attempts).where(
            ACCOUNTS.c.person_id == person_id
        )
    )
    account = found[0] if found else None
    backstop = await limit_code_attempts(info, str(account.id) if account else person_id)
    # Hashed on every path, before the transaction: the answer's timing does not tell which IDs
    # have accounts.
    password_hash = await services.passwords.hash(input.new_password)
    if account is None:
        # Audited against the ID typed, as sendRecoveryCode's NOT_SENT is: its owner's log shows the attempt.
        return refused(info, person_id, ActingAs.SELF, refusal("CODE_INVALID"))
    if not recovery_open(account.failed_attempts):
        return refused(info, person_id, ActingAs.SELF, refusal("RECOVERY_LOCKED"))
    now = services.clock()
    status = AccountStatus.ACTIVE if account.activated_at is not None else AccountStatus.PENDING_ACTIVATION
    ended: list[EndedSession] = []
    async with services.db.transaction() as session:
        checked = await check_code(
            session, account.id, CodePurpose.RECOVERY, input.code, input.challenge, services.pepper, now
        )
        if checked.accepted:
            await _recovered(session, account.id, password_hash, status)
            ended = await end_sessions(session, account.id, now)
        elif checked.wrong_guess:
            await count_failure(session, account.id, now)
    services.forget(ended)
    # A lock changes nothing here (recovery is what lifts it, while its allowance lasts): say what the code did.
    outcome = await code_outcome(info, backstop, checked, False, person_id)
    if not checked.accepted:
        return refusal(outcome)
    return AccountRecovered(
        username=account.username,
        status=status,
        message="Your new password is set and every session was ended. Sign in again.",
        message_ar="تم تعيين كلمة المرور الجديدة وإنهاء جميع الجلسات. سجّل الدخول مجدداً.",
    )


async def _recovered(session: AsyncSession, account_id: int, password_hash: str, status: AccountStatus) -> None:
    """The new password, unlocked, failures forgotten; a registration somebody else started is now
    the owner's (their mobile is proven), waiting for activation."""
    await session.execute(
        update(ACCOUNTS)
        .where(ACCOUNTS.c.id == account_id)
        .values(password_hash=password_hash, status=status.value, failed_attempts=0, locked_at=None)
    )
