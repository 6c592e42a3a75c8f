"""Response objects from rows: a plan's selection set compiled into one small Python function.

A selection set (`{ status expiresOn { gregorian hijri } }`) becomes a function
`build(row, args, extra) -> dict` whose body is a dict literal in selection order, so a list of 100
people's visas costs one call per visa instead of one resolver call per leaf. Every value goes
through the same conversion the general path applies: the loader's converter (a date becomes a
CalendarDate, a text an enum member), then the GraphQL type's own `serialize`. A null where the
schema says non-null raises `NullInNonNull`: the general path would spread that null upwards with
an error, and the compiled path does not try to reproduce that — it steps aside.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import Undefined

from hub.contract.calendar import hijri_iso, hijri_long
from hub.contract.values import Language

Builder = Callable[[Any, Sequence[Any], Sequence[Any] | None], dict[str, Any]]

# The resolvers' own functions, remembered: both depend on the date (and language) alone, and
# hijri_iso formats its text on every call, where a dict lookup is all a repeated date needs.
_hijri_iso = lru_cache(maxsize=1 << 16)(hijri_iso)
_hijri_long = lru_cache(maxsize=1 << 16)(hijri_long)


class NullInNonNull(Exception):
    """A null (or an unserialisable value) where the schema promises a value."""


@dataclass(frozen=True)
class Const:
    """A value known at plan time: `__typename`."""

    value: Any


@dataclass(frozen=True)
class Extra:
    """A value computed outside the row: `extra[index]` (the person's ID, a namespace, a list…)."""

    index: int


@dataclass(frozen=True)
class Column:
    """A column value as a scalar or enum leaf. `enum` maps the stored value to the enum's GraphQL
    name (the loader's converter then `serialize`); otherwise `serialize` is the scalar's own."""

    position: int
    nullable: bool
    serialize: Callable[[Any], Any] | None = None
    enum: Mapping[Any, str] | None = None
    plain_string: bool = False  # String/ID: a str serialises to itself


@dataclass(frozen=True)
class LanguageChoice:
    """`Person.name(language:)`: one column when the argument is AR, the other otherwise."""

    arabic: int
    other: int
    slot: int  # index in `args` of the argument's Language value


@dataclass(frozen=True)
class DateObject:
    """A `CalendarDate` built from a date column; `fields` are (response key, what) pairs where
    what is "gregorian", "hijri", ("hijriText", slot) or Const (its `__typename`)."""

    position: int
    nullable: bool
    fields: tuple[tuple[str, Any], ...]
    serialize_date: Callable[[Any], Any]


@dataclass(frozen=True)
class Loaded:
    """A `loaded()` field in a namespace builder, called as `build(person_id, args, grouped)`:
    the person's rows of `grouped[loads_index]`, each built by `build` (a list, or the first or null)."""

    loads_index: int
    many: bool
    build: Builder


@dataclass(frozen=True)
class SourceObject:
    """A namespace's `source { sector asOf }`; `fields` are (response key, what) pairs where what
    is Const (`sector`, `__typename`) or the DateTime scalar's `serialize` for `asOf`, which is the
    request's read moment, always the last of `args`."""

    fields: tuple[tuple[str, Any], ...]


Entry = Const | Extra | Column | LanguageChoice | DateObject | Loaded | SourceObject


def _leaf(serialize: Callable[[Any], Any], value: Any) -> Any:
    # graphql-core's complete_leaf_value: a serializer returning null is an error.
    result = serialize(value)
    if result is None or result is Undefined:
        raise NullInNonNull
    return result


def _null() -> Any:
    raise NullInNonNull


def compile_object(entries: Sequence[tuple[str, Entry]], name: str = "build") -> Builder:
    """`build(row, args, extra)` returning the dict of `entries` in order."""
    source = _Source()
    for index, (key, entry) in enumerate(entries):
        source.add(index, key, entry)
    return source.compile(name)


class _Source:
    """The body of a builder being written: statements, the returned dict's items, and the
    constants they refer to by name."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {
            "_leaf": _leaf,
            "_Null": NullInNonNull,
            "_hijri": _hijri_iso,
            "_hijri_text": _hijri_long,
            "_AR": Language.AR,
        }
        self.lines: list[str] = []
        self.items: list[str] = []

    def constant(self, value: Any) -> str:
        symbol = f"_k{len(self.namespace)}"
        self.namespace[symbol] = value
        return symbol

    def compile(self, name: str) -> Builder:
        body = "\n".join(f"    {line}" for line in self.lines)
        source = f"def {name}(row, args, extra):\n{body}\n    return {{{', '.join(self.items)}}}\n"
        exec(compile(source, f"<compiled {name}>", "exec"), self.namespace)
        built: Builder = self.namespace[name]
        built.__source__ = source  # type: ignore[attr-defined]  # for readers and tests
        return built

    def add(self, index: int, key: str, entry: Entry) -> None:
        var = f"v{index}"
        if isinstance(entry, Const):
            self.items.append(f"{key!r}: {self.constant(entry.value)}")
        elif isinstance(entry, Extra):
            self.items.append(f"{key!r}: extra[{entry.index}]")
        elif isinstance(entry, Loaded):
            self._loaded(key, var, entry)
        elif isinstance(entry, LanguageChoice):
            self._language_choice(key, var, entry)
        elif isinstance(entry, Column):
            self._column(key, var, entry)
        elif isinstance(entry, SourceObject):
            told = [
                f"{sub_key!r}: {self.constant(what.value)}"
                if isinstance(what, Const)
                else f"{sub_key!r}: _leaf({self.constant(what)}, args[-1])"
                for sub_key, what in entry.fields
            ]
            self.items.append(f"{key!r}: {{{', '.join(told)}}}")
        elif isinstance(entry, DateObject):
            self._date(key, var, f"d{index}", entry)
        else:
            raise TypeError(f"unknown entry {entry!r}")

    def _loaded(self, key: str, var: str, entry: Loaded) -> None:
        build = self.constant(entry.build)
        if entry.many:
            self.items.append(f"{key!r}: [{build}(x, args, None) for x in extra[{entry.loads_index}].get(row, ())]")
        else:
            self.lines.append(f"{var} = extra[{entry.loads_index}].get(row)")
            self.lines.append(f"if {var} is not None: {var} = {build}({var}[0], args, None)")
            self.items.append(f"{key!r}: {var}")

    def _language_choice(self, key: str, var: str, entry: LanguageChoice) -> None:
        self.lines.append(f"{var} = row[{entry.arabic}] if args[{entry.slot}] is _AR else row[{entry.other}]")
        self.lines.append(f"if {var} is None: raise _Null")
        string = self.constant(_string_serializer())
        self.lines.append(f"if {var}.__class__ is not str: {var} = _leaf({string}, {var})")
        self.items.append(f"{key!r}: {var}")

    def _column(self, key: str, var: str, entry: Column) -> None:
        self.lines.append(f"{var} = row[{entry.position}]")
        if entry.enum is not None:
            convert = f"{self.constant(entry.enum)}[{var}]"
        elif entry.plain_string:
            serialize = self.constant(entry.serialize)
            convert = f"{var} if {var}.__class__ is str else _leaf({serialize}, {var})"
        else:
            convert = f"_leaf({self.constant(entry.serialize)}, {var})"
        if entry.nullable:
            self.lines.append(f"if {var} is not None: {var} = {convert}")
        else:
            self.lines.append(f"if {var} is None: raise _Null")
            self.lines.append(f"{var} = {convert}")
        self.items.append(f"{key!r}: {var}")

    def _date(self, key: str, var: str, day: str, entry: DateObject) -> None:
        self.lines.append(f"{day} = row[{entry.position}]")
        parts: list[str] = []
        for sub_key, what in entry.fields:
            if isinstance(what, Const):
                parts.append(f"{sub_key!r}: {self.constant(what.value)}")
            elif what == "gregorian":
                parts.append(f"{sub_key!r}: _leaf({self.constant(entry.serialize_date)}, {day})")
            elif what == "hijri":
                parts.append(f"{sub_key!r}: _hijri({day})")
            else:  # ("hijriText", slot): the resolver passes `language.value`
                parts.append(f"{sub_key!r}: _hijri_text({day}, args[{what[1]}].value)")
        literal = "{" + ", ".join(parts) + "}"
        if entry.nullable:
            self.lines.append(f"{var} = None if {day} is None else {literal}")
        else:
            self.lines.append(f"if {day} is None: raise _Null")
            self.lines.append(f"{var} = {literal}")
        self.items.append(f"{key!r}: {var}")


def _string_serializer() -> Callable[[Any], Any]:
    from graphql import GraphQLString

    return GraphQLString.serialize
