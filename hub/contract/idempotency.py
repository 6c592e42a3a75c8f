"""Idempotency keys: a client that retries a mutation (a timeout, a dropped connection) sends the
same key and gets the first answer back, with nothing done twice.

Every service mutation's input carries an optional `idempotencyKey` (`idempotency_key()` below).
The hub keeps the answer of a mutation that changed something under (caller, key), written in
that mutation's own transaction, so the change and its answer are kept together or not at all. A
refusal or an error changed nothing, so it is not kept: a retry is decided anew. The same key
with another input (or another mutation) is refused with IDEMPOTENCY_KEY_REUSED.

Answers are kept as JSON and rebuilt from the payload type's annotations, never unpickled."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import types
import typing
from typing import Any, Protocol, TypeVar

import orjson
import strawberry

from hub.contract.errors import Code, RabtError
from hub.contract.values import CalendarDate

KEY_MAX = 64
"""At most this many characters: a UUID (36) fits with room for a client's own prefix."""

T = TypeVar("T")


class Keyed(Protocol):
    """A mutation's input that carries an idempotency key."""

    @property
    def idempotency_key(self) -> str | None: ...


def idempotency_key() -> Any:
    """The `idempotency_key` field every service mutation's input declares (optional)."""
    return strawberry.field(
        default=None,
        description=(
            "Optional, chosen by the client (a UUID, say): a retry with the same key returns the first answer "
            "and changes nothing; the same key with another input is refused with IDEMPOTENCY_KEY_REUSED. "
            f"Up to {KEY_MAX} printable ASCII characters."
        ),
    )


def key_of(data: Keyed) -> str | None:
    """The input's key, checked: BAD_USER_INPUT unless 1 to KEY_MAX printable ASCII characters."""
    key = data.idempotency_key
    if key is None:
        return None
    if not (1 <= len(key) <= KEY_MAX and key.isascii() and key.isprintable()):
        raise RabtError(
            Code.BAD_USER_INPUT,
            f"input.idempotencyKey: 1 to {KEY_MAX} printable ASCII characters.",
            argument="input.idempotencyKey",
        )
    return key


def fingerprint(data: Keyed, mutation: str) -> str:
    """What the key stands for: the mutation it was sent to (two may share an input type), the
    input's type and every field but the key."""
    fields = {name: value for name, value in _plain(data).items() if name != "idempotency_key"}
    stood_for = [mutation, type(data).__name__, fields]
    return hashlib.sha256(orjson.dumps(stood_for, option=orjson.OPT_SORT_KEYS)).hexdigest()


def reused() -> RabtError:
    return RabtError(
        Code.IDEMPOTENCY_KEY_REUSED,
        "This idempotency key was used for another request; use a new key for a new request.",
        argument="input.idempotencyKey",
    )


def encode_answer(answer: object) -> bytes:
    """A payload (a strawberry type holding records) as JSON: its annotated fields, recursively."""
    return orjson.dumps(_plain(answer))


def decode_answer(kind: type[T], data: bytes) -> T:
    """The payload `encode_answer` kept, rebuilt as `kind` from its annotations."""
    return typing.cast(T, _rebuilt(kind, orjson.loads(data)))


def _annotated_fields(kind: type) -> dict[str, Any]:
    """A strawberry type's data fields and their types (not its resolvers, which hold no data)."""
    hints = typing.get_type_hints(kind, include_extras=True)
    return {f.name: hints[f.name] for f in dataclasses.fields(kind) if f.name in hints}


def _plain(value: Any) -> Any:
    if value is None or value is strawberry.UNSET:
        return None
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, CalendarDate):
        return value.gregorian.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: _plain(getattr(value, name)) for name in _annotated_fields(type(value))}
    raise TypeError(f"cannot keep a {type(value).__name__} as an idempotent answer")


def _rebuilt(kind: Any, data: Any) -> Any:
    if typing.get_origin(kind) is typing.Annotated:  # strawberry.Private[...]
        return _rebuilt(typing.get_args(kind)[0], data)
    origin = typing.get_origin(kind)
    if origin in (types.UnionType, typing.Union):
        if data is None:
            return None
        (inner,) = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return _rebuilt(inner, data)
    if origin is list:
        return [_rebuilt(typing.get_args(kind)[0], item) for item in data]
    if kind is CalendarDate:
        return CalendarDate(gregorian=dt.date.fromisoformat(data))
    if kind is dt.date:
        return dt.date.fromisoformat(data)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(data)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return kind(**{name: _rebuilt(hint, data[name]) for name, hint in _annotated_fields(kind).items()})
    return data
