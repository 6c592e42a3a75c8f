"""What bounds guessing for good: an account's count of consecutive failures, in the database.

Every wrong password and every wrong guess at one of the account's codes adds one, whichever
client sent it; a completed sign-in, a recovery or an officer's unlock sets it back to zero. At
LOCK_AFTER the account is LOCKED: no sign-in, whatever the password. Its owner unlocks it with
`recoverAccount` (the registry's mobile and an SMS code), which stays open for RECOVERY_ALLOWANCE
more failures; past those only an officer, with the person present, unlocks it (`activateAccount`).
One UPDATE counts and locks, so parallel guesses cannot slip past the limit between them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import case, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import ACCOUNTS, AccountStatus

LOCK_AFTER = 100
"""Consecutive failures that lock an account (NIST SP 800-63B 5.2.2: no more than 100)."""
RECOVERY_ALLOWANCE = 20
"""Failures past the lock during which recovery still works (four recovery codes' worth)."""


async def count_failure(session: AsyncSession, account_id: int, now: dt.datetime) -> bool:
    """Adds one failure; True when the account is locked afterwards."""
    accounts = ACCOUNTS.c
    reaches = accounts.failed_attempts + 1 >= LOCK_AFTER
    status = (
        await session.execute(
            update(ACCOUNTS)
            .where(accounts.id == account_id)
            .values(
                failed_attempts=accounts.failed_attempts + 1,
                status=case((reaches, AccountStatus.LOCKED.value), else_=accounts.status),
                locked_at=case((reaches & accounts.locked_at.is_(None), now), else_=accounts.locked_at),
            )
            .returning(accounts.status)
        )
    ).scalar_one()
    return bool(status == AccountStatus.LOCKED.value)


async def count_success(session: AsyncSession, account_id: int) -> None:
    """The owner got through: the consecutive failures start again from zero."""
    accounts = ACCOUNTS.c
    await session.execute(
        update(ACCOUNTS).where(accounts.id == account_id, accounts.failed_attempts != 0).values(failed_attempts=0)
    )


def recovery_open(failed_attempts: int) -> bool:
    """Whether `recoverAccount` may still be tried, or only an officer can unlock the account."""
    return failed_attempts < LOCK_AFTER + RECOVERY_ALLOWANCE
