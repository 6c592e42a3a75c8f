"""The failure count at its edges, on the database: the 100th consecutive failure locks (and stamps
when, once), not the 99th; a success zeroes that account's count and no other's; recovery stays
open for 20 failures past the lock and not one more."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from hub.accounts.lockout import LOCK_AFTER, RECOVERY_ALLOWANCE, count_failure, count_success, recovery_open
from hub.accounts.models import ACCOUNTS
from tests.conftest import Api
from tests.hub.accounts.flow import active_account

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


async def _account_id(api: Api, person_id: str) -> int:
    rows = await api.hub.db.fetch(select(ACCOUNTS.c.id).where(ACCOUNTS.c.person_id == person_id))
    return int(rows[0][0])


async def _state(api: Api, account_id: int) -> tuple[int, str, object]:
    row = (
        await api.hub.db.fetch(
            select(ACCOUNTS.c.failed_attempts, ACCOUNTS.c.status, ACCOUNTS.c.locked_at).where(
                ACCOUNTS.c.id == account_id
            )
        )
    )[0]
    return int(row[0]), str(row[1]), row[2]


async def test_the_hundredth_failure_locks_once_and_a_success_zeroes_only_its_own_account(
    accounts_api: Api,
) -> None:
    api = accounts_api
    first = await _account_id(api, (await active_account(api))[0])
    second = await _account_id(api, (await active_account(api))[0])
    async with api.hub.db.transaction() as session:
        await session.execute(
            update(ACCOUNTS).where(ACCOUNTS.c.id.in_([first, second])).values(failed_attempts=LOCK_AFTER - 2)
        )
        assert not await count_failure(session, first, NOW)  # the 99th
    assert await _state(api, first) == (LOCK_AFTER - 1, "active", None)
    async with api.hub.db.transaction() as session:
        assert await count_failure(session, first, NOW)  # the 100th
    failed, status, locked_at = await _state(api, first)
    assert (failed, status) == (LOCK_AFTER, "locked") and locked_at is not None
    async with api.hub.db.transaction() as session:
        assert await count_failure(session, first, NOW + dt.timedelta(hours=1))
    assert await _state(api, first) == (LOCK_AFTER + 1, "locked", locked_at), "locked when it first locked"
    async with api.hub.db.transaction() as session:
        await count_success(session, second)
    assert (await _state(api, second))[0] == 0
    async with api.hub.db.transaction() as session:
        assert not await count_failure(session, second, NOW)
        await count_success(session, second)  # a single failure is forgotten too
    assert (await _state(api, second))[0] == 0
    assert (await _state(api, first))[0] == LOCK_AFTER + 1, "another account's success changes nothing here"


def test_recovery_is_open_for_twenty_failures_past_the_lock() -> None:
    assert recovery_open(LOCK_AFTER + RECOVERY_ALLOWANCE - 1)
    assert not recovery_open(LOCK_AFTER + RECOVERY_ALLOWANCE)
