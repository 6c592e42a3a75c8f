"""One-time codes in the database: issuing one (superseding the account's earlier ones of the same
purpose) and checking one (counting the attempt atomically, so parallel guesses cannot exceed
MAX_ATTEMPTS between them).

A code is bound to whoever asked for it: issuing one also gives out a random challenge, and only
an attempt that brings the challenge back is checked against the code. Anyone else's guess is not
a guess at this code at all, so it can neither use the code's attempts up nor count against the
account: someone who knows a username cannot kill the code its owner is about to type.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Checked:
    """How a check ended, and whether it was a wrong guess at a live code (what counts against the
    account); a missing challenge or a used-up code is refused without being a guess."""

    result: CodeCheck
    wrong_guess: bool = False

    @property
    def accepted(self) -> bool:
        return self.result is CodeCheck.ACCEPTED


@dataclass(frozen=True)
class IssuedCode:
    code: str
    challenge: str
    expires_at: dt.datetime


def challenge_digest(challenge: str) -> str:
    """What is stored for a challenge: 256 random bits need no more than a plain hash."""
    return hashlib.sha256(challenge.encode()).hexdigest()


async def issue_code(
    session: AsyncSession, account_id: int, purpose: CodePurpose, pepper: str, now: dt.datetime
) -> IssuedCode:
    """A fresh code, its challenge and its expiry; earlier unused codes of the same purpose stop working."""
    codes = ONE_TIME_CODES.c
    await session.execute(
        update(ONE_TIME_CODES)
        .where(codes.account_id == account_id, codes.purpose == purpose.value, codes.consumed_at.is_(None))
        .values(consumed_at=now)
    )
    issued = IssuedCode(code=new_code(), challenge=secrets.token_urlsafe(32), expires_at=now + CODE_TTL)
    await session.execute(
        ONE_TIME_CODES.insert().values(
            account_id=account_id,
            purpose=purpose.value,
            code_hash=code_digest(pepper, issued.code),
            challenge_hash=challenge_digest(issued.challenge),
            created_at=now,
            expires_at=issued.expires_at,
            attempts=0,
            consumed_at=None,
        )
    )
    return issued


async def has_live_code(session: AsyncSession, account_id: int, purpose: CodePurpose, now: dt.datetime) -> bool:
    """Whether the account has an unused code of `purpose` that has not expired (even one whose
    attempts are used up: it still belongs to whoever asked for it until it expires)."""
    codes = ONE_TIME_CODES.c
    found = await session.scalar(
        select(codes.id).where(
            codes.account_id == account_id,
            codes.purpose == purpose.value,
            codes.consumed_at.is_(None),
            codes.expires_at > now,
        )
    )
    return found is not None


async def check_code(
    session: AsyncSession,
    account_id: int,
    purpose: CodePurpose,
    submitted: str,
    challenge: str,
    pepper: str,
    now: dt.datetime,
) -> Checked:
    """Checks `submitted` against the account's live code of `purpose` and uses it up when it matches.

    Only with the code's challenge: without it the answer is CODE_INVALID and nothing is counted.
    With it, every try counts, right or wrong; the fifth wrong one answers TOO_MANY_ATTEMPTS and
    the code is dead from then on, even for the right digits. An expired code is not counted.
    """
    codes = ONE_TIME_CODES.c
    live = (
        await session.execute(
            select(codes.id, codes.code_hash, codes.challenge_hash, codes.expires_at)
            .where(codes.account_id == account_id, codes.purpose == purpose.value, codes.consumed_at.is_(None))
            .order_by(codes.id.desc())
            .limit(1)
        )
    ).first()
    if live is None or not hmac.compare_digest(challenge_digest(challenge), live.challenge_hash):
        return Checked(CodeCheck.INVALID)
    if stored_utc(live.expires_at) <= now:
        return Checked(CodeCheck.EXPIRED)
    counted = (
        await session.execute(
            update(ONE_TIME_CODES)
            .where(codes.id == live.id, codes.attempts < MAX_ATTEMPTS, codes.consumed_at.is_(None))
            .values(attempts=codes.attempts + 1)
            .returning(codes.attempts)
        )
    ).scalar()
    if counted is None:
        return Checked(CodeCheck.TOO_MANY_ATTEMPTS)
    if code_matches(pepper, submitted, live.code_hash):
        await session.execute(update(ONE_TIME_CODES).where(codes.id == live.id).values(consumed_at=now))
        return Checked(CodeCheck.ACCEPTED)
    return Checked(CodeCheck.TOO_MANY_ATTEMPTS if counted >= MAX_ATTEMPTS else CodeCheck.INVALID, wrong_guess=True)
