"""Asking a service over GraphQL and reading its answer: the code it refused with (a Refusal's, or
an error's `extensions.code`), after checking that a refusal wrote nothing and that eligibility
names the same blockers; and putting a person's rows back as they were after a test changed them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Executable, delete, event, func, insert, select
from sqlalchemy.engine import Connection

from hub.contract.principal import Principal
from hub.notifications.models import NotificationRow
from sectors.traffic.models import ViolationRow
from tests.conftest import TODAY, Api

ELIGIBILITY = """query($id: ID!, $service: ServiceName!) {
  eligibility(personId: $id, service: $service) {
    allowed blockers { sector code message messageAr resolveBy resolveByAr }
  }
}"""


@contextmanager
def committed_before_first_update(api: Api, table: str, change: Executable) -> Iterator[list[bool]]:
    """Another request's write landing between a mutation's rules and its write: `change` runs on
    the connection about to send the first UPDATE of `table`, just before it. Yields `[True]` once
    it has run."""
    ran: list[bool] = []

    def before(connection: Connection, cursor: Any, statement: str, *_: Any) -> None:
        if not ran and statement.startswith(f"UPDATE {table}"):
            ran.append(True)  # first, so that the change's own UPDATE passes through
            connection.execute(change)

    engine = api.hub.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield ran
    finally:
        event.remove(engine, "before_cursor_execute", before)


def fresh_key(name: str) -> str:
    """An idempotency key no earlier request used: its answer is kept past the test, and a second
    run in the same session would otherwise be answered from the first's."""
    return f"{name}-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class Mutation:
    """One mutation of a sector: its field, its input type, and what its success selects."""

    field: str
    input_type: str
    success: str  # the selection on the result union's success member, e.g. "... on X { visa { number } }"
    service: str | None = None  # the eligibility service it asks for, when it is one

    def document(self) -> str:
        return f"""mutation($input: {self.input_type}!) {{ {self.field}(input: $input) {{
          __typename
          {self.success}
          ... on Refusal {{ code message messageAr blockers {{ sector code message messageAr resolveBy resolveByAr }} }}
        }} }}"""


@dataclass(frozen=True)
class Answer:
    """What a mutation answered: `code` is the refusal's or the first error's, None on success."""

    code: str | None
    result: dict[str, Any] | None
    blockers: list[tuple[str, str]]


async def ask(api: Api, mutation: Mutation, input: dict[str, Any], caller: Principal) -> Answer:
    """Runs the mutation. A refusal by a service's rules must list what eligibility lists."""
    if mutation.service is not None:
        eligibility = await api.query(ELIGIBILITY, {"id": input["personId"], "service": mutation.service}, as_=caller)
    body = await api.query(mutation.document(), {"input": input}, as_=caller)
    if body.get("errors"):
        assert body["data"] is None or body["data"].get(mutation.field) is None, body
        return Answer(body["errors"][0]["extensions"]["code"], None, [])
    result = body["data"][mutation.field]
    if result["__typename"] != "Refusal":
        if mutation.service is not None:
            assert eligibility["data"]["eligibility"] == {"allowed": True, "blockers": []}, eligibility
        return Answer(None, result, [])
    assert result["message"] and result["messageAr"], result
    blockers = [(blocker["sector"], blocker["code"]) for blocker in result["blockers"]]
    if result["blockers"]:
        assert blockers[0][1] == result["code"], result
        assert mutation.service is not None and eligibility["data"]["eligibility"] == {
            "allowed": False,
            "blockers": result["blockers"],
        }, (eligibility, result)
    return Answer(result["code"], result, blockers)


@asynccontextmanager
async def kept(api: Api, person_id: str, *tables: Any) -> AsyncIterator[None]:
    """The person's rows in `tables` (ORM classes with a `person_id`) put back as they were afterwards,
    whatever the test changed, added or removed."""
    async with api.hub.db.connect() as connection:
        saved = {
            table: [
                dict(row._mapping)
                for row in await connection.execute(select(table.__table__).where(table.person_id == person_id))
            ]
            for table in tables
        }
    try:
        yield
    finally:
        async with api.hub.db.connect() as connection:
            for table, rows in saved.items():
                await connection.execute(delete(table).where(table.person_id == person_id))
                if rows:
                    await connection.execute(insert(table), rows)
            await connection.commit()


async def change(api: Api, *statements: Any) -> None:
    """Writes the statements in one transaction (the test's setup, undone by `kept`)."""
    async with api.hub.db.connect() as connection:
        for statement in statements:
            await connection.execute(statement)
        await connection.commit()


def days(count: int) -> dt.date:
    """TODAY moved by `count` days: the hub decides on TODAY too (`Hub.today`)."""
    return TODAY + dt.timedelta(days=count)


def unpaid_violation(person_id: str, number: str) -> Any:
    """A speeding fine two days old, unpaid: traffic's rule blocks other sectors' services on it."""
    return insert(ViolationRow).values(
        number=number,
        person_id=person_id,
        kind="speeding",
        city_ar="الرياض",
        city_en="Riyadh",
        committed_on=days(-2),
        fine_sar=300,
        due_on=days(28),
        status="unpaid",
    )


async def newest_notice(api: Api) -> int:
    """The id of the newest notification: what a test's mutation tells comes after it."""
    return (await api.hub.db.fetch(select(func.max(NotificationRow.id))))[0][0] or 0  # type: ignore[no-any-return]


async def notices_since(api: Api, last: int) -> list[tuple[Any, ...]]:
    """(person, sector, kind, English, Arabic) of each notification written after `last`, in order."""
    told = select(
        NotificationRow.person_id,
        NotificationRow.sector,
        NotificationRow.kind,
        NotificationRow.message_en,
        NotificationRow.message_ar,
    ).where(NotificationRow.id > last)
    return [tuple(row) for row in await api.hub.db.fetch(told.order_by(NotificationRow.id))]
