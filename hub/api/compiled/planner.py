"""The planner: reads a persisted operation once and says what its answer needs and how it nests.

A plan covers what front ends send most: root `person(id:)` and `people(ids:)`, and what a gateway
sends a sector subgraph, `_entities(representations:) { ... on Person { … } }`, whose `Person`
selection is `id`, `__typename`, the identity fields and sector namespaces whose fields are all
declared loaders (`loaded()`, metadata `LOADS`) over records with plain leaf fields (scalars,
enums, `CalendarDate { gregorian hijri hijriText }`). Anything else raises `Unplannable` with the
reason, and the operation takes the general path: a field with its own resolver (`sponsored`,
`familyRegister`, a `PersonRef` such as `sponsor`), an interface or union, a mutation, `me`,
introspection, a response key selected twice with sub-selections (field merging), a directive other
than @skip/@include, an entity's identity fields (each opens its own gate, `identity_of`).

The plan reads the schema strawberry built, not a copy of it: fields are found through the
`strawberry-definition` each graphql-core field carries, and fields are collected with
graphql-core's own `collect_fields`, so @skip/@include, fragments and aliases group exactly as the
executor groups them. A plan depends on the document, the operation and the values of the
@skip/@include variables; access decisions are not in it (they depend on relations between the
caller and each person, which are data) — the executor asks `Access.grant` per request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql import (
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLString,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    get_named_type,
    visit,
)
from graphql.execution.collect_fields import FieldDetails, FragmentDetails, collect_fields, collect_subfields
from graphql.execution.values import VariableValues, get_argument_values
from graphql.language import Visitor

from hub.api.compiled.objects import (
    Column,
    Const,
    DateObject,
    Entry,
    Extra,
    LanguageChoice,
    Loaded,
    SourceObject,
    compile_object,
)
from hub.api.compiled.plan import (
    ENTITIES,
    TYPENAME,
    NamespacePlan,
    PersonPlan,
    Plan,
    RootField,
    Slot,
    Unplannable,
    language_argument,
)
from hub.api.compiled.schema_model import Namespace, SchemaModel, origin_of, resolver_of
from hub.api.context import collect_field_names as collect_audited_names  # the general path's own rule
from hub.contract.direct import DEFINITION, strawberry_of
from hub.contract.loading import LOADS, Loads
from hub.contract.provenance import SOURCE
from hub.contract.values import CalendarDate


class _Planner:
    def __init__(
        self,
        model: SchemaModel,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDetails],
        variables: VariableValues,
    ) -> None:
        self.model = model
        self.operation = operation
        self.fragments = dict(fragments)
        self.definitions = {name: details.definition for name, details in fragments.items()}
        self.variables = variables
        self.loads: list[Loads[Any, Any]] = []
        self.loads_sector: list[str] = []
        self.slots: list[Slot] = []
        self.sectors: list[str] = []

    def plan(self) -> Plan:
        model = self.model
        if self.operation.operation is not OperationType.QUERY or model.query is None:
            raise Unplannable(f"operation: {self.operation.operation.value}")
        if self.operation.directives:
            raise Unplannable("directive on the operation")
        collected = collect_fields(model.schema, self.fragments, self.variables, model.query, self.operation)
        if collected.new_defer_usages:
            raise Unplannable("@defer")
        roots: list[RootField] = []
        for key, details in collected.grouped_field_set.items():
            name = details[0].node.name.value
            if name == "__typename":
                roots.append(RootField(TYPENAME, key, value=model.query.name))
                continue
            kind = model.roots.get(name)
            if kind is None:
                raise Unplannable(f"root field: {name}")
            if len(details) > 1:
                raise Unplannable("field merging")
            _only_skip_include(details[0].node.directives)
            definition = model.query.fields[name]
            person = self._person(details)
            if kind == ENTITIES and person.identity_fields:
                # Each identity field of an entity opens its own gate (`identity_of`): not planned.
                raise Unplannable("identity fields of an entity")
            value = model.person.name if kind == ENTITIES else None  # the representations' __typename
            roots.append(RootField(kind, key, details[0].node, definition, person, value))
        return Plan(tuple(roots), tuple(self.loads), tuple(self.loads_sector), tuple(self.slots), tuple(self.sectors))

    def _sub(self, parent: GraphQLObjectType, details: list[FieldDetails]) -> dict[str, list[FieldDetails]]:
        collected = collect_subfields(
            self.model.schema, self.fragments, self.variables, self.operation, parent, details
        )
        if collected.new_defer_usages:
            raise Unplannable("@defer")
        for group in collected.grouped_field_set.values():
            for detail in group:
                _only_skip_include(detail.node.directives)
        return collected.grouped_field_set

    def _person(self, details: list[FieldDetails]) -> PersonPlan:
        model = self.model
        entries: list[tuple[str, Entry]] = []
        identity: set[str] = set()
        namespaces: list[NamespacePlan] = []
        for key, group in self._sub(model.person, details).items():
            node = group[0].node
            name = node.name.value
            if name == "__typename":
                entries.append((key, Const(model.person.name)))
            elif name in model.namespaces:
                if len(group) > 1:
                    raise Unplannable("field merging")
                namespaces.append(self._namespace(key, node, group, model.namespaces[name]))
                entries.append((key, Extra(len(namespaces))))
            elif name in model.identity:
                entries.append((key, self._identity(name, group)))
                if model.identity[name] != "id":
                    identity.add(name)
            else:
                raise Unplannable(f"field: Person.{name}")
        return PersonPlan(frozenset(identity), tuple(namespaces), compile_object(entries, "person"))

    def _identity(self, name: str, group: list[FieldDetails]) -> Entry:
        model = self.model
        python = model.identity[name]
        definition = model.person.fields[name]
        at = model.identity_position
        if python == "id":
            return Extra(0)
        if python == "name":
            return LanguageChoice(at["name_ar"], at["name_en"], self._slot(definition, group[0].node))
        if python == "born_on":
            return self._date(at["birth_on"], definition, group)
        return _column(at[python], definition)  # kind, name_ar, name_en, sex, nationality, mobile

    def _namespace(self, key: str, node: FieldNode, group: list[FieldDetails], namespace: Namespace) -> NamespacePlan:
        entries: list[tuple[str, Entry]] = []
        loaded: list[Loaded] = []
        for sub_key, sub_group in self._sub(namespace.type, group).items():
            sub_node = sub_group[0].node
            name = sub_node.name.value
            if name == "__typename":
                entries.append((sub_key, Const(namespace.type.name)))
                continue
            definition = namespace.type.fields[name]
            strawberry_field = strawberry_of(definition)
            if strawberry_field is not None and strawberry_field.metadata.get(SOURCE) == namespace.sector:
                entries.append((sub_key, self._source(definition, sub_group, namespace.sector)))
                continue
            declared = strawberry_field.metadata.get(LOADS) if strawberry_field is not None else None
            if strawberry_field is None or declared is None:
                raise Unplannable(f"field: {namespace.type.name}.{name}")
            if strawberry_field.permission_classes or strawberry_field.extensions:
                raise Unplannable(f"field extensions: {namespace.type.name}.{name}")
            loads, key_from = declared
            if key_from != "person_id":
                raise Unplannable(f"loader keyed by {key_from}: {namespace.type.name}.{name}")
            if len(sub_group) > 1:
                raise Unplannable("field merging")
            loaded.append(self._loaded(loads, definition, sub_group, namespace.sector))
            entries.append((sub_key, loaded[-1]))
        if namespace.sector not in self.sectors:
            self.sectors.append(namespace.sector)
        audited: set[str] = set()
        collect_audited_names(node.selection_set, self.definitions, audited)
        return NamespacePlan(
            key, namespace.sector, node, frozenset(audited), tuple(loaded), compile_object(entries, "namespace")
        )

    def _loaded(
        self, loads: Loads[Any, Any], definition: GraphQLField, group: list[FieldDetails], sector: str
    ) -> Loaded:
        record_type = get_named_type(definition.type)
        if not isinstance(record_type, GraphQLObjectType) or origin_of(record_type) is not loads.record:
            raise Unplannable(f"loaded type: {record_type}")
        shape = definition.type
        many = isinstance(shape, GraphQLNonNull) and isinstance(shape.of_type, GraphQLList)
        if many != loads.many or (many and not isinstance(shape.of_type.of_type, GraphQLNonNull)):  # type: ignore[union-attr]
            raise Unplannable(f"loaded shape: {record_type.name}")
        if "__post_init__" in vars(loads.record):
            raise Unplannable(f"record with __post_init__: {record_type.name}")
        if loads in self.loads:
            index = self.loads.index(loads)
            if self.loads_sector[index] != sector:
                raise Unplannable("one loader under two sectors")
        else:
            index = len(self.loads)
            self.loads.append(loads)
            self.loads_sector.append(sector)
        columns = {name: position + 1 for position, name in enumerate(loads.columns)}
        entries: list[tuple[str, Entry]] = []
        for key, sub_group in self._sub(record_type, group).items():
            node = sub_group[0].node
            name = node.name.value
            if name == "__typename":
                entries.append((key, Const(record_type.name)))
                continue
            field_definition = record_type.fields[name]
            strawberry_field = strawberry_of(field_definition)
            if (
                strawberry_field is None
                or strawberry_field.base_resolver is not None
                or strawberry_field.python_name not in columns
                or strawberry_field.permission_classes
                or strawberry_field.extensions
            ):
                raise Unplannable(f"field: {record_type.name}.{name}")
            position = columns[strawberry_field.python_name]
            target = get_named_type(field_definition.type)
            if isinstance(target, GraphQLObjectType):
                if origin_of(target) is not CalendarDate:
                    raise Unplannable(f"object field: {record_type.name}.{name}")
                entries.append((key, self._date(position, field_definition, sub_group)))
            else:
                if len(sub_group) > 1 and any(d.node.selection_set for d in sub_group):
                    raise Unplannable("field merging")
                entries.append((key, _column(position, field_definition)))
        return Loaded(index, loads.many, compile_object(entries, record_type.name))

    def _source(self, definition: GraphQLField, group: list[FieldDetails], sector: str) -> SourceObject:
        if len(group) > 1:
            raise Unplannable("field merging")
        source = get_named_type(definition.type)
        assert isinstance(source, GraphQLObjectType)
        fields: list[tuple[str, Any]] = []
        for key, sub_group in self._sub(source, group).items():
            name = sub_group[0].node.name.value
            if name == "__typename":
                fields.append((key, Const(source.name)))
                continue
            python = strawberry_of(source.fields[name]).python_name  # type: ignore[union-attr]
            if python == "sector":
                fields.append((key, Const(sector)))
            elif python == "as_of":
                scalar = get_named_type(source.fields[name].type)
                assert isinstance(scalar, GraphQLScalarType)
                fields.append((key, scalar.serialize))
            else:
                raise Unplannable(f"field: {source.name}.{name}")
        return SourceObject(tuple(fields))

    def _date(self, position: int, definition: GraphQLField, group: list[FieldDetails]) -> DateObject:
        if len(group) > 1:
            raise Unplannable("field merging")
        calendar = get_named_type(definition.type)
        assert isinstance(calendar, GraphQLObjectType)
        fields: list[tuple[str, Any]] = []
        gregorian_serialize = None
        for key, sub_group in self._sub(calendar, group).items():
            node = sub_group[0].node
            name = node.name.value
            if name == "__typename":
                fields.append((key, Const(calendar.name)))
                continue
            resolver = resolver_of(calendar.fields[name])
            python = strawberry_of(calendar.fields[name]).python_name  # type: ignore[union-attr]
            if python == "gregorian" and resolver is None:
                scalar = get_named_type(calendar.fields[name].type)
                assert isinstance(scalar, GraphQLScalarType)
                gregorian_serialize = scalar.serialize
                fields.append((key, "gregorian"))
            elif resolver is self.model.calendar_hijri:
                fields.append((key, "hijri"))
            elif resolver is self.model.calendar_hijri_text:
                fields.append((key, ("hijriText", self._slot(calendar.fields[name], node))))
            else:
                raise Unplannable(f"field: {calendar.name}.{name}")
        if gregorian_serialize is None:
            scalar = get_named_type(calendar.fields["gregorian"].type)
            assert isinstance(scalar, GraphQLScalarType)
            gregorian_serialize = scalar.serialize
        nullable = not isinstance(definition.type, GraphQLNonNull)
        return DateObject(position, nullable, tuple(fields), gregorian_serialize)

    def _slot(self, definition: GraphQLField, node: FieldNode) -> int:
        uses_variable = _uses_variable(node)
        fixed = None
        if not uses_variable:
            fixed = language_argument(get_argument_values(definition, node, None))
        self.slots.append(Slot(definition, node, fixed, uses_variable))
        return len(self.slots) - 1


def _column(position: int, definition: GraphQLField) -> Column:
    nullable = not isinstance(definition.type, GraphQLNonNull)
    leaf = definition.type.of_type if isinstance(definition.type, GraphQLNonNull) else definition.type
    if isinstance(leaf, GraphQLEnumType):
        strawberry_enum = (leaf.extensions or {}).get(DEFINITION)
        wrapped = getattr(strawberry_enum, "wrapped_cls", None)
        if wrapped is None:
            raise Unplannable(f"enum without a Python class: {leaf.name}")
        # The loader's converter builds `wrapped(value)`; graphql-core then serialises the member.
        names = {value: leaf.serialize(member) for value, member in wrapped._value2member_map_.items()}
        return Column(position, nullable, enum=names)
    if isinstance(leaf, GraphQLScalarType):
        return Column(position, nullable, serialize=leaf.serialize, plain_string=leaf in (GraphQLString, GraphQLID))
    raise Unplannable(f"leaf type: {leaf}")


def _only_skip_include(directives: Sequence[DirectiveNode] | None) -> None:
    for directive in directives or ():
        if directive.name.value not in ("skip", "include"):
            raise Unplannable(f"directive: @{directive.name.value}")


def _uses_variable(node: FieldNode) -> bool:
    found = False

    class Finder(Visitor):
        def enter_variable(self, *_: Any) -> None:
            nonlocal found
            found = True

    for argument in node.arguments or ():
        visit(argument, Finder())
    return found


def switch_variables(
    operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> tuple[str, ...]:
    """The variables any @skip/@include of the operation (or of any fragment) reads, sorted."""
    names: set[str] = set()

    class Finder(Visitor):
        def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
            if node.name.value in ("skip", "include"):
                for argument in node.arguments or ():
                    if isinstance(argument.value, VariableNode):
                        names.add(argument.value.name.value)

    visit(operation, Finder())
    for fragment in fragments.values():
        visit(fragment, Finder())
    defined = {definition.variable.name.value for definition in operation.variable_definitions or ()}
    return tuple(sorted(names & defined))


def build_plan(
    model: SchemaModel,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDetails],
    variables: VariableValues,
) -> Plan:
    return _Planner(model, operation, fragments, variables).plan()
