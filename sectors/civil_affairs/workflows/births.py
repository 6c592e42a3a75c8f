"""Registering a citizen's newborn: the child gets a national ID, a birth record and an entry in the
family register, in one transaction."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types.field import StrawberryField

from hub.contract import (
    CalendarDate,
    Info,
    Kind,
    NewPerson,
    NoticeKind,
    PersonRef,
    Refusal,
    Sex,
    answer_or_refusal,
    idempotency_key,
    parse_person_id,
    person_ref,
    refusals,
    resolver_field,
    serve,
)
from sectors.civil_affairs.models import BirthRow, FamilyMemberRow, FamilyRegisterRow
from sectors.civil_affairs.services import REGISTER_NEWBORN
from sectors.civil_affairs.workflows.text import bad, text

_refusal = refusals(
    {
        "REGISTRATION_WINDOW_CLOSED": (
            "A birth is registered online within 30 days; a later one is registered at a civil affairs office, "
            "where the late-registration fine is paid.",
            "يسجل المولود إلكترونياً خلال 30 يوماً من ولادته؛ وبعدها يسجل في مكتب الأحوال المدنية مع دفع غرامة التأخير.",
        ),
        "MOTHER_NOT_IN_REGISTER": (
            "The mother must be a wife in the father's family register.",
            "يجب أن تكون الأم زوجة مقيدة في سجل أسرة الأب.",
        ),
    }
)


@strawberry.input(
    description="Register a citizen's newborn: the child gets a national ID and joins the family register."
)
class RegisterNewbornInput:
    person_id: strawberry.ID = strawberry.field(
        description="The registering parent's national ID: the father (the register's head) or the mother."
    )
    mother_id: strawberry.ID | None = strawberry.field(
        default=None, description="The mother's national ID, when the father registers; omitted when she does."
    )
    name_ar: str = strawberry.field(description="The child's full name in Arabic letters (2 to 120 characters).")
    name_en: str = strawberry.field(description="The child's full name in Latin letters (2 to 120 characters).")
    sex: Sex = strawberry.field(description="Male or female.")
    born_on: dt.date = strawberry.field(description="The day of birth: today or up to 30 days before.")
    city_ar: str = strawberry.field(description="The city of birth, in Arabic letters (at most 40 characters).")
    city_en: str = strawberry.field(description="The city of birth, in Latin letters (at most 40 characters).")
    idempotency_key: str | None = idempotency_key()


RegisterNewbornArgument = Annotated[
    RegisterNewbornInput,
    strawberry.argument(
        description=(
            "The registering parent's ID (the mother's too, when the father registers), and the child's names, "
            "sex, day and city of birth."
        )
    ),
]


@strawberry.type(
    description="The birth is registered: the child has a national ID and an entry in the family register."
)
class NewbornRegistered:
    national_id: strawberry.ID = strawberry.field(
        description="The child's new national ID (10 digits, starting with 1)."
    )
    register_number: str = strawberry.field(description="The family register the child was entered in.")
    born_on: CalendarDate = strawberry.field(description="The day of birth.")

    @resolver_field(description="The child, as a person (their parents read everything of them as guardians).")
    def child(self) -> PersonRef | None:
        return person_ref(self.national_id)


NEWBORN_WINDOW = dt.timedelta(days=30)
"""Births are registered within 30 days (docs/domain.md §1.4); later ones at an office, with a fine."""


def _newborn_values(data: RegisterNewbornInput, today: dt.date) -> dict[str, Any]:
    if data.born_on > today:
        raise bad("input.bornOn", "not after today")
    return dict(
        name_ar=text(data.name_ar, "input.nameAr", arabic=True, limit=120),
        name_en=text(data.name_en, "input.nameEn", arabic=False, limit=120),
        city_ar=text(data.city_ar, "input.cityAr", arabic=True, limit=40),
        city_en=text(data.city_en, "input.cityEn", arabic=False, limit=40),
    )


async def register_newborn(info: Info, input: RegisterNewbornArgument) -> NewbornRegistered | Refusal:
    person_id = parse_person_id(input.person_id, "input.personId")
    mother_id = None if input.mother_id is None else parse_person_id(input.mother_id, "input.motherId")
    context = info.context
    today = context.today()
    child = _newborn_values(input, today)

    async def register(session: AsyncSession) -> NewbornRegistered | Refusal:
        if today - input.born_on > NEWBORN_WINDOW:
            return _refusal("REGISTRATION_WINDOW_CLOSED")
        register = (
            await session.execute(
                select(FamilyRegisterRow.number, FamilyRegisterRow.head_id, FamilyMemberRow.relation)
                .join(FamilyMemberRow, FamilyMemberRow.register_number == FamilyRegisterRow.number)
                .where(FamilyMemberRow.person_id == person_id)
            )
        ).one()
        mother = person_id if register.relation == "wife" else mother_id
        wife = await session.scalar(
            select(FamilyMemberRow.person_id).where(
                FamilyMemberRow.person_id == mother,
                FamilyMemberRow.register_number == register.number,
                FamilyMemberRow.relation == "wife",
            )
        )
        if wife is None:
            return _refusal("MOTHER_NOT_IN_REGISTER")
        born = NewPerson(Kind.CITIZEN, child["name_ar"], child["name_en"], input.sex.value, input.born_on, "SAU")
        national_id = await context.register_person(session, born)
        context.touches(register.head_id, wife)  # both parents: the birth record names them
        relation = "son" if input.sex is Sex.MALE else "daughter"
        session.add(
            FamilyMemberRow(person_id=national_id, register_number=register.number, relation=relation, added_on=today)
        )
        session.add(
            BirthRow(
                person_id=national_id,
                born_on=input.born_on,
                country="SAU",
                city_ar=child["city_ar"],
                city_en=child["city_en"],
                father_id=register.head_id,
                mother_id=mother,
            )
        )
        context.notify(
            "civil_affairs",
            person_id,
            NoticeKind.SERVICE_COMPLETED,
            f"The birth is registered: the child's national ID is {national_id}.",
            f"سُجل المولود، ورقم هويته الوطنية {national_id}.",
        )
        return NewbornRegistered(
            national_id=strawberry.ID(national_id),
            register_number=register.number,
            born_on=CalendarDate(gregorian=input.born_on),
        )

    return await serve(context, REGISTER_NEWBORN, person_id, input, NewbornRegistered, register)


def fields() -> dict[str, StrawberryField]:
    return {
        "register_newborn": strawberry.mutation(
            register_newborn,
            graphql_type=answer_or_refusal(
                "RegisterNewbornResult", NewbornRegistered, "The registered child, or why the birth was not registered."
            ),
            description=(
                "Register a citizen's newborn: by the father (head of the family register) or the mother (a wife "
                "in it), or a civil affairs officer. The child gets a national ID, a birth record and an entry in "
                "the register, at once. Refused with every rule that blocks it (as eligibility(service: "
                "REGISTER_NEWBORN)), then REGISTRATION_WINDOW_CLOSED for a birth more than 30 days ago or "
                "MOTHER_NOT_IN_REGISTER when the mother is not a wife in the register."
            ),
        ),
    }
