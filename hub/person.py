"""`Person`: the hub's identity fields plus one namespace field per installed sector.

Built once from the registry. Every schema (the hub, each subgraph) uses this one class and
chooses which of its fields to expose (see hub.schema), so a sector's types can refer to
`Person` without knowing which shape they are served in.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types.field import StrawberryField

from hub.contract import Info, Sector
from hub.direct import DIRECT
from hub.identity.types import PersonCore
from hub.policy import UNDECIDED, ActingAs, required
from hub.registry import installed_sectors


def _namespace_field(sector: Sector) -> StrawberryField:
    def opened(root: Any, info: Info, decision: ActingAs | None) -> Any:
        grant = required(decision, sector.name)
        context = info.context
        context.audit.note(root.id, sector.name, grant.value, context.selected_fields(info))
        return sector.person_type(person_id=root.id)

    async def after_relations(root: Any, info: Info) -> Any:
        return opened(root, info, await info.context.access.grant(root.id, sector.name))

    def resolve(root: Any, info: Info) -> Any:
        # Not a coroutine when the decision needs no read (the caller's own data, an officer's,
        # one decided before): graphql-core then completes the field at once, with nothing to await.
        grant = info.context.access.granted(root.id, sector.name)
        return after_relations(root, info) if grant is UNDECIDED else opened(root, info, grant)

    # Built at run time, so strawberry cannot read the return type from the source: set it.
    resolve.__annotations__ = {"root": Any, "info": Info, "return": sector.person_type | None}
    return strawberry.field(
        resolver=resolve,
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


Person = _build()
