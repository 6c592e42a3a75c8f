"""The accounts tests run on the seeded hub with fresh rate limits and the real clock each time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub.accounts.ratelimit import MemoryRateLimiter
from hub.accounts.services import AccountServices
from tests.conftest import Api


@pytest.fixture
def accounts_api(api: Api) -> Iterator[Api]:
    """The hub on SQLite and on PostgreSQL, with the accounts' limits counted from zero for this test
    (every test comes from the same client address) and its clock restored afterwards."""
    services: AccountServices = api.hub.accounts
    saved = services.limiter, services.clock
    services.limiter = MemoryRateLimiter()
    try:
        yield api
    finally:
        services.limiter, services.clock = saved
