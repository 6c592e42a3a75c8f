"""The establishments a person may act for (`person { passports { establishments } }`): their
authorisations active today, from the day each was granted, as the policy reads them on every
request acting for one.

They are the person's own passports data in a group of their own, `passports:establishments`: the
person, a passports officer or a service scoped `passports` reads them, and a guardian; a sponsor,
whose relation opens only `passports`, does not learn which companies their worker acts for."""

from __future__ import annotations

import dataclasses
import datetime as dt

import strawberry

from hub.contract import CalendarDate, Info, of_person, rows_by
from sectors.passports.establishments.fields import establishment_by_number
from sectors.passports.models import EstablishmentUserRow

GROUP = "passports:establishments"

_users = EstablishmentUserRow.__table__


@dataclasses.dataclass
class _Authorisation:
    establishment_number: str
    granted_on: dt.date


authorisations_by_person = rows_by(
    _Authorisation,
    _users,
    "person_id",
    order_by=[_users.c.establishment_number],
    where=_users.c.status == "active",
)
"""A person's active authorisations, by unified number."""


@of_person(GROUP)
@strawberry.type(description="An establishment this person may act for (X-On-Behalf-Of), and since when.")
class EstablishmentAuthorisation:
    unified_number: strawberry.ID = strawberry.field(
        description="The establishment's unified number: send it as X-On-Behalf-Of to act for it."
    )
    name_ar: str = strawberry.field(description="Its name, in Arabic.")
    name_en: str = strawberry.field(description="Its name, in English.")
    granted_on: CalendarDate = strawberry.field(description="The day the authorisation was granted.")
    person_id: strawberry.Private[str]


async def establishments_of(info: Info, person_id: str) -> list[EstablishmentAuthorisation]:
    """The person's authorisations that hold today, by unified number."""
    today: dt.date = info.context.today()
    held = [
        found for found in await info.context.load(authorisations_by_person, person_id) if found.granted_on <= today
    ]
    answer = []
    for authorisation in held:
        establishment = await info.context.load(establishment_by_number, authorisation.establishment_number)
        if establishment is not None:
            answer.append(
                EstablishmentAuthorisation(
                    unified_number=strawberry.ID(establishment.unified_number),
                    name_ar=establishment.name_ar,
                    name_en=establishment.name_en,
                    granted_on=CalendarDate(gregorian=authorisation.granted_on),
                    person_id=person_id,
                )
            )
    return answer
