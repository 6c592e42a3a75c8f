"""The access policy asked directly, on the seeded SQLite hub: relations both ways, a sector's
outage while relations are read, writes by role and scope, and what a request remembers."""

from __future__ import annotations

import pytest

from hub.access.policy import Access, required
from hub.contract import ActingAs
from hub.contract.errors import RabtError, SectorUnavailable
from hub.contract.population import DEMO_ESTABLISHMENT
from hub.contract.principal import Principal, Role
from hub.data.sectors import Fault, Stores
from tests.conftest import PERSONA, TODAY, Api, individual, officer

STRANGER = PERSONA["unpaid_violations"]  # no relation to family_head either way


def access(api: Api, principal: Principal, *, down: str | None = None, stores: bool = True) -> Access:
    """The policy as a request builds it, with `down`'s database switched off (RABT_FAULTS's `down`)."""
    hub = api.hub
    faults = {down: Fault("down")} if down else {}
    given = Stores(hub.db, hub.sectors, faults=faults) if stores else None
    sources = [(sector.name, source) for sector in hub.sectors for source in sector.relations]
    return Access(principal, hub.db, sources, lambda: TODAY, stores=given)


@pytest.mark.parametrize("stores", [True, False], ids=["stores", "reads"])
async def test_related_holds_either_way_round_and_only_between_relatives(sqlite_api: Api, stores: bool) -> None:
    policy = access(sqlite_api, individual("family_head"), stores=stores)
    head, child = PERSONA["family_head"], PERSONA["minor_child"]
    assert await policy.related(head, child)
    assert await policy.related(child, head)
    assert not await policy.related(head, STRANGER)
    assert not await policy.related(STRANGER, child)


@pytest.mark.parametrize("stores", [True, False], ids=["stores", "reads"])
async def test_a_guardian_is_granted_a_minors_sectors_through_either_way_of_reading(
    sqlite_api: Api, stores: bool
) -> None:
    policy = access(sqlite_api, individual("family_head"), stores=stores)
    assert await policy.grant(PERSONA["minor_child"], "traffic") is ActingAs.GUARDIAN
    assert await policy.grant(STRANGER, "traffic") is None


async def test_a_relation_read_during_an_outage_is_unavailable_where_it_could_open_the_sector(
    sqlite_api: Api,
) -> None:
    """Passports (the sponsor relation) down: a stranger's passports cannot be decided, their
    traffic records can (no passports relation opens them), and a guardian read from civil
    affairs, asked after passports, still grants."""
    policy = access(sqlite_api, individual("family_head"), down="passports")
    with pytest.raises(SectorUnavailable) as raised:
        await policy.grant(STRANGER, "passports")
    assert (raised.value.sector, raised.value.extensions["sector"]) == ("passports", "passports")
    assert await policy.grant(STRANGER, "traffic") is None
    assert await policy.grant(PERSONA["minor_child"], "passports") is ActingAs.GUARDIAN


async def test_related_says_which_sector_could_not_be_read(sqlite_api: Api) -> None:
    policy = access(sqlite_api, individual("family_head"), down="civil_affairs")
    with pytest.raises(SectorUnavailable) as raised:
        await policy.related(PERSONA["family_head"], PERSONA["minor_child"])
    assert raised.value.extensions["sector"] == "civil_affairs"


async def test_a_service_writes_only_a_sector_it_holds_the_write_scope_of(sqlite_api: Api) -> None:
    writer = Principal(Role.SERVICE, scopes=frozenset({"traffic:write", "passports"}))
    policy = access(sqlite_api, writer)
    allow = frozenset({ActingAs.SELF})
    assert await policy.require_write(STRANGER, "traffic", allow=allow) is ActingAs.SERVICE
    assert policy.write_grant(STRANGER, "traffic") is ActingAs.SERVICE
    assert policy.write_grant(STRANGER, "passports") is None
    with pytest.raises(RabtError) as raised:
        await policy.require_write(STRANGER, "passports", allow=allow)
    assert raised.value.extensions == {"code": "FORBIDDEN", "sector": "passports"}
    assert policy.write_grants() == {(STRANGER, "traffic"): ActingAs.SERVICE}


async def test_an_officer_writes_their_own_sector_only(sqlite_api: Api) -> None:
    policy = access(sqlite_api, officer("traffic"))
    allow = frozenset({ActingAs.SELF})
    assert await policy.require_write(STRANGER, "traffic", allow=allow) is ActingAs.OFFICER
    with pytest.raises(RabtError) as raised:
        await policy.require_write(STRANGER, "civil_defence", allow=allow)
    assert raised.value.extensions["sector"] == "civil_defence"


async def test_a_user_writes_their_establishments_own_record_only_where_the_mutation_allows_it(
    sqlite_api: Api,
) -> None:
    acting = Principal(Role.INDIVIDUAL, person_id=PERSONA["sponsor"], on_behalf_of=DEMO_ESTABLISHMENT)
    own = frozenset({ActingAs.ESTABLISHMENT})
    with pytest.raises(RabtError):
        await access(sqlite_api, acting).require_write(
            DEMO_ESTABLISHMENT, "passports", allow=frozenset({ActingAs.SELF})
        )
    policy = access(sqlite_api, acting)
    assert await policy.require_write(DEMO_ESTABLISHMENT, "passports", allow=own) is ActingAs.ESTABLISHMENT
    assert policy.write_grants() == {(DEMO_ESTABLISHMENT, "passports"): ActingAs.ESTABLISHMENT}
    claiming = Principal(Role.INDIVIDUAL, person_id=STRANGER, on_behalf_of=DEMO_ESTABLISHMENT)  # not its user
    with pytest.raises(RabtError):
        await access(sqlite_api, claiming).require_write(DEMO_ESTABLISHMENT, "passports", allow=own)
    with pytest.raises(RabtError):  # its user, not acting for it
        await access(sqlite_api, individual("sponsor")).require_write(DEMO_ESTABLISHMENT, "passports", allow=own)


def test_a_refusal_names_its_sector() -> None:
    assert required(ActingAs.SELF, "traffic") is ActingAs.SELF
    with pytest.raises(RabtError) as raised:
        required(None, "traffic")
    assert raised.value.extensions == {"code": "FORBIDDEN", "sector": "traffic"}


async def test_an_individual_without_a_person_reads_no_one(sqlite_api: Api) -> None:
    policy = access(sqlite_api, Principal(Role.INDIVIDUAL))
    assert policy.granted(STRANGER, "identity") is None
    assert await policy.grant(STRANGER, "identity") is None


def test_an_individuals_access_is_never_decided_by_role_alone(sqlite_api: Api) -> None:
    with pytest.raises(ValueError, match=r"^an individual's access depends on their relations: use grant\(\)$"):
        access(sqlite_api, individual("family_head")).grant_by_role("traffic")


async def test_a_forgotten_request_decides_again_from_the_relations(sqlite_api: Api) -> None:
    policy = access(sqlite_api, individual("family_head"))
    child = PERSONA["minor_child"]
    assert await policy.grant(child, "traffic") is ActingAs.GUARDIAN
    policy.forget()
    assert await policy.grant(child, "civil_affairs") is ActingAs.GUARDIAN
