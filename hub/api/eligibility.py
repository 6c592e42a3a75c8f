"""`eligibility(personId, service)`: whether a service can be done for a person now, and if not,
every rule that blocks it, each explained by the sector that owns it — the same list the service's
mutation refuses with."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Annotated, cast

import strawberry
from strawberry.types.field import StrawberryField

from hub.api.context import HubInfo
from hub.contract import Blocker, Code, PersonId, RabtError, Sector, Service, described_enum, parse_person_id


@strawberry.type(description="Whether a service can be done for a person now.")
class Eligibility:
    allowed: bool = strawberry.field(description="True when nothing blocks the service.")
    blockers: list[Blocker] = strawberry.field(
        description="Every rule that blocks it, in the order the service checks them; empty when allowed."
    )


def _item_key(service: Service, item: str | None) -> str | None:
    if service.item is None:
        if item is not None:
            raise RabtError(Code.BAD_USER_INPUT, "item: this service acts on no item.", argument="item")
        return None
    if item is None:
        raise RabtError(Code.BAD_USER_INPUT, f"item: this service acts on {service.item.description}.", argument="item")
    return service.item.key(item, "item")


def eligibility_fields(sectors: Sequence[Sector]) -> dict[str, StrawberryField]:
    services: dict[str, Service] = {service.name: service for sector in sectors for service in sector.services}
    if not services:
        return {}
    # The functional API makes a class; mypy reads a call with computed members as making a member.
    members = cast(type[enum.Enum], enum.Enum("ServiceName", {name: name for name in sorted(services)}))
    names = described_enum(
        "The services `eligibility` can be asked about.",
        {name: service.description for name, service in services.items()},
    )(members)

    async def eligibility(
        info: HubInfo, person_id: strawberry.ID, service: enum.Enum, item: str | None = None
    ) -> Eligibility | None:
        subject = parse_person_id(person_id, "personId")
        chosen = services.get(service.value)
        if chosen is None:  # an enum value of a service this schema no longer serves
            raise RabtError(Code.BAD_USER_INPUT, "service: not served here.", argument="service")
        key = _item_key(chosen, item)
        context = info.context
        acting_as = await context.require_write(subject, chosen.sector, allow=chosen.allow)
        context.gate.open(subject, chosen.sector, acting_as, {"eligibility"})
        blockers = await context.rules(chosen, subject, key)
        return Eligibility(allowed=not blockers, blockers=blockers)

    # Built at run time, so strawberry cannot read the enum from the source: set it.
    eligibility.__annotations__ = {
        "info": HubInfo,
        "person_id": PersonId,
        "service": Annotated[names, strawberry.argument(description="The service asked about.")],
        "item": Annotated[
            str | None,
            strawberry.argument(
                description=(
                    "For a service that acts on one thing of the person's, its number: a vehicle's sequence "
                    "number, a safety permit's number. Omitted for the others."
                )
            ),
        ],
        "return": Eligibility | None,
    }
    return {
        "eligibility": strawberry.field(
            eligibility,
            description=(
                "Whether `service` can be done for the person now, and every rule that blocks it. Asked "
                "by whoever may ask for the service itself (the person, a guardian or sponsor as the "
                "service allows, an officer of its sector); null with FORBIDDEN otherwise. A service that "
                "acts on one thing (a vehicle, a permit) needs its number in `item`, and no other takes one "
                "(BAD_USER_INPUT)."
            ),
        )
    }
