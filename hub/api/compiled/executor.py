"""Running a plan: the same gates, the same statements and the same response as the general path,
assembled without graphql-core's executor. The plan says which gates a document opens; the
request's `Gate` decides and opens them, as it does for the general path's resolvers.

Order of work:
1. root arguments: `parse_person_id` on each ID (an invalid ID, or more than `MAX_IDS`, steps aside);
   a subgraph's `_entities` takes its persons as the gateway names them, `{__typename: "Person", id}`
   (any other representation steps aside);
2. the identity gate decided for each distinct person found by ID (the caller's relations in one
   batch); an entity opens none, as `PersonCore.resolve_reference` makes it from its ID alone;
3. `person_by_id` for the persons the caller may see (an unknown ID is null, without error);
4. each selected namespace's gate decided for each known person and each entity;
5. one statement per loader, for the persons whose sector was granted;
6. the response in selection order, each gate opened (a refusal is the field null with the
   gate's error at the field's path).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from graphql import GraphQLError, located_error
from graphql.execution.values import VariableValues, get_argument_values

from hub.access.gate import Gate
from hub.api.compiled.plan import ENTITIES, PERSON, TYPENAME, Plan, RootField, Unplannable, language_argument
from hub.api.people import FOUND, MAX_IDS
from hub.contract import IDENTITY, IDENTITY_DETAILS, ActingAs, RabtError
from hub.contract.national_id import InvalidId, normalize_id
from hub.data.row_source import KeyBatch, ReadSession, Row, RowSource
from hub.identity.loaders import person_by_id
from hub.identity.types import DETAIL_FIELDS

_EMPTY: tuple[Row, ...] = ()


_normalized = lru_cache(maxsize=1 << 14)(normalize_id)  # pure: the same text gives the same ID (or error)


def _person_id(value: Any) -> str:
    try:
        return _normalized(value)
    except (InvalidId, AttributeError, TypeError):
        raise Unplannable("invalid ID") from None


def _group(rows: Sequence[Row]) -> dict[Any, list[Row]]:
    groups: dict[Any, list[Row]] = {}
    for row in rows:
        key = row[0]
        found = groups.get(key)
        if found is None:
            groups[key] = [row]
        else:
            found.append(row)
    return groups


async def execute(
    plan: Plan, variables: VariableValues, gate: Gate, rows: RowSource, read_at: dt.datetime
) -> tuple[dict[str, Any], list[GraphQLError]]:
    """The response's `data` and the errors (unsorted, unformatted); the reads are noted in the
    gate's audit batch. Raises `Unplannable` whenever the answer might differ from the general path's."""
    session = rows.session()
    try:
        return await _execute(plan, variables, gate, session, read_at)
    finally:
        await session.close()


async def _execute(
    plan: Plan, variables: VariableValues, gate: Gate, rows: ReadSession, read_at: dt.datetime
) -> tuple[dict[str, Any], list[GraphQLError]]:
    args = _slot_values(plan, variables)
    args.append(read_at)  # last: what `source { asOf }` tells (objects.SourceObject)
    asked = _asked(plan, variables)  # 1.
    subjects = list(dict.fromkeys(subject for root, ids in asked if root.kind != ENTITIES for subject in ids))
    # 2.–3. who may be seen, and who exists
    identity = dict(zip(subjects, await gate.decide_all([(s, IDENTITY) for s in subjects]), strict=True))
    records = await _known(rows, [subject for subject in subjects if identity[subject] is not None])
    grants = await _granted(gate, asked, subjects, records)  # 4.
    grouped = await _loaded(plan, rows, asked, grants)  # 5.

    # 6. the response, each gate opened
    errors: list[GraphQLError] = []
    data: dict[str, Any] = {}
    by_root = iter(asked)
    for root in plan.roots:
        if root.kind == TYPENAME:
            data[root.key] = root.value
            continue
        _, ids = next(by_root)
        assemble = _Assembler(root, gate, identity, records, grants, grouped, args, errors)
        if root.kind == PERSON:
            data[root.key] = assemble(ids[0], [root.key])
        else:
            data[root.key] = [assemble(subject, [root.key, index]) for index, subject in enumerate(ids)]
    return data, errors


def _slot_values(plan: Plan, variables: VariableValues) -> list[Any]:
    """The value of each argument slot of the plan: fixed in the document, or from a variable."""
    args: list[Any] = []
    for slot in plan.slots:
        if slot.variable:
            try:
                args.append(language_argument(get_argument_values(slot.definition, slot.node, variables)))
            except GraphQLError:
                raise Unplannable("argument value") from None
        else:
            args.append(slot.fixed)
    return args


def _asked(plan: Plan, variables: VariableValues) -> list[tuple[RootField, list[str]]]:
    """Each root field but `__typename`, with the IDs it asks for, parsed."""
    asked: list[tuple[RootField, list[str]]] = []
    for root in plan.roots:
        if root.kind == TYPENAME:
            continue
        try:
            values = get_argument_values(root.definition, root.node, variables)  # type: ignore[arg-type]
        except GraphQLError:
            raise Unplannable("argument value") from None
        if root.kind == PERSON:
            asked.append((root, [_person_id(values["id"])]))
        elif root.kind == ENTITIES:
            asked.append((root, _referenced(values["representations"], root.value)))
        else:
            ids = values["ids"]
            if len(ids) > MAX_IDS:
                raise Unplannable("too many IDs")
            asked.append((root, [_person_id(value) for value in ids]))
    return asked


def _referenced(representations: Any, person_type: str) -> list[str]:
    """The IDs of `_entities`' representations, each `{"__typename": person_type, "id": <ID>}` with
    the ID in its canonical form, as the gateway sends what the identity subgraph answered."""
    ids: list[str] = []
    for representation in representations:
        if type(representation) is not dict or len(representation) != 2:
            raise Unplannable("representation")
        subject = representation.get("id")
        if representation.get("__typename") != person_type or type(subject) is not str:
            raise Unplannable("representation")
        if _person_id(subject) != subject:
            raise Unplannable("representation's ID not canonical")
        ids.append(subject)
    return ids


async def _known(rows: ReadSession, visible: list[str]) -> dict[Any, Row]:
    """The identity records of the persons the caller may see (an unknown ID has none)."""
    records: dict[Any, Row] = {}
    if visible:
        (found,) = await rows.fetch([(person_by_id, visible)])
        for row in found:
            records.setdefault(row[0], row)
    return records


async def _granted(
    gate: Gate, asked: list[tuple[RootField, list[str]]], subjects: list[str], records: dict[Any, Row]
) -> dict[str, dict[str, ActingAs | None]]:
    """The gate of each selected namespace's sector, and of identity's details, decided for each
    known person."""
    asking: dict[str, dict[str, None]] = {}  # sector -> persons, in first-asked order
    if any(root.person is not None and root.person.identity_fields & DETAIL_FIELDS for root, _ in asked):
        asking[IDENTITY_DETAILS] = dict.fromkeys(subject for subject in subjects if subject in records)
    for root, ids in asked:
        assert root.person is not None
        referenced = root.kind == ENTITIES  # an entity is there: its ID is all `_entities` needs
        for namespace in root.person.namespaces:
            persons = asking.setdefault(namespace.sector, {})
            for subject in ids:
                if referenced or subject in records:
                    persons[subject] = None
    grants: dict[str, dict[str, ActingAs | None]] = {}
    for sector, persons in asking.items():
        decided = await gate.decide_all([(subject, sector) for subject in persons])
        grants[sector] = dict(zip(persons, decided, strict=True))
    if None in grants.get(IDENTITY_DETAILS, {}).values():
        raise Unplannable("identity details refused")  # the general path nulls those fields alone
    return grants


async def _loaded(
    plan: Plan,
    rows: ReadSession,
    asked: list[tuple[RootField, list[str]]],
    grants: dict[str, dict[str, ActingAs | None]],
) -> list[dict[Any, list[Row]]]:
    """One statement per loader, for the persons whose sector was granted: each loader's rows by key."""
    keys: list[dict[str, None]] = [{} for _ in plan.loads]
    for root, ids in asked:
        assert root.person is not None
        for namespace in root.person.namespaces:
            granted = grants[namespace.sector]
            chosen = [subject for subject in ids if granted.get(subject) is not None]
            for loaded in namespace.loaded:
                keys[loaded.loads_index].update(dict.fromkeys(chosen))
    batches: list[KeyBatch] = []
    fetched_index: list[int] = []
    for index, loads in enumerate(plan.loads):
        if keys[index]:
            batches.append((loads, list(keys[index])))
            fetched_index.append(index)
    grouped: list[dict[Any, list[Row]]] = [{} for _ in plan.loads]
    if batches:
        for index, found in zip(fetched_index, await rows.fetch(batches), strict=True):
            grouped[index] = _group(found)
    return grouped


class _Assembler:
    """One root field's persons: their objects, each person's gates opened."""

    def __init__(
        self,
        root: RootField,
        gate: Gate,
        identity: dict[str, ActingAs | None],
        records: dict[Any, Row],
        grants: dict[str, dict[str, ActingAs | None]],
        grouped: list[dict[Any, list[Row]]],
        args: list[Any],
        errors: list[GraphQLError],
    ) -> None:
        plan = root.person
        assert plan is not None
        self.root, self.plan, self.gate, self.identity, self.records = root, plan, gate, identity, records
        self.args, self.errors = args, errors
        self.grouped = grouped
        self.namespaces = [(namespace, grants[namespace.sector]) for namespace in plan.namespaces]
        self.recognise = plan.identity_fields - DETAIL_FIELDS
        self.found = FOUND | self.recognise  # the same audit note as opening identity for each in turn
        self.details = plan.identity_fields & DETAIL_FIELDS
        self.details_granted = grants.get(IDENTITY_DETAILS, {})
        self.referenced = root.kind == ENTITIES

    def __call__(self, subject: str, path: list[Any]) -> dict[str, Any] | None:
        gate = self.gate
        record: Row | None = None
        acting_as: ActingAs | None = None
        if not self.referenced:  # found by ID: the identity gate first (`_visible_person`)
            record = self.records.get(subject)  # a person the caller may not see has none
            opened = FOUND if record is None else self.found  # once for finding and recognising a known person
            try:
                acting_as = gate.open(subject, IDENTITY, self.identity[subject], opened)
            except RabtError as refusal:
                self.errors.append(located_error(refusal, [self.root.node], path))  # type: ignore[list-item]
                return None
            if record is None:
                return None
        args, grouped = self.args, self.grouped
        extra: list[Any] = [subject]
        for namespace, granted_by_person in self.namespaces:
            try:
                gate.open(subject, namespace.sector, granted_by_person[subject], namespace.audit_fields)
            except RabtError as refusal:
                self.errors.append(located_error(refusal, [namespace.node], [*path, namespace.key]))
                extra.append(None)
            else:
                extra.append(namespace.build(subject, args, grouped))
        if self.recognise and self.referenced:
            gate.open(subject, IDENTITY, acting_as, self.recognise)
        if self.details:
            gate.open(subject, IDENTITY_DETAILS, self.details_granted[subject], self.details)
        return self.plan.build(record, args, extra)
