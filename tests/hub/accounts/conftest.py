"""The accounts tests run on the seeded hub with fresh rate limits and the real clock each time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub.accounts.ratelimit import RateLimiter
from hub.accounts.services import AccountServices
from tests.conftest import Api


@pytest.fixture
def accounts_api(api: Api) -> Iterator[Api]:
    """The hub on SQLite and on PostgreSQL, with the accounts' limits counted from zero for this test
    (every test comes from the same client address), and its clock, limits, session policy and hashing restored
    afterwards."""
    services: AccountServices = api.hub.accounts
    saved = services.limiter, services.clock, services.limits, services.sessions, services.passwords
    services.limiter = RateLimiter.in_memory()
    try:
        yield api
    finally:
        services.limiter, services.clock, services.limits, services.sessions, services.passwords = saved
