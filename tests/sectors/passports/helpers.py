"""What the passports service tests share: a sponsor's workers, mutations over HTTP, and the
passports tables put back as they were after a test that changed them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import delete, insert, select

from hub.contract.principal import Principal
from hub.notifications.models import NotificationRow
from sectors.passports.models import Base, IqamaRow
from tests.conftest import PERSONA, Api, individual, officer
from tests.services.test_eligibility import ELIGIBILITY

SPONSOR = PERSONA["sponsor"]


async def workers_of(api: Api, sponsor: str = SPONSOR) -> list[str]:
    async with api.hub.db.connect() as connection:
        return list(
            (
                await connection.execute(
                    select(IqamaRow.person_id)
                    .where(IqamaRow.sponsor_id == sponsor, IqamaRow.sponsorship == "work")
                    .order_by(IqamaRow.person_id)
                )
            ).scalars()
        )


async def blockers(api: Api, service: str, person_id: str, caller: Principal) -> list[str]:
    answer = await api.query(ELIGIBILITY, {"id": person_id, "service": service}, as_=caller)
    assert "errors" not in answer, answer
    return [blocker["code"] for blocker in answer["data"]["eligibility"]["blockers"]]


async def allowed_worker(api: Api, service: str, sponsor: str = SPONSOR) -> str:
    """One of the sponsor's workers for whom nothing blocks `service` now."""
    for worker in await workers_of(api, sponsor):
        if not await blockers(api, service, worker, individual(sponsor)):
            return worker
    raise AssertionError(f"no worker of {sponsor} may have {service} now")


async def mutate(api: Api, name: str, input_type: str, payload: str, input: dict[str, Any], caller: Principal) -> Any:
    """The mutation's answer: its payload (with `__typename`), or the errors."""
    query = f"""mutation($input: {input_type}!) {{ {name}(input: $input) {{
      __typename ... on Refusal {{ code message messageAr blockers {{ sector code }} }} {payload} }} }}"""
    answer = await api.query(query, {"input": input}, as_=caller)
    return answer["data"][name] if answer.get("data") else answer


async def bad_id(api: Api, name: str, input_type: str, extra: dict[str, Any]) -> tuple[str, str]:
    """The code and argument a passports officer's call gets for a malformed personId."""
    answer = await mutate(api, name, input_type, "", {"personId": "1234", **extra}, officer("passports"))
    extensions = answer["errors"][0]["extensions"]
    return extensions["code"], extensions["argument"]


@asynccontextmanager
async def restored(api: Api) -> AsyncIterator[None]:
    """Every passports table as it was before the block, whatever the block changed."""
    tables = Base.metadata.sorted_tables
    async with api.hub.db.connect() as connection:
        kept = {table: [dict(row._mapping) for row in await connection.execute(select(table))] for table in tables}
    try:
        yield
    finally:
        async with api.hub.db.connect() as connection:
            for table in tables:
                await connection.execute(delete(table))
                if kept[table]:
                    await connection.execute(insert(table), kept[table])
            await connection.commit()


async def last_notice(api: Api, person_id: str) -> tuple[str, str, str] | None:
    """The newest notice the person was sent by passports: its kind, English and Arabic; None before any."""
    async with api.hub.db.connect() as connection:
        found = (
            await connection.execute(
                select(NotificationRow.kind, NotificationRow.message_en, NotificationRow.message_ar)
                .where(NotificationRow.person_id == person_id, NotificationRow.sector == "passports")
                .order_by(NotificationRow.id.desc())
                .limit(1)
            )
        ).first()
    return None if found is None else (found[0], found[1], found[2])
