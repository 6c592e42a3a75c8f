"""Signing in: the password (signIn), then the SMS code (confirmSignIn), then a session that is
refreshed by rotation (refreshSession) and ended by revocation (signOut)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy import select, update

from hub.accounts.codes import CodeCheck, check_code, issue_code
from hub.accounts.context import enforce_code_attempts, note, refused, services_of
from hub.accounts.models import ACCOUNTS, REFRESH_TOKENS, AccountStatus, CodePurpose
from hub.accounts.passwords import hash_password, needs_rehash, username_key, verify_password
from hub.accounts.phones import mask_mobile
from hub.accounts.ratelimit import enforce
from hub.accounts.refusals import refusal
from hub.accounts.sessions import IssuedSession, open_session, revoke_all, revoke_token, token_digest
from hub.accounts.sms import code_message
from hub.accounts.types import (
    ConfirmSignInInput,
    Session,
    SessionResult,
    SignedOut,
    SignInCodeSent,
    SignInInput,
    SignInResult,
)
from hub.contract import ActingAs, Info
from hub.data.db import stored_utc
from hub.identity.models import PersonRow

_NOT_ACTIVE = {
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
    )


async def sign_in(info: Info, input: SignInInput) -> SignInResult:
    services = services_of(info)
    key = username_key(input.username)
    await enforce(
        services.limiter,
        "sign_in",
        [
            ("username", key, services.limits.sign_in_per_username),
            ("ip", info.context.client_ip, services.limits.sign_in_per_ip),
        ],
    )
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
    if not await verify_password(found.password_hash if found else None, input.password) or found is None:
        return refused(info, found.person_id if found else None, ActingAs.SELF, refusal("INVALID_CREDENTIALS"))
    if found.status in _NOT_ACTIVE:
        return refused(info, found.person_id, ActingAs.SELF, refusal(_NOT_ACTIVE[found.status]))
    if not found.mobile:
        return refused(info, found.person_id, ActingAs.SELF, refusal("MOBILE_UNAVAILABLE"))
    rehashed = await hash_password(input.password) if needs_rehash(found.password_hash) else None
    now = services.clock()
    async with services.db.transaction() as session:
        if rehashed is not None:
            await session.execute(update(ACCOUNTS).where(ACCOUNTS.c.id == found.id).values(password_hash=rehashed))
        code, expires_at = await issue_code(session, found.id, CodePurpose.SIGN_IN, services.pepper, now)
    await services.sms.send(found.mobile, code_message(CodePurpose.SIGN_IN, code, found.language))
    note(info, found.person_id, ActingAs.SELF, "ok")
    return SignInCodeSent(
        sent_to=mask_mobile(found.mobile),
        code_expires_at=expires_at,
        message="Enter the code sent to your mobile with confirmSignIn.",
        message_ar="أدخل الرمز المرسل إلى جوالك لإكمال الدخول.",
    )


async def confirm_sign_in(info: Info, input: ConfirmSignInInput) -> SessionResult:
    services = services_of(info)
    key = username_key(input.username)
    await enforce_code_attempts(info, key)
    now = services.clock()
    issued: IssuedSession | None = None
    async with services.db.transaction() as session:
        account = (
            await session.execute(
                select(ACCOUNTS.c.id, ACCOUNTS.c.person_id, ACCOUNTS.c.status).where(ACCOUNTS.c.username_key == key)
            )
        ).first()
        if account is None or account.status != AccountStatus.ACTIVE.value:
            return refusal("CODE_INVALID")  # no sign-in code can be waiting: say no more than that
        checked = await check_code(session, account.id, CodePurpose.SIGN_IN, input.code, services.pepper, now)
        if checked is CodeCheck.ACCEPTED:
            issued = await open_session(session, services.signer, account.id, account.person_id, now)
    note(info, account.person_id, ActingAs.SELF, checked.value)
    return refusal(checked.value) if issued is None else _session(issued)


RefreshToken = Annotated[str, strawberry.argument(description="The refresh token of the session.")]


async def refresh_session(info: Info, refresh_token: RefreshToken) -> SessionResult:
    services = services_of(info)
    await enforce(services.limiter, "refresh", [("ip", info.context.client_ip, services.limits.refresh_per_ip)])
    now = services.clock()
    tokens = REFRESH_TOKENS.c
    async with services.db.transaction() as session:
        token = (
            await session.execute(
                select(
                    tokens.id,
                    tokens.account_id,
                    tokens.expires_at,
                    tokens.revoked_at,
                    ACCOUNTS.c.person_id,
                    ACCOUNTS.c.status,
                )
                .join(ACCOUNTS, ACCOUNTS.c.id == REFRESH_TOKENS.c.account_id)
                .where(REFRESH_TOKENS.c.token_hash == token_digest(refresh_token))
            )
        ).first()
        if token is None:
            return refusal("SESSION_INVALID")
        if token.revoked_at is not None:
            # A used token presented again: someone holds a copy. End every session of the account.
            await revoke_all(session, token.account_id, now)
            return refused(info, token.person_id, ActingAs.SELF, refusal("SESSION_INVALID"))
        if stored_utc(token.expires_at) <= now:
            return refused(info, token.person_id, ActingAs.SELF, refusal("SESSION_EXPIRED"))
        if token.status != AccountStatus.ACTIVE.value:
            return refused(info, token.person_id, ActingAs.SELF, refusal(_NOT_ACTIVE[token.status]))
        if not await revoke_token(session, token.id, now):
            # A parallel refresh used it first: the same token twice, treated as a copy.
            await revoke_all(session, token.account_id, now)
            return refused(info, token.person_id, ActingAs.SELF, refusal("SESSION_INVALID"))
        issued = await open_session(session, services.signer, token.account_id, token.person_id, now)
    note(info, token.person_id, ActingAs.SELF, "ok")
    return _session(issued)


async def sign_out(info: Info, refresh_token: RefreshToken) -> SignedOut:
    services = services_of(info)
    now = services.clock()
    async with services.db.transaction() as session:
        token = (
            await session.execute(
                select(REFRESH_TOKENS.c.id, REFRESH_TOKENS.c.expires_at, ACCOUNTS.c.person_id)
                .join(ACCOUNTS, ACCOUNTS.c.id == REFRESH_TOKENS.c.account_id)
                .where(REFRESH_TOKENS.c.token_hash == token_digest(refresh_token))
            )
        ).first()
        live = token is not None and stored_utc(token.expires_at) > now
        revoked = live and await revoke_token(session, token.id, now)
    if token is not None:
        note(info, token.person_id, ActingAs.SELF, "ok")
    return SignedOut(revoked=revoked)
