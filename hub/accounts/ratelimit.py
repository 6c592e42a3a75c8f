"""Rate limits on the doors people can knock on without a token: registration, sign-in, codes.

Moving windows from the `limits` library, in memory (one process, the embedded default) or in
Redis (shared by every replica). Two kinds of count:

- attempts, counted before the work (`enforce`): per (account, client) and per client, so one
  client's guessing fills its own windows and not the owner's;
- failures, counted after the work (`Backstop`): per account across every client, so a guesser
  who spreads over many addresses is still slowed down; the owner's successes never fill it.

What bounds guessing for good is not a window but the account's count of consecutive failures
in the database (hub.accounts.lockout).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import ConnectionPool

from hub.contract.errors import Code, RabtError


@dataclass(frozen=True)
class Limit:
    attempts: int
    window_seconds: int

    @property
    def item(self) -> RateLimitItem:
        return RateLimitItemPerSecond(self.attempts, self.window_seconds)


class RateLimiter:
    """Moving windows over a `limits` storage. A Redis that cannot be reached fails the request
    (INTERNAL_ERROR): a limiter that let everything through when down would be no limit."""

    def __init__(self, storage: Storage | None = None, pool: ConnectionPool | None = None) -> None:
        # limits' MemoryStorage starts its expiry task on creation: make it on the running loop.
        self._storage = storage
        self._pool = pool
        self._windows: MovingWindowRateLimiter | None = None

    @classmethod
    def in_memory(cls) -> RateLimiter:
        return cls()

    @classmethod
    def redis(cls, url: str, prefix: str = "rabt:ratelimit") -> RateLimiter:
        """Windows in the Redis at `url` (redis-py underneath, the client the hub already uses)."""
        pool = ConnectionPool.from_url(url)
        # limits types a storage's pass-through options as scalars; redis-py's storage takes its pool there.
        options: dict[str, Any] = {"connection_pool": pool}
        storage = RedisStorage("async+" + url, implementation="redispy", key_prefix=prefix, **options)
        return cls(storage, pool)

    @property
    def windows(self) -> MovingWindowRateLimiter:
        if self._windows is None:
            self._storage = self._storage or MemoryStorage()
            self._windows = MovingWindowRateLimiter(self._storage)
        return self._windows

    async def hit(self, key: str, limit: Limit) -> bool:
        """Counts one on `key`; True while at most `limit.attempts` fell in the window."""
        return await self.windows.hit(limit.item, key)

    async def test(self, key: str, limit: Limit) -> bool:
        """True while one more would still be within the limit; counts nothing."""
        return await self.windows.test(limit.item, key)

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.disconnect()


@dataclass(frozen=True)
class AccountLimits:
    """How often each door may be knocked on. `*_per_account_client`: per (account or ID or
    username, client address); `*_per_client`: per client address over every account;
    `*_failures_per_account`: failures of every client against one account (the backstop)."""

    register_per_account_client: Limit = Limit(5, 3600)
    register_per_client: Limit = Limit(30, 3600)
    register_failures_per_account: Limit = Limit(20, 3600)
    sign_in_per_account_client: Limit = Limit(10, 900)
    sign_in_per_client: Limit = Limit(60, 900)
    sign_in_failures_per_account: Limit = Limit(30, 3600)
    code_per_account_client: Limit = Limit(10, 900)
    code_per_client: Limit = Limit(60, 900)
    code_failures_per_account: Limit = Limit(30, 3600)
    recovery_codes_per_account_client: Limit = Limit(3, 3600)
    recovery_codes_per_client: Limit = Limit(20, 3600)
    recovery_codes_per_account: Limit = Limit(10, 86400)
    refresh_per_client: Limit = Limit(120, 60)


def limit_key(action: str, kind: str, *values: str) -> str:
    """A limiter key that names the action but not the person: IDs, usernames and addresses are hashed."""
    digest = hashlib.sha256("\x00".join(values).encode()).hexdigest()[:32]
    return f"{action}:{kind}:{digest}"


def rate_limited(limit: Limit) -> RabtError:
    return RabtError(
        Code.RATE_LIMITED,
        f"Too many attempts; try again in up to {_minutes(limit.window_seconds)}.",
        retryAfterSeconds=limit.window_seconds,
    )


async def enforce(limiter: RateLimiter, action: str, checks: Sequence[tuple[str, Sequence[str | None], Limit]]) -> None:
    """Counts one attempt against each (kind, values, limit) whose values are all known, and raises
    RATE_LIMITED if any of them is over its limit. Every check counts, even after one refuses, so a
    caller cannot spread attempts over many accounts from one address."""
    refused: Limit | None = None
    for kind, values, limit in checks:
        if any(value is None for value in values):
            continue
        if not await limiter.hit(limit_key(action, kind, *(v for v in values if v is not None)), limit):
            refused = refused or limit
    if refused is not None:
        raise rate_limited(refused)


@dataclass(frozen=True)
class Backstop:
    """The failures of every client against one account in a window: `check` before the work
    (RATE_LIMITED once full), `failed` after a failure. Successes are not counted, so the owner's
    own sign-ins never fill it; only a guesser spread over many addresses does."""

    limiter: RateLimiter
    action: str
    account: str
    limit: Limit

    @property
    def key(self) -> str:
        return limit_key(self.action, "failures", self.account)

    async def check(self) -> None:
        if not await self.limiter.test(self.key, self.limit):
            raise rate_limited(self.limit)

    async def failed(self) -> None:
        await self.limiter.hit(self.key, self.limit)


def _minutes(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
