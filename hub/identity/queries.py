"""The hub's own root fields: finding people by ID."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types.field import StrawberryField

from hub.contract import Code, Info, RabtError, parse_person_id
from hub.identity.loaders import person_by_id
from hub.policy import IDENTITY

if TYPE_CHECKING:
    from hub.person import Person

PersonType = Annotated["Person", strawberry.lazy("hub.person")]
MAX_IDS = 100


async def _visible_person(person_id: str, info: Info) -> PersonType | None:
    from hub.person import Person

    # The access check comes first: whether an ID exists is itself personal data.
    await info.context.access.require(person_id, IDENTITY)
    record = await info.context.load(person_by_id, person_id)
    return None if record is None else Person(id=strawberry.ID(person_id), identity=record)


async def person(info: Info, id: strawberry.ID) -> PersonType | None:
    return await _visible_person(parse_person_id(id), info)


def people(info: Info, ids: list[strawberry.ID]) -> list[PersonType | None]:
    if len(ids) > MAX_IDS:
        raise RabtError(Code.TOO_MANY_IDS, f"ids: at most {MAX_IDS} per request, got {len(ids)}.", limit=MAX_IDS)
    normalised = [parse_person_id(value, f"ids[{index}]") for index, value in enumerate(ids)]
    # graphql-core awaits list items together (one loader batch for all of them) and turns an
    # item's refusal into `null` plus an error at that item's path.
    return [_visible_person(person_id, info) for person_id in normalised]  # type: ignore[misc]


def fields() -> dict[str, StrawberryField]:
    return {
        "person": strawberry.field(
            resolver=person,
            description=(
                "One person by 10-digit ID (national ID, iqama or border number; Eastern Arabic digits "
                "accepted). INVALID_ID for a malformed ID; FORBIDDEN when the caller may not read this "
                "person; null when the ID is valid but unknown."
            ),
        ),
        "people": strawberry.field(
            resolver=people,
            description=(
                f"Up to {MAX_IDS} people by ID, in the order asked (duplicates repeat). An entry is null "
                "when the person is unknown or the caller may not read them; a malformed ID fails the "
                "whole field with INVALID_ID."
            ),
        ),
    }
