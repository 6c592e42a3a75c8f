"""One-time codes in the database: issuing one (superseding the account's earlier ones of the same
purpose) and checking one (counting the attempt atomically, so parallel guesses cannot exceed
MAX_ATTEMPTS between them)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import ONE_TIME_CODES, CodePurpose
from hub.accounts.otp import CODE_TTL, MAX_ATTEMPTS, code_digest, code_matches, new_code
from hub.data.db import stored_utc


class CodeCheck(enum.Enum):
    ACCEPTED = "ok"
    INVALID = "CODE_INVALID"
    EXPIRED = "CODE_EXPIRED"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"


async def issue_code(
    session: AsyncSession, account_id: int, purpose: CodePurpose, pepper: str, now: dt.datetime
) -> tuple[str, dt.datetime]:
    """A fresh code and its expiry; earlier unused codes of the same purpose stop working."""
    codes = ONE_TIME_CODES.c
    await session.execute(
        update(ONE_TIME_CODES)
        .where(codes.account_id == account_id, codes.purpose == purpose.value, codes.consumed_at.is_(None))
        .values(consumed_at=now)
    )
    code, expires_at = new_code(), now + CODE_TTL
    await session.execute(
        ONE_TIME_CODES.insert().values(
            account_id=account_id,
            purpose=purpose.value,
            code_hash=code_digest(pepper, code),
            created_at=now,
            expires_at=expires_at,
            attempts=0,
            consumed_at=None,
        )
    )
    return code, expires_at


async def check_code(
    session: AsyncSession, account_id: int, purpose: CodePurpose, submitted: str, pepper: str, now: dt.datetime
) -> CodeCheck:
    """Checks `submitted` against the account's live code of `purpose` and uses it up when it matches.

    Every try counts, right or wrong; the fifth wrong one answers TOO_MANY_ATTEMPTS and the code is
    dead from then on, even for the right digits. An expired code is not counted.
    """
    codes = ONE_TIME_CODES.c
    live = (
        await session.execute(
            select(codes.id, codes.code_hash, codes.expires_at)
            .where(codes.account_id == account_id, codes.purpose == purpose.value, codes.consumed_at.is_(None))
            .order_by(codes.id.desc())
            .limit(1)
        )
    ).first()
    if live is None:
        return CodeCheck.INVALID
    if stored_utc(live.expires_at) <= now:
        return CodeCheck.EXPIRED
    counted = (
        await session.execute(
            update(ONE_TIME_CODES)
            .where(codes.id == live.id, codes.attempts < MAX_ATTEMPTS, codes.consumed_at.is_(None))
            .values(attempts=codes.attempts + 1)
            .returning(codes.attempts)
        )
    ).scalar()
    if counted is None:
        return CodeCheck.TOO_MANY_ATTEMPTS
    if code_matches(pepper, submitted, live.code_hash):
        await session.execute(update(ONE_TIME_CODES).where(codes.id == live.id).values(consumed_at=now))
        return CodeCheck.ACCEPTED
    return CodeCheck.TOO_MANY_ATTEMPTS if counted >= MAX_ATTEMPTS else CodeCheck.INVALID
