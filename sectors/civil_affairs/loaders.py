"""Civil affairs' declared loaders: one SELECT per loader per batch, each in a stated order."""

from __future__ import annotations

from sqlalchemy import case

from hub.contract import row_by, rows_by
from sectors.civil_affairs.models import (
    BirthRow,
    DeathRow,
    FamilyMemberRow,
    FamilyRegisterRow,
    IdCardRow,
    NationalAddressRow,
)
from sectors.civil_affairs.types import (
    BirthRecord,
    DeathRecord,
    FamilyMember,
    FamilyRegister,
    NationalAddress,
    NationalIdCard,
)

id_cards = IdCardRow.__table__
registers = FamilyRegisterRow.__table__
members = FamilyMemberRow.__table__
births = BirthRow.__table__
deaths = DeathRow.__table__
addresses = NationalAddressRow.__table__

# Head, then wives, then children: the order a printed family register follows.
_relation_rank = case({"head": 0, "wife": 1}, value=members.c.relation, else_=2)


id_cards_by_person = rows_by(NationalIdCard, id_cards, "person_id", order_by=[id_cards.c.version.desc()])
id_card_by_person = row_by(NationalIdCard, id_cards, "person_id", order_by=[id_cards.c.version.desc()])
membership_by_person = row_by(FamilyMember, members, "person_id", order_by=[members.c.register_number])
register_by_number = row_by(FamilyRegister, registers, "number", order_by=[registers.c.number])
members_by_register = rows_by(
    FamilyMember, members, "register_number", order_by=[_relation_rank, members.c.added_on, members.c.person_id]
)
birth_by_person = row_by(BirthRecord, births, "person_id", order_by=[births.c.person_id])
death_by_person = row_by(DeathRecord, deaths, "person_id", order_by=[deaths.c.person_id])
address_by_person = row_by(NationalAddress, addresses, "person_id", order_by=[addresses.c.person_id])
