"""Composition: one strawberry schema from the hub's fields and the enabled sectors' fields.

The same `Person` class serves every shape; a schema exposes only the fields of the sectors it
serves (`get_fields`), so the in-process hub and each federation subgraph come from one source.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import strawberry
from strawberry.federation import Schema as FederationSchema
from strawberry.types.base import StrawberryObjectDefinition, get_object_definition
from strawberry.types.field import StrawberryField

from hub.accounts.mutations import mutation_fields as account_mutation_fields
from hub.api import access_log
from hub.api import people as identity_queries
from hub.api.eligibility import eligibility_fields
from hub.api.notifications import subscription_fields
from hub.api.person import Person
from hub.api.statistics import statistics_fields
from hub.api.subjects import gate_subjects
from hub.audit.mutations import AuditedMutation
from hub.contract import Sector
from hub.contract.direct import resolve_directly

FEDERATION_VERSION: Final = "2.9"  # both Apollo's and The Guild's composers accept it; strawberry defaults newer


def _object(name: str, fields: Mapping[str, StrawberryField], description: str) -> type[Any]:
    if not fields:
        raise ValueError(f"{name} needs at least one field")
    cls = type(name, (), {**fields, "__module__": __name__})
    return strawberry.type(cls, name=name, description=description)


def _merge(groups: Iterable[tuple[str, Mapping[str, StrawberryField]]]) -> dict[str, StrawberryField]:
    # strawberry keys fields by Python name and silently keeps one of two alike: refuse instead.
    merged: dict[str, StrawberryField] = {}
    for owner, fields in groups:
        for name, field in fields.items():
            if name in merged:
                raise ValueError(f"root field {name!r} of {owner} is defined twice")
            merged[name] = field
    return merged


def _audited(sector: Sector) -> Mapping[str, StrawberryField]:
    fields = sector.mutation_fields()
    for field in fields.values():
        field.extensions.append(AuditedMutation(sector.name))
    return fields


class _RabtSchemaMixin:
    """Shows only the schema's own sectors' namespace fields on `Person`. (Errors are logged by
    the endpoint, `hub.api.answers.format_error`, with the request's id: it runs documents through
    graphql-core itself, `hub.api.execution`, never through `Schema.execute`.)"""

    _person_fields: frozenset[str]

    def get_fields(self, type_definition: StrawberryObjectDefinition) -> list[StrawberryField]:
        if type_definition.name == "Person":
            return [field for field in type_definition.fields if field.python_name in self._person_fields]
        return type_definition.fields


class HubSchema(_RabtSchemaMixin, strawberry.Schema):
    """The all-in-one hub: a plain GraphQL schema, no federation plumbing (`_entities`, `_service`)
    for front ends to see. `Person` keeps its `@key(fields: "id")`: one Person class serves every
    shape, and the key tells readers what identifies a person."""

    def __init__(self, *, person_fields: frozenset[str], **options: Any) -> None:
        self._person_fields = person_fields
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Federation directive found", UserWarning)
            super().__init__(**options)


class SubgraphSchema(_RabtSchemaMixin, FederationSchema):
    """One Apollo Federation v2 subgraph, pinned to a version both major composers accept."""

    def __init__(self, *, person_fields: frozenset[str], **options: Any) -> None:
        self._person_fields = person_fields
        super().__init__(federation_version=FEDERATION_VERSION, **options)


RabtSchema = HubSchema | SubgraphSchema


def _core_person_fields() -> set[str]:
    return {
        field.python_name
        for field in get_object_definition(Person, strict=True).fields
        if not field.python_name.startswith("_sector_")
    }


IDENTITY_SUBGRAPH = "identity"


def build_schema(
    sectors: Sequence[Sector],
    *,
    hub_query: Mapping[str, StrawberryField] | None = None,
    hub_mutation: Mapping[str, StrawberryField] | None = None,
    identity: bool = True,
    federated: bool = False,
    statistics_key: bytes | None = None,
    services: Sequence[Sector] | None = None,
) -> RabtSchema:
    """A schema serving the identity registry (when `identity`) and the given sectors; with it
    `eligibility` for the services of `services` (default: those sectors').

    The in-process hub is identity plus every enabled sector; a federation subgraph is either
    identity alone or one sector alone, where `Person` carries only its `id` and that sector's
    namespace field and the gateway fetches the rest from the other subgraphs.
    """
    own_query = (
        [
            ("identity", identity_queries.fields()),
            ("access log", access_log.fields()),
            ("statistics", statistics_fields(sectors, statistics_key)),
            ("eligibility", eligibility_fields(sectors if services is None else services)),
            ("hub", hub_query or {}),
        ]
        if identity
        else []
    )
    own_mutation = [("hub", hub_mutation or {})] if identity else []
    # Pushed over WebSocket by the all-in-one hub; the gateway does not carry them (docs/api.md).
    subscription = subscription_fields() if identity and not federated else {}
    query = _merge(own_query + [(sector.name, sector.query_fields()) for sector in sectors])
    mutation = _merge(own_mutation + [(sector.name, _audited(sector)) for sector in sectors])
    person_fields = (_core_person_fields() if identity else {"id"}) | {f"_sector_{s.name}" for s in sectors}
    schema_class = SubgraphSchema if federated else HubSchema
    schema = schema_class(
        person_fields=frozenset(person_fields),
        query=_object("Query", query, "Read Rabt: people and their records across sectors.") if query else None,
        mutation=_object("Mutation", mutation, "Change Rabt: every mutation is atomic.") if mutation else None,
        subscription=(
            _object("Subscription", subscription, "Hear of Rabt: what happens to you, as it happens.")
            if subscription
            else None
        ),
        types=[Person],
    )
    resolve_directly(schema._schema)
    gate_subjects(schema._schema)
    return schema


def schema_for(sectors: Sequence[Sector], subgraph: str | None, statistics_key: bytes | None = None) -> RabtSchema:
    """The hub's schema, or a subgraph's; `statistics_key` keys the statistics' perturbation (a
    schema built only to print its SDL needs none)."""
    if subgraph is None:
        return build_schema(sectors, hub_mutation=account_mutation_fields(), statistics_key=statistics_key)
    if subgraph == IDENTITY_SUBGRAPH:
        # Identity answers `eligibility` for every sector's services: it decides who may ask and
        # audits the question, and asks each service's own subgraph for the blockers.
        return build_schema(
            [],
            federated=True,
            hub_mutation=account_mutation_fields(),
            statistics_key=statistics_key,
            services=sectors,
        )
    served = [sector for sector in sectors if sector.name == subgraph]
    if not served:
        raise ValueError(f"no enabled sector or subgraph named {subgraph!r}")
    return build_schema(served, identity=False, federated=True)
