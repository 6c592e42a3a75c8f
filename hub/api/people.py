"""The hub's own root fields: finding people by ID."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types.field import StrawberryField

from hub.api.context import HubInfo
from hub.api.person import Person
from hub.contract import IDENTITY, Code, PersonId, RabtError, parse_person_id
from hub.identity.loaders import person_by_id

MAX_IDS = 100
PersonIds = Annotated[
    list[strawberry.ID],
    strawberry.argument(description=f"Up to {MAX_IDS} person IDs; the answer keeps their order, null where unknown."),
]


FOUND = frozenset({"id"})
"""What finding a person reads of identity, noted even when the ID is unknown: whether an ID
exists is itself personal data."""


async def _visible_person(person_id: str, info: HubInfo) -> Person | None:
    context = info.context
    gate = context.gate
    gate.open(person_id, IDENTITY, await gate.decide(person_id, IDENTITY), FOUND)
    record = await context.load(person_by_id, person_id)
    return None if record is None else Person(id=strawberry.ID(person_id), identity=record)


async def person(info: HubInfo, id: PersonId) -> Person | None:
    return await _visible_person(parse_person_id(id), info)


def people(info: HubInfo, ids: PersonIds) -> list[Person | None]:
    if len(ids) > MAX_IDS:
        raise RabtError(Code.TOO_MANY_IDS, f"ids: at most {MAX_IDS} per request, got {len(ids)}.", limit=MAX_IDS)
    normalised = [parse_person_id(value, f"ids[{index}]") for index, value in enumerate(ids)]
    # graphql-core awaits list items together (one loader batch for all of them) and turns an
    # item's refusal into `null` plus an error at that item's path.
    return [_visible_person(person_id, info) for person_id in normalised]  # type: ignore[misc]


def fields() -> dict[str, StrawberryField]:
    return {
        "person": strawberry.field(
            person,
            description=(
                "One person by 10-digit ID (national ID, iqama or border number; Eastern Arabic digits "
                "accepted). INVALID_ID for a malformed ID; FORBIDDEN when the caller may not read this "
                "person; null when the ID is valid but unknown."
            ),
        ),
        "people": strawberry.field(
            people,
            description=(
                f"Up to {MAX_IDS} people by ID, in the order asked (duplicates repeat). An entry is null "
                "when the person is unknown or the caller may not read them; a malformed ID fails the "
                "whole field with INVALID_ID."
            ),
        ),
    }
