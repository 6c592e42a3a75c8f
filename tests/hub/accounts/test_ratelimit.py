"""Rate limits count per key in moving windows (the `limits` library), in memory and in the real Redis."""

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

from hub.accounts.ratelimit import Backstop, Limit, RateLimiter, enforce, limit_key
from tests.conftest import REDIS_URL, service_unavailable


@contextlib.asynccontextmanager
async def _redis_limiter() -> AsyncIterator[RateLimiter]:
    """A limiter on the real Redis (db 15), under a prefix of its own that is deleted afterwards."""
    client: Redis = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    except (TimeoutError, RedisConnectionError, OSError) as error:
        await client.aclose()
        service_unavailable(f"Redis at {REDIS_URL}", error)
    prefix = f"rabt-test-{uuid.uuid4().hex}"
    limiter = RateLimiter.redis(REDIS_URL, prefix=prefix)
    try:
        yield limiter
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
        await limiter.aclose()


@pytest_asyncio.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[RateLimiter]:
    if request.param == "memory":
        yield RateLimiter.in_memory()
        return
    async with _redis_limiter() as found:
        yield found


async def test_a_key_is_allowed_its_limit_then_refused(limiter: RateLimiter) -> None:
    limit = Limit(3, 60)
    assert [await limiter.hit("k", limit) for _ in range(5)] == [True, True, True, False, False]
    assert await limiter.hit("other", limit)


async def test_testing_counts_nothing(limiter: RateLimiter) -> None:
    limit = Limit(1, 60)
    assert all([await limiter.test("k", limit) for _ in range(3)])
    assert await limiter.hit("k", limit)
    assert not await limiter.test("k", limit)


async def test_parallel_hits_are_counted_exactly(limiter: RateLimiter) -> None:
    answers = await asyncio.gather(*(limiter.hit("burst", Limit(10, 60)) for _ in range(50)))
    assert answers.count(True) == 10


@pytest.mark.redis
async def test_redis_keys_expire_with_their_window() -> None:
    async with _redis_limiter() as limiter:
        await limiter.hit("k", Limit(5, 60))
        client: Redis = Redis.from_url(REDIS_URL)
        try:
            keys = [key async for key in client.scan_iter(match="rabt-test-*")]
            ttls = [await client.pttl(key) for key in keys]
        finally:
            await client.aclose()
        assert ttls and all(0 < ttl <= 60_000 for ttl in ttls)


def test_limiter_keys_name_the_action_but_not_the_person() -> None:
    key = limit_key("register", "account-client", "1234567897", "10.0.0.1")
    assert key.startswith("register:account-client:")
    assert "1234567897" not in key and "10.0.0.1" not in key
    assert key != limit_key("sign_in", "account-client", "1234567897", "10.0.0.1")
    assert key != limit_key("register", "account-client", "1234567897", "10.0.0.2")


async def test_enforce_refuses_with_rate_limited_and_counts_every_key(limiter: RateLimiter) -> None:
    checks = [
        ("account-client", ("1234567897", "10.0.0.1"), Limit(1, 60)),
        ("client", ("10.0.0.1",), Limit(5, 60)),
        ("client", (None,), Limit(1, 60)),
    ]
    await enforce(limiter, "register", checks)
    with pytest.raises(GraphQLError) as refused:
        await enforce(limiter, "register", checks)
    assert refused.value.extensions == {"code": "RATE_LIMITED", "retryAfterSeconds": 60}
    # The address was counted on the refused attempt too: 2 of its 5.
    client_key = limit_key("register", "client", "10.0.0.1")
    assert [await limiter.hit(client_key, Limit(5, 60)) for _ in range(4)] == [True, True, True, False]


async def test_a_backstop_counts_failures_only(limiter: RateLimiter) -> None:
    backstop = Backstop(limiter, "sign_in", "someone", Limit(2, 60))
    for _ in range(5):
        await backstop.check()  # checking is free: the owner's successes never fill it
    await backstop.failed()
    await backstop.check()
    await backstop.failed()
    with pytest.raises(GraphQLError) as refused:
        await backstop.check()
    assert refused.value.extensions == {"code": "RATE_LIMITED", "retryAfterSeconds": 60}
