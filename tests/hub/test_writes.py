"""Whom a write is audited for, and the write that may not commit: one without any write grant."""

from __future__ import annotations

import pytest

from hub.api.writes import UngrantedWrite, write_of
from hub.contract import ActingAs
from hub.contract.principal import Principal, Role
from hub.data.sectors import Writing

SELLER, BUYER, OFFICER = "1010000014", "1020000013", "1000000008"


def test_a_write_names_its_person_first_then_every_party_in_the_callers_capacity() -> None:
    writing = Writing("traffic", SELLER, "transferVehicleOwnership")
    write = write_of(
        writing, {BUYER: None}, {(SELLER, "traffic"): ActingAs.SELF}, Principal(Role.INDIVIDUAL, person_id=SELLER)
    )
    assert (write.subject_id, write.sector, write.acting_as) == (SELLER, "traffic", "self")
    assert write.others == ((BUYER, "traffic", ActingAs.PARTY.value),)


def test_an_officers_write_names_every_party_as_the_officer() -> None:
    writing = Writing("traffic", SELLER, "transferVehicleOwnership")
    grants = {(SELLER, "traffic"): ActingAs.OFFICER}
    write = write_of(writing, {BUYER: None}, grants, Principal(Role.OFFICER, person_id=OFFICER, sector="traffic"))
    assert write.others == ((BUYER, "traffic", "officer"),)


def test_a_write_without_any_write_grant_is_refused_rather_than_committed_unaudited() -> None:
    writing = Writing("traffic", SELLER, "transferVehicleOwnership")
    with pytest.raises(UngrantedWrite):
        write_of(writing, {BUYER: None}, {}, Principal(Role.INDIVIDUAL, person_id=BUYER))
