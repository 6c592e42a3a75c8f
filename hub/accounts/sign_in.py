"""Signing in: the password (signIn), then the SMS code (confirmSignIn), then a session that is
refreshed by rotation (refreshSession) and ended by revocation (signOut, signOutEverywhere)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy import select, update

from hub.accounts.codes import check_code, issue_code
from hub.accounts.context import (
    Info,
    code_outcome,
    limit_attempts,
    limit_code_attempts,
    note,
    refused,
    services_of,
    signed_in,
)
from hub.accounts.lockout import count_failure, count_success
from hub.accounts.models import ACCOUNTS, REFRESH_TOKENS, SESSIONS, AccountStatus, CodePurpose
from hub.accounts.passwords import username_key
from hub.accounts.phones import mask_mobile
from hub.accounts.ratelimit import Backstop, enforce
from hub.accounts.refusals import failed_password, refusal
from hub.accounts.sessions import (
    EndedSession,
    IssuedSession,
    continue_session,
    end_sessions,
    open_session,
    revoke_token,
    token_digest,
)
from hub.accounts.sms import code_message
from hub.accounts.types import (
    ConfirmSignInArgument,
    Session,
    SessionResult,
    SignedOut,
    SignedOutEverywhere,
    SignInArgument,
    SignInCodeSent,
    SignInResult,
)
from hub.contract import ActingAs, Code, RabtError
from hub.data.db import stored_utc
from hub.identity.models import PersonRow

NOT_ACTIVE = {
    AccountStatus.PENDING_PHONE.value: "ACCOUNT_NOT_ACTIVE",
    AccountStatus.PENDING_ACTIVATION.value: "ACCOUNT_NOT_ACTIVE",
    AccountStatus.LOCKED.value: "ACCOUNT_LOCKED",
}


def _session(issued: IssuedSession) -> Session:
    return Session(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_at=issued.access_expires_at,
        refresh_expires_at=issued.refresh_expires_at,
        session_expires_at=issued.session_expires_at,
    )


async def limit_password_attempts(info: Info, key: str) -> Backstop:
    """Password attempts against the account of username `key` (signIn, changePassword)."""
    limits = services_of(info).limits
    return await limit_attempts(
        info,
        "sign_in",
        key,
        limits.sign_in_per_account_client,
        limits.sign_in_per_client,
        limits.sign_in_failures_per_account,
    )


async def sign_in(info: Info, input: SignInArgument) -> SignInResult:
    services = services_of(info)
    key = username_key(input.username)
    backstop = await limit_password_attempts(info, key)
    account = await services.db.fetch(
        select(
            ACCOUNTS.c.id,
            ACCOUNTS.c.person_id,
            ACCOUNTS.c.password_hash,
            ACCOUNTS.c.status,
            ACCOUNTS.c.language,
            PersonRow.mobile,
        )
        .select_from(ACCOUNTS.outerjoin(PersonRow, PersonRow.id == ACCOUNTS.c.person_id))
        .where(ACCOUNTS.c.username_key == key)
    )
    found = account[0] if account else None
    # An unknown username costs the same argon2 verification as a wrong password, and answers alike.
    right = await services.passwords.verify(found.password_hash if found else None, input.password)
    if found is not None and found.status == AccountStatus.LOCKED.value:
        # Right or wrong, the same answer: a locked account is no oracle for further guesses.
        return refused(info, found.person_id, ActingAs.SELF, refusal("ACCOUNT_LOCKED"))
    if not right or found is None:
        await backstop.failed()
        if found is None:
            return refusal("INVALID_CREDENTIALS")
        async with services.db.transaction() as session:
            locked = await count_failure(session, found.id, services.clock())
        return refused(info, found.person_id, ActingAs.SELF, failed_password(locked))
    if found.status in NOT_ACTIVE:
        return refused(info, found.person_id, ActingAs.SELF, refusal(NOT_ACTIVE[found.status]))
    if not found.mobile:
        return refused(info, found.person_id, ActingAs.SELF, refusal("MOBILE_UNAVAILABLE"))
    passwords = services.passwords
    rehashed = await passwords.hash(input.password) if passwords.needs_rehash(found.password_hash) else None
    now = services.clock()
    async with services.db.transaction() as session:
        if rehashed is not None:
            await session.execute(update(ACCOUNTS).where(ACCOUNTS.c.id == found.id).values(password_hash=rehashed))
        issued = await issue_code(session, found.id, CodePurpose.SIGN_IN, services.pepper, now)
    await services.sms.send(found.mobile, code_message(CodePurpose.SIGN_IN, issued.code, found.language))
    note(info, found.person_id, ActingAs.SELF, "ok")
    return SignInCodeSent(
        sent_to=mask_mobile(found.mobile),
        code_expires_at=issued.expires_at,
        challenge=issued.challenge,
        message="Enter the code sent to your mobile with confirmSignIn.",
        message_ar="أدخل الرمز المرسل إلى جوالك لإكمال الدخول.",
    )


async def confirm_sign_in(info: Info, input: ConfirmSignInArgument) -> SessionResult:
    services = services_of(info)
    key = username_key(input.username)
    found = await services.db.fetch(
        select(ACCOUNTS.c.id, ACCOUNTS.c.person_id, ACCOUNTS.c.status).where(ACCOUNTS.c.username_key == key)
    )
    account = found[0] if found else None
    backstop = await limit_code_attempts(info, str(account.id) if account else key)
    if account is None or account.status != AccountStatus.ACTIVE.value:
        return refusal("CODE_INVALID")  # no sign-in code can be waiting: say no more than that
    now = services.clock()
    issued: IssuedSession | None = None
    locked = False
    async with services.db.transaction() as session:
        checked = await check_code(
            session, account.id, CodePurpose.SIGN_IN, input.code, input.challenge, services.pepper, now
        )
        if checked.accepted:
            await count_success(session, account.id)
            issued = await open_session(session, services.signer, services.sessions, account.id, account.person_id, now)
        elif checked.wrong_guess:
            locked = await count_failure(session, account.id, now)
    outcome = await code_outcome(info, backstop, checked, locked, account.person_id)
    return refusal(outcome) if issued is None else _session(issued)


RefreshToken = Annotated[str, strawberry.argument(description="The refresh token of the session.")]


async def refresh_session(info: Info, refresh_token: RefreshToken) -> SessionResult:
    services = services_of(info)
    limit = services.limits.refresh_per_client
    await enforce(services.limiter, "refresh", [("client", (info.context.client_ip,), limit)])
    now = services.clock()
    tokens, sessions = REFRESH_TOKENS.c, SESSIONS.c
    ended: list[EndedSession] = []
    async with services.db.transaction() as session:
        token = (
            await session.execute(
                select(
                    tokens.id,
                    tokens.account_id,
                    tokens.session_id,
                    tokens.expires_at,
                    tokens.revoked_at,
                    sessions.expires_at.label("session_expires_at"),
                    sessions.ended_at,
                    ACCOUNTS.c.person_id,
                    ACCOUNTS.c.status,
                )
                .join(SESSIONS, sessions.id == tokens.session_id)
                .join(ACCOUNTS, ACCOUNTS.c.id == tokens.account_id)
                .where(tokens.token_hash == token_digest(refresh_token))
            )
        ).first()
        if token is None:
            return refusal("SESSION_INVALID")
        if token.revoked_at is not None and token.ended_at is None:
            # A used token presented again: someone holds a copy. End every session of the account.
            ended = await end_sessions(session, token.account_id, now)
            answer = refused(info, token.person_id, ActingAs.SELF, refusal("SESSION_INVALID"))
        elif token.revoked_at is not None or token.ended_at is not None:
            answer = refused(info, token.person_id, ActingAs.SELF, refusal("SESSION_INVALID"))
        elif stored_utc(token.session_expires_at) <= now or stored_utc(token.expires_at) <= now:
            answer = refused(info, token.person_id, ActingAs.SELF, refusal("SESSION_EXPIRED"))
        elif token.status != AccountStatus.ACTIVE.value:
            answer = refused(info, token.person_id, ActingAs.SELF, refusal(NOT_ACTIVE[token.status]))
        elif not await revoke_token(session, token.id, now):
            # A parallel refresh used it first: the same token twice, treated as a copy.
            ended = await end_sessions(session, token.account_id, now)
            answer = refused(info, token.person_id, ActingAs.SELF, refusal("SESSION_INVALID"))
        else:
            issued = await continue_session(
                session,
                services.signer,
                services.sessions,
                token.account_id,
                token.person_id,
                token.session_id,
                stored_utc(token.session_expires_at),
                now,
            )
            note(info, token.person_id, ActingAs.SELF, "ok")
            return _session(issued)
    services.forget(ended)
    return answer


async def sign_out(info: Info, refresh_token: RefreshToken) -> SignedOut:
    """Ends the refresh token's session: its refresh tokens and its access tokens stop working."""
    services = services_of(info)
    now = services.clock()
    async with services.db.transaction() as session:
        token = (
            await session.execute(
                select(REFRESH_TOKENS.c.account_id, REFRESH_TOKENS.c.session_id, ACCOUNTS.c.person_id)
                .join(ACCOUNTS, ACCOUNTS.c.id == REFRESH_TOKENS.c.account_id)
                .where(REFRESH_TOKENS.c.token_hash == token_digest(refresh_token))
            )
        ).first()
        ended = [] if token is None else await end_sessions(session, token.account_id, now, only=token.session_id)
    services.forget(ended)
    if token is not None:
        note(info, token.person_id, ActingAs.SELF, "ok")
    return SignedOut(revoked=bool(ended))


async def sign_out_everywhere(info: Info) -> SignedOutEverywhere:
    """Ends every session of the caller's account, theirs included."""
    principal = signed_in(info)
    services = services_of(info)
    now = services.clock()
    async with services.db.transaction() as session:
        account_id = await session.scalar(select(ACCOUNTS.c.id).where(ACCOUNTS.c.person_id == principal.person_id))
        if account_id is None:
            raise RabtError(Code.FORBIDDEN, "This session's account no longer exists.")
        ended = await end_sessions(session, account_id, now)
    services.forget(ended)
    note(info, str(principal.person_id), ActingAs.SELF, "ok")
    return SignedOutEverywhere(sessions_ended=len(ended))
