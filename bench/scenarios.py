"""What the bench asks, as whom, and for which people.

Every scenario is a list of HTTP calls that the load generator cycles through: the hub's and the
floor's calls of one data shape name the same IDs in the same order, so the floor's figure R is
for exactly the same data.

Callers (tokens are minted here with the secret the bench hands to the server processes):
- the headline query for one person is asked by that person (an individual reading their own
  records: the access policy decides SELF without touching the database);
- `people(ids:)` for 100 people is asked by a service principal scoped to every sector the
  selection reads (identity, passports, traffic, civil defence; civil affairs too, harmlessly),
  with an `X-Purpose`: an officer only sees their own sector and identity, and an individual
  only themself and their relations;
- the mutation, civil defence's `reportIncident`, is sent by a civil defence officer for a
  different person each time (see `mutation_calls`).

The two reads run twice, on the same hub process: as plain query text, which the general path
answers (strawberry, resolvers, DataLoaders) until the hub has seen the text a few times and plans
it, and as Apollo automatic persisted queries (the sha256 alone, after one registration), which
the compiled path answers at once (hub/compiled). The mutation is sent as plain text: the compiled
path plans only queries.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import orjson
from graphql import FieldNode, OperationDefinitionNode, parse, print_ast

from bench.compiled import persisted_bodies
from hub.access.tokens import TokenIssuer
from hub.contract.principal import Principal, Role

OPERATIONS = Path(__file__).resolve().parents[1] / "hub" / "api" / "operations"
PURPOSE = "rabt bench"
TOKEN_TTL = dt.timedelta(hours=6)
BATCH = 100
BENCH_DESCRIPTION = "rabt bench: synthetic load, safe to delete"
"""Marks the incident reports the mutation scenario writes, so the bench can delete them after."""

SERVICE = Principal(
    Role.SERVICE,
    client="bench",
    scopes=frozenset({"identity", "passports", "traffic", "civil_affairs", "civil_defence"}),
)
CIVIL_DEFENCE_OFFICER = Principal(Role.OFFICER, person_id="1000000008", sector="civil_defence")

HEADLINE = "headline"
PEOPLE = "people"
MUTATION = "mutation"

GENERAL = "general"  # plain query text: the general path, then its plan once seen often enough
COMPILED = "compiled"  # APQ hash alone: the compiled path
UNAUDITED = "hub-unaudited"
"""The server of the reference rows (`--unaudited`): a second hub process whose audit appends
nothing (bench.servers.unaudited_hub_app), asked the compiled rows' calls."""
HUBS = ("hub", UNAUDITED)  # the servers that are hub processes


@dataclass(frozen=True)
class Call:
    """One HTTP request: POST `path` with a JSON `body`."""

    path: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Scenario:
    name: str
    shape: str  # HEADLINE, PEOPLE or MUTATION: which floor R its ratio is taken against
    server: str  # "hub" (the hub or the gateway), "floor", "floor-core" or UNAUDITED
    calls: tuple[Call, ...]
    ok_marker: bytes | None = None  # a response body without it counts as refused (not as an error)
    path: str | None = None  # GENERAL or COMPILED for the hub's rows; None for floors and the gateway
    setup: tuple[Call, ...] = ()  # sent once before the load, unmeasured (the APQ registration)


@cache
def person_status() -> str:
    return (OPERATIONS / "PersonStatus.graphql").read_text(encoding="utf-8")


@cache
def people_status() -> str:
    """`people(ids:)` with exactly the selection of the headline query's `person(id:)`."""
    document = parse(person_status())
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    person = next(s for s in operation.selection_set.selections if isinstance(s, FieldNode))
    assert person.selection_set is not None
    return "query PeopleStatusBench($ids: [ID!]!) {\n  people(ids: $ids) " + print_ast(person.selection_set) + "\n}\n"


REPORT_INCIDENT = """mutation ReportIncidentBench($input: ReportIncidentInput!) {
  reportIncident(input: $input) {
    __typename
    ... on IncidentReported { report { reference kind status reportedOn { gregorian hijri } } }
    ... on Refusal { code }
  }
}
"""


def _auth(signer: TokenIssuer, principal: Principal) -> tuple[tuple[str, str], ...]:
    headers = [("authorization", f"Bearer {signer.issue(principal, ttl=TOKEN_TTL)}")]
    if principal.role in (Role.OFFICER, Role.SERVICE):
        headers.append(("x-purpose", PURPOSE))
    return tuple(headers)


def _graphql(document: str, variables: dict[str, object], operation: str) -> bytes:
    return orjson.dumps({"query": document, "variables": variables, "operationName": operation})


def batches(sample: Sequence[str], size: int = BATCH) -> list[list[str]]:
    """Windows of `size` different people taken round the sample (it wraps when short)."""
    count = max(1, len(sample) // size)
    ring = itertools.cycle(sample)
    return [[next(ring) for _ in range(size)] for _ in range(count)]


def headline_calls(signer: TokenIssuer, sample: Sequence[str]) -> tuple[Call, ...]:
    document = person_status()
    return tuple(
        Call(
            "/graphql",
            _graphql(document, {"id": pid}, "PersonStatus"),
            _auth(signer, Principal(Role.INDIVIDUAL, person_id=pid)),
        )
        for pid in sample
    )


def people_calls(signer: TokenIssuer, sample: Sequence[str]) -> tuple[Call, ...]:
    document, headers = people_status(), _auth(signer, SERVICE)
    return tuple(
        Call("/graphql", _graphql(document, {"ids": ids}, "PeopleStatusBench"), headers) for ids in batches(sample)
    )


def mutation_calls(signer: TokenIssuer, everyone: Sequence[str]) -> tuple[Call, ...]:
    """`reportIncident` really writes (an incident report, then the audit record) and stays
    repeatable: a person may have at most 3 unclosed reports, so the calls rotate over the whole
    population (10,000 people give 30,000 writes before refusals start, far more than a run sends)
    and the bench deletes the reports it wrote after each run. The cheap alternatives do not
    measure a write: `issueExitReentryVisa` refusals write nothing, and a traffic objection can be
    filed once per violation."""
    headers = _auth(signer, CIVIL_DEFENCE_OFFICER)
    return tuple(
        Call(
            "/graphql",
            _graphql(
                REPORT_INCIDENT,
                {
                    "input": {
                        "personId": pid,
                        "kind": "FIRE",
                        "city": "Riyadh",
                        "district": "Al Olaya",
                        "description": BENCH_DESCRIPTION,
                    }
                },
                "ReportIncidentBench",
            ),
            headers,
        )
        for pid in everyone
    )


def persisted(calls: Sequence[Call]) -> tuple[tuple[Call, ...], tuple[Call, ...]]:
    """The same calls as Apollo's automatic persisted queries: (the registrations, one per distinct
    document, sent once; the calls with the sha256 alone, sent under load)."""
    registrations: dict[bytes, Call] = {}
    hashes: list[Call] = []
    for call in calls:
        register, hash_only = persisted_bodies(call.body)
        document = orjson.loads(call.body)["query"].encode()
        registrations.setdefault(document, Call(call.path, register, call.headers))
        hashes.append(Call(call.path, hash_only, call.headers))
    return tuple(registrations.values()), tuple(hashes)


def persisted_documents(scenarios: Sequence[Scenario]) -> list[str]:
    """The documents the compiled scenarios register (what each hub worker must know)."""
    return list(dict.fromkeys(orjson.loads(call.body)["query"] for s in scenarios for call in s.setup))


def floor_person_calls(sample: Sequence[str]) -> tuple[Call, ...]:
    return tuple(Call("/person", orjson.dumps({"id": pid})) for pid in sample)


def floor_people_calls(sample: Sequence[str]) -> tuple[Call, ...]:
    return tuple(Call("/people", orjson.dumps({"ids": ids})) for ids in batches(sample))


def build(
    signer: TokenIssuer, sample: Sequence[str], everyone: Sequence[str], hub_label: str, *, unaudited: bool = False
) -> list[Scenario]:
    """The scenarios in the order they run: each floor next to the hub figures it is the floor of.

    For the hub (`hub_label` "hub"), each read comes twice, general and compiled path; the runner
    drops what `--compiled` leaves out. With `unaudited`, a third time: the compiled calls sent to
    the reference hub that appends no audit record, so one run says what the append costs. Behind
    the gateway every subgraph receives plain text from Hive Gateway, answered from a plan once a
    document has been seen RABT_PLAN_TEXT_AFTER times: one row per read."""
    person, people = headline_calls(signer, sample), people_calls(signer, sample)
    person_marker, people_marker = b'"data":{"person":{', b'"data":{"people":['

    def reads(shape: str, title: str, calls: tuple[Call, ...], marker: bytes) -> list[Scenario]:
        if hub_label != "hub":
            return [Scenario(f"{hub_label}: {title}", shape, "hub", calls, ok_marker=marker)]
        registrations, hashes = persisted(calls)
        compiled = Scenario(
            f"hub ({COMPILED}): {title}", shape, "hub", hashes, ok_marker=marker, path=COMPILED, setup=registrations
        )
        reference = dataclasses.replace(compiled, name=f"hub ({COMPILED}, no audit append): {title}", server=UNAUDITED)
        return [
            Scenario(f"hub ({GENERAL}): {title}", shape, "hub", calls, ok_marker=marker, path=GENERAL),
            compiled,
            *([reference] if unaudited else []),
        ]

    return [
        Scenario("R: 1 person, driver", HEADLINE, "floor", floor_person_calls(sample)),
        Scenario("R: 1 person, SQLAlchemy Core", HEADLINE, "floor-core", floor_person_calls(sample)),
        *reads(HEADLINE, "person (PersonStatus)", person, person_marker),
        Scenario(f"R: {BATCH} people, driver", PEOPLE, "floor", floor_people_calls(sample)),
        Scenario(f"R: {BATCH} people, SQLAlchemy Core", PEOPLE, "floor-core", floor_people_calls(sample)),
        *reads(PEOPLE, f"people(ids:) x{BATCH}", people, people_marker),
        Scenario(
            f"{hub_label}: mutation reportIncident",
            MUTATION,
            "hub",
            mutation_calls(signer, everyone),
            ok_marker=b'"IncidentReported"',
            path=GENERAL if hub_label == "hub" else None,
        ),
    ]


def spread(ids: Sequence[str], count: int) -> list[str]:
    """`count` IDs evenly spread over the sorted population (all kinds of people, deterministic)."""
    if count >= len(ids):
        return list(ids)
    step = len(ids) / count
    return [ids[int(index * step)] for index in range(count)]
