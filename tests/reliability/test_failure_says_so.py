"""A sector that cannot be read says so (SECTOR_UNAVAILABLE, its name, retryable) while the rest
of the answer stands; identity unreadable is a 503, never a null person; a relation that cannot be
read fails an access decision closed, saying why. Both execution paths give the same answer.

The outages here are the fault switch's (`RABT_FAULTS`, `Stores.faults`), on the shared seeded hub;
tests/reliability/test_outage.py takes a real PostgreSQL cluster down."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from hub.api.operations import shipped_operations
from hub.data.sectors import Fault, parse_faults
from hub.settings import Settings, SettingsError
from tests.conftest import PERSONA, Api, individual, officer

HEADLINE = next(op.document for op in shipped_operations() if op.name == "PersonStatus")
WORKER = PERSONA["absconding_worker"]


@contextmanager
def faults(api: Api, text: str, *, budget: float | None = None) -> Iterator[None]:
    stores = api.hub.stores
    saved, saved_budget = dict(stores.faults), stores.budget
    stores.faults.clear()
    stores.faults.update(parse_faults(text))
    if budget is not None:
        stores.budget = budget
    try:
        yield
    finally:
        stores.faults.clear()
        stores.faults.update(saved)
        stores.budget = saved_budget


async def both_paths(api: Api, query: str, variables: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    """The general path's answer, after checking the compiled path (APQ) gives the same bytes."""
    general = await api.client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    digest = hashlib.sha256(query.encode()).hexdigest()
    persisted = {
        "query": query,
        "variables": variables,
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}},
    }
    compiled = await api.client.post("/graphql", json=persisted, headers=headers)
    assert compiled.status_code == general.status_code
    assert compiled.json() == general.json()
    return general


def codes(body: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(error["extensions"]["code"], error["extensions"].get("sector")) for error in body.get("errors", [])]


async def test_a_sector_down_answers_its_fields_unavailable_and_the_rest_of_the_query(api: Api) -> None:
    headers = api.headers(individual("absconding_worker"))
    with faults(api, "traffic=down"):
        response = await both_paths(api, HEADLINE, {"id": WORKER}, headers)
    body = response.json()
    assert response.status_code == 200
    assert codes(body) == [("SECTOR_UNAVAILABLE", "traffic")]
    assert body["errors"][0]["extensions"]["retryable"] is True
    assert body["errors"][0]["path"][:2] == ["person", "traffic"]
    person = body["data"]["person"]
    assert person["traffic"] is None or person["traffic"]["accidentReports"] is None
    assert person["id"] == WORKER and person["passports"]["iqama"]["status"] == "VALID"
    assert isinstance(person["civilDefence"]["incidentReports"], list)

    healthy = await both_paths(api, HEADLINE, {"id": WORKER}, headers)
    assert "errors" not in healthy.json()


async def test_a_sector_slower_than_its_budget_is_unavailable(api: Api) -> None:
    headers = api.headers(individual("absconding_worker"))
    with faults(api, "passports=delay:1s", budget=0.1):
        response = await api.client.post(
            "/graphql", json={"query": HEADLINE, "variables": {"id": WORKER}}, headers=headers
        )
    body = response.json()
    assert {code for code, _ in codes(body)} == {"SECTOR_UNAVAILABLE"}
    assert {sector for _, sector in codes(body)} == {"passports"}
    assert isinstance(body["data"]["person"]["traffic"]["accidentReports"], list)


async def test_identity_unreadable_is_a_503_never_an_unknown_person(api: Api) -> None:
    headers = api.headers(individual("absconding_worker"))
    with faults(api, "identity=down"):
        response = await both_paths(api, HEADLINE, {"id": WORKER}, headers)
    assert response.status_code == 503
    assert response.headers["retry-after"].isdigit()
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"] == {"code": "SERVICE_UNAVAILABLE", "retryable": True}


async def test_a_relation_that_cannot_be_read_fails_closed_and_says_which_sector(api: Api) -> None:
    """A father reads his minor child's traffic records through civil affairs' family register:
    civil affairs down, the answer is neither the records nor FORBIDDEN."""
    query = "query($id: ID!) { person(id: $id) { id traffic { accidentReports { reportNumber } } } }"
    headers = api.headers(individual("family_head"))
    variables = {"id": PERSONA["minor_child"]}
    granted = await both_paths(api, query, variables, headers)
    assert "errors" not in granted.json()

    with faults(api, "civil_affairs=down"):
        response = await both_paths(api, query, variables, headers)
    body = response.json()
    assert ("FORBIDDEN", "identity") not in codes(body) and ("FORBIDDEN", "traffic") not in codes(body)
    assert ("SECTOR_UNAVAILABLE", "civil_affairs") in codes(body)
    assert body["data"]["person"] is None or body["data"]["person"]["traffic"] is None


async def test_a_sector_switched_to_fail_fails_its_fields_alone(api: Api) -> None:
    headers = api.headers(individual("absconding_worker"))
    with faults(api, "civil_defence=error"):
        response = await api.client.post(
            "/graphql", json={"query": HEADLINE, "variables": {"id": WORKER}}, headers=headers
        )
    body = response.json()
    assert response.status_code == 200
    assert codes(body) == [("INTERNAL_ERROR", None)]
    assert body["errors"][0]["path"][:2] == ["person", "civilDefence"]
    assert body["data"]["person"]["passports"]["iqama"]["status"] == "VALID"


UPDATE = """mutation($input: UpdateNationalAddressInput!) {
  updateNationalAddress(input: $input) { __typename ... on NationalAddressUpdated { address { postalCode } } }
}"""
ADDRESS = {
    "buildingNumber": "2929",
    "streetAr": "طريق الملك فهد",
    "streetEn": "King Fahd Road",
    "districtAr": "العليا",
    "districtEn": "Al Olaya",
    "cityAr": "الرياض",
    "cityEn": "Riyadh",
    "postalCode": "12214",
    "additionalNumber": "7458",
    "shortAddress": "RRRD2929",
}


async def test_a_mutation_on_a_sector_down_is_unavailable_and_writes_nothing(api: Api) -> None:
    person = PERSONA["sponsor"]
    stored = text("SELECT postal_code FROM civil_affairs_national_addresses WHERE person_id = :id")
    before = await api.hub.db.fetch(stored, {"id": person})
    with faults(api, "civil_affairs=down"):
        response = await api.post(
            UPDATE, {"input": {**ADDRESS, "personId": person, "postalCode": "99999"}}, as_=officer("civil_affairs")
        )
    body = response.json()
    assert codes(body) == [("SECTOR_UNAVAILABLE", "civil_affairs")], body
    assert await api.hub.db.fetch(stored, {"id": person}) == before


def test_the_fault_switch_is_off_by_default_and_refused_in_production() -> None:
    assert Settings.from_env({}).faults == ""
    assert parse_faults("traffic=down, passports=delay:2s,civil_affairs=error") == {
        "traffic": Fault("down"),
        "passports": Fault("delay", 2.0),
        "civil_affairs": Fault("error"),
    }
    with pytest.raises(SettingsError, match="RABT_FAULTS"):
        Settings.from_env({"RABT_FAULTS": "traffic=down", "RABT_MODE": "production"})
    with pytest.raises(SettingsError, match="RABT_FAULTS"):
        Settings.from_env({"RABT_FAULTS": "traffic=sideways"})
