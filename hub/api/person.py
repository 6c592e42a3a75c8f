"""`Person`: the hub's identity fields plus one namespace field per installed sector.

Built once from the registry. Every schema (the hub, each subgraph) uses this one class and
chooses which of its fields to expose (see hub.schema), so a sector's types can refer to
`Person` without knowing which shape they are served in.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import strawberry
from graphql import GraphQLResolveInfo
from strawberry.types.field import StrawberryField

from hub.api.context import HubInfo, RequestContext
from hub.contract import ActingAs, Sector
from hub.contract.context import provide_person_type
from hub.contract.direct import DIRECT
from hub.identity.types import PersonCore
from hub.registry import installed_sectors


def _namespace_field(sector: Sector) -> StrawberryField:
    def resolve(root: Any, info: GraphQLResolveInfo[RequestContext]) -> Any:
        # Not a coroutine when the gate opens without a read (the caller's own data, an officer's,
        # one decided before): graphql-core then completes the field at once, with nothing to await.
        context = info.context
        opened = context.gate.opening(root.id, sector.name, context.selected_fields(info))
        if isinstance(opened, ActingAs):
            return sector.person_type(person_id=root.id)
        return _after(opened, sector.person_type, root.id)

    # Built at run time, so strawberry cannot read the return type from the source: set it. strawberry
    # knows the info parameter by its type; graphql-core itself hands a DIRECT field its own info.
    resolve.__annotations__ = {"root": Any, "info": HubInfo, "return": sector.person_type | None}
    return strawberry.field(
        resolve,
        metadata=DIRECT,
        name=sector.field_name,
        description=(
            f"{sector.title_en} ({sector.title_ar}): this person's records in that sector. "
            "Null, with a FORBIDDEN error, when the caller may not read them."
        ),
    )


def _build() -> type[Any]:
    attributes: dict[str, Any] = {"__module__": __name__}
    for sector in installed_sectors():
        attributes[f"_sector_{sector.name}"] = _namespace_field(sector)
    cls = type("Person", (PersonCore,), attributes)
    return strawberry.federation.type(
        keys=["id"],
        description=(
            "A person known to the identity registry: a citizen, a resident or a visitor. "
            "Each sector adds its records under its own field (passports, traffic, …)."
        ),
    )(cls)


async def _after(opened: Awaitable[ActingAs], person_type: type[Any], person_id: str) -> Any:
    await opened
    return person_type(person_id=person_id)


if TYPE_CHECKING:
    # To the checker, the identity fields; the sectors' namespace fields are added when the class is built.
    Person = PersonCore
else:
    Person = _build()
provide_person_type(lambda person_id: Person(id=strawberry.ID(person_id)))
