"""Whom a mutation is audited for: each person's own access log, before and after it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from hub.audit.outbox import OUTBOX
from tests.conftest import Api, individual

LOG = """query($after: String) { me { accessLog(first: 100, after: $after, includeOwn: true) {
  entries { actor actingAs sector fields action outcome } nextCursor } } }"""


async def writes(api: Api, person: str, action: str) -> list[dict[str, Any]]:
    """The entries of `person`'s whole access log (every page: a person many tests use has more
    than one) for mutation `action`, newest first."""
    found: list[dict[str, Any]] = []
    after = None
    while True:
        log = await api.query(LOG, {"after": after}, as_=individual(person))
        assert "errors" not in log, log
        page = log["data"]["me"]["accessLog"]
        found += [entry for entry in page["entries"] if entry["action"] == action]
        if (after := page["nextCursor"]) is None:
            return found


async def logs(api: Api, people: list[str], action: str) -> dict[str, list[dict[str, Any]]]:
    return {person: await writes(api, person, action) for person in people}


async def audited_writes(api: Api) -> int:
    """The writes audited so far (the hub's `audit_outbox`)."""
    async with api.hub.db.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(OUTBOX))).scalar_one())


async def assert_each_sees_it(
    api: Api, before: dict[str, list[dict[str, Any]]], action: str, actor: str, acting_as: dict[str, str]
) -> None:
    """Each person of `before` finds exactly one new entry of `action`, by `actor`, ok, in the
    capacity `acting_as` names for them."""
    after = await logs(api, list(before), action)
    for person, earlier in before.items():
        assert len(after[person]) == len(earlier) + 1, (person, earlier, after[person])
        newest = after[person][0]
        assert newest == {
            "actor": actor,
            "actingAs": acting_as[person],
            "sector": newest["sector"],
            "fields": [action],
            "action": action,
            "outcome": "ok",
        }, person


async def assert_none_sees_it(api: Api, before: dict[str, list[dict[str, Any]]], action: str) -> None:
    """No person of `before` finds a new entry of `action`."""
    assert await logs(api, list(before), action) == before
