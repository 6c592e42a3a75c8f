"""Sessions: a short access token (JWT, from the hub's signer) and a long refresh token.

A refresh token is 256 random bits shown to the client once and stored only as its SHA-256.
Refreshing rotates it: the presented token is revoked and a new one issued. A revoked token that
comes back means a copy is in someone else's hands, so every session of that account ends.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import jwt
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.access.tokens import TokenIssuer
from hub.accounts.models import REFRESH_TOKENS
from hub.contract.principal import Principal, Role

REFRESH_TTL = dt.timedelta(days=30)


@dataclass(frozen=True)
class IssuedSession:
    access_token: str
    access_expires_at: dt.datetime
    refresh_token: str
    refresh_expires_at: dt.datetime


def token_digest(token: str) -> str:
    """What is stored for a refresh token. A plain hash suffices: the token is random, not guessable."""
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(
    session: AsyncSession, signer: TokenIssuer, account_id: int, person_id: str, now: dt.datetime
) -> IssuedSession:
    """Issues an access token for the individual and stores a new refresh token for the account."""
    access_token = signer.issue(Principal(Role.INDIVIDUAL, person_id=person_id))
    # The signer stamps its own clock into `exp`: report exactly that.
    expires = jwt.decode(access_token, options={"verify_signature": False})["exp"]
    refresh_token = secrets.token_urlsafe(32)
    refresh_expires_at = now + REFRESH_TTL
    await session.execute(
        REFRESH_TOKENS.insert().values(
            account_id=account_id,
            token_hash=token_digest(refresh_token),
            created_at=now,
            expires_at=refresh_expires_at,
            revoked_at=None,
        )
    )
    return IssuedSession(
        access_token=access_token,
        access_expires_at=dt.datetime.fromtimestamp(expires, dt.UTC),
        refresh_token=refresh_token,
        refresh_expires_at=refresh_expires_at,
    )


async def revoke_token(session: AsyncSession, token_id: int, now: dt.datetime) -> bool:
    """Revokes one refresh token; False when it was already revoked (by a parallel request)."""
    tokens = REFRESH_TOKENS.c
    result = await session.execute(
        update(REFRESH_TOKENS).where(tokens.id == token_id, tokens.revoked_at.is_(None)).values(revoked_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def revoke_all(session: AsyncSession, account_id: int, now: dt.datetime) -> None:
    tokens = REFRESH_TOKENS.c
    await session.execute(
        update(REFRESH_TOKENS)
        .where(tokens.account_id == account_id, tokens.revoked_at.is_(None))
        .values(revoked_at=now)
    )
