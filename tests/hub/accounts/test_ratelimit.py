"""Rate limits count attempts per key in fixed windows, in memory and in the real Redis."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from graphql import GraphQLError
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from hub.accounts.ratelimit import Limit, MemoryRateLimiter, RateLimiter, RedisRateLimiter, enforce, limit_key
from tests.conftest import REDIS_URL, service_unavailable


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


async def test_memory_allows_the_limit_then_refuses_until_the_window_ends() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock=clock)
    assert [await limiter.hit("k", 3, 60) for _ in range(4)] == [True, True, True, False]
    clock.now += 59.9
    assert not await limiter.hit("k", 3, 60)
    clock.now += 0.1
    assert await limiter.hit("k", 3, 60)


async def test_memory_counts_each_key_apart() -> None:
    limiter = MemoryRateLimiter(clock=Clock())
    assert await limiter.hit("a", 1, 60)
    assert not await limiter.hit("a", 1, 60)
    assert await limiter.hit("b", 1, 60)


async def test_memory_sweeps_expired_windows_once_it_grows() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock=clock, sweep_at=10)
    for index in range(10):
        await limiter.hit(f"old{index}", 1, 1)
    clock.now += 2
    await limiter.hit("new", 1, 60)
    assert len(limiter._windows) == 1


def test_limiter_keys_name_the_action_but_not_the_person() -> None:
    key = limit_key("register", "id", "1234567897")
    assert key.startswith("register:id:")
    assert "1234567897" not in key
    assert key != limit_key("sign_in", "id", "1234567897")


async def test_enforce_refuses_with_rate_limited_and_counts_every_key() -> None:
    limiter = MemoryRateLimiter(clock=Clock())
    checks = [("id", "1234567897", Limit(1, 60)), ("ip", "10.0.0.1", Limit(5, 60)), ("ip", None, Limit(1, 60))]
    await enforce(limiter, "register", checks)
    with pytest.raises(GraphQLError) as refused:
        await enforce(limiter, "register", checks)
    assert refused.value.extensions == {"code": "RATE_LIMITED", "retryAfterSeconds": 60}
    # The address was counted on the refused attempt too: 2 of its 5.
    assert await limiter.hit(limit_key("register", "ip", "10.0.0.1"), 3, 60)
    assert not await limiter.hit(limit_key("register", "ip", "10.0.0.1"), 3, 60)


@contextlib.asynccontextmanager
async def _redis_limiter() -> AsyncIterator[RedisRateLimiter]:
    """A limiter on the real Redis (db 15), under a prefix of its own that is deleted afterwards."""
    client: Redis = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    except (TimeoutError, RedisConnectionError, OSError) as error:
        await client.aclose()
        service_unavailable(f"Redis at {REDIS_URL}", error)
    prefix = f"rabt-test:{uuid.uuid4().hex}:"
    limiter = RedisRateLimiter(client, prefix=prefix)
    try:
        yield limiter
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await limiter.aclose()


@pytest_asyncio.fixture
async def redis_limiter() -> AsyncIterator[RedisRateLimiter]:
    async with _redis_limiter() as limiter:
        yield limiter


@pytest.mark.redis
async def test_redis_allows_the_limit_then_refuses(redis_limiter: RedisRateLimiter) -> None:
    assert [await redis_limiter.hit("k", 3, 60) for _ in range(5)] == [True, True, True, False, False]
    assert await redis_limiter.hit("other", 3, 60)


@pytest.mark.redis
async def test_redis_windows_expire(redis_limiter: RedisRateLimiter) -> None:
    assert await redis_limiter.hit("k", 1, 1)
    assert not await redis_limiter.hit("k", 1, 1)
    await asyncio.sleep(1.2)
    assert await redis_limiter.hit("k", 1, 1)


@pytest.mark.redis
async def test_redis_sets_an_expiry_on_every_key(redis_limiter: RedisRateLimiter) -> None:
    await redis_limiter.hit("k", 5, 60)
    ttl = await redis_limiter._client.pttl(redis_limiter._prefix + "k")
    assert 0 < ttl <= 60_000


@pytest.mark.redis
async def test_redis_counts_parallel_hits_exactly(redis_limiter: RedisRateLimiter) -> None:
    answers = await asyncio.gather(*(redis_limiter.hit("burst", 10, 60) for _ in range(50)))
    assert answers.count(True) == 10


@pytest_asyncio.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def any_limiter(request: pytest.FixtureRequest) -> AsyncIterator[RateLimiter]:
    if request.param == "memory":
        yield MemoryRateLimiter()
        return
    async with _redis_limiter() as limiter:
        yield limiter


async def test_both_limiters_answer_alike(any_limiter: RateLimiter) -> None:
    assert await any_limiter.hit("shared", 1, 60)
    assert not await any_limiter.hit("shared", 1, 60)
    assert await any_limiter.hit("shared-too", 1, 60)
