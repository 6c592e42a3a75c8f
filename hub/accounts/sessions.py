"""Sessions: one per sign-in, with short access tokens (JWT, from the hub's signer) and refresh tokens.

A session has an absolute end (`SessionPolicy.lifetime` after sign-in) that refreshing never moves,
and an idle limit: a refresh token lives `SessionPolicy.idle`, so a session nobody refreshes for
that long is over. Its access tokens carry its id (`sid`) and never outlive it.

A refresh token is 256 random bits shown to the client once and stored only as its SHA-256.
Refreshing rotates it: the presented token is revoked and a new one issued in the same session. A
revoked token that comes back means a copy is in someone else's hands, so every session of that
account ends. Ending a session before its time also writes a revocation row, which every hub
process reads (hub.accounts.revocations) to turn the session's access tokens away.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import jwt
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.access.tokens import TokenIssuer
from hub.accounts.models import REFRESH_TOKENS, REVOCATIONS, SESSIONS
from hub.contract.principal import Principal, Role


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session lasts: `lifetime` from sign-in whatever happens, `idle` without a refresh."""

    lifetime: dt.timedelta = dt.timedelta(hours=12)
    idle: dt.timedelta = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class IssuedSession:
    access_token: str
    access_expires_at: dt.datetime
    refresh_token: str
    refresh_expires_at: dt.datetime
    session_expires_at: dt.datetime


@dataclass(frozen=True)
class EndedSession:
    """A session ended before its time: its id, and when its tokens would have stopped anyway."""

    id: str
    until: dt.datetime


def token_digest(token: str) -> str:
    """What is stored for a refresh token. A plain hash suffices: the token is random, not guessable."""
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(
    session: AsyncSession,
    signer: TokenIssuer,
    policy: SessionPolicy,
    account_id: int,
    person_id: str,
    now: dt.datetime,
) -> IssuedSession:
    """A new session for the account's owner: its row, a refresh token and an access token."""
    session_id = secrets.token_hex(16)
    expires_at = now + policy.lifetime
    await session.execute(
        SESSIONS.insert().values(id=session_id, account_id=account_id, started_at=now, expires_at=expires_at)
    )
    return await continue_session(session, signer, policy, account_id, person_id, session_id, expires_at, now)


async def continue_session(
    session: AsyncSession,
    signer: TokenIssuer,
    policy: SessionPolicy,
    account_id: int,
    person_id: str,
    session_id: str,
    session_expires_at: dt.datetime,
    now: dt.datetime,
) -> IssuedSession:
    """A new refresh token and access token in an existing session, neither outliving it."""
    access_token = signer.issue(
        Principal(Role.INDIVIDUAL, person_id=person_id, session=session_id), not_after=session_expires_at
    )
    # The signer stamps its own clock into `exp`: report exactly that.
    expires = jwt.decode(access_token, options={"verify_signature": False})["exp"]
    refresh_token = secrets.token_urlsafe(32)
    refresh_expires_at = min(now + policy.idle, session_expires_at)
    await session.execute(
        REFRESH_TOKENS.insert().values(
            account_id=account_id,
            session_id=session_id,
            token_hash=token_digest(refresh_token),
            created_at=now,
            expires_at=refresh_expires_at,
        )
    )
    return IssuedSession(
        access_token=access_token,
        access_expires_at=dt.datetime.fromtimestamp(expires, dt.UTC),
        refresh_token=refresh_token,
        refresh_expires_at=refresh_expires_at,
        session_expires_at=session_expires_at,
    )


async def revoke_token(session: AsyncSession, token_id: int, now: dt.datetime) -> bool:
    """Revokes one refresh token; False when it was already revoked (by a parallel request)."""
    tokens = REFRESH_TOKENS.c
    result = await session.execute(
        update(REFRESH_TOKENS).where(tokens.id == token_id, tokens.revoked_at.is_(None)).values(revoked_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def end_sessions(
    session: AsyncSession, account_id: int, now: dt.datetime, *, only: str | None = None, keep: str | None = None
) -> list[EndedSession]:
    """Ends the account's live sessions (only `only`, or all but `keep`): their refresh tokens are
    revoked and a revocation row written for each, so their access tokens stop working too."""
    sessions = SESSIONS.c
    live = select(sessions.id, sessions.expires_at).where(
        sessions.account_id == account_id, sessions.ended_at.is_(None), sessions.expires_at > now
    )
    if only is not None:
        live = live.where(sessions.id == only)
    if keep is not None:
        live = live.where(sessions.id != keep)
    ended = [EndedSession(row.id, row.expires_at) for row in (await session.execute(live)).all()]
    tokens = REFRESH_TOKENS.c
    revoke = update(REFRESH_TOKENS).where(tokens.account_id == account_id, tokens.revoked_at.is_(None))
    if only is not None:
        revoke = revoke.where(tokens.session_id == only)
    if keep is not None:
        revoke = revoke.where(tokens.session_id != keep)
    await session.execute(revoke.values(revoked_at=now))
    if ended:
        ids = [found.id for found in ended]
        await session.execute(update(SESSIONS).where(sessions.id.in_(ids)).values(ended_at=now))
        await session.execute(REVOCATIONS.insert(), [{"session_id": found.id, "until": found.until} for found in ended])
    return ended
