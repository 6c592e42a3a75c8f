"""Random GraphQL documents over the hub's schema, for the differential test.

Seeded (random.Random), read from the live schema: it picks Person fields, sector namespaces,
loaded fields and leaf fields, and wraps some of them in aliases, inline and named fragments,
`__typename` and @skip/@include (literal, or a variable with or without a default). Mostly it builds
what the compiled path covers; now and then a field it does not (a resolver such as `sponsored`, a
person reference such as `sponsor`, a merged field), so the test also proves the fallbacks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
)

from hub.contract.direct import strawberry_of
from hub.contract.loading import LOADS
from hub.contract.provenance import SOURCE


def _loaded(definition: GraphQLField) -> bool:
    strawberry_field = strawberry_of(definition)
    return bool(strawberry_field is not None and strawberry_field.metadata.get(LOADS))


def _source(definition: GraphQLField) -> bool:
    strawberry_field = strawberry_of(definition)
    return bool(strawberry_field is not None and strawberry_field.metadata.get(SOURCE))


def _resolved(definition: GraphQLField) -> bool:
    strawberry_field = strawberry_of(definition)
    return bool(strawberry_field is not None and strawberry_field.base_resolver is not None)


@dataclass
class Document:
    text: str
    variables: dict[str, Any]
    operation_name: str | None
    roots: list[str]  # "person" / "people", for choosing IDs


@dataclass
class _Build:
    rng: random.Random
    language: str  # "AR", "EN" or "$lang": one per document, so merged fields never conflict
    variables: dict[str, str] = field(default_factory=dict)  # name -> declaration ("Boolean! = true")
    values: dict[str, Any] = field(default_factory=dict)
    fragments: list[str] = field(default_factory=list)
    aliases: int = 0
    lang: tuple[str, str | None] = ("Language!", "EN")

    def language_argument(self) -> str:
        if self.language == "$lang":
            declaration, value = self.lang
            self.variables["lang"] = declaration
            if value is not None:
                self.values["lang"] = value
        return f"(language: {self.language})"


class DocumentGenerator:
    def __init__(self, schema: GraphQLSchema, seed: int) -> None:
        self.schema = schema
        self.rng = random.Random(seed)
        self.person = schema.get_type("Person")
        assert isinstance(self.person, GraphQLObjectType)

    # ---- documents ---------------------------------------------------------------------------------

    def document(self) -> Document:
        rng = self.rng
        language = rng.choice(["AR", "EN", "$lang", "EN"])
        build = _Build(rng, language)
        if language == "$lang":  # declared when a field uses it (an unused variable is invalid)
            build.lang = rng.choice(
                [("Language!", "AR"), ("Language!", "EN"), ("Language! = AR", None), ("Language = EN", None)]
            )
        roots: list[str] = []
        parts: list[str] = []
        shape = rng.random()
        kinds = ["person"] if shape < 0.45 else ["people"] if shape < 0.85 else ["person", "people"]
        for index, kind in enumerate(kinds):
            alias = f"r{index}: " if len(kinds) > 1 or rng.random() < 0.15 else ""
            selection = self.selection(self.person, build, depth=0)
            if kind == "person":
                if rng.random() < 0.8:
                    build.variables["id"] = "ID!"
                    argument = "id: $id"
                else:
                    argument = 'id: "@ID@"'  # a literal, filled in by the test
            else:
                build.variables["ids"] = "[ID!]!"
                argument = "ids: $ids"
            roots.append(kind)
            parts.append(f"{alias}{kind}({argument}){self._directives(build)} {selection}")
        if rng.random() < 0.1:
            parts.insert(rng.randrange(len(parts) + 1), "__typename")
        header = ", ".join(f"${name}: {declaration}" for name, declaration in sorted(build.variables.items()))
        name = rng.choice([None, "Generated", "PersonView"])
        head = "query" + (f" {name}" if name else "") + (f"({header})" if header else "")
        text = head + " {\n  " + "\n  ".join(parts) + "\n}\n" + "".join(build.fragments)
        operation_name = name if name and rng.random() < 0.7 else None
        if name and rng.random() < 0.1:
            text += "query Other { __typename }\n"
            operation_name = name
        return Document(text, build.values, operation_name, roots)

    def entities(self) -> Document:
        """An `_entities` document as a gateway sends a sector subgraph (this generator's schema):
        Person's fields under `... on Person`, the representations in `$representations`."""
        rng = self.rng
        language = rng.choice(["AR", "EN", "$lang", "EN"])
        build = _Build(rng, language)
        if language == "$lang":
            build.lang = rng.choice([("Language!", "AR"), ("Language! = AR", None), ("Language = EN", None)])
        build.variables["representations"] = "[_Any!]!"
        items = [
            self._field(self.person, name, definition, build, depth=0)
            for name, definition in self.person.fields.items()
            if name != "id" or rng.random() < 0.3
        ]
        if rng.random() < 0.3:
            items.insert(rng.randrange(len(items) + 1), "__typename")
        selection = f"... on Person {{ {' '.join(items)} }}"
        if rng.random() < 0.3:
            selection = f"__typename {selection}"
        directive = self._directives(build) if rng.random() < 0.2 else ""
        header = ", ".join(f"${name}: {declaration}" for name, declaration in sorted(build.variables.items()))
        name = rng.choice([None, "Entities__passports__1"])
        text = (
            f"query{' ' + name if name else ''}({header}) {{ _entities(representations: $representations)"
            f"{directive} {{ {selection} }} }}\n{''.join(build.fragments)}"
        )
        return Document(text, build.values, name if rng.random() < 0.5 else None, ["_entities"])

    # ---- selections --------------------------------------------------------------------------------

    def _weight(self, parent: GraphQLObjectType, definition: GraphQLField) -> float:
        if parent is self.person or parent.name == "CalendarDate" or _loaded(definition) or _source(definition):
            return 1.0
        if parent.name.endswith("OfPerson"):
            return 0.03  # a namespace field with its own resolver (sponsored, familyRegister)
        target = get_named_type(definition.type)
        if isinstance(target, GraphQLObjectType) and target.name != "CalendarDate":
            return 0.015  # a person reference, a plate, …
        return 0.04 if _resolved(definition) else 1.0

    def selection(self, parent: GraphQLObjectType, build: _Build, depth: int) -> str:
        rng = build.rng
        fields = [
            (name, definition)
            for name, definition in parent.fields.items()
            if not (depth >= 3 and isinstance(get_named_type(definition.type), GraphQLObjectType))
        ]
        if parent is self.person and depth > 0:  # a person reached through a reference: keep it small
            fields = [(name, definition) for name, definition in fields if name in ("id", "nameEn", "kind")]
        weights = [self._weight(parent, definition) for _, definition in fields]
        count = min(len(fields), 1 + int(rng.expovariate(0.35)))
        chosen: list[tuple[str, GraphQLField]] = []
        pool = list(zip(fields, weights, strict=True))
        for _ in range(count):
            total = sum(weight for _, weight in pool)
            pick = rng.random() * total
            for index, (item, weight) in enumerate(pool):
                pick -= weight
                if pick <= 0:
                    chosen.append(item)
                    pool.pop(index)
                    break
        items = [self._field(parent, name, definition, build, depth) for name, definition in chosen]
        if chosen and rng.random() < 0.08:  # the same field again under another name
            name, definition = rng.choice(chosen)
            items.append(self._field(parent, name, definition, build, depth, alias=True))
        if rng.random() < 0.12:
            items.insert(rng.randrange(len(items) + 1), "__typename")
        if rng.random() < 0.04 and items:
            items.append(items[0])  # the same selection twice (merged: leaves fine, objects fall back)
        items = self._fragments(parent, items, build)
        return "{ " + " ".join(items) + " }"

    def _field(
        self,
        parent: GraphQLObjectType,
        name: str,
        definition: GraphQLField,
        build: _Build,
        depth: int,
        alias: bool = False,
    ) -> str:
        rng = build.rng
        text = name
        if (alias or rng.random() < 0.15) and build.aliases < 20:
            build.aliases += 1
            text = f"{name}_{build.aliases}: {name}"
        if "language" in definition.args:
            if rng.random() < 0.8:
                text += build.language_argument()
            elif text == name:
                # The default (EN) under a name of its own: the same name with and without the argument
                # in one merged selection is invalid (fields that conflict).
                text = f"{name}Default: {name}"
        text += self._directives(build)  # directives come before a sub-selection
        target = get_named_type(definition.type)
        if isinstance(target, GraphQLObjectType):
            text += " " + self.selection(target, build, depth + 1)
        else:
            assert isinstance(target, GraphQLScalarType | GraphQLEnumType)
        return text

    def _directives(self, build: _Build) -> str:
        rng = build.rng
        roll = rng.random()
        if roll > 0.14:
            return ""
        directive = rng.choice(["skip", "include"])
        if rng.random() < 0.3:
            return f" @{directive}(if: {rng.choice(['true', 'false'])})"
        name = f"{directive[0]}{len(build.variables)}"
        style = rng.random()
        if style < 0.5:
            build.variables[name] = "Boolean!"
            build.values[name] = rng.random() < 0.5
        elif style < 0.8:
            build.variables[name] = f"Boolean = {rng.choice(['true', 'false'])}"  # omitted: the default
        else:
            build.variables[name] = f"Boolean! = {rng.choice(['true', 'false'])}"
            build.values[name] = rng.random() < 0.5
        return f" @{directive}(if: ${name})"

    def _fragments(self, parent: GraphQLObjectType, items: list[str], build: _Build) -> list[str]:
        rng = build.rng
        if len(items) < 2 or rng.random() > 0.3:
            return items
        cut = rng.randrange(1, len(items))
        inner = items[cut:]
        kept = items[:cut]
        roll = rng.random()
        if roll < 0.45:
            kept.append(f"... on {parent.name} {{ {' '.join(inner)} }}")
        elif roll < 0.6:
            kept.append(f"...{self._directives(build) or ' @include(if: true)'} {{ {' '.join(inner)} }}")
        else:
            name = f"F{len(build.fragments)}{parent.name}"
            build.fragments.append(f"fragment {name} on {parent.name} {{ {' '.join(inner)} }}\n")
            spread = f"...{name}{self._directives(build)}"
            kept.append(spread)
            if rng.random() < 0.1:
                kept.append(f"...{name}")  # the same fragment spread twice
        rng.shuffle(kept)
        return kept
