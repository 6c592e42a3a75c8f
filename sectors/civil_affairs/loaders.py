"""Civil affairs' per-request loaders: one SELECT per loader per batch, each in a stated order."""

from __future__ import annotations

from sqlalchemy import case

from hub.contract import Reads, RowByKey, RowsByKey
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


class CivilAffairsLoaders:
    def __init__(self, reads: Reads) -> None:
        self.id_cards_by_person: RowsByKey[str, NationalIdCard] = RowsByKey(
            reads, NationalIdCard, id_cards, "person_id", order_by=[id_cards.c.version.desc()]
        )
        self.membership_by_person: RowByKey[str, FamilyMember] = RowByKey(
            reads, FamilyMember, members, "person_id", order_by=[members.c.register_number]
        )
        self.register_by_number: RowByKey[str, FamilyRegister] = RowByKey(
            reads, FamilyRegister, registers, "number", order_by=[registers.c.number]
        )
        self.members_by_register: RowsByKey[str, FamilyMember] = RowsByKey(
            reads,
            FamilyMember,
            members,
            "register_number",
            order_by=[_relation_rank, members.c.added_on, members.c.person_id],
        )
        self.birth_by_person: RowByKey[str, BirthRecord] = RowByKey(
            reads, BirthRecord, births, "person_id", order_by=[births.c.person_id]
        )
        self.death_by_person: RowByKey[str, DeathRecord] = RowByKey(
            reads, DeathRecord, deaths, "person_id", order_by=[deaths.c.person_id]
        )
        self.address_by_person: RowByKey[str, NationalAddress] = RowByKey(
            reads, NationalAddress, addresses, "person_id", order_by=[addresses.c.person_id]
        )
