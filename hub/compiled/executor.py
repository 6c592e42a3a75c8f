"""Running a plan: the same access decisions, the same statements, the same audit notes and the
same response as the general path, assembled without graphql-core's executor.

Order of work, as the general path does it:
1. root arguments: `parse_person_id` on each ID (an invalid ID, or more than `MAX_IDS`, steps aside);
2. `Access.grant(person, "identity")` for each distinct person (the caller's relations in one batch);
3. `person_by_id` for the persons the caller may see (an unknown ID is null, without error);
4. `Access.grant(person, sector)` for each known person and namespace selected; a refusal is that
   namespace null with the FORBIDDEN error the namespace resolver raises, at the same path;
5. one statement per loader, for the persons whose sector was granted;
6. the response in selection order, and the audit notes `identity_field` and the namespace resolver
   make (identity: one field name per identity field read; a namespace: its direct sub-fields).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from graphql import GraphQLError, located_error
from graphql.execution.values import VariableValues, get_argument_values

from hub.audit import AuditBatch, AuditKey
from hub.compiled.plan import PERSON, TYPENAME, Plan, RootField, Unplannable, language_argument
from hub.identity.loaders import person_by_id
from hub.identity.national_id import InvalidId, normalize_id
from hub.identity.queries import MAX_IDS
from hub.policy import IDENTITY, Access, ActingAs, forbidden
from hub.principal import Role
from hub.rows import Batch, Row, Rows, Session

_EMPTY: tuple[Row, ...] = ()


async def _grants(access: Access, wanted: Sequence[tuple[str, str]]) -> list[ActingAs | None]:
    """`Access.grant` for each (person, sector). An individual's decisions read relations through a
    DataLoader: asked together (as graphql-core asks a list's items) they share one batch. Other
    callers' decisions read nothing and depend on the sector alone (`Access.grant_by_role`)."""
    if access.principal.role is not Role.INDIVIDUAL:
        by_sector = {sector: access.grant_by_role(sector) for sector in {sector for _, sector in wanted}}
        return [by_sector[sector] for _, sector in wanted]
    if len(wanted) > 1:
        return list(await asyncio.gather(*(access.grant(subject, sector) for subject, sector in wanted)))
    return [await access.grant(subject, sector) for subject, sector in wanted]


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
    plan: Plan, variables: VariableValues, access: Access, rows: Rows
) -> tuple[dict[str, Any], list[GraphQLError], AuditBatch]:
    """The response's `data`, the errors (unsorted, unformatted) and the audit batch; raises
    `Unplannable` whenever the answer might differ from the general path's."""
    session = rows.session()
    try:
        return await _execute(plan, variables, access, session)
    finally:
        await session.close()


async def _execute(
    plan: Plan, variables: VariableValues, access: Access, rows: Session
) -> tuple[dict[str, Any], list[GraphQLError], AuditBatch]:
    args: list[Any] = []
    for slot in plan.slots:
        if slot.variable:
            try:
                args.append(language_argument(get_argument_values(slot.definition, slot.node, variables)))
            except GraphQLError:
                raise Unplannable("argument value") from None
        else:
            args.append(slot.fixed)

    # 1. root arguments
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
        else:
            ids = values["ids"]
            if len(ids) > MAX_IDS:
                raise Unplannable("too many IDs")
            asked.append((root, [_person_id(value) for value in ids]))
    subjects = list(dict.fromkeys(subject for _, ids in asked for subject in ids))

    # 2.–3. who may be seen, and who exists
    identity = dict(zip(subjects, await _grants(access, [(s, IDENTITY) for s in subjects]), strict=True))
    visible = [subject for subject in subjects if identity[subject] is not None]
    records: dict[Any, Row] = {}
    if visible:
        (found,) = await rows.fetch([(person_by_id, visible)])
        for row in found:
            records.setdefault(row[0], row)

    # 4. the sectors of the namespaces selected, for each known person
    asking: dict[str, dict[str, None]] = {}  # sector -> persons, in first-asked order
    for root, ids in asked:
        assert root.person is not None
        for namespace in root.person.namespaces:
            persons = asking.setdefault(namespace.sector, {})
            for subject in ids:
                if subject in records:
                    persons[subject] = None
    grants: dict[str, dict[str, ActingAs | None]] = {}
    for sector, persons in asking.items():
        decided = await _grants(access, [(subject, sector) for subject in persons])
        grants[sector] = dict(zip(persons, decided, strict=True))

    # 5. one statement per loader, for the persons whose sector was granted
    keys: list[dict[str, None]] = [{} for _ in plan.loads]
    for root, ids in asked:
        assert root.person is not None
        for namespace in root.person.namespaces:
            granted = grants[namespace.sector]
            chosen = [subject for subject in ids if granted.get(subject) is not None]
            for loaded in namespace.loaded:
                keys[loaded.loads_index].update(dict.fromkeys(chosen))
    batches: list[Batch] = []
    fetched_index: list[int] = []
    for index, loads in enumerate(plan.loads):
        if keys[index]:
            batches.append((loads, list(keys[index])))
            fetched_index.append(index)
    grouped: list[dict[Any, list[Row]]] = [{} for _ in plan.loads]
    if batches:
        for index, found in zip(fetched_index, await rows.fetch(batches), strict=True):
            grouped[index] = _group(found)

    # 6. the response and the audit notes
    errors: list[GraphQLError] = []
    audit = AuditBatch()
    notes: dict[AuditKey, frozenset[str]] = {}
    data: dict[str, Any] = {}
    by_root = iter(asked)
    for root in plan.roots:
        if root.kind == TYPENAME:
            data[root.key] = root.value
            continue
        _, ids = next(by_root)
        assemble = _Assembler(root, identity, records, grants, grouped, args, errors, notes)
        if root.kind == PERSON:
            data[root.key] = assemble(ids[0], [root.key])
        else:
            data[root.key] = [assemble(subject, [root.key, index]) for index, subject in enumerate(ids)]
    audit.entries = notes  # what AuditBatch.note would have made of the same notes
    return data, errors, audit


class _Assembler:
    """One root field's persons: their objects, the refusals' errors and the audit notes."""

    def __init__(
        self,
        root: RootField,
        identity: dict[str, ActingAs | None],
        records: dict[Any, Row],
        grants: dict[str, dict[str, ActingAs | None]],
        grouped: list[dict[Any, list[Row]]],
        args: list[Any],
        errors: list[GraphQLError],
        notes: dict[AuditKey, frozenset[str]],
    ) -> None:
        plan = root.person
        assert plan is not None
        self.root, self.plan, self.identity, self.records = root, plan, identity, records
        self.args, self.errors, self.notes = args, errors, notes
        self.grouped = grouped
        self.namespaces = [(namespace, grants[namespace.sector]) for namespace in plan.namespaces]

    def note(self, subject: str, sector: str, acting_as: ActingAs, fields: frozenset[str]) -> None:
        # AuditBatch.note's union of field names; a plain tuple is an AuditKey's equal, and cheaper to make.
        key: AuditKey = (subject, sector, _VALUE[acting_as], "read", "ok")  # type: ignore[assignment]
        known = self.notes.get(key)
        self.notes[key] = fields if known is None else known | fields

    def __call__(self, subject: str, path: list[Any]) -> dict[str, Any] | None:
        acting_as = self.identity[subject]
        if acting_as is None:
            self.errors.append(located_error(forbidden(IDENTITY), [self.root.node], path))  # type: ignore[list-item]
            return None
        record = self.records.get(subject)
        if record is None:
            return None
        args, grouped = self.args, self.grouped
        extra: list[Any] = [subject]
        for namespace, granted_by_person in self.namespaces:
            granted = granted_by_person[subject]
            if granted is None:
                self.errors.append(located_error(forbidden(namespace.sector), [namespace.node], [*path, namespace.key]))
                extra.append(None)
            else:
                self.note(subject, namespace.sector, granted, namespace.audit_fields)
                extra.append(namespace.build(subject, args, grouped))
        if self.plan.identity_fields:
            self.note(subject, IDENTITY, acting_as, self.plan.identity_fields)
        return self.plan.build(record, args, extra)


_VALUE = {member: member.value for member in ActingAs}
