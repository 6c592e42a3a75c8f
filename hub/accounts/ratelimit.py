"""Rate limits on the doors people can knock on without a token: registration, sign-in, codes.

`hit(key, limit, window_seconds)` counts one attempt and answers whether it is allowed. Windows
are fixed: they start at a key's first hit and last `window_seconds`. Two implementations: in
memory (one process, the embedded default) and Redis (shared by every replica; one atomic Lua
script does INCR and sets the expiry, so a crash between the two cannot leave an eternal key).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

from hub.contract.errors import Code, RabtError


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int, window_seconds: int) -> bool:
        """Counts one attempt on `key`; True while at most `limit` attempts fell in the window."""
        ...

    async def aclose(self) -> None: ...


class MemoryRateLimiter:
    """Fixed windows in a dict. Expired windows are swept once the dict grows past `sweep_at`."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, sweep_at: int = 100_000) -> None:
        self._clock = clock
        self._sweep_at = sweep_at
        self._windows: dict[str, tuple[float, int]] = {}

    async def hit(self, key: str, limit: int, window_seconds: int) -> bool:
        now = self._clock()
        ends, count = self._windows.get(key, (0.0, 0))
        if ends <= now:
            if len(self._windows) >= self._sweep_at:
                self._windows = {k: w for k, w in self._windows.items() if w[0] > now}
            ends, count = now + window_seconds, 0
        count += 1
        self._windows[key] = (ends, count)
        return count <= limit

    def clear(self) -> None:
        self._windows.clear()

    async def aclose(self) -> None:
        self._windows.clear()


_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 or redis.call('PTTL', KEYS[1]) < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return count
"""


class RedisRateLimiter:
    """Fixed windows in Redis, shared by every hub process. A Redis that cannot be reached fails the
    request (INTERNAL_ERROR): a limiter that let everything through when down would be no limit."""

    def __init__(self, client: Redis, prefix: str = "rabt:ratelimit:") -> None:
        self._client = client
        self._prefix = prefix
        self._script = client.register_script(_HIT)

    @classmethod
    def from_url(cls, url: str, prefix: str = "rabt:ratelimit:") -> RedisRateLimiter:
        return cls(Redis.from_url(url), prefix)

    async def hit(self, key: str, limit: int, window_seconds: int) -> bool:
        count = await self._script(keys=[self._prefix + key], args=[window_seconds * 1000])
        return int(count) <= limit

    async def aclose(self) -> None:
        await self._client.aclose()


@dataclass(frozen=True)
class Limit:
    attempts: int
    window_seconds: int


@dataclass(frozen=True)
class AccountLimits:
    """How often each door may be knocked on, per person (ID or username) and per client IP."""

    register_per_id: Limit = Limit(5, 3600)
    register_per_ip: Limit = Limit(30, 3600)
    sign_in_per_username: Limit = Limit(10, 900)
    sign_in_per_ip: Limit = Limit(60, 900)
    code_per_username: Limit = Limit(10, 900)
    code_per_ip: Limit = Limit(60, 900)
    refresh_per_ip: Limit = Limit(120, 60)


def limit_key(action: str, kind: str, value: str) -> str:
    """A limiter key that names the action but not the person: IDs, usernames and IPs are hashed."""
    return f"{action}:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


async def enforce(limiter: RateLimiter, action: str, checks: Sequence[tuple[str, str | None, Limit]]) -> None:
    """Counts one attempt against each (kind, value, limit) whose value is known, and raises
    RATE_LIMITED if any of them is over its limit. Every check counts, even after one refuses, so a
    caller cannot spread attempts over many IDs from one address or many addresses for one ID."""
    refused: Limit | None = None
    for kind, value, limit in checks:
        if value is None:
            continue
        if not await limiter.hit(limit_key(action, kind, value), limit.attempts, limit.window_seconds):
            refused = refused or limit
    if refused is not None:
        raise RabtError(
            Code.RATE_LIMITED,
            f"Too many attempts; try again in up to {_minutes(refused.window_seconds)}.",
            retryAfterSeconds=refused.window_seconds,
        )


def _minutes(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
